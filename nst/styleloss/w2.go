package styleloss

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
)

// W2Epsilon is added to the diagonal of both covariance matrices (crowsonkb's StyleLossW2: eps =
// 1e-4), which keeps them positive definite where channels are dead or dependent.
const W2Epsilon = 1e-4

// NewtonSchulzIterations is the number of Newton–Schulz iterations of the matrix square roots.
// crowsonkb's StyleLossW2 uses 12 (sqrtm_ns_lyap(num_iters=12)); estil uses 20, because 12 leave
// a floor: with the style picture itself as the target (tiny VGG19, random weights, 32×24 px),
// W₂² at conv5_1 came out 4·10⁻² of its value at another picture with 12 iterations, in float32
// as in float64, and below 3·10⁻⁴ (float32's noise; 10⁻⁸ in float64) with 20
// (TestStyleTermsVanishAtTheStyle). The covariance matrices of ReLU features are ill-conditioned
// (dead channels have only ε), and Σ_S^½ Σ_F Σ_S^½ squares their condition number.
const NewtonSchulzIterations = 20

// W2LayerLoss is the squared Wasserstein-2 distance between the Gaussians N(μ_F, Σ_F) and
// N(μ_S, Σ_S) fitted to the target's and the style's features, divided by N:
//
//	W₂² = ‖μ_F − μ_S‖² + tr(Σ_F + Σ_S − 2·(Σ_S^½ Σ_F Σ_S^½)^½)
//	E_l = W₂²/N
//
// Σ = (1/M)·Σ_i (f_i − μ)(f_i − μ)ᵀ + ε·I (ε = W2Epsilon). The division by N is crowsonkb's
// (style_transfer.py's StyleLossW2: mean over channels of (μ − μ_S)² plus the mean of the
// diagonal). The square roots are SqrtmNewtonSchulz's, Σ_S^½ computed once for the style
// (styleCovSqrt), (Σ_S^½ Σ_F Σ_S^½)^½ at every evaluation and differentiated through its
// iterations. styleMean is μ_S [N], styleCov Σ_S and styleCovSqrt Σ_S^½ [N, N].
func W2LayerLoss(target, styleMean, styleCov, styleCovSqrt *Node) *Node {
	return w2LayerLoss(target, styleMean, styleCov, styleCovSqrt, NewtonSchulzIterations)
}

func w2LayerLoss(target, styleMean, styleCov, styleCovSqrt *Node, iterations int) *Node {
	f := flatFeatures(target)
	n := f.Shape().Dim(0)
	mu := featureMean(f)
	cov := Add(secondMoment(Sub(f, InsertAxes(mu, 1))), identityMatrix(f, n, W2Epsilon))
	inner := MatMul(MatMul(styleCovSqrt, cov), styleCovSqrt)
	root := SqrtmNewtonSchulz(inner, iterations)
	tr := Sub(Add(trace(cov), trace(styleCov)), MulScalar(trace(root), 2))
	return DivScalar(Add(squaredDistance(mu, styleMean), tr), float64(n))
}

// covarianceFromMoments is Σ = Ĝ − μμᵀ + ε·I from the (blended) mean and second raw moment: as
// crowsonkb's srm_to_cov, the moments (not the covariances) are what blend linearly.
func covarianceFromMoments(mean, moment *Node) *Node {
	n := mean.Shape().Dim(0)
	outer := Mul(InsertAxes(mean, 1), InsertAxes(mean, 0))
	return Add(Sub(moment, outer), identityMatrix(mean, n, W2Epsilon))
}

// W2 is the Wasserstein-2 loss's parts: the style's mean and second moment (which blend),
// finished into μ_S, Σ_S and Σ_S^½, then W2LayerLoss.
func W2() Parts {
	return Parts{
		NumStats: 2, NumTargets: 3,
		Stats: func(f *Node, _ Layer) []*Node {
			s := flatFeatures(f)
			return []*Node{featureMean(s), secondMoment(s)}
		},
		Finish: func(st []*Node) []*Node {
			cov := covarianceFromMoments(st[0], st[1])
			return []*Node{st[0], cov, SqrtmNewtonSchulz(cov, NewtonSchulzIterations)}
		},
		LayerLoss: func(f *Node, t []*Node, _ Layer) *Node { return W2LayerLoss(f, t[0], t[1], t[2]) },
	}
}
