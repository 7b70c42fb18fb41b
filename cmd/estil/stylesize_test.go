package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
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
	}{
		{nil, 32, 27},
		{[]string{"--style-size", "content"}, 32, 27},
		{[]string{"--style-size", "long-side"}, 32, 32},
		{[]string{"--style-size", "long-side", "--style-scale", "1.5"}, 48, 48},
	} {
		rep := filepath.Join(dir, "r.json")
		args := append([]string{"stylize", "--weights", "random", "--backend", "go", "--content", content, "--style", style,
			"--size", "32", "--iters", "1", "--out", filepath.Join(dir, "o.png"), "--report", rep, "--quiet"}, c.flags...)
		if code, _, stderr := estil(t, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", c.flags, code, stderr)
		}
		var r report
		data, err := os.ReadFile(rep)
		if err == nil {
			err = json.Unmarshal(data, &r)
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Styles) != 1 || r.Styles[0].Width != c.w || r.Styles[0].Height != c.h {
			t.Errorf("%v: content %d×%d, styles %+v; want the style %d×%d", c.flags, r.Width, r.Height, r.Styles, c.w, c.h)
		}
	}
}
