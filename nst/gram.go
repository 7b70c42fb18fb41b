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
// As in the original notebook (`gram = torch.mm(tensor, tensor.t())` on the features viewed as
// [d, h·w]), G is not normalized; the style loss divides by d·h·w instead. feature is [C, H, W],
// channels first as in PyTorch; the result is [C, C].
func GramMatrix(feature *Node) *Node {
	d, h, w := feature.Shape().Dim(0), feature.Shape().Dim(1), feature.Shape().Dim(2)
	f := Reshape(feature, d, h*w) // tensor.view(d, h * w)
	// F·Fᵀ contracts the positions of F with those of F: written as such, not with a transposed
	// copy of F.
	//
	// Its gradient: for a loss L(G) with V = ∂L/∂G, ∂L/∂F = (V + Vᵀ)·F. Differentiated through
	// its first factor only (the second under StopGradient) the product gives V·F, one matrix
	// product with no transposed copy of F (GoMLX's gradient through the second factor transposes
	// F on the Go backend); so the gradient that arrives is first replaced by V + Vᵀ, a d×d sum.
	g := Dot(f, StopGradient(f)).General([]int{1}, nil, []int{1}, nil)
	return IdentityWithCustomGradient(g, func(_, v *Node) *Node { return Add(v, Transpose(v, 0, 1)) })
}
