package weights

import (
	"fmt"
	"io/fs"
	"os"
)

// openRegular opens path for reading if it is a regular file, after links. Anything else is
// refused by its kind: reading /dev/zero never ends, and opening a FIFO waits for a writer
// (issue 18, finding 11). The kind is checked before the file is opened, and again after, on
// what was opened.
func openRegular(path string) (*os.File, fs.FileInfo, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, notRegular(fi)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	if fi, err = f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = notRegular(fi)
		}
		return nil, nil, err
	}
	return f, fi, nil
}

func notRegular(fi fs.FileInfo) error {
	kind := "not a regular file"
	switch m := fi.Mode(); {
	case m.IsDir():
		kind = "a directory"
	case m&fs.ModeNamedPipe != 0:
		kind = "a named pipe (FIFO)"
	case m&fs.ModeDevice != 0:
		kind = "a device"
	case m&fs.ModeSocket != 0:
		kind = "a socket"
	}
	return fmt.Errorf("it is %s; give a regular file", kind)
}
