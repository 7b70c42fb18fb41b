package styleloss

import (
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
)

// sortRows sorts each row of p [L, M] ascending. The order is found by sortOrder on p with its
// gradient stopped, then p's values are gathered in that order: the gradient flows back through
// the Gather, to the position each sorted value came from (GoMLX has no gradient for Sort).
func sortRows(p *Node) *Node {
	l, m := p.Shape().Dim(0), p.Shape().Dim(1)
	rows := Iota(p.Graph(), shapes.Make(dtypes.Int32, l, m), 0)
	flat := Add(MulScalar(rows, float64(m)), sortOrder(StopGradient(p)))
	return Gather(Reshape(p, l*m), InsertAxes(flat, -1))
}

// sortOrder is, for each row of p [L, M], the positions of its values in ascending order
// (int32 [L, M]), from a bitonic sorting network (Batcher) that carries each value's position
// along with it. It needs only comparisons, Where, Reshape and Concatenate, all rows and pairs
// at once: for rows padded to 2^k, ½·k·(k+1) rounds. No gradient flows through it, so its
// rounds' buffers are freed as it goes.
//
// Why not the Go backend's Sort: it calls its comparison as a graph function per pair, and an
// evaluation at 64 px took 2.4× as long (BenchmarkStyleLoss/sliced, one run after the other:
// 2.18 s against 0.90 s; gram 0.16 s). Why not a network of Min and Max, differentiated through:
// its backward pass keeps every round's masks, 5.1 GB at 256 px.
//
// Round (size, d) compares elements i and i+d within blocks of 2d, ascending where i's block of
// `size` is an even one and descending where odd: each round of sizes merges pairs of sorted
// runs into bitonic ones and those into sorted runs of twice the length.
func sortOrder(p *Node) *Node {
	l, m := p.Shape().Dim(0), p.Shape().Dim(1)
	g := p.Graph()
	n := 1
	for n < m {
		n *= 2
	}
	keys, order := p, Iota(g, shapes.Make(dtypes.Int32, l, n), 1)
	if n > m { // padded with the largest float32, which sorts last and is sliced off
		pad := BroadcastToDims(Scalar(g, p.DType(), math.MaxFloat32), l, n-m)
		keys = Concatenate([]*Node{p, pad}, 1)
	}
	halves := func(x *Node, blocks, d int) (*Node, *Node) {
		pairs := Reshape(x, l, blocks, 2, d)
		return Slice(pairs, AxisRange(), AxisRange(), AxisElem(0), AxisRange()),
			Slice(pairs, AxisRange(), AxisRange(), AxisElem(1), AxisRange())
	}
	for size := 2; size <= n; size *= 2 {
		for d := size / 2; d >= 1; d /= 2 {
			blocks := n / (2 * d)
			ka, kb := halves(keys, blocks, d)
			ia, ib := halves(order, blocks, d)
			swap := GreaterThan(ka, kb)
			if size < n {
				ascending := make([]bool, blocks)
				for k := range ascending {
					ascending[k] = k*2*d&size == 0
				}
				up := BroadcastToDims(Reshape(Const(g, ascending), 1, blocks, 1, 1), l, blocks, 1, d)
				swap = Where(up, swap, LessThan(ka, kb))
			}
			keys = Reshape(Concatenate([]*Node{Where(swap, kb, ka), Where(swap, ka, kb)}, 2), l, n)
			order = Reshape(Concatenate([]*Node{Where(swap, ib, ia), Where(swap, ia, ib)}, 2), l, n)
		}
	}
	if n > m {
		order = Slice(order, AxisRange(), AxisRange(0, m))
	}
	return order
}
