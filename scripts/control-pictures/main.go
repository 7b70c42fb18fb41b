// Command control-pictures makes the README's pictures of spatial control, scale control and
// batches of frames (docs/control/*.png) on GoMLX's pure-Go backend, with the library calls the
// CLI's --style-mask, --style-coarse/--style-fine and --init previous make, and prints what it
// measured. The weights are random unless -weights names a file: no pretrained VGG19 could be
// downloaded where the committed pictures were made, so they show what the controls do to an
// untrained network's statistics, not a real style transfer.
//
//	GOEXPERIMENT=simd go run ./scripts/control-pictures [-out docs/control] [-weights random]
package main

import (
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/nst"
)

func main() {
	out := flag.String("out", filepath.Join("docs", "control"), "the folder to write the pictures into")
	weights := flag.String("weights", "random", "VGG19's weights: random, or a .pth or .safetensors file")
	flag.Parse()
	if err := run(*out, *weights); err != nil {
		fmt.Fprintln(os.Stderr, "control-pictures:", err)
		os.Exit(1)
	}
}

func run(out, weights string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	ctx := context.Background()
	model, err := nst.LoadModel(ctx, nst.LoadOptions{Weights: weights, Backend: "go", Notice: os.Stderr})
	if err != nil {
		return err
	}
	const w, h = 192, 144
	content, swirls := images.Lighthouse(w, h), images.Swirls(w, h)
	save := func(name string, img image.Image) error { return images.SavePNG(filepath.Join(out, name), img) }

	// Spatial control: the sky takes the swirls, the sea the stripes, the band between neither.
	lines := stripes(w, h, 12)
	sky, sea := band(w, h, 0, 0.4), band(w, h, 0.6, 1)
	t := nst.NewTransfer(model)
	t.Iterations = 60
	start := time.Now()
	regions, err := t.Run(ctx, content, []nst.Style{{Image: swirls, Weight: 1, Mask: sky}, {Image: lines, Weight: 1, Mask: sea}})
	if err != nil {
		return fmt.Errorf("spatial control: %w", err)
	}
	fmt.Printf("spatial control: %d iterations in %.1f s; mean difference from the content: sky %.3f, middle %.3f, sea %.3f\n",
		regions.Iterations, time.Since(start).Seconds(), meanDifference(regions.Image, content, sky),
		meanDifference(regions.Image, content, band(w, h, 0.45, 0.55)), meanDifference(regions.Image, content, sea))

	// Scale control: the swirls' coarse structure with 4 px stripes' fine grain.
	fine := stripes(w, h, 4)
	start = time.Now()
	mixed, err := t.SynthesizeStyle(ctx, swirls, fine)
	if err != nil {
		return fmt.Errorf("scale control: %w", err)
	}
	scaled, err := t.Run(ctx, content, []nst.Style{{Image: mixed.Image, Weight: 1}})
	if err != nil {
		return fmt.Errorf("scale control's transfer: %w", err)
	}
	fmt.Printf("scale control: the style and the transfer, 2 × %d iterations, in %.1f s\n", t.Iterations, time.Since(start).Seconds())

	// Frames: a still camera (the same picture, 2 % noise each frame), independently and from
	// the previous result.
	frames := stillFrames(content, 8, 0.02)
	t.Iterations = 20
	independent, err := stylizeFrames(ctx, t, frames, swirls, false)
	if err != nil {
		return err
	}
	previous, err := stylizeFrames(ctx, t, frames, swirls, true)
	if err != nil {
		return err
	}
	fmt.Printf("frames: mean flicker independent %.4f, from the previous result %.4f, the content frames %.4f\n",
		meanFlicker(independent), meanFlicker(previous), meanFlicker(frames))

	for name, img := range map[string]image.Image{
		"content.png": content, "swirls.png": swirls, "stripes.png": lines, "sky-mask.png": sky, "sea-mask.png": sea,
		"regions.png": regions.Image, "fine-stripes.png": fine, "coarse-fine-style.png": mixed.Image, "scales.png": scaled.Image,
		"frames-independent.png": strip(independent[:4]), "frames-previous.png": strip(previous[:4]),
	} {
		if err := save(name, img); err != nil {
			return err
		}
	}
	return nil
}

// band is a w×h mask, white in the rows from top to bottom (fractions of the height).
func band(w, h int, top, bottom float64) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		if float64(y) >= top*float64(h) && float64(y) < bottom*float64(h) {
			for x := range w {
				m.SetGray(x, y, color.Gray{Y: 255})
			}
		}
	}
	return m
}

// stripes are diagonal yellow and blue stripes, period pixels apart.
func stripes(w, h, period int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.NRGBA{R: 30, G: 60, B: 170, A: 255}
			if (x+y)%period < period/2 {
				c = color.NRGBA{R: 240, G: 200, B: 40, A: 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// stillFrames are n copies of img with Gaussian noise of standard deviation sigma (0–1 scale).
func stillFrames(img image.Image, n int, sigma float64) []image.Image {
	b := img.Bounds()
	frames := make([]image.Image, n)
	for f := range frames {
		r := rand.New(rand.NewPCG(uint64(f), 8))
		frame := image.NewNRGBA(b)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
				noisy := func(v uint8) uint8 { return uint8(math.Round(max(0, min(255, float64(v)+255*sigma*r.NormFloat64())))) }
				frame.SetNRGBA(x, y, color.NRGBA{R: noisy(c.R), G: noisy(c.G), B: noisy(c.B), A: 255})
			}
		}
		frames[f] = frame
	}
	return frames
}

// stylizeFrames stylizes frames one after the other with t, each from its content or (previous)
// from the last result, as a batch with --init previous does.
func stylizeFrames(ctx context.Context, t *nst.Transfer, frames []image.Image, style image.Image, previous bool) ([]image.Image, error) {
	var out []image.Image
	for i, f := range frames {
		t.Init, t.InitImage = nst.InitContent, nil
		if previous && i > 0 {
			t.Init, t.InitImage = "", out[i-1]
		}
		r, err := t.Run(ctx, f, []nst.Style{{Image: style, Weight: 1}})
		if err != nil {
			return nil, fmt.Errorf("frame %d: %w", i+1, err)
		}
		out = append(out, r.Image)
	}
	return out, nil
}

// meanDifference is the mean absolute difference of a and b in mask's white pixels (nil: all),
// over the three channels, 0–1.
func meanDifference(a, b image.Image, mask image.Image) float64 {
	sum, n := 0.0, 0
	bounds := a.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			if mask != nil && color.GrayModel.Convert(mask.At(x, y)).(color.Gray).Y < 128 {
				continue
			}
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			sum += (math.Abs(float64(r1)-float64(r2)) + math.Abs(float64(g1)-float64(g2)) + math.Abs(float64(b1)-float64(b2))) / 65535
			n += 3
		}
	}
	return sum / float64(n)
}

// meanFlicker is the mean of meanDifference over consecutive frames.
func meanFlicker(frames []image.Image) float64 {
	sum := 0.0
	for i := 1; i < len(frames); i++ {
		sum += meanDifference(frames[i-1], frames[i], nil)
	}
	return sum / float64(len(frames)-1)
}

// strip lays pictures side by side, 4 px apart.
func strip(pics []image.Image) image.Image {
	w, h := pics[0].Bounds().Dx(), pics[0].Bounds().Dy()
	out := image.NewNRGBA(image.Rect(0, 0, len(pics)*(w+4)-4, h))
	for i := range out.Pix {
		out.Pix[i] = 255
	}
	for i, p := range pics {
		for y := range h {
			for x := range w {
				out.Set(i*(w+4)+x, y, p.At(p.Bounds().Min.X+x, p.Bounds().Min.Y+y))
			}
		}
	}
	return out
}
