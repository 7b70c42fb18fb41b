package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/internal/atomicfile"
)

// checkOutputs makes sure, before the run, that every file it will write (--out, --report,
// --checkpoint and --save-every's pictures) can be written, and that none of them is one of the
// inputs (the content, the styles, --init's picture, the weights file: compared as files, so
// links count) or another output. Inputs that are not files ("random", "") are skipped.
// --resume's file is an input too, but one that --checkpoint may name (and does by default):
// going on checkpointing into it is the point of it.
func checkOutputs(p *plan) error {
	if p.batch != nil {
		return checkBatchOutputs(p)
	}
	o := &p.outputs
	base := filepath.Base(o.out)
	if strings.TrimSuffix(base, filepath.Ext(base)) == "" {
		return usagef("--out %q has no name before %s: give one, e.g. result.png", o.out, filepath.Ext(base))
	}
	if err := images.CheckWritable(o.out); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	outs := []sideOutput{{"--out", o.out, true}}
	for _, side := range o.sideOutputs() {
		if err := side.check(p, outs); err != nil {
			return err
		}
		outs = append(outs, side)
	}
	for _, in := range append(p.inputFiles(), p.pictures.content) {
		if err := p.notOverwritten(in, outs); err != nil {
			return err
		}
	}
	if o.resume != "" {
		var others []sideOutput
		for _, side := range outs {
			if side.flag != "--checkpoint" {
				others = append(others, side)
			}
		}
		return p.notOverwritten(o.resume, others)
	}
	return nil
}

// inputFiles are the files the plan reads besides --content and --resume: --init's picture,
// the weights, the style pictures, and spatial and scale control's pictures (masks, guides,
// --style-coarse, --style-fine). Empty names are left out.
func (p *plan) inputFiles() []string {
	files := append([]string{p.pictures.initFile, p.model.weights, p.pictures.coarse, p.pictures.fine}, p.pictures.styles...)
	for _, m := range append(slices.Clone(p.pictures.masks), p.pictures.guides...) {
		files = append(files, m.path)
	}
	return slices.DeleteFunc(files, func(f string) bool { return f == "" })
}

// notOverwritten refuses the outputs outs, and --save-every's pictures, that are the input in.
func (p *plan) notOverwritten(in string, outs []sideOutput) error {
	if !isFile(in) {
		return nil
	}
	for _, o := range outs {
		if err := notAnInput(o.flag, o.path, in); err != nil {
			return err
		}
	}
	if n, ok := p.checkpointNumber(in); ok {
		return usagef("--save-every would write its picture %d over the input %q: choose another --out", n, in)
	}
	return nil
}

// sideOutput is a file a run writes besides --out.
type sideOutput struct {
	flag, path string
	picture    bool // a PNG (checked as images.SavePNG will write it)
}

// sideOutputs are the files the flags ask for besides --out.
func (o *outputs) sideOutputs() []sideOutput {
	var outs []sideOutput
	for _, side := range []sideOutput{{"--report", o.report, false}, {"--preview", o.preview, true}, {"--checkpoint", o.checkpoint, false}} {
		if side.path != "" {
			outs = append(outs, side)
		}
	}
	return outs
}

// check makes sure o can be written, is none of the outputs before it, and is not one of
// --save-every's pictures.
func (o sideOutput) check(p *plan, before []sideOutput) error {
	check := checkWritableFile
	if o.picture {
		check = images.CheckWritable
	}
	if err := check(o.path); err != nil {
		return fmt.Errorf("%s: %w", o.flag, err)
	}
	for _, b := range before {
		if sameFile(o.path, b.path) {
			return usagef("%s and %s are the same file %q: one would replace the other; give %s its own name", o.flag, b.flag, o.path, o.flag)
		}
	}
	if n, ok := p.checkpointNumber(o.path); ok {
		return usagef("--save-every would write its picture %d over %s %q: choose another %s", n, o.flag, o.path, o.flag)
	}
	return nil
}

// notAnInput refuses an output that is the same file as one of the inputs.
func notAnInput(flag, out string, inputs ...string) error {
	for _, in := range inputs {
		if isFile(in) && sameFile(out, in) {
			return usagef("%s %q is the input %q: it would be overwritten; write the result to another file", flag, out, in)
		}
	}
	return nil
}

// checkpointNumber tells whether path is one of the pictures --save-every will write
// (checkpointPath(out, n) for n = every, 2·every, … below the iterations), and which.
func (p *plan) checkpointNumber(path string) (int, bool) {
	o := &p.outputs
	if o.saveEvery <= 0 || path == "" {
		return 0, false
	}
	ext := filepath.Ext(o.out)
	stem := strings.TrimSuffix(filepath.Base(o.out), ext)
	m := regexp.MustCompile(`^` + regexp.QuoteMeta(stem) + `-([0-9]+)` + regexp.QuoteMeta(ext) + `$`).FindStringSubmatch(filepath.Base(path))
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n%o.saveEvery != 0 || n <= 0 || n >= p.optimizer.iters {
		return 0, false
	}
	return n, sameFile(path, checkpointPath(o.out, n))
}

// isFile reports whether name is a file that exists (not "", "random", "noise"…).
func isFile(name string) bool {
	if name == "" {
		return false
	}
	fi, err := os.Stat(name)
	return err == nil && !fi.IsDir()
}

// sameFile reports whether a and b name the same file: the same inode where both exist (links
// included), else the same file to be written, links of the names and their folders followed
// (dirlink/b.png and real/b.png, neither there yet, are one file).
func sameFile(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(fa, fb)
	}
	return atomicfile.Target(a) == atomicfile.Target(b)
}

// removeStaleTemporaries removes what runs killed while they wrote this run's outputs (kill -9, a
// power cut) left beside them: atomicfile's temporaries of --out, --report, --preview,
// --checkpoint and --save-every's pictures, and nothing else.
func removeStaleTemporaries(p *plan) {
	o := &p.outputs
	outs := []string{o.out}
	for _, side := range o.sideOutputs() {
		outs = append(outs, side.path)
	}
	folders := map[string]bool{}
	for _, p := range outs {
		folders[filepath.Dir(atomicfile.Target(p))] = true
	}
	if o.saveEvery > 0 { // OUT-N.png, beside the name --out gave
		folders[atomicfile.Target(filepath.Dir(o.out))] = true
	}
	ours := func(dest string) bool {
		for _, p := range outs {
			if sameFile(dest, p) {
				return true
			}
		}
		_, ok := p.checkpointNumber(dest)
		return ok
	}
	for dir := range folders {
		atomicfile.RemoveStale(dir, ours)
	}
}
