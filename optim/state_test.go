package optim

import (
	"fmt"
	"slices"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
)

// chunkedRun runs an optimizer on Rosenbrock as nst does with checkpoints: Steps of chunk
// iterations until total are done. If pauseAt > 0, the optimizer is paused at the end of that
// iteration, its State copied, and a new optimizer restored from it finishes the run: the
// result must be the uninterrupted run's, bit for bit.
func chunkedRun(t *testing.T, name Name, strongWolfe bool, maxEval, chunk, total, pauseAt int) (x []float64, iterations, evaluations int) {
	t.Helper()
	const n = 12
	p, q := shiftMatrices(n)
	inputs := []*tensors.Tensor{
		toDType(tensors.MustCopyFlatData[float64](p), dtypes.Float32, n-1, n),
		toDType(tensors.MustCopyFlatData[float64](q), dtypes.Float32, n-1, n)}
	x0 := make([]float64, n)
	for i := range x0 {
		x0[i] = -1.2 + 0.1*float64(i%3)
	}
	iteration := 0
	newOpt := func(pause func() bool) Optimizer {
		opt, err := New(name, testBackend(), rosenbrock, Options{Inputs: inputs, StrongWolfe: strongWolfe,
			LR:      map[Name]float64{LBFGSName: 1, AdamName: 0.05, GradientDescentName: 2e-4}[name],
			MaxEval: maxEval, OnEvaluation: func(Evaluation) error { evaluations++; return nil }, Pause: pause})
		if err != nil {
			t.Fatal(err)
		}
		return opt
	}
	pause := func() bool {
		iteration++
		return iteration == pauseAt
	}
	opt := newOpt(pause)
	defer func() { opt.Finalize() }()
	xt := toDType(x0, dtypes.Float32, n)
	done, left := 0, 0
	for done < total {
		want := min(chunk, total-done)
		if left > 0 {
			want = left
		}
		res, err := opt.Step(xt, want)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		xt, done = res.X, done+res.Iterations
		left = 0
		if res.Stopped == StopPaused {
			left = want - res.Iterations
			state, err := opt.State()
			if err != nil {
				t.Fatal(err)
			}
			opt.Finalize()
			opt = newOpt(nil)
			if err := opt.Restore(state); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if res.Stopped.Converged() {
			break
		}
	}
	return hostValues(t, xt), done, evaluations
}

func TestPauseStateRestoreContinuesExactly(t *testing.T) {
	cases := []struct {
		name        Name
		strongWolfe bool
		maxEval     int // 5: Steps end on max_eval, so a paused Step must keep its evaluation count
	}{{LBFGSName, true, 0}, {LBFGSName, true, 5}, {LBFGSName, false, 0}, {AdamName, false, 0}, {GradientDescentName, false, 0}}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/wolfe=%v/max_eval=%d", c.name, c.strongWolfe, c.maxEval), func(t *testing.T) {
			const chunk, total = 7, 30
			want, wantIters, wantEvals := chunkedRun(t, c.name, c.strongWolfe, c.maxEval, chunk, total, 0)
			// Pauses inside a chunk, at its end, and at the very first iteration.
			for _, at := range []int{1, 3, 7, 12, 22} {
				got, iters, evals := chunkedRun(t, c.name, c.strongWolfe, c.maxEval, chunk, total, at)
				if !slices.Equal(got, want) || iters != wantIters || evals != wantEvals {
					t.Errorf("paused at iteration %d: %d iterations, %d evaluations, x = %v\n"+
						"uninterrupted: %d iterations, %d evaluations, x = %v", at, iters, evals, got, wantIters, wantEvals, want)
				}
			}
		})
	}
}

func TestRestoreRefusesAnotherOptimizersState(t *testing.T) {
	lb := NewLBFGS(testBackend(), rosenbrock)
	defer lb.Finalize()
	adam := NewAdam(testBackend(), rosenbrock)
	defer adam.Finalize()
	s, err := adam.State()
	if err != nil {
		t.Fatal(err)
	}
	if err := lb.Restore(s); err == nil {
		t.Error("L-BFGS restored Adam's state")
	}
	bad := &State{Optimizer: LBFGSName, Numbers: map[string]float64{"n_iter": 3}}
	if err := lb.Restore(bad); err == nil {
		t.Error("L-BFGS restored a state without its counters")
	}
	// A paused Step must be continued with the iterations it has left.
	lb2 := NewLBFGS(testBackend(), quadratic).Pause(func() bool { return true })
	defer lb2.Finalize()
	a := toDType([]float64{2, 0, 0, 3}, dtypes.Float32, 2, 2)
	b := toDType([]float64{1, 1}, dtypes.Float32, 2)
	lb2.Inputs(a, b)
	res, err := lb2.Step(toDType([]float64{0, 0}, dtypes.Float32, 2), 5)
	if err != nil || res.Stopped != StopPaused {
		t.Fatalf("Step: %v, stopped %q", err, res.Stopped)
	}
	if _, err := lb2.Step(res.X, 5); err == nil {
		t.Error("continuing a paused Step (4 left) with 5 iterations was accepted")
	}
}
