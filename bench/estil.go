package bench

import (
	"context"
	"errors"
	"fmt"
	"image"
	"time"

	"github.com/estil-nst/estil/internal/rss"
	"github.com/estil-nst/estil/nst"
	"github.com/estil-nst/estil/weights"
)

// errDone stops a benchmarked transfer after its N evaluations.
var errDone = errors.New("benchmark: evaluations done")

// benchEstil runs estil's transfer for exactly evals evaluations and times them, then computes
// the loss of the probe picture (LossAtImage), which the PyTorch script computes too.
func benchEstil(ctx context.Context, model *nst.Model, content, style, probe image.Image, evals int) (Timing, error) {
	t := nst.NewTransfer(model)
	t.Iterations = evals // as the script: max_iter = N, max_eval = N·5/4; stopped at N evaluations
	var losses []float64
	var stamps []time.Time
	t.OnEvaluation = func(e nst.Evaluation) error {
		losses = append(losses, e.Total)
		stamps = append(stamps, time.Now())
		if len(losses) == evals {
			return errDone
		}
		return nil
	}
	start := time.Now()
	styles := []nst.Style{{Image: style, Weight: 1}}
	_, err := t.Run(ctx, content, styles)
	if err != nil && !errors.Is(err, errDone) {
		return Timing{}, err
	}
	if len(losses) == 0 {
		return Timing{}, errors.New("no evaluation was made")
	}
	b := content.Bounds()
	r := Timing{
		Implementation: "estil", Backend: model.Backend.Name() + " (" + model.Lowering.String() + ")",
		Width: b.Dx(), Height: b.Dy(), Evaluations: len(losses), Losses: losses,
		FirstSeconds: stamps[0].Sub(start).Seconds(), PeakRSSBytes: rss.Peak(),
	}
	var intervals []float64
	for i := 1; i < len(stamps); i++ {
		intervals = append(intervals, stamps[i].Sub(stamps[i-1]).Seconds())
	}
	r.SecondsPerEvaluation, r.MeanSeconds = median(intervals), mean(intervals)
	if len(intervals) == 0 {
		r.SecondsPerEvaluation, r.MeanSeconds = r.FirstSeconds, r.FirstSeconds
	}

	t.OnEvaluation = nil
	e, err := t.Evaluate(probe, content, styles)
	if err != nil {
		return r, fmt.Errorf("loss of the probe picture: %w", err)
	}
	r.LossAtImage = e.Total
	return r, nil
}

// benchMatMulBound times, on estil's backend, the matrix product of one of VGG19's middle
// convolutions at the run's size (conv3_2 channels first: [256, 256·9]·[256·9, (H/4)·(W/4)]; every
// VGG19 convolution but the first of each block has the same FLOPs), and sets r's bound figures.
func benchMatMulBound(model *nst.Model, r *Timing) error {
	m, k, n := 256, 256*9, (r.Height/4)*(r.Width/4)
	rate, err := MatMulRate(model.Backend, m, k, n, 0)
	if err != nil {
		return err
	}
	r.MatMulGFLOPs, r.MatMulShape = rate, fmt.Sprintf("[%d×%d]·[%d×%d]", m, k, k, n)
	r.BoundPercent = 100 * r.GFLOPs / rate // (FLOPs / rate) / seconds
	return nil
}

// benchGFLOPs is the convolutions' rate: a forward pass to conv5_1 (index 28) and the gradient
// with respect to the image, which costs about as many FLOPs again (the weights are frozen, so
// their gradients are not computed).
func benchGFLOPs(channels []int, w, h int, seconds float64) float64 {
	if !(seconds > 0) {
		return 0
	}
	return 2 * nst.ConvFLOPs(w, h, channels, 28) / seconds / 1e9
}

// convChannels lists the output channels of the 16 convolutions of w.
func convChannels(w *weights.Set) ([]int, error) {
	var channels []int
	for _, index := range nst.ConvIndices() {
		k, _, err := w.Conv(index)
		if err != nil {
			return nil, err
		}
		channels = append(channels, k.Shape[0])
	}
	return channels, nil
}
