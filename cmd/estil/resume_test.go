package main

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/nst"
)

// buildEstil builds the command into dir and returns the binary's path.
func buildEstil(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "estil")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestKilledRunsResumeToTheSameImage is issue 10's test of checkpoints: a run is killed with
// SIGKILL at a random moment, 20 times (every other one after its first checkpoint), and each is
// resumed from whatever checkpoint it left. At
// every kill the checkpoint and the output are either absent or whole, and every resumed run
// writes the very picture the uninterrupted run wrote.
func TestKilledRunsResumeToTheSameImage(t *testing.T) {
	dir := t.TempDir()
	bin := buildEstil(t, dir)
	content, style := writePictures(t, dir)
	args := func(out, checkpoint string, extra ...string) []string {
		return append([]string{"stylize", "--weights", "random", "--backend", "go", "--content", content, "--style", style,
			"--size", "32", "--iters", "24", "--checkpoint-every", "2", "--checkpoint", checkpoint, "--out", out, "--quiet"}, extra...)
	}
	// The uninterrupted run, timed: the kills fall anywhere in a run of that length. Its first
	// checkpoint is timed too: after it, a run has only its iterations left, a short part of it
	// where compiling the graphs takes most of the run.
	ref, refCheckpoint := filepath.Join(dir, "ref.png"), filepath.Join(dir, "ref.ckpt")
	start := time.Now()
	refRun := exec.Command(bin, args(ref, refCheckpoint)...)
	var refOutput strings.Builder
	refRun.Stdout, refRun.Stderr = &refOutput, &refOutput
	if err := refRun.Start(); err != nil {
		t.Fatal(err)
	}
	refDone := make(chan error, 1)
	go func() { refDone <- refRun.Wait() }()
	var firstCheckpoint time.Duration
	for waiting := true; waiting; {
		select {
		case err := <-refDone:
			if err != nil {
				t.Fatalf("uninterrupted run: %v\n%s", err, refOutput.String())
			}
			waiting = false
		case <-time.After(2 * time.Millisecond):
			if _, err := os.Stat(refCheckpoint); err == nil && firstCheckpoint == 0 {
				firstCheckpoint = time.Since(start)
			}
		}
	}
	length := time.Since(start)
	if firstCheckpoint == 0 {
		t.Fatal("the uninterrupted run wrote no checkpoint")
	}
	iterating := length - firstCheckpoint // what is left of a run after its first checkpoint
	want := pixelsOf(t, ref)

	seed := uint64(time.Now().UnixNano())
	t.Logf("uninterrupted run: %v, its first checkpoint after %v; kill times drawn with seed %d",
		length.Round(time.Millisecond), firstCheckpoint.Round(time.Millisecond), seed)
	r := rand.New(rand.NewPCG(seed, 10))
	resumedFromCheckpoint := 0
	for trial := range 20 {
		out, ck := filepath.Join(dir, "out.png"), filepath.Join(dir, "run.ckpt")
		for _, p := range []string{out, ck} {
			_ = os.Remove(p)
		}
		cmd := exec.Command(bin, args(out, ck)...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		started := time.Now()
		if trial%2 == 1 {
			// Every other kill first waits for the first checkpoint, then falls anywhere in the
			// first 80 % of what was left of the uninterrupted run after its own. Drawn over the
			// whole run only, the kills test resuming too rarely where compiling the graphs is most
			// of a run: once in CI, 3 of 20 came after the first checkpoint. Drawn over the rest of
			// the run's length, they came after the run had ended once the iterations had got
			// faster (4 of 20 in CI).
			for time.Since(started) < 2*length {
				if _, err := os.Stat(ck); err == nil {
					break
				}
				time.Sleep(2 * time.Millisecond)
			}
			time.Sleep(time.Duration(r.Float64() * 0.8 * float64(iterating)))
		} else {
			time.Sleep(time.Duration(r.Float64() * float64(length)))
		}
		_ = cmd.Process.Kill()
		after := time.Since(started)
		_ = cmd.Wait()

		// Whatever is there must be whole.
		if _, err := os.Stat(out); err == nil {
			pixelsOf(t, out)
		}
		var resume []string
		if _, err := os.Stat(ck); err == nil {
			c, err := nst.LoadCheckpoint(ck)
			if err != nil {
				t.Fatalf("trial %d, killed after %v: the checkpoint is unreadable: %v", trial, after, err)
			}
			t.Logf("trial %d: killed after %v, checkpoint at iteration %d", trial, after.Round(time.Millisecond), c.Iterations)
			resume = []string{"--resume", ck}
			resumedFromCheckpoint++
		} else {
			t.Logf("trial %d: killed after %v, before the first checkpoint", trial, after.Round(time.Millisecond))
		}
		if msg, err := exec.Command(bin, args(out, ck, resume...)...).CombinedOutput(); err != nil {
			t.Fatalf("trial %d: resuming: %v\n%s", trial, err, msg)
		}
		if got := pixelsOf(t, out); !slices.Equal(got, want) {
			t.Errorf("trial %d (killed after %v): the resumed run's picture differs from the uninterrupted run's", trial, after)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, ".run.ckpt.*.tmp")); len(left) > 0 {
			t.Errorf("trial %d: temporary files left after the resumed run: %v", trial, left)
		}
	}
	if resumedFromCheckpoint < 5 {
		t.Errorf("only %d of 20 kills left a checkpoint to resume from: the kills came too early to test resuming", resumedFromCheckpoint)
	}
}

// TestCtrlCWritesACheckpointToResumeFrom: SIGINT in the middle of a run with --checkpoint ends it
// at the end of the current iteration with exit 130 and a checkpoint, and the message says how to
// go on; resuming ends on the uninterrupted run's picture.
func TestCtrlCWritesACheckpointToResumeFrom(t *testing.T) {
	dir := t.TempDir()
	bin := buildEstil(t, dir)
	content, style := writePictures(t, dir)
	ck := filepath.Join(dir, "run.ckpt")
	args := func(out string, extra ...string) []string {
		return append([]string{"stylize", "--weights", "random", "--backend", "go", "--content", content, "--style", style,
			"--size", "32", "--iters", "40", "--checkpoint-every", "15", "--out", out}, extra...)
	}
	ref := filepath.Join(dir, "ref.png")
	if msg, err := exec.Command(bin, args(ref, "--quiet")...).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, msg)
	}
	out := filepath.Join(dir, "o.png")
	cmd := exec.Command(bin, args(out, "--checkpoint", ck)...)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(stderr.String(), "loss") { // the progress bar shows the first loss
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("the run did not start: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 130 {
		t.Fatalf("exit %v, want 130; stderr: %s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "--resume "+ck) {
		t.Errorf("the message does not say how to resume: %s", stderr.String())
	}
	c, err := nst.LoadCheckpoint(ck)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("interrupted at iteration %d (%d left in its L-BFGS step)", c.Iterations, c.StepLeft)
	if msg, err := exec.Command(bin, args(out, "--resume", ck, "--quiet")...).CombinedOutput(); err != nil {
		t.Fatalf("resuming: %v\n%s", err, msg)
	}
	if !slices.Equal(pixelsOf(t, out), pixelsOf(t, ref)) {
		t.Error("the resumed run's picture differs from the uninterrupted run's")
	}
}

// TestResumeRefusesOtherFlags: --resume with other settings or pictures fails with one line and
// a non-zero exit, and leaves the checkpoint as it was.
func TestResumeRefusesOtherFlags(t *testing.T) {
	dir := t.TempDir()
	content, style := writePictures(t, dir)
	ck, out := filepath.Join(dir, "run.ckpt"), filepath.Join(dir, "o.png")
	base := []string{"stylize", "--weights", "random", "--backend", "go", "--content", content, "--style", style,
		"--size", "32", "--checkpoint-every", "2", "--out", out, "--quiet"}
	if code, _, stderr := estil(t, append(slices.Clone(base), "--iters", "4", "--checkpoint", ck, "--keep-checkpoint")...); code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	before, err := os.ReadFile(ck)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--iters", "3", "--resume", ck}, "it has done 4 iterations, more than this run's 3"},
		{[]string{"--iters", "4", "--style-weight", "10", "--resume", ck}, "style_weight"},
		{[]string{"--iters", "4", "--size", "40", "--resume", ck}, "other pictures"},
		{[]string{"--iters", "4", "--resume", filepath.Join(dir, "none.ckpt")}, "none.ckpt"},
		{[]string{"--iters", "4", "--resume", content}, "content.png"},
	} {
		code, _, stderr := estil(t, append(slices.Clone(base), c.args...)...)
		if code == 0 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 1 {
			t.Errorf("%v: exit %d, stderr %q; want an error and a line saying %q", c.args, code, stderr, c.want)
		}
	}
	if after, err := os.ReadFile(ck); err != nil || !slices.Equal(before, after) {
		t.Errorf("a refused --resume changed the checkpoint (%v)", err)
	}
}

// pixelsOf reads a PNG's pixels as the network sees them.
func pixelsOf(t *testing.T, path string) []float32 {
	t.Helper()
	data, _, _ := images.ToHWC(readPNG(t, path))
	return data
}
