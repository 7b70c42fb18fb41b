package styleloss

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/estil-nst/estil/nst/internal/featuretest"
)

// The tests of what package nst's tests cannot reach from outside: the polynomial kernel's c,
// the Gaussian MMD's blocks and the sort. Package nst's styleloss_test.go checks every loss
// against its formula by hand, its gradient, and a transfer with it.

// goBackend is GoMLX's pure-Go backend, as package nst's tests open it.
var goBackend = sync.OnceValue(func() compute.Backend {
	b, err := compute.NewWithConfig("go:ops_sequential")
	if err != nil {
		panic(err)
	}
	return b
})

// The float64 feature maps and hand-computed sums shared with package nst's tests.
type features = featuretest.Features

var (
	randomFeatures = featuretest.Random
	dot            = featuretest.Dot
	sqDist         = featuretest.SqDist
	closeTo        = featuretest.CloseTo
)

// eval64 runs fn on GoMLX's pure-Go backend with float64 tensors and returns its scalar outputs.
func eval64(t testing.TB, fn func([]*Node) []*Node, args ...*tensors.Tensor) []float64 {
	t.Helper()
	return featuretest.Eval64(t, goBackend(), fn, args...)
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

// TestMMDPolyWithC checks the polynomial kernel's c term (estil's MMDPolyC is 0, Li et al.'s
// default) against Σ_ij [(f_iᵀf_j + c)² + (s_iᵀs_j + c)² − 2(f_iᵀs_j + c)²]/(N²·M).
func TestMMDPolyWithC(t *testing.T) {
	f, s := randomFeatures(3, 5, 1, 0), randomFeatures(3, 5, 2, 1)
	const c = 0.7
	got := eval64(t, func(in []*Node) []*Node {
		st := flatFeatures(in[1])
		return []*Node{mmdPolyLayerLoss(in[0], secondMoment(st), featureMean(st), c)}
	}, f.Tensor(false), s.Tensor(false))[0]
	want := mmdByHand(f, s, polyKernel(c)) / float64(3*3*5)
	if !closeTo(got, want, 1e-9) {
		t.Errorf("E_l with c = %v: %.12g, by hand %.12g", c, got, want)
	}
}

// TestMMDGaussBlocks checks the linear-time Gaussian MMD (used above MMDGaussSizes.QuadraticMax)
// against its formula by hand, with the same blocks, and that it is close to the value over all
// pairs on many positions.
func TestMMDGaussBlocks(t *testing.T) {
	f, s := randomFeatures(3, 10, 1, 0), randomFeatures(3, 4, 2, 1)
	sizes := MMDGaussSizes{QuadraticMax: 0, Block: 3}
	got := eval64(t, func(in []*Node) []*Node { return []*Node{MMDGaussLayerLossSized(in[0], in[1], 5, sizes)} },
		f.Tensor(false), s.Tensor(true))[0]
	x, y := gaussBlocks(10, 4, 3, 5)
	if len(x) != 9 || len(y) != 9 {
		t.Fatalf("blocks of %d and %d positions for M = 10, M_S = 4, B = 3; want 9 each", len(x), len(y))
	}
	seen := map[int]bool{}
	for _, i := range x {
		seen[i] = true
	}
	if len(seen) != 9 {
		t.Errorf("F's positions %v repeat", x)
	}
	// 2σ² = (D̄_FF + D̄_SS + 2·D̄_FS)/4 over all pairs within the blocks.
	var dff, dss, dfs float64
	for k := range 3 {
		for i := range 3 {
			for j := range 3 {
				dff += sqDist(f.Col(x[3*k+i]), f.Col(x[3*k+j])) / 27
				dss += sqDist(s.Col(y[3*k+i]), s.Col(y[3*k+j])) / 27
				dfs += sqDist(f.Col(x[3*k+i]), s.Col(y[3*k+j])) / 27
			}
		}
	}
	twoSigma2 := (dff + dss + 2*dfs) / 4
	kern := func(a, b []float64) float64 { return math.Exp(-sqDist(a, b) / twoSigma2) }
	var want float64
	for k := range 3 {
		for i := range 3 {
			for j := range 3 {
				xi, xj, yi, yj := f.Col(x[3*k+i]), f.Col(x[3*k+j]), s.Col(y[3*k+i]), s.Col(y[3*k+j])
				want += (kern(xi, xj) + kern(yi, yj) - 2*kern(xi, yj)) / 9 / 3 / (2 * 3)
			}
		}
	}
	if !closeTo(got, want, 1e-9) {
		t.Errorf("linear-time E_l = %.12g, by hand %.12g", got, want)
	}

	// On 3000 positions, blocks of 128 give nearly the value over all pairs (a 1.5-σ shift in mean).
	sizes.Block = 128
	f, s = randomFeatures(3, 3000, 3, 0), randomFeatures(3, 3000, 4, 1.5)
	fn := func(in []*Node) []*Node { return []*Node{MMDGaussLayerLossSized(in[0], in[1], 1, sizes)} }
	estimate := eval64(t, fn, f.Tensor(false), s.Tensor(true))[0]
	sizes.QuadraticMax = 4096 * 4096
	exact := eval64(t, fn, f.Tensor(false), s.Tensor(true))[0]
	if math.Abs(estimate-exact) > 0.1*exact {
		t.Errorf("linear-time %.6g, over all pairs %.6g: more than 10%% apart", estimate, exact)
	}
	t.Logf("over all pairs %.6g, in blocks of 128 %.6g", exact, estimate)
}

// TestSortRows checks the bitonic network against sort.Float64s on rows of lengths that are and
// are not powers of two, with ties, and that the gradient of Σ_k c_k·sorted_k sends c_k to the
// element that landed at k.
func TestSortRows(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	for _, m := range []int{1, 2, 3, 5, 8, 13, 64, 100} {
		const l = 3
		data := make([]float64, l*m)
		for i := range data {
			data[i] = float64(r.IntN(7)) + 0.001*float64(i%2) // ties, and near-ties
		}
		weights := make([]float64, l*m)
		for i := range weights {
			weights[i] = float64(i + 1)
		}
		e, err := NewExec(goBackend(), func(x, c *Node) []*Node {
			sorted := sortRows(x)
			return []*Node{sorted, Gradient(ReduceAllSum(Mul(sorted, c)), x)[0]}
		})
		if err != nil {
			t.Fatal(err)
		}
		out := e.MustExec(tensors.FromFlatDataAndDimensions(data, l, m), tensors.FromFlatDataAndDimensions(weights, l, m))
		e.Finalize()
		got, grad := tensors.MustCopyFlatData[float64](out[0]), tensors.MustCopyFlatData[float64](out[1])
		for row := range l {
			want := slices.Clone(data[row*m : (row+1)*m])
			sort.Float64s(want)
			if !slices.Equal(got[row*m:(row+1)*m], want) {
				t.Fatalf("m=%d row %d: sorted %v, want %v", m, row, got[row*m:(row+1)*m], want)
			}
			// Each weight c_k reaches exactly one element, one whose value is sorted_k.
			gs := slices.Clone(grad[row*m : (row+1)*m])
			ws := slices.Clone(weights[row*m : (row+1)*m])
			sort.Float64s(gs)
			sort.Float64s(ws)
			if !slices.Equal(gs, ws) {
				t.Fatalf("m=%d row %d: the gradient %v is not a permutation of the weights", m, row, grad[row*m:(row+1)*m])
			}
			for i, gv := range grad[row*m : (row+1)*m] {
				k := slices.Index(weights[row*m:(row+1)*m], gv)
				if data[row*m+i] != got[row*m+k] {
					t.Fatalf("m=%d row %d: element %d (%g) got the weight of sorted place %d (%g)", m, row, i, data[row*m+i], k, got[row*m+k])
				}
			}
		}
	}
}
