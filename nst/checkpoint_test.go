package nst

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/estil-nst/estil/images"
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
	checkpointContent = images.Lighthouse(40, 32)
	checkpointStyles  = []Style{{images.Swirls(32, 32), 1}}
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
			tr.Iterations = 20
			return checkpointContent, checkpointStyles
		},
			"iterations: 10 in the checkpoint, 20 now"},
		{"style weight", func(tr *Transfer) (image.Image, []Style) {
			tr.Loss.StyleWeight = 1
			return checkpointContent, checkpointStyles
		}, "style_weight"},
		{"content", func(tr *Transfer) (image.Image, []Style) { return images.Swirls(40, 32), checkpointStyles },
			"other pictures"},
		{"blend weight", func(tr *Transfer) (image.Image, []Style) {
			return checkpointContent, []Style{{checkpointStyles[0].Image, 2}}
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
