package styleloss

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
)

// MMDLinearLayerLoss is Li et al.'s MMD with the linear kernel k(x,y) = xᵀy:
//
//	Σ_ij [f_iᵀf_j + s_iᵀs_j − 2·f_iᵀs_j] = ‖Σ_i f_i − Σ_j s_j‖² = M²·‖μ_F − μ_S‖²
//	E_l = (1/Z)·M²·‖μ_F − μ_S‖²,   Z = N·M   (Li et al.'s mmd_loss.py, 'linear', scaled by
//	                                           grad_scale = style_weight·w/(N·M) in neural-style.py)
//	    = (M/N)·‖μ_F − μ_S‖²
//
// computed from the means, never from an M×M matrix. With a style of M_S ≠ M positions the
// style's sum is taken as M·μ_S (its distribution, with the target's number of samples), so that
// E_l vanishes when the means agree. target is [d, h, w]; styleMean is μ_S [N].
func MMDLinearLayerLoss(target, styleMean *Node) *Node {
	f := flatFeatures(target)
	n, m := f.Shape().Dim(0), f.Shape().Dim(1)
	return MulScalar(squaredDistance(featureMean(f), styleMean), float64(m)/float64(n))
}

// MMDLinear is the linear-kernel MMD's parts: the style's mean feature vector, then
// MMDLinearLayerLoss.
func MMDLinear() Parts {
	return Parts{
		NumStats: 1, NumTargets: 1,
		Stats:     func(f *Node, _ Layer) []*Node { return []*Node{featureMean(flatFeatures(f))} },
		LayerLoss: func(f *Node, t []*Node, _ Layer) *Node { return MMDLinearLayerLoss(f, t[0]) },
	}
}
