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

// MatMulRate times a float32 matrix product [m, k]·[k, n] on b (after a warm-up call that
// compiles it, the fastest of at least five calls, and of as many more as fit in budget) and
// returns its rate in GFLOP/s (a multiply-add counts 2). Benchmarks use it as the bound a
// convolution network can reach there: its convolutions are such products, and everything
// around them (im2col, ReLU, pooling, the optimizer) only adds time.
func MatMulRate(b compute.Backend, m, k, n int, budget time.Duration) (float64, error) {
	exec, err := graph.NewExec(b, func(x, y *graph.Node) *graph.Node { return graph.MatMul(x, y) })
	if err != nil {
		return 0, err
	}
	x, y := randomMatrixTensor(m, k, 1), randomMatrixTensor(k, n, 2)
	best := math.Inf(1)
	start := time.Now()
	for i := 0; i < 6 || time.Since(start) < budget; i++ {
		t := time.Now()
		out, err := exec.Exec(x, y)
		if err != nil {
			return 0, fmt.Errorf("timing a [%d, %d]·[%d, %d] matrix product: %w", m, k, k, n, err)
		}
		out[0].FinalizeAll()
		if i > 0 { // the first call compiles
			best = math.Min(best, time.Since(t).Seconds())
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
