package nst

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/estil-nst/estil/lbfgs"
)

// optimize runs the chosen optimizer on the target image x0 for t.Iterations iterations and
// returns the final image (normalized), the number of iterations done, and why it stopped early,
// if it did. observe gets every evaluation's total loss and its parts.
//
// L-BFGS runs as PyTorch's does: the optimizer keeps its state (history, step) across calls of
// Step, and each Step does at most MaxIter iterations and MaxEval = 1.25·MaxIter evaluations.
// Steps are repeated until Iterations are done or one of torch's tolerances is met. With
// checkpoints, each Step does CheckpointEvery iterations and the image is saved in between:
// only then does it leave the device.
func (t *Transfer) optimize(x0 *tensors.Tensor, objective func(*Node, []*Node) (*Node, []*Node),
	inputs []*tensors.Tensor, observe func(total float64, extras []float64, iteration int) error) (*tensors.Tensor, int, error) {

	chunk := t.CheckpointEvery
	if chunk <= 0 || t.Checkpoint == nil {
		chunk = t.Iterations
	}
	fn := lbfgs.Autodiff(objective)

	// step advances x by up to n iterations with the chosen optimizer.
	var step func(x *tensors.Tensor, n int) (*lbfgs.Result, error)
	switch t.Optimizer {
	case Adam:
		lr := t.LearningRate
		if lr == 0 {
			lr = 0.02
		}
		opt := lbfgs.NewAdam(t.Model.Backend, fn).LR(lr).Inputs(inputs...).
			OnEvaluation(func(e lbfgs.Evaluation) error { return observe(e.Loss, e.Extras, e.N) })
		defer opt.Finalize()
		step = opt.Step
	case GradientDescent:
		lr := t.LearningRate
		if lr == 0 {
			lr = 1e-3
		}
		opt := lbfgs.NewGradientDescent(t.Model.Backend, fn).LR(lr).Inputs(inputs...).
			OnEvaluation(func(e lbfgs.Evaluation) error { return observe(e.Loss, e.Extras, e.N) })
		defer opt.Finalize()
		step = opt.Step
	default:
		lr := t.LearningRate
		if lr == 0 {
			lr = 1
		}
		iteration := 0
		opt := lbfgs.New(t.Model.Backend, fn).LR(lr).HistorySize(100).StrongWolfe(t.LineSearch).Inputs(inputs...).
			OnIteration(func(it lbfgs.Iteration) error {
				iteration = it.N
				if t.OnIteration != nil {
					return t.OnIteration(it)
				}
				return nil
			}).
			OnEvaluation(func(e lbfgs.Evaluation) error { return observe(e.Loss, e.Extras, iteration) })
		defer opt.Finalize()
		step = func(x *tensors.Tensor, n int) (*lbfgs.Result, error) {
			return opt.MaxIter(n).MaxEval(n * 5 / 4).Step(x) // torch's max_eval default
		}
	}

	x, done := x0, 0
	for done < t.Iterations {
		res, err := step(x, min(chunk, t.Iterations-done))
		if res != nil && res.X != x {
			if x != x0 {
				x.FinalizeAll() // an intermediate image: free its device memory now
			}
			x = res.X
		}
		if res != nil {
			done += res.Iterations
		}
		if err != nil {
			return x, done, err
		}
		if err := t.checkpoint(done, x); err != nil {
			return x, done, err
		}
		if converged(res.Stopped) {
			break
		}
	}
	return x, done, nil
}

func (t *Transfer) checkpoint(iteration int, x *tensors.Tensor) error {
	if t.Checkpoint == nil || iteration >= t.Iterations {
		return nil
	}
	img, err := t.toImage(x)
	if err != nil {
		return err
	}
	return t.Checkpoint(iteration, img)
}

// converged reports whether L-BFGS stopped because one of torch's tolerances was met (rather
// than because it used up this chunk's iterations or evaluations).
func converged(stopped string) bool {
	switch stopped {
	case lbfgs.StopToleranceGrad, lbfgs.StopStepSize, lbfgs.StopLossChange:
		return true
	}
	return false
}
