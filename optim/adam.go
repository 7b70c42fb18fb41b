package optim

import (
	"errors"
	"fmt"
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// Adam is torch.optim.Adam (no weight decay, no AMSGrad) for a Function, as an alternative to L-BFGS.
// Each iteration evaluates the loss and gradient at x and updates, in one compiled graph,
//
//	m ← β₁·m + (1 − β₁)·g
//	v ← β₂·v + (1 − β₂)·g²
//	x ← x − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
//
// with the moments m and v kept on the device and carried over between Step calls (torch's state), and
// the bias corrections computed on the host in float64, as torch does.
//
// Why not GoMLX's optimizers.Adam: it updates context variables through context.Exec, which frees a
// variable's previous value when it stores the new one. Keeping "the last x with a finite loss" for
// the NaN contract would then cost a copy of x per iteration, and the caller's x would have to be copied
// into a variable. GoMLX's Adam also keeps its step counter in the loss dtype and computes the bias
// corrections in-graph in that dtype, and reads hyperparameters from the context. The update is ten
// lines of graph code, so it is written here, in torch's order of operations.
type Adam struct {
	graphs    *Graphs
	ownGraphs bool // made by NewAdam: Finalize frees them
	inputs    []*tensors.Tensor

	lr, beta1, beta2, eps float64
	onEval                func(Evaluation) error
	pause                 func() bool
	configErr             error

	exec  *graph.Exec
	owned arena
	shape shapes.Shape
	step  int // torch's state['step']
	evals int
	m, v  *tensors.Tensor
}

// NewAdam creates an Adam optimizer of f with torch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8.
func NewAdam(backend compute.Backend, f Function) *Adam {
	a := newAdam(NewGraphs(backend, f), true)
	return a
}

// newAdam is NewAdam running g's graphs; own: Finalize frees them.
func newAdam(g *Graphs, own bool) *Adam {
	a := &Adam{graphs: g, ownGraphs: own, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, owned: arena{}}
	if g.backend == nil || g.fn == nil {
		a.configErr = errors.New("optim.NewAdam: nil backend or Function")
	}
	return a
}

// LR sets the learning rate (default 1e-3).
func (a *Adam) LR(lr float64) *Adam {
	if !(lr > 0) || math.IsInf(lr, 0) {
		a.setErr("optim.Adam: LR must be a positive finite number, got %g", lr)
	}
	a.lr = lr
	return a
}

// Betas sets the moment decay rates β₁, β₂ (default 0.9, 0.999), each in [0, 1).
func (a *Adam) Betas(beta1, beta2 float64) *Adam {
	if !(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1) {
		a.setErr("optim.Adam: betas must be in [0, 1), got (%g, %g)", beta1, beta2)
	}
	a.beta1, a.beta2 = beta1, beta2
	return a
}

// Eps sets ε, added to the denominator (default 1e-8).
func (a *Adam) Eps(eps float64) *Adam {
	if !(eps >= 0) {
		a.setErr("optim.Adam: eps must be >= 0, got %g", eps)
	}
	a.eps = eps
	return a
}

// Inputs sets the constant tensors passed to the Function (graph parameters, as for LBFGS.Inputs).
func (a *Adam) Inputs(inputs ...*tensors.Tensor) *Adam {
	a.inputs = inputs
	return a
}

// OnEvaluation sets an observer called after each evaluation (one per iteration); an error stops Step.
func (a *Adam) OnEvaluation(fn func(Evaluation) error) *Adam {
	a.onEval = fn
	return a
}

func (a *Adam) setErr(format string, args ...any) {
	if a.configErr == nil {
		a.configErr = fmt.Errorf(format, args...)
	}
}

// Pause sets a function asked after each iteration whether to end the Step there
// (Stopped == StopPaused); the state carries over to the next Step as usual.
func (a *Adam) Pause(fn func() bool) *Adam {
	a.pause = fn
	return a
}

// Reset forgets the moments and the step counter, as if a new torch.optim.Adam were created.
func (a *Adam) Reset() {
	a.owned.release()
	a.m, a.v, a.step, a.evals = nil, nil, 0, 0
}

// Finalize frees the state, and the compiled graphs unless they belong to a Graphs shared with
// other optimizers (Graphs.New); the Adam can't be used afterwards.
func (a *Adam) Finalize() {
	a.Reset()
	if a.ownGraphs {
		a.graphs.Finalize()
	}
	a.exec = nil
	a.configErr = errors.New("optim.Adam: finalized")
}

// buildAdam: args = x, m, v, hyper[6] = {β₁, 1−β₁, β₂, 1−β₂, −step_size, √(1−β₂ᵗ)}, ε, inputs...
// → x', m', v', {loss, ‖g‖∞}, [extras]. It follows torch's _single_tensor_adam:
//
//	exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
//	exp_avg_sq.mul_(beta2).addcmul_(grad, grad.conj(), value=1 - beta2)
//	denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
//	param.addcdiv_(exp_avg, denom, value=-step_size)
func buildAdam(fn Function, args []*graph.Node) []*graph.Node {
	x, m, v, hyper, eps, inputs := args[0], args[1], args[2], args[3], args[4], args[5:]
	h := func(i int) *graph.Node { return graph.Reshape(graph.Slice(hyper, graph.AxisElem(i))) }
	beta1, oneMinusBeta1, beta2, oneMinusBeta2, negStepSize, bc2Sqrt := h(0), h(1), h(2), h(3), h(4), h(5)
	loss, grad, extras := callFunction(fn, x, inputs)
	m = graph.Add(graph.Mul(m, beta1), graph.Mul(grad, oneMinusBeta1))
	v = graph.Add(graph.Mul(v, beta2), graph.Mul(graph.Mul(grad, grad), oneMinusBeta2))
	denom := graph.Add(graph.Div(graph.Sqrt(v), bc2Sqrt), eps)
	x = graph.Add(x, graph.Mul(negStepSize, graph.Div(m, denom)))
	outs := []*graph.Node{x, m, v, packScalars(loss, maxAbs(grad))}
	if len(extras) > 0 {
		outs = append(outs, packScalars(extras...))
	}
	return outs
}

// Step runs n Adam iterations (n calls of torch's step(closure)) from x and returns the new x.
// x is neither modified nor freed; the caller owns Result.X. Result.Loss is the loss at x, LastLoss the
// loss at the start of the last iteration (X itself is not evaluated, as in torch). If an evaluation is
// not finite, Step returns an error wrapping ErrNotFinite and Result.X is the last x with a finite loss.
func (a *Adam) Step(x *tensors.Tensor, n int) (*Result, error) {
	if err := checkFirstOrderStep("optim.Adam", a.configErr, x); err != nil {
		return nil, err
	}
	dtype := x.DType()
	if a.m != nil && !a.shape.Equal(x.Shape()) {
		return nil, fmt.Errorf("optim.Adam.Step: x has shape %s but the moments have shape %s (call Reset)",
			x.Shape(), a.shape)
	}
	if a.exec == nil {
		fn := a.graphs.fn
		var err error
		if a.exec, err = a.graphs.exec("optim_adam", func(args []*graph.Node) []*graph.Node { return buildAdam(fn, args) }); err != nil {
			return nil, fmt.Errorf("optim.Adam: %w", err)
		}
	}
	if a.m == nil {
		a.shape = x.Shape()
		zeros, err := a.graphs.exec("optim_adam_moments", func(args []*graph.Node) []*graph.Node {
			return []*graph.Node{graph.ZerosLike(args[0]), graph.ZerosLike(args[0])}
		})
		if err != nil {
			return nil, fmt.Errorf("optim.Adam: creating the moments: %w", err)
		}
		a.m, a.v, err = zeros.Exec2(x)
		if err != nil {
			return nil, fmt.Errorf("optim.Adam: creating the moments: %w", err)
		}
		a.owned.add(a.m, a.v)
	}

	return firstOrder{
		name: "optim.Adam", owned: &a.owned, evals: &a.evals, onEval: a.onEval, pause: a.pause, k: 3,
		iterate: func(_ int, cur *tensors.Tensor) ([]*tensors.Tensor, error) {
			a.step++
			// Bias corrections in float64, as torch computes them with Python floats.
			step := float64(a.step)
			biasCorrection1 := 1 - math.Pow(a.beta1, step)
			biasCorrection2 := 1 - math.Pow(a.beta2, step)
			stepSize := a.lr / biasCorrection1
			hyper := vectorOf([]float64{a.beta1, 1 - a.beta1, a.beta2, 1 - a.beta2, -stepSize,
				math.Sqrt(biasCorrection2)}, dtype)
			args := make([]any, 0, 5+len(a.inputs))
			args = append(args, cur, a.m, a.v, hyper, scalarOf(a.eps, dtype))
			for _, in := range a.inputs {
				args = append(args, in)
			}
			outs, err := a.exec.Exec(args...)
			if err != nil {
				return nil, fmt.Errorf("optim.Adam: iteration %d: %w", a.step, err)
			}
			a.owned.add(outs[0], outs[1], outs[2])
			a.m, a.v = outs[1], outs[2]
			return outs, nil
		},
		state: func() []*tensors.Tensor { return []*tensors.Tensor{a.m, a.v} },
		reset: a.Reset,
	}.step(x, n)
}
