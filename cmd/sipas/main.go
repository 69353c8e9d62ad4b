// Command sipas computes Vietnam's Satisfaction Index of Public
// Administrative Services (SIPAS) from survey ballots: sample selection,
// ballot validation, weighting, design-based indices with standard errors,
// trends and reports. See CLI.md in docs/ for the contract.
//
// The command is a thin layer: every subcommand parses flags, calls the
// library and prints. No statistics are computed here.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/sipas-go/sipas/internal/arrowio"
)

func main() {
	// Ctrl-C (or SIGTERM) cancels the context: the long library calls
	// return, no output is left half-written (outputs are renamed into
	// place only when complete), and the command exits 1. A second signal
	// kills the process as usual.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	// no stop() here: a signal between it and the exit would kill the
	// process (exit by signal) after a run whose outputs are complete
	os.Exit(code)
}

// env is what a command may touch: its standard streams, and how its
// input tables are read (tableFlags).
type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// --format and --out of the commands that print a table
	// (addFormatFlag), and the buffer standing in for stdout with --out.
	format, outPath *string
	outBuf          *bytes.Buffer
	// --sheet, --delimiter, --decimal of the commands that read tables
	sheet, delim, decimal string
	// the temporary copy of standard input being read (spoolStdin)
	spool string
}

// tableFlags adds the flags that say how input tables are read: the sheet
// of an Excel workbook, the delimiter and decimal separator of CSV.
func (e *env) tableFlags(fs *flag.FlagSet) {
	fs.StringVar(&e.sheet, "sheet", "", "Excel (.xlsx) input: the sheet to read (default: the first)")
	fs.StringVar(&e.delim, "delimiter", "", "CSV input: field delimiter: , ; or tab (default: detected from the header line)")
	fs.StringVar(&e.decimal, "decimal", "", "CSV input: decimal separator: . or , (default: . in comma-delimited files, detected in others)")
}

// checkTableFlags checks --delimiter and --decimal.
func (e *env) checkTableFlags() error {
	switch e.delim {
	case "", ",", ";", "tab", "\\t", "\t":
	default:
		return usagef("--delimiter: %q is not one of , ; tab", e.delim)
	}
	switch e.decimal {
	case "", ".", ",":
	default:
		return usagef("--decimal: %q is not . or ,", e.decimal)
	}
	return nil
}

// in is the reading option of every input table: standard input for "-",
// and the sheet, delimiter and decimal separator given.
func (e *env) in() arrowio.Option {
	opts := []arrowio.Option{arrowio.WithStdin(e.stdin)}
	if e.spool != "" {
		opts = append(opts, arrowio.WithName(e.spool, displayName("-")))
	}
	if e.sheet != "" {
		opts = append(opts, arrowio.WithSheet(e.sheet))
	}
	switch e.delim {
	case ",", ";":
		opts = append(opts, arrowio.WithDelimiter(rune(e.delim[0])))
	case "tab", "\\t", "\t":
		opts = append(opts, arrowio.WithDelimiter('\t'))
	}
	if e.decimal != "" {
		opts = append(opts, arrowio.WithDecimal(rune(e.decimal[0])))
	}
	return arrowio.Options(opts...)
}

// readsWhole reports whether a table given by path is read into memory
// rather than streamed: standard input, Excel, and CSV with a delimiter or
// decimal separator given (streaming readers reopen the file by name).
func (e *env) readsWhole(path string) bool {
	f, _ := arrowio.FormatOf(path)
	return path == "-" || f == arrowio.XLSX || e.delim != "" || e.decimal != "" || e.sheet != ""
}

// command is one subcommand. run returns nil on success; a *usageError or
// *inputError (exit 2) for bad usage or bad input; any other error exits 1.
type command struct {
	name    string
	usage   string // one line: flags synopsis
	summary string // one line: what it does
	run     func(e *env, args []string) error
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("sipas: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

// usageError is bad usage (unknown flag, missing required flag): exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// inputError is bad input data (a file, row, column or spec field): exit 2.
type inputError struct{ err error }

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

// badInput marks err as caused by the user's input (exit status 2).
func badInput(err error) error {
	if err == nil {
		return nil
	}
	return &inputError{err}
}

// dataError is err about the rows of the table at path, as bad input: the
// file's name in front (unless the reader's message starts with it), and
// each data row the message names followed by its place in the file
// (arrowio.LocateRows).
func dataError(path string, err error) error {
	err = arrowio.LocateRows(path, err)
	name := displayName(path)
	if strings.HasPrefix(err.Error(), name+": ") {
		return badInput(err)
	}
	return badInput(fmt.Errorf("%s: %w", name, err))
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) > 1 {
			c, ok := commands[args[1]]
			if !ok {
				fmt.Fprintf(stderr, "sipas help: unknown command %q\n\n", args[1])
				printUsage(stderr)
				return 2
			}
			// the command's own -h (of a subcommand: help backcheck
			// sample): its usage and every flag
			e := &env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr}
			return exitCode(stderr, c, runCommand(c, e, append(slices.Clone(args[2:]), "-h")))
		}
		printUsage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "version" || args[0] == "--version" {
		fmt.Fprintln(stdout, "sipas", version)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "sipas: unknown command %q\n\n", args[0])
		printUsage(stderr)
		return 2
	}
	rest, debug := debugFlag(args[1:])
	e := &env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr}
	err := runCommand(c, e, rest)
	if err == nil && ctx.Err() == nil {
		if werr := commitOutput(e); werr != nil {
			err = writeError(werr)
		}
	}
	if err != nil && ctx.Err() != nil {
		fmt.Fprintf(stderr, "sipas %s: interrupted (%v); no output was written\n", c.name, context.Cause(ctx))
		return 1
	}
	code := exitCode(stderr, c, err)
	if debug && err != nil {
		printDebug(stderr, err)
	}
	return code
}

// debugFlag removes --debug from a command's arguments: it asks for the
// low-level cause of an error (a decoder's words about a corrupt file, the
// stack of an internal error), which users are otherwise spared.
func debugFlag(args []string) ([]string, bool) {
	out := args[:0:0]
	debug := false
	for i, a := range args {
		if a == "--" {
			out = append(out, args[i:]...)
			break
		}
		if a == "--debug" || a == "-debug" {
			debug = true
			continue
		}
		out = append(out, a)
	}
	return out, debug
}

// internalError is a panic inside a command: a bug, reported without the
// runtime's panic text (see --debug).
type internalError struct {
	value any
	stack []byte
}

func (e *internalError) Error() string {
	return "internal error: this is a bug in sipas, please report it with the output of the same command run with --debug"
}

// runCommand runs c, turning a panic into an internalError.
func runCommand(c *command, e *env, args []string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &internalError{value: p, stack: debug.Stack()}
		}
	}()
	return c.run(e, args)
}

// printDebug prints what --debug asks for.
func printDebug(w io.Writer, err error) {
	var ie *internalError
	if errors.As(err, &ie) {
		fmt.Fprintf(w, "debug: panic: %v\n%s", ie.value, ie.stack)
		return
	}
	if c := arrowio.Cause(err); c != nil {
		fmt.Fprintf(w, "debug: cause: %v\n", c)
	}
}

func exitCode(stderr io.Writer, c *command, err error) int {
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var ue *usageError
	var ie *inputError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "sipas %s: %v\nusage: sipas %s %s\n(see 'sipas help %s')\n", c.name, err, c.name, c.usage, c.name)
		return 2
	case errors.As(err, &ie) || errors.Is(err, arrowio.ErrNotRegular):
		fmt.Fprintf(stderr, "sipas %s: %v\n", c.name, err)
		return 2
	default:
		fmt.Fprintf(stderr, "sipas %s: %v\n", c.name, err)
		return 1
	}
}

const version = "0.1.0-dev"

// cycleOrder is the order of the commands in the help: the yearly cycle,
// then the tools around it.
var cycleOrder = []string{"sample", "validate", "reconcile", "screen", "backcheck", "weight",
	"index", "estimate", "trend", "report", "demo"}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "sipas — Satisfaction Index of Public Administrative Services (Chỉ số hài lòng về sự phục vụ hành chính)")
	fmt.Fprintln(w, "\nusage: sipas <command> [flags]\n\ncommands, in the order of the yearly cycle:")
	names := slices.Clone(cycleOrder)
	var rest []string
	for n := range commands {
		if !slices.Contains(names, n) {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	for _, n := range append(names, rest...) {
		if c, ok := commands[n]; ok {
			fmt.Fprintf(w, "  %-10s %s\n", n, c.summary)
		}
	}
	fmt.Fprintln(w, "\n'sipas help <command>' or 'sipas <command> -h' shows a command's flags and their defaults.")
	fmt.Fprintln(w, "The command-line contract and the file formats: docs/cli.md in the sipas source tree.")
	fmt.Fprintln(w, "Exit status: 0 success, 2 bad usage or bad input, 1 anything else.")
}

// printFlags lists every flag of fs as --name VALUE, its usage and its
// default (flag.PrintDefaults leaves out empty and false defaults).
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		if name != "" {
			name = " " + name
		}
		def := f.DefValue
		switch {
		case def == "" || def == "[]":
			def = "none"
		case strings.ContainsAny(def, " ,") || def == "-":
			def = strconv.Quote(def)
		}
		if strings.Contains(usage, "(default") {
			fmt.Fprintf(w, "  --%s%s\n    \t%s\n", f.Name, name, usage) // the usage says it
			return
		}
		fmt.Fprintf(w, "  --%s%s\n    \t%s (default: %s)\n", f.Name, name, usage, def)
	})
}

// newFlagSet returns a flag set for command c that reports errors as usage
// errors instead of exiting, and prints -h help to e.stdout.
func newFlagSet(e *env, c *command) *flag.FlagSet {
	fs := flag.NewFlagSet("sipas "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args, turning flag errors into usage errors and -h into
// the command's help on stdout.
func parseFlags(e *env, c *command, fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(e.stdout, "sipas %s — %s\n\nusage: sipas %s %s\n\nflags:\n", c.name, c.summary, c.name, c.usage)
			printFlags(e.stdout, fs)
			fmt.Fprintf(e.stdout, "\nMore in docs/cli.md (the section on sipas %s) in the sipas source tree.\n", c.name)
			return flag.ErrHelp
		}
		return &usageError{err.Error()}
	}
	if err := e.checkTableFlags(); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return redirectOutput(e, fs)
}

// listFlag is a repeatable flag (--in a --in b) that also accepts commas.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error {
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}
