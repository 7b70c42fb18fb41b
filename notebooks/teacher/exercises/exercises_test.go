package exercises

import (
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/estil-nst/estil/explain"
	"github.com/estil-nst/estil/notebooks/nbkit"
	"github.com/estil-nst/estil/nst"

	"github.com/estil-nst/estil/internal/testutil"
)

// inLanguages runs f with explain's language set to each of the two, as a notebook does.
func inLanguages(t *testing.T, f func(t *testing.T, lang string)) {
	t.Cleanup(func() { _ = explain.SetLanguage(explain.English) })
	for _, lang := range []string{explain.English, explain.Catalan} {
		if err := explain.SetLanguage(lang); err != nil {
			t.Fatal(err)
		}
		t.Run(lang, func(t *testing.T) { f(t, lang) })
	}
}

// solved runs each exercise's check on the teacher's solution, as its Check cell does.
var solved = map[string]struct {
	check string // the Check cell's statement that run makes
	run   func() error
}{
	"03-gram":             {"nbkit.CheckGram(nst.GramNormNone, gramMatrix)", func() error { return nbkit.CheckGram(nst.GramNormNone, gramMatrix) }},
	"03-gram-hw":          {"nbkit.CheckGram(nst.GramNormHW, gramHW)", func() error { return nbkit.CheckGram(nst.GramNormHW, gramHW) }},
	"04-content-loss":     {"nbkit.CheckContentLoss(contentLoss)", func() error { return nbkit.CheckContentLoss(contentLoss) }},
	"04-style-layer-loss": {"nbkit.CheckStyleLayerLoss(styleLayerLoss)", func() error { return nbkit.CheckStyleLayerLoss(styleLayerLoss) }},
	"06-total-variation":  {"nbkit.CheckTotalVariation(totalVariation)", func() error { return nbkit.CheckTotalVariation(totalVariation) }},
	"07-mmd-linear":       {"nbkit.CheckMMDLinear(mmdLinear)", func() error { return nbkit.CheckMMDLinear(mmdLinear) }},
	"08-guided-gram":      {"nbkit.CheckGuidedGram(guidedGram)", func() error { return nbkit.CheckGuidedGram(guidedGram) }},
}

// TestSolutionsPass: every teacher's solution passes its check, in both languages, and the table's
// Check cell is the call made here.
func TestSolutionsPass(t *testing.T) {
	if len(Exercises()) != len(solved) {
		t.Errorf("%d exercises, %d solutions run here", len(Exercises()), len(solved))
	}
	inLanguages(t, func(t *testing.T, _ string) {
		for _, e := range Exercises() {
			s, ok := solved[e.ID]
			if !ok {
				t.Errorf("%s: no solution run here", e.ID)
				continue
			}
			if e.Check != s.check {
				t.Errorf("%s: the Check cell is %q, the test calls %q", e.ID, e.Check, s.check)
			}
			if err := s.run(); err != nil {
				t.Errorf("%s: the solution fails its check: %v", e.ID, err)
			}
		}
	})
}

// TestExerciseTexts: the stub and the solution of every exercise, in both languages, are Go
// declarations with the same signature; the stub holds no line of the solution's body.
func TestExerciseTexts(t *testing.T) {
	ids := map[string]bool{}
	for _, e := range Exercises() {
		if ids[e.ID] {
			t.Errorf("%s twice", e.ID)
		}
		ids[e.ID] = true
		if !strings.HasPrefix(e.ID, e.Notebook[:2]+"-") || !strings.Contains(e.Check, "("+e.Func+")") && !strings.Contains(e.Check, " "+e.Func+")") {
			t.Errorf("%s: notebook %s, check %q", e.ID, e.Notebook, e.Check)
		}
		_, body := e.parts()
		for _, lang := range []string{"en", "ca"} {
			stub, sol := e.Stub(lang), e.Solution(lang)
			for name, src := range map[string]string{"stub": stub, "solution": sol} {
				if _, err := parser.ParseFile(token.NewFileSet(), "cell.go", "package main\n"+src, parser.ParseComments); err != nil {
					t.Errorf("%s %s (%s) is not Go: %v\n%s", e.ID, name, lang, err, src)
				}
				if !strings.HasPrefix(src, "// "+e.Func+" ") {
					t.Errorf("%s %s (%s) does not start with its doc comment:\n%s", e.ID, name, lang, src)
				}
			}
			for _, line := range strings.Split(stub[:strings.Index(stub, "func ")], "\n") {
				if utf8.RuneCountInString(line) > 100 || strings.Count(line, "(") != strings.Count(line, ")") || strings.Count(line, "[") != strings.Count(line, "]") {
					t.Errorf("%s (%s): doc line too long, or a formula cut in two: %q", e.ID, lang, line)
				}
			}
			if !strings.Contains(stub, "// TODO: ") || !strings.Contains(stub, "\treturn nil\n}") {
				t.Errorf("%s stub (%s):\n%s", e.ID, lang, stub)
			}
			if !strings.Contains(sol, "\t// BEGIN SOLUTION\n") || !strings.Contains(sol, "\t// END SOLUTION\n}") {
				t.Errorf("%s solution (%s) lacks nbgrader's delimiters:\n%s", e.ID, lang, sol)
			}
			if stub[:strings.Index(stub, "{")] != sol[:strings.Index(sol, "{")] {
				t.Errorf("%s (%s): stub and solution differ before the body", e.ID, lang)
			}
			for _, line := range strings.Split(strings.TrimSpace(body), "\n") {
				if strings.Contains(stub, strings.TrimSpace(line)) {
					t.Errorf("%s stub (%s) gives away %q", e.ID, lang, line)
				}
			}
		}
		if e.Stub("en") == e.Stub("ca") {
			t.Errorf("%s: the stub is not translated", e.ID)
		}
	}
}

// TestExerciseCellsRun builds the texts as a notebook runs them (the imports, every exercise's
// function, and the check cells as main), the student's copy from the English texts and the
// teacher's from the Catalan ones (TestExerciseTexts parses all four), and runs each in both
// languages: the teacher's copy passes every check, the student's compiles and every check says
// the function is still a TODO. (About 20 s on 2 cores: two programs are linked.)
func TestExerciseCellsRun(t *testing.T) {
	testutil.SkipIfShort(t, "builds and links two programs")
	goTool, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set but the go command is missing")
		}
		t.Skip("no go command")
	}
	dir, err := os.MkdirTemp(".", "_cells") // inside the module, so that its packages resolve
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	copies := map[string]string{"student": "en", "teacher": "ca"}
	var pkgs []string
	for copy, lang := range copies {
		var src strings.Builder
		src.WriteString("package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n\n\t\"github.com/gomlx/gomlx/core/graph\"\n\n" +
			"\t\"github.com/estil-nst/estil/explain\"\n\t\"github.com/estil-nst/estil/notebooks/nbkit\"\n\t\"github.com/estil-nst/estil/nst\"\n)\n\n" +
			"var _, _ = graph.Add, nst.GramMatrix\n\n")
		main := "func main() {\n\t_ = explain.SetLanguage(os.Args[1])\n"
		for _, e := range Exercises() {
			if copy == "student" {
				src.WriteString(e.Stub(lang) + "\n")
			} else {
				src.WriteString(e.Solution(lang) + "\n")
			}
			main += "\tif err := " + e.Check + "; err != nil {\n\t\tfmt.Println(err.(*nbkit.CheckError).Mistake)\n\t}\n"
		}
		if err := os.MkdirAll(filepath.Join(dir, copy), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, copy, "main.go"), []byte(src.String()+main+"}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, "./"+filepath.Join(dir, copy))
	}
	bin := t.TempDir()
	build := exec.Command(goTool, append([]string{"build", "-o", bin + "/"}, pkgs...)...)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("the cells do not compile: %v\n%s", err, out)
	}
	for copy := range copies {
		want := ""
		if copy == "student" {
			want = strings.Repeat(string(nbkit.MistakeTODO)+"\n", len(Exercises()))
		}
		for _, lang := range []string{"en", "ca"} {
			out, err := exec.Command(filepath.Join(bin, copy), lang).CombinedOutput()
			if err != nil {
				t.Fatalf("%s (%s): %v\n%s", copy, lang, err, out)
			}
			// Each check prints one line (✔ or ✘ and its hint); main prints a failed check's mistake.
			var mistakes strings.Builder
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				if !strings.HasPrefix(line, "✔") && !strings.HasPrefix(line, "✘") {
					mistakes.WriteString(line + "\n")
				}
			}
			if mistakes.String() != want {
				t.Errorf("%s (%s) printed:\n%s", copy, lang, out)
			}
		}
	}
}
