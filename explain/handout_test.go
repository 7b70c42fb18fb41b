package explain

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/nst"
)

// TestHandout builds a tiny handout and checks that every view is there with its figures.
func TestHandout(t *testing.T) {
	var progress bytes.Buffer
	h, err := Handout(context.Background(), testModel(t), HandoutOptions{
		Content: images.Lighthouse(32, 24), Style: images.Swirls(32, 32),
		Loss: shallowLoss(), Iterations: 2, Layers: []string{"conv1_1", "conv2_1"}, Channels: 4,
		RaceBudget: 3, RaceSize: 16, Progress: &progress,
	})
	if err != nil {
		t.Fatal(err)
	}
	html := pageHTML(t, h)
	// pictures 3, layer table 0, feature maps 2×(input + 4 maps + colour bar), Gram 2×3, losses 1,
	// L-BFGS 1, races 2.
	if n, want := strings.Count(html, `<img src="data:image/png;base64,`), 3+2*6+2*3+1+1+2; n != want {
		t.Errorf("%d figures, want %d", n, want)
	}
	if strings.Count(html, "<img") != strings.Count(html, `<img src="data:image/png;base64,`) {
		t.Error("an image is not inlined")
	}
	for _, s := range []string{"<!DOCTYPE html>", "RANDOM WEIGHTS", "VGG19, layer by layer", "What conv2_1 sees",
		"Gram matrix: conv1_1", "The losses during the run", "The method in formulas", "Demystifying Neural Style Transfer", "L-BFGS from inside", "Rosenbrock", "a small style transfer", "</html>"} {
		if !strings.Contains(html, s) {
			t.Errorf("the handout lacks %q", s)
		}
	}
	for _, s := range []string{"http://", "https://", "<script", "[[", "Style representations"} {
		if strings.Contains(html, s) {
			t.Errorf("the handout contains %q", s)
		}
	}
	if !strings.Contains(html, "<b>Style loss</b>: <code>gram</code> — Gram matrices (Gatys et al. 2016)") {
		t.Error("the handout does not say that its style loss is gram")
	}
	// Every view computed with the network says that it is random: the pictures, 2 feature-map
	// grids, 2 Gram views, the losses and the style-transfer race.
	if n := strings.Count(html, "RANDOM WEIGHTS"); n != 7 {
		t.Errorf("the random-weights warning appears %d times, want 7", n)
	}
	if len(h.Evaluations) == 0 || len(h.Iterations) == 0 || h.Result == nil {
		t.Error("the handout kept no history or no result")
	}
	if !strings.Contains(progress.String(), "Gram matrices of conv2_1") {
		t.Errorf("progress: %q", progress.String())
	}
}

// TestMethodViewShowsTheRunsLoss: the formulas box gives this run's α, β, layers and weights, the
// E_l of its Gram normalisation, and the references, in both languages.
func TestMethodViewShowsTheRunsLoss(t *testing.T) {
	defer SetLanguage(Language())
	l := nst.DefaultLoss()
	l.StyleWeight = 1000
	for _, lang := range []string{"en", "ca"} {
		if err := SetLanguage(lang); err != nil {
			t.Fatal(err)
		}
		h := (&MethodView{Loss: l}).HTML()
		for _, s := range []string{"α = 1, β = 1000", "w<sub>conv2_1</sub> = 0.75", "<code>conv4_2</code>",
			"/ (d<sub>l</sub>·h<sub>l</sub>·w<sub>l</sub>)", "Gatys", "Li, N. Wang"} {
			if !strings.Contains(h, s) {
				t.Errorf("%s: the method box lacks %q", lang, s)
			}
		}
	}
	l.GramNorm = nst.GramNormCHW
	if h := (&MethodView{Loss: l}).HTML(); !strings.Contains(h, "Ĝ = F·Fᵀ / (d·h·w)") || strings.Contains(h, "/ (d<sub>l</sub>") {
		t.Error("with chw the box does not show the normalized Gram matrix and its E_l")
	}
}

// pageHTML is the handout's page, as WritePage writes it.
func pageHTML(t *testing.T, h *HandoutView) string {
	t.Helper()
	var page bytes.Buffer
	if err := h.WritePage(&page); err != nil {
		t.Fatal(err)
	}
	return page.String()
}
