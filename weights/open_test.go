package weights

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Issue 18, finding 11: every reader refuses what is not a regular file, before reading it. A FIFO
// made opening wait for a writer forever, and /dev/zero (or a link to it, as --resume named it)
// was read until memory ran out.
func TestReadersRefuseNonRegularFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.safetensors")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI: no FIFO here: %v", err)
		}
		t.Skipf("no FIFO here: %v", err)
	}
	paths := []string{fifo, dir} // a FIFO first: the old code hangs on it rather than eat memory
	if _, err := os.Stat("/dev/zero"); err == nil {
		link := filepath.Join(dir, "zero.pth")
		if err := os.Symlink("/dev/zero", link); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, "/dev/zero", link)
	}
	readers := map[string]func(string) error{
		"ReadSafetensors": func(p string) error { _, _, err := ReadSafetensors(p, nil); return err },
		"OpenSafetensors": func(p string) error { _, err := OpenSafetensors(p, "checkpoint"); return err },
		"ReadPyTorch":     func(p string) error { _, err := ReadPyTorch(p, nil); return err },
		"ReadFile":        func(p string) error { _, err := ReadFile(p, VGG19); return err },
	}
	for _, path := range paths {
		for name, read := range readers {
			done := make(chan error, 1)
			go func() { done <- read(path) }()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), "give a regular file") || !strings.Contains(err.Error(), path) {
					t.Errorf("%s(%s): got %v, want a refusal naming the file", name, path, err)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%s(%s) still reading after 10 s", name, path)
			}
		}
	}
}
