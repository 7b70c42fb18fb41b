package nst

import (
	"context"
	"errors"
	"fmt"
	"image"
	"strconv"
	"strings"
	"time"

	"github.com/estil-nst/estil/images"
)

// Coarse to fine.
//
// A style transfer at 2048 px from the content image needs many iterations at 2048 px, each
// about 64 times the work of one at 256 px, because L-BFGS first has to paint the large
// structures of the style, and at high resolution those span many pixels. Doing that at a low
// resolution first is far cheaper: run the transfer at 256 px, upsample the result to 512 px and
// continue from there, and so on. Each scale starts from the previous result (not from the
// content), so the higher scales only have to add detail; the content and style pictures are
// resized for each scale, so that every loss is the original's at that size. (This is what
// neural-style's multiresolution scripts and most high-resolution NST tools do.)

// MaxImageSide is the largest long side a scale may have.
const MaxImageSide = 8192

// ParseScales reads a comma-separated list of strictly increasing long sides, e.g.
// "256,512,1024,2048", each at least MinImageSide and at most MaxImageSide (CheckScales).
func ParseScales(s string) ([]int, error) {
	var sizes []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, fmt.Errorf("scales %q: empty entry (want e.g. 256,512,1024)", s)
		}
		n, err := strconv.Atoi(part)
		if err != nil {
			return nil, fmt.Errorf("scales %q: %q is not a whole number of pixels", s, part)
		}
		sizes = append(sizes, n)
	}
	if err := CheckScales(sizes); err != nil {
		return nil, fmt.Errorf("scales %q: %w", s, err)
	}
	return sizes, nil
}

// CheckScales checks the long sides of a coarse-to-fine run: at least one, each in
// [MinImageSide, MaxImageSide], strictly increasing.
func CheckScales(sizes []int) error {
	if len(sizes) == 0 {
		return errors.New("no scales given")
	}
	for i, n := range sizes {
		switch {
		case n < MinImageSide:
			return fmt.Errorf("%d is below the smallest side VGG19 takes here (%d)", n, MinImageSide)
		case n > MaxImageSide:
			return fmt.Errorf("%d is above %d", n, MaxImageSide)
		case i > 0 && n <= sizes[i-1]:
			return fmt.Errorf("must increase, but %d follows %d", n, sizes[i-1])
		}
	}
	return nil
}

// ScaleReport is what one scale of RunScales did.
type ScaleReport struct {
	Scale       int     `json:"scale"` // the long side asked for
	Width       int     `json:"width"`
	Height      int     `json:"height"`
	Iterations  int     `json:"iterations"`
	Evaluations int     `json:"evaluations"`
	Loss        float64 `json:"loss"`
	Seconds     float64 `json:"seconds"`
	// PeakRSSBytes is filled in by callers that can measure it (the process's high-water mark).
	PeakRSSBytes int64 `json:"peak_rss_bytes,omitempty"`
	// Start is the picture this scale started from: t's Init at the first scale, the previous
	// scale's result upsampled to Width×Height at the others.
	Start image.Image `json:"-"`
	// Result is this scale's result.
	Result image.Image `json:"-"`
}

// scaleRun is what a run needs to know of the RunScales it is part of, for checkpoints.
type scaleRun struct {
	sides  []int
	sizing StyleSizing
	init   Init   // the user's Init (the scales after the first start from the previous result)
	inputs string // the digest of the unscaled inputs
	index  int    // of the scale being run
	before Result // iterations and evaluations of the scales before it
}

// RunScales performs the transfer coarse to fine: at each long side in scales (increasing), the
// content is resized to it and every style as sizing says, and t runs its Iterations
// from t's Init at the first scale and from the previous result, upsampled, at the others.
// onScale, if not nil, is called after each scale; its error stops the run. The Result is the
// last scale's (its Iterations and Evaluations are summed over the scales); when a scale fails,
// its Result (if any) is returned with the error, as Run does. t is not changed.
func (t *Transfer) RunScales(ctx context.Context, content image.Image, styles []Style, scales []int,
	sizing StyleSizing, onScale func(ScaleReport) error) (*Result, error) {
	if err := CheckScales(scales); err != nil {
		return nil, fmt.Errorf("scales %v: %w", scales, err)
	}
	if err := sizing.Check(scales[len(scales)-1]); err != nil {
		return nil, err
	}
	resume := t.Resume
	if resume != nil && (resume.Scale < 0 || resume.Scale >= len(scales)) {
		// Every scale would be skipped, and nothing checked or computed.
		return nil, fmt.Errorf("cannot resume from this checkpoint: it is at scale %d, and this run has %d", resume.Scale+1, len(scales))
	}
	if regions(styles) {
		// The masks must fit the pictures as given, before each scale resizes them with these.
		b := content.Bounds()
		if _, err := checkRegions(styles, b.Dx(), b.Dy()); err != nil {
			return nil, err
		}
	}
	sr := scaleRun{sides: scales, sizing: sizing, init: t.Init}
	if t.Save != nil || resume != nil {
		var userInit image.Image
		if t.Init == "" {
			userInit = t.InitImage
		}
		sr.inputs = inputsDigest(content, styles, userInit)
	}

	var total Result
	var prev image.Image
	for i, side := range scales {
		if resume != nil && i < resume.Scale {
			continue // done before the checkpoint
		}
		// Each scale is a run of its own, with its own copy of what it needs to know of this one.
		scale := sr
		scale.index, scale.before = i, total
		start := runStart{init: t.Init, initImage: t.InitImage, scale: &scale}
		if resume != nil && i == resume.Scale {
			start.resume = resume // used at its own scale only
			total.Iterations, total.Evaluations = resume.Before.Iterations, resume.Before.Evaluations
		}
		c, err := Resize(content, side)
		if err != nil {
			return nil, fmt.Errorf("at scale %d the content %w", side, err)
		}
		w, h := c.Bounds().Dx(), c.Bounds().Dy()
		scaled := make([]Style, len(styles))
		for i, s := range styles {
			img, err := sizing.Size(s.Image, w, h)
			if err != nil {
				return nil, fmt.Errorf("at scale %d style %d %w", side, i+1, err)
			}
			scaled[i] = Style{Image: img, Weight: s.Weight}
			// Masks travel with their pictures: the result's with the content, a guide with its style.
			if s.Mask != nil {
				scaled[i].Mask = ResizeMask(s.Mask, w, h)
			}
			if s.Guide != nil {
				scaled[i].Guide = ResizeMask(s.Guide, img.Bounds().Dx(), img.Bounds().Dy())
			}
		}
		rep := ScaleReport{Scale: side, Width: w, Height: h}
		if prev != nil {
			// Continue from the previous result: upsampled to this scale's size.
			start.init, start.initImage = "", images.ResizeTo(prev, w, h)
			rep.Start = start.initImage
		} else if t.Init == InitContent && i == 0 {
			rep.Start = c
		}
		began := time.Now()
		res, err := t.run(ctx, c, scaled, start)
		rep.Seconds = time.Since(began).Seconds()
		if res != nil {
			total.Image, total.Loss, total.Converged = res.Image, res.Loss, res.Converged
			total.Iterations += res.Iterations
			total.Evaluations += res.Evaluations
			rep.Iterations, rep.Evaluations, rep.Loss, rep.Result = res.Iterations, res.Evaluations, res.Loss, res.Image
		}
		if err != nil {
			if res == nil {
				return nil, fmt.Errorf("scale %d: %w", side, err)
			}
			return &total, fmt.Errorf("scale %d: %w", side, err)
		}
		if onScale != nil {
			if err := onScale(rep); err != nil {
				return &total, err
			}
		}
		prev = res.Image
	}
	return &total, nil
}
