package styleloss

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
)

// Layer is what a loss knows of one style layer when it builds its graphs: the number of
// positions of the target's feature map there (M), and a seed for what the loss draws at random
// once (Gaussian MMD's blocks, sliced Wasserstein's directions).
type Layer struct {
	Positions int
	Seed      uint64
}

// Parts is one style loss as a transfer uses it: what it takes from the style's features at a
// layer, and its layer term E_l.
type Parts struct {
	// Stats computes, from one style picture's features [d, h, w] at a layer, the statistics the
	// loss compares against. Several styles blend as the weighted average Σ_i b_i·stats_i / Σ_i b_i
	// of their statistics (as Gram matrices do).
	Stats func(feature *Node, l Layer) []*Node
	// Finish, if set, turns the blended statistics into the targets LayerLoss reads, once per run
	// (e.g. W2's Σ_S^½).
	Finish func(stats []*Node) []*Node
	// LayerLoss is E_l for the target's features [d, h, w] against the targets.
	LayerLoss func(feature *Node, targets []*Node, l Layer) *Node
	// NumStats and NumTargets count Stats's and Finish's results (LayerLoss's targets).
	NumStats, NumTargets int
	// OneStyle says the loss takes a single style picture (its statistics are the feature vectors
	// themselves, which do not blend).
	OneStyle bool
	// StatsUseLayer says Stats depends on Layer (so its graph is per content size and seed).
	StatsUseLayer bool
}

// flatFeatures views a feature map [d, h, w] as F [N = d, M = h·w].
func flatFeatures(f *Node) *Node {
	if f.Rank() == 2 {
		return f
	}
	return Reshape(f, f.Shape().Dim(0), f.Shape().Dim(1)*f.Shape().Dim(2))
}

// featureMean is μ = (1/M)·Σ_i f_i [N] of F [N, M].
func featureMean(f *Node) *Node { return ReduceMean(f, 1) }

// secondMoment is Ĝ = F·Fᵀ/M [N, N] of F [N, M], through GramMatrix (and its gradient).
func secondMoment(f *Node) *Node {
	n, m := f.Shape().Dim(0), f.Shape().Dim(1)
	return DivScalar(GramMatrix(Reshape(f, n, m, 1)), float64(m))
}

// squaredDistance is ‖a − b‖² of two vectors.
func squaredDistance(a, b *Node) *Node { return ReduceAllSum(Square(Sub(a, b))) }

// identityMatrix is v·I [n, n] in like's dtype.
func identityMatrix(like *Node, n int, v float64) *Node {
	return DiagonalWithValue(Scalar(like.Graph(), like.DType(), v), n)
}

// trace is Σ_i a_ii.
func trace(a *Node) *Node {
	n := a.Shape().Dim(0)
	return ReduceAllSum(Where(Diagonal(a.Graph(), n), a, ZerosLike(a)))
}
