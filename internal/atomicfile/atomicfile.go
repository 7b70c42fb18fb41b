// Package atomicfile replaces files so that nobody ever sees half of one.
//
// estil writes pictures, reports, handouts, checkpoints' caches and downloaded weights. Each of
// them goes through Write: the bytes go to a temporary file in the same folder, which is flushed
// to disk, given mode 0644 and only then renamed over the destination. A reader, or the next run
// after a crash or a full disk, finds either the old file or the complete new one; the worst left
// behind is a temporary file named after the destination, which RemoveStale sweeps.
package atomicfile

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// Mode is the permission of every file Write creates: readable by everyone, as a file created by
// a shell would be.
const Mode = 0o644

// maxLinks is how many symbolic links Target follows in a row, as Linux does (MAXSYMLINKS).
const maxLinks = 40

// Write creates or replaces the file at path with what write writes. When path is a symbolic
// link, the file it points to is replaced and the link stays (see Target). The temporary file is
// ".NAME.*.tmp" in the folder of the file replaced (which must exist); on any error, write's
// included, and on a panic in write (which goes on up), it is removed and the file is left as
// it was. write's own error is returned as it is; Write's are wrapped with what failed.
func Write(path string, write func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(Target(path))
	tmp, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return fmt.Errorf("creating a temporary file: %w", err)
	}
	// Until the rename, every way out removes the temporary: an error, and also a panic, which
	// returns no error.
	renamed := false
	defer func() {
		if !renamed {
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
	if err = os.Rename(tmp.Name(), filepath.Join(dir, base)); err != nil {
		return fmt.Errorf("renaming into place: %w", err)
	}
	renamed = true
	return nil
}

// Target is the file Write(path) replaces, as an absolute path: when path is a symbolic link,
// what it points to, followed link by link even if the file at the end does not exist yet (as a
// shell's > does), and with the links of its folder resolved. Two names are the same destination
// exactly when their Targets are equal. A folder that does not exist is left as it is.
func Target(path string) string {
	for range maxLinks {
		if resolved, err := filepath.EvalSymlinks(path); err == nil {
			return absolute(resolved)
		}
		// Not there yet, or a link to something not there yet: follow the links by hand.
		path = inResolvedFolder(path)
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			break
		}
		dest, err := os.Readlink(path)
		if err != nil {
			break
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(path), dest) // the folder holds no links: ".." is its parent
		}
		path = dest
	}
	return absolute(path)
}

// inResolvedFolder is path with the links of its folder resolved, where the folder exists.
func inResolvedFolder(path string) string {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if resolved, err := filepath.EvalSymlinks(dir); err == nil {
		dir = resolved
	}
	return filepath.Join(dir, base)
}

func absolute(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

// temporaryName matches the names os.CreateTemp gives Write's temporary files: ".NAME.123.tmp",
// the digits being CreateTemp's random part.
var temporaryName = regexp.MustCompile(`^\.(.+)\.[0-9]+\.tmp$`)

// RemoveStale removes from the folder dir the temporary files that Writes killed before their
// rename (kill -9, a power cut) left there, for the destinations that ours accepts: it is given
// each one's path, dir/NAME. Nothing else is touched: only regular files named as Write names
// its temporaries. Failures are ignored: a stale temporary file costs only disk space.
func RemoveStale(dir string, ours func(dest string) bool) {
	sweep(dir, func(name string, _ os.FileInfo) bool {
		m := temporaryName.FindStringSubmatch(name)
		return m != nil && ours(filepath.Join(dir, m[1]))
	}, nil)
}

// RemoveStaleOlder is RemoveStale for a folder that other processes may be writing in at the
// same time (a shared cache): it removes Write's temporary files, and those matching legacy
// (filepath.Match patterns: temporaries of older writers), that were last modified more than age
// ago, since one being written is modified continuously. removed, if not nil, is given the name
// of each file removed.
func RemoveStaleOlder(dir string, age time.Duration, removed func(name string), legacy ...string) {
	sweep(dir, func(name string, fi os.FileInfo) bool {
		if time.Since(fi.ModTime()) <= age {
			return false
		}
		if temporaryName.MatchString(name) {
			return true
		}
		for _, pattern := range legacy {
			if ok, _ := filepath.Match(pattern, name); ok {
				return true
			}
		}
		return false
	}, removed)
}

// sweep removes the regular files of dir that stale accepts, telling removed.
func sweep(dir string, stale func(name string, fi os.FileInfo) bool, removed func(name string)) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil || !stale(e.Name(), fi) {
			continue
		}
		if os.Remove(filepath.Join(dir, e.Name())) == nil && removed != nil {
			removed(e.Name())
		}
	}
}

// CheckWritable reports whether Write could replace path, before any work is done: it creates
// and removes a temporary file, named as Write names them, in the folder of the file Write
// would replace (for a link, its target's). The error is the file system's, for the caller to
// explain in its own terms.
func CheckWritable(path string) error {
	dir, base := filepath.Split(Target(path))
	tmp, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return err
	}
	tmp.Close()
	return os.Remove(tmp.Name())
}
