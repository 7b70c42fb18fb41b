package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestColorMatchRecoloursTheStyle: --color-match pca, chol and sym each run, alone, with
// --original-colors and with --scales, and change what the network sees as the style: the
// style loss of the first evaluation (from the content, the same for every run) differs from
// that of a run without it (issue 12).
func TestColorMatchRecoloursTheStyle(t *testing.T) {
	dir := t.TempDir()
	content, style := writePictures(t, dir)
	firstLoss := func(extra ...string) float64 {
		t.Helper()
		rep := filepath.Join(dir, "r.json")
		args := append([]string{"stylize", "--weights", "random", "--backend", "go", "--content", content, "--style", style,
			"--size", "32", "--iters", "1", "--out", filepath.Join(dir, "o.png"), "--report", rep, "--quiet"}, extra...)
		if code, _, stderr := estil(t, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", extra, code, stderr)
		}
		r, _ := readReport(t, rep)
		if len(r.Evaluations) == 0 {
			t.Fatalf("%v: no evaluations in the report", extra)
		}
		return r.Evaluations[0].Total - r.Evaluations[0].Content
	}
	none := firstLoss()
	if l := firstLoss("--color-match", "none"); l != none {
		t.Errorf("--color-match none: first style loss %v, want %v as without the flag", l, none)
	}
	noneScales := firstLoss("--scales", "32,48")
	for _, c := range []struct {
		flags   []string
		without float64
	}{
		{[]string{"--color-match", "pca"}, none},
		{[]string{"--color-match", "chol"}, none},
		{[]string{"--color-match", "sym"}, none},
		{[]string{"--color-match", "sym", "--original-colors"}, none},
		{[]string{"--color-match", "chol", "--scales", "32,48"}, noneScales},
	} {
		l := firstLoss(c.flags...)
		if l == c.without {
			t.Errorf("%v: first style loss %v, the same as without --color-match: the style was not recoloured", c.flags, l)
		}
		t.Logf("%v: first style loss %.4g (without --color-match: %.4g)", c.flags, l, c.without)
	}
}

// TestColorMatchBadName: an unknown method is a usage error, exit 2, in one line.
func TestColorMatchBadName(t *testing.T) {
	dir := t.TempDir()
	content, style := writePictures(t, dir)
	code, _, stderr := estil(t, "stylize", "--weights", "random", "--backend", "go", "--content", content, "--style", style,
		"--size", "32", "--iters", "1", "--out", filepath.Join(dir, "o.png"), "--quiet", "--color-match", "mkl")
	if code != 2 {
		t.Errorf("exit %d, want 2: %s", code, stderr)
	}
	msg := strings.TrimSpace(stderr)
	if strings.Contains(msg, "\n") || !strings.Contains(msg, "--color-match") || !strings.Contains(msg, "mkl") {
		t.Errorf("want one line naming --color-match and mkl, got %q", msg)
	}
}
