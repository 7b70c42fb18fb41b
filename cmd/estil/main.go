// Command estil performs neural style transfer with VGG19 (Gatys et al.), as the original
// notebook "Neural Style Transfer amb VGG19" does, on GoMLX.
//
//	estil stylize --content photo.jpg --style painting.jpg --out result.png
//	estil demo
//
// Run `estil help` or `estil <command> --help` for the flags.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"unicode/utf8"
)

const usage = `estil: neural style transfer with VGG19 (Gatys et al.), on GoMLX.

Usage:
  estil stylize --content C --style S --out O.png [flags]   paint the content of C in the style of S
  estil demo [flags]                                         stylize a built-in pair of pictures
  estil explain --content C --style S --out H.html [flags]   an HTML handout that explains a transfer
  estil bench [--size 64,128] [--evals 10] [flags]           time estil against the PyTorch original
  estil help [command]                                       this help, or a command's flags

The network's weights are downloaded on first use into the user's cache directory
(or $ESTIL_CACHE_DIR); --weights random runs offline with a random network.
The backend is XLA (GPU or CPU) when a PJRT plugin loads, else GoMLX's pure-Go backend.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the exit, for tests: it returns the process's exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "stylize":
		err = stylizeCommand(ctx, rest, stdout, stderr)
	case "demo":
		err = demoCommand(ctx, rest, stdout, stderr)
	case "explain":
		err = explainCommand(ctx, rest, stdout, stderr)
	case "bench":
		err = benchCommand(ctx, rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 {
			return run([]string{rest[0], "--help"}, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "estil: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	return exitCode(err, stderr)
}

// usageError is a mistake in the command line: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// exitCode prints err as one line and maps it to the process's exit code.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errHelp):
		return 0
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(stderr, "estil: %s\n", oneLine(err))
		return 130
	case errors.As(err, new(usageError)):
		fmt.Fprintf(stderr, "estil: %s (see --help)\n", oneLine(err))
		return 2
	default:
		fmt.Fprintf(stderr, "estil: %s\n", oneLine(err))
		return 1
	}
}

// maxMessage is the most of an error's text printed, in bytes: a last guard against a message
// that quotes what a file holds (one was 180 KB).
const maxMessage = 2000

// oneLine is err's message on one line: its line breaks (errors.Join's, or a file name's) become
// "; ", and past maxMessage bytes it is cut, between characters, saying how much was left out.
func oneLine(err error) string {
	msg := strings.Join(strings.FieldsFunc(err.Error(), func(r rune) bool { return r == '\n' || r == '\r' }), "; ")
	if len(msg) <= maxMessage {
		return msg
	}
	cut := maxMessage
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d more bytes)", msg[:cut], len(msg)-cut)
}
