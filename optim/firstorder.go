package optim

import (
	"errors"
	"fmt"

	"github.com/gomlx/compute/dtypes"

	"github.com/gomlx/gomlx/core/tensors"
)

// firstOrderEvaluation reads the evaluation that a first-order step's graph (Adam's, gradient
// descent's) returned: {loss, ‖g‖∞} in outs[k] and the Function's extras in outs[k+1], read only
// when an observer wants them. It counts the evaluation in *evals and tells the observer.
//
// It returns the evaluated point and, when the Step must end, why (StopError, StopObserver or
// StopNotFinite) with the error, named after the optimizer. On StopError nothing was counted.
func firstOrderEvaluation(name string, outs []*tensors.Tensor, k int, evals *int,
	onEval func(Evaluation) error) (point, StopReason, error) {
	scal, err := readScalars(outs[k])
	if err != nil {
		return point{}, StopError, err
	}
	var extras []float64
	if len(outs) > k+1 {
		if onEval != nil {
			if extras, err = readScalars(outs[k+1]); err != nil {
				return point{}, StopError, err
			}
		} else {
			_ = outs[k+1].FinalizeAll()
		}
	}
	*evals++
	p := point{loss: scal[0], gInf: scal[1]}
	if onEval != nil {
		if err := onEval(Evaluation{N: *evals, Loss: p.loss, Extras: extras}); err != nil {
			return p, StopObserver, fmt.Errorf("%s: observer stopped at evaluation %d: %w", name, *evals, err)
		}
	}
	if !p.finite() {
		return p, StopNotFinite, fmt.Errorf("%s: evaluation %d: loss=%g, max|g|=%g: %w",
			name, *evals, p.loss, p.gInf, ErrNotFinite)
	}
	return p, "", nil
}

// checkFirstOrderStep is the common start of Adam's and gradient descent's Step: the optimizer was
// configured without error, and x is a float32 or float64 tensor.
func checkFirstOrderStep(name string, configErr error, x *tensors.Tensor) error {
	if configErr != nil {
		return configErr
	}
	if x == nil {
		return errors.New(name + ".Step: nil x")
	}
	if dtype := x.DType(); dtype != dtypes.Float32 && dtype != dtypes.Float64 {
		return fmt.Errorf("%s.Step: x must be float32 or float64, got %s", name, x.Shape())
	}
	return nil
}
