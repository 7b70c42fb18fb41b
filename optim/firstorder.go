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

// firstOrder is what a first-order optimizer (Adam, gradient descent) gives the common Step loop.
type firstOrder struct {
	name   string
	owned  *arena
	evals  *int
	onEval func(Evaluation) error
	// pause, if set, is asked after each iteration whether to end the Step there (StopPaused).
	pause func() bool
	// iterate runs iteration i's graph from cur; its outputs start with the next x, and element
	// k holds the evaluation at cur. It owns (adds to owned) what it keeps of them.
	iterate func(i int, cur *tensors.Tensor) ([]*tensors.Tensor, error)
	k       int
	// state lists the tensors the optimizer carries between iterations (Adam's moments).
	state func() []*tensors.Tensor
	// reset forgets the state after a failed Step.
	reset func()
}

// step runs n iterations from x: the loop Adam's and gradient descent's Step share. x is neither
// modified nor freed; the caller owns Result.X. Result.Loss is the loss at x, LastLoss the loss at
// the start of the last iteration. After a non-finite evaluation (ErrNotFinite) or an observer's
// error, Result.X is the last x whose loss was finite.
func (f firstOrder) step(x *tensors.Tensor, n int) (*Result, error) {
	res := &Result{X: x, Stopped: StopIterations}
	cur := x // the x evaluated by the next iteration
	fail := func(stopped StopReason, err error) (*Result, error) {
		res.X, res.Stopped = x, stopped
		f.owned.disown(x)
		f.reset()
		return res, err
	}
	for i := range n {
		outs, err := f.iterate(i, cur)
		if err != nil {
			return fail(StopError, err)
		}
		p, stop, err := firstOrderEvaluation(f.name, outs, f.k, f.evals, f.onEval)
		if stop == StopError {
			return fail(stop, err)
		}
		res.Evaluations++
		if i == 0 {
			res.Loss = p.loss
		}
		if err != nil {
			// x still holds the last x with a finite loss (the caller's x if none).
			if stop == StopObserver && p.finite() {
				x = cur
			}
			return fail(stop, err)
		}
		x = cur // its loss is finite.
		res.LastLoss = p.loss
		res.Iterations++
		cur = outs[0]
		f.owned.release(append(f.state(), x, cur)...)
		if i < n-1 && f.pause != nil && f.pause() {
			res.Stopped = StopPaused
			break
		}
	}
	res.X = cur
	f.owned.release(append(f.state(), cur)...)
	f.owned.disown(cur)
	return res, nil
}
