package optim

import (
	"errors"
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// ErrNotFinite is wrapped by the error Step returns when an evaluation gives a loss (or gradient) that
// is NaN or ±Inf. Test for it with errors.Is.
var ErrNotFinite = errors.New("loss or gradient is not finite")

// Evaluation describes one evaluation of the Function, given to the OnEvaluation observer.
type Evaluation struct {
	// N counts evaluations since the optimizer was created (or Reset), from 1: torch's
	// state['func_evals'] after this evaluation.
	N int
	// Loss is the objective at the evaluated point (which, during a line search, is a trial point).
	Loss float64
	// Extras are the Function's scalar extras at that point, converted to float64.
	Extras []float64
}

// point is the result of one evaluation: the host scalars and the gradient, which stays on the device.
type point struct {
	loss float64
	gInf float64         // ‖g‖∞
	gtd  float64         // gᵀd, for evaluations along a direction d
	g    *tensors.Tensor // on device
}

// evaluator runs the graphs that evaluate a Function; they belong to its Graphs.
type evaluator struct {
	fn       Function
	evalAt   *graph.Exec // (x, inputs...) → {loss, ‖g‖∞}, g, [extras]
	evalDir  *graph.Exec // (x, t, d, inputs...) → {loss, ‖g‖∞, gᵀd}, g, [extras] at x + t·d
	axpyExec *graph.Exec // (x, t, d) → x + t·d
	zeros    *graph.Exec // (x) → zeros shaped like x
}

func newEvaluator(g *Graphs) (*evaluator, error) {
	e := &evaluator{fn: g.fn}
	var err error
	if e.evalAt, err = g.exec("optim_eval", e.buildEvalAt); err != nil {
		return nil, err
	}
	if e.evalDir, err = g.exec("optim_eval_dir", e.buildEvalDir); err != nil {
		return nil, err
	}
	if e.axpyExec, err = g.exec("optim_axpy", func(a []*graph.Node) []*graph.Node {
		x, t, d := a[0], a[1], a[2]
		return []*graph.Node{graph.Add(x, graph.Mul(t, d))} // torch: p.add_(d, alpha=t)
	}); err != nil {
		return nil, err
	}
	if e.zeros, err = g.exec("optim_zeros", func(a []*graph.Node) []*graph.Node {
		return []*graph.Node{graph.ZerosLike(a[0])}
	}); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *evaluator) buildEvalAt(args []*graph.Node) []*graph.Node {
	x, inputs := args[0], args[1:]
	loss, grad, extras := callFunction(e.fn, x, inputs)
	outs := []*graph.Node{packScalars(loss, maxAbs(grad)), grad}
	if len(extras) > 0 {
		outs = append(outs, packScalars(extras...))
	}
	return outs
}

func (e *evaluator) buildEvalDir(args []*graph.Node) []*graph.Node {
	x, t, d, inputs := args[0], args[1], args[2], args[3:]
	xt := graph.Add(x, graph.Mul(t, d)) // same expression as axpyExec: the same bits.
	loss, grad, extras := callFunction(e.fn, xt, inputs)
	outs := []*graph.Node{packScalars(loss, maxAbs(grad), dot(grad, d)), grad}
	if len(extras) > 0 {
		outs = append(outs, packScalars(extras...))
	}
	return outs
}

// eval evaluates the Function at x (d == nil) or at x + t·d. It returns the point and the extras (read
// only if wantExtras).
func (e *evaluator) eval(x *tensors.Tensor, t float64, d *tensors.Tensor, inputs []*tensors.Tensor,
	wantExtras bool) (p point, extras []float64, err error) {
	var args []any
	var exec *graph.Exec
	if d == nil {
		exec = e.evalAt
		args = make([]any, 0, 1+len(inputs))
		args = append(args, x)
	} else {
		exec = e.evalDir
		args = make([]any, 0, 3+len(inputs))
		args = append(args, x, scalarOf(t, x.DType()), d)
	}
	for _, in := range inputs {
		args = append(args, in)
	}
	outs, err := exec.Exec(args...)
	if err != nil {
		return p, nil, fmt.Errorf("optim: evaluating the Function: %w", err)
	}
	scal, err := readScalars(outs[0])
	if err != nil {
		return p, nil, err
	}
	p.loss, p.gInf, p.g = scal[0], scal[1], outs[1]
	if d != nil {
		p.gtd = scal[2]
	}
	if len(outs) > 2 {
		if wantExtras {
			if extras, err = readScalars(outs[2]); err != nil {
				return p, nil, err
			}
		} else {
			_ = outs[2].FinalizeAll()
		}
	}
	return p, extras, nil
}

func (e *evaluator) axpy(x *tensors.Tensor, t float64, d *tensors.Tensor) (*tensors.Tensor, error) {
	out, err := e.axpyExec.Exec1(x, scalarOf(t, x.DType()), d)
	if err != nil {
		return nil, fmt.Errorf("optim: computing x + t·d: %w", err)
	}
	return out, nil
}

func (e *evaluator) zerosLike(x *tensors.Tensor) (*tensors.Tensor, error) {
	out, err := e.zeros.Exec1(x)
	if err != nil {
		return nil, fmt.Errorf("optim: creating a zero tensor: %w", err)
	}
	return out, nil
}

// finite reports whether an evaluation's loss and ‖g‖∞ are finite (‖g‖∞ is NaN or Inf iff some
// element of g is).
func (p point) finite() bool {
	return !math.IsNaN(p.loss) && !math.IsInf(p.loss, 0) && !math.IsNaN(p.gInf) && !math.IsInf(p.gInf, 0)
}

// readScalars copies a small float64 vector (or scalar) to the host and frees it on the device.
func readScalars(t *tensors.Tensor) ([]float64, error) {
	v, err := tensors.CopyFlatData[float64](t)
	_ = t.FinalizeAll()
	if err != nil {
		return nil, fmt.Errorf("optim: reading scalars back from the device: %w", err)
	}
	return v, nil
}

// scalarOf returns v as a Go scalar of the given dtype (float32 or float64), to be passed to an Exec.
func scalarOf(v float64, dtype dtypes.DType) any {
	return shapes.CastAsDType(v, dtype)
}

// vectorOf returns vs as a 1-D tensor of the given dtype.
func vectorOf(vs []float64, dtype dtypes.DType) *tensors.Tensor {
	if dtype == dtypes.Float32 {
		f := make([]float32, len(vs))
		for i, v := range vs {
			f[i] = float32(v)
		}
		return tensors.FromFlatDataAndDimensions(f, len(f))
	}
	return tensors.FromFlatDataAndDimensions(append([]float64(nil), vs...), len(vs))
}

// arena tracks the device tensors an optimizer owns, so that temporaries are freed as soon as they are
// no longer needed instead of waiting for Go's garbage collector (which doesn't see device memory).
type arena map[*tensors.Tensor]struct{}

func (a arena) add(ts ...*tensors.Tensor) {
	for _, t := range ts {
		if t != nil {
			a[t] = struct{}{}
		}
	}
}

// disown stops tracking t without freeing it (e.g. a result handed to the caller).
func (a arena) disown(t *tensors.Tensor) { delete(a, t) }

// release frees every owned tensor that isn't in keep.
func (a arena) release(keep ...*tensors.Tensor) {
	k := make(map[*tensors.Tensor]struct{}, len(keep))
	for _, t := range keep {
		if t != nil {
			k[t] = struct{}{}
		}
	}
	for t := range a {
		if _, ok := k[t]; !ok {
			_ = t.FinalizeAll()
			delete(a, t)
		}
	}
}
