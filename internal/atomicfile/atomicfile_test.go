package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestWriteReplacesWholeFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, func(w io.Writer) error { _, err := io.WriteString(w, "new contents"); return err }); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "new contents" {
		t.Fatalf("file holds %q (%v), want the new contents", got, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != Mode {
		t.Errorf("mode %v (%v), want %v", fi.Mode(), err, os.FileMode(Mode))
	}
	onlyFile(t, dir, "out.txt")
}

// TestWriteFailureKeepsOldFile: an error from the writer, after it wrote part of the file, leaves
// the old file whole and no temporary file behind, and is returned as it is.
func TestWriteFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := Write(path, func(w io.Writer) error {
		if _, err := w.Write(make([]byte, 1<<20)); err != nil { // more than the buffer: it reaches the disk
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("error %v, want the writer's own", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Errorf("the old file was changed to %d bytes", len(got))
	}
	onlyFile(t, dir, "out.txt")
}

// TestWritePanicLeavesNoTemporary: a panic in the writer goes on up, and leaves the old file
// whole and no temporary file behind (issue 18, finding 4: the clean-up ran only on errors).
func TestWritePanicLeavesNoTemporary(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v, want the writer's panic", r)
			}
		}()
		_ = Write(path, func(w io.Writer) error {
			if _, err := w.Write(make([]byte, 1<<20)); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Errorf("the old file was changed to %d bytes", len(got))
	}
	onlyFile(t, dir, "out.txt")
}

// TestWriteThroughLinkKeepsTheLink: writing to a symbolic link replaces the file it points to,
// in that file's folder, and the link stays a link (issue 18, finding 13: --resume link.ckpt
// replaced the link with a file and left the target's old state). A link to a file not there
// yet, through a relative chain of links, creates that file.
func TestWriteThroughLinkKeepsTheLink(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	target := filepath.Join(other, "run.ckpt")
	if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.ckpt")
	mustSymlink(t, target, link)
	// dangling.ckpt → chain.ckpt → new.ckpt (not there yet), all relative.
	mustSymlink(t, "chain.ckpt", filepath.Join(dir, "dangling.ckpt"))
	mustSymlink(t, "new.ckpt", filepath.Join(dir, "chain.ckpt"))
	for _, c := range []struct{ path, file, contents string }{
		{link, target, "new state"},
		{filepath.Join(dir, "dangling.ckpt"), filepath.Join(dir, "new.ckpt"), "created"},
	} {
		if err := Write(c.path, func(w io.Writer) error { _, err := io.WriteString(w, c.contents); return err }); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Lstat(c.path); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("%s is no longer a link (%v, %v)", c.path, fi.Mode(), err)
		}
		if got, err := os.ReadFile(c.file); err != nil || string(got) != c.contents {
			t.Errorf("%s holds %q (%v), want %q", c.file, got, err, c.contents)
		}
	}
	onlyFile(t, other, "run.ckpt")
}

func TestTarget(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	mustSymlink(t, real, filepath.Join(dir, "dirlink"))
	mustSymlink(t, "real/b.png", filepath.Join(dir, "filelink.png"))
	want := Target(filepath.Join(real, "b.png"))
	if !filepath.IsAbs(want) {
		t.Fatalf("Target gave %q, want an absolute path", want)
	}
	for _, p := range []string{filepath.Join(dir, "dirlink", "b.png"), filepath.Join(dir, "filelink.png"), filepath.Join(dir, "dirlink", "..", "real", "b.png")} {
		if got := Target(p); got != want {
			t.Errorf("Target(%s) = %s, want %s: the same file, not there yet", p, got, want)
		}
	}
	if got := Target(filepath.Join(dir, "dirlink", "c.png")); got == want {
		t.Errorf("another name in the same folder has the same Target %s", got)
	}
}

// TestRemoveStale removes Write's temporaries of the destinations asked for, and nothing else:
// not another file's, not a name CreateTemp would not give, not a folder or a link.
func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	files := map[string]bool{ // name → whether RemoveStale must remove it
		".out.png.123456.tmp":  true,
		".out.png.7.tmp":       true,
		"out.png":              false,
		".out.png.x.tmp":       false,
		".out.png.123.tmp.bak": false,
		".other.png.123.tmp":   false,
		"out.png.123.tmp":      false,
	}
	for name := range files {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, ".out.png.99.tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	mustSymlink(t, "out.png", filepath.Join(dir, ".out.png.98.tmp"))
	RemoveStale(dir, func(dest string) bool { return dest == filepath.Join(dir, "out.png") })
	for name, removed := range files {
		if _, err := os.Lstat(filepath.Join(dir, name)); removed != os.IsNotExist(err) {
			t.Errorf("%s: removed %v, want %v", name, os.IsNotExist(err), removed)
		}
	}
	for _, name := range []string{".out.png.99.tmp", ".out.png.98.tmp"} {
		if _, err := os.Lstat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s (not a regular file) was removed", name)
		}
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI: no symbolic links here: %v", err)
		}
		t.Skipf("no symbolic links here: %v", err)
	}
}

func TestWriteIntoMissingFolder(t *testing.T) {
	err := Write(filepath.Join(t.TempDir(), "missing", "out.txt"), func(io.Writer) error { return nil })
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("error %v, want one that is os.ErrNotExist", err)
	}
}

func onlyFile(t *testing.T, dir, name string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != name {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("folder holds %v, want only %s", names, name)
	}
}

// TestRemoveStaleOlder: in a shared folder only the old temporaries go, Write's and the legacy
// patterns', each reported; a fresh one (perhaps being written) and other files stay.
func TestRemoveStaleOlder(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-2 * time.Hour)
	for _, name := range []string{".a.bin.123.tmp", ".b.bin.part", "c.bin", ".d.bin.456.tmp"} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if name != ".d.bin.456.tmp" {
			if err := os.Chtimes(path, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	var removed []string
	RemoveStaleOlder(dir, time.Hour, func(name string) { removed = append(removed, name) }, ".*.part")
	entries, _ := os.ReadDir(dir)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if !slices.Equal(left, []string{".d.bin.456.tmp", "c.bin"}) || !slices.Equal(removed, []string{".a.bin.123.tmp", ".b.bin.part"}) {
		t.Errorf("left %v, removed %v; want the fresh temporary and c.bin left, the old .tmp and .part removed", left, removed)
	}
}

// TestCheckWritable: the probe passes in a folder Write can write in, through a link too, and
// leaves nothing behind; it fails where the folder does not exist.
func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	if err := CheckWritable(filepath.Join(dir, "out.json")); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the probe left %v", entries)
	}
	if err := CheckWritable(filepath.Join(dir, "missing", "out.json")); err == nil {
		t.Error("a file in a missing folder passed")
	}
}
