package notebooks

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/estil-nst/estil/notebooks/internal/nbgen"
	"github.com/estil-nst/estil/notebooks/nbkit"
)

// TestNotebooks executes every notebook in every language, the student's copy and the teacher's,
// headless, as a student's "Run all" would, then exports them to HTML and opens them, and the
// `estil explain` handout, in headless Chromium (browser_test.go). The teacher's copies run as
// nbgrader's autograder runs them (NBGRADER_EXECUTION=autograde): every check cell must earn its
// points with the teacher's solution; in the students' copies every check cell must say that its
// function is not written yet, and "Run all" must go on past it. Notebooks run two at a time.
func TestNotebooks(t *testing.T) {
	jupyter := needJupyter(t)
	out := outDir(t)
	// Two notebooks run at a time: a notebook's time is mostly GoNB compiling and linking its
	// cells, one process at a time, so on CI's 2 cores two kernels take ~1.5× less wall time
	// (go test's -parallel, GOMAXPROCS by default, bounds them).
	var (
		mu       sync.Mutex
		executed []string
	)
	t.Run("execute", func(t *testing.T) {
		for _, v := range nbgen.Variants {
			for _, lang := range nbgen.Languages {
				dir := filepath.FromSlash(v.Dir(lang))
				files, err := filepath.Glob(filepath.Join(dir, "*.ipynb"))
				if err != nil || len(files) == 0 {
					t.Fatalf("no notebooks in %s/ (%v)", dir, err)
				}
				for _, nb := range files {
					name := strings.TrimSuffix(filepath.Base(nb), ".ipynb")
					t.Run(v.String()+"/"+lang+"/"+name, func(t *testing.T) {
						t.Parallel()
						start := time.Now()
						var env []string
						if v == nbgen.Teacher {
							env = append(env, nbkit.GradingEnv+"=autograde")
						}
						path, err := execute(t, jupyter, nb, filepath.Join(out, "executed", filepath.FromSlash(v.Dir(lang))), env...)
						if err != nil {
							t.Fatal(err)
						}
						t.Logf("executed in %.0f s", time.Since(start).Seconds())
						mu.Lock()
						executed = append(executed, path)
						mu.Unlock()
						for _, p := range checkExecuted(path) {
							t.Error(p)
						}
						for _, p := range checkChecks(path, v) {
							t.Error(p)
						}
					})
				}
			}
		}
	})
	if len(executed) == 0 {
		t.Fatal("no notebook could be executed")
	}
	sort.Strings(executed)
	t.Run("html", func(t *testing.T) {
		pages := exportHTML(t, jupyter, executed, filepath.Join(out, "html"))
		if page, err := handout(out); err != nil {
			t.Error(err)
		} else {
			pages = append(pages, page)
		}
		checkInBrowser(t, pages, filepath.Join(out, "screenshots"))
	})
}

// execute runs one notebook with nbconvert, with the variables env added, and returns the path
// of the executed copy.
func execute(t *testing.T, jupyter, nb, dir string, env ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	name := strings.TrimSuffix(filepath.Base(nb), ".ipynb")
	cmd := exec.CommandContext(ctx, jupyter, "nbconvert", "--to", "notebook", "--execute",
		"--ExecutePreprocessor.timeout=600", // per cell
		"--output-dir", dir, "--output", name, nb)
	// GOEXPERIMENT is left out: the cells must get it from GoNB's kernel.json (docker/install.sh
	// puts it there), as they do when a student starts Jupyter; checkExecuted fails on the notice
	// a build without it prints.
	cmd.Env = append(withoutEnv(withoutEnv(os.Environ(), "GOEXPERIMENT"), nbkit.GradingEnv), nbkit.TinyEnv+"=1", "GOMLX_NO_AUTO_INSTALL=1")
	cmd.Env = append(cmd.Env, env...)
	log, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("jupyter nbconvert --execute %s: %v\n%s", nb, err, tail(cellErrors(string(log)), 4000))
	}
	return filepath.Join(dir, name+".ipynb"), nil
}

// nbgraderPoints is what nbgrader's autograder gives an autograded cell (its determine_grade):
// nothing when an output is an error or anything on stderr, else all its points.
func nbgraderPoints(outs []output, points float64) float64 {
	for _, o := range outs {
		if o.Type == "error" || o.Type == "stream" && o.Name == "stderr" {
			return 0
		}
	}
	return points
}

// checkChecks returns what is wrong with the check cells of an executed copy: in the teacher's,
// a check that does not pass (✔) or would not earn its points from nbgrader; in the student's, a
// check that does not say its function is still the stub, or that fails its cell.
func checkChecks(path string, v nbgen.Variant) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		return []string{err.Error()}
	}
	var nb notebook
	if err := json.Unmarshal(data, &nb); err != nil {
		return []string{fmt.Sprintf("%s: %v", path, err)}
	}
	var problems []string
	for i, c := range nb.Cells {
		id := c.Metadata.Estil.Check
		if id == "" {
			continue
		}
		stdout := ""
		for _, o := range c.Outputs {
			if o.Type == "stream" && o.Name == "stdout" {
				stdout += text(o.Text)
			}
		}
		points := c.Metadata.Nbgrader.Points
		if points <= 0 || !c.Metadata.Nbgrader.Grade {
			problems = append(problems, fmt.Sprintf("cell %d (check %s) is not an autograded cell with points: %+v", i+1, id, c.Metadata.Nbgrader))
		}
		switch got := nbgraderPoints(c.Outputs, points); v {
		case nbgen.Teacher:
			if !strings.HasPrefix(stdout, "✔") || got != points {
				problems = append(problems, fmt.Sprintf("cell %d: the teacher's solution of %s gets %v of %v points from nbgrader; it printed %q (%s)", i+1, id, got, points, stdout, summarize(c.Outputs)))
			}
		case nbgen.Student:
			if !strings.HasPrefix(stdout, "✘") || !strings.Contains(stdout, "// TODO") || got != points {
				problems = append(problems, fmt.Sprintf("cell %d: the student's stub of %s should print ✘ and point to the // TODO, without failing the cell outside nbgrader; it printed %q (%s)", i+1, id, stdout, summarize(c.Outputs)))
			}
		}
	}
	return problems
}

// withoutEnv returns env without the variable name.
func withoutEnv(env []string, name string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// notebook is the part of an .ipynb the checks read.
type notebook struct {
	Cells []struct {
		Type     string `json:"cell_type"`
		Source   any    `json:"source"`
		Metadata struct {
			Estil struct {
				Figure bool   `json:"figure"`
				Check  string `json:"check"`
			} `json:"estil"`
			Nbgrader struct {
				Grade  bool    `json:"grade"`
				Points float64 `json:"points"`
			} `json:"nbgrader"`
		} `json:"metadata"`
		Outputs []output `json:"outputs"`
	} `json:"cells"`
}

type output struct {
	Type   string         `json:"output_type"`
	Name   string         `json:"name"`
	Text   any            `json:"text"`
	Data   map[string]any `json:"data"`
	EName  string         `json:"ename"`
	EValue string         `json:"evalue"`
}

// checkExecuted returns what is wrong with an executed notebook: cells that failed, cells
// compiled without GOEXPERIMENT=simd, cells marked as figures that show none, or a notebook
// without any figure.
func checkExecuted(path string) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		return []string{err.Error()}
	}
	var nb notebook
	if err := json.Unmarshal(data, &nb); err != nil {
		return []string{fmt.Sprintf("%s: %v", path, err)}
	}
	var problems []string
	figures, code := 0, 0
	for i, c := range nb.Cells {
		if c.Type != "code" {
			continue
		}
		code++
		n := 0
		for _, o := range c.Outputs {
			switch {
			case o.Type == "error":
				problems = append(problems, fmt.Sprintf("cell %d failed: %s: %s\n%s", i+1, o.EName, o.EValue, tail(cellHTMLErrors(c.Outputs), 3000)))
			case o.Type == "stream" && o.Name == "stderr" && strings.Contains(text(o.Text), "panic:"):
				problems = append(problems, fmt.Sprintf("cell %d panicked:\n%s", i+1, tail(text(o.Text), 3000)))
			case o.Type == "stream" && strings.Contains(text(o.Text), "built without GOEXPERIMENT=simd"):
				problems = append(problems, fmt.Sprintf("cell %d was compiled without GOEXPERIMENT=simd (GoNB's kernel.json lacks it: run docker/install.sh): %s",
					i+1, tail(text(o.Text), 300)))
			}
			if isFigure(o) {
				n++
			}
		}
		figures += n
		if c.Metadata.Estil.Figure && n == 0 {
			problems = append(problems, fmt.Sprintf("cell %d should show a figure but shows none; its outputs: %s", i+1, summarize(c.Outputs)))
		}
	}
	if code == 0 {
		problems = append(problems, "no code cells")
	}
	if figures == 0 {
		problems = append(problems, "the notebook shows no figure at all")
	}
	return problems
}

// isFigure says whether an output is a picture: a PNG or SVG, or HTML with an inlined picture.
func isFigure(o output) bool {
	if o.Type != "display_data" && o.Type != "execute_result" {
		return false
	}
	for mime, v := range o.Data {
		s := text(v)
		switch {
		case mime == "image/png" || mime == "image/svg+xml":
			return len(s) > 0
		case mime == "text/html" && (strings.Contains(s, "data:image/") || strings.Contains(s, "<svg")):
			return true
		}
	}
	return false
}

// text joins a Jupyter multi-line string (a string or a list of strings).
func text(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		var b strings.Builder
		for _, s := range v {
			if s, ok := s.(string); ok {
				b.WriteString(s)
			}
		}
		return b.String()
	}
	return ""
}

var tags = regexp.MustCompile(`(?s)<style.*?</style>|<[^>]*>`)

// cellHTMLErrors returns the text of GoNB's compile errors, which it shows as HTML.
func cellHTMLErrors(outs []output) string {
	var b strings.Builder
	for _, o := range outs {
		if s := text(o.Data["text/html"]); strings.Contains(s, "gonb-err") {
			b.WriteString(strings.Join(strings.Fields(tags.ReplaceAllString(s, " ")), " "))
			b.WriteString("\n")
		}
		if o.Type == "stream" {
			b.WriteString(text(o.Text))
		}
	}
	return b.String()
}

// cellErrors keeps nbconvert's report of the failing cell, without GoNB's kernel log lines.
func cellErrors(log string) string {
	var keep []string
	for _, l := range strings.Split(log, "\n") {
		if len(l) > 5 && (l[0] == 'I' || l[0] == 'W') && l[1] >= '0' && l[1] <= '9' {
			continue // klog info/warning line of the kernel
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, "\n")
}

func summarize(outs []output) string {
	var parts []string
	for _, o := range outs {
		var keys []string
		for k := range o.Data {
			keys = append(keys, k)
		}
		parts = append(parts, fmt.Sprintf("%s%v %.200q", o.Type, keys, text(o.Text)))
	}
	return strings.Join(parts, "; ")
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
