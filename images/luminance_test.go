package images

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"
)

// yiq returns YIQ's I and Q of RGB in [0, 1] (NTSC 1953 coefficients, as the paper's YIQ).
func yiq(r, g, b float64) (i, q float64) {
	return 0.596*r - 0.274*g - 0.322*b, 0.211*r - 0.523*g + 0.312*b
}

// momentsOf returns the mean and variance of the luminance of a picture read by ToHWC, and
// the largest |R − G| or |G − B| (0 for a gray picture).
func momentsOf(img image.Image) (mean, variance, notGray float64) {
	px, _, _ := ToHWC(img)
	y := lumaOf(px)
	m, s := meanStd(y)
	for i := 0; i < len(px); i += 3 {
		notGray = max(notGray, math.Abs(float64(px[i]-px[i+1])), math.Abs(float64(px[i+1]-px[i+2])))
	}
	return m, s * s, notGray
}

// darkFlat is a dark, low-contrast picture: a style whose luminance must be stretched a lot.
func darkFlat(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(20+r.IntN(30)), uint8(10+r.IntN(20)), uint8(40+r.IntN(25)), 255
	}
	return img
}

// TestMatchLuminanceMoments: the style's matched luminance has the content's mean and variance
// (to 1e-12 in float64 before clipping, to 1e-3 as the clipped 16-bit picture the network gets),
// is gray, and keeps the style's size; a flat style becomes the content's mean.
func TestMatchLuminanceMoments(t *testing.T) {
	content := Lighthouse(48, 40)
	mc, vc, _ := momentsOf(content)
	for _, tc := range []struct {
		name  string
		style image.Image
	}{{"swirls", Swirls(40, 36)}, {"dark and flat", darkFlat(30, 20)}} {
		s, _, _ := ToHWC(tc.style)
		c, _, _ := ToHWC(content)
		m, sd := meanStd(matchLuminance(lumaOf(s), lumaOf(c)))
		if math.Abs(m-mc) > 1e-12 || math.Abs(sd*sd-vc) > 1e-12 {
			t.Errorf("%s: float64 mean %.15g variance %.15g, want the content's %.15g and %.15g", tc.name, m, sd*sd, mc, vc)
		}
		clipped := LuminanceClipped(tc.style, content)
		got := MatchLuminance(tc.style, content)
		if got.Bounds().Size() != tc.style.Bounds().Size() {
			t.Errorf("%s: size %v, want the style's %v", tc.name, got.Bounds().Size(), tc.style.Bounds().Size())
		}
		mg, vg, notGray := momentsOf(got)
		ms, vs, _ := momentsOf(tc.style)
		t.Logf("%s: style luminance mean %.4f variance %.5f → %.6f %.7f; content's %.6f %.7f; %d of %d pixels clipped to [0, 1]",
			tc.name, ms, vs, mg, vg, mc, vc, clipped, got.Bounds().Dx()*got.Bounds().Dy())
		if math.Abs(mg-mc) > 1e-3 || math.Abs(vg-vc) > 1e-3 {
			t.Errorf("%s: mean %.6f variance %.7f, want the content's %.6f %.7f to 1e-3", tc.name, mg, vg, mc, vc)
		}
		if notGray != 0 {
			t.Errorf("%s: the matched luminance is not gray: channels differ by %g", tc.name, notGray)
		}
	}
	flat := fill(5, 4, color.NRGBA{90, 90, 90, 255})
	if mg, vg, _ := momentsOf(MatchLuminance(flat, content)); math.Abs(mg-mc) > 1e-4 || vg > 1e-9 {
		t.Errorf("flat style: mean %.6f variance %g, want %.6f and 0", mg, vg, mc)
	}
}

// TestLuminanceIsY: Luminance gives Y = 0.299 R + 0.587 G + 0.114 B in all three channels, to
// 16-bit rounding.
func TestLuminanceIsY(t *testing.T) {
	c := color.NRGBA{200, 40, 90, 255}
	px, _, _ := ToHWC(Luminance(fill(3, 2, c)))
	want := luma(200.0/255, 40.0/255, 90.0/255)
	for k := range 3 {
		if math.Abs(float64(px[k])-want) > 1.0/65535 {
			t.Errorf("channel %d: %.6f, want Y %.6f", k, px[k], want)
		}
	}
}

// TestPutChromaKeepsContentIQ: the content's I and Q come back exactly (to float32 rounding,
// 1e-6) wherever no channel was clamped, and the result's Y is kept to 8-bit rounding
// (0.5/255), on a picture whose Y differs from the content's everywhere and which is not
// quite gray.
func TestPutChromaKeepsContentIQ(t *testing.T) {
	content := Lighthouse(48, 40)
	res := image.NewNRGBA(content.Bounds())
	r := rand.New(rand.NewPCG(3, 4))
	sw := Luminance(Swirls(48, 40))
	for y := range 40 {
		for x := range 48 {
			g := float64(sw.Gray16At(x, y).Y) / 0xffff * 255
			res.SetNRGBA(x, y, color.NRGBA{uint8(g), uint8(max(0, g-float64(r.IntN(6)))), uint8(min(255, g+float64(r.IntN(6)))), 255})
		}
	}
	out := PutChroma(content, res)
	c, _, _ := ToHWC(content)
	o, _, _ := ToHWC(out)
	s, _, _ := ToHWC(res)
	var maxIQ, maxY float64
	clamped := 0
	for k := 0; k < len(c); k += 3 {
		if min(o[k], o[k+1], o[k+2]) == 0 || max(o[k], o[k+1], o[k+2]) == 1 {
			clamped++
			continue
		}
		ic, qc := yiq(float64(c[k]), float64(c[k+1]), float64(c[k+2]))
		io, qo := yiq(float64(o[k]), float64(o[k+1]), float64(o[k+2]))
		maxIQ = max(maxIQ, math.Abs(io-ic), math.Abs(qo-qc))
		maxY = max(maxY, math.Abs(luma(o[k], o[k+1], o[k+2])-luma(s[k], s[k+1], s[k+2])))
	}
	n := len(c) / 3
	t.Logf("%d pixels, %d clamped; largest |ΔI|, |ΔQ| %.3g; largest |Y(out) − Y(result)| %.3g (8-bit rounding: %.3g)",
		n, clamped, maxIQ, maxY, 0.5/255)
	if maxIQ > 1e-6 {
		t.Errorf("content's I or Q changed by %.3g, want ≤ 1e-6", maxIQ)
	}
	if maxY > 0.5/255+1e-6 {
		t.Errorf("result's Y changed by %.3g, want ≤ 0.5/255", maxY)
	}
	if clamped > n/10 {
		t.Errorf("%d of %d pixels clamped: the test checks too few", clamped, n)
	}
}

func TestParseColorControl(t *testing.T) {
	for in, want := range map[string]ColorControl{"": ColorControlNone, "none": ColorControlNone, " Luminance ": ColorControlLuminance,
		"original-colors": ColorControlOriginalColors} {
		if got, err := ParseColorControl(in); err != nil || got != want {
			t.Errorf("ParseColorControl(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseColorControl("yuv"); err == nil {
		t.Error("ParseColorControl(yuv): no error")
	}
}
