package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestFinishedRunsCheckpoint: a finished run removes its checkpoint unless --keep-checkpoint
// keeps it; a kept one holds the finished run, which --resume continues with a larger --iters
// to the picture of a run that asked for them all at once.
func TestFinishedRunsCheckpoint(t *testing.T) {
	dir := t.TempDir()
	content, style := writePictures(t, dir)
	ck := filepath.Join(dir, "run.ckpt")
	args := func(out string, extra ...string) []string {
		return append([]string{"stylize", "--weights", "random", "--backend", "go", "--content", content, "--style", style,
			"--size", "32", "--checkpoint-every", "3", "--out", filepath.Join(dir, out), "--quiet"}, extra...)
	}
	if code, _, stderr := estil(t, args("a.png", "--iters", "4", "--checkpoint", ck)...); code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(ck); !os.IsNotExist(err) {
		t.Errorf("the finished run left its checkpoint (%v); by default it is removed", err)
	}

	code, stdout, stderr := estil(t, args("b.png", "--iters", "4", "--checkpoint", ck, "--keep-checkpoint")...)
	if code != 0 || !strings.Contains(stdout, "kept the checkpoint") {
		t.Fatalf("run with --keep-checkpoint: exit %d: %s%s", code, stdout, stderr)
	}
	if _, err := os.Stat(ck); err != nil {
		t.Fatalf("--keep-checkpoint: %v", err)
	}
	if code, _, stderr := estil(t, args("c.png", "--iters", "9", "--resume", ck)...); code != 0 {
		t.Fatalf("resumed with --iters 9: exit %d: %s", code, stderr)
	}
	if code, _, stderr := estil(t, args("d.png", "--iters", "9")...); code != 0 {
		t.Fatalf("run of 9: exit %d: %s", code, stderr)
	}
	if !slices.Equal(pixelsOf(t, filepath.Join(dir, "c.png")), pixelsOf(t, filepath.Join(dir, "d.png"))) {
		t.Error("4 iterations resumed to 9 differ from 9 at once")
	}
	if _, err := os.Stat(ck); !os.IsNotExist(err) {
		t.Errorf("the resumed run, finished, left its checkpoint (%v)", err)
	}
}

// TestContentIsStyleEndsAtOnce: with the same picture as content and style, the gradient at the
// start is 0: the run ends at once, writes the picture and says it is already optimal (it used
// to spin at 100 % CPU, its memory and report growing, until Ctrl-C).
func TestContentIsStyleEndsAtOnce(t *testing.T) {
	dir := t.TempDir()
	content, _ := writePictures(t, dir)
	out, report := filepath.Join(dir, "o.png"), filepath.Join(dir, "r.json")
	code, stdout, stderr := estilWithin(t, 3*time.Minute, "stylize", "--weights", "random", "--backend", "go",
		"--content", content, "--style", content, "--size", "32", "--iters", "50", "--out", out, "--report", report, "--quiet")
	if code != 0 || !strings.Contains(stdout, "already optimal") {
		t.Fatalf("exit %d; stdout %q, stderr %q; want exit 0 and \"already optimal\"", code, stdout, stderr)
	}
	if r, _ := readReport(t, report); r.Iterations != 0 || len(r.Evaluations) != 1 || !strings.Contains(r.Stopped, "tolerance_grad at start") {
		t.Errorf("report: %d iterations, %d evaluations, stopped %q; want 0, 1 and tolerance_grad at start",
			r.Iterations, len(r.Evaluations), r.Stopped)
	}
	pixelsOf(t, out)
}

// estilWithin is estil, failing the test if the command has not ended within d (a run that spins
// would otherwise hold the test until its own timeout).
func estilWithin(t *testing.T, d time.Duration, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		code, stdout, stderr = estil(t, args...)
	}()
	select {
	case <-done:
		return code, stdout, stderr
	case <-time.After(d):
		t.Fatalf("estil %s did not end within %v", strings.Join(args, " "), d)
		return
	}
}
