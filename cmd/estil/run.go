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

// runTransfer loads the backend, the weights and the model, runs the transfer of j with the
// settings s, and writes the result (also when stopped by Ctrl-C or a non-finite loss after an
// iteration at least: then the last good image is written, and the error returned).
func runTransfer(ctx context.Context, s *settings, j job, stdout, stderr io.Writer) error {
	model, err := openModel(ctx, s, stderr, "")
	if err != nil {
		return err
	}
	return runTransferWith(ctx, model, s, j, stdout, stderr)
}

// runTransferWith is runTransfer with the model already open.
func runTransferWith(ctx context.Context, model *nst.Model, s *settings, j job, stdout, stderr io.Writer) error {
	if n := len(s.scaleList); n > 0 {
		s.size = s.scaleList[n-1] // with --scales the last scale is the size (even if demo picked another)
	}
	s.removeStaleTemporaries()
	content, styles, err := jobPictures(s, j)
	if err != nil {
		return err
	}
	cw, ch := content.Bounds().Dx(), content.Bounds().Dy()
	t := newTransfer(model, s, j, content)
	if backend.IsPureGo(model.Backend) {
		if est := nst.EstimateSeconds(cw, ch, s.iters, s.optimizer); est > 120 {
			fmt.Fprintf(stderr, "estil: on the pure-Go backend this %d×%d run of %d iterations may take about %s; "+
				"lower --size or --iters for a quicker result\n", cw, ch, s.iters, roundDuration(est))
		}
	}

	rep := newReport(s, j, model, cw, ch, styles)
	bar := newProgress(s, stderr)
	start := time.Now()
	t.OnEvaluation = func(e nst.Evaluation) error {
		rep.add(e)
		bar.update(e)
		return nil
	}
	if s.checkpoint != "" {
		running := make(chan struct{})
		defer close(running)
		go func() {
			select {
			case <-ctx.Done():
				fmt.Fprintf(stderr, "\nestil: finishing this iteration, then writing the checkpoint %s\n", s.checkpoint)
			case <-running:
			}
		}()
	}
	var result *nst.Result
	var runErr error
	if len(s.scaleList) > 0 {
		result, runErr = runScales(ctx, t, s, j, rep, bar, stderr)
	} else {
		result, runErr = t.Run(ctx, networkContent(s, content), styles)
	}
	bar.finish()
	rep.finish(result, runErr, time.Since(start))
	if result == nil || result.Image == nil { // nothing was computed: keep whatever was there
		return runErr
	}
	if err := saveResult(s, content, result, rep, runErr); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%d×%d, %d iterations, %d evaluations, loss %.4g, %s)\n",
		s.out, cw, ch, result.Iterations, result.Evaluations, result.Loss, roundDuration(time.Since(start).Seconds()))
	switch {
	case result.Converged == optim.StopOptimalAtStart:
		fmt.Fprintln(stdout, "already optimal: the loss's gradient is 0 at the starting picture, so L-BFGS had nothing to do "+
			"(is the content also the style, or --style-weight 0 from the content?)")
	case result.Converged != "":
		fmt.Fprintf(stdout, "L-BFGS converged before --iters: %s\n", result.Converged)
	}
	return finishCheckpoint(s, stdout)
}

// finishCheckpoint removes a finished run's checkpoint, which at 512 px is about 470 MB, unless
// --keep-checkpoint asked to keep it (it then holds the finished state, for --resume with more
// --iters). Through a link, the file it points to is removed, and the link, the user's, stays.
func finishCheckpoint(s *settings, stdout io.Writer) error {
	if s.checkpoint == "" {
		return nil
	}
	if s.keepCkpt {
		fmt.Fprintf(stdout, "kept the checkpoint %s: --resume it with a larger --iters to go on\n", s.checkpoint)
		return nil
	}
	if err := os.Remove(atomicfile.Target(s.checkpoint)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("the run is done, but its checkpoint could not be removed: %w", err)
	}
	return nil
}

// jobPictures returns the content and the styles at the sizes the run uses.
func jobPictures(s *settings, j job) (image.Image, []nst.Style, error) {
	content, err := nst.Resize(j.content, s.size)
	if err != nil {
		return nil, nil, fmt.Errorf("at --size %d the content image %w: raise --size", s.size, err)
	}
	var styles []nst.Style
	for i, img := range j.styles {
		w := 1.0
		if j.blend != nil {
			w = j.blend[i]
		}
		st, err := j.styleSizing.Size(img, content.Bounds().Dx(), content.Bounds().Dy())
		if err != nil {
			return nil, nil, fmt.Errorf("style image %d %w: change --style-scale or --size", i+1, err)
		}
		if st, err = images.MatchColors(st, content, s.colorMethod); err != nil { // --color-match
			return nil, nil, fmt.Errorf("style image %d: %w", i+1, err)
		}
		st = networkStyle(s, st, content) // --color-control luminance
		styles = append(styles, nst.Style{Image: st, Weight: w})
	}
	return content, styles, nil
}

// newTransfer sets up the transfer the flags ask for, with --save-every's pictures, --checkpoint's
// checkpoints and --resume's state.
func newTransfer(model *nst.Model, s *settings, j job, content image.Image) *nst.Transfer {
	loss, _ := s.loss() // checked by s.check
	t := nst.NewTransfer(model)
	t.Loss, t.Optimizer, t.Iterations, t.LearningRate, t.Seed = loss, s.optimizer, s.iters, s.lr, s.seed
	t.LineSearch = s.lineSearch == "strong_wolfe"
	t.Init, t.InitImage = nst.Init(s.init), networkContent(s, j.initImage)
	if j.initImage != nil {
		t.Init = ""
	}
	// --save-every's pictures and --preview share the transfer's snapshots: every gcd of the two.
	if s.saveEvery > 0 || s.preview != "" {
		t.SnapshotEvery = gcd(s.saveEvery, s.previewEvery*btoi(s.preview != ""))
		t.Snapshot = func(iteration int, img image.Image) error {
			img = applyColorControl(s, content, img)
			if s.saveEvery > 0 && iteration%s.saveEvery == 0 {
				if err := images.SavePNG(checkpointPath(s.out, iteration), img); err != nil {
					return err
				}
			}
			if s.preview != "" && iteration%s.previewEvery == 0 {
				return images.SavePNG(s.preview, img)
			}
			return nil
		}
	}
	if s.checkpoint != "" {
		t.SaveEvery, t.SaveAtEnd = s.ckptEvery, s.keepCkpt
		t.Save = func(c *nst.Checkpoint) error { return nst.SaveCheckpoint(s.checkpoint, c) }
	}
	t.Resume = s.resumed
	return t
}

// saveResult writes the result (even after an error or Ctrl-C: the last good image) and the
// report, and says how the run ended. When the run stopped before its first iteration, its
// picture is only where it started (the content, or the checkpoint's picture): nothing is written
// then, and an existing --out stays as it was.
func saveResult(s *settings, content image.Image, result *nst.Result, rep *report, runErr error) error {
	if runErr != nil && result.Iterations <= s.iterationsBefore() {
		return notWritten(s, runErr)
	}
	final := applyColorControl(s, content, result.Image)
	if err := images.SavePNG(s.out, final); err != nil {
		return afterRun(runErr, err)
	}
	if s.preview != "" { // the preview ends on the result
		if err := images.SavePNG(s.preview, final); err != nil {
			return afterRun(runErr, err)
		}
	}
	if s.report != "" {
		if err := rep.write(s.report); err != nil {
			return afterRun(runErr, err)
		}
	}
	switch {
	case errors.Is(runErr, context.Canceled) && s.checkpoint != "":
		return fmt.Errorf("interrupted after %d iterations; wrote the current image to %s and the checkpoint %s: continue with the same flags and --resume %s: %w",
			result.Iterations, s.out, s.checkpoint, s.checkpoint, context.Canceled)
	case errors.Is(runErr, context.Canceled):
		return fmt.Errorf("interrupted after %d iterations; wrote the current image to %s: %w", result.Iterations, s.out, context.Canceled)
	case runErr != nil:
		return fmt.Errorf("%v; wrote it to %s", runErr, s.out)
	}
	return nil
}

// notWritten says how a run that stopped before its first iteration ended. (With --checkpoint a
// Ctrl-C lets the iteration end: there is always one.)
func notWritten(s *settings, runErr error) error {
	if errors.Is(runErr, context.Canceled) {
		return fmt.Errorf("interrupted before the first iteration ended; left %s as it was: %w", s.out, context.Canceled)
	}
	return fmt.Errorf("%w; no iteration ran: left %s as it was", runErr, s.out)
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
func (s *settings) iterationsBefore() int {
	if s.resumed == nil {
		return 0
	}
	return s.resumed.Before.Iterations + s.resumed.Iterations
}

// openModel opens the backend and VGG19 (nst.LoadModel), saying loudly when the weights are
// random. If offlineFallback names a command (demo, explain) and the default weights cannot be
// downloaded, that command goes on with random weights, saying so: a run with a random network
// still shows the method. stylize never does that.
func openModel(ctx context.Context, s *settings, stderr io.Writer, offlineFallback string) (*nst.Model, error) {
	o := nst.LoadOptions{Model: s.model, Weights: s.weights, Seed: int64(s.seed), Backend: s.backend, Notice: stderr}
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
	if s.pooling == "avg" {
		model.Pooling = nst.AveragePooling
	}
	return model, nil
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// applyColorControl turns the network's picture into the one written, by --color-control: with
// original-colors the result's chroma is swapped for the content's (neural-style's post-hoc
// -original_colors); with luminance the content's I and Q are put back on the luminance the
// network made (Gatys et al.'s last step, the same arithmetic). content is the colour content.
func applyColorControl(s *settings, content, img image.Image) image.Image {
	switch s.colorCtl {
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
func networkContent(s *settings, content image.Image) image.Image {
	if s.colorCtl != images.ColorControlLuminance || content == nil {
		return content
	}
	return images.Luminance(content)
}

// networkStyle is networkContent for a style picture: with --color-control luminance, its
// luminance matched to the mean and variance of content's (the colour content's).
func networkStyle(s *settings, style, content image.Image) image.Image {
	if s.colorCtl != images.ColorControlLuminance {
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
	f, err := os.CreateTemp(filepath.Dir(atomicfile.Target(path)), ".estil-check-*")
	if err != nil {
		return fmt.Errorf("cannot write in the directory of %q: %v", path, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

func roundDuration(seconds float64) string {
	return time.Duration(seconds * float64(time.Second)).Round(time.Second).String()
}

// progress shows a bar of iterations with the loss, it/s and the ETA.
type progress struct {
	bar    *progressbar.ProgressBar
	last   int
	offset int // iterations of the scales already done (--scales)
}

func newProgress(s *settings, stderr io.Writer) *progress {
	if s.quiet {
		return &progress{}
	}
	return &progress{bar: progressbar.NewOptions(s.iters*max(1, len(s.scaleList)),
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
	p.bar.Describe(fmt.Sprintf("loss %.4g", e.Total))
	if it := p.offset + e.Iteration; it > p.last {
		_ = p.bar.Add(it - p.last)
		p.last = it
	}
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Exit()
	}
}
