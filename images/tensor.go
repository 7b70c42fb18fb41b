package images

import (
	"fmt"
	"image"
)

// ToHWC returns the pixels of img as RGB values in [0, 1], in
// height × width × channel order, and the picture's width and height (width
// first, as everywhere in estil): the value of channel c (0 red, 1 green,
// 2 blue) of the pixel in row y and column x, counted from img.Bounds().Min,
// is data[(y*w+x)*3+c].
//
// Transparent and translucent pixels are composited over white, as if the
// picture were printed on paper.
func ToHWC(img image.Image) (data []float32, w, h int) {
	b := img.Bounds()
	w, h = b.Dx(), b.Dy()
	data = make([]float32, w*h*3)
	const inv8 = 1.0 / 255
	i := 0
	switch img := img.(type) {
	case *image.RGBA: // Premultiplied alpha: over white is c + (1 - a).
		for y := b.Min.Y; y < b.Max.Y; y++ {
			p := img.Pix[img.PixOffset(b.Min.X, y):]
			for x := 0; x < w; x++ {
				q := p[4*x : 4*x+4 : 4*x+4]
				white := float32(255 - q[3])
				data[i+0] = (float32(q[0]) + white) * inv8
				data[i+1] = (float32(q[1]) + white) * inv8
				data[i+2] = (float32(q[2]) + white) * inv8
				i += 3
			}
		}
	case *image.NRGBA: // Straight alpha: over white is c*a + (1 - a).
		for y := b.Min.Y; y < b.Max.Y; y++ {
			p := img.Pix[img.PixOffset(b.Min.X, y):]
			for x := 0; x < w; x++ {
				q := p[4*x : 4*x+4 : 4*x+4]
				if q[3] == 255 {
					data[i+0] = float32(q[0]) * inv8
					data[i+1] = float32(q[1]) * inv8
					data[i+2] = float32(q[2]) * inv8
				} else {
					a := float32(q[3]) * inv8
					data[i+0] = float32(q[0])*inv8*a + 1 - a
					data[i+1] = float32(q[1])*inv8*a + 1 - a
					data[i+2] = float32(q[2])*inv8*a + 1 - a
				}
				i += 3
			}
		}
	default: // Color.RGBA is 16-bit premultiplied.
		const inv16 = 1.0 / 0xffff
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl, a := img.At(x, y).RGBA()
				white := float32(0xffff - a)
				data[i+0] = (float32(r) + white) * inv16
				data[i+1] = (float32(g) + white) * inv16
				data[i+2] = (float32(bl) + white) * inv16
				i += 3
			}
		}
	}
	return data, w, h
}

// FromHWC returns the picture whose pixels are data, RGB values in
// height × width × channel order as [ToHWC] returns them. Values are clamped
// to [0, 1] (NaN counts as 0) and rounded to the nearest of 256 levels; the
// picture is opaque.
//
// FromHWC panics if len(data) is not w*h*3.
func FromHWC(data []float32, w, h int) *image.NRGBA {
	if h < 0 || w < 0 || len(data) != h*w*3 {
		panic(fmt.Sprintf("images.FromHWC: %d values for %d×%d×3 (width × height × channels)", len(data), w, h))
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i, j := 0, 0; i < len(data); i, j = i+3, j+4 {
		p := img.Pix[j : j+4 : j+4]
		p[0] = toByte(data[i+0])
		p[1] = toByte(data[i+1])
		p[2] = toByte(data[i+2])
		p[3] = 255
	}
	return img
}

// toByte maps [0, 1] to 0..255, rounding, clamping and mapping NaN to 0.
func toByte(v float32) uint8 {
	switch {
	case v >= 1:
		return 255
	case v > 0:
		return uint8(v*255 + 0.5)
	}
	return 0 // v <= 0 or NaN
}
