package bench

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/internal/rss"
	"github.com/estil-nst/estil/nst"
	"github.com/estil-nst/estil/nst/backend"
	"github.com/estil-nst/estil/weights"
)

// ScalesReport is what `estil bench --scales` prints: estil's coarse-to-fine run, scale by scale.
// PyTorch has no counterpart (the original notebook runs at one size), so there is no ratio.
type ScalesReport struct {
	Date          string            `json:"date"`
	LoadAverage   string            `json:"load_average"`
	Backend       string            `json:"backend"`
	SIMD          bool              `json:"goexperiment_simd"`
	Machine       Machine           `json:"machine"` // what estil gets here (estil doctor's header)
	Weights       string            `json:"weights"`
	RandomWeights bool              `json:"random_weights"`
	Iterations    int               `json:"iterations_per_scale"`
	Scales        []nst.ScaleReport `json:"scales"`
}

// CoarseToFine times estil's coarse-to-fine transfer (stylize --scales) on the bench's drawn
// pictures: per scale its size, L-BFGS iterations and evaluations, seconds, seconds per
// evaluation and the process's peak RSS after it (scales increase, so that is the scale's peak).
func CoarseToFine(ctx context.Context, s *Settings, stdout, stderr io.Writer) error {
	var w *weights.Set
	var err error
	if s.Weights != "" {
		if w, err = weights.ReadFile(s.Weights, weights.VGG19); err != nil {
			return err
		}
	} else {
		w = weights.Random(weights.VGG19, int64(s.Seed))
	}
	if w.Random {
		fmt.Fprintln(stderr, "estil bench: RANDOM weights (timing only; this is not a style transfer)")
	}
	model, err := nst.LoadModel(ctx, nst.LoadOptions{Set: w, Backend: s.Backend, Notice: stderr})
	if err != nil {
		return err
	}
	last := s.Scales[len(s.Scales)-1]
	content, style := images.Lighthouse(last, last*3/4), images.Swirls(last, last)
	t := nst.NewTransfer(model)
	t.Iterations = s.Iters
	rep := &ScalesReport{
		Date: time.Now().UTC().Format(time.RFC3339), LoadAverage: loadAverage(),
		Backend: model.Backend.Name() + " (" + model.Lowering.String() + ")",
		Weights: w.Source, RandomWeights: w.Random, Iterations: s.Iters,
	}
	rep.SIMD, rep.Machine = backend.SIMDBuild(), DescribeMachine()
	fmt.Fprintf(stderr, "estil bench: coarse to fine %v, %d iterations per scale, on %s …\n", s.Scales, s.Iters, rep.Backend)
	_, err = t.RunScales(ctx, content, []nst.Style{{Image: style, Weight: 1}}, s.Scales, nst.StyleSizing{}, func(r nst.ScaleReport) error {
		r.PeakRSSBytes = rss.Peak()
		rep.Scales = append(rep.Scales, r)
		fmt.Fprintf(stderr, "estil bench: scale %d done in %s\n", r.Scale, time.Duration(r.Seconds*float64(time.Second)).Round(time.Second))
		return nil
	})
	if err != nil {
		return err
	}
	return writeReport(stdout, rep, s.JSON, printScales)
}

// printScales prints a ScalesReport as a table.
func printScales(stdout io.Writer, rep *ScalesReport) {
	fmt.Fprintf(stdout, "estil coarse to fine (stylize --scales), %d L-BFGS iterations per scale, each scale from the previous result upsampled\n", rep.Iterations)
	rep.Machine.Print(stdout)
	fmt.Fprintf(stdout, "backend: %s; weights: %s\n%s, load average %s; %s\n", rep.Backend, rep.Weights, rep.Date, rep.LoadAverage, buildDescription(rep.SIMD))
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scale\tsize\titerations\tevaluations\tseconds\ts/eval\tpeak RSS MB\tloss\t")
	for _, r := range rep.Scales {
		perEval := 0.0
		if r.Evaluations > 0 {
			perEval = r.Seconds / float64(r.Evaluations)
		}
		fmt.Fprintf(tw, "%d\t%d×%d\t%d\t%d\t%.2f\t%.3f\t%.0f\t%.4g\t\n", r.Scale, r.Width, r.Height, r.Iterations,
			r.Evaluations, r.Seconds, perEval, float64(r.PeakRSSBytes)/1e6, r.Loss)
	}
	tw.Flush()
	fmt.Fprintln(stdout, "seconds include compiling each scale's graphs; peak RSS is the process's after the scale.")
}
