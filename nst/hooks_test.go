package nst

import (
	"context"
	"testing"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/optim"
)

// TestTransferOnIteration checks that the L-BFGS iterations reach Transfer.OnIteration, in order,
// with evaluation counts that match the evaluations reported.
func TestTransferOnIteration(t *testing.T) {
	content, style := images.Lighthouse(32, 32), images.Swirls(32, 32)
	tr := NewTransfer(tinyModel(t, NativeLowering))
	tr.Iterations = 4
	evals := 0
	var iters []optim.Iteration
	tr.OnEvaluation = func(Evaluation) error { evals++; return nil }
	tr.OnIteration = func(it optim.Iteration) error {
		if it.FuncEvals != evals {
			t.Errorf("iteration %d: FuncEvals %d, but %d evaluations were reported", it.N, it.FuncEvals, evals)
		}
		iters = append(iters, it)
		return nil
	}
	res, err := tr.Run(context.Background(), content, []Style{{Image: style, Weight: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(iters) != res.Iterations || len(iters) == 0 {
		t.Fatalf("%d iterations observed, result says %d", len(iters), res.Iterations)
	}
	for i, it := range iters {
		if it.N != i+1 || it.HistoryUsed > i || !(it.StepLength > 0) || !(it.GradNorm > 0) {
			t.Errorf("iteration %d: %+v", i+1, it)
		}
	}
}

// TestTransferGradientDescent runs the plain gradient-descent baseline: one evaluation per
// iteration, and with a small enough rate the loss falls.
func TestTransferGradientDescent(t *testing.T) {
	content, style := images.Lighthouse(32, 32), images.Swirls(32, 32)
	tr := NewTransfer(tinyModel(t, NativeLowering))
	tr.Optimizer, tr.Iterations, tr.LearningRate = optim.GradientDescentName, 5, 1e-6
	var totals []float64
	tr.OnEvaluation = func(e Evaluation) error { totals = append(totals, e.Total); return nil }
	res, err := tr.Run(context.Background(), content, []Style{{Image: style, Weight: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Iterations != 5 || len(totals) != 5 {
		t.Fatalf("%d iterations, %d evaluations; want 5 and 5", res.Iterations, len(totals))
	}
	if !(totals[4] < totals[0]) {
		t.Errorf("loss went from %v to %v", totals[0], totals[4])
	}
	t.Logf("gd losses %v", totals)
}
