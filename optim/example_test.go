package optim_test

import (
	"fmt"
	"log"

	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/estil-nst/estil/optim"
)

// Minimise the Rosenbrock function f(a, b) = 100·(b − a²)² + (1 − a)² from (−1.2, 1), its
// classic start, with torch's L-BFGS and its strong-Wolfe line search; the gradient comes from
// autodiff. The minimum is at (1, 1).
func Example() {
	backend, err := gobackend.New("ops_sequential")
	if err != nil {
		log.Fatal(err)
	}
	rosenbrock := optim.Autodiff(func(x *graph.Node, _ []*graph.Node) (*graph.Node, []*graph.Node) {
		a := graph.Reshape(graph.Slice(x, graph.AxisElem(0)))
		b := graph.Reshape(graph.Slice(x, graph.AxisElem(1)))
		c := func(v float64) *graph.Node { return graph.Scalar(x.Graph(), x.DType(), v) }
		return graph.Add(graph.Mul(c(100), graph.Square(graph.Sub(b, graph.Square(a)))), graph.Square(graph.Sub(c(1), a))), nil
	})
	opt := optim.NewLBFGS(backend, rosenbrock).StrongWolfe(true)
	defer opt.Finalize()
	res, err := opt.Step(tensors.FromValue([]float64{-1.2, 1}), 100)
	if err != nil {
		log.Fatal(err)
	}
	x := tensors.MustCopyFlatData[float64](res.X)
	fmt.Printf("minimum at (%.4f, %.4f); loss %.1f at the start, below 1e-8 at the end: %v\n",
		x[0], x[1], res.Loss, res.LastLoss < 1e-8)
	// Output:
	// minimum at (1.0000, 1.0000); loss 24.2 at the start, below 1e-8 at the end: true
}
