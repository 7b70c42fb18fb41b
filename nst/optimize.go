package nst

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/estil-nst/estil/optim"
)

// optimize runs the chosen optimizer on the target image x0 for t.Iterations iterations and
// returns the final image (normalized), the number of iterations done, and why it stopped early,
// if it did. observe gets every evaluation's total loss and its parts.
//
// L-BFGS runs as PyTorch's does: the optimizer keeps its state (history, step) across calls of
// Step, and each Step does at most its iterations (torch's max_iter) and 1.25 times as many
// evaluations (max_eval).
// Steps are repeated until Iterations are done or one of torch's tolerances is met. With
// checkpoints, each Step does CheckpointEvery iterations and the image is saved in between:
// only then does it leave the device.
func (t *Transfer) optimize(x0 *tensors.Tensor, objective func(*Node, []*Node) (*Node, []*Node),
	inputs []*tensors.Tensor, observe func(total float64, extras []float64, iteration int) error) (*tensors.Tensor, int, error) {

	chunk := t.CheckpointEvery
	if chunk <= 0 || t.Checkpoint == nil {
		chunk = t.Iterations
	}
	fn := optim.Autodiff(objective)

	lr := t.LearningRate
	if lr == 0 && t.Optimizer == optim.AdamName {
		lr = 0.02 // torch's 1e-3 barely moves an image in normalized space
	}
	// The iteration an evaluation belongs to: L-BFGS says so through OnIteration (it may evaluate
	// several times per iteration); Adam and gradient descent evaluate once per iteration.
	iteration, counted := 0, t.Optimizer == optim.LBFGSName
	opt, err := optim.New(t.Optimizer, t.Model.Backend, fn, optim.Options{
		LR: lr, Inputs: inputs, StrongWolfe: t.LineSearch,
		OnIteration: func(it optim.Iteration) error {
			iteration = it.N
			if t.OnIteration != nil {
				return t.OnIteration(it)
			}
			return nil
		},
		OnEvaluation: func(e optim.Evaluation) error {
			if !counted {
				iteration = e.N
			}
			return observe(e.Loss, e.Extras, iteration)
		},
	})
	if err != nil {
		return x0, 0, err
	}
	defer opt.Finalize()

	x, done := x0, 0
	for done < t.Iterations {
		res, err := opt.Step(x, min(chunk, t.Iterations-done))
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
func converged(stopped optim.StopReason) bool {
	switch stopped {
	case optim.StopToleranceGrad, optim.StopStepSize, optim.StopLossChange:
		return true
	}
	return false
}
