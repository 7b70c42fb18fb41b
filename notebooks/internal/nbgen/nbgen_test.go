package nbgen

import (
	"encoding/json"
	"strings"
	"testing"
)

const sample = `preamble ignored
--- md en
# Hello
--- md ca
# Hola
--- setup
--- code figure
#! authors' note, not in the notebook
explain.SetLanguage("{{LANG}}")
x := 1
fmt.Println("{{result|resultat}}", "{{a|b}}{{c|d}}")
`

func TestParseAndRender(t *testing.T) {
	s, err := Parse("00_x", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Cells) != 3 {
		t.Fatalf("got %d cells, want 3", len(s.Cells))
	}
	for _, lang := range Languages {
		data, err := s.Render(lang)
		if err != nil {
			t.Fatal(err)
		}
		var nb struct {
			Cells []struct {
				ID       string         `json:"id"`
				Type     string         `json:"cell_type"`
				Source   []string       `json:"source"`
				Metadata map[string]any `json:"metadata"`
			} `json:"cells"`
			Metadata struct {
				Kernelspec struct{ Name string } `json:"kernelspec"`
			} `json:"metadata"`
			Format int `json:"nbformat"`
		}
		if err := json.Unmarshal(data, &nb); err != nil {
			t.Fatal(err)
		}
		if nb.Metadata.Kernelspec.Name != "gonb" || nb.Format != 4 {
			t.Errorf("%s: kernel %q, nbformat %d", lang, nb.Metadata.Kernelspec.Name, nb.Format)
		}
		want := map[string]string{"en": "# Hello", "ca": "# Hola"}[lang]
		if got := strings.Join(nb.Cells[0].Source, ""); got != want {
			t.Errorf("%s: markdown %q, want %q", lang, got, want)
		}
		if got := strings.Join(nb.Cells[1].Source, ""); got != SetupCell {
			t.Errorf("%s: setup cell %q", lang, got)
		}
		code := strings.Join(nb.Cells[2].Source, "")
		words := map[string]string{"en": `"result", "ac"`, "ca": `"resultat", "bd"`}[lang]
		if code != "explain.SetLanguage(\""+lang+"\")\nx := 1\nfmt.Println("+words+")" {
			t.Errorf("%s: code %q", lang, code)
		}
		if nb.Cells[2].Metadata["estil"] == nil || nb.Cells[1].Metadata["estil"] != nil {
			t.Errorf("%s: figure marks %v / %v", lang, nb.Cells[2].Metadata, nb.Cells[1].Metadata)
		}
		if nb.Cells[2].ID != lang+"-03" {
			t.Errorf("cell id %q", nb.Cells[2].ID)
		}
	}
	a, _ := s.Render("en")
	b, _ := s.Render("en")
	if string(a) != string(b) {
		t.Error("rendering is not deterministic")
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"--- md en\nHi\n--- code\nx", "no Catalan translation"},
		{"--- md en\nHi", "no Catalan translation"},
		{"--- md ca\nHola", "must follow its English"},
		{"--- code\nx\n--- md ca\nHola", "must follow its English"},
		{"--- cod\nx", "unknown marker"},
		{"--- code\n\n", "empty cell"},
		{"--- md en\nHi\n--- md ca\n\n", "empty cell"},
		{"nothing", "no cells"},
	} {
		_, err := Parse("t", []byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tc.src, err, tc.want)
		}
	}
	if _, err := (&Source{}).Render("fr"); err == nil {
		t.Error("Render(fr) did not fail")
	}
}

func TestSplitLines(t *testing.T) {
	got := splitLines("a\nb\n\nc")
	want := []string{"a\n", "b\n", "\n", "c"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("splitLines = %q, want %q", got, want)
	}
}
