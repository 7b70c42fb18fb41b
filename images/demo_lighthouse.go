package images

import (
	"image"
	"math"
	"math/rand/v2"
)

// Lighthouse draws a content picture of w×h pixels: a red and white
// lighthouse on a rocky headland at dusk, its beam sweeping over the sea
// under a full moon and stars. It is made of clear shapes and edges that
// stay recognizable through a style transfer, and looks the same (up to
// detail) at any size from 64 to 1024 pixels; shapes keep their proportions
// for any aspect ratio. The picture is the same for the same size.
//
// Lighthouse panics if w or h < 1.
func Lighthouse(w, h int) image.Image {
	if w < 1 || h < 1 {
		panic("images.Lighthouse: size must be at least 1×1")
	}
	c := newCanvas(w, h)
	W, H, u := float32(w), float32(h), c.u
	rng := rand.New(rand.NewPCG(1857, 1))
	horizon := 0.62 * H

	// Sky: night blue at the top, violet, then a warm glow at the horizon.
	skyTop, skyMid, skyLow := rgb{0.05, 0.07, 0.22}, rgb{0.30, 0.24, 0.50}, rgb{0.98, 0.62, 0.36}
	seaFar, seaNear := rgb{0.22, 0.30, 0.52}, rgb{0.03, 0.09, 0.24}
	c.gradient(func(y float32) rgb {
		if y < horizon {
			t := y / horizon
			if t < 0.6 {
				return skyTop.mix(skyMid, t/0.6)
			}
			return skyMid.mix(skyLow, (t-0.6)/0.4)
		}
		t := (y - horizon) / (H - horizon)
		return seaFar.mix(seaNear, float32(math.Sqrt(float64(t))))
	})

	// Stars, more of them high up where the sky is dark.
	for range 70 {
		x, y := rng.Float32()*W, rng.Float32()*rng.Float32()*0.5*H
		r := u * (0.002 + 0.005*rng.Float32())
		c.fill(circle(x, y, max(r, 0.5)), rgb{1, 0.97, 0.85}.nrgba(0.5+0.5*rng.Float32()))
	}

	// The moon with its halo, and its reflection on the sea.
	mx, my, mr := 0.80*W, 0.12*H, 0.065*u
	for i := 3; i >= 1; i-- {
		c.fill(circle(mx, my, mr*(1+0.45*float32(i))), rgb{1, 0.95, 0.8}.nrgba(0.07))
	}
	c.fill(circle(mx, my, mr), rgb{0.99, 0.96, 0.82}.nrgba(1))
	for _, s := range [][3]float32{{-0.3, -0.25, 0.28}, {0.25, 0.1, 0.22}, {-0.1, 0.35, 0.18}} {
		c.fill(circle(mx+s[0]*mr, my+s[1]*mr, s[2]*mr), rgb{0.85, 0.82, 0.70}.nrgba(0.8))
	}

	// A far island on the horizon.
	island := []pt{{0.58 * W, horizon}}
	for i := 0; i <= 12; i++ {
		t := float32(i) / 12
		hump := float32(math.Sin(math.Pi*float64(t))) * (0.035 + 0.012*float32(math.Sin(9*float64(t)))) * u
		island = append(island, pt{(0.58 + 0.30*t) * W, horizon - hump})
	}
	c.fill(append(island, pt{0.88 * W, horizon + 1}, pt{0.58 * W, horizon + 1}), rgb{0.20, 0.15, 0.30}.nrgba(1))

	// Moonlight on the water: broken bright dashes, wider towards us.
	for i := range 18 {
		t := float32(i) / 17
		y := horizon + (H-horizon)*t*t*0.97 + 0.006*u
		spread := (0.02 + 0.07*t) * u
		for range 2 {
			x := mx + (rng.Float32()*2-1)*spread
			hw := (0.008 + 0.03*t) * u * (0.5 + 0.5*rng.Float32())
			c.fill(ribbon([]pt{{x - hw, y}, {x + hw, y}}, taper((0.004+0.007*t)*u)),
				rgb{1, 0.94, 0.72}.nrgba(0.9-0.4*t))
		}
	}

	// Waves: rows of crests, wider and further apart towards us.
	for row := range 14 {
		t := float32(row+1) / 14
		y0 := horizon + (H-horizon)*t*t
		n := 3 + int(6*(1-t))
		for k := range n {
			x := (float32(k) + rng.Float32()) / float32(n) * W
			y := y0 + (rng.Float32()-0.5)*0.02*H*t
			l := (0.03 + 0.10*t) * u
			a := (0.004 + 0.02*t) * u
			line := make([]pt, 9)
			for i := range line {
				s := float32(i)/8 - 0.5
				line[i] = pt{x + s*l, y - a*float32(math.Cos(math.Pi*float64(s)))}
			}
			c.fill(ribbon(line, taper((0.002+0.006*t)*u)), rgb{0.55, 0.68, 0.90}.nrgba(0.55))
			for i := range line {
				line[i].y += (0.003 + 0.008*t) * u
			}
			c.fill(ribbon(line, taper((0.002+0.005*t)*u)), rgb{0.02, 0.05, 0.16}.nrgba(0.35))
		}
	}

	// The headland: a dark rock from the left edge, its sea face lit by the moon.
	top := 0.50 * H
	cliff := []pt{
		{0, top - 0.01*H}, {0.08 * W, top - 0.015*H}, {0.16 * W, top}, {0.36 * W, top + 0.005*H},
		{0.41 * W, top + 0.02*H}, {0.44 * W, top + 0.08*H}, {0.47 * W, top + 0.10*H},
		{0.49 * W, top + 0.18*H}, {0.53 * W, top + 0.22*H}, {0.55 * W, top + 0.30*H},
		{0.60 * W, top + 0.33*H}, {0, top + 0.36*H},
	}
	c.fill(cliff, rgb{0.26, 0.21, 0.22}.nrgba(1))
	rockLit := rgb{0.52, 0.42, 0.40}
	for _, f := range [][]pt{
		{{0.41 * W, top + 0.02*H}, {0.44 * W, top + 0.08*H}, {0.47 * W, top + 0.10*H}, {0.42 * W, top + 0.12*H}, {0.38 * W, top + 0.05*H}},
		{{0.47 * W, top + 0.10*H}, {0.49 * W, top + 0.18*H}, {0.53 * W, top + 0.22*H}, {0.46 * W, top + 0.21*H}, {0.43 * W, top + 0.14*H}},
		{{0.53 * W, top + 0.22*H}, {0.55 * W, top + 0.30*H}, {0.60 * W, top + 0.33*H}, {0.50 * W, top + 0.33*H}, {0.48 * W, top + 0.25*H}},
	} {
		c.fill(f, rockLit.nrgba(0.8))
	}
	// Boulders and cracks inside the rock.
	inCliff := func(x, y float32) bool { return inside(cliff, x, y) }
	for range 60 {
		x, y := rng.Float32()*0.58*W, top+(0.03+0.31*rng.Float32())*H
		r := (0.012 + 0.025*rng.Float32()) * u
		poly := make([]pt, 6)
		ok := true
		for i := range poly {
			a := (float64(i) + 0.5*rng.Float64()) * math.Pi / 3
			rr := r * (0.7 + 0.5*rng.Float32())
			poly[i] = pt{x + rr*float32(math.Cos(a)), y + 0.7*rr*float32(math.Sin(a))}
			ok = ok && inCliff(poly[i].x, poly[i].y)
		}
		if !ok {
			continue
		}
		tone := rgb{0.34, 0.28, 0.28}
		if x > 0.36*W { // Lit by the moon.
			tone = rockLit
		}
		c.fill(poly, tone.scale(0.75+0.4*rng.Float32()).nrgba(0.9))
	}
	for _, crack := range [][]pt{
		{{0.02 * W, top + 0.10*H}, {0.12 * W, top + 0.08*H}, {0.2 * W, top + 0.11*H}, {0.33 * W, top + 0.09*H}},
		{{0.06 * W, top + 0.20*H}, {0.17 * W, top + 0.18*H}, {0.27 * W, top + 0.215*H}, {0.40 * W, top + 0.19*H}},
		{{0.12 * W, top + 0.29*H}, {0.25 * W, top + 0.27*H}, {0.36 * W, top + 0.30*H}, {0.47 * W, top + 0.28*H}},
	} {
		c.fill(ribbon(crack, taper(0.005*u)), rgb{0.10, 0.08, 0.11}.nrgba(0.8))
	}
	// Grass along the top.
	grass := []pt{{0, top - 0.01*H}, {0.08 * W, top - 0.015*H}, {0.16 * W, top}, {0.36 * W, top + 0.005*H}, {0.41 * W, top + 0.02*H},
		{0.39 * W, top + 0.03*H}, {0.16 * W, top + 0.025*H}, {0.08 * W, top + 0.01*H}, {0, top + 0.015*H}}
	c.fill(grass, rgb{0.16, 0.34, 0.20}.nrgba(1))
	// Foam where the rock meets the sea.
	for i := range 7 {
		t := float32(i) / 6
		x, y := (0.05+0.55*t)*W, top+(0.355-0.03*t)*H
		c.fill(ribbon([]pt{{x - 0.06*u, y + 0.004*u}, {x, y - 0.006*u}, {x + 0.06*u, y + 0.004*u}}, taper(0.008*u)),
			rgb{0.92, 0.95, 1}.nrgba(0.8))
	}

	// The lighthouse: a tapered tower in red and white bands.
	lx, base := 0.25*W, top+0.005*H
	towerH, halfB, halfT := 0.31*u, 0.058*u, 0.039*u
	red, white := rgb{0.82, 0.10, 0.10}, rgb{0.96, 0.95, 0.90}
	at := func(t float32) (y, half float32) { return base - t*towerH, halfB + (halfT-halfB)*t }
	const bands = 5
	for i := range bands {
		y0, h0 := at(float32(i) / bands)
		y1, h1 := at(float32(i+1) / bands)
		col := red
		if i%2 == 1 {
			col = white
		}
		c.fill([]pt{{lx - h0, y0}, {lx + h0, y0}, {lx + h1, y1}, {lx - h1, y1}}, col.nrgba(1))
	}
	// Shade on the side away from the moon, so the tower looks round.
	yB, hB := at(0)
	yT, hT := at(1)
	c.fill([]pt{{lx - hB, yB}, {lx - 0.35*hB, yB}, {lx - 0.35*hT, yT}, {lx - hT, yT}}, rgb{0.1, 0.05, 0.15}.nrgba(0.35))
	// Door and windows.
	dw, dh := 0.014*u, 0.045*u
	c.fill([]pt{{lx - dw, base}, {lx + dw, base}, {lx + dw, base - dh}, {lx, base - dh - dw}, {lx - dw, base - dh}}, rgb{0.15, 0.10, 0.10}.nrgba(1))
	for _, t := range []float32{0.5, 0.72} {
		y, _ := at(t)
		c.fill([]pt{{lx - 0.008*u, y}, {lx + 0.008*u, y}, {lx + 0.008*u, y - 0.022*u}, {lx - 0.008*u, y - 0.022*u}}, rgb{0.15, 0.12, 0.20}.nrgba(1))
	}
	// Gallery, lamp room, roof.
	dark := rgb{0.12, 0.10, 0.14}
	gy := yT
	c.fill([]pt{{lx - halfT - 0.012*u, gy}, {lx + halfT + 0.012*u, gy}, {lx + halfT + 0.012*u, gy - 0.012*u}, {lx - halfT - 0.012*u, gy - 0.012*u}}, dark.nrgba(1))
	lampW, lampH := 0.029*u, 0.055*u
	ly := gy - 0.012*u
	lampY := ly - lampH/2

	// The beam, drawn behind the lamp room: a long one to the right over the
	// sea, a short one to the left.
	glow := rgb{1, 0.93, 0.60}
	for _, b := range [][4]float32{{W * 1.05, 0.10 * u, 0.25 * u, 0.33}, {W * 1.05, 0.04 * u, 0.23 * u, 0.30}, {-0.05 * W, 0.06 * u, 0.06 * u, 0.25}} {
		c.fill([]pt{{lx, lampY - 0.012*u}, {b[0], lampY + b[2] - b[1]}, {b[0], lampY + b[2] + b[1]}, {lx, lampY + 0.012*u}}, glow.nrgba(b[3]))
	}
	for i := 3; i >= 1; i-- {
		c.fill(circle(lx, lampY, lampH*0.6*float32(i)), glow.nrgba(0.18))
	}

	c.fill([]pt{{lx - lampW, ly}, {lx + lampW, ly}, {lx + lampW, ly - lampH}, {lx - lampW, ly - lampH}}, rgb{1, 0.96, 0.70}.nrgba(1))
	for _, f := range []float32{-1, -0.33, 0.33, 1} {
		x := lx + f*lampW
		c.fill([]pt{{x - 0.003*u, ly}, {x + 0.003*u, ly}, {x + 0.003*u, ly - lampH}, {x - 0.003*u, ly - lampH}}, dark.nrgba(1))
	}
	ry := ly - lampH
	c.fill([]pt{{lx - lampW - 0.010*u, ry}, {lx + lampW + 0.010*u, ry}, {lx, ry - 0.045*u}}, red.scale(0.8).nrgba(1))
	c.fill(circle(lx, ry-0.048*u, 0.008*u), dark.nrgba(1))
	return c.img
}
