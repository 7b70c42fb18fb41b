package styleloss

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
)

// MeanStdEpsilon is added to the variances before their square roots: a channel that never fires
// (all zeros after the ReLU) would otherwise give σ = 0, whose square root has no derivative.
// 10⁻⁵ is batch normalisation's usual ε.
const MeanStdEpsilon = 1e-5

// MeanStdLayerLoss is Li et al.'s batch-normalisation statistics loss (bn_loss.py):
//
//	E_l = (1/N)·Σ_c [(μ_F,c − μ_S,c)² + (σ_F,c − σ_S,c)²]
//
// μ_c the mean of channel c over the positions, σ_c = √(mean((f_c − μ_c)²) + ε) its standard
// deviation (over M, as bn_loss.py's; ε = MeanStdEpsilon, which bn_loss.py does not have). Li et
// al. scale it by grad_scale = style_weight·10³·(N·M)/N, i.e. also by M; estil does not, so that
// E_l does not depend on the picture's size (the balance is chosen at 64 px). styleMean and
// styleStd are μ_S and σ_S [N].
func MeanStdLayerLoss(target, styleMean, styleStd *Node) *Node {
	f := flatFeatures(target)
	n := f.Shape().Dim(0)
	mu := featureMean(f)
	variance := ReduceMean(Square(Sub(f, InsertAxes(mu, 1))), 1)
	std := Sqrt(AddScalar(variance, MeanStdEpsilon))
	return DivScalar(Add(squaredDistance(mu, styleMean), squaredDistance(std, styleStd)), float64(n))
}

// stdFromMoments is σ = √(max(m₂ − μ², 0) + ε) from the (blended) mean μ and mean square m₂: the
// standard deviation of the styles' mixture.
func stdFromMoments(mean, meanSquare *Node) *Node {
	return Sqrt(AddScalar(MaxScalar(Sub(meanSquare, Square(mean)), 0), MeanStdEpsilon))
}

// MeanStd is the mean-and-deviation loss's parts: each channel's mean and mean square (which
// blend), finished into the mean and σ, then MeanStdLayerLoss.
func MeanStd() Parts {
	return Parts{
		NumStats: 2, NumTargets: 2,
		Stats: func(f *Node, _ Layer) []*Node {
			s := flatFeatures(f)
			return []*Node{featureMean(s), ReduceMean(Square(s), 1)}
		},
		Finish:    func(st []*Node) []*Node { return []*Node{st[0], stdFromMoments(st[0], st[1])} },
		LayerLoss: func(f *Node, t []*Node, _ Layer) *Node { return MeanStdLayerLoss(f, t[0], t[1]) },
	}
}
