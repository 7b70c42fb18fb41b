package explain

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/nst"
)

// styleLossSignatures are, per style loss, a piece of its formula and of its reference that the
// handout must show.
var styleLossSignatures = map[nst.StyleLoss]struct{ formula, reference string }{
	nst.StyleLossGram:      {"G = F·Fᵀ", "Image Style Transfer Using Convolutional Neural Networks"},
	nst.StyleLossMMDLinear: {"E<sub>l</sub> = (M/d)·‖μ<sub>T</sub> − μ<sub>S</sub>‖²", "Demystifying Neural Style Transfer"},
	nst.StyleLossMMDPoly:   {"k(x, y) = (xᵀy + c)²", "Demystifying Neural Style Transfer"},
	nst.StyleLossMMDGauss:  {"k(x, y) = exp(−‖x − y‖² / (2σ²))", "Demystifying Neural Style Transfer"},
	nst.StyleLossMeanStd:   {"(σ<sub>T,c</sub> − σ<sub>S,c</sub>)²", "Demystifying Neural Style Transfer"},
	nst.StyleLossW2:        {"W₂² = ‖μ<sub>T</sub> − μ<sub>S</sub>‖² + tr(Σ<sub>T</sub> + Σ<sub>S</sub>", "Wasserstein Style Transfer"},
	nst.StyleLossSliced:    {"sort(v<sub>k</sub>ᵀt)<sub>i</sub> − sort(v<sub>k</sub>ᵀs)<sub>i</sub>", "A Sliced Wasserstein Loss for Neural Texture Synthesis"},
}

// TestStyleRepresentationViews: for every style loss, in both languages, the method box names the
// loss and its paper and shows its E_l, and the style-representation section has the loss's name,
// formula, comparison with the Gram matrix, balance weight, reference and Li et al.'s identity.
func TestStyleRepresentationViews(t *testing.T) {
	defer SetLanguage(Language())
	for _, lang := range []string{English, Catalan} {
		if err := SetLanguage(lang); err != nil {
			t.Fatal(err)
		}
		for _, s := range nst.StyleLosses() {
			sig, ok := styleLossSignatures[s]
			if !ok {
				t.Fatalf("no signature for the style loss %s: add it here and to stylerep.go", s)
			}
			l := nst.DefaultLoss()
			if s != nst.StyleLossGram {
				l.StyleLoss = s
			}
			name := tr("stylerep." + string(s) + ".name")
			method := (&MethodView{Loss: l}).HTML()
			for _, want := range []string{tr("method.styleloss") + ": <code>" + string(s) + "</code> — " + name + " (" + styleLossCitations[s] + ")",
				sig.formula, sig.reference} {
				if !strings.Contains(method, want) {
					t.Errorf("%s, %s: the method box lacks %q", lang, s, want)
				}
			}
			if s != nst.StyleLossGram {
				if want := "b = " + formatWeight(s.Balance()); !strings.Contains(method, want) {
					t.Errorf("%s, %s: the method box lacks %q", lang, s, want)
				}
				if strings.Contains(method, "G = F·Fᵀ") {
					t.Errorf("%s, %s: the method box shows the Gram loss's formula", lang, s)
				}
			}
			view := (&StyleRepresentationView{Loss: l}).HTML()
			wants := []string{esc(tr("stylerep.title")),
				"<b>" + name + "</b> (<code>--style-loss " + string(s) + "</code>)", sig.formula, sig.reference,
				"k(x, y) = (xᵀy)²", tr("stylerep." + string(s) + ".compares")}
			if s != nst.StyleLossGram {
				wants = append(wants, tr("stylerep."+string(s)+".keeps"), "β·w<sub>l</sub>·"+formatWeight(s.Balance())+"·E<sub>l</sub>")
			}
			for _, want := range wants {
				if !strings.Contains(view, want) {
					t.Errorf("%s, %s: the style-representation section lacks %q", lang, s, want)
				}
			}
			if strings.Contains(method+view, "[[") {
				t.Errorf("%s, %s: a text is missing", lang, s)
			}
		}
	}
	SetLanguage(English)
	if h := (&MethodView{Loss: nst.DefaultLoss()}).HTML(); !strings.Contains(h, "<code>gram</code> — Gram matrices (Gatys et al. 2016)") {
		t.Error("with the default loss the method box does not say gram")
	}
}

// TestHandoutStyleLoss builds tiny handouts with w2 and mmd-gauss and checks, in both languages,
// that they have the style-representation section with the loss's name and formula, and that the
// captions that speak of the loss name it instead of the Gram matrices.
func TestHandoutStyleLoss(t *testing.T) {
	defer SetLanguage(Language())
	for _, c := range []struct {
		loss           nst.StyleLoss
		nameEn, nameCa string
		agree          string
	}{
		{nst.StyleLossW2, "Wasserstein-2 distance between fitted Gaussians", "distància de Wasserstein-2 entre gaussianes ajustades", "gram.loss.determines"},
		{nst.StyleLossMMDGauss, "MMD with a Gaussian kernel", "MMD amb un nucli gaussià", "gram.loss.determines"},
	} {
		t.Run(string(c.loss), func(t *testing.T) {
			l := shallowLoss()
			l.ContentLayers, l.StyleLayers = []string{"conv1_1"}, l.StyleLayers[:1] // one layer: a quicker compilation
			l.StyleLoss = c.loss
			h, err := Handout(context.Background(), testModel(t), HandoutOptions{
				Content: images.Lighthouse(32, 24), Style: images.Swirls(32, 24),
				Loss: l, Iterations: 2, Layers: []string{"conv1_1"}, Channels: 2, RaceBudget: 2, RaceSize: 16,
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, lang := range []string{English, Catalan} {
				if err := SetLanguage(lang); err != nil {
					t.Fatal(err)
				}
				html := pageHTML(t, h)
				title, name, pictures, losses, gram := esc(tr("stylerep.title")), c.nameEn, "style loss (", "β·w_l·b·E_l", "does not compare Gram matrices"
				if lang == Catalan {
					name, pictures, gram = c.nameCa, "la pèrdua d'estil <code>", "no compara matrius de Gram"
				}
				for _, want := range []string{title, name, styleLossSignatures[c.loss].formula, styleLossSignatures[c.loss].reference,
					"<code>" + string(c.loss) + "</code> — " + name, "--style-loss " + string(c.loss), pictures, losses, gram,
					tr(c.agree), "k(x, y) = (xᵀy)²"} {
					if !strings.Contains(html, want) {
						t.Errorf("%s: the handout lacks %q", lang, want)
					}
				}
				// The Gram loss's own wording is gone where it would be wrong.
				for _, key := range []string{"gram.panels.generated", "losses.notes", "method.notes", "method.gram", "pictures.intro"} {
					if strings.Contains(html, longestLiteral(tr(key))) {
						t.Errorf("%s: the handout still says %q", lang, key)
					}
				}
				if strings.Contains(html, "[[") {
					t.Errorf("%s: a text is missing", lang)
				}
			}
		})
	}
}

// longestLiteral is the longest part of a text between its format verbs.
func longestLiteral(text string) string {
	longest := ""
	for _, part := range regexp.MustCompile(`%[a-z]`).Split(text, -1) {
		if len(part) > len(longest) {
			longest = part
		}
	}
	return longest
}
