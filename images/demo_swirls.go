package images

import (
	"image"
	"math"
	"math/rand/v2"
)

// Swirls draws a style picture of w×h pixels: thick, short brush strokes
// that follow the flow around a few vortices, in the blues and yellows of a
// starry night, with glowing stars at the centers of some of them. Every
// stroke varies a little in color and carries lighter and darker bristle
// marks, the kind of texture a style transfer picks up. The picture is the
// same for the same size, and looks the same (up to detail) at any size.
//
// Swirls panics if w or h < 1.
func Swirls(w, h int) image.Image {
	if w < 1 || h < 1 {
		panic("images.Swirls: size must be at least 1×1")
	}
	c := newCanvas(w, h)
	W, H, u := float32(w), float32(h), c.u
	rng := rand.New(rand.NewPCG(1889, 6))

	c.gradient(func(y float32) rgb {
		return rgb{0.05, 0.10, 0.30}.mix(rgb{0.10, 0.22, 0.45}, y/H)
	})

	// Vortices, placed in fractions of the picture; the flow runs around
	// them (anticlockwise for positive spin) over a wavy wind to the right.
	type vortex struct {
		x, y, r, spin float32
		star          bool
	}
	vortices := []vortex{
		{0.18, 0.22, 0.11, 1, true},
		{0.52, 0.15, 0.09, -1, true},
		{0.84, 0.28, 0.12, 1, true},
		{0.42, 0.55, 0.20, -1, false},
		{0.80, 0.78, 0.13, 1, true},
		{0.12, 0.80, 0.12, -1, false},
	}
	for i := range vortices {
		v := &vortices[i]
		v.x, v.y, v.r = v.x*W, v.y*H, v.r*u
	}
	flow := func(x, y float32) (float32, float32) {
		fx := float32(0.6)
		fy := 0.35 * float32(math.Sin(2*math.Pi*float64(1.4*x/u+0.5*y/u)))
		for _, v := range vortices {
			dx, dy := x-v.x, y-v.y
			k := 2.2 * v.r / (dx*dx + dy*dy + v.r*v.r)
			fx += k * (-v.spin*dy - 0.25*dx)
			fy += k * (v.spin*dx - 0.25*dy)
		}
		return fx, fy
	}

	// Palettes: the night sky, the rings around stars, and star cores.
	sky := []rgb{
		{0.06, 0.13, 0.40}, {0.10, 0.22, 0.58}, {0.16, 0.32, 0.70},
		{0.30, 0.50, 0.78}, {0.16, 0.40, 0.52}, {0.45, 0.62, 0.82},
	}
	ringYellow, ringBlue := rgb{0.96, 0.80, 0.30}, rgb{0.55, 0.72, 0.90}
	core := []rgb{{1, 0.92, 0.40}, {1, 0.98, 0.78}, {0.98, 0.78, 0.22}}
	colorAt := func(x, y float32) rgb {
		for _, v := range vortices {
			dx, dy := x-v.x, y-v.y
			q := float32(math.Sqrt(float64(dx*dx+dy*dy))) / v.r
			switch {
			case v.star && q < 0.5:
				return core[rng.IntN(len(core))]
			case v.star && q < 1.3:
				if int(q*5)%2 == 0 {
					return ringYellow
				}
				return ringBlue
			case !v.star && q < 1.0:
				return sky[1+int(q*7)%(len(sky)-1)]
			}
		}
		if rng.IntN(14) == 0 {
			return ringYellow.mix(rgb{0.7, 0.85, 0.6}, rng.Float32())
		}
		return sky[rng.IntN(len(sky))]
	}

	// Layers of strokes, from long dark ones that cover the canvas to short
	// bright accents; their number keeps the coverage at any aspect ratio.
	area := W * H / (u * u)
	line := make([]pt, 0, 16)
	for _, layer := range []struct {
		n          float32
		length, hw float32
		dark       float32
	}{
		{600, 0.17, 0.020, 0.7},
		{1200, 0.11, 0.012, 1},
		{700, 0.065, 0.007, 1.15},
	} {
		for range int(layer.n * area) {
			x, y := rng.Float32()*W, rng.Float32()*H
			length := layer.length * u * (0.7 + 0.6*rng.Float32())
			hw := max(layer.hw*u*(0.75+0.5*rng.Float32()), 0.6)
			line = trace(line[:0], x, y, length, 12, flow)
			col := colorAt(x, y).scale(layer.dark * (0.85 + 0.3*rng.Float32()))
			c.fill(ribbon(line, taper(hw)), col.nrgba(1))
			// Bristle marks: one lighter, one darker, off the center line.
			if len(line) < 4 {
				continue
			}
			for _, b := range [2]struct{ off, tint float32 }{{0.45, 1.35}, {-0.5, 0.65}} {
				c.fill(band(line[1:len(line)-1], b.off*hw, taper(0.16*hw)), col.scale(b.tint).nrgba(0.5))
			}
		}
	}

	// Star cores glow on top.
	for _, v := range vortices {
		if v.star {
			for i := 3; i >= 1; i-- {
				c.fill(circle(v.x, v.y, 0.16*v.r*float32(i)), rgb{1, 0.96, 0.70}.nrgba(0.35))
			}
		}
	}
	return c.img
}

// trace appends to line the points of a path of the given length centered
// on (x, y) and following the direction field flow, in n steps.
func trace(line []pt, x, y, length float32, n int, flow func(x, y float32) (float32, float32)) []pt {
	step := length / float32(n)
	walk := func(x, y, sign float32, k int) []pt {
		var pts []pt
		for range k {
			fx, fy := flow(x, y)
			l := float32(math.Hypot(float64(fx), float64(fy)))
			if l == 0 {
				break
			}
			// Midpoint step, so curves stay round.
			mx, my := x+sign*fx/l*step/2, y+sign*fy/l*step/2
			fx, fy = flow(mx, my)
			l = float32(math.Hypot(float64(fx), float64(fy)))
			if l == 0 {
				break
			}
			x, y = x+sign*fx/l*step, y+sign*fy/l*step
			pts = append(pts, pt{x, y})
		}
		return pts
	}
	back := walk(x, y, -1, n/2)
	for i := len(back) - 1; i >= 0; i-- {
		line = append(line, back[i])
	}
	line = append(line, pt{x, y})
	return append(line, walk(x, y, 1, n-n/2)...)
}
