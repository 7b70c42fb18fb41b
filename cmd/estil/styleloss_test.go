package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/estil-nst/estil/nst"
)

// TestStyleLossFlag: each --style-loss runs, records itself in the report (gram as before, with
// no style_loss field), and its loss falls; a bad value, or a Gram normalisation with another
// loss, is a usage error.
func TestStyleLossFlag(t *testing.T) {
	dir := t.TempDir()
	content, style := writePictures(t, dir)
	for _, loss := range nst.StyleLosses() {
		t.Run(string(loss), func(t *testing.T) {
			rep := filepath.Join(dir, string(loss)+".json")
			code, _, stderr := estil(t, "stylize", "--weights", "random", "--backend", "go", "--content", content, "--style", style,
				"--size", "32", "--iters", "3", "--style-loss", string(loss), "--out", filepath.Join(dir, string(loss)+".png"),
				"--report", rep, "--quiet")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			r, data := readReport(t, rep)
			if want := loss; r.Loss.StyleLoss != want && !(loss == nst.StyleLossGram && r.Loss.StyleLoss == "") {
				t.Errorf("the report's style loss is %q, want %q", r.Loss.StyleLoss, want)
			}
			if loss == nst.StyleLossGram && strings.Contains(string(data), "style_loss") {
				t.Error("a gram run's report has a style_loss field; before --style-loss it had none")
			}
			if len(r.Evaluations) < 2 {
				t.Fatalf("%d evaluations in the report", len(r.Evaluations))
			}
			first, last := r.Evaluations[0].Total, r.Evaluations[len(r.Evaluations)-1].Total
			if !(r.FinalLoss < first) || !(last < first) {
				t.Errorf("the loss went from %g to %g (final %g): it did not fall", first, last, r.FinalLoss)
			}
		})
	}
	for _, bad := range [][]string{
		{"--style-loss", "gaussian"},
		{"--style-loss", "w2", "--gram-norm", "hw"},
	} {
		args := append([]string{"stylize", "--weights", "random", "--backend", "go", "--content", content, "--style", style,
			"--size", "32", "--iters", "1", "--out", filepath.Join(dir, "bad.png"), "--quiet"}, bad...)
		if code, _, stderr := estil(t, args...); code != 2 || !strings.Contains(stderr, bad[1]) && !strings.Contains(stderr, "gram") {
			t.Errorf("%v: exit %d, %q; want a usage error (2)", bad, code, stderr)
		}
	}
}
