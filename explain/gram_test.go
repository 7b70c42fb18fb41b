package explain

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/estil-nst/estil/images"
	"github.com/gomlx/gomlx/core/tensors"
)

// gramTensor returns F·Fᵀ for an F with c rows of p values, computed here by hand, as a [c, c]
// float32 tensor, and the same as float64 rows.
func gramTensor(f [][]float64) (*tensors.Tensor, [][]float64) {
	c := len(f)
	g := make([][]float64, c)
	flat := make([]float32, 0, c*c)
	for i := range c {
		g[i] = make([]float64, c)
		for j := range c {
			for p := range f[i] {
				g[i][j] += f[i][p] * f[j][p]
			}
			flat = append(flat, float32(g[i][j]))
		}
	}
	return tensors.FromFlatDataAndDimensions(flat, c, c), g
}

// TestGramHeatmapValues checks that each heat map's grid holds the actual Gram values (and the
// difference), with one channel permutation applied to rows and columns alike.
func TestGramHeatmapValues(t *testing.T) {
	// Four channels over six positions: channels 1 and 3 fire together (same places), channel 2
	// is the strongest, channel 0 is weak.
	style := [][]float64{
		{0.1, 0, 0.1, 0, 0, 0},
		{1, 1, 0, 0, 0, 0},
		{0, 0, 2, 2, 2, 0},
		{0.9, 1.1, 0, 0, 0, 0.1},
	}
	generated := [][]float64{
		{1, 0, 0, 0, 0, 0},
		{0, 1, 0, 0, 0, 0},
		{0, 0, 1, 0, 0, 0},
		{0, 0, 0, 1, 0, 0},
	}
	st, sg := gramTensor(style)
	gt, gg := gramTensor(generated)

	for _, c := range []struct {
		order Ordering
		want  []int
	}{
		{OrderNone, []int{0, 1, 2, 3}},
		// energies: 0.02, 2, 12, 2.03 → 2, 3, 1, 0
		{OrderEnergy, []int{2, 3, 1, 0}},
		// from 2 (strongest): correlations with 2 are 0.1/√(12·.02)=0.20 (ch 0), 0 (1), 0 (3) → 0;
		// from 0: with 1 0.1/√(.02·2)=0.5, with 3 0.09/√(.02·2.03)=0.447 → 1; then 3.
		{OrderGreedy, []int{2, 0, 1, 3}},
	} {
		v, err := GramOf("conv1_1", st, gt, c.order)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(v.Order, c.want) {
			t.Errorf("%s order: %v, want %v", c.order, v.Order, c.want)
		}
		for _, which := range []string{GramStyle, GramGenerated, GramDifference} {
			hm, err := v.HeatMap(which)
			if err != nil {
				t.Fatal(err)
			}
			cols, rows := hm.GridXYZ.Dims()
			if cols != 4 || rows != 4 {
				t.Fatalf("grid %d×%d", cols, rows)
			}
			for i := range 4 { // matrix row i is drawn at the top when i = 0: grid row 3 − i
				for j := range 4 {
					a, b := v.Order[i], v.Order[j]
					want := map[string]float64{GramStyle: sg[a][b], GramGenerated: gg[a][b], GramDifference: gg[a][b] - sg[a][b]}[which]
					if got := hm.GridXYZ.Z(j, 3-i); !near(got, want, 1e-6) {
						t.Errorf("%s %s: cell (%d, %d) = %v, want G[%d][%d] = %v", c.order, which, i, j, got, a, b, want)
					}
				}
			}
			// The picture is drawn from the grid upscaled k×k: same values over the same cells.
			up := upscaledGrid{hm.GridXYZ, 3}
			if c, r := up.Dims(); c != 12 || r != 12 || up.Z(7, 4) != hm.GridXYZ.Z(2, 1) || !near(up.X(0), -1.0/3, 1e-12) || !near(up.Y(11), 3+1.0/3, 1e-12) {
				t.Errorf("upscaled grid: %d×%d, Z(7,4) %v vs %v, X(0) %v, Y(11) %v", c, r, up.Z(7, 4), hm.GridXYZ.Z(2, 1), up.X(0), up.Y(11))
			}
			// Every value lies in the colour range (none drawn as overflow).
			if which != GramDifference && (hm.Min > 0 || hm.Max < 12) {
				t.Errorf("%s: colour range [%v, %v] does not cover [0, 12]", which, hm.Min, hm.Max)
			}
		}
	}

	v, _ := GramOf("conv1_1", st, gt, OrderEnergy)
	html := v.HTML()
	if n := strings.Count(html, `<img src="data:image/png;base64,`); n != 3 {
		t.Errorf("%d heat maps in the HTML, want 3", n)
	}
	if !strings.Contains(html, "diagonal") {
		t.Error("the caption does not explain the diagonal")
	}
	if _, err := GramOf("conv1_1", st, nil, "random"); err == nil {
		t.Error("an unknown order gave no error")
	}
	v, err := GramOf("conv1_1", st, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(v.HTML(), "<img "); n != 1 {
		t.Errorf("style only: %d images, want 1", n)
	}
	if _, err := GramOf("conv1_1", st, tensors.FromFlatDataAndDimensions(make([]float32, 9), 3, 3), ""); err == nil {
		t.Error("Gram matrices of different sizes gave no error")
	}
}

// TestGramNamedPictures checks that the caller can name the two pictures: the panels and the
// caption then speak of them, and never of a generated image.
func TestGramNamedPictures(t *testing.T) {
	st, _ := gramTensor([][]float64{{1, 0, 2}, {0, 1, 1}})
	ct, _ := gramTensor([][]float64{{0, 1, 1}, {2, 0, 1}})
	v, err := GramOf("conv1_1", st, ct, OrderNone)
	if err != nil {
		t.Fatal(err)
	}
	for which, want := range map[string]string{GramStyle: "style image", GramGenerated: "generated image", GramDifference: "generated − style"} {
		if got := v.panelTitle(which); got != want {
			t.Errorf("unnamed %s panel: %q, want %q", which, got, want)
		}
	}
	if !strings.Contains(v.HTML(), "generated image") {
		t.Error("unnamed: the caption does not speak of the generated image")
	}
	if got := v.Named("style picture", "content picture"); got != v {
		t.Error("Named does not return its view")
	}
	for which, want := range map[string]string{GramStyle: "style picture", GramGenerated: "content picture", GramDifference: "content picture − style picture"} {
		if got := v.panelTitle(which); got != want {
			t.Errorf("named %s panel: %q, want %q", which, got, want)
		}
	}
	html := v.HTML()
	if strings.Contains(html, `alt="generated`) || strings.Contains(html, "(middle)") {
		t.Error("named pictures: a panel is still called the generated image")
	}
	for _, want := range []string{`alt="style picture — conv1_1"`, `alt="content picture — conv1_1"`, `alt="content picture − style picture — conv1_1"`,
		"first picture (style picture)", "second (content picture)"} {
		if !strings.Contains(html, want) {
			t.Errorf("named pictures: the HTML lacks %q", want)
		}
	}
	defer SetLanguage(English)
	SetLanguage(Catalan)
	if html := v.HTML(); strings.Contains(html, `alt="imatge generada`) || strings.Contains(html, "(al mig)") || !strings.Contains(html, "primera imatge (style picture)") {
		t.Error("named pictures, in Catalan: the caption speaks of a generated image or does not name the first picture")
	}

	// One matrix alone (the notebook's toy): the caption describes the one panel there is.
	one, err := GramOf("toy", st, nil, OrderNone)
	if err != nil {
		t.Fatal(err)
	}
	for lang, absent := range map[string][]string{English: {"middle", "right panel", "left", "generated"}, Catalan: {"al mig", "dreta", "esquerra", "generada"}} {
		SetLanguage(lang)
		html := one.HTML()
		for _, a := range absent {
			if strings.Contains(html, a) {
				t.Errorf("one matrix, %s: the caption mentions %q, a panel that is not there", lang, a)
			}
		}
	}
}

// TestGramSaysItsRank: where a layer has fewer positions than channels (conv5_1 at the handout's
// 64 px: 12 positions for 512 channels), the view says that its Gram matrix has rank at most
// h·w, in both languages; where it has enough positions, it says nothing of the kind.
func TestGramSaysItsRank(t *testing.T) {
	model := testModel(t)
	style := images.Swirls(64, 48)
	v, err := GramMatrices(model, style, nil, "conv5_1", OrderNone)
	if err != nil {
		t.Fatal(err)
	}
	d := len(v.Style)
	if v.Positions != 4*3 {
		t.Fatalf("conv5_1 of a 64×48 picture: %d positions, want 4×3 = 12", v.Positions)
	}
	defer SetLanguage(English)
	for lang, want := range map[string]string{English: fmt.Sprintf("has rank at most %d", v.Positions), Catalan: fmt.Sprintf("té rang com a molt %d", v.Positions)} {
		SetLanguage(lang)
		if html := v.HTML(); !strings.Contains(html, want) || !strings.Contains(html, fmt.Sprintf("%d×%d", d, d)) {
			t.Errorf("%s: the caption of conv5_1 at 64 px lacks %q", lang, want)
		}
	}
	SetLanguage(English)
	if v, err = GramMatrices(model, style, nil, "conv1_1", OrderNone); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(v.HTML(), "rank at most") {
		t.Errorf("conv1_1 of a 64×48 picture (%d positions, %d channels) speaks of a low rank", v.Positions, len(v.Style))
	}
}
