package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/nst"
)

// TestOutputsNeverOverwriteInputs: an output that is an input (by name or through a link), two
// outputs that are one file (also through a linked folder, neither there yet), an output that is
// the checkpoint being resumed (but --checkpoint), a checkpoint name that hits an input, or an
// --out without a name is refused before any computation, with exit code 2, and every input is
// left as it was (issue 10, finding 7: --out equal to --content used to replace the picture,
// exit 0; issue 18, findings 9 and 10: linked folders and --resume's file were not seen).
func TestOutputsNeverOverwriteInputs(t *testing.T) {
	dir := t.TempDir()
	content, style := writePictures(t, dir)
	link := filepath.Join(dir, "link.png")
	if err := os.Symlink(content, link); err != nil {
		t.Fatal(err)
	}
	checkpointLike := filepath.Join(dir, "r-2.png") // what --out r.png --save-every 2 writes first
	if err := images.SavePNG(checkpointLike, images.Swirls(40, 40)); err != nil {
		t.Fatal(err)
	}
	// A checkpoint may have any name; ending in .png, it could be --out. Outputs are checked before
	// the checkpoint is read, so any bytes do.
	resumed := filepath.Join(dir, "state.png")
	if err := os.WriteFile(resumed, []byte("a checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	real, dirlink := filepath.Join(dir, "real"), filepath.Join(dir, "dirlink")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, dirlink); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.ckpt")
	mask := writeMask(t, dir, "mask.png", 48, 40, func(x, _ int) bool { return x < 24 })
	inputs := []string{content, style, checkpointLike, resumed, mask}
	before := map[string][]byte{}
	for _, p := range inputs {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		before[p] = data
	}
	out := filepath.Join(dir, "r.png")
	base := []string{"stylize", "--weights", "random", "--backend", "go", "--size", "32", "--iters", "4", "--quiet"}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"out is the content", []string{"--content", content, "--style", style, "--out", content}, "is the input"},
		{"out is a link to the content", []string{"--content", content, "--style", style, "--out", link}, "is the input"},
		{"out is the init picture", []string{"--content", content, "--style", style, "--init", checkpointLike, "--out", checkpointLike}, "is the input"},
		{"report is out", []string{"--content", content, "--style", style, "--out", out, "--report", out}, "same file"},
		{"report is the style", []string{"--content", content, "--style", style, "--out", out, "--report", style}, "is the input"},
		{"save-every's picture over an input", []string{"--content", content, "--style", checkpointLike, "--out", out, "--save-every", "2"}, "picture 2"},
		{"checkpoint is the content", []string{"--content", content, "--style", style, "--out", out, "--checkpoint", link}, "is the input"},
		{"checkpoint is out", []string{"--content", content, "--style", style, "--out", out, "--checkpoint", out}, "same file"},
		{"preview is the content", []string{"--content", content, "--style", style, "--out", out, "--preview", content}, "is the input"},
		{"preview is out", []string{"--content", content, "--style", style, "--out", out, "--preview", out}, "same file"},
		{"resume rewrites the style", []string{"--content", content, "--style", style, "--out", out, "--resume", style}, "is the input"},
		{"report is out through a linked folder", []string{"--content", content, "--style", style, "--out", filepath.Join(real, "b.png"), "--report", filepath.Join(dirlink, "b.png")}, "same file"},
		{"checkpoint is out through a linked folder", []string{"--content", content, "--style", style, "--out", filepath.Join(real, "a.png"), "--checkpoint", filepath.Join(dirlink, "a.png")}, "same file"},
		{"out is the resumed checkpoint", []string{"--content", content, "--style", style, "--resume", resumed, "--checkpoint", other, "--out", resumed}, "is the input"},
		{"report is the resumed checkpoint", []string{"--content", content, "--style", style, "--resume", resumed, "--checkpoint", other, "--out", out, "--report", resumed}, "is the input"},
		{"preview is the resumed checkpoint", []string{"--content", content, "--style", style, "--resume", resumed, "--checkpoint", other, "--out", out, "--preview", filepath.Join(dirlink, "..", "state.png")}, "is the input"},
		{"save-every's picture over the resumed checkpoint", []string{"--content", content, "--style", style, "--resume", checkpointLike, "--checkpoint", other, "--out", out, "--save-every", "2"}, "picture 2"},
		{"out is the mask", []string{"--content", content, "--style", style, "--style-mask", mask, "--out", mask}, "is the input"},
		{"report is the guide", []string{"--content", content, "--style", style, "--style-guide", mask, "--out", out, "--report", mask}, "is the input"},
		{"out is the coarse picture", []string{"--content", content, "--style-coarse", mask, "--style-fine", style, "--out", mask}, "is the input"},
		{"out without a name", []string{"--content", content, "--style", style, "--out", filepath.Join(dir, ".png")}, "no name"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := estil(t, append(append([]string{}, base...), c.args...)...)
			if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Errorf("exit %d, stderr %q; want exit 2 and one line saying %q", code, stderr, c.want)
			}
			for _, p := range inputs {
				if data, err := os.ReadFile(p); err != nil || !bytes.Equal(data, before[p]) {
					t.Fatalf("%s was changed (%v)", p, err)
				}
			}
		})
	}
}

// TestCheckpointThroughALinkKeepsTheLink: --checkpoint (and so --resume) naming a symbolic link
// writes the file the link points to, and the link stays (issue 18, finding 13: the link was
// replaced with a file, and its target kept the old state).
func TestCheckpointThroughALinkKeepsTheLink(t *testing.T) {
	dir := t.TempDir()
	content, style := writePictures(t, dir)
	target, link := filepath.Join(dir, "state", "run.ckpt"), filepath.Join(dir, "run.ckpt")
	if err := os.Mkdir(filepath.Dir(target), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("state", "run.ckpt"), link); err != nil { // not there yet
		t.Fatal(err)
	}
	code, _, stderr := estil(t, "stylize", "--weights", "random", "--backend", "go", "--content", content, "--style", style,
		"--size", "32", "--iters", "3", "--checkpoint-every", "1", "--checkpoint", link, "--keep-checkpoint", "--out", filepath.Join(dir, "o.png"), "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("%s is no longer a link (%v)", link, err)
	}
	if c, err := nst.LoadCheckpoint(target); err != nil || c.Iterations != 3 {
		t.Errorf("the link's target holds no checkpoint of the finished run's 3 iterations: %v", err)
	}
}

// TestStaleTemporariesAreSwept: a run removes the temporary files that a run killed while it
// wrote (kill -9) left beside its outputs, all of them, and nothing else (issue 18, finding 13:
// only the checkpoint's were swept, the pictures' and the report's stayed forever).
func TestStaleTemporariesAreSwept(t *testing.T) {
	dir := t.TempDir()
	content, style := writePictures(t, dir)
	stale := map[string]bool{ // name → whether the run must remove it
		".o.png.123.tmp":       true,
		".o-2.png.4567.tmp":    true, // --save-every's picture 2
		".run.json.89.tmp":     true,
		".run.ckpt.1011.tmp":   true,
		".preview.png.12.tmp":  true,
		".o-3.png.13.tmp":      false, // not one of --save-every's pictures
		".other.png.14.tmp":    false,
		".o.png.copy.tmp":      false, // not a name atomicfile gives
		".content.png.15.tmp":  false,
		"notes-o.png.16.tmp":   false,
		".o.png.17.tmp.backup": false,
	}
	for name := range stale {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, _, stderr := estil(t, "stylize", "--weights", "random", "--backend", "go", "--content", content, "--style", style,
		"--size", "32", "--iters", "3", "--save-every", "2", "--out", filepath.Join(dir, "o.png"), "--report", filepath.Join(dir, "run.json"),
		"--preview", filepath.Join(dir, "preview.png"), "--checkpoint", filepath.Join(dir, "run.ckpt"), "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for name, removed := range stale {
		if _, err := os.Stat(filepath.Join(dir, name)); removed != os.IsNotExist(err) {
			t.Errorf("%s: removed %v, want %v", name, os.IsNotExist(err), removed)
		}
	}
}
