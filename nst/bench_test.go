package nst

import (
	"context"
	"fmt"
	"image"
	"image/draw"
	"runtime/pprof"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/estil-nst/estil/images"
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

// BenchmarkFrames measures what a batch of frames saves: the time of a frame after the first
// against a single-picture run, at 256 px on the pure-Go backend with random weights (real ones
// cost the same), for runs of 1 and 10 L-BFGS iterations, each frame a new picture (the
// lighthouse panned by a pixel):
//
//	go test ./nst -run '^$' -bench Frames -benchtime 3x
//
// single is one `estil stylize` of one picture: a new Model, so every graph is compiled;
// next-frame is a frame of a batch: the same Model, whose graphs the first frame (outside the
// timing) compiled. compilations/op says how many graphs each compiled.
func BenchmarkFrames(b *testing.B) {
	const size = 256
	w := weights.Random(weights.VGG19, 1)
	wide := images.Lighthouse(size+64, size)
	style := []Style{{Image: images.Swirls(size, size), Weight: 1}}
	frame := func(k int) image.Image {
		img := image.NewRGBA(image.Rect(0, 0, size, size))
		draw.Draw(img, img.Bounds(), wide, image.Pt(k%64, 0), draw.Src)
		return img
	}
	newModel := func(b *testing.B) *Model {
		m, err := NewModel(goBackend(), w, NativeLowering)
		if err != nil {
			b.Fatal(err)
		}
		return m
	}
	for _, iterations := range []int{1, 10} {
		run := func(b *testing.B, m *Model, k int) {
			tr := NewTransfer(m)
			tr.Iterations = iterations
			if _, err := tr.Run(context.Background(), frame(k), style); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(fmt.Sprintf("%dit/single", iterations), func(b *testing.B) {
			compiled := 0
			for k := 0; b.Loop(); k++ {
				m := newModel(b)
				run(b, m, k)
				compiled += m.Compilations()
			}
			b.ReportMetric(float64(compiled)/float64(b.N), "compilations/op")
		})
		b.Run(fmt.Sprintf("%dit/next-frame", iterations), func(b *testing.B) {
			m := newModel(b)
			run(b, m, 0) // the batch's first frame compiles
			before := m.Compilations()
			for k := 1; b.Loop(); k++ {
				run(b, m, k)
			}
			b.ReportMetric(float64(m.Compilations()-before)/float64(b.N), "compilations/op")
		})
	}
}
