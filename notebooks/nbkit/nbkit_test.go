package nbkit

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/estil-nst/estil/images"
)

func TestSizes(t *testing.T) {
	for _, tc := range []struct {
		env         string
		tiny        bool
		size, iters int
	}{
		{"", false, 256, 100},
		{"0", false, 256, 100},
		{"1", true, TinySize, 3},
		{"true", true, TinySize, 3},
		{"yes", false, 256, 100}, // not a Go boolean: ignored rather than guessed
	} {
		t.Setenv(TinyEnv, tc.env)
		if Tiny() != tc.tiny || Size(256) != tc.size || Iters(100, 3) != tc.iters {
			t.Errorf("%s=%q: Tiny %v Size %d Iters %d, want %v %d %d", TinyEnv, tc.env, Tiny(), Size(256), Iters(100, 3), tc.tiny, tc.size, tc.iters)
		}
	}
	t.Setenv(TinyEnv, "1")
	if Size(24) != 24 || Iters(2, 5) != 2 {
		t.Error("tiny sizes must never exceed the classroom ones")
	}
}

func TestTinyModelIsRandomAndSaysSo(t *testing.T) {
	t.Setenv(TinyEnv, "1")
	t.Setenv("ESTIL_CACHE_DIR", t.TempDir()) // empty cache: no real weights
	t.Setenv("GOMLX_BACKEND", "go:ops_sequential")
	var out bytes.Buffer
	m, err := LoadModel(context.Background(), &out)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Weights.Random {
		t.Error("tiny run without cached weights did not use random weights")
	}
	if !strings.Contains(out.String(), "RANDOM") {
		t.Errorf("the output does not say the weights are random:\n%s", out.String())
	}
}

func TestRowInlinesEveryPicture(t *testing.T) {
	c, s := Pictures(40)
	if c.Bounds().Dx() != 40 || s.Bounds().Dx() != 40 {
		t.Fatalf("pictures are %v and %v wide", c.Bounds(), s.Bounds())
	}
	h := Row{{"content", c}, {"style <b>", s}}.HTML()
	if n := strings.Count(h, `src="data:image/png;base64,`); n != 2 {
		t.Fatalf("%d inlined pictures, want 2:\n%s", n, h)
	}
	if strings.Contains(h, "<b>") {
		t.Error("captions are not escaped")
	}
	// The inlined picture decodes to the very pixels given.
	start := strings.Index(h, "base64,") + len("base64,")
	data, err := base64.StdEncoding.DecodeString(h[start : start+strings.Index(h[start:], `"`)])
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	want := images.Lighthouse(40, 30)
	for _, p := range []image.Point{{0, 0}, {20, 15}, {39, 29}} {
		r1, g1, b1, _ := img.At(p.X, p.Y).RGBA()
		r2, g2, b2, _ := want.At(p.X, p.Y).RGBA()
		if r1>>8 != r2>>8 || g1>>8 != g2>>8 || b1>>8 != b2>>8 {
			t.Errorf("pixel %v differs", p)
		}
	}
	if _, err := PNGDataURI(image.NewRGBA(image.Rect(0, 0, 0, 0))); err == nil {
		t.Error("an empty picture was encoded")
	}
}

func TestLiveGivesUpWithoutBrowser(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	start := time.Now()
	if Live(50*time.Millisecond, func() { <-block }) {
		t.Error("Live reported a browser that never answered")
	}
	if time.Since(start) > 2*time.Second {
		t.Error("Live did not give up in time")
	}
	if !Live(time.Second, func() {}) {
		t.Error("Live did not report widgets that were built")
	}
}

// TestPicturesHaveTheSameSize: the notebooks' style picture has the content's size, as in the
// original (issue 11: it used to be square against a 4:3 content).
func TestPicturesHaveTheSameSize(t *testing.T) {
	for _, size := range []int{40, 96, 128, 224} {
		c, s := Pictures(size)
		if c.Bounds().Size() != s.Bounds().Size() {
			t.Errorf("Pictures(%d): content %v, style %v", size, c.Bounds().Size(), s.Bounds().Size())
		}
	}
}
