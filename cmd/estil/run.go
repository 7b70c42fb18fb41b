package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/internal/atomicfile"
	"github.com/estil-nst/estil/nst"
	"github.com/estil-nst/estil/nst/backend"
	"github.com/estil-nst/estil/optim"
)

// runTransfer loads the backend, the weights and the model, runs the plan's transfer of j, and
// writes the result (also when stopped by Ctrl-C or a non-finite loss after an iteration at
// least: then the last good image is written, and the error returned).
func runTransfer(ctx context.Context, p *plan, j job, stdout, stderr io.Writer) error {
	model, err := openModel(ctx, p.model, stderr, "")
	if err != nil {
		return err
	}
	if j, err = withScaleControl(ctx, model, p, j, stderr); err != nil {
		return err
	}
	return runTransferWith(ctx, model, p, j, stdout, stderr)
}

// withScaleControl returns j with its style picture made by scale control (--style-coarse and
// --style-fine; nst's SynthesizeStyle) at the result's size, with the plan's optimizer, --iters
// iterations, --style-weight and --gram-norm; j as it is without.
func withScaleControl(ctx context.Context, model *nst.Model, p *plan, j job, stderr io.Writer) (job, error) {
	if j.coarse == nil {
		return j, nil
	}
	coarse, err := nst.Resize(j.coarse, p.size())
	if err != nil {
		return j, fmt.Errorf("at --size %d the --style-coarse picture %w: raise --size", p.size(), err)
	}
	t := nst.NewTransfer(model)
	t.Optimizer, t.Iterations, t.LearningRate, t.LineSearch, t.Seed = p.optimizer.name, p.optimizer.iters, p.optimizer.lr, p.optimizer.strongWolfe, p.optimizer.seed
	t.Loss.StyleWeight, t.Loss.GramNorm = p.loss.StyleWeight, p.loss.GramNorm
	start := time.Now()
	res, err := t.SynthesizeStyle(ctx, coarse, j.fine)
	if err != nil {
		return j, fmt.Errorf("scale control (--style-coarse, --style-fine): %w", err)
	}
	b := res.Image.Bounds()
	fmt.Fprintf(stderr, "estil: scale control: made a %d×%d style picture with --style-coarse's structure and --style-fine's strokes (%d iterations, %s)\n",
		b.Dx(), b.Dy(), res.Iterations, roundDuration(time.Since(start).Seconds()))
	j.styles = []image.Image{res.Image}
	return j, nil
}

// runTransferWith is runTransfer with the model already open.
func runTransferWith(ctx context.Context, model *nst.Model, p *plan, j job, stdout, stderr io.Writer) error {
	removeStaleTemporaries(p)
	content, styles, err := jobPictures(p, j)
	if err != nil {
		return err
	}
	warnIfSlow(model, p, content.Bounds(), stderr)
	t := newTransfer(model, p, j, content)
	rep := newReport(p, j, model, content.Bounds(), styles)
	bar := newProgress(p, stderr)
	t.OnEvaluation = func(e nst.Evaluation) error {
		rep.add(e)
		bar.update(e)
		return nil
	}
	defer sayWhenCheckpointing(ctx, p, stderr)()
	start := time.Now()
	var result *nst.Result
	if p.coarseToFine {
		result, err = runScales(ctx, t, p, j, rep, bar, stderr)
	} else {
		result, err = t.Run(ctx, networkContent(p, content), styles)
	}
	bar.finish()
	rep.finish(result, err, time.Since(start))
	if result == nil || result.Image == nil { // nothing was computed: keep whatever was there
		return err
	}
	if err := saveResult(p, j, content, result, rep, err); err != nil {
		return err
	}
	sayDone(stdout, p, content.Bounds(), result, time.Since(start))
	return finishCheckpoint(&p.outputs, stdout)
}

// warnIfSlow says when a run on the pure-Go backend may take more than two minutes.
func warnIfSlow(model *nst.Model, p *plan, b image.Rectangle, stderr io.Writer) {
	if !backend.IsPureGo(model.Backend) {
		return
	}
	if est := nst.EstimateSeconds(b.Dx(), b.Dy(), p.optimizer.iters, p.optimizer.name); est > 120 {
		fmt.Fprintf(stderr, "estil: on the pure-Go backend this %d×%d run of %d iterations may take about %s; "+
			"lower --size or --iters for a quicker result\n", b.Dx(), b.Dy(), p.optimizer.iters, roundDuration(est))
	}
}

// sayWhenCheckpointing says, on Ctrl-C, that the checkpoint is being written, if there is one;
// the function it returns stops watching.
func sayWhenCheckpointing(ctx context.Context, p *plan, stderr io.Writer) (stop func()) {
	if p.outputs.checkpoint == "" {
		return func() {}
	}
	running := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			fmt.Fprintf(stderr, "\nestil: finishing this iteration, then writing the checkpoint %s\n", p.outputs.checkpoint)
		case <-running:
		}
	}()
	return func() { close(running) }
}

// sayDone prints what a finished run wrote, and why it stopped early if it did.
func sayDone(stdout io.Writer, p *plan, b image.Rectangle, result *nst.Result, d time.Duration) {
	fmt.Fprintf(stdout, "wrote %s (%d×%d, %d iterations, %d evaluations, loss %.4g, %s)\n",
		p.outputs.out, b.Dx(), b.Dy(), result.Iterations, result.Evaluations, result.Loss, roundDuration(d.Seconds()))
	switch {
	case result.Converged == optim.StopOptimalAtStart:
		fmt.Fprintln(stdout, "already optimal: the loss's gradient is 0 at the starting picture, so L-BFGS had nothing to do "+
			"(is the content also the style, or --style-weight 0 from the content?)")
	case result.Converged != "":
		fmt.Fprintf(stdout, "L-BFGS converged before --iters: %s\n", result.Converged)
	}
}

// finishCheckpoint removes a finished run's checkpoint, which at 512 px is about 470 MB, unless
// --keep-checkpoint asked to keep it (it then holds the finished state, for --resume with more
// --iters). Through a link, the file it points to is removed, and the link, the user's, stays.
func finishCheckpoint(o *outputs, stdout io.Writer) error {
	if o.checkpoint == "" {
		return nil
	}
	if o.keepCheckpoint {
		fmt.Fprintf(stdout, "kept the checkpoint %s: --resume it with a larger --iters to go on\n", o.checkpoint)
		return nil
	}
	if err := os.Remove(atomicfile.Target(o.checkpoint)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("the run is done, but its checkpoint could not be removed: %w", err)
	}
	return nil
}

// jobPictures returns the content and the styles at the sizes the run uses.
func jobPictures(p *plan, j job) (image.Image, []nst.Style, error) {
	content, err := nst.Resize(j.content, p.size())
	if err != nil {
		return nil, nil, fmt.Errorf("at --size %d the content image %w: raise --size", p.size(), err)
	}
	var styles []nst.Style
	for i, img := range j.styles {
		st, err := p.pictures.styleSizing.Size(img, content.Bounds().Dx(), content.Bounds().Dy())
		if err != nil {
			return nil, nil, fmt.Errorf("style image %d %w: change --style-scale or --size", i+1, err)
		}
		if st, err = images.MatchColors(st, content, p.color.match); err != nil { // --color-match
			return nil, nil, fmt.Errorf("style image %d: %w", i+1, err)
		}
		st = networkStyle(p, st, content) // --color-control luminance
		styles = append(styles, withMasks(nst.Style{Image: st, Weight: p.pictures.styleWeight(i)}, j, i, content.Bounds()))
	}
	return content, styles, nil
}

// withMasks is style i of j with its --style-mask resized to the content's size (bounds) and its
// --style-guide to its picture's, if they were given.
func withMasks(s nst.Style, j job, i int, content image.Rectangle) nst.Style {
	if j.masks != nil {
		s.Mask = nst.ResizeMask(j.masks[i], content.Dx(), content.Dy())
	}
	if j.guides != nil {
		s.Guide = nst.ResizeMask(j.guides[i], s.Image.Bounds().Dx(), s.Image.Bounds().Dy())
	}
	return s
}

// styleWeight is style i's weight in the blend.
func (pics *pictures) styleWeight(i int) float64 {
	if pics.blend == nil {
		return 1
	}
	return pics.blend[i]
}

// newTransfer sets up the plan's transfer, with --save-every's pictures, --preview,
// --checkpoint's checkpoints and --resume's state.
func newTransfer(model *nst.Model, p *plan, j job, content image.Image) *nst.Transfer {
	o := &p.outputs
	t := nst.NewTransfer(model)
	t.Loss, t.Optimizer, t.Iterations, t.LearningRate, t.Seed = p.loss, p.optimizer.name, p.optimizer.iters, p.optimizer.lr, p.optimizer.seed
	t.LineSearch = p.optimizer.strongWolfe
	t.Init, t.InitImage = p.pictures.init, networkContent(p, j.initImage)
	if t.SnapshotEvery = o.snapshotEvery(); t.SnapshotEvery > 0 {
		t.Snapshot = func(iteration int, img image.Image) error {
			img = applyColorControl(p, content, img)
			if o.saveEvery > 0 && iteration%o.saveEvery == 0 {
				if err := images.SavePNG(checkpointPath(o.out, iteration), img); err != nil {
					return err
				}
			}
			if o.preview != "" && iteration%o.previewEvery == 0 {
				return images.SavePNG(o.preview, img)
			}
			return nil
		}
	}
	if o.checkpoint != "" {
		t.SaveEvery, t.SaveAtEnd = o.checkpointEvery, o.keepCheckpoint
		t.Save = func(c *nst.Checkpoint) error { return nst.SaveCheckpoint(o.checkpoint, c) }
	}
	t.Resume = j.resumed
	return t
}

// snapshotEvery is how often the transfer hands out its picture, for --save-every's pictures
// and --preview: every iteration that either of them wants, that is every --save-every
// iterations, every --preview-every, or, with both, every greatest common divisor of the two.
// 0: neither wants any.
func (o *outputs) snapshotEvery() int {
	switch {
	case o.saveEvery > 0 && o.preview != "":
		return gcd(o.saveEvery, o.previewEvery)
	case o.saveEvery > 0:
		return o.saveEvery
	case o.preview != "":
		return o.previewEvery
	}
	return 0
}

// saveResult writes the result (even after an error or Ctrl-C: the last good image) and the
// report, and says how the run ended. When the run stopped before its first iteration, its
// picture is only where it started (the content, or the checkpoint's picture): nothing is written
// then, and an existing --out stays as it was.
func saveResult(p *plan, j job, content image.Image, result *nst.Result, rep *report, runErr error) error {
	o := &p.outputs
	if runErr != nil && result.Iterations <= iterationsBefore(j.resumed) {
		return notWritten(o, runErr)
	}
	final := applyColorControl(p, content, result.Image)
	if err := images.SavePNG(o.out, final); err != nil {
		return afterRun(runErr, err)
	}
	if o.preview != "" { // the preview ends on the result
		if err := images.SavePNG(o.preview, final); err != nil {
			return afterRun(runErr, err)
		}
	}
	if o.report != "" {
		if err := rep.write(o.report); err != nil {
			return afterRun(runErr, err)
		}
	}
	switch {
	case errors.Is(runErr, context.Canceled) && o.checkpoint != "":
		return fmt.Errorf("interrupted after %d iterations; wrote the current image to %s and the checkpoint %s: continue with the same flags and --resume %s: %w",
			result.Iterations, o.out, o.checkpoint, o.checkpoint, context.Canceled)
	case errors.Is(runErr, context.Canceled):
		return fmt.Errorf("interrupted after %d iterations; wrote the current image to %s: %w", result.Iterations, o.out, context.Canceled)
	case runErr != nil:
		return fmt.Errorf("%v; wrote it to %s", runErr, o.out)
	}
	return nil
}

// notWritten says how a run that stopped before its first iteration ended. (With --checkpoint a
// Ctrl-C lets the iteration end: there is always one.)
func notWritten(o *outputs, runErr error) error {
	if errors.Is(runErr, context.Canceled) {
		return fmt.Errorf("interrupted before the first iteration ended; left %s as it was: %w", o.out, context.Canceled)
	}
	return fmt.Errorf("%w; no iteration ran: left %s as it was", runErr, o.out)
}

// afterRun is the error of a write that failed after the run ended with runErr (maybe nil): one
// line, both wrapped.
func afterRun(runErr, writeErr error) error {
	if runErr == nil {
		return writeErr
	}
	return fmt.Errorf("%w; then %w", runErr, writeErr)
}

// iterationsBefore is the iteration count the run starts from: 0, or the resumed checkpoint's
// (with --scales, those of the scales before its own included, as the result counts them).
func iterationsBefore(resumed *nst.Checkpoint) int {
	if resumed == nil {
		return 0
	}
	return resumed.Before.Iterations + resumed.Iterations
}

// openModel opens the backend and the network (nst.LoadModel), saying loudly when the weights
// are random. If offlineFallback names a command (demo, explain) and the default weights cannot
// be downloaded, that command goes on with random weights, saying so: a run with a random
// network still shows the method. stylize never does that.
func openModel(ctx context.Context, m modelPlan, stderr io.Writer, offlineFallback string) (*nst.Model, error) {
	o := nst.LoadOptions{Model: m.name, Weights: m.weights, Seed: int64(m.seed), Backend: m.backend, Notice: stderr}
	if offlineFallback != "" {
		o.OfflineFallback = func(err error) {
			fmt.Fprintf(stderr, "estil: %s\n", oneLine(err))
			fmt.Fprintf(stderr, "estil %s: going on with random weights instead (pass --weights PATH to use a downloaded file)\n", offlineFallback)
		}
	}
	var model *nst.Model
	if err := unlessCancelled(ctx, func() (err error) { model, err = nst.LoadModel(ctx, o); return err }); err != nil {
		return nil, err
	}
	model.Pooling = m.pooling
	return model, nil
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// applyColorControl turns the network's picture into the one written, by --color-control: with
// original-colors the result's chroma is swapped for the content's (neural-style's post-hoc
// -original_colors); with luminance the content's I and Q are put back on the luminance the
// network made (Gatys et al.'s last step, the same arithmetic). content is the colour content.
func applyColorControl(p *plan, content, img image.Image) image.Image {
	switch p.color.control {
	case images.ColorControlOriginalColors:
		return images.OriginalColors(content, img)
	case images.ColorControlLuminance:
		return images.PutChroma(content, img)
	}
	return img
}

// networkContent returns what the network is given for the content (or --init's picture): the
// picture itself, or, with --color-control luminance, its luminance, gray in all three channels
// (Gatys et al. 2017, §5.1). nil stays nil.
func networkContent(p *plan, content image.Image) image.Image {
	if p.color.control != images.ColorControlLuminance || content == nil {
		return content
	}
	return images.Luminance(content)
}

// networkStyle is networkContent for a style picture: with --color-control luminance, its
// luminance matched to the mean and variance of content's (the colour content's).
func networkStyle(p *plan, style, content image.Image) image.Image {
	if p.color.control != images.ColorControlLuminance {
		return style
	}
	return images.MatchLuminance(style, content)
}

// checkpointPath is OUT-N.png for OUT.png.
func checkpointPath(out string, iteration int) string {
	ext := filepath.Ext(out)
	return fmt.Sprintf("%s-%d%s", strings.TrimSuffix(out, ext), iteration, ext)
}

// checkWritableFile checks that a non-image file (the report) can be written: in the folder of
// the file atomicfile.Write replaces, which for a link is the folder of its target.
func checkWritableFile(path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%q is a directory", path)
	}
	if err := atomicfile.CheckWritable(path); err != nil {
		return fmt.Errorf("cannot write in the directory of %q: %v", path, err)
	}
	return nil
}

// roundDuration is a number of seconds as a duration to the second, "1m5s": every time estil
// prints.
func roundDuration(seconds float64) string {
	return time.Duration(seconds * float64(time.Second)).Round(time.Second).String()
}

// progress shows a bar of iterations with the loss, it/s and the ETA: of the whole batch, for
// a batch of frames.
type progress struct {
	bar    *progressbar.ProgressBar
	last   int
	offset int    // iterations of the scales (--scales) or frames (a batch) already done
	prefix string // "frame 2/9 ": which frame of a batch runs
}

func newProgress(p *plan, stderr io.Writer) *progress {
	if p.outputs.quiet {
		return &progress{}
	}
	return &progress{bar: progressbar.NewOptions(p.optimizer.iters*len(p.scales)*p.frames(),
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription("starting"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("it"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetWidth(24),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(stderr) }),
	)}
}

func (p *progress) update(e nst.Evaluation) {
	if p.bar == nil {
		return
	}
	p.bar.Describe(fmt.Sprintf("%sloss %.4g", p.prefix, e.Total))
	if it := p.offset + e.Iteration; it > p.last {
		_ = p.bar.Add(it - p.last)
		p.last = it
	}
}

// frame starts frame k of n, of iters iterations each: the bar moves to its start, past the
// iterations that frames done before, skipped or converged early, did not use.
func (p *progress) frame(k, n, iters int) {
	p.offset, p.prefix = k*iters, fmt.Sprintf("frame %d/%d ", k+1, n)
	if p.bar == nil {
		return
	}
	if p.offset > p.last {
		_ = p.bar.Add(p.offset - p.last)
		p.last = p.offset
	}
	p.bar.Describe(strings.TrimSpace(p.prefix))
}

// clear rubs the bar out, so that a line can be printed; the next update draws it again.
func (p *progress) clear() {
	if p.bar != nil {
		_ = p.bar.Clear()
	}
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Exit()
	}
}
