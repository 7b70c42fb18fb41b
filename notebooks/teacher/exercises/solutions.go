package exercises

// The teacher's solutions to the implement-and-check exercises, as the teacher's copy of the
// notebooks shows them. They are compiled here so that they cannot rot: Exercises cuts each
// function's text out of this file (embedded), and the tests run each one through its check.
// Their doc comments, in both languages, are in Exercises' table; comments inside them are
// formulas, the same in both.

import (
	"github.com/gomlx/gomlx/core/graph"

	"github.com/estil-nst/estil/nst"
)

func gramMatrix(f *graph.Node) *graph.Node {
	d, h, w := f.Shape().Dim(0), f.Shape().Dim(1), f.Shape().Dim(2)
	flat := graph.Reshape(f, d, h*w)                       // F [d, h·w]
	return graph.MatMul(flat, graph.Transpose(flat, 0, 1)) // F·Fᵀ [d, d]
}

func gramHW(f *graph.Node) *graph.Node {
	h, w := f.Shape().Dim(1), f.Shape().Dim(2)
	return graph.DivScalar(gramMatrix(f), float64(h*w))
}

func contentLoss(target, content *graph.Node) *graph.Node {
	return graph.ReduceAllMean(graph.Square(graph.Sub(target, content)))
}

func styleLayerLoss(target, styleGram *graph.Node) *graph.Node {
	d, h, w := target.Shape().Dim(0), target.Shape().Dim(1), target.Shape().Dim(2)
	diff := graph.Sub(nst.GramMatrix(target), styleGram) // G_T − G_S
	return graph.DivScalar(graph.ReduceAllMean(graph.Square(diff)), float64(d*h*w))
}

func totalVariation(x *graph.Node) *graph.Node {
	h, w := x.Shape().Dim(0), x.Shape().Dim(1)
	all := graph.AxisRange()
	dy := graph.Sub(graph.Slice(x, graph.AxisRange(1, h)), graph.Slice(x, graph.AxisRange(0, h-1)))           // x[i+1][j] − x[i][j]
	dx := graph.Sub(graph.Slice(x, all, graph.AxisRange(1, w)), graph.Slice(x, all, graph.AxisRange(0, w-1))) // x[i][j+1] − x[i][j]
	return graph.Add(graph.ReduceAllSum(graph.Square(dy)), graph.ReduceAllSum(graph.Square(dx)))
}

func mmdLinear(target, style *graph.Node) *graph.Node {
	n, m := target.Shape().Dim(0), target.Shape().Dim(1)*target.Shape().Dim(2)
	f, s := graph.Reshape(target, n, m), graph.Reshape(style, n, m)
	kernel := func(a, b *graph.Node) *graph.Node { return graph.MatMul(graph.Transpose(a, 0, 1), b) } // Aᵀ·B [M, M]: k(a_i, b_j)
	sum := graph.Sub(graph.Add(graph.ReduceAllSum(kernel(f, f)), graph.ReduceAllSum(kernel(s, s))),
		graph.MulScalar(graph.ReduceAllSum(kernel(f, s)), 2))
	return graph.DivScalar(sum, float64(n*m))
}

func guidedGram(f, t *graph.Node) *graph.Node {
	d, h, w := f.Shape().Dim(0), f.Shape().Dim(1), f.Shape().Dim(2)
	guided := graph.Mul(f, graph.BroadcastToDims(graph.Reshape(t, 1, h, w), d, h, w)) // F∘T
	g := graph.MatMul(graph.Reshape(guided, d, h*w), graph.Transpose(graph.Reshape(guided, d, h*w), 0, 1))
	return graph.Mul(g, graph.Div(graph.Scalar(g.Graph(), g.DType(), float64(h*w)), graph.ReduceAllSum(graph.Square(t))))
}
