package main

// A batch of frames: `estil stylize --content frames/ --out out/` stylizes every picture of a
// folder (or of a .txt list) with the same settings, one after the other, on one model. The
// frames must have one size at --size, so the graphs compiled for the first serve them all
// (nst.Model.Compilations counts them: the line of every frame after the first says 0).
//
// --init previous starts each frame from the result of the one before: the simple temporal
// coherence of Ruder et al. 2016 ("Artistic style transfer for videos") without its optical
// flow, which warps the previous result along the motion and masks what it cannot follow;
// without it a moving scene drags the previous strokes along. Flow is the named next step.
//
// A batch resumes by running the same command again: a frame whose output decodes and records
// (in a PNG text chunk) the digest of this batch's settings, style pictures, weights and of the
// frame itself is skipped; anything else, a changed style or setting included, is redone.

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/internal/atomicfile"
	"github.com/estil-nst/estil/nst"
)

// initPrevious is --init previous: each frame of a batch starts from the previous result.
const initPrevious = "previous"

// batchKey is the PNG text key under which a batch's output records its digest.
const batchKey = "estil-batch"

// frameExtensions are the pictures a --content folder yields, in any case.
var frameExtensions = []string{".png", ".jpg", ".jpeg"}

// batchPlan is a batch of frames, each stylized in turn with the plan's settings into outDir.
type batchPlan struct {
	frames       []frame
	outDir       string
	initPrevious bool // --init previous
}

// frame is one picture of a batch and the file its result goes to.
type frame struct{ in, out string }

// listFrames returns the frames --content names when it is a folder (its .png, .jpg and .jpeg
// files, sorted by name) or a .txt list (one picture a line, relative to the list's folder;
// blank lines and lines starting with # are skipped), and nil for a single picture.
func listFrames(content string) ([]string, error) {
	fi, err := os.Stat(content)
	switch {
	case err == nil && fi.IsDir():
		entries, err := os.ReadDir(content)
		if err != nil {
			return nil, fmt.Errorf("--content: %w", err)
		}
		var frames []string
		for _, e := range entries { // ReadDir sorts by name
			if slices.Contains(frameExtensions, strings.ToLower(filepath.Ext(e.Name()))) && !e.IsDir() {
				frames = append(frames, filepath.Join(content, e.Name()))
			}
		}
		if len(frames) == 0 {
			return nil, usagef("--content folder %q has no .png, .jpg or .jpeg pictures", content)
		}
		return frames, nil
	case strings.EqualFold(filepath.Ext(content), ".txt"):
		return readFrameList(content)
	}
	return nil, nil
}

// maxListBytes bounds a .txt list of frames: a million frames of long names.
const maxListBytes = 256 << 20

// readFrameList reads a .txt list of frames.
func readFrameList(list string) ([]string, error) {
	f, err := os.Open(list)
	if err != nil {
		return nil, fmt.Errorf("--content: %w", err)
	}
	defer f.Close()
	var frames []string
	sc := bufio.NewScanner(io.LimitReader(f, maxListBytes))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !filepath.IsAbs(line) {
			line = filepath.Join(filepath.Dir(list), line)
		}
		frames = append(frames, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--content list %q: %w", list, err)
	}
	if len(frames) == 0 {
		return nil, usagef("--content list %q names no pictures", list)
	}
	return frames, nil
}

// batchPlan checks a batch's flags and names its outputs; nil when --content is one picture.
// With --init previous the first frame starts from its content.
func (s *settings) batchPlan(pics *pictures) (*batchPlan, error) {
	frames, err := listFrames(s.content)
	if frames == nil {
		if err == nil && s.init == initPrevious {
			err = usagef("--init previous needs a batch of frames: --content a folder or a .txt list")
		}
		return nil, err
	}
	for _, f := range []struct {
		flag string
		set  bool
	}{{"--checkpoint", s.checkpoint != ""}, {"--resume", s.resume != ""}, {"--save-every", s.saveEvery > 0},
		{"--preview", s.preview != ""}, {"--report", s.report != ""}, {"--scales", len(s.scales) > 0}} {
		if f.set {
			return nil, usagef("%s is for one picture, not a batch of frames (--content %s); a batch resumes by "+
				"skipping the frames it wrote", f.flag, s.content)
		}
	}
	if fi, err := os.Stat(s.out); (err == nil && !fi.IsDir()) || (err != nil && filepath.Ext(s.out) != "") {
		kind := "a directory"
		if strings.EqualFold(filepath.Ext(s.content), ".txt") {
			kind = "a .txt list"
		}
		return nil, usagef("--content %q is %s of frames, so --out must be a folder, not the file %q", s.content, kind, s.out)
	}
	b := &batchPlan{outDir: s.out, initPrevious: s.init == initPrevious}
	if b.initPrevious {
		pics.init, pics.initFile = nst.InitContent, ""
	}
	from := map[string]string{} // output → the frame written to it
	for _, in := range frames {
		out := filepath.Join(s.out, strings.TrimSuffix(filepath.Base(in), filepath.Ext(in))+".png")
		if other, ok := from[out]; ok {
			return nil, usagef("the frames %q and %q would both be written to %q: rename one", other, in, out)
		}
		from[out] = in
		b.frames = append(b.frames, frame{in, out})
	}
	return b, nil
}

// checkBatchOutputs makes --out's folder if needed and checks that a picture can be written
// there, and that no output is one of the inputs (a frame, a style, --init's picture or the
// weights; compared as files, so links count), before anything is read or computed.
func checkBatchOutputs(p *plan) error {
	b := p.batch
	if err := os.MkdirAll(b.outDir, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	if err := images.CheckWritable(b.frames[0].out); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	var inputs []os.FileInfo // only a file that exists can be overwritten
	var names []string
	for _, in := range p.inputFiles() {
		if fi, err := os.Stat(in); err == nil {
			inputs, names = append(inputs, fi), append(names, in)
		}
	}
	for _, f := range b.frames {
		if fi, err := os.Stat(f.in); err == nil {
			inputs, names = append(inputs, fi), append(names, f.in)
		}
	}
	for _, f := range b.frames {
		fi, err := os.Stat(f.out)
		if err != nil {
			continue
		}
		if fi.IsDir() {
			return usagef("the output %q of the frame %q is a folder", f.out, f.in)
		}
		for i, in := range inputs {
			if os.SameFile(fi, in) {
				return usagef("the output %q of the frame %q is the input %q: it would be overwritten; give --out another folder",
					f.out, f.in, names[i])
			}
		}
	}
	return nil
}

// batchRun is a batch in progress: what every frame shares.
type batchRun struct {
	p      *plan
	model  *nst.Model
	styles []image.Image // the style pictures (scale control's, made once, if asked for)
	// control holds --style-mask's and --style-guide's pictures, applied to every frame.
	control job
	init    image.Image // --init's picture, if a file
	digest  string      // of the settings, styles, --init's picture and weights (batchDigest)
	bar     *progress
	stdout  io.Writer
	size    image.Point // the frames' size at --size: the first frame's
	prev    string      // the previous frame's output, for --init previous; "" after a failure
}

// runBatch stylizes the plan's frames one after the other. A frame that fails is reported
// and the batch goes on; the error at the end names them. Ctrl-C stops at once, leaving the
// frame in progress unwritten.
func runBatch(ctx context.Context, p *plan, stdout, stderr io.Writer) error {
	b := p.batch
	bt, err := newBatchRun(ctx, p, stdout, stderr)
	if err != nil {
		return err
	}
	removeStaleBatchTemporaries(b)
	bt.bar = newProgress(p, stderr)
	var failed []string
	written, skipped := 0, 0
	for k, f := range b.frames {
		bt.bar.frame(k, len(b.frames), p.optimizer.iters)
		done, err := bt.frame(ctx, f)
		switch {
		case ctx.Err() != nil:
			bt.bar.finish()
			return fmt.Errorf("interrupted at frame %d of %d (%s), with %d written and %d already done; run the same "+
				"command again to go on: the frames done are skipped: %w", k+1, len(b.frames), f.in, written, skipped, ctx.Err())
		case err != nil:
			bt.bar.clear()
			fmt.Fprintf(stderr, "estil: frame %d of %d, %s: %s\n", k+1, len(b.frames), f.in, oneLine(err))
			failed = append(failed, filepath.Base(f.in))
			bt.prev = "" // the next frame starts from its content
		case done:
			written++
		default:
			skipped++
		}
	}
	bt.bar.finish()
	fmt.Fprintf(stdout, "batch: %d frames written, %d already done, %d failed, in %s\n", written, skipped, len(failed), b.outDir)
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d frames failed: %s", len(failed), len(b.frames), strings.Join(failed, ", "))
	}
	return nil
}

// newBatchRun reads what every frame of the batch shares (the style pictures, spatial and
// scale control's pictures, --init's picture), opens the network, makes scale control's style
// picture once, and computes the batch's digest.
func newBatchRun(ctx context.Context, p *plan, stdout, stderr io.Writer) (*batchRun, error) {
	bt := &batchRun{p: p, stdout: stdout}
	err := unlessCancelled(ctx, func() (err error) {
		for _, path := range p.pictures.styles {
			img, err := images.Load(path, p.pictures.pixelLimit())
			if err != nil {
				return err
			}
			bt.styles = append(bt.styles, img)
		}
		// Spatial and scale control's pictures, read and checked once, masks against the first
		// frame (a batch's frames have one size).
		bt.control = job{styles: bt.styles}
		if bt.control.content, err = images.Load(p.batch.frames[0].in, p.pictures.pixelLimit()); err != nil {
			return err
		}
		if err := loadControl(p, &bt.control); err != nil {
			return err
		}
		bt.init, err = loadInit(p)
		return err
	})
	if err != nil {
		return nil, err
	}
	if bt.model, err = openModel(ctx, p.model, stderr, ""); err != nil {
		return nil, err
	}
	// Scale control makes the batch's one style picture, once.
	if bt.control, err = withScaleControl(ctx, bt.model, p, bt.control, stderr); err != nil {
		return nil, err
	}
	bt.styles, bt.control.content = bt.control.styles, nil
	if bt.digest, err = batchDigest(p, bt.model); err != nil {
		return nil, err
	}
	return bt, nil
}

// frame stylizes one frame into f.out, or skips it (done false) if f.out is already its result.
func (bt *batchRun) frame(ctx context.Context, f frame) (done bool, err error) {
	p := bt.p
	digest, err := frameDigest(bt.digest, f.in)
	if err != nil {
		return false, err
	}
	if note, err := images.PNGText(f.out, batchKey, maxOutputBytes); err == nil && note == digest {
		if bt.size == (image.Point{}) {
			bt.size, err = pngSize(f.out)
		}
		bt.prev = f.out
		bt.bar.clear()
		fmt.Fprintf(bt.stdout, "%s: already done, skipped\n", f.out)
		return false, err
	}
	start, compiled := time.Now(), bt.model.Compilations()
	j := job{styles: bt.styles, masks: bt.control.masks, guides: bt.control.guides, initImage: bt.init, description: f.in}
	if j.content, err = images.Load(f.in, p.pictures.pixelLimit()); err != nil {
		return false, err
	}
	if p.batch.initPrevious && bt.prev != "" {
		if j.initImage, err = images.Load(bt.prev, p.pictures.pixelLimit()); err != nil {
			return false, fmt.Errorf("--init previous: %w", err)
		}
	}
	content, styles, err := jobPictures(p, j)
	if err != nil {
		return false, err
	}
	if size := content.Bounds().Size(); bt.size == (image.Point{}) {
		bt.size = size
	} else if size != bt.size {
		return false, fmt.Errorf("it is %d×%d at --size %d, the batch's frames %d×%d (its first's): a batch is of one size, "+
			"compiled once", size.X, size.Y, p.size(), bt.size.X, bt.size.Y)
	}
	t := newTransfer(bt.model, p, j, content)
	if j.initImage != nil && p.batch.initPrevious {
		t.Init = "" // from t.InitImage, the previous result
	}
	t.OnEvaluation = func(e nst.Evaluation) error { bt.bar.update(e); return nil }
	result, err := t.Run(ctx, networkContent(p, content), styles)
	if err != nil {
		return false, err
	}
	if err := images.SavePNGText(f.out, applyColorControl(p, content, result.Image), batchKey, digest); err != nil {
		return false, err
	}
	bt.prev = f.out
	bt.bar.clear()
	fmt.Fprintf(bt.stdout, "wrote %s (%d×%d, %d iterations, loss %.4g, %s, compiled %d graphs)\n", f.out, bt.size.X, bt.size.Y,
		result.Iterations, result.Loss, roundDuration(time.Since(start).Seconds()), bt.model.Compilations()-compiled)
	return true, nil
}

// maxOutputBytes bounds the output PNG read back to check a frame: a picture of MaxImageSide²
// pixels stored uncompressed, and room for its chunks.
const maxOutputBytes = 4*nst.MaxImageSide*nst.MaxImageSide + 1<<20

// pngSize is the size of the PNG picture at path, from its header.
func pngSize(path string) (image.Point, error) {
	f, err := os.Open(path)
	if err != nil {
		return image.Point{}, err
	}
	defer f.Close()
	c, err := png.DecodeConfig(f)
	if err != nil {
		return image.Point{}, fmt.Errorf("%q: %w", path, err)
	}
	return image.Pt(c.Width, c.Height), nil
}

// batchDigest is the digest of what every frame's result depends on besides the frame: the
// settings, the style pictures' and --init picture's files, and the weights. A resumed batch
// redoes a frame made with anything else.
func batchDigest(p *plan, m *nst.Model) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "estil batch 1\nscales %v\nloss %+v\noptimizer %+v\nstyle sizing %+v\nblend %v\ninit %q previous %v\n"+
		"color %+v\nmodel %s pooling %v weights %s\n", p.scales, p.loss, p.optimizer, p.pictures.styleSizing, p.pictures.blend,
		p.pictures.init, p.batch.initPrevious, p.color, p.model.name, p.model.pooling, m.WeightsDigest())
	for _, m := range append(slices.Clone(p.pictures.masks), p.pictures.guides...) {
		fmt.Fprintf(h, "region %v\n", m.label)
	}
	for _, path := range p.inputFiles() {
		if path == p.model.weights {
			continue // in the digest by its contents' digest (WeightsDigest) already
		}
		d, err := fileDigest(path)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "picture %s\n", d)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// frameDigest is the digest a frame's output records: the batch's and the frame file's.
func frameDigest(batch, path string) (string, error) {
	d, err := fileDigest(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(batch + "\nframe " + d))
	return hex.EncodeToString(sum[:]), nil
}

// fileDigest is the SHA-256 of a file's bytes, read in a stream.
func fileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading %q: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// removeStaleBatchTemporaries removes what batches killed while writing a frame left in --out's
// folder: atomicfile's temporaries of the batch's outputs, and nothing else.
func removeStaleBatchTemporaries(b *batchPlan) {
	ours := map[string]bool{}
	for _, f := range b.frames {
		ours[atomicfile.Target(f.out)] = true
	}
	atomicfile.RemoveStale(atomicfile.Target(b.outDir), func(dest string) bool { return ours[atomicfile.Target(dest)] })
}
