package images

import (
	"os"
	"path/filepath"
	"testing"
)

// TestPNGTextRoundTrip writes a picture with a note, reads the note back, and checks that a
// picture without it, a truncated file and another key are told apart.
func TestPNGTextRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.png")
	img := Lighthouse(20, 16)
	if err := SavePNGText(path, img, "estil-batch", "digest 123"); err != nil {
		t.Fatal(err)
	}
	if v, err := PNGText(path, "estil-batch", 1<<20); err != nil || v != "digest 123" {
		t.Fatalf("PNGText = %q, %v; want the note", v, err)
	}
	if v, err := PNGText(path, "other", 1<<20); err != nil || v != "" {
		t.Errorf("another key: %q, %v; want none", v, err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Bounds() != img.Bounds() || got.At(3, 4) != img.At(3, 4) {
		t.Error("the picture with a note does not decode to the picture")
	}

	plain := filepath.Join(dir, "b.png")
	if err := SavePNG(plain, img); err != nil {
		t.Fatal(err)
	}
	if v, err := PNGText(plain, "estil-batch", 1<<20); err != nil || v != "" {
		t.Errorf("a picture without a note: %q, %v", v, err)
	}

	data, _ := os.ReadFile(path)
	cut := filepath.Join(dir, "cut.png")
	if err := os.WriteFile(cut, data[:len(data)-20], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := PNGText(cut, "estil-batch", 1<<20); err == nil {
		t.Error("a truncated picture was read as whole")
	}
	if _, err := PNGText(path, "estil-batch", 100); err == nil {
		t.Error("a file over maxBytes was read")
	}
	if err := SavePNGText(path, img, "", "x"); err == nil {
		t.Error("an empty key was written")
	}
}
