package nst

import (
	"context"
	"errors"
	"image"
	"testing"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/optim"
)

// TestTransferLossFalls runs a whole 32×32 style transfer with L-BFGS and with Adam on a tiny
// random network and checks that the loss falls.
func TestTransferLossFalls(t *testing.T) {
	content, style := images.Lighthouse(32, 32), images.Swirls(32, 32)
	for _, optimizer := range []optim.Name{optim.LBFGSName, optim.AdamName} {
		t.Run(string(optimizer), func(t *testing.T) {
			tr := NewTransfer(tinyModel(t, NativeLowering))
			tr.Optimizer, tr.Iterations = optimizer, 10
			var totals []float64
			tr.OnEvaluation = func(e Evaluation) error {
				totals = append(totals, e.Total)
				sum := e.Content + e.TV
				for _, s := range e.Style {
					sum += s
				}
				if !closeTo(sum, e.Total, 1e-4) {
					t.Errorf("evaluation %d: parts add up to %v, total %v", e.N, sum, e.Total)
				}
				return nil
			}
			res, err := tr.Run(context.Background(), content, []Style{{Image: style, Weight: 1}})
			if err != nil {
				t.Fatal(err)
			}
			if len(totals) < 10 || res.Evaluations != len(totals) {
				t.Fatalf("%d evaluations reported, result says %d", len(totals), res.Evaluations)
			}
			// L-BFGS gets far in 10 iterations; Adam (lr 0.02 on normalized pixels) is slower.
			want := map[optim.Name]float64{optim.LBFGSName: 0.1, optim.AdamName: 0.9}[optimizer]
			if last := totals[len(totals)-1]; !(last < want*totals[0]) {
				t.Errorf("loss went from %v to %v, want below %v× the start", totals[0], last, want)
			}
			if b := res.Image.Bounds(); b.Dx() != 32 || b.Dy() != 32 {
				t.Errorf("result is %v, want 32×32", b)
			}
		})
	}
}

// TestTransferStopsOnNonFiniteLoss makes the loss overflow float32 and checks that the run stops
// with ErrNotFinite and keeps the last image whose loss was finite (here: the start).
func TestTransferStopsOnNonFiniteLoss(t *testing.T) {
	content, style := images.Lighthouse(32, 32), images.Swirls(32, 32)
	tr := NewTransfer(tinyModel(t, NativeLowering))
	tr.Loss.StyleWeight, tr.Iterations = 1e38, 5
	res, err := tr.Run(context.Background(), content, []Style{{Image: style, Weight: 1}})
	if !errors.Is(err, ErrNotFinite) {
		t.Fatalf("error %v, want ErrNotFinite", err)
	}
	if res == nil || res.Image == nil {
		t.Fatal("no image kept")
	}
	if d := meanAbsDiff(res.Image, content); d > 1.0/255 {
		t.Errorf("kept image differs from the start by %v per channel", d)
	}
}

// TestTransferCancel stops a run through its context after the first evaluation, as Ctrl-C does.
func TestTransferCancel(t *testing.T) {
	content, style := images.Lighthouse(32, 32), images.Swirls(32, 32)
	tr := NewTransfer(tinyModel(t, NativeLowering))
	tr.Iterations = 50
	ctx, cancel := context.WithCancel(context.Background())
	evals := 0
	tr.OnEvaluation = func(Evaluation) error { evals++; cancel(); return nil }
	res, err := tr.Run(ctx, content, []Style{{Image: style, Weight: 1}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if res == nil || res.Image == nil || evals != 1 {
		t.Fatalf("result %v after %d evaluations", res, evals)
	}
}

func TestTransferRefusesBadSettings(t *testing.T) {
	content, style := images.Lighthouse(32, 32), images.Swirls(32, 32)
	for name, change := range map[string]func(*Transfer){
		"unknown layer":   func(tr *Transfer) { tr.Loss.ContentLayers = []string{"conv9_9"} },
		"negative weight": func(tr *Transfer) { tr.Loss.StyleWeight = -1 },
		"NaN layer weight": func(tr *Transfer) {
			tr.Loss.StyleLayers = []StyleLayer{{"conv1_1", nan()}}
		},
		"zero iterations":   func(tr *Transfer) { tr.Iterations = 0 },
		"unknown optimizer": func(tr *Transfer) { tr.Optimizer = "sgd" },
		"unknown init":      func(tr *Transfer) { tr.Init = "zeros" },
	} {
		tr := NewTransfer(tinyModel(t, NativeLowering))
		change(tr)
		if _, err := tr.Run(context.Background(), content, []Style{{Image: style, Weight: 1}}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	tr := NewTransfer(tinyModel(t, NativeLowering))
	if _, err := tr.Run(context.Background(), images.Lighthouse(8, 8), []Style{{Image: style, Weight: 1}}); err == nil {
		t.Error("8×8 content: no error")
	}
}

func nan() float64 { var z float64; return z / z }

func meanAbsDiff(a, b image.Image) float64 {
	da, _, _ := images.ToHWC(a)
	db, _, _ := images.ToHWC(b)
	var sum float64
	for i := range da {
		d := float64(da[i] - db[i])
		if d < 0 {
			d = -d
		}
		sum += d
	}
	return sum / float64(len(da))
}

// TestEvaluateMatchesRun checks that Evaluate gives the loss Run sees at its first evaluation
// (Run starts from the content image).
func TestEvaluateMatchesRun(t *testing.T) {
	content, style := images.Lighthouse(32, 32), images.Swirls(32, 32)
	tr := NewTransfer(tinyModel(t, NativeLowering))
	tr.Iterations = 1
	var first *Evaluation
	tr.OnEvaluation = func(e Evaluation) error {
		if first == nil {
			first = &e
		}
		return nil
	}
	if _, err := tr.Run(context.Background(), content, []Style{{Image: style, Weight: 1}}); err != nil {
		t.Fatal(err)
	}
	got, err := tr.Evaluate(content, content, []Style{{Image: style, Weight: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if !closeTo(got.Total, first.Total, 1e-5) || got.Content != 0 || len(got.Style) != 5 {
		t.Errorf("Evaluate = %+v, Run's first evaluation %+v", got, *first)
	}
	for i := range got.Style {
		if !closeTo(got.Style[i], first.Style[i], 1e-5) {
			t.Errorf("style layer %d: %v vs %v", i, got.Style[i], first.Style[i])
		}
	}
}

// TestRunsOfOneSizeCompileOnce checks that the frames of a batch (runs of one loss on pictures
// of one size, each a new Transfer) compile only for the first, that sharing the graphs does not
// change a result, that another loss or size compiles graphs of its own, and that those of an
// earlier size are not kept.
func TestRunsOfOneSizeCompileOnce(t *testing.T) {
	m := tinyModel(t, NativeLowering)
	style := []Style{{Image: images.Swirls(32, 32), Weight: 1}}
	run := func(m *Model, content image.Image, change func(*Transfer)) image.Image {
		t.Helper()
		tr := NewTransfer(m)
		tr.Iterations = 3
		if change != nil {
			change(tr)
		}
		res, err := tr.Run(context.Background(), content, style)
		if err != nil {
			t.Fatal(err)
		}
		return res.Image
	}
	run(m, images.Lighthouse(32, 32), nil)
	first := m.Compilations()
	if first == 0 {
		t.Fatal("the first run compiled nothing: Model.Compilations does not count")
	}
	second := images.Swirls(32, 32)
	got := run(m, second, nil)
	if n := m.Compilations() - first; n != 0 {
		t.Errorf("a second picture of the same size compiled %d graphs, want 0", n)
	}
	if want := run(tinyModel(t, NativeLowering), second, nil); !sameImage(got, want) {
		t.Error("the second picture's result on the first's graphs differs from a fresh model's")
	}

	before := m.Compilations()
	run(m, second, func(tr *Transfer) { tr.Loss.StyleWeight *= 2 })
	if m.Compilations() == before {
		t.Error("another style weight reused the graphs of the first loss")
	}
	before = m.Compilations()
	run(m, images.Lighthouse(48, 32), nil)
	if m.Compilations() == before {
		t.Error("a picture of another size compiled nothing")
	}
	// The optimizers' graphs of the first size were freed (a coarse-to-fine run holds one
	// scale's at a time): back to it, they are compiled again.
	before = m.Compilations()
	run(m, images.Lighthouse(32, 32), nil)
	if m.Compilations() == before {
		t.Error("the optimizers' graphs of an earlier size were kept")
	}
}

// sameImage reports whether a and b have the same size and pixels.
func sameImage(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				return false
			}
		}
	}
	return true
}
