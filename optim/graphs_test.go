package optim

import (
	"slices"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

// rosenbrockProblem is x0 = (−1.2, 1, −1.2, 1, …) of length n and the inputs of rosenbrock.
func rosenbrockProblem(n int) (*tensors.Tensor, []*tensors.Tensor) {
	x0 := make([]float64, n)
	for i := range x0 {
		x0[i] = []float64{-1.2, 1}[i%2]
	}
	p, q := shiftMatrices(n)
	return tensors.FromFlatDataAndDimensions(x0, n), []*tensors.Tensor{p, q}
}

// TestGraphsCompileOnce checks what a batch of pictures relies on: a second optimizer made by
// the same Graphs compiles nothing for an x of the same shape, and gives the same iterates as a
// fresh optimizer; a new shape compiles again (so the counter counts compilations).
func TestGraphsCompileOnce(t *testing.T) {
	for _, name := range Names() {
		t.Run(string(name), func(t *testing.T) {
			g := NewGraphs(testBackend(), rosenbrock)
			defer g.Finalize()
			run := func(opt Optimizer, n int) []float64 {
				t.Helper()
				x0, _ := rosenbrockProblem(n)
				res, err := opt.Step(x0, 4)
				if err != nil {
					t.Fatal(err)
				}
				defer opt.Finalize()
				return tensors.MustCopyFlatData[float64](res.X)
			}
			_, inputs := rosenbrockProblem(6)
			newOpt := func() Optimizer {
				opt, err := g.New(name, Options{Inputs: inputs, LR: 1e-3, StrongWolfe: true})
				if err != nil {
					t.Fatal(err)
				}
				return opt
			}
			first := run(newOpt(), 6)
			compiled := g.Compilations()
			if compiled == 0 {
				t.Fatal("the first optimizer compiled nothing: the counter does not count")
			}
			second := run(newOpt(), 6)
			if got := g.Compilations(); got != compiled {
				t.Errorf("the second optimizer of the same shape compiled %d more graphs, want 0", got-compiled)
			}
			if !slices.Equal(first, second) {
				t.Errorf("the second optimizer's x %v differs from the first's %v", second, first)
			}
			fresh, err := New(name, testBackend(), rosenbrock, Options{Inputs: inputs, LR: 1e-3, StrongWolfe: true})
			if err != nil {
				t.Fatal(err)
			}
			if x := run(fresh, 6); !slices.Equal(x, first) {
				t.Errorf("an optimizer of its own graphs gives %v, one of shared graphs %v", x, first)
			}

			_, inputs = rosenbrockProblem(8)
			run(newOpt(), 8)
			if g.Compilations() <= compiled {
				t.Errorf("a new shape compiled nothing (%d compilations before and after)", compiled)
			}
		})
	}
}
