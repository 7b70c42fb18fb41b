package nst

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"

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
	lowering := NativeLowering // what OpenBackend gives every backend
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
	for b.Loop() {
		out := e.MustExec(args...)
		_ = tensors.MustCopyFlatData[float32](out[0])
		for _, o := range out {
			o.FinalizeAll()
		}
	}
	flops := ConvFLOPs(size, size, m.Channels(), 28)
	if backward {
		flops *= 2 // the gradient w.r.t. the input costs about one more forward's convolutions
	}
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	b.ReportMetric(float64(peakRSS())/1e6, "peak-RSS-MB")
}

// peakRSS is the process's peak resident set size in bytes: VmHWM from /proc/self/status (Linux
// only; 0 elsewhere), the high-water mark of everything this process held, Go heap and backend buffers.
// Not getrusage's ru_maxrss: `go test` starts the test binary with os/exec, which shares the go
// command's memory until exec, and ru_maxrss then inherits the go command's peak.
func peakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				if kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64); err == nil {
					return kb * 1024
				}
			}
		}
	}
	return 0 // not Linux: not measured
}
