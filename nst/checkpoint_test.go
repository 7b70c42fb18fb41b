package nst

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/internal/rss"
	"github.com/estil-nst/estil/optim"
)

// checkpointRun is one run of a small transfer that writes a checkpoint file every 4
// iterations (each to its own file, so that the test can resume from any of them).
type checkpointRun struct {
	t          *testing.T
	model      *Model
	optimizer  optim.Name
	lineSearch bool
	scales     []int
	dir        string
	saved      []string // checkpoint files, in order
}

func (r *checkpointRun) transfer() *Transfer {
	tr := NewTransfer(r.model)
	tr.Optimizer, tr.LineSearch, tr.Iterations = r.optimizer, r.lineSearch, 10
	tr.SaveEvery = 4
	tr.Save = func(c *Checkpoint) error {
		path := filepath.Join(r.dir, fmt.Sprintf("ck-%02d.safetensors", len(r.saved)))
		r.saved = append(r.saved, path)
		return SaveCheckpoint(path, c)
	}
	return tr
}

var (
	checkpointContent = grainy(images.Lighthouse(40, 32), 1)
	checkpointStyles  = []Style{{Image: images.Swirls(32, 32), Weight: 1}}
)

func (r *checkpointRun) run(ctx context.Context, tr *Transfer) (*Result, error) {
	if r.scales != nil {
		return tr.RunScales(ctx, checkpointContent, checkpointStyles, r.scales, StyleSizing{}, nil)
	}
	return tr.Run(ctx, checkpointContent, checkpointStyles)
}

// resume continues from the checkpoint file path and returns the final picture.
func (r *checkpointRun) resume(path string) (*Result, error) {
	c, err := LoadCheckpoint(path)
	if err != nil {
		r.t.Fatal(err)
	}
	tr := r.transfer()
	tr.Resume = c
	return r.run(context.Background(), tr)
}

func pixels(img image.Image) []float32 {
	data, _, _ := images.ToHWC(img)
	return data
}

// TestResumeEndsOnTheUninterruptedImage: for each optimizer, a run that writes checkpoints, then
// a resume from each checkpoint and from a Ctrl-C in the middle of an iteration; every resumed
// run ends on the uninterrupted run's picture, pixel for pixel, with the same counts.
func TestResumeEndsOnTheUninterruptedImage(t *testing.T) {
	model := tinyModel(t, NativeLowering)
	cases := []checkpointRun{
		{optimizer: optim.LBFGSName, lineSearch: true},
		{optimizer: optim.LBFGSName, lineSearch: false},
		{optimizer: optim.AdamName},
		{optimizer: optim.LBFGSName, lineSearch: true, scales: []int{24, 40}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/wolfe=%v/scales=%v", c.optimizer, c.lineSearch, c.scales), func(t *testing.T) {
			r := c
			r.t, r.model, r.dir = t, model, t.TempDir()
			want, err := r.run(context.Background(), r.transfer())
			if err != nil {
				t.Fatal(err)
			}
			if len(r.saved) < 2 {
				t.Fatalf("%d checkpoints written, want at least 2", len(r.saved))
			}
			if r.scales != nil { // resumes inside the second scale too
				if c, err := LoadCheckpoint(r.saved[len(r.saved)-1]); err != nil || c.Scale != 1 || c.Before.Iterations != 10 {
					t.Fatalf("last checkpoint of the scales: %+v, %v; want scale index 1 after 10 iterations", c, err)
				}
			}
			check := func(what string, got *Result, err error) {
				t.Helper()
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				if !slices.Equal(pixels(got.Image), pixels(want.Image)) || got.Iterations != want.Iterations ||
					got.Evaluations != want.Evaluations || got.Loss != want.Loss {
					t.Errorf("%s: %d iterations, %d evaluations, loss %v; uninterrupted: %d, %d, %v (pictures equal: %v)",
						what, got.Iterations, got.Evaluations, got.Loss, want.Iterations, want.Evaluations, want.Loss,
						slices.Equal(pixels(got.Image), pixels(want.Image)))
				}
			}
			for _, path := range slices.Clone(r.saved) {
				res, err := r.resume(path)
				check("resumed from "+filepath.Base(path), res, err)
			}

			// Ctrl-C at the 7th evaluation: the run ends at the end of that iteration, with a
			// checkpoint whose Step is unfinished (L-BFGS with line search evaluates more than
			// once in some iterations).
			r.saved = nil
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			tr := r.transfer()
			tr.OnEvaluation = func(e Evaluation) error {
				if e.N == 7 {
					cancel()
				}
				return nil
			}
			if _, err := r.run(ctx, tr); !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted run: %v, want context.Canceled", err)
			}
			last := r.saved[len(r.saved)-1]
			c, err := LoadCheckpoint(last)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("Ctrl-C checkpoint: scale %d, %d iterations, %d left in its Step", c.Scale, c.Iterations, c.StepLeft)
			res, err := r.resume(last)
			check("resumed after Ctrl-C", res, err)
		})
	}
}

// TestResumeRefusesAnotherRun: a checkpoint continues only the run that wrote it.
func TestResumeRefusesAnotherRun(t *testing.T) {
	model := tinyModel(t, NativeLowering)
	r := checkpointRun{t: t, model: model, optimizer: optim.LBFGSName, lineSearch: true, dir: t.TempDir()}
	if _, err := r.run(context.Background(), r.transfer()); err != nil {
		t.Fatal(err)
	}
	c, err := LoadCheckpoint(r.saved[0])
	if err != nil {
		t.Fatal(err)
	}
	other := tinyModel(t, NativeLowering)
	other.Pooling = AveragePooling
	cases := []struct {
		name    string
		change  func(tr *Transfer) (content image.Image, styles []Style)
		message string
	}{
		{"iterations", func(tr *Transfer) (image.Image, []Style) {
			tr.Iterations = 3 // the checkpoint has done 4
			return checkpointContent, checkpointStyles
		},
			"it has done 4 iterations, more than this run's 3"},
		{"style weight", func(tr *Transfer) (image.Image, []Style) {
			tr.Loss.StyleWeight = 1
			return checkpointContent, checkpointStyles
		}, "style_weight"},
		{"content", func(tr *Transfer) (image.Image, []Style) { return images.Swirls(40, 32), checkpointStyles },
			"other pictures"},
		{"blend weight", func(tr *Transfer) (image.Image, []Style) {
			return checkpointContent, []Style{{Image: checkpointStyles[0].Image, Weight: 2}}
		}, "other pictures"},
		{"mask", func(tr *Transfer) (image.Image, []Style) {
			b := checkpointContent.Bounds()
			return checkpointContent, []Style{{Image: checkpointStyles[0].Image, Weight: 1, Mask: halfMask(b.Dx(), b.Dy(), true)}}
		}, "other pictures"},
		{"pooling", func(tr *Transfer) (image.Image, []Style) {
			tr.Model = other
			return checkpointContent, checkpointStyles
		},
			"pooling"},
	}
	for _, tc := range cases {
		tr := r.transfer()
		tr.Resume = c
		content, styles := tc.change(tr)
		_, err := tr.Run(context.Background(), content, styles)
		if err == nil || !strings.Contains(err.Error(), tc.message) {
			t.Errorf("%s changed: error %v, want one mentioning %q", tc.name, err, tc.message)
		}
	}
	// Other weights, same settings.
	layoutModel := tinyModelSeed(t, 8)
	tr := r.transfer()
	tr.Model, tr.Resume = layoutModel, c
	if _, err := tr.Run(context.Background(), checkpointContent, checkpointStyles); err == nil || !strings.Contains(err.Error(), "other network weights") {
		t.Errorf("other weights: error %v", err)
	}
}

// TestLoadCheckpointRefusesDamage: a truncated or altered checkpoint is refused with its name.
func TestLoadCheckpointRefusesDamage(t *testing.T) {
	r := checkpointRun{t: t, model: tinyModel(t, NativeLowering), optimizer: optim.LBFGSName, lineSearch: true, dir: t.TempDir()}
	if _, err := r.run(context.Background(), r.transfer()); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(r.saved[0])
	if err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string][]byte{
		"truncated": data[:len(data)/2],
		"flipped":   flipByte(data, len(data)-5),
		"empty":     nil,
	} {
		path := filepath.Join(t.TempDir(), name+".safetensors")
		if err := os.WriteFile(path, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadCheckpoint(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s checkpoint: error %v, want one naming the file", name, err)
		}
	}
}

func flipByte(data []byte, i int) []byte {
	out := slices.Clone(data)
	out[i] ^= 0x40
	return out
}

// TestResumeWithMoreIterations: a finished run saved at its end (SaveAtEnd) goes on with more
// iterations, and ends on the picture of a run that had asked for them all at once.
func TestResumeWithMoreIterations(t *testing.T) {
	model := tinyModel(t, NativeLowering)
	r := checkpointRun{t: t, model: model, optimizer: optim.LBFGSName, lineSearch: true, dir: t.TempDir()}
	tr := r.transfer()
	tr.SaveAtEnd = true
	first, err := r.run(context.Background(), tr)
	if err != nil {
		t.Fatal(err)
	}
	final := r.saved[len(r.saved)-1]
	c, err := LoadCheckpoint(final)
	if err != nil {
		t.Fatal(err)
	}
	if img := mustImage(t, model, c); c.Iterations != first.Iterations || !slices.Equal(pixels(first.Image), pixels(img)) {
		t.Fatalf("the checkpoint saved at the end holds %d iterations; the run did %d (same picture: %v)",
			c.Iterations, first.Iterations, slices.Equal(pixels(first.Image), pixels(img)))
	}

	longer := r.transfer()
	longer.Iterations = 16
	want, err := r.run(context.Background(), longer)
	if err != nil {
		t.Fatal(err)
	}
	resumed := r.transfer()
	resumed.Iterations, resumed.Resume = 16, c
	got, err := r.run(context.Background(), resumed)
	if err != nil {
		t.Fatal(err)
	}
	if got.Iterations != want.Iterations || !slices.Equal(pixels(got.Image), pixels(want.Image)) {
		t.Errorf("10 iterations resumed to 16: %d iterations, loss %v; 16 at once: %d, loss %v (pictures equal: %v)",
			got.Iterations, got.Loss, want.Iterations, want.Loss, slices.Equal(pixels(got.Image), pixels(want.Image)))
	}
}

func mustImage(t *testing.T, model *Model, c *Checkpoint) image.Image {
	t.Helper()
	tr := NewTransfer(model)
	img, err := tr.toImage(c.Image)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestAlreadyOptimalEndsAtOnce: when the starting picture's gradient is 0 (the content is the
// style, or β = 0 from the content), L-BFGS stops before its first iteration, and so does the
// run, saying why. It used to call Step again and again, each doing nothing, until Ctrl-C.
func TestAlreadyOptimalEndsAtOnce(t *testing.T) {
	model := tinyModel(t, NativeLowering)
	picture := images.Lighthouse(40, 32)
	for _, tc := range []struct {
		name   string
		style  image.Image
		change func(*Transfer)
	}{
		{"content = style", picture, func(*Transfer) {}},
		{"style weight 0", images.Swirls(40, 32), func(tr *Transfer) { tr.Loss.StyleWeight = 0 }},
		{"content = style, with checkpoints", picture, func(tr *Transfer) {
			tr.SaveEvery, tr.Save = 2, func(*Checkpoint) error { return nil }
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A run that spins never ends by itself: the deadline turns that into a failure.
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			evaluations := 0
			tr := NewTransfer(model)
			tr.Iterations = 50
			tr.OnEvaluation = func(Evaluation) error {
				evaluations++
				if evaluations > 20 {
					return errors.New("still evaluating after 20 evaluations")
				}
				return nil
			}
			tc.change(tr)
			res, err := tr.Run(ctx, picture, []Style{{Image: tc.style, Weight: 1}})
			if err != nil {
				t.Fatal(err)
			}
			if res.Converged != optim.StopOptimalAtStart || res.Iterations != 0 || res.Evaluations != 1 {
				t.Errorf("stopped by %q after %d iterations and %d evaluations; want %q, 0 and 1",
					res.Converged, res.Iterations, res.Evaluations, optim.StopOptimalAtStart)
			}
		})
	}
}

// TestRunScalesRefusesAScalePastTheLast: a checkpoint whose scale index is past the run's scales
// is refused (every scale used to be skipped, nothing checked, and the caller got no picture).
func TestRunScalesRefusesAScalePastTheLast(t *testing.T) {
	r := checkpointRun{t: t, model: tinyModel(t, NativeLowering), optimizer: optim.LBFGSName, lineSearch: true,
		scales: []int{24, 40}, dir: t.TempDir()}
	if _, err := r.run(context.Background(), r.transfer()); err != nil {
		t.Fatal(err)
	}
	c, err := LoadCheckpoint(r.saved[len(r.saved)-1])
	if err != nil {
		t.Fatal(err)
	}
	c.Scale = 2
	tr := r.transfer()
	tr.Resume = c
	res, err := r.run(context.Background(), tr)
	if err == nil || res != nil || !strings.Contains(err.Error(), "scale 3") {
		t.Errorf("resumed at scale index 2 of 2: result %v, error %v; want no result and an error naming scale 3", res, err)
	}
}

// TestLoadCheckpointRefusesCraftedState: checkpoints with a valid digest but impossible content
// are refused when they are read, before any model is built, in one line naming the file.
func TestLoadCheckpointRefusesCraftedState(t *testing.T) {
	r := checkpointRun{t: t, model: tinyModel(t, NativeLowering), optimizer: optim.LBFGSName, lineSearch: true, dir: t.TempDir()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tr := r.transfer()
	tr.SaveEvery = 0 // one Step of 10 iterations, saved only when interrupted
	tr.OnEvaluation = func(e Evaluation) error {
		if e.N == 13 {
			cancel() // a checkpoint with (s, y) pairs and a paused Step
		}
		return nil
	}
	if _, err := r.run(ctx, tr); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	paused := r.saved[len(r.saved)-1]
	if c, err := LoadCheckpoint(paused); err != nil || c.StepLeft == 0 || c.Optimizer.Numbers["history"] < 1 {
		t.Fatalf("the interrupted run's checkpoint: %v; want a paused Step and (s, y) pairs", err)
	}
	for _, tc := range []struct {
		name   string
		change func(c *Checkpoint)
		want   string
	}{
		{"step_left 1e9", func(c *Checkpoint) { c.StepLeft = 1_000_000_000 }, "step has 1000000000 iterations left"},
		{"step_left without a paused step", func(c *Checkpoint) {
			c.StepLeft = 1
			for k := range c.Optimizer.Numbers {
				if strings.HasPrefix(k, "step.") {
					delete(c.Optimizer.Numbers, k)
				}
			}
			delete(c.Optimizer.Tensors, "step.flat_grad")
		}, "paused Step has 0 left"},
		{"negative iterations", func(c *Checkpoint) { c.Iterations = -3 }, "iterations is -3"},
		{"negative evaluations", func(c *Checkpoint) { c.Evaluations = -1 }, "evaluations is -1"},
		{"more iterations than the run's", func(c *Checkpoint) { c.Iterations = 11 }, "11 iterations done of 10"},
		{"scale past the last", func(c *Checkpoint) { c.Scale = 4 }, "scale 5 of 1"},
		{"NaN pixel", func(c *Checkpoint) { setValue(c.Image, 5, float32(math.NaN())) }, "not finite"},
		{"n_iter 1e300", func(c *Checkpoint) { c.Optimizer.Numbers["n_iter"] = 1e300 }, `"n_iter" is 1e+300, not a count`},
		{"n_iter 2.5", func(c *Checkpoint) { c.Optimizer.Numbers["n_iter"] = 2.5 }, `"n_iter" is 2.5`},
		{"missing history pair", func(c *Checkpoint) { delete(c.Optimizer.Tensors, "old_dirs.0") }, `"old_dirs.0" is missing`},
		{"extra tensor", func(c *Checkpoint) { c.Optimizer.Tensors["spare"], _ = c.Image.LocalClone() }, `unexpected tensor "spare"`},
		{"NaN in the history", func(c *Checkpoint) { setValue(c.Optimizer.Tensors["old_stps.0"], 0, float32(math.Inf(1))) },
			`"old_stps.0" holds values that are not finite`},
		{"history of the wrong shape", func(c *Checkpoint) {
			c.Optimizer.Tensors["old_stps.0"] = tensors.FromFlatDataAndDimensions(make([]float32, 6), 2, 3)
		}, `"old_stps.0" is`},
		{"ys negative", func(c *Checkpoint) { c.Optimizer.Numbers["ys.0"] = -1 }, "sᵀy of pair 0"},
		{"paused step out of range", func(c *Checkpoint) { c.Optimizer.Numbers["step.iter"] = 99 }, "paused Step is at iteration 99"},
		{"Adam's state", func(c *Checkpoint) { c.Optimizer.Optimizer = optim.AdamName }, "adam's state for a run with lbfgs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := LoadCheckpoint(paused)
			if err != nil {
				t.Fatal(err)
			}
			tc.change(c)
			path := filepath.Join(t.TempDir(), "crafted.ckpt")
			if err := SaveCheckpoint(path, c); err != nil {
				t.Fatal(err)
			}
			_, err = LoadCheckpoint(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) ||
				strings.Contains(err.Error(), "\n") {
				t.Errorf("error %v; want one line naming the file and saying %q", err, tc.want)
			}
		})
	}
}

// setValue sets one value of a float32 tensor.
func setValue(t *tensors.Tensor, i int, v float32) {
	tensors.MutableFlatData(t, func(data []float32) { data[i] = v })
}

// TestLoadCheckpointRequiresItsDigest: estil always writes a checkpoint's content digest, so one
// whose digest was removed from the header is refused, and the message calls it a checkpoint.
func TestLoadCheckpointRequiresItsDigest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.ckpt")
	if err := SaveCheckpoint(path, seedCheckpoints()[0]); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(data[:8])
	var header map[string]any
	if err := json.Unmarshal(data[8:8+n], &header); err != nil {
		t.Fatal(err)
	}
	meta := header["__metadata__"].(map[string]any)
	if _, ok := meta["estil.sha256"]; !ok {
		t.Fatalf("no digest in the metadata %v", meta)
	}
	delete(meta, "estil.sha256")
	head, _ := json.Marshal(header)
	head = append(head, bytes.Repeat([]byte{' '}, (8-len(head)%8)%8)...)
	var length [8]byte
	binary.LittleEndian.PutUint64(length[:], uint64(len(head)))
	stripped := append(append(length[:], head...), data[8+n:]...)
	if err := os.WriteFile(path, stripped, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadCheckpoint(path)
	if err == nil || !strings.Contains(err.Error(), "checkpoint") || strings.Contains(err.Error(), "weights file") ||
		!strings.Contains(err.Error(), "digest") {
		t.Errorf("a checkpoint without its digest: %v; want a refusal about its digest that calls it a checkpoint", err)
	}
}

// TestCheckpointMemory: saving and loading a checkpoint of 48 MB allocates about its size to
// load (its tensors) and a fixed buffer to save, not copies of it (resuming took three times a
// checkpoint's size: several GB at 1024 px).
func TestCheckpointMemory(t *testing.T) {
	c := seedCheckpoints()[0]
	big := func() *tensors.Tensor { return tensors.FromShape(shapes.Make(dtypes.Float32, 1024, 1024, 3)) }
	c.Image = big()
	for key := range c.Optimizer.Tensors {
		c.Optimizer.Tensors[key] = big()
	}
	tensorBytes := uint64(7 * 1024 * 1024 * 3 * 4) // the image and 6 optimizer tensors
	path := filepath.Join(t.TempDir(), "big.ckpt")
	var err error
	saved := rss.Allocated(func() { err = SaveCheckpoint(path, c) })
	if err != nil {
		t.Fatal(err)
	}
	var loadedC *Checkpoint
	loaded := rss.Allocated(func() { loadedC, err = LoadCheckpoint(path) })
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("a checkpoint of %d MB: saving allocated %.1f MB, loading %.1f MB", tensorBytes>>20, float64(saved)/(1<<20), float64(loaded)/(1<<20))
	if saved > 8<<20 {
		t.Errorf("saving allocated %d MB; want a fixed buffer, under 8 MB", saved>>20)
	}
	if loaded > tensorBytes+tensorBytes/8 {
		t.Errorf("loading allocated %d MB for %d MB of tensors; want about their size", loaded>>20, tensorBytes>>20)
	}
	if loadedC.Image.Shape().Dim(0) != 1024 {
		t.Errorf("loaded image %s", loadedC.Image.Shape())
	}
}
