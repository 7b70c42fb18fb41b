package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/estil-nst/estil/explain"
	"github.com/estil-nst/estil/nst"
)

// TestExplainWritesHandout writes a tiny Catalan handout with random weights and checks that it
// is one self-contained page with every figure inlined.
func TestExplainWritesHandout(t *testing.T) {
	dir := t.TempDir()
	content, style := writePictures(t, dir)
	out := filepath.Join(dir, "handout.html")
	code, stdout, stderr := estil(t, "explain", "--weights", "random", "--backend", "go", "--content", content, "--style", style,
		"--size", "32", "--iters", "2", "--race-evals", "2", "--layer", "conv1_1", "--channels", "3", "--lang", "ca", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "RANDOM") || !strings.Contains(stdout, "RANDOM") {
		t.Errorf("random weights not announced: stdout %q, stderr %q", stdout, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	html := string(data)
	imgs := regexp.MustCompile(`<img [^>]*>`).FindAllString(html, -1)
	// pictures 3, feature maps of conv1_1 (input + 3 maps + colour bar) 5, its Gram matrices 3,
	// losses 1, L-BFGS 1, races 2.
	if len(imgs) != 3+5+3+1+1+2 {
		t.Errorf("%d figures, want 15", len(imgs))
	}
	for _, img := range imgs {
		if !strings.HasPrefix(img, `<img src="data:image/png;base64,`) {
			t.Errorf("a figure is not inlined: %.80s", img)
		}
	}
	for _, s := range []string{`<html lang="ca">`, "PESOS ALEATORIS", "VGG19, capa per capa", "L-BFGS per dins", "Rosenbrock"} {
		if !strings.Contains(html, s) {
			t.Errorf("the handout lacks %q", s)
		}
	}
	for _, s := range []string{"http://", "https://", "<script", "[["} {
		if strings.Contains(html, s) {
			t.Errorf("the handout contains %q", s)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp")); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// TestExplainStyleLoss checks that --style-loss reaches the run and the handout: a Catalan
// handout made with mmd-gauss names it, has the section on style representations with its
// formula, and says so on stdout.
func TestExplainStyleLoss(t *testing.T) {
	dir := t.TempDir()
	content, style := writePictures(t, dir)
	out := filepath.Join(dir, "handout.html")
	code, stdout, stderr := estil(t, "explain", "--weights", "random", "--backend", "go", "--content", content, "--style", style,
		"--size", "32", "--iters", "2", "--race-evals", "2", "--layer", "conv1_1", "--channels", "2", "--lang", "ca",
		"--style-layers", "conv1_1:1", "--content-layers", "conv1_1", "--style-loss", "mmd-gauss", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "style loss mmd-gauss") {
		t.Errorf("stdout does not name the style loss: %q", stdout)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	html := string(data)
	for _, s := range []string{"Representacions de l&#39;estil", "<code>mmd-gauss</code> — MMD amb un nucli gaussià (Li et al. 2017)",
		"<code>--style-loss mmd-gauss</code>", "k(x, y) = exp(−‖x − y‖² / (2σ²))", "E<sub>l</sub> = MMD² / (2d)",
		"β·w<sub>l</sub>·" + strconv.FormatFloat(nst.StyleLossMMDGauss.Balance(), 'g', -1, 64) + "·E<sub>l</sub>", "k(x, y) = (xᵀy)²", "no compara matrius de Gram"} {
		if !strings.Contains(html, s) {
			t.Errorf("the handout lacks %q", s)
		}
	}
	if strings.Contains(html, "[[") {
		t.Error("a text is missing")
	}
}

// TestExplainBadInput checks one-line errors, exit codes, and that an existing handout survives.
func TestExplainBadInput(t *testing.T) {
	dir := t.TempDir()
	content, style := writePictures(t, dir)
	out := filepath.Join(dir, "old.html")
	if err := os.WriteFile(out, []byte("old handout"), 0o644); err != nil {
		t.Fatal(err)
	}
	corrupt := filepath.Join(dir, "corrupt.png")
	if err := os.WriteFile(corrupt, []byte("\x89PNG\r\n\x1a\nnot really"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"explain", "--weights", "random", "--backend", "go"}
	for _, c := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no content", []string{"--style", style, "--out", out}, 2, "--content is required"},
		{"no style", []string{"--content", content, "--out", out}, 2, "--style is required"},
		{"no out", []string{"--content", content, "--style", style}, 2, "--out is required"},
		{"png out", []string{"--content", content, "--style", style, "--out", filepath.Join(dir, "x.png")}, 2, ".html"},
		{"bad lang", []string{"--content", content, "--style", style, "--out", out, "--lang", "fr"}, 2, "--lang"},
		{"bad layer", []string{"--content", content, "--style", style, "--out", out, "--layer", "conv9_9"}, 2, "conv9_9"},
		{"bad order", []string{"--content", content, "--style", style, "--out", out, "--order", "random"}, 2, "--order"},
		{"tiny size", []string{"--content", content, "--style", style, "--out", out, "--size", "8"}, 2, "--size"},
		{"bad style layers", []string{"--content", content, "--style", style, "--out", out, "--style-layers", "conv1_1:x"}, 2, "--style-layers"},
		{"negative style weight", []string{"--content", content, "--style", style, "--out", out, "--style-weight", "-1"}, 2, "weight"},
		{"bad style loss", []string{"--content", content, "--style", style, "--out", out, "--style-loss", "gramm"}, 2, "--style-loss"},
		{"bad color control", []string{"--content", content, "--style", style, "--out", out, "--color-control", "yuv"}, 2, "--color-control"},
		{"zero iters", []string{"--content", content, "--style", style, "--out", out, "--iters", "0"}, 2, "--iters"},
		{"extra argument", []string{"--content", content, "--style", style, "--out", out, "extra"}, 2, "extra"},
		{"missing content", []string{"--content", filepath.Join(dir, "nope.png"), "--style", style, "--out", out}, 1, "nope.png"},
		{"corrupt style", []string{"--content", content, "--style", corrupt, "--out", out}, 1, "corrupt.png"},
		{"out in a missing directory", []string{"--content", content, "--style", style, "--out", filepath.Join(dir, "no", "h.html")}, 1, "--out"},
		{"out is a directory", []string{"--content", content, "--style", style, "--out", filepath.Join(dir, "d.html")}, 1, "directory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			os.MkdirAll(filepath.Join(dir, "d.html"), 0o755)
			code, stdout, stderr := estil(t, append(append([]string{}, base...), c.args...)...)
			if code != c.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, c.code, stdout, stderr)
			}
			if lines := strings.Count(strings.TrimSpace(stderr), "\n") + 1; lines != 1 || !strings.Contains(stderr, c.msg) {
				t.Errorf("want one line mentioning %q, got:\n%s", c.msg, stderr)
			}
			if got, _ := os.ReadFile(out); string(got) != "old handout" {
				t.Errorf("the existing handout was changed: %q", got)
			}
		})
	}
}

// TestLossChartReadsStylizeReport checks that the loss chart drawn from `stylize --report` has
// exactly the report's numbers as its series.
func TestLossChartReadsStylizeReport(t *testing.T) {
	dir := t.TempDir()
	content, style := writePictures(t, dir)
	out, rep := filepath.Join(dir, "o.png"), filepath.Join(dir, "run.json")
	code, stdout, stderr := estil(t, "stylize", "--weights", "random", "--backend", "go", "--content", content,
		"--style", style, "--size", "32", "--iters", "3", "--style-layers", "conv1_1:1,conv2_1:0.5", "--content-layers", "conv2_1",
		"--out", out, "--report", rep, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	data, err := os.ReadFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	// The report read without the explain package's types.
	var raw struct {
		Evaluations []map[string]any `json:"evaluations"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	v, err := explain.LossHistoryFromReport(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if !v.RandomWeights {
		t.Error("the chart does not know the weights were random")
	}
	if len(v.Series) != 4 || len(raw.Evaluations) == 0 {
		t.Fatalf("%d series from %d evaluations", len(v.Series), len(raw.Evaluations))
	}
	for k, e := range raw.Evaluations {
		style := e["style"].([]any)
		want := []float64{e["total"].(float64), e["content"].(float64), style[0].(float64), style[1].(float64)}
		for i, s := range v.Series {
			if s.X[k] != e["evaluation"].(float64) || s.Y[k] != want[i] {
				t.Errorf("series %s, evaluation %d: (%v, %v), report says (%v, %v)", s.Name, k, s.X[k], s.Y[k], e["evaluation"], want[i])
			}
		}
	}
}

// TestExplainOnePictureTwice: a handout whose content is its style ends (it used to spin, its
// transfer never ending) and says that the picture was already optimal.
func TestExplainOnePictureTwice(t *testing.T) {
	dir := t.TempDir()
	content, _ := writePictures(t, dir)
	out := filepath.Join(dir, "handout.html")
	code, stdout, stderr := estilWithin(t, 3*time.Minute, "explain", "--weights", "random", "--backend", "go", "--content", content, "--style", content,
		"--size", "32", "--iters", "5", "--race-evals", "2", "--layer", "conv1_1", "--channels", "3", "--out", out)
	if code != 0 || !strings.Contains(stdout, "0 iterations") || !strings.Contains(stdout, "already optimal") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s; want the handout written after 0 iterations, already optimal", code, stdout, stderr)
	}
}
