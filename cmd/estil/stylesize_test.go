package main

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestDefaultStyleSizeIsTheContents: by default the style picture gets the content's width and
// height, as in the original (issue 11); --style-size long-side keeps its shape. The report
// records the sizes the network saw.
func TestDefaultStyleSizeIsTheContents(t *testing.T) {
	dir := t.TempDir()
	content, style := writePictures(t, dir) // 48×40 and 40×40
	for _, c := range []struct {
		flags []string
		w, h  int
		warns bool // that the Gram matrices of a long-side style and the result's differ in scale
	}{
		{nil, 32, 27, false},
		{[]string{"--style-size", "content"}, 32, 27, false},
		{[]string{"--style-size", "long-side"}, 32, 32, true},
		{[]string{"--style-size", "long-side", "--style-scale", "1.5"}, 48, 48, true},
		{[]string{"--style-size", "long-side", "--gram-norm", "hw", "--style-weight", "1e9"}, 32, 32, false},
		{[]string{"--style-size", "long-side", "--style-loss", "mean-std"}, 32, 32, false},
	} {
		rep := filepath.Join(dir, "r.json")
		args := append([]string{"stylize", "--weights", "random", "--backend", "go", "--content", content, "--style", style,
			"--size", "32", "--iters", "1", "--out", filepath.Join(dir, "o.png"), "--report", rep, "--quiet"}, c.flags...)
		code, _, stderr := estil(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", c.flags, code, stderr)
		}
		if warned := strings.Contains(stderr, "--style-size long-side with --gram-norm none"); warned != c.warns {
			t.Errorf("%v: warned %v, want %v: %s", c.flags, warned, c.warns, stderr)
		}
		r, _ := readReport(t, rep)
		if len(r.Styles) != 1 || r.Styles[0].Width != c.w || r.Styles[0].Height != c.h {
			t.Errorf("%v: content %d×%d, styles %+v; want the style %d×%d", c.flags, r.Width, r.Height, r.Styles, c.w, c.h)
		}
	}
}

// TestPreviewIsRewrittenDuringTheRun: --preview is rewritten every --preview-every iterations,
// always as a whole PNG, and ends as the result (issue 11).
func TestPreviewIsRewrittenDuringTheRun(t *testing.T) {
	dir := t.TempDir()
	content, style := writePictures(t, dir)
	out, preview := filepath.Join(dir, "o.png"), filepath.Join(dir, "preview.png")
	versions := map[string]bool{} // the distinct previews seen while the run went on
	stop := make(chan struct{})
	watched := make(chan error)
	go func() {
		var last []byte
		for {
			select {
			case <-stop:
				watched <- nil
				return
			default:
			}
			data, err := os.ReadFile(preview)
			if err == nil && !bytes.Equal(data, last) {
				if _, err := png.Decode(bytes.NewReader(data)); err != nil {
					watched <- fmt.Errorf("a preview of %d bytes is not a whole PNG: %v", len(data), err)
					return
				}
				versions[string(data)], last = true, data
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	code, _, stderr := estil(t, "stylize", "--weights", "random", "--backend", "go", "--content", content, "--style", style,
		"--size", "32", "--iters", "12", "--preview", preview, "--preview-every", "3", "--out", out, "--quiet")
	close(stop)
	if err := <-watched; err != nil {
		t.Fatal(err)
	}
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if len(versions) < 3 {
		t.Errorf("saw %d versions of the preview during the run, want at least 3 (iterations 3, 6, 9 and the result)", len(versions))
	}
	if !slices.Equal(pixelsOf(t, preview), pixelsOf(t, out)) {
		t.Error("the preview does not end as the result")
	}
}
