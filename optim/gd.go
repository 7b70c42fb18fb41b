package optim

import (
	"errors"
	"fmt"
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// GradientDescent is plain gradient descent with a fixed learning rate (torch.optim.SGD without
// momentum): each iteration evaluates the loss and gradient at x and steps
//
//	x ← x − lr·g
//
// It is here as the baseline that L-BFGS and Adam improve on: with one evaluation per iteration
// like Adam, but no memory of past gradients and no scaling, it needs a learning rate small enough
// for the steepest direction, and then crawls along the flat ones.
type GradientDescent struct {
	graphs    *Graphs
	ownGraphs bool // made by NewGradientDescent: Finalize frees them
	inputs    []*tensors.Tensor

	lr        float64
	onEval    func(Evaluation) error
	pause     func() bool
	configErr error

	exec  *graph.Exec
	owned arena
	evals int
}

// NewGradientDescent creates a gradient-descent optimizer of f with learning rate 1e-3.
func NewGradientDescent(backend compute.Backend, f Function) *GradientDescent {
	g := newGradientDescent(NewGraphs(backend, f), true)
	return g
}

// newGradientDescent is NewGradientDescent running gr's graphs; own: Finalize frees them.
func newGradientDescent(gr *Graphs, own bool) *GradientDescent {
	g := &GradientDescent{graphs: gr, ownGraphs: own, lr: 1e-3, owned: arena{}}
	if gr.backend == nil || gr.fn == nil {
		g.configErr = errors.New("optim.NewGradientDescent: nil backend or Function")
	}
	return g
}

// LR sets the learning rate (default 1e-3).
func (g *GradientDescent) LR(lr float64) *GradientDescent {
	if !(lr > 0) || math.IsInf(lr, 0) {
		if g.configErr == nil {
			g.configErr = fmt.Errorf("optim.GradientDescent: LR must be a positive finite number, got %g", lr)
		}
	}
	g.lr = lr
	return g
}

// Inputs sets the constant tensors passed to the Function (graph parameters, as for LBFGS.Inputs).
func (g *GradientDescent) Inputs(inputs ...*tensors.Tensor) *GradientDescent {
	g.inputs = inputs
	return g
}

// OnEvaluation sets an observer called after each evaluation (one per iteration); an error stops Step.
func (g *GradientDescent) OnEvaluation(fn func(Evaluation) error) *GradientDescent {
	g.onEval = fn
	return g
}

// Pause sets a function asked after each iteration whether to end the Step there
// (Stopped == StopPaused); the state carries over to the next Step as usual.
func (g *GradientDescent) Pause(fn func() bool) *GradientDescent {
	g.pause = fn
	return g
}

// Reset forgets the evaluation count: gradient descent keeps no other state between Steps.
func (g *GradientDescent) Reset() { g.evals = 0 }

// Finalize frees the compiled graph unless it belongs to a Graphs shared with other optimizers
// (Graphs.New); the optimizer can't be used afterwards.
func (g *GradientDescent) Finalize() {
	g.owned.release()
	if g.ownGraphs {
		g.graphs.Finalize()
	}
	g.exec = nil
	g.configErr = errors.New("optim.GradientDescent: finalized")
}

// build: args = x, −lr, inputs... → x − lr·g, {loss, ‖g‖∞}, [extras].
func buildGradientDescent(fn Function, args []*graph.Node) []*graph.Node {
	x, negLR, inputs := args[0], args[1], args[2:]
	loss, grad, extras := callFunction(fn, x, inputs)
	outs := []*graph.Node{graph.Add(x, graph.Mul(negLR, grad)), packScalars(loss, maxAbs(grad))}
	if len(extras) > 0 {
		outs = append(outs, packScalars(extras...))
	}
	return outs
}

// Step runs n iterations from x and returns the new x, with the same contract as Adam.Step: x is
// neither modified nor freed, the caller owns Result.X, Result.Loss is the loss at x, and after a
// non-finite evaluation (ErrNotFinite) or an observer's error Result.X is the last x whose loss
// was finite.
func (g *GradientDescent) Step(x *tensors.Tensor, n int) (*Result, error) {
	if err := checkFirstOrderStep("optim.GradientDescent", g.configErr, x); err != nil {
		return nil, err
	}
	dtype := x.DType()
	if g.exec == nil {
		var err error
		fn := g.graphs.fn
		if g.exec, err = g.graphs.exec("optim_gradient_descent", func(args []*graph.Node) []*graph.Node {
			return buildGradientDescent(fn, args)
		}); err != nil {
			return nil, fmt.Errorf("optim.GradientDescent: %w", err)
		}
	}
	return firstOrder{
		name: "optim.GradientDescent", owned: &g.owned, evals: &g.evals, onEval: g.onEval, pause: g.pause, k: 1,
		iterate: func(i int, cur *tensors.Tensor) ([]*tensors.Tensor, error) {
			args := make([]any, 0, 2+len(g.inputs))
			args = append(args, cur, scalarOf(-g.lr, dtype))
			for _, in := range g.inputs {
				args = append(args, in)
			}
			outs, err := g.exec.Exec(args...)
			if err != nil {
				return nil, fmt.Errorf("optim.GradientDescent: iteration %d: %w", i+1, err)
			}
			g.owned.add(outs[0])
			return outs, nil
		},
		state: func() []*tensors.Tensor { return nil },
		reset: func() { g.owned.release() },
	}.step(x, n)
}
