package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// matMulGFLOPs times a float32 matrix product [m, k]·[k, n] on backend (after a warm-up call, the
// fastest of five) and returns its rate in GFLOP/s (a multiply-add counts 2). Benchmarks use it
// as the bound a convolution network can reach there: its convolutions are such products, and
// everything around them (im2col, ReLU, pooling, the optimizer) only adds time.
func matMulGFLOPs(backend compute.Backend, m, k, n int) (float64, error) {
	exec, err := graph.NewExec(backend, func(a, b *graph.Node) *graph.Node { return graph.MatMul(a, b) })
	if err != nil {
		return 0, err
	}
	a, b := randomMatrixTensor(m, k, 1), randomMatrixTensor(k, n, 2)
	best := math.Inf(1)
	for i := range 6 {
		start := time.Now()
		out, err := exec.Exec(a, b)
		if err != nil {
			return 0, fmt.Errorf("timing a [%d, %d]·[%d, %d] matrix product: %w", m, k, k, n, err)
		}
		out[0].FinalizeAll()
		if i > 0 { // the first call compiles
			best = math.Min(best, time.Since(start).Seconds())
		}
	}
	return 2 * float64(m) * float64(k) * float64(n) / best / 1e9, nil
}

func randomMatrixTensor(rows, cols int, seed uint64) *tensors.Tensor {
	r := rand.New(rand.NewPCG(seed, 1))
	data := make([]float32, rows*cols)
	for i := range data {
		data[i] = r.Float32() - 0.5
	}
	return tensors.FromFlatDataAndDimensions(data, rows, cols)
}
