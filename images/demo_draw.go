package images

import (
	"image"
	"image/color"
	"math"

	"golang.org/x/image/vector"
)

// This file holds the small anti-aliased drawing kit [Lighthouse] and
// [Swirls] paint with.

// pt is a point in pixel coordinates.
type pt struct{ x, y float32 }

// rgb is a color with components in [0, 1].
type rgb struct{ r, g, b float32 }

func (c rgb) mix(d rgb, t float32) rgb {
	return rgb{c.r + (d.r-c.r)*t, c.g + (d.g-c.g)*t, c.b + (d.b-c.b)*t}
}

func (c rgb) scale(k float32) rgb { return rgb{c.r * k, c.g * k, c.b * k} }

// nrgba returns c with opacity alpha in [0, 1], clamping.
func (c rgb) nrgba(alpha float32) color.NRGBA {
	return color.NRGBA{toByte(c.r), toByte(c.g), toByte(c.b), toByte(alpha)}
}

// canvas is a picture being painted, with a reusable rasterizer.
type canvas struct {
	img *image.RGBA
	z   vector.Rasterizer
	u   float32 // Unit of object sizes: the short side in pixels.
}

func newCanvas(w, h int) *canvas {
	return &canvas{img: image.NewRGBA(image.Rect(0, 0, w, h)), u: float32(min(w, h))}
}

// gradient paints every row with the color f returns for it, opaque.
func (c *canvas) gradient(f func(y float32) rgb) {
	b := c.img.Bounds()
	for y := 0; y < b.Dy(); y++ {
		col := f(float32(y) + 0.5).nrgba(1)
		row := c.img.Pix[y*c.img.Stride : y*c.img.Stride+4*b.Dx()]
		for i := 0; i < len(row); i += 4 {
			row[i], row[i+1], row[i+2], row[i+3] = col.R, col.G, col.B, 255
		}
	}
}

// fill paints the polygon poly with col, anti-aliased, over what is there.
func (c *canvas) fill(poly []pt, col color.NRGBA) {
	if len(poly) < 3 || col.A == 0 {
		return
	}
	x0, y0, x1, y1 := poly[0].x, poly[0].y, poly[0].x, poly[0].y
	for _, p := range poly[1:] {
		x0, x1 = min(x0, p.x), max(x1, p.x)
		y0, y1 = min(y0, p.y), max(y1, p.y)
	}
	r := image.Rect(int(math.Floor(float64(x0))), int(math.Floor(float64(y0))),
		int(math.Ceil(float64(x1))), int(math.Ceil(float64(y1)))).Intersect(c.img.Bounds())
	if r.Empty() {
		return
	}
	ox, oy := float32(r.Min.X), float32(r.Min.Y)
	c.z.Reset(r.Dx(), r.Dy())
	c.z.MoveTo(poly[0].x-ox, poly[0].y-oy)
	for _, p := range poly[1:] {
		c.z.LineTo(p.x-ox, p.y-oy)
	}
	c.z.ClosePath()
	c.z.Draw(c.img, r, image.NewUniform(col), image.Point{})
}

// circle returns a polygon approximating the circle of center (x, y) and
// radius r, with enough sides for it to look round.
func circle(x, y, r float32) []pt {
	return ellipse(x, y, r, r)
}

func ellipse(x, y, rx, ry float32) []pt {
	n := int(min(96, max(12, 1.2*max(rx, ry))))
	poly := make([]pt, n)
	for i := range poly {
		a := 2 * math.Pi * float64(i) / float64(n)
		poly[i] = pt{x + rx*float32(math.Cos(a)), y + ry*float32(math.Sin(a))}
	}
	return poly
}

// ribbon returns the outline of a brush stroke along the polyline line,
// of half-width halfWidth(t) at the fraction t in [0, 1] of its length.
func ribbon(line []pt, halfWidth func(t float32) float32) []pt {
	return band(line, 0, halfWidth)
}

// band returns the outline of a stroke like [ribbon]'s, but centered at the
// distance off to the left of line.
func band(line []pt, off float32, halfWidth func(t float32) float32) []pt {
	n := len(line)
	if n < 2 {
		return nil
	}
	poly := make([]pt, 2*n)
	for i, p := range line {
		a, b := line[max(i-1, 0)], line[min(i+1, n-1)]
		dx, dy := b.x-a.x, b.y-a.y
		l := float32(math.Hypot(float64(dx), float64(dy)))
		if l == 0 {
			l = 1
		}
		nx, ny := -dy/l, dx/l
		hw := halfWidth(float32(i) / float32(n-1))
		poly[i] = pt{p.x + nx*(off+hw), p.y + ny*(off+hw)}
		poly[2*n-1-i] = pt{p.x + nx*(off-hw), p.y + ny*(off-hw)}
	}
	return poly
}

// taper is a stroke profile: full width in the middle, narrowing to round
// ends of a quarter of the width.
func taper(hw float32) func(t float32) float32 {
	return func(t float32) float32 {
		s := float32(math.Sin(math.Pi * float64(t)))
		return hw * (0.25 + 0.75*float32(math.Sqrt(float64(s))))
	}
}

// inside reports whether (x, y) is inside the polygon poly (even-odd rule).
func inside(poly []pt, x, y float32) bool {
	in := false
	for i, j := 0, len(poly)-1; i < len(poly); j, i = i, i+1 {
		a, b := poly[i], poly[j]
		if (a.y > y) != (b.y > y) && x < a.x+(y-a.y)*(b.x-a.x)/(b.y-a.y) {
			in = !in
		}
	}
	return in
}
