package images

import (
	"image"
	"image/color"
	"image/draw"
	"testing"
)

func TestResize(t *testing.T) {
	for _, tc := range []struct {
		w, h, long   int
		wantW, wantH int
	}{
		{300, 200, 150, 150, 100},
		{200, 300, 150, 100, 150},
		{640, 480, 512, 512, 384},
		{10, 5, 40, 40, 20}, // Upscaling.
		{1000, 1, 10, 10, 1},
		{1, 1000, 10, 1, 10},
		{333, 333, 100, 100, 100},
		{1001, 667, 512, 512, 341}, // 341.15
	} {
		got := Resize(testPattern(tc.w, tc.h), tc.long).Bounds()
		if got != image.Rect(0, 0, tc.wantW, tc.wantH) {
			t.Errorf("Resize(%d×%d, %d) is %v, want %d×%d", tc.w, tc.h, tc.long, got, tc.wantW, tc.wantH)
		}
	}
}

func TestResizeKeepsPicture(t *testing.T) {
	// A gradient stays the same gradient, shrunk or enlarged.
	for _, long := range []int{16, 50, 200} {
		got := Resize(testPattern(100, 100), long)
		if d := maxDiff(t, got, testPattern(long, long)); d > 8 {
			t.Errorf("gradient resized to %d differs by %d levels, want at most 8", long, d)
		}
	}
	// A flat color stays exactly flat, from a sub-image whose bounds do
	// not start at (0, 0).
	big := image.NewNRGBA(image.Rect(0, 0, 90, 60))
	draw.Draw(big, big.Rect, image.NewUniform(color.NRGBA{10, 200, 30, 255}), image.Point{}, draw.Src)
	sub := big.SubImage(image.Rect(30, 20, 90, 60))
	got := ResizeTo(sub, 17, 9)
	if got.Bounds() != image.Rect(0, 0, 17, 9) {
		t.Fatalf("ResizeTo(…, 17, 9) is %v", got.Bounds())
	}
	for y := range 9 {
		for x := range 17 {
			if c := got.RGBAAt(x, y); c != (color.RGBA{10, 200, 30, 255}) {
				t.Fatalf("pixel (%d, %d) is %v, want the flat color", x, y, c)
			}
		}
	}
	// Same size is a copy.
	p := testPattern(7, 5)
	if d := maxDiff(t, ResizeTo(p, 7, 5), p); d != 0 {
		t.Errorf("same-size ResizeTo changed the picture by %d", d)
	}
}

func TestResizePanics(t *testing.T) {
	for name, f := range map[string]func(){
		"Resize 0":     func() { Resize(testPattern(4, 4), 0) },
		"ResizeTo 0×4": func() { ResizeTo(testPattern(4, 4), 0, 4) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", name)
				}
			}()
			f()
		}()
	}
}
