package styleloss

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
)

// GramMatrix is one layer's style representation in Gatys et al.: G = F·Fᵀ [C, C] of its feature
// map [C, H, W] (package nst's GramMatrix explains it). Its gradient is written by hand, so that
// it takes one matrix product and no transposed copy of F.
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

// GramLayerLoss is Gatys et al.'s style term at one layer, as the original notebook writes it:
//
//	E_l = mean((G_F − G_S)²)/(N·M) = ‖G_F − G_S‖²_F/(N³·M)
//
// target is the layer's feature map [d, h, w]; styleGram is G_S [d, d].
func GramLayerLoss(target, styleGram *Node) *Node {
	d, h, w := target.Shape().Dim(0), target.Shape().Dim(1), target.Shape().Dim(2)
	layerStyleLoss := ReduceAllMean(Square(Sub(GramMatrix(target), styleGram)))
	return DivScalar(layerStyleLoss, float64(d*h*w))
}
