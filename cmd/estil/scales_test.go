package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStylizeScales runs a 32 → 48 px coarse-to-fine stylize and checks the output's size, the
// per-scale lines and the report's per-scale entries.
func TestStylizeScales(t *testing.T) {
	dir := t.TempDir()
	content, style := writePictures(t, dir) // content 48×40
	out, rep := filepath.Join(dir, "o.png"), filepath.Join(dir, "run.json")
	code, stdout, stderr := estil(t, "stylize", "--weights", "random", "--backend", "go", "--content", content,
		"--style", style, "--scales", "32,48", "--iters", "3", "--out", out, "--report", rep, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if b := readPNG(t, out).Bounds(); b.Dx() != 48 || b.Dy() != 40 {
		t.Errorf("output is %d×%d, want 48×40 (the last scale)", b.Dx(), b.Dy())
	}
	for _, line := range []string{"scale 32: 32×27", "scale 48: 48×40"} {
		if !strings.Contains(stderr, line) {
			t.Errorf("stderr lacks %q: %s", line, stderr)
		}
	}
	r, _ := readReport(t, rep)
	if len(r.Scales) != 2 || r.Scales[0].Width != 32 || r.Scales[1].Width != 48 {
		t.Fatalf("report scales: %+v", r.Scales)
	}
	var evals int
	for _, s := range r.Scales {
		evals += s.Evaluations
		if s.PeakRSSBytes < 10<<20 || !(s.Seconds > 0) || s.Iterations == 0 {
			t.Errorf("scale %d: implausible %+v", s.Scale, s)
		}
	}
	if evals != len(r.Evaluations) {
		t.Errorf("scales count %d evaluations, the report lists %d", evals, len(r.Evaluations))
	}
}

func TestStylizeBadScales(t *testing.T) {
	dir := t.TempDir()
	content, style := writePictures(t, dir)
	out := filepath.Join(dir, "o.png")
	for _, extra := range [][]string{
		{"--scales", "48,32"},
		{"--scales", "8,32"},
		{"--scales", "32,x"},
		{"--scales", "32,48", "--save-every", "1"},
	} {
		args := append([]string{"stylize", "--weights", "random", "--backend", "go", "--content", content, "--style", style,
			"--out", out, "--iters", "1", "--quiet"}, extra...)
		code, _, stderr := estil(t, args...)
		if code != 2 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, "scales") {
			t.Errorf("%v: exit %d, want 2 and one line about --scales; stderr %q", extra, code, stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v: wrote %s", extra, out)
		}
	}
}
