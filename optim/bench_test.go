package optim

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// diagQuadratic is f(x) = ½ Σ aᵢxᵢ² − bᵀx with gradient a⊙x − b; inputs = a, b.
func diagQuadratic(x *graph.Node, inputs []*graph.Node) (*graph.Node, *graph.Node, []*graph.Node) {
	a, b := inputs[0], inputs[1]
	ax := graph.Mul(a, x)
	loss := graph.Sub(graph.Mul(graph.Scalar(x.Graph(), x.DType(), 0.5), dot(x, ax)), dot(b, x))
	return loss, graph.Sub(ax, b), nil
}

// BenchmarkStep1M measures one Step (torch defaults: max_iter 20, history 100) on a 10⁶-dimensional
// float32 quadratic with condition number 100, for both line-search modes. The state is reset before
// each Step so that every iteration does the same work (a Step of 20 iterations, with up to 19 pairs).
func BenchmarkStep1M(b *testing.B) {
	const n = 1_000_000
	rng := rand.New(rand.NewPCG(3, 4))
	a := make([]float32, n)
	bv := make([]float32, n)
	x0 := make([]float32, n)
	for i := range a {
		a[i] = 1 + 99*rng.Float32()
		bv[i] = float32(rng.NormFloat64())
	}
	aT := tensors.FromFlatDataAndDimensions(a, n)
	bT := tensors.FromFlatDataAndDimensions(bv, n)
	xT := tensors.FromFlatDataAndDimensions(x0, n)
	for _, wolfe := range []bool{false, true} {
		b.Run(fmt.Sprintf("strong_wolfe=%v", wolfe), func(b *testing.B) {
			opt := NewLBFGS(testBackend(), diagQuadratic).Inputs(aT, bT).StrongWolfe(wolfe).ToleranceGrad(0).
				ToleranceChange(0)
			defer opt.Finalize()
			if _, err := opt.Step(xT, 20); err != nil { // compile the graphs (20: torch's default max_iter)
				b.Fatal(err)
			}
			opt.Reset()
			b.ResetTimer()
			var evals, iters int
			for range b.N {
				res, err := opt.Step(xT, 20)
				if err != nil {
					b.Fatal(err)
				}
				evals += res.Evaluations
				iters += res.Iterations
				b.StopTimer()
				_ = res.X.FinalizeAll()
				opt.Reset()
				b.StartTimer()
			}
			b.ReportMetric(float64(iters)/float64(b.N), "iters/op")
			b.ReportMetric(float64(evals)/float64(b.N), "evals/op")
		})
	}
}
