package images

import (
	"bytes"
	"image"
	"testing"
)

func TestDemoPictures(t *testing.T) {
	for name, draw := range map[string]func(w, h int) image.Image{"Lighthouse": Lighthouse, "Swirls": Swirls} {
		t.Run(name, func(t *testing.T) {
			img := draw(256, 256).(*image.RGBA)
			if again := draw(256, 256).(*image.RGBA); !bytes.Equal(img.Pix, again.Pix) {
				t.Error("two drawings differ")
			}
			colors := map[[3]uint8]bool{}
			for i := 0; i < len(img.Pix); i += 4 {
				if img.Pix[i+3] != 255 {
					t.Fatalf("pixel %d is not opaque", i/4)
				}
				colors[[3]uint8{img.Pix[i], img.Pix[i+1], img.Pix[i+2]}] = true
			}
			if len(colors) < 2000 {
				t.Errorf("%d distinct colors, want a rich picture with at least 2000", len(colors))
			}
			for _, size := range [][2]int{{1, 1}, {2, 3}, {64, 16}, {16, 64}, {64, 64}} {
				if b := draw(size[0], size[1]).Bounds(); b != image.Rect(0, 0, size[0], size[1]) {
					t.Errorf("drawing at %v has bounds %v", size, b)
				}
			}
		})
	}
}

// share returns the fraction of the pixels of img for which match is true.
func share(img *image.RGBA, match func(r, g, b int) bool) float64 {
	n := 0
	for i := 0; i < len(img.Pix); i += 4 {
		if match(int(img.Pix[i]), int(img.Pix[i+1]), int(img.Pix[i+2])) {
			n++
		}
	}
	return float64(n) / float64(len(img.Pix)/4)
}

func TestLighthouseContent(t *testing.T) {
	img := Lighthouse(256, 256).(*image.RGBA)
	red := share(img, func(r, g, b int) bool { return r > 150 && g < 60 && b < 60 })
	white := share(img, func(r, g, b int) bool { return r > 220 && g > 220 && b > 200 })
	blue := share(img, func(r, g, b int) bool { return b > r+40 && b > g })
	if red < 0.003 || white < 0.005 || blue < 0.2 {
		t.Errorf("red %.3f, white %.3f, blue %.3f of the pixels: want a red and white lighthouse over a blue sea", red, white, blue)
	}
}

func TestSwirlsPalette(t *testing.T) {
	img := Swirls(256, 256).(*image.RGBA)
	blue := share(img, func(r, g, b int) bool { return b > r+40 && b > g })
	yellow := share(img, func(r, g, b int) bool { return r > 180 && g > 150 && b < r-60 })
	if blue < 0.4 || yellow < 0.05 {
		t.Errorf("blue %.3f, yellow %.3f of the pixels: want mostly blue with yellow stars", blue, yellow)
	}
}

func BenchmarkLighthouse512(b *testing.B) {
	for b.Loop() {
		Lighthouse(512, 512)
	}
}

func BenchmarkSwirls512(b *testing.B) {
	for b.Loop() {
		Swirls(512, 512)
	}
}
