package notebooks

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/estil-nst/estil/notebooks/internal/nbgen"
	"github.com/estil-nst/estil/notebooks/teacher/exercises"
)

// cells returns the cells of a notebook file: their type, source and metadata.
func cells(t *testing.T, path string) []struct {
	Type     string         `json:"cell_type"`
	Source   []string       `json:"source"`
	Metadata map[string]any `json:"metadata"`
} {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var nb struct {
		Cells []struct {
			Type     string         `json:"cell_type"`
			Source   []string       `json:"source"`
			Metadata map[string]any `json:"metadata"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(data, &nb); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return nb.Cells
}

// notebookNames are the notebooks every copy must have.
var notebookNames = []string{"00_go_gonb", "01_vgg19", "02_feature_maps", "03_gram", "04_losses", "05_lbfgs", "06_transfer", "07_beyond_gram"}

// TestStudentCopiesGiveNothingAway scans the students' copies as committed: no answer, no
// teacher's note, no solution line, no nbgrader delimiter; and the teachers' copies have them.
func TestStudentCopiesGiveNothingAway(t *testing.T) {
	leaks := map[string][]string{
		"en": {"<summary>Answer</summary>", "For the teacher.", "BEGIN SOLUTION", "END SOLUTION", ":::"},
		"ca": {"<summary>Resposta</summary>", "Per al professorat.", "BEGIN SOLUTION", "END SOLUTION", ":::"},
	}
	for _, lang := range nbgen.Languages {
		var solutionLines []string
		for _, e := range exercises.Exercises() {
			sol := e.Solution(lang)
			body := sol[strings.Index(sol, "BEGIN SOLUTION\n")+len("BEGIN SOLUTION\n") : strings.Index(sol, "\t// END SOLUTION")]
			for _, l := range strings.Split(body, "\n") {
				if l = strings.TrimSpace(l); l != "" && l != "}" {
					solutionLines = append(solutionLines, l)
				}
			}
		}
		for _, name := range notebookNames {
			student, err := os.ReadFile(filepath.Join(lang, name+".ipynb"))
			if err != nil {
				t.Error(err)
				continue
			}
			teacher, err := os.ReadFile(filepath.Join("teacher", lang, name+".ipynb"))
			if err != nil {
				t.Error(err)
				continue
			}
			s, te := jsonText(t, student), jsonText(t, teacher)
			for _, leak := range append(leaks[lang], solutionLines...) {
				if strings.Contains(s, leak) {
					t.Errorf("%s/%s.ipynb (the student's copy) holds %q", lang, name, leak)
				}
			}
			if strings.Contains(s, "<summary>") && !strings.Contains(te, leaks[lang][0]) && strings.Contains(string(student), "::: answer") {
				t.Errorf("%s/%s: answers missing from the teacher's copy", lang, name)
			}
			if !strings.Contains(te, leaks[lang][1]) {
				t.Errorf("teacher/%s/%s.ipynb has no note for the teacher", lang, name)
			}
		}
	}
	for _, e := range exercises.Exercises() {
		for _, lang := range nbgen.Languages {
			te := jsonText(t, must(os.ReadFile(filepath.Join("teacher", lang, e.Notebook+".ipynb"))))
			st := jsonText(t, must(os.ReadFile(filepath.Join(lang, e.Notebook+".ipynb"))))
			if !strings.Contains(te, e.Solution(lang)) || !strings.Contains(st, e.Stub(lang)) {
				t.Errorf("exercise %s: its solution is not in teacher/%s/%s.ipynb or its stub not in %s/%s.ipynb", e.ID, lang, e.Notebook, lang, e.Notebook)
			}
		}
	}
}

// jsonText is the text of a notebook's cells, joined.
func jsonText(t *testing.T, data []byte) string {
	var nb struct {
		Cells []struct {
			Source []string `json:"source"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(data, &nb); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, c := range nb.Cells {
		b.WriteString(strings.Join(c.Source, "") + "\n")
	}
	return b.String()
}

func must(data []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return data
}

// expectedLine is a line that tells what to expect: the answer to a prediction.
var expectedLine = regexp.MustCompile(`\*Expected\*|\*Què n'heu d'esperar\*`)

// TestExpectedIsFolded: in every copy, every *Expected* line sits inside a folded "Check your
// prediction" block, and every notebook whose exercises ask for predictions has a cell to write
// each in.
func TestExpectedIsFolded(t *testing.T) {
	summary := map[string]string{"en": "<details><summary>Check your prediction</summary>", "ca": "<details><summary>Comproveu la vostra predicció</summary>"}
	for _, v := range nbgen.Variants {
		for _, lang := range nbgen.Languages {
			for _, name := range notebookNames {
				path := filepath.Join(filepath.FromSlash(v.Dir(lang)), name+".ipynb")
				expected, predictions := 0, 0
				for i, c := range cells(t, path) {
					if m, _ := c.Metadata["nbgrader"].(map[string]any); m != nil && strings.Contains(fmt.Sprint(m["grade_id"]), "prediction") {
						predictions++
					}
					folded := false
					for _, line := range c.Source {
						switch {
						case strings.Contains(line, summary[lang]):
							folded = true
							expected++
						case strings.Contains(line, "</details>"):
							folded = false
						case expectedLine.MatchString(line) && !folded:
							t.Errorf("%s, cell %d: %q is not folded", path, i+1, strings.TrimSpace(line))
						}
					}
				}
				if predictions < expected {
					t.Errorf("%s: %d folded expectations but %d cells for a prediction", path, expected, predictions)
				}
			}
		}
	}
}
