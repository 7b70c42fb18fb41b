package nst

import (
	"math"
	"math/rand/v2"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck

	"github.com/estil-nst/estil/internal/enum"
)

// Style losses.
//
// Gatys et al. compare Gram matrices. Li et al. (2017, "Demystifying Neural Style Transfer")
// showed that this is one choice among many: matching Gram matrices is minimising the maximum
// mean discrepancy (MMD) between the two images' feature vectors with the kernel k(x,y) = (xᵀy)²,
// so other kernels, and other ways of comparing two distributions of feature vectors, are style
// losses too. LossConfig.StyleLoss picks one.
//
// Notation, at one style layer: F is the target's feature map [d, h, w] seen as N = d channels
// × M = h·w positions; S is the style's (M_S positions); f_i and s_j are the feature vectors at
// positions i and j (columns of F and S); μ_F = (1/M)·Σ_i f_i; Ĝ_F = F·Fᵀ/M (the second raw
// moment; G_F = F·Fᵀ is Gatys et al.'s Gram matrix). Each loss is one layer's term E_l; the
// objective adds β·w_l·balance·E_l over the style layers, balance being the loss's own
// (StyleLoss.Balance), so that the same β weighs every loss about equally.

// StyleLoss names a style loss (LossConfig.StyleLoss; empty means StyleLossGram).
type StyleLoss string

const (
	// StyleLossGram is Gatys et al.'s (the original's): Gram matrices, with GramNorm.
	StyleLossGram StyleLoss = "gram"
	// StyleLossMMDLinear is Li et al.'s MMD with the linear kernel k(x,y) = xᵀy: it matches the
	// mean feature vector only.
	StyleLossMMDLinear StyleLoss = "mmd-linear"
	// StyleLossMMDPoly is Li et al.'s MMD with the polynomial kernel k(x,y) = (xᵀy + c)²; with
	// c = 0 (theirs, and estil's) it is the Gram loss up to a constant.
	StyleLossMMDPoly StyleLoss = "mmd-poly"
	// StyleLossMMDGauss is Li et al.'s MMD with the Gaussian kernel exp(−‖x−y‖²/(2σ²)).
	StyleLossMMDGauss StyleLoss = "mmd-gauss"
	// StyleLossMeanStd is Li et al.'s batch-normalisation statistics: each channel's mean and
	// standard deviation.
	StyleLossMeanStd StyleLoss = "mean-std"
	// StyleLossW2 is the Wasserstein-2 distance between Gaussians fitted to the two feature
	// distributions (means and covariance matrices).
	StyleLossW2 StyleLoss = "w2"
	// StyleLossSliced is Heitz et al.'s (2021) sliced Wasserstein distance: the feature vectors
	// projected on fixed random directions, each projection's sorted values compared.
	StyleLossSliced StyleLoss = "sliced"
)

// StyleLosses lists the style losses, the default (gram) first.
func StyleLosses() []StyleLoss {
	return []StyleLoss{StyleLossGram, StyleLossMMDLinear, StyleLossMMDPoly, StyleLossMMDGauss, StyleLossMeanStd, StyleLossW2, StyleLossSliced}
}

// ParseStyleLoss checks a --style-loss value.
func ParseStyleLoss(s string) (StyleLoss, error) {
	return enum.Parse("style loss", s, StyleLosses())
}

// OrGram is l, the empty name (LossConfig's default) meaning StyleLossGram.
func (l StyleLoss) OrGram() StyleLoss {
	if l == "" {
		return StyleLossGram
	}
	return l
}

// Balance is the factor by which the objective multiplies E_l of this loss, on top of β·w_l:
// each loss's E_l has its own scale, and the balance brings them to the Gram loss's, so that one
// β serves all (Li et al. do the same with their "balance weights": poly 0.1, linear 2·10³,
// Gaussian 3·10¹⁴, BN 10³, against their own Gram normalisation).
//
// How estil's were chosen: with the default layers and β = 10⁶, the built-in pictures
// (images.Lighthouse at 64×48 as the content, images.Swirls given the content's size as the
// style), the content as the starting image and VGG19 with random weights (seed 1, what
// --weights random gives: the real weights could not be downloaded where this was measured, so
// these balances are for random features and deserve a rerun with the real ones, whose feature
// magnitudes differ), each balance makes Σ_l β·w_l·balance·E_l at the first evaluation about
// equal to the Gram loss's (3.06·10⁷ there; the content term starts at 0), rounded to one
// significant digit. Σ_l w_l·E_l at balance 1, and the balance it gave (30.6 divided by it):
//
//	gram        30.6       → 1
//	mmd-linear  1.75·10³   → 0.02
//	mmd-poly    2.16·10³   → 0.01   (each layer's E_l is N times the Gram one's, N = 64…512)
//	mmd-gauss   3.82·10⁻³  → 8·10³
//	mean-std    1.07       → 30
//	w2          1.31       → 20
//	sliced      1.06       → 30
//
// TestStyleLossBalances prints these sums (go test ./nst -run StyleLossBalances -v) and fails if
// a balance leaves a loss's start more than 2× from the Gram loss's.
func (l StyleLoss) Balance() float64 {
	switch l.OrGram() {
	case StyleLossMMDLinear:
		return 0.02
	case StyleLossMMDPoly:
		return 0.01
	case StyleLossMMDGauss:
		return 8e3
	case StyleLossMeanStd:
		return 30
	case StyleLossW2:
		return 20
	case StyleLossSliced:
		return 30
	}
	return 1
}

// styleLayerInfo is what a loss knows of one style layer when it builds its graphs: the number of
// positions of the target's feature map there (M), and a seed for what the loss draws at random
// once (Gaussian MMD's pairs, sliced Wasserstein's directions), from Transfer.Seed and the layer.
type styleLayerInfo struct {
	positions int
	seed      uint64
}

// styleLossImpl is one style loss: what it takes from the style's features at a layer, and its
// layer term E_l.
type styleLossImpl struct {
	// stats computes, from one style picture's features [d, h, w] at a layer, the statistics the
	// loss compares against. Several styles blend as the weighted average Σ_i b_i·stats_i / Σ_i b_i
	// of their statistics (as Gram matrices did before).
	stats func(feature *Node, info styleLayerInfo) []*Node
	// finish, if set, turns the blended statistics into the targets E_l reads, once per run
	// (e.g. W2's Σ_S^½).
	finish func(stats []*Node) []*Node
	// layer is E_l for the target's features [d, h, w] against the targets.
	layer func(feature *Node, targets []*Node, info styleLayerInfo) *Node
	// numStats and numTargets count stats's and finish's results (layer's targets) per layer.
	numStats, numTargets int
	// oneStyle says the loss takes a single style picture (its statistics are the feature vectors
	// themselves, which do not blend).
	oneStyle bool
	// statsUseInfo says stats depends on styleLayerInfo (so its graph is per content size and seed).
	statsUseInfo bool
}

// impl returns the loss's parts; norm applies to the Gram loss only.
func (l StyleLoss) impl(norm GramNorm) styleLossImpl {
	switch l.OrGram() {
	case StyleLossMMDLinear:
		return styleLossImpl{
			numStats: 1, numTargets: 1,
			stats: func(f *Node, _ styleLayerInfo) []*Node { return []*Node{featureMean(flatFeatures(f))} },
			layer: func(f *Node, t []*Node, _ styleLayerInfo) *Node { return MMDLinearLayerLoss(f, t[0]) },
		}
	case StyleLossMMDPoly:
		return styleLossImpl{
			numStats: 2, numTargets: 2,
			stats: func(f *Node, _ styleLayerInfo) []*Node {
				s := flatFeatures(f)
				return []*Node{secondMoment(s), featureMean(s)}
			},
			layer: func(f *Node, t []*Node, _ styleLayerInfo) *Node { return mmdPolyLayerLoss(f, t[0], t[1], MMDPolyC) },
		}
	case StyleLossMMDGauss:
		return styleLossImpl{
			numStats: 1, numTargets: 1,
			stats: func(f *Node, _ styleLayerInfo) []*Node { return []*Node{flatFeatures(f)} },
			layer: func(f *Node, t []*Node, info styleLayerInfo) *Node {
				return MMDGaussLayerLoss(f, t[0], info.seed)
			},
			oneStyle: true,
		}
	case StyleLossMeanStd:
		return styleLossImpl{
			numStats: 2, numTargets: 2,
			stats: func(f *Node, _ styleLayerInfo) []*Node {
				s := flatFeatures(f)
				return []*Node{featureMean(s), ReduceMean(Square(s), 1)}
			},
			finish: func(st []*Node) []*Node { return []*Node{st[0], stdFromMoments(st[0], st[1])} },
			layer:  func(f *Node, t []*Node, _ styleLayerInfo) *Node { return MeanStdLayerLoss(f, t[0], t[1]) },
		}
	case StyleLossW2:
		return styleLossImpl{
			numStats: 2, numTargets: 3,
			stats: func(f *Node, _ styleLayerInfo) []*Node {
				s := flatFeatures(f)
				return []*Node{featureMean(s), secondMoment(s)}
			},
			finish: func(st []*Node) []*Node {
				cov := covarianceFromMoments(st[0], st[1])
				return []*Node{st[0], cov, SqrtmNewtonSchulz(cov, NewtonSchulzIterations)}
			},
			layer: func(f *Node, t []*Node, _ styleLayerInfo) *Node { return W2LayerLoss(f, t[0], t[1], t[2]) },
		}
	case StyleLossSliced:
		return styleLossImpl{
			numStats: 1, numTargets: 1, statsUseInfo: true,
			stats: func(f *Node, info styleLayerInfo) []*Node {
				return []*Node{slicedStyleQuantiles(f, info.positions, info.seed)}
			},
			layer: func(f *Node, t []*Node, info styleLayerInfo) *Node { return SlicedLayerLoss(f, t[0], info.seed) },
		}
	}
	return styleLossImpl{
		numStats: 1, numTargets: 1,
		stats: func(f *Node, _ styleLayerInfo) []*Node { return []*Node{norm.Gram(f)} },
		layer: func(f *Node, t []*Node, _ styleLayerInfo) *Node { return norm.StyleLayerLoss(f, t[0]) },
	}
}

// flatFeatures views a feature map [d, h, w] as F [N = d, M = h·w].
func flatFeatures(f *Node) *Node {
	if f.Rank() == 2 {
		return f
	}
	return Reshape(f, f.Shape().Dim(0), f.Shape().Dim(1)*f.Shape().Dim(2))
}

// featureMean is μ = (1/M)·Σ_i f_i [N] of F [N, M].
func featureMean(f *Node) *Node { return ReduceMean(f, 1) }

// secondMoment is Ĝ = F·Fᵀ/M [N, N] of F [N, M], through GramMatrix (and its gradient).
func secondMoment(f *Node) *Node {
	n, m := f.Shape().Dim(0), f.Shape().Dim(1)
	return DivScalar(GramMatrix(Reshape(f, n, m, 1)), float64(m))
}

// squaredDistance is ‖a − b‖² of two vectors.
func squaredDistance(a, b *Node) *Node { return ReduceAllSum(Square(Sub(a, b))) }

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
// original's Gram term mean((G_F − G_S)²)/(N·M) = ‖G_F − G_S‖²/(N³·M) (StyleLayerLoss). The style
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

// MMDGaussQuadraticMax is the largest M·M_S for which the Gaussian MMD is computed over all
// pairs, with M×M_S kernel matrices (4096², 64 MiB each in float32: a 64×64 picture at conv1_1);
// above it, over pairs within blocks of MMDGaussBlock positions (linear time).
var MMDGaussQuadraticMax = 4096 * 4096

// MMDGaussBlock is the number of positions B of each block of the linear-time Gaussian MMD.
var MMDGaussBlock = 128

// MMDGaussLayerLoss is Li et al.'s MMD with the Gaussian kernel k(x,y) = exp(−‖x−y‖²/(2σ²)).
//
// Over all pairs, for M·M_S ≤ MMDGaussQuadraticMax:
//
//	MMD² = (1/M²)·Σ_ij k(f_i,f_j) + (1/M_S²)·Σ_ij k(s_i,s_j) − (2/(M·M_S))·Σ_ij k(f_i,s_j)
//	E_l  = MMD²/(2N)    (= (1/Z)·Σ_ij [k(f_i,f_j) + k(s_i,s_j) − 2k(f_i,s_j)], Z = 2N·M², for M_S = M)
//
// with ‖x−y‖² = ‖x‖² + ‖y‖² − 2xᵀy, so the kernel matrices come from matrix products. Z = 2N·M²
// gives Li et al.'s scale: their linear-time sum over M/2 pairs, whose expectation is
// (M/2)·MMD², is divided by N·M (grad_scale = style_weight·w/(N·M) in neural-style.py).
//
// Otherwise, in linear time: F's positions are shuffled (once, deterministically, from seed: the
// objective must not change between evaluations) and cut into blocks of B = MMDGaussBlock, each
// paired with a block of B of S's shuffled positions (S's permutations repeated if S has fewer),
// and E_l is the mean over blocks of the block's MMD²/(2N) as above. Li et al.'s own linear-time
// estimator (mmd_loss.py, 'gaussian') is the unbiased one over pairs (B = 2, without the i = j
// terms): Σ_p [k(x₂ₚ,x₂ₚ₊₁) + k(y₂ₚ,y₂ₚ₊₁) − k(x₂ₚ,y₂ₚ₊₁) − k(y₂ₚ,x₂ₚ₊₁)]. They draw new pairs at
// every evaluation; with pairs fixed for L-BFGS the optimizer exploits it: on the built-in
// pictures at 64 px (random weights) its style term went from 2.8·10⁷ to −2.5·10⁷ in 20
// iterations, by pulling each target vector to the style vector it is paired with and away
// from its own partner. A block's MMD² as above is a squared distance between mean embeddings,
// never negative, and is 0 only where each target block has its style block's features.
//
// σ² (Li et al.'s gamma = 1/(2σ²)): 2σ² is the mean squared distance between the pairs compared,
// as theirs (gamma = n₀·2/Σ of the 2n₀ squared distances: 1/mean), FF, SS and FS pairs weighted
// 1:1:2 (their xx, yy, xy, yx): 2σ² = (D̄_FF + D̄_SS + 2·D̄_FS)/4, each D̄ a mean over all (i, j)
// (within blocks in the linear-time form). Unlike Li et al., whose backward pass holds gamma
// constant, σ² is differentiated through, so that the gradient is the loss's (L-BFGS's line
// search needs that).
//
// target is [d, h, w]; style is S [N, M_S] (the style's features themselves).
func MMDGaussLayerLoss(target, style *Node, seed uint64) *Node {
	f := flatFeatures(target)
	n, m := f.Shape().Dim(0), f.Shape().Dim(1)
	ms := style.Shape().Dim(1)
	if m*ms <= MMDGaussQuadraticMax || m < MMDGaussBlock {
		return DivScalar(mmdGaussQuadratic(f, style), float64(2*n))
	}
	return DivScalar(mmdGaussBlocks(f, style, seed), float64(2*n))
}

// mmdGaussQuadratic is the MMD² of F [N, M] and S [N, M_S] with the Gaussian kernel, over all pairs.
func mmdGaussQuadratic(f, s *Node) *Node {
	sqF, sqS := ReduceSum(Square(f), 0), ReduceSum(Square(s), 0) // ‖f_i‖², ‖s_j‖²
	muF, muS := featureMean(f), featureMean(s)
	meanSqF, meanSqS := ReduceAllMean(sqF), ReduceAllMean(sqS)
	// mean_ij ‖f_i − f_j‖² = 2·(mean_i ‖f_i‖² − ‖μ_F‖²); mean_ij ‖f_i − s_j‖² = mean ‖f‖² + mean ‖s‖² − 2μ_Fᵀμ_S.
	dFF := MulScalar(Sub(meanSqF, ReduceAllSum(Square(muF))), 2)
	dSS := MulScalar(Sub(meanSqS, ReduceAllSum(Square(muS))), 2)
	dFS := Sub(Add(meanSqF, meanSqS), MulScalar(ReduceAllSum(Mul(muF, muS)), 2))
	twoSigma2 := kernelFloat64(DivScalar(Add(Add(dFF, dSS), MulScalar(dFS, 2)), 4))
	meanKernel := func(a, b, sqA, sqB *Node) *Node {
		ab := Dot(a, b).General([]int{0}, nil, []int{0}, nil) // [M_a, M_b]: a_iᵀb_j
		d := Sub(Add(InsertAxes(sqA, 1), InsertAxes(sqB, 0)), MulScalar(ab, 2))
		return ReduceAllMean(Exp(Neg(Div(kernelFloat64(d), twoSigma2))))
	}
	mmd := Sub(Add(meanKernel(f, f, sqF, sqF), meanKernel(s, s, sqS, sqS)), MulScalar(meanKernel(f, s, sqF, sqS), 2))
	return ConvertDType(mmd, f.DType())
}

// kernelFloat64 converts x to float64 for the Gaussian MMD's kernel means. The three means are each
// about 0.1–1 and their difference, MMD², can be 10⁻⁴ of that; in float32 the sums of M² kernel
// values carry errors of that size, and L-BFGS, fed the rounding, drove a 64 px run's conv1_1
// term below zero (−3·10⁻⁴ in MMD², which is never negative). Summed in float64 the error is
// far below the terms; the matrix products before stay in x's dtype.
func kernelFloat64(x *Node) *Node { return ConvertDType(x, dtypes.Float64) }

// gaussBlocks returns the positions of the linear-time form's blocks: F's ⌊m/b⌋·b first
// positions of a permutation of its m, and as many of S's from permutations of its ms, drawn
// from seed; block k is x[k·b:(k+1)·b] against y[k·b:(k+1)·b].
func gaussBlocks(m, ms, b int, seed uint64) (x, y []int) {
	r := rand.New(rand.NewPCG(seed, 0x6d6d64)) // "mmd"
	x = r.Perm(m)[:m/b*b]
	for len(y) < len(x) {
		y = append(y, r.Perm(ms)...)
	}
	return x, y[:len(x)]
}

// mmdGaussBlocks is the mean over blocks of each block's MMD² (see MMDGaussLayerLoss).
func mmdGaussBlocks(f, s *Node, seed uint64) *Node {
	n, m, ms, b := f.Shape().Dim(0), f.Shape().Dim(1), s.Shape().Dim(1), MMDGaussBlock
	xi, yi := gaussBlocks(m, ms, b, seed)
	g := f.Graph()
	blocks := func(t *Node, idx []int) *Node { // [nb, b, N]
		ii := make([][]int32, len(idx))
		for k, v := range idx {
			ii[k] = []int32{int32(v)}
		}
		return Reshape(Gather(Transpose(t, 0, 1), Const(g, ii)), len(idx)/b, b, n)
	}
	x, y := blocks(f, xi), blocks(s, yi)
	sqX, sqY := ReduceSum(Square(x), 2), ReduceSum(Square(y), 2) // [nb, b]
	dist := func(a, c, sqA, sqC *Node) *Node {                   // [nb, b, b]: ‖a_i − c_j‖² within each block
		ac := Dot(a, c).General([]int{2}, []int{0}, []int{2}, []int{0})
		return Sub(Add(InsertAxes(sqA, 2), InsertAxes(sqC, 1)), MulScalar(ac, 2))
	}
	dXX, dYY, dXY := dist(x, x, sqX, sqX), dist(y, y, sqY, sqY), dist(x, y, sqX, sqY)
	dXX, dYY, dXY = kernelFloat64(dXX), kernelFloat64(dYY), kernelFloat64(dXY)
	twoSigma2 := DivScalar(Add(Add(ReduceAllMean(dXX), ReduceAllMean(dYY)), MulScalar(ReduceAllMean(dXY), 2)), 4)
	k := func(d *Node) *Node { return ReduceAllMean(Exp(Neg(Div(d, twoSigma2)))) }
	return ConvertDType(Sub(Add(k(dXX), k(dYY)), MulScalar(k(dXY), 2)), f.DType())
}

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

// identityMatrix is v·I [n, n] in like's dtype.
func identityMatrix(like *Node, n int, v float64) *Node {
	return DiagonalWithValue(Scalar(like.Graph(), like.DType(), v), n)
}

// trace is Σ_i a_ii.
func trace(a *Node) *Node {
	n := a.Shape().Dim(0)
	return ReduceAllSum(Where(Diagonal(a.Graph(), n), a, ZerosLike(a)))
}

// SqrtmNewtonSchulz is the square root of a symmetric positive (semi)definite matrix A by the
// coupled Newton–Schulz iteration (crowsonkb's sqrtm.py, sqrtm_ns; Higham, "Functions of
// Matrices", 6.3):
//
//	Y₀ = A/‖A‖_F,  Z₀ = I
//	T = (3I − Z·Y)/2,  Y ← Y·T,  Z ← T·Z        (iterations times)
//	A^½ ≈ Y·√‖A‖_F
//
// Y converges to (A/‖A‖_F)^½ and Z to its inverse, quadratically once close; for an eigenvalue λ
// of A/‖A‖_F far below 1, the matching eigenvalue of Z·Y (which tends to 1) first grows by about
// 2.25 per iteration (Y's by 1.5), so 20 iterations resolve
// eigenvalues down to about 10⁻⁷ of ‖A‖_F (smaller ones, whose roots are small, come out
// smaller still). Only matrix products: differentiable, and on every backend.
func SqrtmNewtonSchulz(a *Node, iterations int) *Node {
	n := a.Shape().Dim(0)
	norm := Sqrt(ReduceAllSum(Square(a)))
	y := Div(a, norm)
	z := identityMatrix(a, n, 1)
	three := identityMatrix(a, n, 3)
	for range iterations {
		t := DivScalar(Sub(three, MatMul(z, y)), 2)
		y, z = MatMul(y, t), MatMul(t, z)
	}
	return Mul(y, Sqrt(norm))
}

// slicedDirections are sliced Wasserstein's n directions in R^n (Heitz et al.: as many as the
// layer has channels), unit vectors drawn from a normal distribution with seed, as rows [n, n].
func slicedDirections(n int, seed uint64) [][]float64 {
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
	v := ConstAsDType(f.Graph(), f.DType(), slicedDirections(n, seed))
	return MatMul(v, f)
}

// sortRows sorts each row of p [L, M] ascending. The order is found by sortOrder on p with its
// gradient stopped, then p's values are gathered in that order: the gradient flows back through
// the Gather, to the position each sorted value came from (GoMLX has no gradient for Sort).
func sortRows(p *Node) *Node {
	l, m := p.Shape().Dim(0), p.Shape().Dim(1)
	rows := Iota(p.Graph(), shapes.Make(dtypes.Int32, l, m), 0)
	flat := Add(MulScalar(rows, float64(m)), sortOrder(StopGradient(p)))
	return Gather(Reshape(p, l*m), InsertAxes(flat, -1))
}

// sortOrder is, for each row of p [L, M], the positions of its values in ascending order
// (int32 [L, M]), from a bitonic sorting network (Batcher) that carries each value's position
// along with it. It needs only comparisons, Where, Reshape and Concatenate, all rows and pairs
// at once: for rows padded to 2^k, ½·k·(k+1) rounds. No gradient flows through it, so its
// rounds' buffers are freed as it goes.
//
// Why not the Go backend's Sort: it calls its comparison as a graph function per pair, and an
// evaluation at 64 px took 2.4× as long (BenchmarkStyleLoss/sliced, one run after the other:
// 2.18 s against 0.90 s; gram 0.16 s). Why not a network of Min and Max, differentiated through:
// its backward pass keeps every round's masks, 5.1 GB at 256 px.
//
// Round (size, d) compares elements i and i+d within blocks of 2d, ascending where i's block of
// `size` is an even one and descending where odd: each round of sizes merges pairs of sorted
// runs into bitonic ones and those into sorted runs of twice the length.
func sortOrder(p *Node) *Node {
	l, m := p.Shape().Dim(0), p.Shape().Dim(1)
	g := p.Graph()
	n := 1
	for n < m {
		n *= 2
	}
	keys, order := p, Iota(g, shapes.Make(dtypes.Int32, l, n), 1)
	if n > m { // padded with the largest float32, which sorts last and is sliced off
		pad := BroadcastToDims(Scalar(g, p.DType(), math.MaxFloat32), l, n-m)
		keys = Concatenate([]*Node{p, pad}, 1)
	}
	halves := func(x *Node, blocks, d int) (*Node, *Node) {
		pairs := Reshape(x, l, blocks, 2, d)
		return Slice(pairs, AxisRange(), AxisRange(), AxisElem(0), AxisRange()),
			Slice(pairs, AxisRange(), AxisRange(), AxisElem(1), AxisRange())
	}
	for size := 2; size <= n; size *= 2 {
		for d := size / 2; d >= 1; d /= 2 {
			blocks := n / (2 * d)
			ka, kb := halves(keys, blocks, d)
			ia, ib := halves(order, blocks, d)
			swap := GreaterThan(ka, kb)
			if size < n {
				ascending := make([]bool, blocks)
				for k := range ascending {
					ascending[k] = k*2*d&size == 0
				}
				up := BroadcastToDims(Reshape(Const(g, ascending), 1, blocks, 1, 1), l, blocks, 1, d)
				swap = Where(up, swap, LessThan(ka, kb))
			}
			keys = Reshape(Concatenate([]*Node{Where(swap, kb, ka), Where(swap, ka, kb)}, 2), l, n)
			order = Reshape(Concatenate([]*Node{Where(swap, ib, ia), Where(swap, ia, ib)}, 2), l, n)
		}
	}
	if n > m {
		order = Slice(order, AxisRange(), AxisRange(0, m))
	}
	return order
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
// V_d the L = N unit directions (slicedDirections), sort(·)_k the k-th smallest projection
// (texturegen.py: tf.reduce_mean((sorted_target − sorted_style)²), num_slices = channels). Heitz
// et al. draw new directions after each L-BFGS run of 64 evaluations; here they are drawn once,
// from seed, since the objective must stay the same function during a run. styleQuantiles is
// the style's sorted projections [L, M] (slicedStyleQuantiles).
func SlicedLayerLoss(target, styleQuantiles *Node, seed uint64) *Node {
	f := flatFeatures(target)
	return ReduceAllMean(Square(Sub(sortRows(slicedProjections(f, seed)), styleQuantiles)))
}
