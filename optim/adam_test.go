package optim

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
)

type adamFixture struct {
	Problem string      `json:"problem"`
	A       [][]float64 `json:"A"`
	B       []float64   `json:"b"`
	X0      []float64   `json:"x0"`
	Options struct {
		LR    float64    `json:"lr"`
		Betas [2]float64 `json:"betas"`
		Eps   float64    `json:"eps"`
		Iters int        `json:"iterations_per_step"`
	} `json:"options"`
	Steps []struct {
		X     []float64 `json:"x"`
		Evals []float64 `json:"evals"`
	} `json:"steps"`
}

// TestAdamMatchesTorch replays torch.optim.Adam fixtures in float64.
func TestAdamMatchesTorch(t *testing.T) {
	for _, name := range []string{"adam_quadratic10", "adam_rosenbrock2"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var f adamFixture
			if err := json.Unmarshal(data, &f); err != nil {
				t.Fatal(err)
			}
			// Reuse the L-BFGS fixture plumbing for the problem definition.
			fn, inputs := problemFor(&fixture{Problem: f.Problem, A: f.A, B: f.B, X0: f.X0}, dtypes.Float64)
			var evals []float64
			adam := NewAdam(testBackend(), fn).Inputs(inputs...).LR(f.Options.LR).
				Betas(f.Options.Betas[0], f.Options.Betas[1]).Eps(f.Options.Eps).
				OnEvaluation(func(e Evaluation) error { evals = append(evals, e.Loss); return nil })
			x := toDType(f.X0, dtypes.Float64, len(f.X0))
			for i, want := range f.Steps {
				evals = evals[:0]
				res, err := adam.Step(x, f.Options.Iters)
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				x = res.X
				if d := maxDiff(hostValues(t, x), want.X); d > 1e-9 {
					t.Fatalf("step %d: x differs from torch by %g", i, d)
				}
				if len(evals) != len(want.Evals) || res.Iterations != f.Options.Iters || res.Evaluations != len(evals) {
					t.Fatalf("step %d: %d evaluations, torch %d (%+v)", i, len(evals), len(want.Evals), res)
				}
				for j := range evals {
					if !relClose(evals[j], want.Evals[j], 1e-9) {
						t.Errorf("step %d evaluation %d: loss %v, torch %v", i, j, evals[j], want.Evals[j])
					}
				}
				if res.Loss != evals[0] || res.LastLoss != evals[len(evals)-1] || res.Stopped != StopIterations {
					t.Errorf("step %d: result %+v", i, res)
				}
			}
			if adam.step != len(f.Steps)*f.Options.Iters || len(adam.owned) != 2 {
				t.Errorf("step counter %d, %d owned tensors (want m and v)", adam.step, len(adam.owned))
			}
		})
	}
}

// TestAdamNotFinite: a NaN loss stops Adam with ErrNotFinite and the last x whose loss was finite.
func TestAdamNotFinite(t *testing.T) {
	fn := nanFunction()
	var losses []float64
	adam := NewAdam(testBackend(), fn).LR(0.5).
		OnEvaluation(func(e Evaluation) error { losses = append(losses, e.Loss); return nil })
	x := tensors.FromValue([]float64{1, 1})
	res, err := adam.Step(x, 100)
	if !errors.Is(err, ErrNotFinite) || res.Stopped != StopNotFinite {
		t.Fatalf("want ErrNotFinite, got %v, %+v", err, res)
	}
	// Adam's first steps move each coordinate by ≈ lr: 1 → 0.5 → ≈0 → < 0 (NaN).
	got := hostValues(t, res.X)
	if got[0] < 0 || res.LastLoss != losses[len(losses)-2] || res.Iterations != len(losses)-1 {
		t.Errorf("X=%v, LastLoss=%v, losses=%v, %+v", got, res.LastLoss, losses, res)
	}
	t.Logf("%v; X=%v after %d iterations", err, got, res.Iterations)
}
