package images

import (
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/estil-nst/estil/internal/atomicfile"
)

// SavePNG writes img to path as a PNG file, atomically (package atomicfile): a crash or a full
// disk never leaves a half-written picture, and an existing file at path is replaced only by a
// complete new one. The file is readable by everyone (mode 0644).
func SavePNG(path string, img image.Image) error {
	err := atomicfile.Write(path, func(w io.Writer) error {
		if err := png.Encode(w, img); err != nil {
			return fmt.Errorf("cannot encode PNG: %w", err)
		}
		return nil
	})
	if err == nil {
		return nil
	}
	if fi, serr := os.Stat(path); serr == nil && fi.IsDir() {
		return fmt.Errorf("image %q is a directory; give a file name ending in .png", path)
	}
	return fmt.Errorf("image %q cannot be written: %w", path, explainCreate(err))
}

// CheckWritable reports, before any work is done, whether [SavePNG] can
// write path: its name must end in .png, it must not be a directory, and its
// directory must exist and let a file be created in it (atomicfile.CheckWritable
// creates and removes a temporary file there to be sure).
func CheckWritable(path string) error {
	if path == "" {
		return errors.New("image path is empty; give a file name ending in .png")
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("image %q is a directory; give a file name ending in .png, such as %s",
			path, filepath.Join(path, "out.png"))
	}
	if ext := filepath.Ext(path); !strings.EqualFold(ext, ".png") {
		if ext == "" {
			return fmt.Errorf("image %q has no extension; estil writes PNG, so name it %s.png", path, path)
		}
		return fmt.Errorf("image %q ends in %s; estil writes PNG, so name it %s.png",
			path, ext, strings.TrimSuffix(path, ext))
	}
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("image %q: directory %q does not exist; create it first", path, dir)
	case err != nil:
		return fmt.Errorf("image %q: %w", path, explainCreate(err))
	case !fi.IsDir():
		return fmt.Errorf("image %q: %q is not a directory", path, dir)
	}
	if err := atomicfile.CheckWritable(path); err != nil {
		return fmt.Errorf("image %q: cannot create files in %q: %w", path, dir, explainCreate(err))
	}
	return nil
}

// explainCreate adds what to do to the usual errors of creating a file.
func explainCreate(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err // The path is already in the message.
	}
	switch {
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%w; choose a directory you can write to or fix its permissions", err)
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w; create the directory first", err)
	}
	return err
}
