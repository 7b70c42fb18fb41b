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
		data, err := s.Render(lang, Student)
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
	a, _ := s.Render("en", Teacher)
	b, _ := s.Render("en", Teacher)
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
		{"--- exercise 99-nothing", "no exercise"},
		{"--- exercise 03-gram\n--- code\nx", "followed at once by its --- check"},
		{"--- exercise 03-gram\nfunc f() {}\n--- check 03-gram", "takes no body"},
		{"--- exercise 03-gram-hw\n--- check 03-gram", "followed at once"},
		{"--- md en\n<details><summary>Answer</summary>x</details>\n--- md ca\nHola", "raw <details>"},
		{"--- md en\n::: answer\nx\n--- md ca\nHola", "never closed"},
		{"--- md en\n::: answers\nx\n:::\n--- md ca\nHola", "unknown block"},
		{"--- md en\n::: answer\n::: expected\nx\n:::\n--- md ca\nHola", "do not nest"},
		{"--- md en\nHi\n:::\n--- md ca\nHola", "closes no block"},
		{"--- md en\n::: teacher\n\n:::\n--- md ca\nHola", "is empty"},
	} {
		_, err := Parse("t", []byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tc.src, err, tc.want)
		}
	}
	if _, err := (&Source{}).Render("fr", Student); err == nil {
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

// bilingualExercise is a source with an exercise, its check, a prediction and every kind of block.
const bilingualExercise = `--- md en
1. Predict it.
   ::: expected
   *Expected*: ten.
   :::
   ::: answer
   Because.
   :::

::: teacher
Ask why.
:::
::: random
Noise.
:::
::: unverified
Real weights would show swirls.
:::
--- md ca
1. Prediu-ho.
   ::: expected
   *Què n'heu d'esperar*: deu.
   :::
   ::: answer
   Perquè sí.
   :::

::: teacher
Pregunteu per què.
:::
::: random
Soroll.
:::
::: unverified
Amb els pesos reals es veurien remolins.
:::
--- md en
::: teacher
Only for the teacher.
:::
--- md ca
::: teacher
Només per al professorat.
:::
--- setup
--- prediction
--- exercise 03-gram
--- check 03-gram
`

// TestCopies: the student's copy has no answers, teacher notes or solutions, and the stub; the
// teacher's has all of them; both fold Expected, carry nbgrader's metadata and the same cell ids.
func TestCopies(t *testing.T) {
	s, err := Parse("03_gram", []byte(bilingualExercise))
	if err != nil {
		t.Fatal(err)
	}
	type cell struct {
		ID       string         `json:"id"`
		Type     string         `json:"cell_type"`
		Source   []string       `json:"source"`
		Metadata map[string]any `json:"metadata"`
	}
	render := func(lang string, v Variant) (cells []cell, all string) {
		data, err := s.Render(lang, v)
		if err != nil {
			t.Fatal(err)
		}
		var nb struct{ Cells []cell }
		if err := json.Unmarshal(data, &nb); err != nil {
			t.Fatal(err)
		}
		return nb.Cells, string(data)
	}
	for _, lang := range Languages {
		student, sAll := render(lang, Student)
		teacher, tAll := render(lang, Teacher)
		if len(student) != 5 || len(teacher) != 6 {
			t.Fatalf("%s: %d student cells (want 5: the teacher-only cell goes), %d teacher cells (want 6)", lang, len(student), len(teacher))
		}
		for _, want := range []string{"<details><summary>" + pick(lang, "Check your prediction", "Comproveu la vostra predicció") + "</summary>",
			pick(lang, "RANDOM WEIGHTS", "PESOS ALEATORIS"), pick(lang, "Not yet checked", "Encara no comprovat"), "// TODO", "nbkit.Graded(nbkit.CheckGram("} {
			if !strings.Contains(sAll, want) {
				t.Errorf("%s: the student's copy lacks %q", lang, want)
			}
		}
		for _, leak := range []string{pick(lang, "Because.", "Perquè sí."), pick(lang, "Ask why", "Pregunteu per què"), pick(lang, "Only for the teacher", "Només per al professorat"),
			pick(lang, "<summary>Answer", "<summary>Resposta"), "BEGIN SOLUTION", "graph.MatMul(flat", ":::"} {
			if strings.Contains(sAll, leak) {
				t.Errorf("%s: the student's copy gives away %q", lang, leak)
			}
		}
		for _, want := range []string{pick(lang, "<summary>Answer", "<summary>Resposta"), pick(lang, "> **🧑‍🏫 For the teacher.** Ask why.", "> **🧑‍🏫 Per al professorat.** Pregunteu per què."),
			"// BEGIN SOLUTION", "graph.MatMul(flat", "// END SOLUTION", "${GONB_DIR}/../../.."} {
			if !strings.Contains(tAll, want) {
				t.Errorf("%s: the teacher's copy lacks %q", lang, want)
			}
		}
		_, nAll := render(lang, Nbgrader)
		if !strings.Contains(nAll, "// BEGIN SOLUTION") || strings.Contains(nAll, pick(lang, "Because.", "Perquè sí.")) || strings.Contains(nAll, pick(lang, "Ask why", "Pregunteu per què")) {
			t.Errorf("%s: nbgrader's source version must have the solutions and no answers or teacher notes:\n%s", lang, nAll)
		}
		// The blocks inside the list item keep its indentation.
		if !strings.Contains(sAll, `"   <details><summary>`) || !strings.Contains(sAll, `"   </details>`) {
			t.Errorf("%s: a folded block lost its list item's indentation:\n%s", lang, sAll)
		}
		for i, id := range []string{"03-setup", "03-prediction-1", "03-gram", "03-gram-check"} {
			st, te := student[i+1], teacher[i+2]
			if st.ID != te.ID {
				t.Errorf("%s: cell ids differ between the copies: %s, %s", lang, st.ID, te.ID)
			}
			for _, c := range []cell{st, te} {
				m, _ := c.Metadata["nbgrader"].(map[string]any)
				if m["grade_id"] != id || m["schema_version"] != 3.0 {
					t.Errorf("%s: cell %s: nbgrader metadata %v, want grade_id %s", lang, c.ID, m, id)
				}
			}
		}
		check := student[4].Metadata["nbgrader"].(map[string]any)
		if check["grade"] != true || check["locked"] != true || check["points"] != 2.0 || check["solution"] != false {
			t.Errorf("%s: check cell metadata %v", lang, check)
		}
		sol := student[3].Metadata["nbgrader"].(map[string]any)
		if sol["solution"] != true || sol["grade"] != false || sol["locked"] != false {
			t.Errorf("%s: exercise cell metadata %v", lang, sol)
		}
		pred := student[2].Metadata["nbgrader"].(map[string]any)
		if student[2].Type != "markdown" || pred["solution"] != true || pred["grade"] != true || pred["points"] != 1.0 {
			t.Errorf("%s: prediction cell %v", lang, student[2])
		}
	}
}
