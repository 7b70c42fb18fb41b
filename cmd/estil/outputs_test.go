package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/estil-nst/estil/images"
)

// TestOutputsNeverOverwriteInputs: an output that is an input (by name or through a link), two
// outputs that are one file, a checkpoint name that hits an input, or an --out without a name is
// refused before any computation, with exit code 2, and every input is left as it was (issue 10,
// finding 7: --out equal to --content used to replace the picture, exit 0).
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
	inputs := []string{content, style, checkpointLike}
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
