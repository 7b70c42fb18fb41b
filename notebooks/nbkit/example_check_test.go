package nbkit_test

import (
	"github.com/gomlx/gomlx/core/graph"

	"github.com/estil-nst/estil/notebooks/nbkit"
	"github.com/estil-nst/estil/nst"
)

// A notebook cell declares the student's function; the next cell checks it. Here the student
// multiplied Fᵀ by F, and the check says so.
func ExampleCheckGram() {
	gramMatrix := func(f *graph.Node) *graph.Node {
		d, h, w := f.Shape().Dim(0), f.Shape().Dim(1), f.Shape().Dim(2)
		flat := graph.Reshape(f, d, h*w)
		return graph.MatMul(graph.Transpose(flat, 0, 1), flat) // should be F·Fᵀ
	}
	_ = nbkit.CheckGram(nst.GramNormNone, gramMatrix)
	// Output:
	// ✘ the Gram matrix: you computed Fᵀ·F, one entry per pair of positions: the Gram matrix is F·Fᵀ, [d, d], one entry per pair of channels (F is f viewed as [d, h·w]). (On f [3, 4, 5] (d = 3, h·w = 20) your result is [20, 20]; it should be [3, 3].)
}

// A sum where the original takes the mean: the ratio to estil's value is d·h·w on every input.
func ExampleCheckContentLoss() {
	contentLoss := func(target, content *graph.Node) *graph.Node {
		return graph.ReduceAllSum(graph.Square(graph.Sub(target, content)))
	}
	_ = nbkit.CheckContentLoss(contentLoss)
	// Output:
	// ✘ the content loss: a sum where a mean is meant: the original's content loss is mean((T − C)²), the sum divided by the d·h·w elements. (On target [3, 4, 5], content [3, 4, 5] (d = 3, h·w = 20) your result is 60 times estil's.)
}

func ExampleCheckStyleLayerLoss() {
	styleLayerLoss := func(target, styleGram *graph.Node) *graph.Node {
		d, h, w := target.Shape().Dim(0), target.Shape().Dim(1), target.Shape().Dim(2)
		diff := graph.Sub(nst.GramMatrix(target), styleGram)
		return graph.DivScalar(graph.ReduceAllMean(graph.Square(diff)), float64(d*h*w))
	}
	_ = nbkit.CheckStyleLayerLoss(styleLayerLoss)
	// Output:
	// ✔ the style loss E_l of one layer: right on 3 random inputs (target [3, 4, 5], [6, 2, 7], [5, 3, 3]).
}

// PyTorch's pictures are [C, H, W]; estil's are [H, W, C]. Differences taken along axes 1 and 2
// compare columns and channels instead of rows and columns.
func ExampleCheckTotalVariation() {
	totalVariation := func(x *graph.Node) *graph.Node {
		h, w := x.Shape().Dim(1), x.Shape().Dim(2) // as if x were [C, H, W]
		all := graph.AxisRange()
		dy := graph.Sub(graph.Slice(x, all, graph.AxisRange(1, h)), graph.Slice(x, all, graph.AxisRange(0, h-1)))
		dx := graph.Sub(graph.Slice(x, all, all, graph.AxisRange(1, w)), graph.Slice(x, all, all, graph.AxisRange(0, w-1)))
		return graph.Add(graph.ReduceAllSum(graph.Square(dy)), graph.ReduceAllSum(graph.Square(dx)))
	}
	_ = nbkit.CheckTotalVariation(totalVariation)
	// Output:
	// ✘ the total variation: you took the differences along the wrong axes, as if x were [C, H, W] (PyTorch's order): estil's pictures are [H, W, C], so neighbours differ along axes 0 (rows) and 1 (columns).
}

// mmd-linear written from its definition, a sum over all pairs of positions, passes: the check
// has shown on random inputs that it equals estil's (M/N)·‖μ_F − μ_S‖².
func ExampleCheckMMDLinear() {
	mmdLinear := func(target, style *graph.Node) *graph.Node {
		n, m := target.Shape().Dim(0), target.Shape().Dim(1)*target.Shape().Dim(2)
		f, s := graph.Reshape(target, n, m), graph.Reshape(style, n, m)
		kernel := func(a, b *graph.Node) *graph.Node { return graph.MatMul(graph.Transpose(a, 0, 1), b) } // k(a_i, b_j)
		sum := graph.Sub(graph.Add(graph.ReduceAllSum(kernel(f, f)), graph.ReduceAllSum(kernel(s, s))),
			graph.MulScalar(graph.ReduceAllSum(kernel(f, s)), 2))
		return graph.DivScalar(sum, float64(n*m))
	}
	_ = nbkit.CheckMMDLinear(mmdLinear)
	// Output:
	// ✔ mmd-linear: right on 3 random inputs (target [3, 4, 5], [6, 2, 7], [5, 3, 3]). Your sum over the M² pairs equals estil's (M/N)·‖μ_F − μ_S‖², computed from the means alone: Σ_ij k(…) = M²·‖μ_F − μ_S‖².
}
