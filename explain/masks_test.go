package explain

import (
	"context"
	"image"
	"image/color"
	"strings"
	"testing"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/nst"
)

// leftMask is a w×h mask, white in the columns x < edge.
func leftMask(w, h, edge int) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range edge {
			m.SetGray(x, y, color.Gray{Y: 255})
		}
	}
	return m
}

// TestMaskViewMeasuresLevels checks the table's shares on a 64×48 mask white in its 24 left
// columns: at conv1_1 (64×48) 24/64 of the positions are inside and none on the boundary; at
// conv4_1 (8×6) the edge falls between columns 3 and 4, still sharp; at conv5_1 (4×3) it falls
// in the middle of column 1, which is then on the boundary: 1/4 inside, 1/4 on the boundary.
func TestMaskViewMeasuresLevels(t *testing.T) {
	v, err := NewMaskView(leftMask(64, 48, 24), nil, nst.DefaultLoss())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]MaskLevelStats{
		"conv1_1": {Layer: "conv1_1", Width: 64, Height: 48, Inside: 24.0 / 64},
		"conv4_1": {Layer: "conv4_1", Width: 8, Height: 6, Inside: 3.0 / 8},
		"conv5_1": {Layer: "conv5_1", Width: 4, Height: 3, Inside: 0.25, Boundary: 0.25},
	}
	for _, l := range v.Levels {
		if w, ok := want[l.Layer]; ok && l != w {
			t.Errorf("%s: %+v, want %+v", l.Layer, l, w)
		}
	}
	if len(v.Levels) != 5 {
		t.Errorf("%d layers measured, want the 5 style layers", len(v.Levels))
	}
}

// TestHandoutWithMask builds a tiny handout whose transfer has a mask, in both languages, and
// checks that it has the section on masks with its formula and table, and no missing text.
func TestHandoutWithMask(t *testing.T) {
	defer SetLanguage(Language())
	content, style := images.Lighthouse(32, 24), images.Swirls(32, 24)
	for lang, says := range map[string][]string{
		English: {"Spatial control: masks", "guided Gram matrix", "mask: the region of the result", "<td>conv1_1</td><td>32×24</td><td>50%</td><td>0%</td>"},
		Catalan: {"Control espacial: màscares", "matriu de Gram guiada", "guia: la regió de la imatge", "posicions a la vora"},
	} {
		if err := SetLanguage(lang); err != nil {
			t.Fatal(err)
		}
		h, err := Handout(context.Background(), testModel(t), HandoutOptions{
			Content: content, Style: style, Loss: shallowLoss(), Iterations: 2, Layers: []string{"conv1_1"}, Channels: 4,
			RaceBudget: 2, RaceSize: 16, Mask: leftMask(32, 24, 16), Guide: leftMask(32, 24, 8),
		})
		if err != nil {
			t.Fatal(err)
		}
		html := pageHTML(t, h)
		for _, s := range says {
			if !strings.Contains(html, s) {
				t.Errorf("%s: the handout lacks %q", lang, s)
			}
		}
		if strings.Contains(html, "[[") {
			t.Errorf("%s: a text is missing", lang)
		}
	}
}
