package main

import (
	"context"
	"flag"
	"fmt"
	"image"
	"io"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/nst"
)

const stylizeUsage = `Usage: estil stylize --content C --style S [--style S2 ...] --out O.png [flags]

Paints the content of image C in the style of image S by optimizing the pixels of a new
image (L-BFGS by default) against VGG19's features: the content loss at conv4_2 and the
style loss on the Gram matrices of conv1_1 … conv5_1, as in the original notebook.
Images: JPEG, PNG, WebP or GIF in; PNG out.

Examples:
  estil stylize --content photo.jpg --style starry_night.jpg --out result.png
  estil stylize --content photo.jpg --style a.jpg --style b.jpg --style-blend 0.7,0.3 \
      --size 256 --iters 100 --color-control luminance --report run.json --out result.png
  estil stylize --content photo.jpg --style a.jpg --scales 256,512,1024 --checkpoint run.ckpt --out big.png
      (Ctrl-C or a crash: run the same command with --resume run.ckpt to go on where it stopped)
  estil stylize --weights random --size 64 --iters 20 ...   (offline; NOT a real style transfer)

Flags (one or two dashes):
`

// job is what to stylize: the pictures, already read.
type job struct {
	content     image.Image
	styles      []image.Image
	blend       []float64
	styleSizing nst.StyleSizing
	initImage   image.Image
	description string
}

func stylizeCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("stylize", flag.ContinueOnError)
	var s settings
	var content, blend, styleSize string
	var styles stringList
	var styleScale float64
	fs.StringVar(&content, "content", "", "content image (required)")
	fs.Var(&styles, "style", "style image (required); repeat it, or separate with commas, to blend several")
	fs.StringVar(&blend, "style-blend", "", "weights of the style images, e.g. 0.7,0.3 (default: equal)")
	fs.StringVar(&styleSize, "style-size", string(nst.StyleSizeContent), "how the style image(s) are sized: content (the content's width and height, as the original) or long-side (keep their shape; their long side is --style-scale × --size)")
	fs.Float64Var(&styleScale, "style-scale", 1, "with --style-size long-side: the style's long side relative to --size")
	fs.StringVar(&s.out, "out", "", "output PNG file (required)")
	s.register(fs)
	fs.Usage = func() { fmt.Fprint(fs.Output(), stylizeUsage); fs.PrintDefaults() }
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	switch {
	case content == "":
		return usagef("--content is required")
	case len(styles) == 0:
		return usagef("--style is required")
	case s.out == "":
		return usagef("--out is required")
	case !(styleScale > 0) || styleScale > 16:
		return usagef("--style-scale must be a number in (0, 16], got %v", styleScale)
	}
	if err := s.check(); err != nil {
		return err
	}
	j := job{description: content}
	var err error
	if j.styleSizing.Mode, err = nst.ParseStyleSize(styleSize); err != nil {
		return usagef("--style-size: %v", err)
	}
	switch {
	case j.styleSizing.Mode == nst.StyleSizeLongSide:
		j.styleSizing.Scale = styleScale
	case styleScale != 1:
		return usagef("--style-scale applies only with --style-size long-side (the style gets the content's size otherwise)")
	}
	if err := j.styleSizing.Check(s.size); err != nil {
		return usagef("%v: lower --style-scale or --size", err)
	}
	// The original's Gram matrices are sums over the positions: a style of another size than the
	// result has Gram matrices of another scale, which the result's cannot reach.
	if j.styleSizing.Mode == nst.StyleSizeLongSide && nst.StyleLoss(s.styleLoss).OrGram() == nst.StyleLossGram &&
		(s.gramNorm == "" || nst.GramNorm(s.gramNorm) == nst.GramNormNone) {
		fmt.Fprintln(stderr, "estil: warning: --style-size long-side with --gram-norm none: the Gram matrices are sums over "+
			"the positions, and the style's are over its own, so the style term cannot reach 0 and β depends on the style's size; "+
			"--gram-norm hw (or chw) compares means over the positions instead (choose --style-weight anew, far larger)")
	}
	if blend != "" {
		if j.blend, err = floatList(blend); err != nil {
			return usagef("--style-blend: %v", err)
		}
		if len(j.blend) != len(styles) {
			return usagef("--style-blend has %d weights for %d style images", len(j.blend), len(styles))
		}
	}
	// Check the output before reading or computing anything.
	if err := checkOutputs(&s, append([]string{content, s.init, s.weights}, styles...)...); err != nil {
		return err
	}
	if err := unlessCancelled(ctx, func() error { return j.load(&s, content, styles) }); err != nil {
		return err
	}
	if err := unlessCancelled(ctx, s.loadResume); err != nil {
		return err
	}
	return runTransfer(ctx, &s, j, stdout, stderr)
}

// load reads the job's pictures: the content, the styles, and --init's picture if it is a file.
func (j *job) load(s *settings, content string, styles []string) error {
	limit := s.pixelLimit()
	var err error
	if j.content, err = images.Load(content, limit); err != nil {
		return err
	}
	for _, path := range styles {
		img, err := images.Load(path, limit)
		if err != nil {
			return err
		}
		j.styles = append(j.styles, img)
	}
	if !isBuiltinInit(s.init) {
		if j.initImage, err = images.Load(s.init, limit); err != nil {
			return fmt.Errorf("--init: %w", err)
		}
	}
	return nil
}

func isBuiltinInit(init string) bool {
	switch nst.Init(init) {
	case nst.InitContent, nst.InitNoise, nst.InitStyle:
		return true
	}
	return false
}
