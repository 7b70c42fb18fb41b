package images

import (
	"image"
	"image/color"
	"math"
	"testing"
)

// yuv converts RGB in [0, 1] to YUV as Torch's image.rgb2yuv does.
func yuv(r, g, b float64) (y, u, v float64) {
	y = 0.299*r + 0.587*g + 0.114*b
	u = -0.14713*r - 0.28886*g + 0.436*b
	v = 0.615*r - 0.51499*g - 0.10001*b
	return y, u, v
}

func fill(w, h int, c color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return img
}

func TestOriginalColors(t *testing.T) {
	for _, tc := range []struct{ content, stylized color.NRGBA }{
		{color.NRGBA{150, 80, 60, 255}, color.NRGBA{90, 110, 200, 255}},
		{color.NRGBA{60, 140, 90, 255}, color.NRGBA{200, 190, 40, 255}},
		{color.NRGBA{128, 128, 128, 255}, color.NRGBA{10, 200, 30, 255}},
	} {
		// Content at twice the size: it is resized to the stylized size.
		got := OriginalColors(fill(8, 6, tc.content), fill(4, 3, tc.stylized))
		if got.Bounds() != image.Rect(0, 0, 4, 3) {
			t.Fatalf("result is %v, want the stylized 4×3", got.Bounds())
		}
		o := got.NRGBAAt(2, 1)
		f := func(c color.NRGBA) (float64, float64, float64) {
			return yuv(float64(c.R)/255, float64(c.G)/255, float64(c.B)/255)
		}
		yo, uo, vo := f(o)
		_, uc, vc := f(tc.content)
		ys, _, _ := f(tc.stylized)
		const tol = 1.0 / 255 // Rounding to 8 bits.
		if math.Abs(yo-ys) > tol || math.Abs(uo-uc) > tol || math.Abs(vo-vc) > tol {
			t.Errorf("content %v, stylized %v: got %v with Y %.3f U %.3f V %.3f, want Y %.3f (stylized) U %.3f V %.3f (content)",
				tc.content, tc.stylized, o, yo, uo, vo, ys, uc, vc)
		}
	}
}

func TestOriginalColorsGrayContent(t *testing.T) {
	// Gray content has no chroma: the result is the gray of the stylized
	// picture's luminance.
	got := OriginalColors(fill(3, 3, color.NRGBA{40, 40, 40, 255}), fill(3, 3, color.NRGBA{255, 0, 0, 255}))
	if c := got.NRGBAAt(1, 1); c != (color.NRGBA{76, 76, 76, 255}) { // 0.299 × 255 = 76.2
		t.Errorf("got %v, want gray 76", c)
	}
}
