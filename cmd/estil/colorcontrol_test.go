package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/nst"
)

// yiqOf returns Y, I and Q of one pixel of ToHWC's values (YIQ, NTSC 1953 coefficients).
func yiqOf(px []float32, k int) (y, i, q float64) {
	r, g, b := float64(px[k]), float64(px[k+1]), float64(px[k+2])
	return 0.299*r + 0.587*g + 0.114*b, 0.596*r - 0.274*g - 0.322*b, 0.211*r - 0.523*g + 0.312*b
}

// TestColorControlLuminanceAgainstPostHoc runs `estil stylize --weights random --size 32
// --iters 3` with --color-control luminance (Gatys et al.'s luminance-only transfer) and with
// original-colors (neural-style's post-hoc swap; --original-colors is the same run). Both keep
// the content's I and Q: exactly, to float32 rounding (1e-6), wherever no channel was clamped
// to 0 or 255 (the clamped pixels are counted and few). They differ in luminance, because the
// network saw different pictures; the test measures by how much, and requires more than the
// 8-bit rounding (0.5/255) of each.
func TestColorControlLuminanceAgainstPostHoc(t *testing.T) {
	dir := t.TempDir()
	contentPath, style := writePictures(t, dir)
	stylize := func(name string, extra ...string) []float32 {
		t.Helper()
		out := filepath.Join(dir, name+".png")
		rep := filepath.Join(dir, name+".json")
		args := append([]string{"stylize", "--weights", "random", "--backend", "go", "--content", contentPath, "--style", style,
			"--size", "32", "--iters", "3", "--out", out, "--report", rep, "--quiet"}, extra...)
		if code, _, stderr := estil(t, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", extra, code, stderr)
		}
		raw, err := os.ReadFile(rep)
		if err != nil {
			t.Fatal(err)
		}
		if want := `"color_control": "` + strings.TrimPrefix(name, "alias-") + `"`; name != "alias-original-colors" && !bytes.Contains(raw, []byte(want)) {
			t.Errorf("%v: the report does not say %s", extra, want)
		}
		img, err := images.Load(out)
		if err != nil {
			t.Fatal(err)
		}
		px, _, _ := images.ToHWC(img)
		return px
	}
	lum := stylize("luminance", "--color-control", "luminance")
	post := stylize("original-colors", "--color-control", "original-colors")
	alias := stylize("alias-original-colors", "--original-colors")
	plain := stylize("none")
	if !slicesEqual(post, alias) {
		t.Error("--original-colors wrote another picture than --color-control original-colors")
	}

	loaded, err := images.Load(contentPath)
	if err != nil {
		t.Fatal(err)
	}
	content, err := nst.Resize(loaded, 32)
	if err != nil {
		t.Fatal(err)
	}
	c, w, h := images.ToHWC(content)
	if len(lum) != len(c) {
		t.Fatalf("result has %d values, content at --size 32 %d (%d×%d)", len(lum), len(c), w, h)
	}
	chroma := func(name string, px []float32) (maxIQ float64, clamped int) {
		for k := 0; k < len(c); k += 3 {
			if min(px[k], px[k+1], px[k+2]) == 0 || max(px[k], px[k+1], px[k+2]) == 1 {
				clamped++
				continue
			}
			_, ic, qc := yiqOf(c, k)
			_, io, qo := yiqOf(px, k)
			maxIQ = max(maxIQ, math.Abs(io-ic), math.Abs(qo-qc))
		}
		t.Logf("%s: largest |ΔI|, |ΔQ| from the content's %.3g (%d of %d pixels clamped, left out)", name, maxIQ, clamped, len(c)/3)
		return maxIQ, clamped
	}
	for _, r := range []struct {
		name string
		px   []float32
	}{{"luminance", lum}, {"original-colors", post}} {
		if maxIQ, clamped := chroma(r.name, r.px); maxIQ > 1e-6 || clamped > len(c)/3/10 {
			t.Errorf("%s: the content's chroma is not kept: |ΔI|, |ΔQ| up to %.3g (want ≤ 1e-6), %d pixels clamped", r.name, maxIQ, clamped)
		}
	}
	if maxIQ, _ := chroma("none", plain); maxIQ < 0.01 {
		t.Errorf("without --color-control the chroma moved by %.3g only: the pictures cannot tell the methods apart", maxIQ)
	}

	var sum, most float64
	for k := 0; k < len(c); k += 3 {
		yl, _, _ := yiqOf(lum, k)
		yp, _, _ := yiqOf(post, k)
		sum += math.Abs(yl - yp)
		most = max(most, math.Abs(yl-yp))
	}
	mad := sum / float64(len(c)/3)
	t.Logf("luminance-only against post-hoc: mean |ΔY| %.4f (%.2f/255), largest %.4f (%.1f/255)", mad, mad*255, most, most*255)
	if mad <= 0.5/255 {
		t.Errorf("luminance-only and post-hoc results differ by a mean |ΔY| of %.3g only: the network saw the same pictures", mad)
	}
}

func slicesEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestColorControlUsageErrors: a bad --color-control, --original-colors with --color-control
// luminance, and --color-match with --color-control luminance are usage errors: exit 2, one
// line naming the flag, before anything is computed.
func TestColorControlUsageErrors(t *testing.T) {
	dir := t.TempDir()
	content, style := writePictures(t, dir)
	for _, c := range []struct {
		flags []string
		names []string
	}{
		{[]string{"--color-control", "yiq"}, []string{"--color-control", "yiq"}},
		{[]string{"--color-control", "luminance", "--original-colors"}, []string{"--original-colors", "luminance"}},
		{[]string{"--color-control", "luminance", "--color-match", "pca"}, []string{"--color-match", "luminance"}},
	} {
		args := append([]string{"stylize", "--weights", "random", "--backend", "go", "--content", content, "--style", style,
			"--size", "32", "--iters", "1", "--out", filepath.Join(dir, "o.png"), "--quiet"}, c.flags...)
		code, _, stderr := estil(t, args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2: %s", c.flags, code, stderr)
		}
		msg := strings.TrimSpace(stderr)
		if strings.Contains(msg, "\n") {
			t.Errorf("%v: want one line, got %q", c.flags, msg)
		}
		for _, n := range c.names {
			if !strings.Contains(msg, n) {
				t.Errorf("%v: %q does not name %s", c.flags, msg, n)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "o.png")); err == nil {
		t.Error("a usage error wrote the output")
	}
}
