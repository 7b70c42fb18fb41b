package nst

import (
	"math"
	"strings"
	"testing"

	"github.com/estil-nst/estil/images"
)

// TestStyleSizingDefaultIsTheContentsSize: by default the style picture gets the content's
// exact width and height, as in the original (issue 11); long-side keeps the style's shape.
func TestStyleSizingDefaultIsTheContentsSize(t *testing.T) {
	style := images.Swirls(300, 200)
	for _, s := range []StyleSizing{{}, {Mode: StyleSizeContent}} {
		img, err := s.Size(style, 128, 96)
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != 128 || b.Dy() != 96 {
			t.Errorf("%+v: style is %d×%d, want the content's 128×96", s, b.Dx(), b.Dy())
		}
	}
	img, err := StyleSizing{Mode: StyleSizeLongSide, Scale: 0.5}.Size(style, 128, 96)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 64 || b.Dy() != 43 {
		t.Errorf("long-side ×0.5: style is %d×%d, want 64×43 (its own shape, half the content's long side)", b.Dx(), b.Dy())
	}
	for _, bad := range []StyleSizing{{Mode: "square"}, {Mode: StyleSizeContent, Scale: 2}, {Mode: StyleSizeLongSide, Scale: 17},
		{Mode: StyleSizeLongSide, Scale: 16}} {
		if err := bad.Check(4096); err == nil {
			t.Errorf("%+v accepted at 4096 px", bad)
		}
	}
}

// styleLossAt is the unweighted style term Σ_l E_l of the lighthouse against the swirls, both
// w×h pixels, with the given Gram normalisation; also per layer.
func styleLossAt(t *testing.T, m *Model, norm GramNorm, w, h int) (float64, []float64) {
	t.Helper()
	tr := NewTransfer(m)
	tr.Loss.ContentLayers, tr.Loss.StyleWeight, tr.Loss.GramNorm = nil, 1, norm
	for i := range tr.Loss.StyleLayers {
		tr.Loss.StyleLayers[i].Weight = 1
	}
	content := images.Lighthouse(w, h)
	e, err := tr.Evaluate(content, content, []Style{{Image: images.Swirls(w, h), Weight: 1}})
	if err != nil {
		t.Fatal(err)
	}
	return e.Total, e.Style
}

// TestGramNormRemovesTheSizeDependence is issue 11's check: for the same pair of pictures at 48
// and 96 px, the style loss grows about as the pixel count (4×) with the original's
// unnormalized Gram matrix, and only with the pictures' own statistics with chw; so the ratio
// of the two growths is 4 (±20 %). Per layer it is the growth of that layer's positions.
func TestGramNormRemovesTheSizeDependence(t *testing.T) {
	m := tinyModel(t, NativeLowering)
	none48, layersNone48 := styleLossAt(t, m, GramNormNone, 48, 36)
	none96, layersNone96 := styleLossAt(t, m, GramNormNone, 96, 72)
	chw48, layersCHW48 := styleLossAt(t, m, GramNormCHW, 48, 36)
	chw96, layersCHW96 := styleLossAt(t, m, GramNormCHW, 96, 72)
	ratio := (none96 / none48) / (chw96 / chw48)
	t.Logf("none: %.4g → %.4g (×%.2f); chw: %.4g → %.4g (×%.2f); ratio %.2f", none48, none96, none96/none48, chw48, chw96, chw96/chw48, ratio)
	if math.Abs(ratio-4) > 0.8 {
		t.Errorf("none grew %.2f× and chw %.2f× from 48 to 96 px: ratio %.2f, want 4 ± 20 %%", none96/none48, chw96/chw48, ratio)
	}
	// Layer by layer, E_none/E_chw = d·h·w of that layer: the ratio is exactly the growth of its
	// positions (pooling rounds down: 36 → 18 → 9 → 4 → 2 rows against 72 → 36 → 18 → 9 → 4).
	positions48 := []float64{48 * 36, 24 * 18, 12 * 9, 6 * 4, 3 * 2}
	positions96 := []float64{96 * 72, 48 * 36, 24 * 18, 12 * 9, 6 * 4}
	for l := range layersNone48 {
		got := (layersNone96[l] / layersNone48[l]) / (layersCHW96[l] / layersCHW48[l])
		want := positions96[l] / positions48[l]
		if math.Abs(got-want) > 1e-3*want {
			t.Errorf("layer %d: ratio %.5f, want %.5f", l, got, want)
		}
	}
	// hw differs from chw by the channels only: d² per layer, whatever the size.
	hw48, _ := styleLossAt(t, m, GramNormHW, 48, 36)
	if !(hw48 > chw48) {
		t.Errorf("hw %.4g should exceed chw %.4g (it is d² larger per layer)", hw48, chw48)
	}
	if _, err := ParseGramNorm("mean"); err == nil || !strings.Contains(err.Error(), "none") {
		t.Errorf("ParseGramNorm(mean): %v", err)
	}
}
