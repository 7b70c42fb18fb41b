package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"hash/crc32"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/internal/testutil"
	"github.com/estil-nst/estil/weights/weightstest"
)

// estil runs the command in-process and returns its exit code, stdout and stderr.
func estil(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// writePictures writes a small content and style picture into dir.
func writePictures(t *testing.T, dir string) (content, style string) {
	t.Helper()
	content, style = filepath.Join(dir, "content.png"), filepath.Join(dir, "style.jpg")
	if err := images.SavePNG(content, images.Lighthouse(48, 40)); err != nil {
		t.Fatal(err)
	}
	if err := images.SavePNG(filepath.Join(dir, "style.png"), images.Swirls(40, 40)); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "style.png"), style); err != nil { // any format is sniffed
		t.Fatal(err)
	}
	return content, style
}

func TestStylizeRandomWeightsWritesImageAndReport(t *testing.T) {
	dir := t.TempDir()
	content, style := writePictures(t, dir)
	out, rep := filepath.Join(dir, "o.png"), filepath.Join(dir, "run.json")
	code, stdout, stderr := estil(t, "stylize", "--weights", "random", "--backend", "go", "--content", content,
		"--style", style, "--size", "32", "--iters", "5", "--out", out, "--report", rep, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "RANDOM") {
		t.Errorf("random weights not announced on stderr: %q", stderr)
	}
	if b := readPNG(t, out).Bounds(); b.Dx() != 32 || b.Dy() != 27 {
		t.Errorf("output is %d×%d, want 32×27", b.Dx(), b.Dy())
	}
	r, _ := readReport(t, rep)
	if !r.RandomWeights || r.Warning == "" {
		t.Errorf("report does not say the weights are random: %+v", r)
	}
	n := len(r.Evaluations)
	if n < 5 || len(r.Evaluations[0].Style) != 5 {
		t.Fatalf("report has %d evaluations, first %+v", n, r.Evaluations)
	}
	if !(r.Evaluations[n-1].Total < r.Evaluations[0].Total) {
		t.Errorf("loss did not fall: %v → %v", r.Evaluations[0].Total, r.Evaluations[n-1].Total)
	}
}

// TestBadInput: every mistake gets one line on stderr, a non-zero exit, no panic, and leaves
// an existing output file untouched.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.png")
	previous := []byte("previous result")
	base := []string{"stylize", "--weights", "random", "--backend", "go", "--size", "32", "--iters", "2", "--quiet"}
	for _, c := range badInputCases(t, dir, out) {
		t.Run(c.name, func(t *testing.T) {
			if err := os.WriteFile(out, previous, 0o644); err != nil {
				t.Fatal(err)
			}
			args := append(append([]string{}, base...), c.args...)
			if strings.HasSuffix(c.name, " weights") { // these give their own --weights
				args = slices.Delete(args, 1, 3)
			}
			checkBadInput(t, args, c.want, c.name)
			if data, _ := os.ReadFile(out); !bytes.Equal(data, previous) {
				t.Errorf("the existing output was changed")
			}
		})
	}
}

// badInputCase is one mistake: the flags after `stylize` and a word the message must contain.
type badInputCase struct {
	name string
	args []string
	want string
}

// badInputCases writes the broken files into dir and lists the mistakes TestBadInput makes.
func badInputCases(t *testing.T, dir, out string) []badInputCase {
	t.Helper()
	content, style := writePictures(t, dir)
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	notImage := write("notes.txt", []byte("this is not a picture"))
	empty := write("empty.png", nil)
	var buf bytes.Buffer
	_ = png.Encode(&buf, image.NewGray(image.Rect(0, 0, 64, 64)))
	truncated := write("truncated.png", buf.Bytes()[:len(buf.Bytes())/2])
	zero := write("zero.png", pngWithSize(0, 10))
	bomb := write("bomb.png", pngWithSize(100000, 100000))
	badWeights := write("bad.pth", []byte("PK\x03\x04 definitely not a checkpoint"))
	fixture, err := os.ReadFile(filepath.Join(weightstest.Dir(), weightstest.Weights))
	if err != nil {
		t.Fatal(err)
	}
	truncatedWeights := write("cut.pth", fixture[:len(fixture)*2/3])
	readOnly := filepath.Join(dir, "ro")
	if err := os.Mkdir(readOnly, 0o555); err != nil {
		t.Fatal(err)
	}
	pair := func(extra ...string) []string {
		return append([]string{"--content", content, "--style", style, "--out", out}, extra...)
	}
	cases := []badInputCase{
		{"missing content", []string{"--content", filepath.Join(dir, "nope.jpg"), "--style", style, "--out", out}, "nope.jpg"},
		{"content is a directory", []string{"--content", dir, "--style", style, "--out", out}, "directory"},
		{"not an image", []string{"--content", notImage, "--style", style, "--out", out}, "notes.txt"},
		{"empty file", []string{"--content", content, "--style", empty, "--out", out}, "empty"},
		{"truncated image", []string{"--content", truncated, "--style", style, "--out", out}, "truncated.png"},
		{"zero-size image", []string{"--content", zero, "--style", style, "--out", out}, "zero.png"},
		{"decompression bomb", []string{"--content", bomb, "--style", style, "--out", out}, "limit"},
		// 0.0000001 megapixels rounds down to 0 pixels, which used to mean "no limit".
		{"tiny pixel limit", pair("--max-megapixels", "0.0000001"), "limit"},
		{"unknown content layer", pair("--content-layers", "conv9_1"), "conv9_1"},
		{"unknown style layer", pair("--style-layers", "conv1_1:1,fc7"), "fc7"},
		{"negative style weight", pair("--style-weight", "-1"), "style weight"},
		{"NaN content weight", pair("--content-weight", "NaN"), "content weight"},
		{"NaN layer weight", pair("--style-layers", "conv1_1:NaN"), "conv1_1"},
		{"negative size", pair("--size", "-5"), "--size"},
		{"zero iterations", pair("--iters", "0"), "--iters"},
		{"NaN style scale", pair("--style-scale", "NaN"), "--style-scale"},
		// 2048 px × 16 asked for a 32768×20480 style picture, which died in the resize.
		{"style too large", pair("--size", "2048", "--style-size", "long-side", "--style-scale", "16"), "more than the 8192"},
		{"style scale with the content's size", pair("--style-scale", "2"), "--style-size long-side"},
		{"unknown style size", pair("--style-size", "square"), "--style-size"},
		{"bad blend", pair("--style-blend", "1,2"), "--style-blend"},
		{"output not png", []string{"--content", content, "--style", style, "--out", filepath.Join(dir, "o.jpg")}, ".png"},
		{"output dir missing", []string{"--content", content, "--style", style, "--out", filepath.Join(dir, "no", "o.png")}, "o.png"},
		{"output is a directory", []string{"--content", content, "--style", style, "--out", dir}, "directory"},
		{"corrupt weights", pair("--weights", badWeights), "bad.pth"},
		{"truncated weights", pair("--weights", truncatedWeights), "cut.pth"},
		{"missing weights", pair("--weights", filepath.Join(dir, "none.pth")), "none.pth"},
		{"unknown model", pair("--model", "resnet"), "resnet"},
		{"unknown backend", pair("--backend", "tpu"), "tpu"},
		{"unknown flag", pair("--colour"), "colour"},
		{"missing style", []string{"--content", content, "--out", out}, "--style"},
	}
	if os.Geteuid() != 0 { // root may write anywhere
		cases = append(cases, badInputCase{"read-only output dir",
			[]string{"--content", content, "--style", style, "--out", filepath.Join(readOnly, "o.png")}, "o.png"})
	}
	return cases
}

// checkBadInput runs estil with args and checks that it failed with one line (flag errors may
// add the usage) that mentions want, and no panic.
func checkBadInput(t *testing.T, args []string, want, name string) {
	t.Helper()
	code, stdout, stderr := estil(t, args...)
	if code == 0 {
		t.Fatalf("exit 0 for %v; stdout %q", args, stdout)
	}
	msg := strings.TrimSpace(stderr)
	if strings.Contains(msg, "\n") && !strings.HasPrefix(name, "unknown flag") {
		t.Errorf("more than one line: %q", msg)
	}
	if strings.Contains(msg, "panic") || strings.Contains(msg, "goroutine") {
		t.Errorf("panic trace: %q", msg)
	}
	if !strings.Contains(msg, want) {
		t.Errorf("message %q does not mention %q", msg, want)
	}
}

// pngWithSize returns a PNG whose header claims w×h pixels (and no valid data).
func pngWithSize(w, h int) []byte {
	var buf bytes.Buffer
	_ = png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1)))
	data := buf.Bytes()
	// IHDR data starts at byte 16: width, height (big-endian), then its CRC at 29.
	put := func(off, v int) {
		data[off], data[off+1], data[off+2], data[off+3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
	}
	put(16, w)
	put(20, h)
	crc := crc32IEEE(data[12:29])
	put(29, int(crc))
	return data
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"stylize", "--help"}, {"demo", "--help"}, {"help", "stylize"}} {
		code, stdout, stderr := estil(t, args...)
		if code != 0 || !strings.Contains(stdout+stderr, "Usage") {
			t.Errorf("%v: exit %d, output %q", args, code, stdout+stderr)
		}
	}
	if code, _, _ := estil(t); code != 2 {
		t.Errorf("no arguments: exit %d, want 2", code)
	}
	if code, _, stderr := estil(t, "paint"); code != 2 || !strings.Contains(stderr, "paint") {
		t.Errorf("unknown command: exit %d, %q", code, stderr)
	}
}

// TestInterruptWritesCurrentImage runs the real binary, sends it SIGINT (Ctrl-C) during the run,
// after its first iteration, and checks that it writes the current image to --out and exits
// with 130.
func TestInterruptWritesCurrentImage(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "estil")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	content, style := writePictures(t, dir)
	out := filepath.Join(dir, "o.png")
	cmd := exec.Command(bin, "stylize", "--weights", "random", "--backend", "go", "--content", content, "--style", style,
		"--size", "48", "--iters", "100000", "--out", out, "--report", filepath.Join(dir, "r.json"))
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Wait until an iteration is done (the progress bar counts it: "(1/100000"), then press
	// Ctrl-C. Before that, nothing is written.
	done := regexp.MustCompile(`\([1-9][0-9]*/100000`)
	for !done.MatchString(stderr.String()) {
		if ctx.Err() != nil {
			_ = cmd.Process.Kill()
			t.Fatalf("the run did not start: %s", stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 130 {
		t.Fatalf("exit %v, want 130; stderr: %s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("stderr does not say it was interrupted: %s", stderr.String())
	}
	readPNG(t, out)
}

// readPNG decodes the PNG file at path, failing the test if there is none.
func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("no image written: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s is not a PNG: %v", path, err)
	}
	return img
}

func crc32IEEE(b []byte) uint32 { return crc32.ChecksumIEEE(b) }

// syncBuffer is a bytes.Buffer safe to read while a process writes into it.
type syncBuffer = testutil.SyncBuffer

// TestNonFiniteLossKeepsLastImage: a style weight that overflows float32 makes the first loss
// infinite; the run stops with a message and exits non-zero. No iteration ran, so there is no
// image to keep but the start (the content): an existing --out is left as it was (issue 18,
// finding 5: a run stopped before its first iteration writes nothing).
func TestNonFiniteLossKeepsLastImage(t *testing.T) {
	dir := t.TempDir()
	content, style := writePictures(t, dir)
	out := filepath.Join(dir, "o.png")
	if err := os.WriteFile(out, []byte("previous result"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := estil(t, "stylize", "--weights", "random", "--backend", "go", "--content", content,
		"--style", style, "--size", "32", "--iters", "5", "--style-weight", "1e39", "--out", out, "--quiet")
	if code == 0 || !strings.Contains(stderr, "not a finite number") || !strings.Contains(stderr, "left "+out+" as it was") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if data, _ := os.ReadFile(out); string(data) != "previous result" {
		t.Errorf("--out was changed")
	}
}

// TestStylizeOptions runs the neural-style options together: two styles with blend weights, a
// style scale, noise init, checkpoints, original colours, Adam, average pooling, TV.
func TestStylizeOptions(t *testing.T) {
	dir := t.TempDir()
	content, style := writePictures(t, dir)
	style2 := filepath.Join(dir, "style2.png")
	if err := images.SavePNG(style2, images.Lighthouse(40, 30)); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "o.png")
	code, stdout, stderr := estil(t, "stylize", "--weights", "random", "--backend", "go", "--content", content,
		"--style", style, "--style", style2, "--style-blend", "0.7,0.3", "--style-size", "long-side", "--style-scale", "1.5",
		"--init", "noise", "--seed", "3", "--save-every", "2", "--original-colors", "--optimizer", "adam",
		"--pooling", "avg", "--tv-weight", "1e-3", "--size", "32", "--iters", "4", "--out", out, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	for _, f := range []string{"o.png", "o-2.png"} {
		if _, err := images.Load(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	// --init with a file
	code, _, stderr = estil(t, "stylize", "--weights", "random", "--backend", "go", "--content", content,
		"--style", style, "--init", style2, "--size", "32", "--iters", "2", "--out", out, "--quiet")
	if code != 0 {
		t.Fatalf("--init FILE: exit %d: %s", code, stderr)
	}
}

// readReport reads and decodes a --report file, and returns it with its bytes.
func readReport(t *testing.T, path string) (report, []byte) {
	t.Helper()
	var r report
	data, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(data, &r)
	}
	if err != nil {
		t.Fatal(err)
	}
	return r, data
}

// TestErrorsPrintOnOneLine: every error the command prints is one line, however it was built
// (errors.Join puts its parts on lines of their own) and however long (issue 18, finding 12:
// multi-line messages, one of 180 KB).
func TestErrorsPrintOnOneLine(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		code int
	}{
		{"joined", errors.Join(errors.New("scale 256: the loss is not a finite number"), errors.New("writing out.png: disk full")), 1},
		{"joined usage", usageError{errors.Join(errors.New("a"), errors.New("\r\nb\n")).Error()}, 2},
		{"interrupted", errors.Join(context.Canceled, errors.New("checkpoint: disk full")), 130},
		{"huge", errors.New("pickle value " + strings.Repeat("1234567890é", 20_000)), 1},
	} {
		var stderr bytes.Buffer
		if code := exitCode(c.err, &stderr); code != c.code {
			t.Errorf("%s: exit %d, want %d", c.name, code, c.code)
		}
		msg := stderr.String()
		if strings.Count(msg, "\n") != 1 || !strings.HasSuffix(msg, "\n") || strings.Contains(msg, "\r") || len(msg) > maxMessage+100 {
			t.Errorf("%s: printed %d bytes on %d lines, want one line of at most about %d: %.300q", c.name, len(msg), strings.Count(msg, "\n"), maxMessage, msg)
		}
		if !strings.HasPrefix(msg, "estil: ") || strings.Contains(msg, "; ;") {
			t.Errorf("%s: printed %.300q", c.name, msg)
		}
	}
}
