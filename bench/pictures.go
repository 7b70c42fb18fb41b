package bench

import (
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"

	"github.com/estil-nst/estil/images"
)

type benchPicture struct {
	path string
	img  image.Image
}

// benchPictures draws the content (a lighthouse) and style (swirls) pictures at size × size,
// and a probe picture that is their average, and writes them as binary PPM for the PyTorch
// script (which then needs nothing but torch to read them): both see the same 8-bit pixels.
func benchPictures(dir string, size int) (content, style, probe benchPicture, err error) {
	c, s := images.Lighthouse(size, size), images.Swirls(size, size)
	mix := image.NewNRGBA(image.Rect(0, 0, size, size))
	for y := range size {
		for x := range size {
			r1, g1, b1, _ := c.At(x, y).RGBA()
			r2, g2, b2, _ := s.At(x, y).RGBA()
			mix.Set(x, y, color.NRGBA{uint8((r1 + r2) >> 9), uint8((g1 + g2) >> 9), uint8((b1 + b2) >> 9), 255})
		}
	}
	pics := []struct {
		name string
		img  image.Image
		out  *benchPicture
	}{{"content", c, &content}, {"style", s, &style}, {"probe", mix, &probe}}
	for _, p := range pics {
		path := filepath.Join(dir, fmt.Sprintf("%s_%d.ppm", p.name, size))
		if err = writePPM(path, p.img); err != nil {
			return
		}
		*p.out = benchPicture{path, p.img}
	}
	return
}

// writePPM writes an opaque picture as a binary PPM (P6): a one-line header and the RGB bytes.
// A pixel that is not opaque is an error, since estil would blend it over white.
func writePPM(path string, img image.Image) error {
	b := img.Bounds()
	buf := fmt.Appendf(nil, "P6\n%d %d\n255\n", b.Dx(), b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			if c.A != 255 {
				return fmt.Errorf("%s: pixel (%d, %d) is not opaque", path, x, y)
			}
			buf = append(buf, c.R, c.G, c.B)
		}
	}
	return os.WriteFile(path, buf, 0o644)
}
