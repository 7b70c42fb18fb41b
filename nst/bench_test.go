package nst

import (
	"context"
	"fmt"
	"runtime/pprof"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/estil-nst/estil/internal/rss"
	"github.com/estil-nst/estil/weights"
)

// Benchmarks of the full-size VGG19 (random weights) on the pure-Go backend, to conv5_1 with the
// original's loss layers: the forward pass alone, and forward + backward (the loss and its
// gradient with respect to the image: one evaluation of L-BFGS).
//
//	go test ./nst -run '^$' -bench . -benchtime 3x
func BenchmarkForward(b *testing.B) {
	for _, size := range []int{64, 128} {
		b.Run(fmt.Sprintf("%dpx", size), func(b *testing.B) { benchmarkVGG(b, size, false) })
	}
}

// The 256 px case also reports the process's peak RSS; run it alone, in a fresh process, for a
// figure that is its own:
//
//	go test ./nst -run '^$' -bench 'ForwardBackward/256' -benchtime 1x
func BenchmarkForwardBackward(b *testing.B) {
	for _, size := range []int{64, 128, 256} {
		b.Run(fmt.Sprintf("%dpx", size), func(b *testing.B) { benchmarkVGG(b, size, true) })
	}
}

var fullModel = map[Lowering]*Model{}

func benchmarkVGG(b *testing.B, size int, backward bool) {
	lowering := NativeLowering // what every backend runs (backend.Open)
	m := fullModel[lowering]
	if m == nil {
		var err error
		if m, err = NewModel(goBackend(), weights.Random(weights.VGG19, 1), lowering); err != nil {
			b.Fatal(err)
		}
		fullModel[lowering] = m
	}
	img := randomImage(size, size, 1)
	objective, rest := originalLoss(b, m, img, img)
	e, err := NewExec(m.Backend, func(in []*Node) []*Node {
		loss, _ := objective(in[0], in[1:])
		if backward {
			return []*Node{loss, Gradient(loss, in[0])[0]}
		}
		return []*Node{loss}
	})
	if err != nil {
		b.Fatal(err)
	}
	args := append([]any{randomImage(size, size, 2)}, rest...)
	if _, err := e.Exec(args...); err != nil { // compile outside the timing
		b.Fatal(err)
	}
	b.ResetTimer()
	// The label marks the evaluations in a CPU profile (scripts/profile.sh keeps only them, not
	// the model's construction and compilation); the backend's workers inherit it.
	pprof.Do(context.Background(), pprof.Labels("estil", "evaluation"), func(context.Context) {
		for b.Loop() {
			out := e.MustExec(args...)
			_ = tensors.MustCopyFlatData[float32](out[0])
			for _, o := range out {
				o.FinalizeAll()
			}
		}
	})
	flops := ConvFLOPs(size, size, m.Channels(), 28)
	if backward {
		flops *= 2 // the gradient w.r.t. the input costs about one more forward's convolutions
	}
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	b.ReportMetric(float64(rss.Peak())/1e6, "peak-RSS-MB")
}
