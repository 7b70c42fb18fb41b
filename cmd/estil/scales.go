package main

import (
	"context"
	"fmt"
	"io"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/internal/rss"
	"github.com/estil-nst/estil/nst"
)

// runScales runs the transfer coarse to fine (--scales): at each scale the pictures are resized
// and the run continues from the previous result, upsampled. One line per scale on stderr (and
// in the report) gives its size, time, loss and the process's peak memory so far.
func runScales(ctx context.Context, t *nst.Transfer, p *plan, j job, rep *report, bar *progress, stderr io.Writer) (*nst.Result, error) {
	styles := make([]nst.Style, len(j.styles))
	for i, img := range j.styles {
		// --color-match: the styles go to RunScales unsized, so they take the colours of the
		// whole content picture.
		img, err := images.MatchColors(img, j.content, p.color.match)
		if err != nil {
			return nil, fmt.Errorf("style image %d: %w", i+1, err)
		}
		styles[i] = nst.Style{Image: networkStyle(p, img, j.content), Weight: p.pictures.styleWeight(i)} // --color-control luminance
		styles[i] = withMasks(styles[i], j, i, j.content.Bounds())                                       // RunScales resizes them at each scale
	}
	return t.RunScales(ctx, networkContent(p, j.content), styles, p.scales, p.pictures.styleSizing, func(r nst.ScaleReport) error {
		r.PeakRSSBytes = rss.Peak()
		rep.Scales = append(rep.Scales, r)
		bar.offset += r.Iterations
		if bar.bar != nil {
			fmt.Fprintln(stderr)
		}
		fmt.Fprintf(stderr, "estil: scale %d: %d×%d, %d iterations, %d evaluations, loss %.4g, %s, peak RSS %.0f MB\n",
			r.Scale, r.Width, r.Height, r.Iterations, r.Evaluations, r.Loss, roundDuration(r.Seconds), float64(r.PeakRSSBytes)/1e6)
		return nil
	})
}
