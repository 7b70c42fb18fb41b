package notebooks

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/estil-nst/estil/notebooks/internal/nbgen"
	"github.com/estil-nst/estil/notebooks/nbkit"
)

// checkCellSource is a notebook of one exercise, as 03 has it: the setup cell, the imports, the
// exercise cell and its check.
const checkCellSource = `--- setup
--- code
import (
	"github.com/gomlx/gomlx/core/graph"

	"github.com/estil-nst/estil/notebooks/nbkit"
	"github.com/estil-nst/estil/nst"
)

var _, _ = graph.Add, nst.GramMatrix
--- exercise 03-gram
--- check 03-gram
`

// transposedGram is a student's wrong answer: Fᵀ·F, one entry per pair of positions.
const transposedGram = `func gramMatrix(f *graph.Node) *graph.Node {
	d, h, w := f.Shape().Dim(0), f.Shape().Dim(1), f.Shape().Dim(2)
	flat := graph.Reshape(f, d, h*w)
	return graph.MatMul(graph.Transpose(flat, 0, 1), flat)
}`

// TestCheckCellsUnderNbgrader runs an exercise's cells in GoNB as nbgrader's autograder does
// (NBGRADER_EXECUTION=autograde) and grades them as it does: the student's stub and a planted
// wrong answer (Fᵀ·F) get no points and their hints, the teacher's solution gets all of them.
// It leaves screenshots of a failing and a passing check cell, and of a folded and an opened
// prediction block, in notebooks/out/screenshots/cells/.
func TestCheckCellsUnderNbgrader(t *testing.T) {
	jupyter := needJupyter(t)
	out := outDir(t)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "src"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "src", "03_gram.nb"), []byte(checkCellSource), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := nbgen.Write(dir); err != nil {
		t.Fatal(err)
	}
	// The planted mistake: the student's copy with its stub replaced by Fᵀ·F.
	studentNB := filepath.Join(dir, "en", "03_gram.ipynb")
	planted := filepath.Join(dir, "planted", "03_gram.ipynb")
	if err := plant(studentNB, planted, "03-gram", transposedGram); err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	grading := []string{nbkit.GradingEnv + "=autograde", "ESTIL_ROOT=" + root}
	runs := []struct {
		name, nb  string
		points    float64
		printed   string
		shotTitle string
	}{
		{"stub", studentNB, 0, "// TODO", ""},
		{"transposed", planted, 0, "Fᵀ·F", "failing-check"},
		{"teacher", filepath.Join(dir, "teacher", "en", "03_gram.ipynb"), 2, "✔", "passing-check"},
	}
	var pages []string
	for _, r := range runs {
		path, err := execute(t, jupyter, r.nb, filepath.Join(dir, "executed", r.name), grading...)
		if err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var nb notebook
		if err := json.Unmarshal(data, &nb); err != nil {
			t.Fatal(err)
		}
		c := nb.Cells[len(nb.Cells)-1]
		stdout := ""
		for _, o := range c.Outputs {
			if o.Type == "stream" && o.Name == "stdout" {
				stdout += text(o.Text)
			}
		}
		if got := nbgraderPoints(c.Outputs, c.Metadata.Nbgrader.Points); got != r.points || !strings.Contains(stdout, r.printed) {
			t.Errorf("%s: %v points of %v, printed %q (%s); want %v points and %q", r.name, got, c.Metadata.Nbgrader.Points, stdout, summarize(c.Outputs), r.points, r.printed)
		}
		if r.shotTitle != "" {
			pages = append(pages, exportHTML(t, jupyter, []string{path}, filepath.Join(dir, "html", r.name))...)
		}
	}
	// The folded prediction blocks, from the student's copy of notebook 03 (not executed).
	folded := exportHTML(t, jupyter, []string{filepath.Join("en", "03_gram.ipynb")}, filepath.Join(dir, "html", "folded"))[0]
	shots := filepath.Join(out, "screenshots", "cells")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	browser := startChromium(t)
	for _, s := range []struct {
		page, text string
		open       bool
		file       string
	}{
		{pages[0], "✘", false, "failing-check.png"},
		{pages[1], "✔", false, "passing-check.png"},
		{folded, "Check your prediction", false, "prediction-folded.png"},
		{folded, "Check your prediction", true, "prediction-opened.png"},
	} {
		if err := shootCell(browser, s.page, s.text, s.open, filepath.Join(shots, s.file)); err != nil {
			t.Error(err)
		}
	}
}

// plant writes a copy of the notebook nb in which exercise id's cell holds code.
func plant(nb, to, id, code string) error {
	data, err := os.ReadFile(nb)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return err
	}
	for _, c := range doc["cells"].([]any) {
		cell := c.(map[string]any)
		if estil, _ := cell["metadata"].(map[string]any)["estil"].(map[string]any); estil["exercise"] == id {
			cell["source"] = code
		}
	}
	if data, err = json.Marshal(doc); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o644)
}
