package images

import (
	"errors"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// files returns the names in dir.
func files(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestSavePNG(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.png")
	want := testPattern(20, 10)
	for range 2 { // Create, then replace.
		if err := SavePNG(path, want); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxDiff(t, got, want); d != 0 {
		t.Errorf("saved picture differs by %d", d)
	}
	if names := files(t, dir); len(names) != 1 {
		t.Errorf("directory holds %v, want only out.png", names)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v (%v), want 0644", fi.Mode(), err)
	}
}

func TestSavePNGFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.png")
	if err := os.WriteFile(path, []byte("previous result"), 0o644); err != nil {
		t.Fatal(err)
	}
	// PNG cannot encode a picture of zero size, so encoding fails.
	err := SavePNG(path, image.NewRGBA(image.Rect(0, 0, 0, 0)))
	if err == nil || !strings.Contains(err.Error(), "out.png") {
		t.Fatalf("SavePNG of an empty picture: error %v, want one naming the file", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "previous result" {
		t.Errorf("existing file now holds %q", b)
	}
	if names := files(t, dir); len(names) != 1 {
		t.Errorf("directory holds %v, want only out.png: a temporary file was left", names)
	}
}

func TestSavePNGErrors(t *testing.T) {
	dir := t.TempDir()
	err := SavePNG(filepath.Join(dir, "missing", "out.png"), testPattern(2, 2))
	if err == nil || !strings.Contains(err.Error(), "create the directory") {
		t.Errorf("missing directory: error %v", err)
	}
	sub := filepath.Join(dir, "sub.png")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	err = SavePNG(sub, testPattern(2, 2))
	if err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("directory: error %v", err)
	}
	if names := files(t, dir); len(names) != 1 {
		t.Errorf("directory holds %v, want only sub.png", names)
	}
}

func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "folder.png"), 0o755); err != nil {
		t.Fatal(err)
	}
	existing := filepath.Join(dir, "old.png")
	if err := os.WriteFile(existing, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		want string // "" for no error.
	}{
		{filepath.Join(dir, "out.png"), ""},
		{filepath.Join(dir, "OUT.PNG"), ""},
		{existing, ""},
		{filepath.Join(dir, "out.jpg"), "ends in .jpg; estil writes PNG, so name it " + filepath.Join(dir, "out") + ".png"},
		{filepath.Join(dir, "out"), "has no extension"},
		{"", "empty"},
		{filepath.Join(dir, "folder.png"), "is a directory"},
		{dir, "is a directory"},
		{filepath.Join(dir, "nowhere", "out.png"), "does not exist; create it first"},
		{filepath.Join(existing, "out.png"), "is not a directory"},
	} {
		err := CheckWritable(tc.path)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("CheckWritable(%q): %v", tc.path, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("CheckWritable(%q): error %v, want one saying %q", tc.path, err, tc.want)
		}
	}
	if names := files(t, dir); len(names) != 2 {
		t.Errorf("directory holds %v after the checks, want folder.png and old.png", names)
	}
}

func TestCheckWritableReadOnlyDir(t *testing.T) {
	if runUnprivileged(t) {
		return
	}
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	if f, err := os.CreateTemp(dir, "probe"); err == nil {
		f.Close()
		os.Remove(f.Name())
		t.Fatal("directory permissions are not enforced for this user")
	}
	err := CheckWritable(filepath.Join(dir, "out.png"))
	if err == nil || !errors.Is(err, os.ErrPermission) || !strings.Contains(err.Error(), "cannot create files") {
		t.Errorf("read-only directory: error %v", err)
	}
	err = SavePNG(filepath.Join(dir, "out.png"), testPattern(2, 2))
	if err == nil || !strings.Contains(err.Error(), "permission") {
		t.Errorf("SavePNG in a read-only directory: error %v", err)
	}
}
