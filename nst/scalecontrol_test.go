package nst

import (
	"context"
	"image"
	"image/color"
	"testing"
)

// bigChecker and fineStripes are two pictures whose statistics differ at every scale: a
// black-and-white checkerboard of 16 px squares (large structure, few edges) and 2 px red and
// blue stripes (nothing but fine strokes).
func bigChecker(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.NRGBA{20, 20, 20, 255}
			if (x/16+y/16)%2 == 1 {
				c = color.NRGBA{235, 235, 235, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func fineStripes(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.NRGBA{220, 30, 30, 255}
			if x/2%2 == 1 {
				c = color.NRGBA{30, 40, 200, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// TestSynthesizeStyleMixesScales makes a style from a coarse picture A (the checkerboard) and a
// fine one B (the stripes) and checks the layer split: at the fine layers (conv1_1, conv2_1) the
// new style's Gram matrices are nearer B's than A's, at the coarse ones (conv3_1 to conv5_1)
// nearer A's than B's, each at most half as far (gramDistance) from the one as from the other.
// It uses GramNormHW, with which every layer's term counts: with the original's unnormalised
// terms conv1_1's dwarfs the coarse layers', which then barely move whatever their targets, and
// a wrong split (all five layers matched to B) passes; with hw it fails (coarse layers 0.38
// from A, 0.59 from B).
func TestSynthesizeStyleMixesScales(t *testing.T) {
	const w, h = 64, 64
	a, b := bigChecker(w, h), fineStripes(w, h)
	tr := NewTransfer(tinyModel(t, NativeLowering))
	tr.Iterations = 60
	tr.Loss.GramNorm, tr.Loss.StyleWeight = GramNormHW, 1e3
	res, err := tr.SynthesizeStyle(context.Background(), a, b)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Image.Bounds(); got.Dx() != w || got.Dy() != h {
		t.Fatalf("the new style is %v, want A's size %d×%d", got, w, h)
	}
	const margin = 0.5
	gs, ga, gb := regionGrams(t, tr, res.Image, nil), regionGrams(t, tr, a, nil), regionGrams(t, tr, b, nil)
	layers := tr.Loss.StyleLayers // conv1_1 … conv5_1
	split := len(FineScaleLayers)
	for _, tc := range []struct {
		name        string
		from, to    int
		near, far   [][]float64
		nearN, farN string
	}{
		{"fine", 0, split, gb, ga, "B", "A"},
		{"coarse", split, len(layers), ga, gb, "A", "B"},
	} {
		near := gramDistance(gs[tc.from:tc.to], tc.near[tc.from:tc.to], layers[tc.from:tc.to])
		far := gramDistance(gs[tc.from:tc.to], tc.far[tc.from:tc.to], layers[tc.from:tc.to])
		t.Logf("%s layers: distance to %s %.3f, to %s %.3f", tc.name, tc.nearN, near, tc.farN, far)
		if !(near <= margin*far) {
			t.Errorf("%s layers: the new style is %.3f from %s's Gram matrices and %.3f from %s's, want at most %.1f× as far from %s's",
				tc.name, near, tc.nearN, far, tc.farN, margin, tc.nearN)
		}
	}
}
