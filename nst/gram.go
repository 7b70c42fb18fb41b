package nst

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
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
// As in the original notebook (`gram = torch.mm(tensor, tensor.t())`), G is not normalized; the
// style loss divides by d·h·w instead. feature is [H, W, C]; the result is [C, C].
func GramMatrix(feature *Node) *Node {
	h, w, d := feature.Shape().Dim(0), feature.Shape().Dim(1), feature.Shape().Dim(2)
	// Our feature maps are stored [h, w, d]: reshaped to [h·w, d] that is Fᵀ, so G = (Fᵀ)ᵀ·Fᵀ.
	ft := Reshape(feature, h*w, d)
	return MatMul(Transpose(ft, 0, 1), ft)
}
