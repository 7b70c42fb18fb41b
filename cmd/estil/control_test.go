package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/estil-nst/estil/images"
)

// writeMask writes a w×h black-and-white mask into dir: white where inside(x, y).
func writeMask(t *testing.T, dir, name string, w, h int, inside func(x, y int) bool) string {
	t.Helper()
	m := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			if inside(x, y) {
				m.SetGray(x, y, color.Gray{Y: 255})
			}
		}
	}
	path := filepath.Join(dir, name)
	if err := images.SavePNG(path, m); err != nil {
		t.Fatal(err)
	}
	return path
}

// controlPictures writes the content (48×40, writePictures's), a second style, and masks of the
// content's left and right halves into dir.
func controlPictures(t *testing.T, dir string) (content, style, style2, left, right string) {
	t.Helper()
	content, style = writePictures(t, dir)
	style2 = filepath.Join(dir, "style2.png")
	if err := images.SavePNG(style2, images.Lighthouse(40, 40)); err != nil {
		t.Fatal(err)
	}
	left = writeMask(t, dir, "left.png", 48, 40, func(x, _ int) bool { return x < 24 })
	right = writeMask(t, dir, "right.png", 48, 40, func(x, _ int) bool { return x >= 24 })
	return content, style, style2, left, right
}

// TestStylizeWithMasks runs a two-style transfer with a mask and a guide per style, on one scale
// and coarse to fine, and checks that each writes its result.
func TestStylizeWithMasks(t *testing.T) {
	dir := t.TempDir()
	content, style, style2, left, right := controlPictures(t, dir)
	guide := writeMask(t, dir, "guide.png", 40, 40, func(_, y int) bool { return y < 20 })
	for _, size := range [][]string{{"--size", "32"}, {"--scales", "24,32"}} {
		out, rep := filepath.Join(dir, "o.png"), filepath.Join(dir, "run.json")
		args := append([]string{"stylize", "--weights", "random", "--backend", "go", "--iters", "2", "--quiet", "--content", content,
			"--style", style, "--style-mask", left, "--style-guide", guide, "--style", style2, "--style-mask", right,
			"--style-guide", guide, "--out", out, "--report", rep}, size...)
		code, stdout, stderr := estil(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\nstdout: %s\nstderr: %s", size, code, stdout, stderr)
		}
		if r, _ := readReport(t, rep); len(r.Styles) != 2 || r.Styles[0].Mask != left || r.Styles[1].Mask != right || r.Styles[1].Guide != guide {
			t.Errorf("%v: the report's styles do not name their masks and guides: %+v", size, r.Styles)
		}
		if b := readPNG(t, out).Bounds(); b.Dx() != 32 || b.Dy() != 27 {
			t.Errorf("%v: the result is %d×%d, want 32×27", size, b.Dx(), b.Dy())
		}
	}
}

// TestStylizeWithLabelImage gives both styles' regions in one label image, one colour each, and
// checks that the run is the one with the two black-and-white masks: the same result, pixel for
// pixel.
func TestStylizeWithLabelImage(t *testing.T) {
	dir := t.TempDir()
	content, style, style2, left, right := controlPictures(t, dir)
	labels := image.NewNRGBA(image.Rect(0, 0, 48, 40))
	for y := range 40 {
		for x := range 48 {
			c := color.NRGBA{200, 30, 30, 255}
			if x >= 24 {
				c = color.NRGBA{30, 30, 200, 255}
			}
			labels.SetNRGBA(x, y, c)
		}
	}
	labelFile := filepath.Join(dir, "labels.png")
	if err := images.SavePNG(labelFile, labels); err != nil {
		t.Fatal(err)
	}
	var results []image.Image
	for i, masks := range [][2]string{{left, right}, {labelFile + ":#c81e1e", labelFile + ":#1E1EC8"}} {
		out := filepath.Join(dir, fmt.Sprintf("o%d.png", i))
		code, stdout, stderr := estil(t, "stylize", "--weights", "random", "--backend", "go", "--iters", "2", "--quiet", "--size", "32",
			"--content", content, "--style", style, "--style-mask", masks[0], "--style", style2, "--style-mask", masks[1], "--out", out)
		if code != 0 {
			t.Fatalf("%v: exit %d\nstdout: %s\nstderr: %s", masks, code, stdout, stderr)
		}
		results = append(results, readPNG(t, out))
	}
	a, _, _ := images.ToHWC(results[0])
	b, _, _ := images.ToHWC(results[1])
	if !slices.Equal(a, b) {
		t.Errorf("the label image's run differs from the masks' run")
	}
}

// TestStylizeScaleControl makes the style from --style-coarse and --style-fine and runs the
// transfer with it, on one scale and coarse to fine.
func TestStylizeScaleControl(t *testing.T) {
	dir := t.TempDir()
	content, style, style2, left, _ := controlPictures(t, dir)
	for _, extra := range [][]string{{"--size", "32"}, {"--scales", "24,32", "--style-mask", left}} {
		out, rep := filepath.Join(dir, "o.png"), filepath.Join(dir, "run.json")
		args := append([]string{"stylize", "--weights", "random", "--backend", "go", "--iters", "2", "--quiet", "--content", content,
			"--style-coarse", style2, "--style-fine", style, "--out", out, "--report", rep}, extra...)
		code, stdout, stderr := estil(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\nstdout: %s\nstderr: %s", extra, code, stdout, stderr)
		}
		if r, _ := readReport(t, rep); r.ScaleControl == nil || r.ScaleControl.Coarse != style2 || r.ScaleControl.Fine != style {
			t.Errorf("%v: the report does not name scale control's pictures: %+v", extra, r.ScaleControl)
		}
		if !strings.Contains(stderr, "scale control: made a 32×32 style picture") {
			t.Errorf("%v: stderr does not say the style was made: %q", extra, stderr)
		}
		if b := readPNG(t, out).Bounds(); b.Dx() != 32 || b.Dy() != 27 {
			t.Errorf("%v: the result is %d×%d, want 32×27", extra, b.Dx(), b.Dy())
		}
	}
}

// TestBadMasks: every bad mask, and every misuse of the control flags, gets one line on stderr
// and a non-zero exit, and writes nothing (an existing output stays as it was).
func TestBadMasks(t *testing.T) {
	dir := t.TempDir()
	content, style, style2, left, right := controlPictures(t, dir)
	out := filepath.Join(dir, "out.png")
	small := writeMask(t, dir, "small.png", 24, 20, func(x, _ int) bool { return x < 12 })
	grey := writeMask(t, dir, "grey.png", 48, 40, func(x, _ int) bool { return x < 24 })
	g, err := images.Load(grey)
	if err != nil {
		t.Fatal(err)
	}
	soft := image.NewGray(g.Bounds())
	for y := range 40 {
		for x := range 48 {
			soft.SetGray(x, y, color.Gray{Y: uint8(128 * (x % 2))})
		}
	}
	if err := images.SavePNG(grey, soft); err != nil {
		t.Fatal(err)
	}
	empty := writeMask(t, dir, "empty.png", 48, 40, func(int, int) bool { return false })
	most := writeMask(t, dir, "most.png", 48, 40, func(x, _ int) bool { return x < 30 })
	guide := writeMask(t, dir, "guide.png", 30, 30, func(int, int) bool { return true })
	two := func(m1, m2 string, extra ...string) []string {
		return append([]string{"--content", content, "--style", style, "--style-mask", m1, "--style", style2, "--style-mask", m2,
			"--out", out}, extra...)
	}
	one := func(extra ...string) []string {
		return append([]string{"--content", content, "--style", style, "--out", out}, extra...)
	}
	cases := []badInputCase{
		{"wrong size", two(small, right), "style 1's mask is 24×20, but the content is 48×40"},
		{"not binary", two(grey, right), "style 1's mask is not black and white: pixel (1, 0) is grey (0.50)"},
		{"empty", two(left, empty), "style 2's mask is empty"},
		{"overlapping", two(most, right), "the masks of styles 1 and 2 overlap, at pixel (24, 0)"},
		{"one mask for two styles", []string{"--content", content, "--style", style, "--style", style2, "--style-mask", left, "--out", out},
			"--style-mask is given 1 times for 2 style pictures"},
		{"missing mask file", one("--style-mask", filepath.Join(dir, "none.png")), "none.png"},
		{"guide of another size", one("--style-guide", guide), "style 1's guide is 30×30, but its picture is 40×40"},
		{"masks with another style loss", one("--style-mask", left, "--style-loss", "w2"), "--style-loss gram only"},
		{"label colour misspelt", one("--style-mask", left+":#12345"), "a label's colour is written #RRGGBB"},
		{"label colour absent", one("--style-mask", left+":#ff0000"), "style 1's mask is empty"},
		{"coarse without fine", []string{"--content", content, "--style-coarse", style, "--out", out}, "go together"},
		{"coarse with style", one("--style-coarse", style, "--style-fine", style2), "leave out --style"},
	}
	base := []string{"stylize", "--weights", "random", "--backend", "go", "--size", "32", "--iters", "2", "--quiet"}
	previous := []byte("previous result")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := os.WriteFile(out, previous, 0o644); err != nil {
				t.Fatal(err)
			}
			checkBadInput(t, append(append([]string{}, base...), c.args...), c.want, c.name)
			if data, _ := os.ReadFile(out); !bytes.Equal(data, previous) {
				t.Errorf("the existing output was changed")
			}
			if left, _ := filepath.Glob(filepath.Join(dir, "*.tmp*")); len(left) > 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
}

// TestExplainWithMask writes a handout whose transfer has a mask, and checks that it has the
// section on masks; a second mask, a grey one, or masks with another style loss are refused
// with one line, writing nothing.
func TestExplainWithMask(t *testing.T) {
	dir := t.TempDir()
	content, style, _, left, right := controlPictures(t, dir)
	out := filepath.Join(dir, "handout.html")
	base := []string{"explain", "--weights", "random", "--backend", "go", "--content", content, "--style", style,
		"--size", "32", "--iters", "2", "--race-evals", "2", "--layer", "conv1_1", "--channels", "3", "--out", out}
	code, stdout, stderr := estil(t, append(base, "--style-mask", left)...)
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if html := string(data); !strings.Contains(html, "Spatial control: masks") || !strings.Contains(html, "guided Gram matrix") {
		t.Errorf("the handout has no section on masks")
	}
	grey := writeMask(t, dir, "grey.png", 48, 40, func(int, int) bool { return false })
	g := image.NewGray(image.Rect(0, 0, 48, 40))
	for i := range g.Pix {
		g.Pix[i] = 100
	}
	if err := images.SavePNG(grey, g); err != nil {
		t.Fatal(err)
	}
	for _, c := range []badInputCase{
		{"two masks", []string{"--style-mask", left, "--style-mask", right}, "a handout explains one style picture"},
		{"grey mask", []string{"--style-mask", grey}, "style 1's mask is not black and white"},
		{"another style loss", []string{"--style-mask", left, "--style-loss", "mean-std"}, "--style-loss gram only"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := os.Remove(out); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			checkBadInput(t, append(append([]string{}, base...), c.args...), c.want, c.name)
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("the handout was written")
			}
		})
	}
}
