// Package atomicfile replaces files so that nobody ever sees half of one.
//
// estil writes pictures, reports, handouts, checkpoints' caches and downloaded weights. Each of
// them goes through Write: the bytes go to a temporary file in the same folder, which is flushed
// to disk, given mode 0644 and only then renamed over the destination. A reader, or the next run
// after a crash or a full disk, finds either the old file or the complete new one; the worst left
// behind is a temporary file named after the destination.
package atomicfile

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Mode is the permission of every file Write creates: readable by everyone, as a file created by
// a shell would be.
const Mode = 0o644

// Write creates or replaces the file at path with what write writes. The temporary file is
// ".NAME.*.tmp" in path's folder (which must exist); on any error, write's included, it is
// removed and path is left as it was. write's own error is returned as it is; Write's are
// wrapped with what failed.
func Write(path string, write func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return fmt.Errorf("creating a temporary file: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	buffered := bufio.NewWriterSize(tmp, 1<<16)
	if err = write(buffered); err != nil {
		return err
	}
	if err = buffered.Flush(); err != nil {
		return fmt.Errorf("writing: %w", err)
	}
	if err = tmp.Chmod(Mode); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("writing: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("writing: %w", err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("renaming into place: %w", err)
	}
	return nil
}
