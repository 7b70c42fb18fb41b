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
//	--- exercise ID    An implement-and-check exercise's function (no body; ID is one of
//	                   notebooks/teacher/exercises.Exercises): a stub in the student's copy,
//	                   the solution in the teacher's.
//	--- check ID       The check cell that follows it (no body): explain.SetLanguage, then
//	                   nbkit.Graded(the check).
//	--- prediction     A markdown cell where the student writes a prediction (no body).
//
// Markdown may hold fenced blocks, a line "::: kind" opening and a line ":::" closing each
// (indented like the text they belong to, e.g. inside a list item):
//
//	::: expected       folded "Check your prediction" block, in both copies;
//	::: answer         folded answer in the teacher's copy, left out of the student's;
//	::: teacher        a note for the teacher in the teacher's copy only;
//	::: random         folded "If your first cell printed RANDOM WEIGHTS" box, in both;
//	::: unverified     a visible warning that a claim is not yet checked with the real weights.
//
// Raw <details> is refused in sources, so that no answer reaches the student's copy unmarked.
//
// # Two copies
//
// Each notebook is made twice per language: the student's copy (Student: notebooks/en, ca)
// without answers, teacher notes or solutions, and the teacher's (Teacher: notebooks/teacher/en,
// ca) with all three. Both carry nbgrader's cell metadata (schema 3): the exercise cells are
// solution cells, the check cells autograded tests with points, the prediction cells answers
// graded by hand, the setup cell locked. A third version, not committed, is nbgrader's source
// version (Nbgrader): the student's text with the teacher's solutions between // BEGIN SOLUTION
// and // END SOLUTION, which nbgrader's generate_assignment turns into the student's copy.
package nbgen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/estil-nst/estil/notebooks/teacher/exercises"
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

// setupCell is SetupCell for a notebook of variant v, whose folder lies one level deeper in the
// teacher's copy (notebooks/teacher/en).
func setupCell(v Variant) string {
	if v == Teacher {
		return strings.Replace(SetupCell, "${GONB_DIR}/../..", "${GONB_DIR}/../../..", 1)
	}
	return SetupCell
}

// Variant is one of a notebook's two copies.
type Variant int

const (
	Student Variant = iota // no answers, teacher notes or solutions
	Teacher                // everything
	// Nbgrader is nbgrader's source version of an assignment: the student's text with the
	// teacher's solutions, which nbgrader's generate_assignment turns into the student's copy.
	// (The teacher's copy cannot be: nbgrader releases markdown as it is, answers and all.) It is
	// not committed; `go run ./notebooks/gen -nbgrader DIR` writes it.
	Nbgrader
)

// Variants are the copies every notebook is generated in.
var Variants = []Variant{Student, Teacher}

// Dir is the folder of variant v's notebooks in lang, relative to notebooks/: "en", "teacher/ca".
func (v Variant) Dir(lang string) string {
	if v == Teacher {
		return "teacher/" + lang
	}
	return lang
}

func (v Variant) String() string {
	return [...]string{"student", "teacher", "nbgrader"}[v]
}

// CellKind says what a cell holds.
type CellKind int

const (
	Markdown CellKind = iota
	Code
	// Exercise is an implement-and-check exercise's function: stub or solution (Cell.Exercise).
	Exercise
	// Check is an exercise's check cell (Cell.Exercise).
	Check
	// Prediction is a markdown cell where the student writes a prediction.
	Prediction
)

// Cell is one cell of a bilingual source.
type Cell struct {
	Kind CellKind
	// Text is the markdown per language (Kind == Markdown), or the code under the key "" (Kind == Code).
	Text map[string]string
	// Figure says the code cell must display a figure when executed.
	Figure bool
	// Setup says the cell is the setup cell (--- setup).
	Setup bool
	// Exercise is the exercise's ID, for Kind Exercise and Check.
	Exercise string
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
	var bodyErr error
	flush := func() {
		if cur == nil {
			return
		}
		text := strings.Trim(strings.Join(body, "\n"), "\n")
		if curLang == "generated" {
			if strings.TrimSpace(text) != "" {
				bodyErr = fmt.Errorf("%s:%d: this cell is generated and takes no body", name, cur.Line)
			}
		} else if cur.Kind == Markdown {
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
				cur.Text[""], cur.Setup = SetupCell, true
			}
		case len(f) == 2 && (f[0] == "exercise" || f[0] == "check"), len(f) == 1 && f[0] == "prediction":
			if cur != nil && cur.Kind == Markdown && curLang == "en" {
				return nil, fmt.Errorf("%s:%d: English text at line %d has no Catalan translation (--- md ca) after it", name, line, cur.Line)
			}
			kind := map[string]CellKind{"exercise": Exercise, "check": Check, "prediction": Prediction}[f[0]]
			c := Cell{Kind: kind, Text: map[string]string{}, Line: line}
			if kind != Prediction {
				c.Exercise = f[1]
				if _, ok := exerciseByID(f[1]); !ok {
					return nil, fmt.Errorf("%s:%d: no exercise %q in notebooks/teacher/exercises", name, line, f[1])
				}
			}
			s.Cells = append(s.Cells, c)
			cur, curLang = &s.Cells[len(s.Cells)-1], "generated"
		default:
			return nil, fmt.Errorf("%s:%d: unknown marker %q (want --- md en, --- md ca, --- code, --- code figure, --- setup, --- exercise ID, --- check ID or --- prediction)", name, line, l)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	flush()
	if bodyErr != nil {
		return nil, bodyErr
	}
	if cur != nil && cur.Kind == Markdown && curLang == "en" {
		return nil, fmt.Errorf("%s:%d: English text has no Catalan translation (--- md ca) after it", name, cur.Line)
	}
	if len(s.Cells) == 0 {
		return nil, fmt.Errorf("%s: no cells", name)
	}
	checked := map[string]bool{}
	for i, c := range s.Cells {
		for _, lang := range c.langs() {
			if strings.TrimSpace(c.Text[lang]) == "" {
				return nil, fmt.Errorf("%s:%d: empty cell", name, c.Line)
			}
			if c.Kind != Markdown {
				continue
			}
			if strings.Contains(strings.ToLower(c.Text[lang]), "<details") {
				return nil, fmt.Errorf("%s:%d (%s): raw <details> in the text: use a ::: answer, ::: expected or ::: random block", name, c.Line, lang)
			}
			for _, v := range Variants {
				if _, err := renderBlocks(c.Text[lang], lang, v); err != nil {
					return nil, fmt.Errorf("%s:%d (%s): %w", name, c.Line, lang, err)
				}
			}
		}
		switch c.Kind {
		case Exercise:
			if i+1 >= len(s.Cells) || s.Cells[i+1].Kind != Check || s.Cells[i+1].Exercise != c.Exercise {
				return nil, fmt.Errorf("%s:%d: exercise %s must be followed at once by its --- check %s", name, c.Line, c.Exercise, c.Exercise)
			}
			if e, _ := exerciseByID(c.Exercise); e.Notebook != name {
				return nil, fmt.Errorf("%s:%d: exercise %s belongs to notebook %s", name, c.Line, c.Exercise, e.Notebook)
			}
		case Check:
			if checked[c.Exercise] {
				return nil, fmt.Errorf("%s:%d: exercise %s checked twice", name, c.Line, c.Exercise)
			}
			checked[c.Exercise] = true
		}
	}
	return s, nil
}

// exerciseByID finds an implement-and-check exercise.
func exerciseByID(id string) (exercises.Exercise, bool) {
	for _, e := range exercises.Exercises() {
		if e.ID == id {
			return e, true
		}
	}
	return exercises.Exercise{}, false
}

func (c Cell) langs() []string {
	switch c.Kind {
	case Markdown:
		return Languages
	case Code:
		return []string{""}
	}
	return nil // generated
}

// Render returns the .ipynb (nbformat 4.5) of variant v of the source in one language. The
// output is deterministic (sorted keys, fixed cell ids, no outputs), so that a test can compare
// it byte for byte with the committed notebook. Cell ids are the same in both copies.
func (s *Source) Render(lang string, v Variant) ([]byte, error) {
	known := false
	for _, l := range Languages {
		known = known || l == lang
	}
	if !known {
		return nil, fmt.Errorf("unknown language %q (want one of %v)", lang, Languages)
	}
	cells := make([]map[string]any, 0, len(s.Cells))
	predictions := 0
	for i, c := range s.Cells {
		id := fmt.Sprintf("%s-%02d", lang, i+1)
		metadata := map[string]any{}
		var source string
		kind := "code"
		switch c.Kind {
		case Markdown:
			kind = "markdown"
			text, err := renderBlocks(c.Text[lang], lang, v)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", s.Name, c.Line, err)
			}
			if strings.TrimSpace(text) == "" {
				continue // only teacher's material, in the student's copy
			}
			source = text
		case Code:
			source = localize(c.Text[""], lang)
			if c.Setup {
				source = setupCell(v)
				metadata["nbgrader"] = nbgrader(s.Name[:2]+"-setup", false, false, true, 0)
				metadata["editable"], metadata["deletable"] = false, false
			}
			if c.Figure {
				// Read by the execution test; Jupyter keeps unknown metadata.
				metadata["estil"] = map[string]any{"figure": true}
			}
		case Exercise:
			e, _ := exerciseByID(c.Exercise)
			if v != Student {
				source = e.Solution(lang)
			} else {
				source = e.Stub(lang)
			}
			source = strings.TrimSuffix(source, "\n")
			metadata["nbgrader"] = nbgrader(e.ID, true, false, false, 0)
			metadata["estil"] = map[string]any{"exercise": e.ID}
		case Check:
			e, _ := exerciseByID(c.Exercise)
			// Each GoNB cell is a program of its own: the check says its hints in the notebook's
			// language only if the cell sets it.
			source = "%%\nexplain.SetLanguage(\"" + lang + "\")\nnbkit.Graded(" + e.Check + ")"
			metadata["nbgrader"] = nbgrader(e.ID+"-check", false, true, true, e.Points)
			metadata["editable"], metadata["deletable"] = false, false
			metadata["estil"] = map[string]any{"check": e.ID}
		case Prediction:
			kind = "markdown"
			predictions++
			source = pick(lang, "✍ **Your prediction** (double-click this cell and write it here, before you run the next cell):",
				"✍ **La vostra predicció** (feu doble clic en aquesta cel·la i escriviu-la aquí abans d'executar la cel·la següent):")
			metadata["nbgrader"] = nbgrader(fmt.Sprintf("%s-prediction-%d", s.Name[:2], predictions), true, true, false, 1)
		}
		cell := map[string]any{"id": id, "cell_type": kind, "metadata": metadata, "source": splitLines(source)}
		if kind == "code" {
			cell["execution_count"] = nil
			cell["outputs"] = []any{}
		}
		cells = append(cells, cell)
	}
	copyNote := [...]string{"the student's copy: no answers, teacher notes or solutions",
		"the teacher's copy: answers, teacher notes and solutions",
		"nbgrader's source version: the student's text with the teacher's solutions"}[v]
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
				"copy":           copyNote,
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

// nbgrader is a cell's nbgrader metadata (schema version 3): a solution cell is where the student
// answers, a graded one is worth points (autograded when it is code and not a solution, graded
// by hand when it is a solution), a locked one is read-only.
func nbgrader(id string, solution, grade, locked bool, points int) map[string]any {
	m := map[string]any{"grade": grade, "grade_id": id, "locked": locked, "schema_version": 3, "solution": solution, "task": false}
	if grade {
		m["points"] = points
	}
	return m
}

func pick(lang, en, ca string) string {
	if lang == "ca" {
		return ca
	}
	return en
}

// blockTitles are the folded blocks' summaries and the notes' headings, per kind and language.
var blockTitles = map[string][2]string{
	"expected":   {"Check your prediction", "Comproveu la vostra predicció"},
	"answer":     {"Answer", "Resposta"},
	"random":     {"If your first cell printed RANDOM WEIGHTS", "Si la primera cel·la ha dit PESOS ALEATORIS"},
	"teacher":    {"🧑‍🏫 For the teacher.", "🧑‍🏫 Per al professorat."},
	"unverified": {"⚠️ Not yet checked with the real weights.", "⚠️ Encara no comprovat amb els pesos reals."},
}

// renderBlocks expands the ::: blocks of a markdown text for variant v: expected, answer and
// random become folded <details> (answer in the teacher's copy only), teacher a quoted note in
// the teacher's copy only, unverified a quoted warning.
func renderBlocks(md, lang string, v Variant) (string, error) {
	var out []string
	lines := strings.Split(md, "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		t := strings.TrimSpace(l)
		if !strings.HasPrefix(t, ":::") {
			out = append(out, l)
			continue
		}
		kind := strings.TrimSpace(strings.TrimPrefix(t, ":::"))
		titles, ok := blockTitles[kind]
		if !ok {
			if kind == "" {
				return "", fmt.Errorf("a ::: that closes no block")
			}
			return "", fmt.Errorf("unknown block ::: %s (want expected, answer, teacher, random or unverified)", kind)
		}
		indent := l[:len(l)-len(strings.TrimLeft(l, " "))]
		var body []string
		closed := false
		for i++; i < len(lines); i++ {
			if t := strings.TrimSpace(lines[i]); t == ":::" {
				closed = true
				break
			} else if strings.HasPrefix(t, ":::") {
				return "", fmt.Errorf("::: %s: blocks do not nest (close it with ::: first)", kind)
			}
			body = append(body, lines[i])
		}
		if !closed {
			return "", fmt.Errorf("::: %s is never closed", kind)
		}
		text := strings.Trim(strings.Join(body, "\n"), "\n")
		if strings.TrimSpace(text) == "" {
			return "", fmt.Errorf("::: %s is empty", kind)
		}
		title := pick(lang, titles[0], titles[1])
		switch {
		case (kind == "answer" || kind == "teacher") && v != Teacher:
			// left out; drop the blank line before it too, if the block stood alone
			for len(out) > 0 && strings.TrimSpace(out[len(out)-1]) == "" && i+1 < len(lines) && strings.TrimSpace(lines[i+1]) == "" {
				out = out[:len(out)-1]
			}
		case kind == "teacher" || kind == "unverified":
			for j, b := range strings.Split(text, "\n") {
				b = strings.TrimPrefix(b, indent)
				if j == 0 {
					b = "**" + title + "** " + b
				}
				out = append(out, strings.TrimRight(indent+"> "+b, " "))
			}
		default:
			out = append(out, indent+"<details><summary>"+title+"</summary>", "")
			out = append(out, strings.Split(text, "\n")...)
			// A blank line before </details> too: Jupyter's markdown renderers (marked in the
			// notebook, mistune in nbconvert) leave the text raw, *Expected* and all, without it.
			out = append(out, "", indent+"</details>")
		}
	}
	return strings.Join(out, "\n"), nil
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
