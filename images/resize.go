package images

import (
	"fmt"
	"image"
	"math"

	"golang.org/x/image/draw"
)

// Resize returns img scaled so that its longer side is longSide pixels,
// keeping its aspect ratio; the shorter side is rounded and at least 1.
// It uses Catmull-Rom interpolation, which also filters properly when
// shrinking, so that fine detail does not turn into aliasing.
//
// Resize panics if longSide < 1.
func Resize(img image.Image, longSide int) *image.RGBA {
	if longSide < 1 {
		panic(fmt.Sprintf("images.Resize: long side %d, want at least 1", longSide))
	}
	w, h := FitLongSide(img.Bounds().Dx(), img.Bounds().Dy(), longSide)
	return ResizeTo(img, w, h)
}

// ResizeTo returns img scaled to exactly w×h pixels, stretching it if the
// aspect ratio differs, with Catmull-Rom interpolation.
// The result's bounds start at (0, 0), whatever img's bounds are.
//
// ResizeTo panics if w or h < 1.
func ResizeTo(img image.Image, w, h int) *image.RGBA {
	if w < 1 || h < 1 {
		panic(fmt.Sprintf("images.ResizeTo: size %d×%d, want at least 1×1", w, h))
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	sr := img.Bounds()
	if sr.Empty() {
		return dst
	}
	if sr.Dx() == w && sr.Dy() == h {
		draw.Copy(dst, image.Point{}, img, sr, draw.Src, nil)
		return dst
	}
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, sr, draw.Src, nil)
	return dst
}

// FitLongSide returns the size of a w×h picture scaled so that its longer
// side is longSide, keeping the aspect ratio; the shorter side is rounded to
// the nearest pixel and is at least 1. A picture of zero size, which has no
// aspect ratio, gives a square.
func FitLongSide(w, h, longSide int) (int, int) {
	if w <= 0 || h <= 0 {
		return longSide, longSide
	}
	if w >= h {
		return longSide, max(1, int(math.Round(float64(h)*float64(longSide)/float64(w))))
	}
	return max(1, int(math.Round(float64(w)*float64(longSide)/float64(h)))), longSide
}
