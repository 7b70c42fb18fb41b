package nst

import (
	"context"
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/estil-nst/estil/optim"
)

// optimize runs the chosen optimizer on the target image x0 for t.Iterations iterations and
// returns the final image (normalized), the number of iterations done, and, when L-BFGS stopped
// before t.Iterations because one of torch's tolerances was met, which (optim.StopReason.Converged). observe
// gets every evaluation's total loss and its parts; save writes a checkpoint. key names the
// objective (objectiveKey): runs of one model with the same key and picture size share the
// optimizer's compiled graphs.
//
// L-BFGS runs as PyTorch's does: the optimizer keeps its state (history, step) across calls of
// Step, and each Step does at most its iterations (torch's max_iter) and 1.25 times as many
// evaluations (max_eval). Steps are repeated until Iterations are done or one of torch's
// tolerances is met. With snapshots or checkpoints, each Step ends at the next multiple of
// SnapshotEvery or SaveEvery, where the image is saved: only then does it leave the device.
// (Where Steps end changes only how many evaluations are made, not the images: a new Step
// re-evaluates the x the previous one ended at, and L-BFGS's state carries over.)
//
// With t.Save, a cancelled ctx pauses the optimizer at the end of the current iteration, and the
// state, with the paused Step's progress, is saved before returning ctx's error. With
// start.resume, the optimizer starts from the checkpoint's state.
func (t *Transfer) optimize(ctx context.Context, x0 *tensors.Tensor, objective func(*Node, []*Node) (*Node, []*Node), key string,
	inputs []*tensors.Tensor, observe func(total float64, extras []float64, iteration int) error,
	save func(x *tensors.Tensor, done, left int, opt optim.Optimizer) error, start runStart) (*tensors.Tensor, int, optim.StopReason, error) {

	lr := t.LearningRate
	if lr == 0 && t.Optimizer == optim.AdamName {
		lr = 0.02 // torch's 1e-3 barely moves an image in normalized space
	}
	// The iteration an evaluation belongs to: L-BFGS says so through OnIteration (it may evaluate
	// several times per iteration); Adam and gradient descent evaluate once per iteration.
	x, done, left := x0, 0, 0 // left: iterations a paused Step has left
	if start.resume != nil {
		done, left = start.resume.Iterations, start.resume.StepLeft
	}
	iteration, counted := done, t.Optimizer == optim.LBFGSName
	// The optimizer runs graphs compiled once per objective and picture size for the model: the
	// next run of a batch (or the next scale's run at a size seen before) compiles nothing.
	graphs, release := t.Model.optimizerGraphs(key, x0.Shape(), func() optim.Function { return optim.Autodiff(objective) })
	defer release()
	opt, err := graphs.New(t.Optimizer, optim.Options{
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
				iteration = done + e.N
			}
			return observe(e.Loss, e.Extras, iteration)
		},
		Pause: func() bool { return t.Save != nil && ctx.Err() != nil },
	})
	if err != nil {
		return x0, 0, "", err
	}
	defer opt.Finalize()
	if start.resume != nil {
		if err := opt.Restore(start.resume.Optimizer); err != nil {
			return x0, done, "", fmt.Errorf("resuming: %w", err)
		}
	}

	var stopped optim.StopReason
	for done < t.Iterations {
		n := t.nextBoundary(done) - done
		if left > 0 {
			n = left // finish the paused Step first
		}
		res, err := opt.Step(x, n)
		if res != nil && res.X != x {
			if x != x0 {
				x.FinalizeAll() // an intermediate image: free its device memory now
			}
			x = res.X
		}
		left = 0
		if res != nil {
			done += res.Iterations
			if res.Stopped == optim.StopPaused {
				left = n - res.Iterations
			}
		}
		if err != nil {
			return x, done, "", err
		}
		if t.Save != nil && ctx.Err() != nil {
			if err := save(x, done, left, opt); err != nil {
				return x, done, "", fmt.Errorf("%w, and the checkpoint could not be written: %w", ctx.Err(), err)
			}
			return x, done, "", ctx.Err()
		}
		if res.Stopped.Converged() {
			stopped = res.Stopped
			break
		}
		// Every Step that is not paused or converged does at least one iteration; one that did
		// none would repeat forever (as a run whose gradient is 0 at the start once did).
		if res.Iterations == 0 && res.Stopped != optim.StopPaused {
			return x, done, "", fmt.Errorf("the optimizer made no progress at iteration %d (%s)", done, res.Stopped)
		}
		if done < t.Iterations && t.Snapshot != nil && t.SnapshotEvery > 0 && done%t.SnapshotEvery == 0 {
			img, err := t.toImage(x)
			if err == nil {
				err = t.Snapshot(done, img)
			}
			if err != nil {
				return x, done, "", err
			}
		}
		if done < t.Iterations && t.Save != nil && t.SaveEvery > 0 && done%t.SaveEvery == 0 {
			if err := save(x, done, left, opt); err != nil {
				return x, done, "", err
			}
		}
	}
	if t.Save != nil && t.SaveAtEnd && (start.scale == nil || start.scale.index == len(start.scale.sides)-1) {
		if err := save(x, done, 0, opt); err != nil {
			return x, done, stopped, err
		}
	}
	return x, done, stopped, nil
}

// nextBoundary is the iteration after done where the current Step ends: the next multiple of
// SnapshotEvery or SaveEvery (when they are used), or the last iteration.
func (t *Transfer) nextBoundary(done int) int {
	next := t.Iterations
	if t.Snapshot != nil && t.SnapshotEvery > 0 {
		next = min(next, (done/t.SnapshotEvery+1)*t.SnapshotEvery)
	}
	if t.Save != nil && t.SaveEvery > 0 {
		next = min(next, (done/t.SaveEvery+1)*t.SaveEvery)
	}
	return next
}
