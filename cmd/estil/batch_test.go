package main

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/estil-nst/estil/images"
)

// writeFrames writes n frames of a "video" into dir/frames: the lighthouse panned by 2 pixels a
// frame, w×h, named f0.png, f1.png, … They are of one size and all differ.
func writeFrames(t *testing.T, dir string, n, w, h int) (folder string, frames []string) {
	t.Helper()
	folder = filepath.Join(dir, "frames")
	if err := os.MkdirAll(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	wide := images.Lighthouse(w+2*n, h)
	for k := range n {
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.Draw(img, img.Bounds(), wide, image.Pt(2*k, 0), draw.Src)
		path := filepath.Join(folder, fmt.Sprintf("f%d.png", k))
		if err := images.SavePNG(path, img); err != nil {
			t.Fatal(err)
		}
		frames = append(frames, path)
	}
	return folder, frames
}

// batchArgs are a small, quick batch's flags.
func batchArgs(content, style, out string, extra ...string) []string {
	return append([]string{"stylize", "--weights", "random", "--backend", "go", "--content", content, "--style", style,
		"--size", "32", "--iters", "3", "--quiet", "--out", out}, extra...)
}

var wroteLine = regexp.MustCompile(`(?m)^wrote (\S+) \(.*loss (\S+), .*compiled (\d+) graphs\)$`)

// wrote parses a batch's stdout: the frames written, in order, their losses and compilations.
func wrote(t *testing.T, stdout string) (outs []string, losses []float64, compiled []int) {
	t.Helper()
	for _, m := range wroteLine.FindAllStringSubmatch(stdout, -1) {
		loss, err1 := strconv.ParseFloat(m[2], 64)
		n, err2 := strconv.Atoi(m[3])
		if err1 != nil || err2 != nil {
			t.Fatalf("cannot read %q", m[0])
		}
		outs, losses, compiled = append(outs, m[1]), append(losses, loss), append(compiled, n)
	}
	return outs, losses, compiled
}

// TestBatchCompilesOnce: a batch of 4 frames of one size compiles its graphs for the first
// frame only (the count is nst.Model.Compilations, which counts each build GoMLX makes), and
// writes out/<name>.png for each, recording the batch's digest.
func TestBatchCompilesOnce(t *testing.T) {
	dir := t.TempDir()
	_, style := writePictures(t, dir)
	folder, frames := writeFrames(t, dir, 4, 48, 40)
	out := filepath.Join(dir, "out")
	code, stdout, stderr := estil(t, batchArgs(folder, style, out)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	outs, _, compiled := wrote(t, stdout)
	if len(outs) != 4 {
		t.Fatalf("%d frames written, want 4:\n%s", len(outs), stdout)
	}
	if compiled[0] == 0 || slices.Max(compiled[1:]) != 0 {
		t.Errorf("graphs compiled per frame: %v; want some for the first frame, none after", compiled)
	}
	for k, f := range frames {
		want := filepath.Join(out, filepath.Base(f))
		if outs[k] != want {
			t.Errorf("frame %d written to %s, want %s", k, outs[k], want)
		}
		if note, err := images.PNGText(want, batchKey, maxOutputBytes); err != nil || len(note) != 64 {
			t.Errorf("%s records %q (%v), want the batch's digest", want, note, err)
		}
	}
	if !strings.Contains(stdout, "batch: 4 frames written, 0 already done, 0 failed") {
		t.Errorf("no summary:\n%s", stdout)
	}
}

// TestBatchResumeSkipsOnlyVerifiedFrames: run again, a batch skips every frame; a damaged
// output is redone alone; a changed setting redoes them all.
func TestBatchResumeSkipsOnlyVerifiedFrames(t *testing.T) {
	dir := t.TempDir()
	_, style := writePictures(t, dir)
	folder, _ := writeFrames(t, dir, 3, 48, 40)
	out := filepath.Join(dir, "out")
	if code, _, stderr := estil(t, batchArgs(folder, style, out)...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	first := filepath.Join(out, "f0.png")
	before, _ := os.ReadFile(first)

	code, stdout, _ := estil(t, batchArgs(folder, style, out)...)
	if outs, _, _ := wrote(t, stdout); code != 0 || len(outs) != 0 || strings.Count(stdout, "already done, skipped") != 3 {
		t.Errorf("run again: exit %d, wrote %v; want every frame skipped:\n%s", code, outs, stdout)
	}
	if after, _ := os.ReadFile(first); !bytes.Equal(before, after) {
		t.Error("a skipped frame's output changed")
	}

	damaged := filepath.Join(out, "f1.png")
	data, _ := os.ReadFile(damaged)
	if err := os.WriteFile(damaged, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	_, stdout, _ = estil(t, batchArgs(folder, style, out)...)
	if outs, _, _ := wrote(t, stdout); !slices.Equal(outs, []string{damaged}) {
		t.Errorf("after damaging %s, the batch wrote %v; want that frame alone", damaged, outs)
	}

	_, stdout, _ = estil(t, batchArgs(folder, style, out, "--style-weight", "2e6")...)
	if outs, _, _ := wrote(t, stdout); len(outs) != 3 {
		t.Errorf("another --style-weight wrote %v; want every frame redone", outs)
	}
}

// TestBatchFrameFailureGoesOn: a frame that cannot be read, and one of another size, are
// reported; the others are written, and the exit status and the last line name the failures.
func TestBatchFrameFailureGoesOn(t *testing.T) {
	dir := t.TempDir()
	_, style := writePictures(t, dir)
	folder, _ := writeFrames(t, dir, 2, 48, 40)
	if err := os.WriteFile(filepath.Join(folder, "f0b.png"), []byte("not a picture"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := images.SavePNG(filepath.Join(folder, "f0c.png"), images.Swirls(40, 48)); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	code, stdout, stderr := estil(t, batchArgs(folder, style, out)...)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if outs, _, _ := wrote(t, stdout); len(outs) != 2 {
		t.Errorf("wrote %v, want the two good frames", outs)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if last := lines[len(lines)-1]; last != "estil: 2 of 4 frames failed: f0b.png, f0c.png" {
		t.Errorf("last line %q, want the summary naming the failed frames", last)
	}
	for _, want := range []string{"frame 2 of 4, " + filepath.Join(folder, "f0b.png"), "a batch is of one size"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// TestBatchInitPrevious: with --init previous a frame starts from the previous result. Two
// identical frames show it: the second then goes on optimizing the first's result and ends
// lower; without it, the second repeats the first.
func TestBatchInitPrevious(t *testing.T) {
	dir := t.TempDir()
	_, style := writePictures(t, dir)
	folder, frames := writeFrames(t, dir, 1, 48, 40)
	data, _ := os.ReadFile(frames[0])
	if err := os.WriteFile(filepath.Join(folder, "f1.png"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, stdout, stderr := estil(t, batchArgs(folder, style, filepath.Join(dir, "plain"))...)
	if _, losses, _ := wrote(t, stdout); len(losses) != 2 || losses[0] != losses[1] {
		t.Fatalf("without --init previous, two identical frames give losses %v (%s)", losses, stderr)
	}
	_, stdout, stderr = estil(t, batchArgs(folder, style, filepath.Join(dir, "previous"), "--init", "previous")...)
	if _, losses, _ := wrote(t, stdout); len(losses) != 2 || !(losses[1] < losses[0]) {
		t.Errorf("with --init previous, the second of two identical frames has losses %v, want lower than the first (%s)", losses, stderr)
	}
}

// TestBatchBadInput: a batch's command line mistakes are refused in one line, exit 2, before
// anything is written.
func TestBatchBadInput(t *testing.T) {
	dir := t.TempDir()
	content, style := writePictures(t, dir)
	folder, _ := writeFrames(t, dir, 2, 48, 40)
	clash := filepath.Join(dir, "clash") // a.png and a.jpg: both would be a.png
	if err := os.Mkdir(clash, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a.png", "a.jpg"} {
		if err := os.WriteFile(filepath.Join(clash, name), pngWithSize(48, 40), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	list := filepath.Join(dir, "list.txt")
	if err := os.WriteFile(list, []byte("# no frames\n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	masks := filepath.Join(dir, "masks") // the mask is where frame f0's result would go
	if err := os.Mkdir(masks, 0o755); err != nil {
		t.Fatal(err)
	}
	mask := writeMask(t, masks, "f0.png", 48, 40, func(x, _ int) bool { return x < 24 })
	for _, c := range []struct {
		args []string
		want string
	}{
		{batchArgs(folder, style, filepath.Join(dir, "r.png")), "is a directory of frames, so --out must be a folder"},
		{batchArgs(folder, style, masks, "--style-mask", mask), "would be overwritten"},
		{batchArgs(folder, style, folder), "would be overwritten"},
		{batchArgs(clash, style, out), "would both be written to"},
		{batchArgs(content, style, filepath.Join(dir, "o.png"), "--init", "previous"), "--init previous needs a batch"},
		{batchArgs(folder, style, out, "--checkpoint", filepath.Join(dir, "c.ckpt")), "--checkpoint is for one picture"},
		{batchArgs(list, style, out), "names no pictures"},
	} {
		code, stdout, stderr := estil(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || stdout != "" {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line with %q", c.args[5:], code, stderr, c.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused batch made its --out folder")
	}
}

// TestKilledBatchResumes: a batch killed with SIGKILL once its first frames are written goes on
// where it stopped when run again: the frames written are skipped, not redone, and the
// resumed batch ends on the uninterrupted batch's pictures (--init previous included: a frame
// after a skipped one starts from its written result, as in the uninterrupted run). Ctrl-C
// stops a batch at once, with 130.
func TestKilledBatchResumes(t *testing.T) {
	dir := t.TempDir()
	bin := buildEstil(t, dir)
	_, style := writePictures(t, dir)
	// Eight frames: the kill comes within milliseconds of the second being written, and the six
	// left take seconds, so the batch is always killed part way (a batch that finished first
	// would test nothing, and fails the test).
	folder, frames := writeFrames(t, dir, 8, 48, 40)
	args := func(out string) []string { return batchArgs(folder, style, out, "--init", "previous", "--iters", "12") }
	ref := filepath.Join(dir, "ref")
	if msg, err := exec.Command(bin, args(ref)...).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted batch: %v\n%s", err, msg)
	}

	out := filepath.Join(dir, "out")
	cmd := exec.Command(bin, args(out)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	second := filepath.Join(out, "f1.png")
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, err := os.Stat(second); err == nil {
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatal("the batch wrote no second frame in 2 minutes")
		}
		time.Sleep(5 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	done := map[string]time.Time{}
	for _, f := range frames {
		p := filepath.Join(out, filepath.Base(f))
		if fi, err := os.Stat(p); err == nil {
			done[p] = fi.ModTime()
		}
	}
	if len(done) == len(frames) {
		t.Fatalf("the batch wrote all %d frames before it was killed: nothing was left to resume", len(frames))
	}

	msg, err := exec.Command(bin, args(out)...).CombinedOutput()
	if err != nil {
		t.Fatalf("resuming: %v\n%s", err, msg)
	}
	outs, _, _ := wrote(t, string(msg))
	for p, mod := range done {
		if slices.Contains(outs, p) {
			t.Errorf("%s, written before the kill, was redone", p)
		}
		if fi, err := os.Stat(p); err != nil || !fi.ModTime().Equal(mod) {
			t.Errorf("%s changed when the batch resumed", p)
		}
	}
	if len(outs)+len(done) != len(frames) {
		t.Errorf("the resumed batch wrote %v after %d were done; want the %d left", outs, len(done), len(frames)-len(done))
	}
	for _, f := range frames {
		name := filepath.Base(f)
		if got, want := pixelsOf(t, filepath.Join(out, name)), pixelsOf(t, filepath.Join(ref, name)); !slices.Equal(got, want) {
			t.Errorf("%s: the resumed batch's picture differs from the uninterrupted batch's", name)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(out, ".*.tmp")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}

	// Ctrl-C stops the batch at once with 130, says how to go on, and leaves the frame it was
	// stylizing unwritten.
	interrupted := filepath.Join(dir, "interrupted")
	cmd = exec.Command(bin, args(interrupted)...)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for first, deadline := filepath.Join(interrupted, "f0.png"), time.Now().Add(2*time.Minute); ; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(first); err == nil {
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatal("the batch wrote no frame in 2 minutes")
		}
	}
	_ = cmd.Process.Signal(os.Interrupt)
	err = waitAtMost(t, cmd, time.Minute)
	written, _ := filepath.Glob(filepath.Join(interrupted, "*.png"))
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 || !strings.Contains(stderr.String(), "interrupted at frame") {
		t.Errorf("Ctrl-C: %v, want exit 130 saying where it stopped:\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), fmt.Sprintf("with %d written", len(written))) {
		t.Errorf("Ctrl-C left %d frames written, and says:\n%s", len(written), stderr.String())
	}
}

// TestBatchWithControl: a batch applies spatial control (--style-mask) and scale control
// (--style-coarse, --style-fine) to every frame, as a single run of each frame does, pixel for
// pixel; scale control makes the batch's style picture once.
func TestBatchWithControl(t *testing.T) {
	dir := t.TempDir()
	_, style, style2, left, right := controlPictures(t, dir)
	folder, frames := writeFrames(t, dir, 2, 48, 40)
	for name, control := range map[string][]string{
		"masks":         {"--style", style, "--style-mask", left, "--style", style2, "--style-mask", right},
		"scale control": {"--style-coarse", style, "--style-fine", style2},
	} {
		t.Run(name, func(t *testing.T) {
			common := append([]string{"stylize", "--weights", "random", "--backend", "go", "--size", "32", "--iters", "3", "--quiet"}, control...)
			out := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
			code, _, stderr := estil(t, append(slices.Clone(common), "--content", folder, "--out", out)...)
			if code != 0 {
				t.Fatalf("batch: exit %d: %s", code, stderr)
			}
			if name == "scale control" && strings.Count(stderr, "scale control: made") != 1 {
				t.Errorf("the batch made its style picture %d times, want once:\n%s", strings.Count(stderr, "scale control: made"), stderr)
			}
			for k, f := range frames {
				single := filepath.Join(dir, fmt.Sprintf("single-%d.png", k))
				if code, _, stderr := estil(t, append(slices.Clone(common), "--content", f, "--out", single)...); code != 0 {
					t.Fatalf("frame %d alone: exit %d: %s", k, code, stderr)
				}
				a, b := readPNG(t, filepath.Join(out, filepath.Base(f))), readPNG(t, single)
				if a.Bounds() != b.Bounds() {
					t.Fatalf("frame %d: the batch wrote %v, a single run %v", k, a.Bounds(), b.Bounds())
				}
				for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
					for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
						if a.At(x, y) != b.At(x, y) {
							t.Fatalf("frame %d differs from a single run of it at (%d, %d): %v against %v", k, x, y, a.At(x, y), b.At(x, y))
						}
					}
				}
			}
		})
	}
}
