package explain

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/estil-nst/estil/images"
)

// TestHandoutColorControl builds a tiny handout with each colour control and checks that it says
// which was used, in both languages, with its paper; that it shows the network's own picture (and,
// for luminance, the style as the network saw it); and that the result keeps the content's I and
// Q (to 1e-6) where nothing is clamped, while the network's picture does not.
func TestHandoutColorControl(t *testing.T) {
	defer SetLanguage(Language())
	content, style := images.Lighthouse(32, 24), images.Swirls(32, 32)
	for _, c := range []struct {
		cc      images.ColorControl
		lang    string
		figures int // pictures + feature maps 1×(input + 4 maps + colour bar) + Gram 1×3 + losses + L-BFGS + races 2
		says    []string
	}{
		{images.ColorControlLuminance, English, 5 + 6 + 3 + 1 + 1 + 2,
			[]string{"<b>Colour control</b>: <code>luminance</code>, Gatys et al.'s luminance-only transfer", "the style as the network saw it",
				"what the network made, before the colour step", "Controlling Perceptual Factors in Neural Style Transfer"}},
		{images.ColorControlOriginalColors, Catalan, 4 + 6 + 3 + 1 + 1 + 2,
			[]string{"<b>Control del color</b>: <code>original-colors</code>, el <code>-original_colors</code> de neural-style",
				"No és la transferència només de luminància", "el que ha fet la xarxa, abans del pas de color", "neural-style</i>"}},
	} {
		if err := SetLanguage(c.lang); err != nil {
			t.Fatal(err)
		}
		h, err := Handout(context.Background(), testModel(t), HandoutOptions{
			Content: content, Style: style, Loss: shallowLoss(), Iterations: 2, Layers: []string{"conv1_1"}, Channels: 4,
			RaceBudget: 2, RaceSize: 16, ColorControl: c.cc,
		})
		if err != nil {
			t.Fatal(err)
		}
		html := pageHTML(t, h)
		if n := strings.Count(html, `<img src="data:image/png;base64,`); n != c.figures {
			t.Errorf("%s: %d figures, want %d", c.cc, n, c.figures)
		}
		for _, s := range c.says {
			if !strings.Contains(html, s) {
				t.Errorf("%s (%s): the handout lacks %q", c.cc, c.lang, s)
			}
		}
		// Said twice: under the pictures and in the method box.
		if n := strings.Count(html, tr(colorControlKey(c.cc))); n != 2 {
			t.Errorf("%s: what the colour control did is said %d times, want 2 (pictures, method)", c.cc, n)
		}
		if strings.Contains(html, "[[") {
			t.Errorf("%s: a text is missing", c.cc)
		}
		// The result: the content's I and Q, the network's luminance.
		cp, _, _ := images.ToHWC(content)
		rp, _, _ := images.ToHWC(h.Result)
		np, _, _ := images.ToHWC(h.NetworkResult)
		var maxIQ, moved float64
		for k := 0; k < len(cp); k += 3 {
			if min(rp[k], rp[k+1], rp[k+2]) == 0 || max(rp[k], rp[k+1], rp[k+2]) == 1 {
				continue
			}
			i := func(p []float32) float64 { return 0.596*float64(p[k]) - 0.274*float64(p[k+1]) - 0.322*float64(p[k+2]) }
			q := func(p []float32) float64 { return 0.211*float64(p[k]) - 0.523*float64(p[k+1]) + 0.312*float64(p[k+2]) }
			maxIQ = max(maxIQ, math.Abs(i(rp)-i(cp)), math.Abs(q(rp)-q(cp)))
			moved = max(moved, math.Abs(i(np)-i(cp)))
		}
		t.Logf("%s: result's largest |ΔI|, |ΔQ| from the content's %.3g; the network's picture's |ΔI| up to %.3g", c.cc, maxIQ, moved)
		if maxIQ > 1e-6 || moved < 0.01 {
			t.Errorf("%s: the result's chroma differs from the content's by %.3g (want ≤ 1e-6), the network's by %.3g (want ≥ 0.01)", c.cc, maxIQ, moved)
		}
	}
	SetLanguage(English)
	if h := (&MethodView{Loss: shallowLoss()}).HTML(); !strings.Contains(h, "<b>Colour control</b>: none") || strings.Contains(h, "Controlling Perceptual") {
		t.Error("without a colour control the method box does not say none, or cites the colour paper")
	}
}
