package weights

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrCorrupt is matched (errors.Is) by errors for files that are truncated or damaged.
var ErrCorrupt = errors.New("truncated or corrupt")

// corruptError wraps the reason a file could not be read as a damaged file.
type corruptError struct{ err error }

func (e *corruptError) Error() string        { return e.err.Error() }
func (e *corruptError) Unwrap() error        { return e.err }
func (e *corruptError) Is(target error) bool { return target == ErrCorrupt }

func corruptf(format string, args ...any) error {
	return &corruptError{fmt.Errorf(format, args...)}
}

// weightsFile is what a file is called in errors unless its reader is told otherwise.
const weightsFile = "weights file"

// fileError phrases an error about a file in one line; what says what the file is ("weights
// file", "checkpoint").
func fileError(what, path string, err error) error {
	var unsafe *UnsafeClassError
	switch {
	case errors.As(err, &unsafe):
		return fmt.Errorf("%s %s: %w", what, path, err)
	case errors.Is(err, ErrCorrupt):
		return fmt.Errorf("%s %s is truncated or corrupt (%w)", what, path, err)
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%s %s does not exist", what, path)
	default:
		return fmt.Errorf("%s %s: %w", what, path, err)
	}
}

// maxShown is how many characters of a name read from a file an error message shows.
const maxShown = 40

// shown is how a name read from a file (a tensor's, a storage's, a zip entry's, a Python
// class's) appears in an error message: as it is when short and plain, else quoted and cut to
// maxShown characters. The file decides the name, and must not make a message megabytes long
// (issue 18, finding 3) or break it over lines.
func shown(s string) string {
	plain := len(s) <= maxShown
	for i := 0; plain && i < len(s); i++ {
		plain = '!' <= s[i] && s[i] <= '~'
	}
	if plain {
		return s
	}
	cut, n := 0, 0
	for cut < len(s) && n < maxShown {
		_, size := utf8.DecodeRuneInString(s[cut:])
		cut += size
		n++
	}
	if cut == len(s) {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:cut]) + "…"
}

// maxMessage bounds the text of a library's error that estil passes on.
const maxMessage = 100

// brief is the message of a library's error about a file's content, which may quote the
// offending input whole (gopickle's "%#v" of an object, strconv's of a number, the safetensors
// package's of a JSON value): past maxMessage bytes, only what comes before its first ": ",
// itself cut to maxMessage.
func brief(err error) string {
	msg := err.Error()
	if len(msg) <= maxMessage && !strings.Contains(msg, "\n") {
		return msg
	}
	if i := strings.Index(msg, ": "); i >= 0 {
		msg = msg[:i]
	}
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	if len(msg) > maxMessage {
		cut := maxMessage
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut]
	}
	return msg + " …"
}
