package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/index/ballot"
	"github.com/sipas-go/sipas/internal/arrowio"
)

func init() {
	c := &command{
		name:    "reconcile",
		usage:   "--first FILE --second FILE --key ballot_id --out FILE [--keyer COL]",
		summary: "compare two keyings of the same ballots: agreement per field and keyer, discrepancies, one-pass ballots",
	}
	c.run = func(e *env, args []string) error { return runReconcile(e, c, args) }
	register(c)
}

func runReconcile(e *env, c *command, args []string) error {
	fs := newFlagSet(e, c)
	e.tableFlags(fs)
	first := fs.String("first", "", "first keying (CSV, Parquet, Arrow IPC)")
	second := fs.String("second", "", "second keying")
	key := fs.String("key", "ballot_id", "column identifying a ballot in both keyings")
	keyer := fs.String("keyer", "keyer", "column naming who keyed the row (agreement per keyer when present)")
	out := fs.String("out", "", "output: the discrepancies to adjudicate (key, column, first, second, first_row, second_row)")
	show := fs.Int("show", 50, "print at most N one-pass-only ballots per keying (0: all)")
	if err := parseFlags(e, c, fs, args); err != nil {
		return err
	}
	switch {
	case *first == "" || *second == "":
		return usagef("--first and --second are required")
	case *out == "":
		return usagef("--out is required (the discrepancy list)")
	case *first == "-" && *second == "-":
		return usagef("--first and --second cannot both be standard input")
	case *key == "":
		return usagef("--key must name a column")
	case sameFile(*out, *first) || sameFile(*out, *second):
		return usagef("--out would overwrite an input")
	}
	if *out != "-" {
		if _, err := arrowio.FormatOf(*out); err != nil {
			return usagef("%v", err)
		}
	}
	// Read every compared column as text would lose types; only the key and
	// keyer are forced to text so that "007" stays "007".
	types := map[string]arrow.DataType{*key: arrow.BinaryTypes.String, *keyer: arrow.BinaryTypes.String}
	a, err := arrowio.ReadAll(*first, e.in(), arrowio.WithTypes(types))
	if err != nil {
		return readError(err)
	}
	defer a.Release()
	b, err := arrowio.ReadAll(*second, e.in(), arrowio.WithTypes(types))
	if err != nil {
		return readError(err)
	}
	defer b.Release()

	r, err := ballot.Reconcile(a, b, *key, &ballot.ReconcileOptions{Keyer: *keyer})
	if err != nil {
		var ke *ballot.KeyError
		var me *index.MissingColumnsError
		switch {
		case errors.As(err, &ke) && ke.Pass == "second", errors.As(err, &me) && me.Table == "second keying":
			err = fmt.Errorf("%s: %w", displayName(*second), err)
		default:
			err = fmt.Errorf("%s: %w", displayName(*first), err)
		}
		return badInput(err)
	}
	defer r.Release()
	if err := arrowio.WriteRecord(*out, r.Discrepancies, arrowio.WithStdout(e.stdout)); err != nil {
		return writeError(err)
	}
	w := e.stdout
	if *out == "-" {
		w = e.stderr
	}
	printReconciliation(w, *first, *second, r, *show)
	return nil
}

func printReconciliation(w io.Writer, first, second string, r *ballot.Reconciliation, show int) {
	fmt.Fprintf(w, "first keying:  %s\nsecond keying: %s\n", first, second)
	fmt.Fprintf(w, "ballots in both %d, in first only %d, in second only %d\n", r.Matched, len(r.OnlyFirst), len(r.OnlySecond))
	fmt.Fprintf(w, "agreement %s (%d of %d fields), discrepancies %d\n", pct(r.Rate), r.Agreed, r.Compared, r.Compared-r.Agreed)
	width := len("field")
	for _, f := range r.Fields {
		width = max(width, utf8.RuneCountInString(f.Column))
	}
	fmt.Fprintf(w, "\n%-*s %8s %8s %8s\n", width, "field", "agreed", "compared", "rate")
	for _, f := range r.Fields {
		fmt.Fprintf(w, "%-*s %8d %8d %8s\n", width, f.Column, f.Agreed, f.Compared, pct(f.Rate))
	}
	if len(r.Keyers) > 0 {
		kw := len("keyer")
		for _, k := range r.Keyers {
			kw = max(kw, utf8.RuneCountInString(k.Keyer))
		}
		fmt.Fprintf(w, "\n%4s %-*s %8s %8s %8s\n", "pass", kw, "keyer", "ballots", "fields", "rate")
		for _, k := range r.Keyers {
			fmt.Fprintf(w, "%4d %-*s %8d %8d %8s\n", k.Pass, kw, k.Keyer, k.Ballots, k.Compared, pct(k.Rate))
		}
	}
	fmt.Fprintln(w)
	list := func(label string, keys []string) {
		if len(keys) == 0 {
			return
		}
		shown := keys
		more := ""
		if show > 0 && len(keys) > show {
			shown = keys[:show]
			more = fmt.Sprintf(", ... (%d more)", len(keys)-show)
		}
		fmt.Fprintf(w, "%s (%d): %s%s\n", label, len(keys), strings.Join(shown, ", "), more)
	}
	list("ballots in the first keying only", r.OnlyFirst)
	list("ballots in the second keying only", r.OnlySecond)
	list("columns in the first keying only (not compared)", r.ColumnsOnlyFirst)
	list("columns in the second keying only (not compared)", r.ColumnsOnlySecond)
}

func pct(x float64) string {
	if x != x {
		return "-"
	}
	return fmt.Sprintf("%.2f%%", 100*x)
}
