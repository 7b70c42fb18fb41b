package optim

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
)

// Function computes, inside a graph, the objective at x, its gradient with respect to x (same shape and
// dtype as x), and optional scalar extras (e.g. per-layer losses) that are passed to the observers of
// each evaluation.
//
// inputs are the constant tensors given with Inputs (e.g. model weights), passed to the graph as
// parameters, never baked in as constants, so that one compiled graph serves every call.
//
// x is not necessarily a graph parameter: the optimizers call the Function on x + t·d when they evaluate
// along a search direction.
type Function func(x *graph.Node, inputs []*graph.Node) (loss, grad *graph.Node, extras []*graph.Node)

// Autodiff turns an objective that only computes the loss (and extras) into a Function, with the
// gradient computed by GoMLX's reverse-mode autodiff (graph.Gradient).
//
// Where a backend lacks a gradient, or computes one slowly, write it by hand in a Function instead.
// (GoMLX v0.28's Go backend differentiates everything estil uses.)
func Autodiff(f func(x *graph.Node, inputs []*graph.Node) (loss *graph.Node, extras []*graph.Node)) Function {
	return func(x *graph.Node, inputs []*graph.Node) (*graph.Node, *graph.Node, []*graph.Node) {
		loss, extras := f(x, inputs)
		if loss == nil || !loss.Shape().IsScalar() {
			panic(fmt.Errorf("optim.Autodiff: the objective must return a scalar loss, got %v", shapeOf(loss)))
		}
		grad := graph.Gradient(loss, x)[0]
		return loss, grad, extras
	}
}

// callFunction calls f and checks the shapes of what it returns; it panics with an error (which the
// graph executor turns into the error returned by Exec) if they are wrong.
func callFunction(f Function, x *graph.Node, inputs []*graph.Node) (loss, grad *graph.Node, extras []*graph.Node) {
	loss, grad, extras = f(x, inputs)
	if loss == nil || !loss.Shape().IsScalar() || !loss.DType().IsFloat() {
		panic(fmt.Errorf("optim: the Function must return a float scalar loss, got %v", shapeOf(loss)))
	}
	if grad == nil || !grad.Shape().Equal(x.Shape()) {
		panic(fmt.Errorf("optim: the Function must return a gradient shaped like x (%s), got %v",
			x.Shape(), shapeOf(grad)))
	}
	for i, e := range extras {
		if e == nil || !e.Shape().IsScalar() {
			panic(fmt.Errorf("optim: the Function's extra #%d must be a scalar, got %v", i, shapeOf(e)))
		}
	}
	return loss, grad, extras
}

func shapeOf(n *graph.Node) any {
	if n == nil {
		return "nil"
	}
	return n.Shape()
}

// packScalars converts scalar nodes to float64 and concatenates them into one vector, so that they come
// back to the host in a single transfer.
func packScalars(scalars ...*graph.Node) *graph.Node {
	parts := make([]*graph.Node, len(scalars))
	for i, s := range scalars {
		parts[i] = graph.Reshape(graph.ConvertDType(s, dtypes.Float64), 1)
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return graph.Concatenate(parts, 0)
}

// dot is the inner product of two tensors of the same shape, as a scalar of their dtype: a DotGeneral
// contracting every axis. On the pure-Go backend this is a fast blocked kernel (unlike ReduceSum(Mul),
// which is ~5x slower and sums sequentially), and it needs no Reshape (which copies parameters there).
func dot(a, b *graph.Node) *graph.Node {
	axes := make([]int, a.Rank())
	for i := range axes {
		axes[i] = i
	}
	return graph.DotGeneral(a, axes, nil, b, axes, nil)
}

// maxAbs is ‖a‖∞ = max_i |a_i|, NaN if any element is NaN. (Max(a, −a) rather than Abs(a): the pure-Go
// backend's Abs is branchy and twice as slow.)
func maxAbs(a *graph.Node) *graph.Node {
	return graph.ReduceAllMax(graph.Max(a, graph.Neg(a)))
}
