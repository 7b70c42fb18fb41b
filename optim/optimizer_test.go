package optim

import (
	"testing"

	"github.com/gomlx/compute/dtypes"
)

// TestNewByName makes each optimizer of the table by its name, as the CLI, nst and explain do,
// and checks that it is the right one with the options applied and that a Step lowers the loss;
// an unknown name is an error that lists the known ones.
func TestNewByName(t *testing.T) {
	f := loadFixture(t, "quadratic10_none")
	fn, inputs := problemFor(f, dtypes.Float64)
	for _, name := range Names() {
		evals := 0
		opt, err := New(name, testBackend(), fn, Options{LR: 0.01, Inputs: inputs,
			OnEvaluation: func(Evaluation) error { evals++; return nil }})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var lr float64
		switch o := opt.(type) {
		case *LBFGS:
			lr = o.lr
		case *Adam:
			lr = o.lr
		case *GradientDescent:
			lr = o.lr
		}
		if lr != 0.01 {
			t.Errorf("%s: %T with lr %g, want lr 0.01", name, opt, lr)
		}
		res, err := opt.Step(toDType(f.X0, dtypes.Float64, len(f.X0)), 5)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !(res.LastLoss < res.Loss) || evals == 0 {
			t.Errorf("%s: loss %g → %g after %d evaluations: want it lower", name, res.Loss, res.LastLoss, evals)
		}
		opt.Finalize()
	}
	if _, err := New("sgd", testBackend(), fn, Options{}); err == nil {
		t.Error(`New("sgd") gave no error`)
	}
	if _, err := ParseName("adam"); err != nil {
		t.Error(err)
	}
}
