package nst

import (
	"context"
	"image"
	"image/color"
	"strings"
	"testing"
)

// bigChecker and fineStripes are two pictures whose statistics differ at every scale: a
// black-and-white checkerboard of 16 px squares (large structure, few edges) and 2 px red and
// blue stripes (nothing but fine strokes).
func bigChecker(w, h int) image.Image {
	return twoColours(w, h, color.NRGBA{20, 20, 20, 255}, color.NRGBA{235, 235, 235, 255}, func(x, y int) bool { return (x/16+y/16)%2 == 1 })
}

func fineStripes(w, h int) image.Image {
	return twoColours(w, h, color.NRGBA{220, 30, 30, 255}, color.NRGBA{30, 40, 200, 255}, func(x, _ int) bool { return x/2%2 == 1 })
}

// TestSynthesizeStyleMixesScales makes a style from a coarse picture A (the checkerboard) and a
// fine one B (the stripes) and checks the layer split: at the fine layers (conv1_1, conv2_1) the
// new style's Gram matrices are nearer B's than A's, at the coarse ones (conv3_1 to conv5_1)
// nearer A's than B's, each at most half as far (gramDistance) from the one as from the other.
// It runs with the original's loss settings (GramNormNone, β = 10⁶): SynthesizeStyle balances
// the layers itself. It fails when the styles' Layers are ignored (every layer a blend of A and
// B: the fine layers end 1.6 from B and 0.9 from A).
func TestSynthesizeStyleMixesScales(t *testing.T) {
	const w, h = 64, 64
	a, b := bigChecker(w, h), fineStripes(w, h)
	tr := NewTransfer(tinyModel(t, NativeLowering))
	tr.Iterations = 60
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

// TestStyleLayersChooseEachLayersTargets: with Style.Layers, a style layer's target is the Gram
// matrix of the styles matched there only. Evaluating picture B against {A at the coarse layers,
// B at the fine ones} gives 0 at the fine layers and more than 0 at the coarse ones; bad Layers
// are refused with an error that names the layer.
func TestStyleLayersChooseEachLayersTargets(t *testing.T) {
	const w, h = 32, 32
	a, b := bigChecker(w, h), fineStripes(w, h)
	tr := NewTransfer(tinyModel(t, NativeLowering))
	fine, coarse := []string{"conv1_1", "conv2_1"}, []string{"conv3_1", "conv4_1", "conv5_1"}
	ev, err := tr.Evaluate(b, b, []Style{{Image: a, Weight: 1, Layers: coarse}, {Image: b, Weight: 1, Layers: fine}})
	if err != nil {
		t.Fatal(err)
	}
	for l, v := range ev.Style {
		if name := tr.Loss.StyleLayers[l].Name; l < len(fine) && v != 0 || l >= len(fine) && !(v > 0) {
			t.Errorf("%s: style term %g, want 0 at B's layers and > 0 at A's", name, v)
		}
	}
	for _, c := range []struct {
		styles []Style
		want   string
	}{
		{[]Style{{Image: a, Weight: 1, Layers: []string{"conv4_2"}}, {Image: b, Weight: 1}}, "conv4_2 is not one of the style layers"},
		{[]Style{{Image: a, Weight: 1, Layers: coarse}, {Image: b, Weight: 1, Layers: []string{"conv1_1"}}}, "no style is matched at style layer conv2_1"},
		{[]Style{{Image: a, Weight: 1, Layers: coarse, Mask: image.NewGray(image.Rect(0, 0, w, h))}, {Image: b, Weight: 1, Layers: fine}}, "cannot be combined with masks"},
	} {
		if _, err := tr.Evaluate(b, b, c.styles); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Evaluate with %v: error %v, want one that says %q", layersOf(c.styles), err, c.want)
		}
	}
}

func layersOf(styles []Style) [][]string {
	var out [][]string
	for _, s := range styles {
		out = append(out, s.Layers)
	}
	return out
}
