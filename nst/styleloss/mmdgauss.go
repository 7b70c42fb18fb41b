package styleloss

import (
	"math/rand/v2"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
)

// MMDGaussSizes says when the Gaussian MMD leaves all pairs for blocks, and how large they are.
type MMDGaussSizes struct {
	// QuadraticMax is the largest M·M_S for which the loss is computed over all pairs, with
	// M×M_S kernel matrices; above it, over pairs within blocks of Block positions (linear time).
	QuadraticMax int
	// Block is the number of positions B of each block of the linear-time form.
	Block int
}

// DefaultMMDGaussSizes are MMDGaussLayerLoss's: all pairs up to M·M_S = 4096² (kernel matrices
// of 64 MiB each in float32: a 64×64 picture at conv1_1), then blocks of 128.
func DefaultMMDGaussSizes() MMDGaussSizes {
	return MMDGaussSizes{QuadraticMax: 4096 * 4096, Block: 128}
}

// MMDGaussLayerLoss is Li et al.'s MMD with the Gaussian kernel k(x,y) = exp(−‖x−y‖²/(2σ²)).
//
// Over all pairs, for M·M_S ≤ 4096² (DefaultMMDGaussSizes):
//
//	MMD² = (1/M²)·Σ_ij k(f_i,f_j) + (1/M_S²)·Σ_ij k(s_i,s_j) − (2/(M·M_S))·Σ_ij k(f_i,s_j)
//	E_l  = MMD²/(2N)    (= (1/Z)·Σ_ij [k(f_i,f_j) + k(s_i,s_j) − 2k(f_i,s_j)], Z = 2N·M², for M_S = M)
//
// with ‖x−y‖² = ‖x‖² + ‖y‖² − 2xᵀy, so the kernel matrices come from matrix products. Z = 2N·M²
// gives Li et al.'s scale: their linear-time sum over M/2 pairs, whose expectation is
// (M/2)·MMD², is divided by N·M (grad_scale = style_weight·w/(N·M) in neural-style.py).
//
// Otherwise, in linear time: F's positions are shuffled (once, deterministically, from seed: the
// objective must not change between evaluations) and cut into blocks of B = 128 positions, each
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
	return MMDGaussLayerLossSized(target, style, seed, DefaultMMDGaussSizes())
}

// MMDGaussLayerLossSized is MMDGaussLayerLoss with other sizes: where it leaves all pairs for
// blocks, and how large they are.
func MMDGaussLayerLossSized(target, style *Node, seed uint64, sizes MMDGaussSizes) *Node {
	f := flatFeatures(target)
	n, m := f.Shape().Dim(0), f.Shape().Dim(1)
	ms := style.Shape().Dim(1)
	if m*ms <= sizes.QuadraticMax || m < sizes.Block {
		return DivScalar(mmdGaussQuadratic(f, style), float64(2*n))
	}
	return DivScalar(mmdGaussBlocks(f, style, seed, sizes.Block), float64(2*n))
}

// MMDGauss is the Gaussian-kernel MMD's parts: the style's feature vectors themselves (so one
// style picture only), then MMDGaussLayerLossSized with sizes.
func MMDGauss(sizes MMDGaussSizes) Parts {
	return Parts{
		NumStats: 1, NumTargets: 1, OneStyle: true,
		Stats: func(f *Node, _ Layer) []*Node { return []*Node{flatFeatures(f)} },
		LayerLoss: func(f *Node, t []*Node, l Layer) *Node {
			return MMDGaussLayerLossSized(f, t[0], l.Seed, sizes)
		},
	}
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

// mmdGaussBlocks is the mean over blocks of b positions of each block's MMD² (see
// MMDGaussLayerLoss).
func mmdGaussBlocks(f, s *Node, seed uint64, b int) *Node {
	n, m, ms := f.Shape().Dim(0), f.Shape().Dim(1), s.Shape().Dim(1)
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
