// Package featuretest holds what the style losses' tests in nst and nst/styleloss share: feature
// maps in float64, the sums the tests compute by hand from them, and a way to evaluate a graph
// on them. It is for tests only.
package featuretest

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// Features is a feature map [N][M] in float64: row c is channel c, column i is f_i.
type Features [][]float64

// Random is an n×m feature map of normal values, channel c shifted by shift·(c+1)/n (so that
// two maps with different shifts differ in their means too).
func Random(n, m int, seed uint64, shift float64) Features {
	r := rand.New(rand.NewPCG(seed, 77))
	f := make(Features, n)
	for c := range f {
		f[c] = make([]float64, m)
		for i := range f[c] {
			f[c][i] = r.NormFloat64() + shift*float64(c+1)/float64(n)
		}
	}
	return f
}

// N is the number of channels.
func (f Features) N() int { return len(f) }

// M is the number of positions.
func (f Features) M() int { return len(f[0]) }

// Col is f_i.
func (f Features) Col(i int) []float64 {
	v := make([]float64, len(f))
	for c := range f {
		v[c] = f[c][i]
	}
	return v
}

// Tensor is f as a [N, 1, M] feature map (or [N, M] with flat).
func (f Features) Tensor(flat bool) *tensors.Tensor {
	var data []float64
	for _, row := range f {
		data = append(data, row...)
	}
	if flat {
		return tensors.FromFlatDataAndDimensions(data, f.N(), f.M())
	}
	return tensors.FromFlatDataAndDimensions(data, f.N(), 1, f.M())
}

// Mean is μ = (1/M)·Σ_i f_i.
func (f Features) Mean() []float64 {
	mu := make([]float64, f.N())
	for c := range f {
		for _, v := range f[c] {
			mu[c] += v / float64(f.M())
		}
	}
	return mu
}

// Cov is (1/M)·Σ_i (f_i − μ)(f_i − μ)ᵀ + eps·I.
func (f Features) Cov(eps float64) [][]float64 {
	mu := f.Mean()
	c := make([][]float64, f.N())
	for a := range c {
		c[a] = make([]float64, f.N())
		for b := range c[a] {
			for i := range f.M() {
				c[a][b] += (f[a][i] - mu[a]) * (f[b][i] - mu[b]) / float64(f.M())
			}
		}
		c[a][a] += eps
	}
	return c
}

// Dot is aᵀb.
func Dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// SqDist is ‖a − b‖².
func SqDist(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += (a[i] - b[i]) * (a[i] - b[i])
	}
	return s
}

// CloseTo says whether a and b agree to tol, relative to the larger of them (absolute below 1).
func CloseTo(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// Eval64 runs fn on backend with float64 tensors and returns its scalar outputs.
func Eval64(t testing.TB, backend compute.Backend, fn func([]*graph.Node) []*graph.Node, args ...*tensors.Tensor) []float64 {
	t.Helper()
	e, err := graph.NewExec(backend, fn)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Finalize()
	in := make([]any, len(args))
	for i, a := range args {
		in[i] = a
	}
	out, err := e.Exec(in...)
	if err != nil {
		t.Fatal(err)
	}
	v := make([]float64, len(out))
	for i, o := range out {
		v[i] = tensors.MustCopyFlatData[float64](o)[0]
	}
	return v
}
