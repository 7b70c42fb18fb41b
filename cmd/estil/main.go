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

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the exit, for tests: it returns the process's exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		return helpCommand(args[1:], stdout, stderr)
	}
	cmd := lookup(args[0])
	if cmd == nil {
		fmt.Fprintf(stderr, "estil: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	ctx, stop := interruptible(stderr)
	defer stop()
	code := exitCode(cmd.Run(ctx, args[1:], stdout, stderr), stderr)
	if sig, ok := context.Cause(ctx).(signalled); ok && code == 130 {
		code = 128 + int(sig.Signal) // as a shell reports a process its signal ended: 130, 143
	}
	return code
}

// interruptible returns a context that the first SIGINT (Ctrl-C) or SIGTERM cancels, with the
// signal as its cause: the run then stops at the next safe point, writing what it has (the
// current picture, a checkpoint), and loading is abandoned at once (unlessCancelled). The
// signals are then given back to the system, so that a second one ends the process at once, as
// it ends any program, even while a step that cannot be cut short finishes. stop releases them.
func interruptible(stderr io.Writer) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-signals:
			signal.Stop(signals) // first: a second signal must find the default action in place
			n, _ := sig.(syscall.Signal)
			cancel(signalled{n})
			fmt.Fprintf(stderr, "\nestil: %v: stopping; a second one quits at once\n", sig)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(signals)
		close(done)
		cancel(nil)
	}
}

// signalled is the cause of a context interruptible cancelled.
type signalled struct{ syscall.Signal }

func (s signalled) Error() string { return "got " + s.Signal.String() }

// unlessCancelled runs load, but returns as soon as ctx is cancelled rather than when load
// returns: decoding pictures and reading weights do not watch ctx, and take many seconds on big
// files, during which Ctrl-C seemed ignored. load then goes on in the background until the
// process ends, which it is about to do; what it returns is dropped, and nothing has been
// written yet.
func unlessCancelled(ctx context.Context, load func() error) error {
	done := make(chan error, 1)
	if ctx.Err() == nil {
		go func() { done <- load() }()
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("interrupted while loading, before anything was written: %w", ctx.Err())
	}
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
