package styleloss

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
)

// MMDPolyC is c in the polynomial kernel (xᵀy + c)²: 0, Li et al.'s default (--mmd-poly-c 0.0 in
// their neural-style.py), which makes the loss the Gram loss.
const MMDPolyC = 0.0

// MMDPolyLayerLoss is Li et al.'s MMD with the polynomial kernel k(x,y) = (xᵀy + c)², c = MMDPolyC:
//
//	Σ_ij (f_iᵀs_j + c)² = Σ_ij (f_iᵀs_j)² + 2c·Σ_ij f_iᵀs_j + c²·M·M_S
//	                    = ⟨F·Fᵀ, S·Sᵀ⟩ + 2c·M·M_S·μ_Fᵀμ_S + c²·M·M_S
//	Σ_ij [k(f_i,f_j) + k(s_i,s_j) − 2k(f_i,s_j)] = ‖G_F − G_S‖²_F + 2c·M²·‖μ_F − μ_S‖²  (M_S = M)
//	E_l = (1/Z)·that,   Z = N²·M   (mmd_loss.py's 'poly', grad_scale = style_weight·w/(N·M·N))
//	    = (M/N²)·(‖Ĝ_F − Ĝ_S‖²_F + 2c·‖μ_F − μ_S‖²)
//
// computed from N×N Gram matrices, never from an M×M matrix. With c = 0 it is N times the
// original's Gram term mean((G_F − G_S)²)/(N·M) = ‖G_F − G_S‖²/(N³·M) (GramLayerLoss). The style
// enters through its second moment Ĝ_S = S·Sᵀ/M_S and its mean μ_S (so that, as for the linear
// kernel, a style of another size compares as a distribution).
func MMDPolyLayerLoss(target, styleMoment, styleMean *Node) *Node {
	return mmdPolyLayerLoss(target, styleMoment, styleMean, MMDPolyC)
}

func mmdPolyLayerLoss(target, styleMoment, styleMean *Node, c float64) *Node {
	f := flatFeatures(target)
	n, m := f.Shape().Dim(0), f.Shape().Dim(1)
	e := ReduceAllSum(Square(Sub(secondMoment(f), styleMoment)))
	if c != 0 {
		e = Add(e, MulScalar(squaredDistance(featureMean(f), styleMean), 2*c))
	}
	return MulScalar(e, float64(m)/float64(n*n))
}

// MMDPoly is the polynomial-kernel MMD's parts: the style's second moment and mean, then
// MMDPolyLayerLoss.
func MMDPoly() Parts {
	return Parts{
		NumStats: 2, NumTargets: 2,
		Stats: func(f *Node, _ Layer) []*Node {
			s := flatFeatures(f)
			return []*Node{secondMoment(s), featureMean(s)}
		},
		LayerLoss: func(f *Node, t []*Node, _ Layer) *Node { return mmdPolyLayerLoss(f, t[0], t[1], MMDPolyC) },
	}
}
