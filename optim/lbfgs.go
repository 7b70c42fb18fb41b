package optim

import (
	"errors"
	"fmt"
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
)

// Iteration describes one L-BFGS iteration (one step x ← x + t·d), given to the OnIteration observer
// after the step and its evaluation(s), before torch's stopping tests.
//
// An iteration that ends the Step on the directional-derivative test takes no step and isn't reported.
type Iteration struct {
	// N counts iterations since the optimizer was created (or Reset), from 1: torch's state['n_iter'].
	N int
	// Loss is the latest evaluated loss (at the new x). In fixed-step mode torch doesn't evaluate after
	// the last iteration of a Step (n_iter == max_iter); Loss is then the loss before that step.
	Loss float64
	// StepLength is t.
	StepLength float64
	// GradNorm is the max-norm ‖g‖∞ of the latest gradient: the quantity compared with tolerance_grad.
	GradNorm float64
	// Curvature is sᵀy of the pair (s, y) formed at the start of this iteration (0 on the very first
	// iteration, which forms none). The pair entered the history only if sᵀy > 1e-10.
	Curvature float64
	// HistoryUsed is the number of (s, y) pairs the two-loop recursion used for this direction.
	HistoryUsed int
	// FuncEvals counts evaluations since the optimizer was created: torch's state['func_evals'].
	FuncEvals int
}

// Result is what Step returns.
type Result struct {
	// X is the new x. The caller owns it (as it owns the x passed to Step, which Step never frees); it
	// is the x given to Step when no step was taken. After an error, X is the last x whose loss was
	// evaluated and finite (the x given to Step if none).
	X *tensors.Tensor
	// Loss is the loss at the x given to Step: what torch's step(closure) returns.
	Loss float64
	// LastLoss is the last finite loss evaluated, torch's local `loss` at the end of step(): the loss at
	// X, except in fixed-step mode when the Step ended on max_iter (torch moves x one last time without
	// evaluating it).
	LastLoss float64
	// Iterations and Evaluations made during this Step.
	Iterations, Evaluations int
	// Stopped tells which of torch's conditions ended the Step (one of the Stop* constants).
	Stopped StopReason
}

// LBFGS is L-BFGS with torch.optim.LBFGS semantics. Configure it with the builder methods, then call
// Step repeatedly; the state (history, last direction and step, counters) carries over between calls,
// as torch's does. An LBFGS is not safe for concurrent use.
type LBFGS struct {
	graphs    *Graphs
	ownGraphs bool // made by NewLBFGS: Finalize frees them
	inputs    []*tensors.Tensor

	lr          float64
	maxIter     int // torch's max_iter: the iterations of the current Step
	maxEval     int // 0: max_iter*5/4
	tolGrad     float64
	tolChange   float64
	historySize int
	strongWolfe bool
	onEval      func(Evaluation) error
	onIter      func(Iteration) error
	pause       func() bool
	configErr   error

	ev    *evaluator
	tl    *twoLoop
	owned arena
	st    state
}

// state is torch's optimizer state (self.state[param]).
type state struct {
	shape     shapes.Shape // of x; the state belongs to this shape
	funcEvals int
	nIter     int
	d         *tensors.Tensor
	t         float64
	hist      history
	hDiag     float64
	prevG     *tensors.Tensor
	prevLoss  float64
	zeros     *tensors.Tensor // padding for the two-loop graph
	pending   *pendingStep    // the progress of a paused Step (state.go)
}

// NewLBFGS creates an L-BFGS optimizer of f on the given backend, with torch's defaults: lr 1,
// max_eval 5/4 of each Step's iterations (torch's max_iter), tolerance_grad 1e-7, tolerance_change
// 1e-9, history_size 100, no line search.
func NewLBFGS(backend compute.Backend, f Function) *LBFGS {
	o := newLBFGS(NewGraphs(backend, f), true)
	return o
}

// newLBFGS is NewLBFGS running g's graphs; own: Finalize frees them.
func newLBFGS(g *Graphs, own bool) *LBFGS {
	backend, f := g.backend, g.fn
	o := &LBFGS{
		graphs:      g,
		ownGraphs:   own,
		lr:          1,
		tolGrad:     1e-7,
		tolChange:   1e-9,
		historySize: 100,
		owned:       arena{},
	}
	if backend == nil {
		o.configErr = errors.New("optim.NewLBFGS: nil backend")
	}
	if f == nil {
		o.configErr = errors.New("optim.NewLBFGS: nil Function")
	}
	return o
}

func (o *LBFGS) setErr(format string, args ...any) {
	if o.configErr == nil {
		o.configErr = fmt.Errorf(format, args...)
	}
}

// LR sets the learning rate (torch's lr, default 1): the fixed step, or the first trial step of the
// line search.
func (o *LBFGS) LR(lr float64) *LBFGS {
	if !(lr > 0) || math.IsInf(lr, 0) {
		o.setErr("optim.LBFGS: LR must be a positive finite number, got %g", lr)
	}
	o.lr = lr
	return o
}

// MaxEval sets the maximum number of function evaluations per Step (torch's max_eval, default 5/4
// of the Step's iterations, integer division).
func (o *LBFGS) MaxEval(n int) *LBFGS {
	if n < 1 {
		o.setErr("optim.LBFGS: MaxEval must be >= 1, got %d", n)
	}
	o.maxEval = n
	return o
}

// ToleranceGrad sets torch's tolerance_grad (default 1e-7): a Step ends when ‖g‖∞ <= tolerance_grad.
func (o *LBFGS) ToleranceGrad(tol float64) *LBFGS {
	o.tolGrad = tol
	return o
}

// ToleranceChange sets torch's tolerance_change (default 1e-9), the threshold of the directional
// derivative, step size and loss-change tests. (As in torch, the line search's own bracket-size test
// always uses 1e-9.)
func (o *LBFGS) ToleranceChange(tol float64) *LBFGS {
	o.tolChange = tol
	return o
}

// HistorySize sets the number m of (s, y) pairs kept (torch's history_size, default 100). Memory on the
// device is about (2m + 4)·size(x).
func (o *LBFGS) HistorySize(m int) *LBFGS {
	if m < 1 {
		o.setErr("optim.LBFGS: HistorySize must be >= 1, got %d", m)
	}
	o.historySize = m
	return o
}

// StrongWolfe selects torch's line_search_fn="strong_wolfe" (true) or None (false, the default:
// fixed step lr).
func (o *LBFGS) StrongWolfe(on bool) *LBFGS {
	o.strongWolfe = on
	return o
}

// Inputs sets the constant tensors passed to the Function as its inputs (e.g. model weights). They
// are graph parameters: changing them (with the same shapes) doesn't recompile anything.
func (o *LBFGS) Inputs(inputs ...*tensors.Tensor) *LBFGS {
	o.inputs = inputs
	return o
}

// OnEvaluation sets an observer called after each evaluation of the Function. If it returns an error,
// Step stops and returns it (wrapped).
func (o *LBFGS) OnEvaluation(fn func(Evaluation) error) *LBFGS {
	o.onEval = fn
	return o
}

// OnIteration sets an observer called after each iteration. If it returns an error, Step stops and
// returns it (wrapped).
func (o *LBFGS) OnIteration(fn func(Iteration) error) *LBFGS {
	o.onIter = fn
	return o
}

// Pause sets a function asked at the end of every iteration whether to pause: if it says so,
// Step returns with Stopped == StopPaused and the next Step continues it (see State).
func (o *LBFGS) Pause(fn func() bool) *LBFGS {
	o.pause = fn
	return o
}

// Reset forgets the optimizer state (history, direction, counters), freeing its device memory, as if
// a new torch.optim.LBFGS were created. Compiled graphs are kept.
func (o *LBFGS) Reset() {
	o.owned.release()
	o.st = state{}
}

// Finalize frees the state, and the compiled graphs unless they belong to a Graphs shared with
// other optimizers (Graphs.New). The LBFGS can't be used afterwards.
func (o *LBFGS) Finalize() {
	o.Reset()
	if o.ownGraphs {
		o.graphs.Finalize()
	}
	o.ev, o.tl = nil, nil
	o.configErr = errors.New("optim.LBFGS: finalized")
}

// rnd rounds a threshold to x's dtype: torch compares float32 tensors with Python numbers in float32.
func rnd(v float64, dtype dtypes.DType) float64 {
	if dtype == dtypes.Float32 {
		return float64(float32(v))
	}
	return v
}

// mulDT and divDT are a·b and a/b rounded as a tensor of the given dtype would be.
func mulDT(a, b float64, dtype dtypes.DType) float64 {
	if dtype == dtypes.Float32 {
		return float64(float32(a) * float32(b))
	}
	return a * b
}

func divDT(a, b float64, dtype dtypes.DType) float64 {
	if dtype == dtypes.Float32 {
		return float64(float32(a) / float32(b))
	}
	return a / b
}

// stepRun holds the locals of one Step: torch's step() variables that aren't in state.
type stepRun struct {
	o     *LBFGS
	res   *Result
	xGood *tensors.Tensor // last x whose loss was evaluated and finite
	x     *tensors.Tensor
	g     *tensors.Tensor // flat_grad
	d     *tensors.Tensor
	prevG *tensors.Tensor
	evals int // current_evals
	// evalsBefore are the evaluations a paused Step had made before this call continued it.
	evalsBefore int
	loss        float64
	gInf        float64
	// failure is the Stopped reason of an error (StopNotFinite, StopObserver); StopError if empty.
	failure StopReason
}

// live lists the device tensors the Step still needs.
func (r *stepRun) live(extra ...*tensors.Tensor) []*tensors.Tensor {
	st := &r.o.st
	keep := append([]*tensors.Tensor{r.x, r.xGood, r.g, r.d, r.prevG, st.zeros}, st.hist.tensors()...)
	return append(keep, extra...)
}

// evaluate runs one evaluation (at x if d is nil, else at x + t·d), counts it, calls the observer and
// checks that the result is finite.
func (r *stepRun) evaluate(x *tensors.Tensor, t float64, d *tensors.Tensor) (point, error) {
	o := r.o
	p, extras, err := o.ev.eval(x, t, d, o.inputs, o.onEval != nil)
	if err != nil {
		return p, err
	}
	o.owned.add(p.g)
	o.st.funcEvals++
	r.evals++
	if o.onEval != nil {
		if err := o.onEval(Evaluation{N: o.st.funcEvals, Loss: p.loss, Extras: extras}); err != nil {
			r.failure = StopObserver
			return p, fmt.Errorf("optim.LBFGS: observer stopped at evaluation %d: %w", o.st.funcEvals, err)
		}
	}
	if !p.finite() {
		r.failure = StopNotFinite
		return p, fmt.Errorf("optim.LBFGS: evaluation %d: loss=%g, max|g|=%g: %w", o.st.funcEvals, p.loss, p.gInf,
			ErrNotFinite)
	}
	return p, nil
}

// fail ends a Step after an error: the result holds the last x with a finite loss, and the state is
// reset (it may be half-updated), so that a next Step starts afresh.
func (r *stepRun) fail(err error) (*Result, error) {
	o := r.o
	r.res.X = r.xGood
	r.res.Evaluations = r.evals - r.evalsBefore
	o.owned.disown(r.xGood)
	o.Reset()
	r.res.Stopped = r.failure
	if r.failure == "" {
		r.res.Stopped = StopError
	}
	return r.res, err
}

// Step runs one call of torch's LBFGS.step(closure) with max_iter = iterations, starting at x, and
// returns the new x. x itself is neither modified nor freed. The shape of x must stay the same between
// Steps (or call Reset).
//
// Errors: a loss or gradient that is NaN or ±Inf (errors.Is(err, ErrNotFinite)), an observer's error
// (wrapped), or a graph error (e.g. a Function with the wrong shapes). Result is then still returned,
// with X the last iterate whose loss was evaluated and finite, and the optimizer state is reset, so that
// a following Step starts afresh like a new torch.optim.LBFGS.
func (o *LBFGS) Step(x *tensors.Tensor, iterations int) (*Result, error) {
	if o.configErr != nil {
		return nil, o.configErr
	}
	if x == nil {
		return nil, errors.New("optim.LBFGS.Step: nil x")
	}
	if iterations < 1 {
		return nil, fmt.Errorf("optim.LBFGS.Step: iterations must be >= 1, got %d", iterations)
	}
	dtype := x.DType()
	if dtype != dtypes.Float32 && dtype != dtypes.Float64 {
		return nil, fmt.Errorf("optim.LBFGS.Step: x must be float32 or float64, got %s", x.Shape())
	}
	st := &o.st
	if (st.nIter > 0 || st.funcEvals > 0) && st.shape.Ok() {
		if !st.shape.Equal(x.Shape()) {
			return nil, fmt.Errorf("optim.LBFGS.Step: x has shape %s but the optimizer state was built for %s "+
				"(call Reset to start over)", x.Shape(), st.shape)
		}
	}
	if p := st.pending; p != nil && iterations != p.maxIter-p.iter {
		return nil, fmt.Errorf("optim.LBFGS.Step: the paused Step has %d iterations left, asked for %d",
			p.maxIter-p.iter, iterations)
	}
	st.shape = x.Shape()
	if o.ev == nil {
		var err error
		if o.ev, err = newEvaluator(o.graphs); err != nil {
			return nil, err
		}
		if o.tl, err = newTwoLoop(o.graphs); err != nil {
			return nil, err
		}
	}
	if st.zeros == nil {
		var err error
		if st.zeros, err = o.ev.zerosLike(x); err != nil {
			return nil, err
		}
		o.owned.add(st.zeros)
	}

	r := &stepRun{o: o, res: &Result{X: x}, x: x, xGood: x, d: st.d, prevG: st.prevG}
	nIter, maxEval := 0, 0 // iterations and evaluation budget of this (torch) Step
	if p := st.pending; p != nil {
		// Continue a paused Step where it stopped: x was evaluated, and its gradient kept.
		st.pending = nil
		o.maxIter, maxEval, nIter = p.maxIter, p.maxEval, p.iter
		r.evals, r.evalsBefore, r.loss, r.g, r.gInf = p.evals, p.evals, p.lastLoss, p.g, p.gInf
		r.res.Loss, r.res.LastLoss = p.loss, p.lastLoss
	} else {
		o.maxIter = iterations
		maxEval = o.maxEval
		if maxEval == 0 {
			maxEval = o.maxIter * 5 / 4
		}
		// Evaluate the initial f(x) and df/dx.
		p, err := r.evaluate(x, 0, nil)
		if err != nil {
			return r.fail(err)
		}
		r.loss, r.g, r.gInf = p.loss, p.g, p.gInf
		r.res.Loss, r.res.LastLoss = p.loss, p.loss

		// Optimal condition.
		if r.gInf <= rnd(o.tolGrad, dtype) {
			r.res.Stopped = StopOptimalAtStart
			return r.finish(), nil
		}
	}
	startIter := nIter

	t := st.t
	hDiag := st.hDiag
	r.res.Stopped = StopMaxIter // if max_iter < 1: torch's loop doesn't run.
	for nIter < o.maxIter {
		nIter++
		st.nIter++
		r.res.Iterations = nIter - startIter

		// Compute the descent direction.
		var curvature, gtd, dInf float64
		if st.nIter == 1 {
			st.hist.clear() // the arena frees the tensors.
			hDiag = 1
		} else {
			// Update the memory with (s, y) = (t·d, g − g_prev).
			s, y, ys, yy, err := o.tl.pair(r.g, r.prevG, r.d, t)
			if err != nil {
				return r.fail(err)
			}
			o.owned.add(s, y)
			curvature = ys
			if ys > rnd(1e-10, dtype) {
				st.hist.push(s, y, ys, o.historySize)
				hDiag = divDT(ys, yy, dtype) // torch: H_diag = ys / y.dot(y)
			}
		}
		// d = −H·g by the two-loop recursion (with no pairs and γ = 1, d = −g exactly).
		d, gtdV, dInfV, err := o.tl.direction(r.g, &st.hist, hDiag, st.zeros, o.historySize)
		if err != nil {
			return r.fail(err)
		}
		o.owned.add(d)
		r.d, gtd, dInf = d, gtdV, dInfV
		historyUsed := st.hist.len()

		r.prevG = r.g
		st.prevLoss = r.loss

		// Compute the step length.
		if st.nIter == 1 {
			l1, err := o.tl.l1(r.g)
			if err != nil {
				return r.fail(err)
			}
			// torch: t = min(1., 1. / flat_grad.abs().sum()) * lr
			inv := divDT(1, rnd(l1, dtype), dtype)
			if inv < 1 {
				t = mulDT(inv, o.lr, dtype)
			} else {
				t = o.lr
			}
		} else {
			t = o.lr
		}

		// Directional derivative is below tolerance.
		if gtd > -rnd(o.tolChange, dtype) {
			r.res.Stopped = StopDirectionalDerivative
			break
		}

		// Take the step.
		// (torch's ls_func_evals is not kept here: every evaluation is counted in evaluate.)
		var optCond bool
		if o.strongWolfe {
			xInit := r.x
			obj := func(t float64) (point, error) { return r.evaluate(xInit, t, r.d) }
			keep := func(ts ...*tensors.Tensor) { o.owned.release(r.live(ts...)...) }
			// torch calls _strong_wolfe with its default tolerance_change = 1e-9.
			best, _, err := strongWolfe(obj, keep, t, dInf, r.loss, point{loss: r.loss, gInf: r.gInf, g: r.g}, gtd, 1e-9)
			if err != nil {
				return r.fail(err)
			}
			t = best.t
			r.loss, r.g, r.gInf = best.f, best.p.g, best.p.gInf
			newX, err := o.ev.axpy(xInit, t, r.d)
			if err != nil {
				return r.fail(err)
			}
			o.owned.add(newX)
			r.x, r.xGood = newX, newX // its loss was evaluated (and finite) by the line search.
			optCond = r.gInf <= rnd(o.tolGrad, dtype)
		} else {
			newX, err := o.ev.axpy(r.x, t, r.d)
			if err != nil {
				return r.fail(err)
			}
			o.owned.add(newX)
			r.x = newX
			if nIter != o.maxIter {
				// Re-evaluate the function only if not in the last iteration (torch: "in a stochastic
				// setting, no use to re-evaluate that function here").
				p, err := r.evaluate(r.x, 0, nil)
				if err != nil {
					if p.g != nil && p.finite() { // an observer stopped at a good point.
						r.xGood, r.res.LastLoss = r.x, p.loss
					}
					return r.fail(err)
				}
				r.loss, r.g, r.gInf = p.loss, p.g, p.gInf
				r.xGood = r.x
				optCond = r.gInf <= rnd(o.tolGrad, dtype)
			}
		}
		r.res.LastLoss = r.loss

		if o.onIter != nil {
			it := Iteration{N: st.nIter, Loss: r.loss, StepLength: t, GradNorm: r.gInf, Curvature: curvature,
				HistoryUsed: historyUsed, FuncEvals: st.funcEvals}
			if err := o.onIter(it); err != nil {
				r.failure = StopObserver
				return r.fail(fmt.Errorf("optim.LBFGS: observer stopped at iteration %d: %w", st.nIter, err))
			}
		}
		// Free what this iteration no longer needs (line-search trial gradients, rejected pairs, old x…).
		o.owned.release(r.live()...)

		// Check the conditions.
		if nIter == o.maxIter {
			r.res.Stopped = StopMaxIter
			break
		}
		if r.evals >= maxEval {
			r.res.Stopped = StopMaxEval
			break
		}
		if optCond {
			r.res.Stopped = StopToleranceGrad
			break
		}
		// Lack of progress.
		if mulDT(dInf, math.Abs(t), dtype) <= rnd(o.tolChange, dtype) { // torch: d.mul(t).abs().max()
			r.res.Stopped = StopStepSize
			break
		}
		if math.Abs(r.loss-st.prevLoss) < o.tolChange {
			r.res.Stopped = StopLossChange
			break
		}
		// Asked to pause: keep this Step's progress for the next Step, which continues it.
		if o.pause != nil && o.pause() {
			st.pending = &pendingStep{maxIter: o.maxIter, maxEval: maxEval, iter: nIter, evals: r.evals,
				loss: r.res.Loss, lastLoss: r.loss, gInf: r.gInf, g: r.g}
			r.res.Stopped = StopPaused
			break
		}
	}

	st.d = r.d
	st.t = t
	st.hDiag = hDiag
	st.prevG = r.prevG
	return r.finish(), nil
}

// finish hands the new x to the caller and frees what the state doesn't need.
func (r *stepRun) finish() *Result {
	o := r.o
	r.res.X = r.x
	r.res.Evaluations = r.evals - r.evalsBefore
	st := &o.st
	keep := append([]*tensors.Tensor{st.d, st.prevG, st.zeros, r.x}, st.hist.tensors()...)
	if st.pending != nil {
		keep = append(keep, st.pending.g)
	}
	o.owned.release(keep...)
	o.owned.disown(r.x) // the caller owns X.
	return r.res
}
