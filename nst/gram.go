package nst

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck

	"github.com/estil-nst/estil/nst/styleloss"
)

// GramMatrix is the style representation of one layer (Gatys et al.): with the layer's feature
// maps F reshaped to d rows (one per channel) of h·w values,
//
//	G = F·Fᵀ,   G[i][j] = Σ_p F[i][p]·F[j][p]
//
// G[i][i] is how strongly filter i fires over the whole image (its energy); G[i][j] is how much
// filters i and j fire together, wherever that is. Where things are is summed away: what remains
// is which textures and colours go together, i.e. the style.
//
// As in the original notebook (`gram = torch.mm(tensor, tensor.t())` on the features viewed as
// [d, h·w]), G is not normalized; the style loss divides by d·h·w instead. feature is [C, H, W],
// channels first as in PyTorch; the result is [C, C].
//
// Its gradient is written by hand (styleloss.GramMatrix), so that it costs one matrix product.
func GramMatrix(feature *Node) *Node { return styleloss.GramMatrix(feature) }

// GuidedGram is the Gram matrix of one region of a layer (Gatys et al. 2017, "Controlling
// Perceptual Factors in Neural Style Transfer", §4.1, guided Gram matrices): the feature maps are
// multiplied by the region's guidance channel T (1 inside the region, 0 outside, at the layer's
// resolution) before the Gram matrix is taken, so that only the region's positions count:
//
//	G^r = (h·w / Σ_p T_p²) · (F∘T)(F∘T)ᵀ,   G^r[i][j] = (h·w / Σ_p T_p²) · Σ_p T_p²·F[i][p]·F[j][p]
//
// The factor h·w/Σ_p T_p² is Gatys's normalisation (his code divides each guidance channel by its
// root mean square): it makes G^r the Gram matrix a whole layer of the region's texture would
// have, so that a small region of the style and a large region of the result are compared on one
// scale, and so that with T all ones G^r is exactly GramMatrix (and every GramNorm applies to it
// as to G). feature is [C, H, W]; guide is [H, W] and must not be all zeros.
func GuidedGram(feature, guide *Node) *Node {
	d, h, w := feature.Shape().Dim(0), feature.Shape().Dim(1), feature.Shape().Dim(2)
	t := BroadcastToDims(Reshape(guide, 1, h, w), d, h, w)
	g := GramMatrix(Mul(feature, t))
	size := ReduceAllSum(Square(guide)) // Σ_p T_p²: the region's number of positions
	return Mul(g, Div(Scalar(g.Graph(), g.DType(), float64(h*w)), size))
}
