package explain

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/estil-nst/estil/nst"
)

// svgTexts parses an SVG and returns the text of its <text> elements, in order, or an error where
// it is not well-formed XML with an <svg> root.
func svgTexts(svg []byte) ([]string, error) {
	dec := xml.NewDecoder(bytes.NewReader(svg))
	var texts []string
	depth, inText, root := 0, false, ""
	var cur strings.Builder
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("not well-formed XML: %w", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				root = tok.Name.Local
			}
			depth++
			if tok.Name.Local == "text" {
				inText = true
				cur.Reset()
			}
		case xml.EndElement:
			depth--
			if tok.Name.Local == "text" {
				inText = false
				texts = append(texts, cur.String())
			}
		case xml.CharData:
			if inText {
				cur.Write(tok)
			}
		}
	}
	if root != "svg" {
		return nil, fmt.Errorf("the root element is <%s>, not <svg>", root)
	}
	return texts, nil
}

// pipelineProblems says what is wrong with a drawing of the pipeline diagram in lang: XML that
// does not parse, a convolution of VGG19 not named, a formula missing (the content loss, the Gram
// matrix, the style term E_l, the style sum, the total, α and β), the default loss's layer weights
// not in order, a missing text key, English left in the Catalan drawing, no fallback fonts.
func pipelineProblems(svg []byte, lang string) []string {
	formulas := map[string][]string{
		English: {"content = mean((T − C)²)", "G = F·Fᵀ", "E_l = mean((G_T − G_S)²) / (d·h·w)",
			"style = Σ_l w_l·E_l", "L = α·content + β·style", "α = 1, β = 10⁶", "Gatys et al. 2016"},
		Catalan: {"contingut = mitjana((T − C)²)", "G = F·Fᵀ", "E_l = mitjana((G_T − G_S)²) / (d·h·w)",
			"estil = Σ_l w_l·E_l", "L = α·contingut + β·estil", "α = 1, β = 10⁶", "Gatys et al. 2016"},
	}
	weights := map[string]string{
		English: "w_l = 1|w_l = 0.75|w_l = 0.2|w_l = 0.2|w_l = 0.2",
		Catalan: "w_l = 1|w_l = 0,75|w_l = 0,2|w_l = 0,2|w_l = 0,2",
	}
	texts, err := svgTexts(svg)
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	all := strings.Join(texts, "\n")
	has := map[string]bool{}
	for _, x := range texts {
		has[x] = true
	}
	for _, name := range nst.ConvNames() {
		if !has[name] {
			problems = append(problems, fmt.Sprintf("no row for layer %s", name))
		}
	}
	for _, f := range formulas[lang] {
		if !strings.Contains(all, f) {
			problems = append(problems, fmt.Sprintf("no formula %q", f))
		}
	}
	var ws []string
	for _, x := range texts {
		if strings.HasPrefix(x, "w_l = ") {
			ws = append(ws, x)
		}
	}
	if got := strings.Join(ws, "|"); got != weights[lang] {
		problems = append(problems, fmt.Sprintf("style weights %q, want %q", got, weights[lang]))
	}
	if n := strings.Count(all, "G = F·Fᵀ"); n != len(nst.DefaultLoss().StyleLayers) {
		problems = append(problems, fmt.Sprintf("%d Gram matrices drawn, want one per style layer", n))
	}
	if strings.Contains(all, "[[") {
		problems = append(problems, "a text key is missing")
	}
	if lang == Catalan && (strings.Contains(all, "content") || strings.Contains(all, "style ")) {
		problems = append(problems, "English left in the Catalan drawing")
	}
	// Viewers without Liberation Sans get a sans-serif font of the same widths.
	if !bytes.Contains(svg, []byte("font-family:'Liberation Sans',Arial,Helvetica,sans-serif;")) {
		problems = append(problems, "no fallback fonts")
	}
	return problems
}

// TestPipelineDiagram checks both languages' drawings, and that drawing twice gives the same
// bytes (the guide's copies are compared byte by byte with what the code draws).
func TestPipelineDiagram(t *testing.T) {
	for _, lang := range []string{English, Catalan} {
		t.Run(lang, func(t *testing.T) {
			var buf, again bytes.Buffer
			if err := PipelineDiagram(&buf, lang); err != nil {
				t.Fatal(err)
			}
			for _, p := range pipelineProblems(buf.Bytes(), lang) {
				t.Error(p)
			}
			if err := PipelineDiagram(&again, lang); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), again.Bytes()) {
				t.Error("two drawings of the diagram differ")
			}
		})
	}
	if err := PipelineDiagram(io.Discard, "fr"); err == nil {
		t.Error("PipelineDiagram(fr) gave no error")
	}
}

// TestPipelineProblemsCatchMistakes plants mistakes in a correct drawing and checks that
// pipelineProblems reports each one.
func TestPipelineProblemsCatchMistakes(t *testing.T) {
	var en, ca bytes.Buffer
	if err := PipelineDiagram(&en, English); err != nil {
		t.Fatal(err)
	}
	if err := PipelineDiagram(&ca, Catalan); err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct {
		lang, from, to string
		src            *bytes.Buffer
	}{
		{English, ">conv3_3<", ">conv3_9<", &en},
		{English, "mean((T − C)²)", "mean(T − C)", &en},
		{English, ">G = F·Fᵀ<", ">G = Fᵀ·F<", &en},
		{English, "(d·h·w)", "(h·w)", &en},
		{English, "w_l = 0.75", "w_l = 0.5", &en},
		{English, "</text>", "</txet>", &en},
		{English, "Arial,", "", &en},
		{Catalan, "mitjana((T − C)²)", "mean((T − C)²)", &ca},
		{Catalan, "L = α·contingut + β·estil", "L = α·content + β·style", &ca},
	} {
		n := 1
		if m.from == "Arial," {
			n = -1 // every text names its fonts
		}
		mutated := strings.Replace(m.src.String(), m.from, m.to, n)
		if mutated == m.src.String() {
			t.Fatalf("%q is not in the %s drawing", m.from, m.lang)
		}
		if p := pipelineProblems([]byte(mutated), m.lang); len(p) == 0 {
			t.Errorf("%s: replacing %q by %q went unnoticed", m.lang, m.from, m.to)
		}
	}
}
