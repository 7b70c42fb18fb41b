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
