// Package nbgen turns one bilingual notebook source into GoNB notebooks, one per language.
//
// Why a generator: the English and Catalan notebooks must run exactly the same code and differ
// only in their prose. Kept by hand, two copies drift apart the first time someone fixes a bug
// in one of them. Here each notebook has one source file (notebooks/src/NN_name.nb) in which
// every code cell appears once and every text cell appears in both languages, next to each
// other, so a translator sees the English right above the Catalan they are writing.
//
// # Source format
//
// A source is a sequence of cells, each introduced by a marker line:
//
//	--- md en          Markdown in English; must be followed at once by
//	--- md ca          the same text in Catalan.
//	--- code           Go code for GoNB, the same in every language.
//	--- code figure    Go code that must display at least one figure when executed
//	                   (the execution test checks it).
//	--- setup          The standard first cell that makes GoNB use this repository's module
//	                   (see SetupCell); it takes no body.
//
// In code, {{LANG}} is replaced by the notebook's language ("en" or "ca"), so that a cell can
// call explain.SetLanguage("{{LANG}}") and print its explanations in the reader's language, and
// {{English|Catalan}} by one of its two texts: for the captions and messages a cell prints,
// which are prose, not code (e.g. nbkit.Picture{Caption: "{{result|resultat}}"}).
// Lines before the first marker, and lines starting with "#!" anywhere, are comments for the
// source's authors.
package nbgen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Languages are the languages every notebook is generated in, in this order.
var Languages = []string{"en", "ca"}

// SetupCell is the first code cell of every notebook. GoNB compiles each cell in a temporary
// module of its own; this makes that module part of a Go workspace with estil's module, so that
// `import "github.com/estil-nst/estil/..."` finds its packages: the module at $ESTIL_ROOT (a system
// install for a classroom sets it in the kernel's environment: docker/install.sh --system), else
// the checkout two folders above notebooks/en/. It requires GoNB's own packages (gonbui) at the
// version estil's go.mod pins, read from that go.mod, with `go mod edit`: nothing is resolved or
// downloaded at run time, so the cell works offline and with a read-only module cache
// (GOPROXY=off).
const SetupCell = `!*rm -f go.work && root="${ESTIL_ROOT:-${GONB_DIR}/../..}" && go work init && go work use . "$root" && ` +
	`go mod edit -require="github.com/janpfeifer/gonb@$(awk '$1 == "github.com/janpfeifer/gonb" {print $2}' "$root/go.mod")"
%goworkfix`

// CellKind says what a cell holds.
type CellKind int

const (
	Markdown CellKind = iota
	Code
)

// Cell is one cell of a bilingual source.
type Cell struct {
	Kind CellKind
	// Text is the markdown per language (Kind == Markdown), or the code under the key "" (Kind == Code).
	Text map[string]string
	// Figure says the code cell must display a figure when executed.
	Figure bool
	// Line is where the cell starts in the source, for error messages.
	Line int
}

// Source is a parsed bilingual notebook.
type Source struct {
	Name  string // e.g. "01_vgg19"
	Cells []Cell
}

// Parse reads a bilingual source; name is used in error messages and as the notebook's name.
func Parse(name string, src []byte) (*Source, error) {
	s := &Source{Name: name}
	var cur *Cell
	var curLang string
	var body []string
	flush := func() {
		if cur == nil {
			return
		}
		text := strings.Trim(strings.Join(body, "\n"), "\n")
		if cur.Kind == Markdown {
			cur.Text[curLang] = text
		} else if cur.Text[""] == "" {
			cur.Text[""] = text
		}
		body = nil
	}
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		l := sc.Text()
		if strings.HasPrefix(l, "#!") {
			continue
		}
		if !strings.HasPrefix(l, "--- ") {
			if cur == nil {
				continue // preamble
			}
			body = append(body, l)
			continue
		}
		flush()
		f := strings.Fields(strings.TrimPrefix(l, "--- "))
		switch {
		case len(f) == 2 && f[0] == "md" && f[1] == "en":
			if cur != nil && cur.Kind == Markdown && cur.Text["ca"] == "" && curLang == "en" {
				return nil, fmt.Errorf("%s:%d: English text at line %d has no Catalan translation (--- md ca) after it", name, line, cur.Line)
			}
			s.Cells = append(s.Cells, Cell{Kind: Markdown, Text: map[string]string{}, Line: line})
			cur, curLang = &s.Cells[len(s.Cells)-1], "en"
		case len(f) == 2 && f[0] == "md" && f[1] == "ca":
			if cur == nil || cur.Kind != Markdown || curLang != "en" {
				return nil, fmt.Errorf("%s:%d: Catalan text (--- md ca) must follow its English text (--- md en)", name, line)
			}
			curLang = "ca"
		case (len(f) == 1 || len(f) == 2 && f[1] == "figure") && f[0] == "code", len(f) == 1 && f[0] == "setup":
			if cur != nil && cur.Kind == Markdown && curLang == "en" {
				return nil, fmt.Errorf("%s:%d: English text at line %d has no Catalan translation (--- md ca) after it", name, line, cur.Line)
			}
			s.Cells = append(s.Cells, Cell{Kind: Code, Text: map[string]string{}, Figure: len(f) == 2, Line: line})
			cur, curLang = &s.Cells[len(s.Cells)-1], ""
			if f[0] == "setup" {
				cur.Text[""] = SetupCell
			}
		default:
			return nil, fmt.Errorf("%s:%d: unknown marker %q (want --- md en, --- md ca, --- code, --- code figure or --- setup)", name, line, l)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	flush()
	if cur != nil && cur.Kind == Markdown && curLang == "en" {
		return nil, fmt.Errorf("%s:%d: English text has no Catalan translation (--- md ca) after it", name, cur.Line)
	}
	if len(s.Cells) == 0 {
		return nil, fmt.Errorf("%s: no cells", name)
	}
	for _, c := range s.Cells {
		for _, lang := range c.langs() {
			if strings.TrimSpace(c.Text[lang]) == "" {
				return nil, fmt.Errorf("%s:%d: empty cell", name, c.Line)
			}
		}
	}
	return s, nil
}

func (c Cell) langs() []string {
	if c.Kind == Markdown {
		return Languages
	}
	return []string{""}
}

// Render returns the .ipynb (nbformat 4.5) of the source in one language. The output is
// deterministic (sorted keys, fixed cell ids, no outputs), so that a test can compare it byte
// for byte with the committed notebook.
func (s *Source) Render(lang string) ([]byte, error) {
	known := false
	for _, l := range Languages {
		known = known || l == lang
	}
	if !known {
		return nil, fmt.Errorf("unknown language %q (want one of %v)", lang, Languages)
	}
	cells := make([]map[string]any, 0, len(s.Cells))
	for i, c := range s.Cells {
		cell := map[string]any{
			"id":       fmt.Sprintf("%s-%02d", lang, i+1),
			"metadata": map[string]any{},
		}
		if c.Kind == Markdown {
			cell["cell_type"] = "markdown"
			cell["source"] = splitLines(c.Text[lang])
		} else {
			cell["cell_type"] = "code"
			cell["execution_count"] = nil
			cell["outputs"] = []any{}
			cell["source"] = splitLines(localize(c.Text[""], lang))
			if c.Figure {
				// Read by the execution test; Jupyter keeps unknown metadata.
				cell["metadata"] = map[string]any{"estil": map[string]any{"figure": true}}
			}
		}
		cells = append(cells, cell)
	}
	nb := map[string]any{
		"cells": cells,
		"metadata": map[string]any{
			"kernelspec": map[string]any{"display_name": "Go (gonb)", "language": "go", "name": "gonb"},
			"language_info": map[string]any{
				"codemirror_mode": "", "file_extension": ".go", "mimetype": "text/x-go",
				"name": "go", "nbconvert_exporter": "", "pygments_lexer": "", "version": "go1.26",
			},
			"estil": map[string]any{
				"generated_from": "notebooks/src/" + s.Name + ".nb",
				"note":           "generated by `go generate ./notebooks`: edit the source, not this file",
			},
		},
		"nbformat":       4,
		"nbformat_minor": 5,
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(nb); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// bilingual matches {{English|Catalan}} in code.
var bilingual = regexp.MustCompile(`\{\{([^{}|\n]*)\|([^{}|\n]*)\}\}`)

// localize puts a code cell into lang: {{LANG}} becomes lang, {{English|Catalan}} one of the two.
func localize(code, lang string) string {
	code = strings.ReplaceAll(code, "{{LANG}}", lang)
	pick := "$1"
	if lang == "ca" {
		pick = "$2"
	}
	return bilingual.ReplaceAllString(code, pick)
}

// splitLines splits text the way Jupyter stores a cell's source: lines keep their "\n",
// except the last.
func splitLines(text string) []string {
	lines := strings.SplitAfter(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}
