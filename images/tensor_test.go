package images

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"
)

func TestHWCRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	img := image.NewNRGBA(image.Rect(0, 0, 13, 7))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.IntN(256))
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	data, w, h := ToHWC(img)
	if h != 7 || w != 13 || len(data) != 7*13*3 {
		t.Fatalf("ToHWC: %d values, %d×%d; want 7×13×3", len(data), h, w)
	}
	for _, v := range data {
		if v < 0 || v > 1 {
			t.Fatalf("value %g outside [0, 1]", v)
		}
	}
	back := FromHWC(data, w, h)
	for i := range img.Pix {
		if back.Pix[i] != img.Pix[i] {
			t.Fatalf("byte %d is %d after the round trip, was %d", i, back.Pix[i], img.Pix[i])
		}
	}
	// The same through the other pixel layouts.
	for name, m := range map[string]image.Image{
		"RGBA":    convert(img, color.RGBAModel),
		"RGBA64":  convert(img, color.RGBA64Model),
		"generic": struct{ image.Image }{img},
	} {
		d, _, _ := ToHWC(m)
		for i := range d {
			if math.Abs(float64(d[i]-data[i])) > 1e-6 {
				t.Fatalf("%s: value %d is %g, want %g", name, i, d[i], data[i])
			}
		}
	}
}

func convert(img image.Image, m color.Model) image.Image {
	b := img.Bounds()
	var dst interface {
		image.Image
		Set(x, y int, c color.Color)
	}
	switch m {
	case color.RGBAModel:
		dst = image.NewRGBA(b)
	case color.RGBA64Model:
		dst = image.NewRGBA64(b)
	default:
		dst = image.NewNRGBA(b)
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			dst.Set(x, y, img.At(x, y))
		}
	}
	return dst
}

func TestToHWCLayout(t *testing.T) {
	// A sub-image, so that bounds do not start at (0, 0).
	img := image.NewNRGBA(image.Rect(0, 0, 10, 10))
	img.SetNRGBA(7, 4, color.NRGBA{255, 51, 0, 255})
	data, w, h := ToHWC(img.SubImage(image.Rect(5, 3, 9, 6)))
	if h != 3 || w != 4 {
		t.Fatalf("size %d×%d, want h=3 w=4", h, w)
	}
	// (7, 4) is row 1, column 2 of the sub-image.
	i := (1*w + 2) * 3
	if data[i] != 1 || math.Abs(float64(data[i+1])-0.2) > 1e-6 || data[i+2] != 0 {
		t.Errorf("pixel at row 1, column 2 is %v, want [1 0.2 0]", data[i:i+3])
	}
}

func TestToHWCTransparentIsWhite(t *testing.T) {
	n := image.NewNRGBA(image.Rect(0, 0, 3, 1))
	n.SetNRGBA(0, 0, color.NRGBA{0, 0, 0, 0})      // Transparent.
	n.SetNRGBA(1, 0, color.NRGBA{0, 0, 0, 255})    // Opaque black.
	n.SetNRGBA(2, 0, color.NRGBA{255, 0, 0, 0x80}) // Half red.
	for name, img := range map[string]image.Image{
		"NRGBA":   n,
		"RGBA":    convert(n, color.RGBAModel),
		"generic": convert(n, color.RGBA64Model),
	} {
		data, _, _ := ToHWC(img)
		want := []float32{1, 1, 1, 0, 0, 0, 1, 0.5, 0.5}
		for i := range want {
			if math.Abs(float64(data[i]-want[i])) > 0.01 {
				t.Errorf("%s: got %v, want %v", name, data, want)
				break
			}
		}
	}
}

func TestFromHWCClampsAndRounds(t *testing.T) {
	nan := float32(math.NaN())
	img := FromHWC([]float32{-0.5, 1.5, nan, 0.5, 0.1, 1.0 / 255 * 254.4}, 2, 1)
	want := []uint8{0, 255, 0, 255, 128, 26, 254, 255}
	for i := range want {
		if img.Pix[i] != want[i] {
			t.Fatalf("pixels %v, want %v", img.Pix, want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("FromHWC with 5 values for 1×2×3 did not panic")
		}
	}()
	FromHWC(make([]float32, 5), 2, 1)
}
