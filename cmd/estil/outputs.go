package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/estil-nst/estil/images"
)

// checkOutputs makes sure, before the run, that every file it will write (--out, --report,
// --checkpoint and --save-every's pictures) can be written, and that none of them is one of the
// inputs (the content, the styles, --init's picture, the weights file: compared as files, so
// links count) or another output. inputs may hold names that are not files ("random", "noise",
// ""): they are skipped. (--resume's file is both read and, by default, rewritten: that is the
// point of it.)
func checkOutputs(s *settings, inputs ...string) error {
	base := filepath.Base(s.out)
	if strings.TrimSuffix(base, filepath.Ext(base)) == "" {
		return usagef("--out %q has no name before %s: give one, e.g. result.png", s.out, filepath.Ext(base))
	}
	if err := images.CheckWritable(s.out); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	if s.report != "" {
		if err := checkWritableFile(s.report); err != nil {
			return fmt.Errorf("--report: %w", err)
		}
		if sameFile(s.report, s.out) {
			return usagef("--report and --out are the same file %q: the report would replace the picture", s.out)
		}
	}
	if s.preview != "" {
		if err := images.CheckWritable(s.preview); err != nil {
			return fmt.Errorf("--preview: %w", err)
		}
		for flag, other := range map[string]string{"--out": s.out, "--report": s.report, "--checkpoint": s.checkpoint} {
			if other != "" && sameFile(s.preview, other) {
				return usagef("--preview and %s are the same file %q: give the preview its own name", flag, other)
			}
		}
		if n, ok := s.checkpointNumber(s.preview); ok {
			return usagef("--save-every would write its picture %d over --preview %q: choose another --preview", n, s.preview)
		}
	}
	if s.checkpoint != "" {
		if err := checkWritableFile(s.checkpoint); err != nil {
			return fmt.Errorf("--checkpoint: %w", err)
		}
		for flag, other := range map[string]string{"--out": s.out, "--report": s.report} {
			if other != "" && sameFile(s.checkpoint, other) {
				return usagef("--checkpoint and %s are the same file %q: give the checkpoint its own name", flag, other)
			}
		}
		if n, ok := s.checkpointNumber(s.checkpoint); ok {
			return usagef("--save-every would write its picture %d over --checkpoint %q: choose another --checkpoint", n, s.checkpoint)
		}
	}
	for _, in := range inputs {
		if !isFile(in) {
			continue
		}
		for flag, out := range map[string]string{"--checkpoint": s.checkpoint, "--preview": s.preview} {
			if out != "" {
				if err := notAnInput(flag, out, in); err != nil {
					return err
				}
			}
		}
		if err := notAnInput("--out", s.out, in); err != nil {
			return err
		}
		if s.report != "" {
			if err := notAnInput("--report", s.report, in); err != nil {
				return err
			}
		}
		if n, ok := s.checkpointNumber(in); ok {
			return usagef("--save-every would write its picture %d over the input %q: choose another --out", n, in)
		}
	}
	if n, ok := s.checkpointNumber(s.report); ok && s.report != "" {
		return usagef("--save-every would write its picture %d over --report %q: choose another --report", n, s.report)
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
func (s *settings) checkpointNumber(path string) (int, bool) {
	if s.saveEvery <= 0 || path == "" {
		return 0, false
	}
	ext := filepath.Ext(s.out)
	stem := strings.TrimSuffix(filepath.Base(s.out), ext)
	m := regexp.MustCompile(`^` + regexp.QuoteMeta(stem) + `-([0-9]+)` + regexp.QuoteMeta(ext) + `$`).FindStringSubmatch(filepath.Base(path))
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n%s.saveEvery != 0 || n <= 0 || n >= s.iters {
		return 0, false
	}
	return n, sameFile(path, checkpointPath(s.out, n))
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
// included), else the same absolute path.
func sameFile(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(fa, fb)
	}
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	return errA == nil && errB == nil && absA == absB
}
