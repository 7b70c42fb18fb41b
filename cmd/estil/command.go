package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// command is one of estil's commands, as the go command has them (cmd/go/internal/base): the
// table commands drives the dispatch in run, `estil help`, `estil help CMD` and `estil CMD
// --help`.
type command struct {
	// UsageLine is the usage message; its first word is the command's name. A second form
	// goes on a line of its own.
	UsageLine string
	// Short is the one line `estil help` shows.
	Short string
	// Long is `estil help CMD`'s text, before the flags: what the command does, examples, and
	// its flags explained in groups.
	Long string
	// Flag defines the command's flags on fs and returns what runs the command once fs has
	// parsed them: each call starts from fresh settings.
	Flag func(fs *flag.FlagSet) (run func(ctx context.Context, stdout, stderr io.Writer) error)
}

// commands are estil's commands, in the order `estil help` lists them.
var commands = []*command{stylizeCmd, demoCmd, explainCmd, benchCmd, doctorCmd, weightsCmd}

// Name is the command's name: UsageLine's first word.
func (c *command) Name() string { return strings.Fields(c.UsageLine)[0] }

// lookup returns the command called name, or nil.
func lookup(name string) *command {
	for _, c := range commands {
		if c.Name() == name {
			return c
		}
	}
	return nil
}

// flagSet is the command's flags, defined; run runs it.
func (c *command) flagSet() (*flag.FlagSet, func(context.Context, io.Writer, io.Writer) error) {
	fs := flag.NewFlagSet(c.Name(), flag.ContinueOnError)
	run := c.Flag(fs)
	return fs, run
}

// Run parses args and runs the command. --help prints its help on stdout (errHelp).
func (c *command) Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, run := c.flagSet()
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, errHelp) {
			c.help(stdout)
		}
		return err
	}
	return run(ctx, stdout, stderr)
}

// help prints `estil help CMD`: the usage, the long text and the flags, one line each.
func (c *command) help(w io.Writer) {
	fmt.Fprintf(w, "Usage: estil %s\n\n%s\nFlags (one or two dashes):\n", c.UsageLine, strings.TrimSpace(c.Long)+"\n")
	fs, _ := c.flagSet()
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// usage prints `estil help`: the commands and what they do.
func usage(w io.Writer) {
	fmt.Fprint(w, "estil: neural style transfer with VGG19 (Gatys et al.), on GoMLX.\n\nUsage:\n  estil <command> [flags]\n\nThe commands are:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.Name(), c.Short)
	}
	fmt.Fprintf(w, "  %-10s %s\n", "help", "this help, or a command's: estil help <command>")
	fmt.Fprint(w, `
The network's weights are downloaded on first use into the user's cache directory
(or $ESTIL_CACHE_DIR); --weights random runs offline with a random network.
The backend is XLA (GPU or CPU) when a PJRT plugin loads, else GoMLX's pure-Go backend.
Run 'estil help <command>' (or estil <command> --help) for a command's flags.
`)
}

// helpCommand is `estil help [command]`.
func helpCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stdout)
		return 0
	}
	c := lookup(args[0])
	if c == nil {
		fmt.Fprintf(stderr, "estil help: unknown command %q: run 'estil help' for the commands\n", args[0])
		return 2
	}
	c.help(stdout)
	return 0
}

// errHelp is returned when --help was asked for: the help was printed, exit 0.
var errHelp = errors.New("help shown")

// parseFlags parses args, turning --help into errHelp and flag errors into one-line usage
// errors that name the flag as it is typed: "--style-loss: unknown style loss …".
func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard) // the flag package's own messages: run prints one line instead
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return usageError{flagError(err)}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q (flags start with --)", fs.Arg(0))
	}
	return nil
}

// badValue matches the flag package's error for a value that Set refused.
var badValue = regexp.MustCompile(`^invalid (?:boolean )?value "((?s:.*))" for flag -([^:]+): ((?s:.*))$`)

// flagError is the flag package's error err, the flag written --name.
func flagError(err error) string {
	if m := badValue.FindStringSubmatch(err.Error()); m != nil {
		if value := `"` + m[1] + `"`; !strings.Contains(m[3], value) {
			return fmt.Sprintf("--%s %s: %s", m[2], value, m[3]) // "parse error", "value out of range"
		}
		return "--" + m[2] + ": " + m[3]
	}
	if name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -"); ok {
		return "unknown flag --" + name
	}
	return err.Error()
}
