package nst

import (
	"context"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/nst/internal/featuretest"
	"github.com/estil-nst/estil/nst/styleloss"
	"github.com/estil-nst/estil/weights"

	"github.com/estil-nst/estil/internal/testutil"
)

// The style losses' tests: each loss against its formula computed here in float64, pair by pair;
// its gradient against finite differences; the Gram loss as an MMD; the Newton–Schulz square
// root against an eigendecomposition; and a short transfer with each loss.

// The float64 feature maps and hand-computed sums shared with nst/styleloss's tests.
type features = featuretest.Features

var (
	randomFeatures = featuretest.Random
	dot            = featuretest.Dot
	sqDist         = featuretest.SqDist
)

// eval64 runs fn on the tests' Go backend with float64 tensors and returns its scalar outputs.
func eval64(t testing.TB, fn func([]*Node) []*Node, args ...*tensors.Tensor) []float64 {
	t.Helper()
	return featuretest.Eval64(t, goBackend(), fn, args...)
}

// byHand are the losses' formulas, pair by pair (never through the Gram or moment shortcuts the
// graph uses), in float64. Each takes the target's and the style's features.
var byHand = map[StyleLoss]func(f, s features) float64{
	// (1/Z)·Σ_ij [f_iᵀf_j + s_iᵀs_j − 2f_iᵀs_j], Z = N·M.
	StyleLossMMDLinear: func(f, s features) float64 {
		return mmdByHand(f, s, dot) / float64(f.N()*f.M())
	},
	// (1/Z)·Σ_ij [(f_iᵀf_j)² + (s_iᵀs_j)² − 2(f_iᵀs_j)²], Z = N²·M.
	StyleLossMMDPoly: func(f, s features) float64 {
		return mmdByHand(f, s, polyKernel(0)) / float64(f.N()*f.N()*f.M())
	},
	// (1/Z)·Σ_ij [k(f_i,f_j) + k(s_i,s_j) − 2k(f_i,s_j)], k = exp(−‖x−y‖²/(2σ²)), Z = 2N·M²,
	// 2σ² = the mean squared distance over all FF, SS, FS and SF pairs.
	StyleLossMMDGauss: func(f, s features) float64 {
		var dff, dss, dfs float64
		for i := range f.M() {
			for j := range f.M() {
				dff += sqDist(f.Col(i), f.Col(j)) / float64(f.M()*f.M())
				dss += sqDist(s.Col(i), s.Col(j)) / float64(f.M()*f.M())
				dfs += sqDist(f.Col(i), s.Col(j)) / float64(f.M()*f.M())
			}
		}
		twoSigma2 := (dff + dss + 2*dfs) / 4
		k := func(x, y []float64) float64 { return math.Exp(-sqDist(x, y) / twoSigma2) }
		return mmdByHand(f, s, k) / float64(2*f.N()*f.M()*f.M())
	},
	// (1/N)·Σ_c [(μ_F,c − μ_S,c)² + (σ_F,c − σ_S,c)²].
	StyleLossMeanStd: func(f, s features) float64 {
		muF, muS := f.Mean(), s.Mean()
		cf, cs := f.Cov(styleloss.MeanStdEpsilon), s.Cov(styleloss.MeanStdEpsilon)
		var e float64
		for c := range f.N() {
			e += (muF[c]-muS[c])*(muF[c]-muS[c]) + math.Pow(math.Sqrt(cf[c][c])-math.Sqrt(cs[c][c]), 2)
		}
		return e / float64(f.N())
	},
	// (1/N)·(‖μ_F − μ_S‖² + tr(Σ_F + Σ_S − 2(Σ_S^½ Σ_F Σ_S^½)^½)), square roots by eigendecomposition.
	StyleLossW2: func(f, s features) float64 {
		cf, cs := f.Cov(styleloss.W2Epsilon), s.Cov(styleloss.W2Epsilon)
		rs := sqrtmByEigen(cs)
		root := sqrtmByEigen(matMul(matMul(rs, cf), rs))
		e := sqDist(f.Mean(), s.Mean())
		for c := range f.N() {
			e += cf[c][c] + cs[c][c] - 2*root[c][c]
		}
		return e / float64(f.N())
	},
	// (1/(L·M))·Σ_d Σ_k (sort(V_d·F)_k − sort(V_d·S)_k)², with the style's sorted values taken at
	// ranks ⌊(k+½)·M_S/M⌋.
	StyleLossSliced: func(f, s features) float64 {
		v := styleloss.SlicedDirections(f.N(), 11)
		var e float64
		for _, d := range v {
			pf, ps := make([]float64, f.M()), make([]float64, s.M())
			for i := range pf {
				pf[i] = dot(d, f.Col(i))
			}
			for j := range ps {
				ps[j] = dot(d, s.Col(j))
			}
			sort.Float64s(pf)
			sort.Float64s(ps)
			for k := range pf {
				q := ps[min(s.M()-1, (2*k+1)*s.M()/(2*f.M()))]
				e += (pf[k] - q) * (pf[k] - q)
			}
		}
		return e / float64(len(v)*f.M())
	},
}

func polyKernel(c float64) func(x, y []float64) float64 {
	return func(x, y []float64) float64 { return math.Pow(dot(x, y)+c, 2) }
}

// mmdByHand is Σ_ij [k(f_i,f_j) + k(s_i,s_j) − 2k(f_i,s_j)] (f and s with the same M).
func mmdByHand(f, s features, k func(x, y []float64) float64) float64 {
	var sum float64
	for i := range f.M() {
		for j := range f.M() {
			sum += k(f.Col(i), f.Col(j)) + k(s.Col(i), s.Col(j)) - 2*k(f.Col(i), s.Col(j))
		}
	}
	return sum
}

// layerLoss builds loss's E_l for a target [N, 1, M] (in[0]) and a style [N, 1, M_S] (in[1]):
// the style's statistics, finished, then E_l, all in one graph.
func layerLoss(loss StyleLoss, positions int) func(target, style *Node) *Node {
	impl := loss.impl(GramNormNone)
	info := styleloss.Layer{Positions: positions, Seed: 11}
	return func(target, style *Node) *Node {
		st := impl.Stats(style, info)
		if impl.Finish != nil {
			st = impl.Finish(st)
		}
		return impl.LayerLoss(target, st, info)
	}
}

func nonGramLosses() []StyleLoss { return StyleLosses()[1:] }

// TestStyleLossesByHand checks each loss's E_l (as the objective computes it) against its formula
// computed pair by pair in float64 on tiny random features: N = 3 channels, M = 5 positions.
func TestStyleLossesByHand(t *testing.T) {
	for _, loss := range nonGramLosses() {
		for seed := range uint64(3) {
			f, s := randomFeatures(3, 5, 2*seed+1, 0), randomFeatures(3, 5, 2*seed+2, 1.5)
			got := eval64(t, func(in []*Node) []*Node { return []*Node{layerLoss(loss, 5)(in[0], in[1])} },
				f.Tensor(false), s.Tensor(false))[0]
			want := byHand[loss](f, s)
			if !closeTo(got, want, 1e-9) || want == 0 {
				t.Errorf("%s, seed %d: E_l = %.12g, by hand %.12g", loss, seed, got, want)
			}
		}
	}
}

// TestStyleLossesVanishOnTheStyle: every loss is 0 where the target's features are the style's,
// also (for those that compare distributions) when the style has other positions: the style
// repeated twice over.
func TestStyleLossesVanishOnTheStyle(t *testing.T) {
	s := randomFeatures(3, 5, 5, 1)
	twice := make(features, 3)
	for c := range twice {
		twice[c] = append(append([]float64{}, s[c]...), s[c]...)
	}
	for _, loss := range nonGramLosses() {
		for _, target := range []features{s, twice} {
			got := eval64(t, func(in []*Node) []*Node { return []*Node{layerLoss(loss, target.M())(in[0], in[1])} },
				target.Tensor(false), s.Tensor(false))[0]
			if math.Abs(got) > 1e-9 {
				t.Errorf("%s: E_l = %g for a target of %d positions with the style's distribution, want 0", loss, got, target.M())
			}
		}
	}
}

// TestMMDGaussOtherStyleSize checks the exact Gaussian MMD with M ≠ M_S: the means over pairs.
func TestMMDGaussOtherStyleSize(t *testing.T) {
	f, s := randomFeatures(3, 5, 1, 0), randomFeatures(3, 4, 2, 1)
	got := eval64(t, func(in []*Node) []*Node { return []*Node{styleloss.MMDGaussLayerLoss(in[0], in[1], 0)} },
		f.Tensor(false), s.Tensor(true))[0]
	meanPairs := func(a, b features, k func(x, y []float64) float64) float64 {
		var sum float64
		for i := range a.M() {
			for j := range b.M() {
				sum += k(a.Col(i), b.Col(j)) / float64(a.M()*b.M())
			}
		}
		return sum
	}
	twoSigma2 := (meanPairs(f, f, sqDist) + meanPairs(s, s, sqDist) + 2*meanPairs(f, s, sqDist)) / 4
	k := func(x, y []float64) float64 { return math.Exp(-sqDist(x, y) / twoSigma2) }
	want := (meanPairs(f, f, k) + meanPairs(s, s, k) - 2*meanPairs(f, s, k)) / (2 * 3)
	if !closeTo(got, want, 1e-9) {
		t.Errorf("E_l = %.12g, by hand %.12g", got, want)
	}
}

// TestGramLossIsMMD checks Li et al.'s identity on random features: with k(x,y) = (xᵀy)²,
//
//	Σ_ij [(f_iᵀf_j)² + (s_iᵀs_j)² − 2(f_iᵀs_j)²] = ‖F·Fᵀ‖² + ‖S·Sᵀ‖² − 2⟨F·Fᵀ, S·Sᵀ⟩ = ‖G_F − G_S‖²_F
//
// so the original's Gram term mean((G_F − G_S)²)/(N·M) = ‖G_F − G_S‖²/(N³·M) is that MMD sum
// divided by N³·M, and estil's mmd-poly (Z = N²·M) is N times the Gram term.
func TestGramLossIsMMD(t *testing.T) {
	for seed := range uint64(3) {
		n, m := 4, 6
		f, s := randomFeatures(n, m, 10+seed, 0), randomFeatures(n, m, 20+seed, 1)
		out := eval64(t, func(in []*Node) []*Node {
			st := styleloss.MMDPoly().Stats(in[1], styleloss.Layer{}) // Ĝ_S, μ_S
			return []*Node{StyleLayerLoss(in[0], GramMatrix(in[1])), styleloss.MMDPolyLayerLoss(in[0], st[0], st[1])}
		}, f.Tensor(false), s.Tensor(false))
		mmd := mmdByHand(f, s, polyKernel(0))
		if want := mmd / float64(n*n*n*m); !closeTo(out[0], want, 1e-9) {
			t.Errorf("seed %d: Gram term %.12g, MMD sum/(N³M) %.12g", seed, out[0], want)
		}
		if !closeTo(out[1], float64(n)*out[0], 1e-9) {
			t.Errorf("seed %d: mmd-poly %.12g, N × the Gram term %.12g", seed, out[1], float64(n)*out[0])
		}
	}
}

// TestStyleLossGradients checks each loss's gradient with respect to the target's features
// against central finite differences, in float64.
func TestStyleLossGradients(t *testing.T) {
	defer func(sizes styleloss.MMDGaussSizes) { mmdGaussSizes = sizes }(mmdGaussSizes)
	for _, loss := range append(nonGramLosses(), "mmd-gauss-linear-time") {
		name := loss
		if loss == "mmd-gauss-linear-time" {
			loss, mmdGaussSizes = StyleLossMMDGauss, styleloss.MMDGaussSizes{QuadraticMax: 0, Block: 2}
		}
		t.Run(string(name), func(t *testing.T) {
			const n, m = 3, 6
			f, s := randomFeatures(n, m, 3, 0.5), randomFeatures(n, m, 4, 1.5)
			build := layerLoss(loss, m)
			e, err := NewExec(goBackend(), func(in []*Node) []*Node {
				l := build(in[0], in[1])
				return []*Node{l, Gradient(l, in[0])[0]}
			})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Finalize()
			out := e.MustExec(f.Tensor(false), s.Tensor(false))
			grad := tensors.MustCopyFlatData[float64](out[1])
			at := func(c, i int, delta float64) float64 {
				g := make(features, n)
				for r := range g {
					g[r] = append([]float64{}, f[r]...)
				}
				g[c][i] += delta
				return tensors.MustCopyFlatData[float64](e.MustExec(g.Tensor(false), s.Tensor(false))[0])[0]
			}
			const eps = 1e-6
			var largest float64
			for _, v := range grad {
				largest = math.Max(largest, math.Abs(v))
			}
			if largest == 0 {
				t.Fatal("the gradient is all zeros")
			}
			for c := range n {
				for i := range m {
					fd := (at(c, i, eps) - at(c, i, -eps)) / (2 * eps)
					if math.Abs(fd-grad[c*m+i]) > 1e-6*math.Max(largest, 1) {
						t.Errorf("∂E/∂F[%d][%d]: autodiff %.10g, finite differences %.10g", c, i, grad[c*m+i], fd)
					}
				}
			}
		})
	}
}

// TestStyleLossGradientsThroughTheNetwork checks, for each loss, the gradient the optimizer gets
// (the whole objective: tiny VGG19, style targets, balance) against finite differences in
// float64, as TestLossGradientMatchesFiniteDifferences does for the Gram loss.
func TestStyleLossGradientsThroughTheNetwork(t *testing.T) {
	m := tinyModel(t, NativeLowering)
	for _, loss := range nonGramLosses() {
		t.Run(string(loss), func(t *testing.T) {
			tr := NewTransfer(m)
			tr.Loss.StyleLoss = loss
			objective, rest := lossOf(t, tr, randomImage(20, 18, 1), randomImage(20, 18, 2))
			x := randomImage(20, 18, 3)
			args := append([]any{x}, rest...)
			e, err := NewExec(goBackend(), func(in []*Node) []*Node {
				l, _ := objective(in[0], in[1:])
				return []*Node{l, Gradient(l, in[0])[0]}
			})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Finalize()
			args64 := make([]any, len(args))
			for k, a := range args {
				args64[k] = toFloat64(a.(*tensors.Tensor))
			}
			out := e.MustExec(args64...)
			grad := tensors.MustCopyFlatData[float64](out[1])
			base := tensors.MustCopyFlatData[float64](args64[0].(*tensors.Tensor))
			lossAt := func(v []float64) float64 {
				a := append([]any{tensors.FromFlatDataAndDimensions(v, 20, 18, 3)}, args64[1:]...)
				return tensors.MustCopyFlatData[float64](e.MustExec(a...)[0])[0]
			}
			var largest float64
			for _, v := range grad {
				largest = math.Max(largest, math.Abs(v))
			}
			finiteDifferences(lossAt, base, 1e-5, 4, func(i int, fd float64) {
				if math.Abs(fd-grad[i]) > 1e-4*largest {
					t.Errorf("∂loss/∂x[%d]: autodiff %v, finite differences %v (largest component %v)", i, grad[i], fd, largest)
				}
			})
		})
	}
}

// lossOf sets up tr's loss for a content and a style image: the objective, and the tensors that
// follow the image in its inputs (the network's parameters, then the content and style targets).
func lossOf(t testing.TB, tr *Transfer, content, style *tensors.Tensor) (func(x *Node, inputs []*Node) (*Node, []*Node), []any) {
	t.Helper()
	contentLayers, _ := resolveLayers(tr.Loss.ContentLayers)
	styleLayers, _ := resolveLayers(styleNames(tr.Loss.StyleLayers))
	styleImg, _ := TensorImage(style)
	targets, err := tr.targets(content, []Style{{Image: styleImg, Weight: 1}}, contentLayers, styleLayers)
	if err != nil {
		t.Fatal(err)
	}
	var rest []any
	for _, p := range append(tr.Model.parameters(), targets...) {
		rest = append(rest, p)
	}
	return tr.objective(contentLayers, styleLayers, nil), rest
}

// TestSqrtmNewtonSchulz checks the Newton–Schulz square root (NewtonSchulzIterations, as W2 uses) against
// the one from an eigendecomposition (Jacobi's, here, in float64) on random symmetric positive
// definite matrices, with eigenvalues spread over two orders of magnitude.
func TestSqrtmNewtonSchulz(t *testing.T) {
	for _, n := range []int{3, 8, 16} {
		a := randomSPD(n, uint64(n))
		var flat []float64
		for _, row := range a {
			flat = append(flat, row...)
		}
		e, err := NewExec(goBackend(), func(in []*Node) []*Node {
			return []*Node{styleloss.SqrtmNewtonSchulz(in[0], styleloss.NewtonSchulzIterations)}
		})
		if err != nil {
			t.Fatal(err)
		}
		got := tensors.MustCopyFlatData[float64](e.MustExec(tensors.FromFlatDataAndDimensions(flat, n, n))[0])
		e.Finalize()
		want := sqrtmByEigen(a)
		var worst, scale float64
		for i := range n {
			for j := range n {
				worst = math.Max(worst, math.Abs(got[i*n+j]-want[i][j]))
				scale = math.Max(scale, math.Abs(want[i][j]))
			}
		}
		if worst > 1e-6*scale {
			t.Errorf("%d×%d: Newton–Schulz and the eigendecomposition differ by %g (largest entry %g)", n, n, worst, scale)
		}
		// And the eigendecomposition's root squares back to A.
		sq := matMul(want, want)
		for i := range n {
			for j := range n {
				if !closeTo(sq[i][j], a[i][j], 1e-9) {
					t.Fatalf("%d×%d: the eigendecomposition's root squared gives %g at (%d,%d), A has %g", n, n, sq[i][j], i, j, a[i][j])
				}
			}
		}
	}
}

// randomSPD is Q·diag(λ)·Qᵀ with λ from 0.05 to 5 and Q from the Jacobi eigenvectors of a
// random symmetric matrix.
func randomSPD(n int, seed uint64) [][]float64 {
	r := rand.New(rand.NewPCG(seed, 3))
	b := make([][]float64, n)
	for i := range b {
		b[i] = make([]float64, n)
	}
	for i := range n {
		for j := i; j < n; j++ {
			b[i][j] = r.NormFloat64()
			b[j][i] = b[i][j]
		}
	}
	_, q := jacobiEigen(b)
	a := make([][]float64, n)
	for i := range a {
		a[i] = make([]float64, n)
	}
	for k := range n {
		lambda := 0.05 * math.Pow(100, float64(k)/float64(max(1, n-1)))
		for i := range n {
			for j := range n {
				a[i][j] += lambda * q[i][k] * q[j][k]
			}
		}
	}
	return a
}

// jacobiEigen diagonalises a symmetric matrix by cyclic Jacobi rotations: a = V·diag(λ)·Vᵀ, the
// eigenvectors in V's columns.
func jacobiEigen(a [][]float64) ([]float64, [][]float64) {
	n := len(a)
	m := make([][]float64, n)
	v := make([][]float64, n)
	for i := range n {
		m[i] = append([]float64{}, a[i]...)
		v[i] = make([]float64, n)
		v[i][i] = 1
	}
	for sweep := 0; sweep < 100; sweep++ {
		var off float64
		for i := range n {
			for j := range n {
				if i != j {
					off += m[i][j] * m[i][j]
				}
			}
		}
		if off < 1e-30 {
			break
		}
		for p := range n {
			for q := p + 1; q < n; q++ {
				if m[p][q] == 0 {
					continue
				}
				theta := (m[q][q] - m[p][p]) / (2 * m[p][q])
				tn := math.Copysign(1, theta) / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				c := 1 / math.Sqrt(tn*tn+1)
				s := tn * c
				for k := range n { // m ← m·J
					mkp, mkq := m[k][p], m[k][q]
					m[k][p], m[k][q] = c*mkp-s*mkq, s*mkp+c*mkq
				}
				for k := range n { // m ← Jᵀ·m
					mpk, mqk := m[p][k], m[q][k]
					m[p][k], m[q][k] = c*mpk-s*mqk, s*mpk+c*mqk
				}
				for k := range n {
					vkp, vkq := v[k][p], v[k][q]
					v[k][p], v[k][q] = c*vkp-s*vkq, s*vkp+c*vkq
				}
			}
		}
	}
	lambda := make([]float64, n)
	for i := range n {
		lambda[i] = m[i][i]
	}
	return lambda, v
}

// sqrtmByEigen is V·diag(√λ)·Vᵀ.
func sqrtmByEigen(a [][]float64) [][]float64 {
	lambda, v := jacobiEigen(a)
	n := len(a)
	r := make([][]float64, n)
	for i := range r {
		r[i] = make([]float64, n)
		for j := range r[i] {
			for k := range n {
				r[i][j] += v[i][k] * math.Sqrt(math.Max(lambda[k], 0)) * v[j][k]
			}
		}
	}
	return r
}

func matMul(a, b [][]float64) [][]float64 {
	n, m, p := len(a), len(b), len(b[0])
	c := make([][]float64, n)
	for i := range c {
		c[i] = make([]float64, p)
		for j := range p {
			for k := range m {
				c[i][j] += a[i][k] * b[k][j]
			}
		}
	}
	return c
}

// TestTransferFallsWithEachStyleLoss runs a short transfer (tiny network, 32 px, 5 L-BFGS
// iterations) with each loss and checks that the loss falls, and that its style terms are the
// objective's (Total = Content + Σ Style + TV).
func TestTransferFallsWithEachStyleLoss(t *testing.T) {
	content := images.Lighthouse(32, 24)
	style := images.ResizeTo(images.Swirls(32, 32), 32, 24)
	for _, loss := range StyleLosses() {
		t.Run(string(loss), func(t *testing.T) {
			tr := NewTransfer(tinyModel(t, NativeLowering))
			tr.Loss.StyleLoss, tr.Iterations = loss, 5
			var evals []Evaluation
			tr.OnEvaluation = func(e Evaluation) error { evals = append(evals, e); return nil }
			res, err := tr.Run(context.Background(), content, []Style{{Image: style, Weight: 1}})
			if err != nil {
				t.Fatal(err)
			}
			first, last := evals[0], evals[len(evals)-1]
			if !(res.Loss < 0.9*first.Total) || first.Total <= 0 {
				t.Errorf("the loss went from %g to %g in %d evaluations; want a fall of 10%% at least", first.Total, res.Loss, len(evals))
			}
			sum := last.Content + last.TV
			for _, s := range last.Style {
				sum += s
			}
			if !closeTo(sum, last.Total, 1e-4) {
				t.Errorf("Total %g, parts add up to %g", last.Total, sum)
			}
			t.Logf("%s: %g → %g (%d evaluations)", loss, first.Total, res.Loss, len(evals))
		})
	}
}

// TestStyleLossBlendsAndRefuses: losses whose statistics blend take several styles; mmd-gauss
// takes one; the linear-time Gaussian estimator runs in a transfer; bad settings are refused.
func TestStyleLossBlendsAndRefuses(t *testing.T) {
	defer func(sizes styleloss.MMDGaussSizes) { mmdGaussSizes = sizes }(mmdGaussSizes)
	m := tinyModel(t, NativeLowering)
	content := images.Lighthouse(32, 24)
	styles := []Style{{Image: images.ResizeTo(images.Swirls(32, 32), 32, 24), Weight: 1}, {Image: images.Lighthouse(32, 24), Weight: 2}}
	for _, loss := range StyleLosses() {
		tr := NewTransfer(m)
		tr.Loss.StyleLoss, tr.Iterations = loss, 1
		_, err := tr.Run(context.Background(), content, styles)
		if loss == StyleLossMMDGauss {
			if err == nil || !strings.Contains(err.Error(), "one style") {
				t.Errorf("%s with two styles: err = %v, want a refusal", loss, err)
			}
		} else if err != nil {
			t.Errorf("%s with two styles: %v", loss, err)
		}
	}
	// Blocks of 16 from conv1_1 (768 positions at 32×24) to conv4_1 (48): the linear-time form
	// at every layer but conv5_1; its style terms never go negative, and fall.
	mmdGaussSizes = styleloss.MMDGaussSizes{QuadraticMax: 100, Block: 16}
	tr := NewTransfer(m)
	tr.Loss.StyleLoss, tr.Iterations = StyleLossMMDGauss, 8
	var evals []Evaluation
	tr.OnEvaluation = func(e Evaluation) error { evals = append(evals, e); return nil }
	if res, err := tr.Run(context.Background(), content, styles[:1]); err != nil {
		t.Errorf("mmd-gauss, linear-time: %v", err)
	} else if !(res.Loss < 0.9*evals[0].Total) {
		t.Errorf("mmd-gauss, linear-time: the loss went from %g to %g", evals[0].Total, res.Loss)
	}
	for _, e := range evals {
		for l, v := range e.Style {
			if v < 0 {
				t.Errorf("mmd-gauss, linear-time: evaluation %d, style layer %d: %g < 0", e.N, l, v)
			}
		}
	}

	for _, c := range []struct {
		cfg  func(*LossConfig)
		want string
	}{
		{func(l *LossConfig) { l.StyleLoss = "mmd-cubic" }, "unknown style loss"},
		{func(l *LossConfig) { l.StyleLoss, l.GramNorm = StyleLossW2, GramNormHW }, "gram style loss only"},
		{func(l *LossConfig) { l.StyleLoss, l.GramNorm = StyleLossMMDPoly, GramNormCHW }, "gram style loss only"},
	} {
		l := DefaultLoss()
		c.cfg(&l)
		if err := l.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: Validate() = %v, want %q", l, err, c.want)
		}
	}
	for _, ok := range []func(*LossConfig){
		func(l *LossConfig) { l.StyleLoss = StyleLossW2 },
		func(l *LossConfig) { l.StyleLoss, l.GramNorm = StyleLossW2, GramNormNone },
		func(l *LossConfig) { l.StyleLoss, l.GramNorm = StyleLossGram, GramNormHW },
	} {
		l := DefaultLoss()
		ok(&l)
		if err := l.Validate(); err != nil {
			t.Errorf("%+v: %v", l, err)
		}
	}
	for _, name := range StyleLosses() {
		if got, err := ParseStyleLoss(string(name)); err != nil || got != name {
			t.Errorf("ParseStyleLoss(%q) = %q, %v", name, got, err)
		}
	}
	if _, err := ParseStyleLoss("gaussian"); err == nil || !strings.Contains(err.Error(), "mmd-gauss") {
		t.Errorf("ParseStyleLoss(gaussian) = %v, want an error listing the losses", err)
	}
}

// styleLossStart is the first evaluation of a transfer with loss, with the full-size VGG19 (random
// weights, seed 1: --weights random), the default layers and β, at side px on the built-in
// pictures, from the content.
func styleLossStart(t testing.TB, m *Model, loss StyleLoss, side int) Evaluation {
	tr := NewTransfer(m)
	tr.Loss.StyleLoss = loss
	content := images.Lighthouse(side, side*3/4)
	style := images.ResizeTo(images.Swirls(side, side), side, side*3/4)
	e, err := tr.Evaluate(content, content, []Style{{Image: style, Weight: 1}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

var fullRandomModel *Model

func fullRandom(t testing.TB) *Model {
	if fullRandomModel == nil {
		m, err := NewModel(goBackend(), weights.Random(weights.VGG19, 1), NativeLowering)
		if err != nil {
			t.Fatal(err)
		}
		fullRandomModel = m
	}
	return fullRandomModel
}

// TestStyleLossBalances checks the balances documented at StyleLoss.Balance: on the built-in
// pictures at 64 px with VGG19's random weights, each loss's style terms start within a factor
// of 2 of the Gram loss's. With -v it prints Σ_l w_l·E_l of each (the balance's divisor).
func TestStyleLossBalances(t *testing.T) {
	testutil.SkipIfShort(t, "full-size VGG19")
	m := fullRandom(t)
	var gram float64
	for _, loss := range StyleLosses() {
		e := styleLossStart(t, m, loss, 64)
		var style float64
		for _, s := range e.Style {
			style += s
		}
		if loss == StyleLossGram {
			gram = style
		}
		beta := DefaultLoss().StyleWeight
		t.Logf("%-10s Σ β·w_l·balance·E_l = %.3g   Σ w_l·E_l = %.3g   balance %g   content %.3g",
			loss, style, style/beta/loss.Balance(), loss.Balance(), e.Content)
		if ratio := style / gram; ratio < 0.5 || ratio > 2 {
			t.Errorf("%s: the style terms start at %.3g, the Gram loss's at %.3g: the balance %g is off by %.2g×",
				loss, style, gram, loss.Balance(), ratio)
		}
	}
}

// BenchmarkStyleLoss times one evaluation (loss and gradient) of each style loss's transfer
// objective with the full-size VGG19 (random weights) at 64 px on the pure-Go backend:
//
//	go test ./nst -run '^$' -bench StyleLoss -benchtime 5x
//
// mmd-gauss-linear-time is mmd-gauss in its linear-time form (blocks of 128) at every layer.
func BenchmarkStyleLoss(b *testing.B) {
	defer func(sizes styleloss.MMDGaussSizes) { mmdGaussSizes = sizes }(mmdGaussSizes)
	for _, loss := range append(StyleLosses(), "mmd-gauss-linear-time") {
		b.Run(string(loss), func(b *testing.B) {
			m := fullRandom(b)
			tr := NewTransfer(m)
			if tr.Loss.StyleLoss = loss; loss == "mmd-gauss-linear-time" {
				tr.Loss.StyleLoss, mmdGaussSizes.QuadraticMax = StyleLossMMDGauss, 0
			}
			content := ImageTensor(images.Lighthouse(64, 48))
			style := ImageTensor(images.ResizeTo(images.Swirls(64, 64), 64, 48))
			objective, rest := lossOf(b, tr, content, style)
			e, err := NewExec(m.Backend, func(in []*Node) []*Node {
				l, _ := objective(in[0], in[1:])
				return []*Node{l, Gradient(l, in[0])[0]}
			})
			if err != nil {
				b.Fatal(err)
			}
			defer e.Finalize()
			args := append([]any{content}, rest...)
			if _, err := e.Exec(args...); err != nil { // compile outside the timing
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				for _, o := range e.MustExec(args...) {
					o.FinalizeAll()
				}
			}
		})
	}
}

// TestStyleTermsVanishAtTheStyle: with the style picture itself as the target, every loss's
// style terms (through the network, the targets' blending and finishing, and their order per
// layer) are about 0, against their size at another picture.
func TestStyleTermsVanishAtTheStyle(t *testing.T) {
	m := tinyModel(t, NativeLowering)
	content := images.Lighthouse(32, 24)
	style := images.ResizeTo(images.Swirls(32, 32), 32, 24)
	for _, loss := range StyleLosses() {
		tr := NewTransfer(m)
		tr.Loss.StyleLoss = loss
		// Two copies of the style, blended: the blend of one style's statistics is themselves.
		styles := []Style{{Image: style, Weight: 1}, {Image: style, Weight: 3}}
		if loss == StyleLossMMDGauss {
			styles = styles[:1]
		}
		at, err := tr.Evaluate(style, content, styles)
		if err != nil {
			t.Fatal(err)
		}
		away, err := tr.Evaluate(content, content, styles)
		if err != nil {
			t.Fatal(err)
		}
		for l := range at.Style {
			if math.Abs(at.Style[l]) > 1e-3*away.Style[l] || !(away.Style[l] > 0) {
				t.Errorf("%s, style layer %s: %g at the style, %g at the content", loss, tr.Loss.StyleLayers[l].Name, at.Style[l], away.Style[l])
			}
		}
	}
}

// TestMMDGaussFloat32IsAccurate: in float32, as the transfer runs, the Gaussian MMD of two close
// feature maps of a 64 px conv1_1's size (64 channels × 3072 positions) agrees with float64's.
// Its three kernel means are about 0.5 and their difference is far smaller: summed in float32,
// the rounding was of the MMD's own size, and L-BFGS drove a run's conv1_1 term below zero.
func TestMMDGaussFloat32IsAccurate(t *testing.T) {
	const n, m = 64, 3072
	f := randomFeatures(n, m, 5, 0)
	s := randomFeatures(n, m, 5, 0)
	r := rand.New(rand.NewPCG(6, 1))
	for c := range s {
		for i := range s[c] {
			s[c][i] += 0.05 * r.NormFloat64()
		}
	}
	want := eval64(t, func(in []*Node) []*Node { return []*Node{styleloss.MMDGaussLayerLoss(in[0], in[1], 0)} },
		f.Tensor(false), s.Tensor(true))[0]
	to32 := func(x *tensors.Tensor) *tensors.Tensor {
		d := tensors.MustCopyFlatData[float64](x)
		v := make([]float32, len(d))
		for i := range d {
			v[i] = float32(d[i])
		}
		return tensors.FromFlatDataAndDimensions(v, x.Shape().Dimensions...)
	}
	e, err := NewExec(goBackend(), func(in []*Node) *Node { return styleloss.MMDGaussLayerLoss(in[0], in[1], 0) })
	if err != nil {
		t.Fatal(err)
	}
	defer e.Finalize()
	got := float64(tensors.MustCopyFlatData[float32](e.MustExec(to32(f.Tensor(false)), to32(s.Tensor(true)))[0])[0])
	t.Logf("E_l in float64 %.6g, in float32 %.6g", want, got)
	if !(want > 0) || math.Abs(got-want) > 0.01*want {
		t.Errorf("E_l in float32 is %.6g, in float64 %.6g: more than 1%% apart", got, want)
	}
}
