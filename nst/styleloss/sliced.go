package styleloss

import (
	"math"
	"math/rand/v2"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
)

// SlicedDirections are sliced Wasserstein's n directions in R^n (Heitz et al.: as many as the
// layer has channels), unit vectors drawn from a normal distribution with seed, as rows [n, n].
func SlicedDirections(n int, seed uint64) [][]float64 {
	r := rand.New(rand.NewPCG(seed, 0x736c6963)) // "slic"
	v := make([][]float64, n)
	for i := range v {
		v[i] = make([]float64, n)
		var norm float64
		for j := range v[i] {
			v[i][j] = r.NormFloat64()
			norm += v[i][j] * v[i][j]
		}
		norm = math.Sqrt(norm)
		for j := range v[i] {
			v[i][j] /= norm
		}
	}
	return v
}

// slicedProjections are V·F [L, M]: each position's features projected on each direction.
func slicedProjections(f *Node, seed uint64) *Node {
	n := f.Shape().Dim(0)
	v := ConstAsDType(f.Graph(), f.DType(), SlicedDirections(n, seed))
	return MatMul(v, f)
}

// slicedStyleQuantiles are the style's sorted projections [L, M] for a target of M positions:
// each row's M_S sorted values resampled to M quantiles (the value at rank ⌊(k + ½)·M_S/M⌋ for
// k < M; Heitz et al. compare pictures of the same size, where this is the identity). Several
// styles blend by averaging these quantile functions: in one dimension that is their
// Wasserstein barycentre.
func slicedStyleQuantiles(style *Node, positions int, seed uint64) *Node {
	s := flatFeatures(style)
	sorted := sortRows(slicedProjections(s, seed))
	ms := s.Shape().Dim(1)
	if ms == positions {
		return sorted
	}
	idx := make([][]int32, positions)
	for k := range idx {
		idx[k] = []int32{int32(min(ms-1, (2*k+1)*ms/(2*positions)))}
	}
	return Transpose(Gather(Transpose(sorted, 0, 1), Const(style.Graph(), idx)), 0, 1)
}

// SlicedLayerLoss is Heitz et al.'s (2021) sliced Wasserstein loss at one layer:
//
//	E_l = (1/(L·M))·Σ_d Σ_k (sort(V_d·F)_k − sort(V_d·S)_k)²
//
// V_d the L = N unit directions (SlicedDirections), sort(·)_k the k-th smallest projection
// (texturegen.py: tf.reduce_mean((sorted_target − sorted_style)²), num_slices = channels). Heitz
// et al. draw new directions after each L-BFGS run of 64 evaluations; here they are drawn once,
// from seed, since the objective must stay the same function during a run. styleQuantiles is
// the style's sorted projections [L, M] (slicedStyleQuantiles).
func SlicedLayerLoss(target, styleQuantiles *Node, seed uint64) *Node {
	f := flatFeatures(target)
	return ReduceAllMean(Square(Sub(sortRows(slicedProjections(f, seed)), styleQuantiles)))
}

// Sliced is the sliced Wasserstein loss's parts: the style's sorted projections resampled to the
// target's positions (so they depend on Layer), then SlicedLayerLoss.
func Sliced() Parts {
	return Parts{
		NumStats: 1, NumTargets: 1, StatsUseLayer: true,
		Stats: func(f *Node, l Layer) []*Node {
			return []*Node{slicedStyleQuantiles(f, l.Positions, l.Seed)}
		},
		LayerLoss: func(f *Node, t []*Node, l Layer) *Node { return SlicedLayerLoss(f, t[0], l.Seed) },
	}
}
