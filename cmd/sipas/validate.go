package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/index/ballot"
	"github.com/sipas-go/sipas/internal/arrowio"
)

func init() {
	c := &command{
		name:    "validate",
		usage:   "--in FILE [--questionnaire Q.json] [--year N] [--geography auto|1997|2025] [--backcheck-failed FILE] --out FILE --excluded FILE",
		summary: "check ballots: write the clean table and the exclusions, with counts that reconcile",
	}
	c.run = func(e *env, args []string) error { return runValidate(e, c, args) }
	register(c)
}

func runValidate(e *env, c *command, args []string) error {
	fs := newFlagSet(e, c)
	e.tableFlags(fs)
	in := fs.String("in", "", "ballot table (CSV, Parquet, Arrow IPC; - for stdin, any of these)")
	qpath := fs.String("questionnaire", "", questionnaireUsage)
	year := fs.Int("year", 0, "year of the data: province names are read in that year's geography (default: the data's year column)")
	geo := fs.String("geography", "auto", "province list names are read in: auto (by year), 1997 (the 63 provinces) or 2025 (the 34)")
	out := fs.String("out", "", "output: the clean table (format by extension); the counts are recorded as sipas.validation, which sipas weight keeps and sipas report reads: in the schema metadata of Parquet and Arrow IPC, in the sidecar OUT.sipas.json of a CSV or Excel output")
	excluded := fs.String("excluded", "", "output: the excluded rows with reasons (row, ballot_id, reason, column, value, detail)")
	idCol := fs.String("id-col", "ballot_id", "ballot id column")
	provCol := fs.String("province-col", "province", "province column (checked when present)")
	requireProv := fs.Bool("require-province", false, "a missing province column is an error")
	show := fs.Int("show", 20, "print the first N exclusions (0: none)")
	pf := addProvinceFlags(fs)
	failedPath := fs.String("backcheck-failed", "", "table with the id column: ballots the back-check confirmed as not filled in by their respondent, excluded as backcheck_failed")
	if err := parseFlags(e, c, fs, args); err != nil {
		return err
	}
	switch {
	case *in == "":
		return usagef("--in is required")
	case *out == "":
		return usagef("--out is required (the clean table)")
	case *excluded == "":
		return usagef("--excluded is required (the excluded rows)")
	case sameFile(*out, *excluded):
		return usagef("--out and --excluded name the same file %q", *out)
	case *out == "-" && *excluded == "-":
		return usagef("--out and --excluded cannot both be standard output")
	case *in != "-" && (sameFile(*in, *out) || sameFile(*in, *excluded)):
		return usagef("an output would overwrite the input %q", *in)
	case *failedPath != "" && (sameFile(*failedPath, *out) || sameFile(*failedPath, *excluded)):
		return usagef("an output would overwrite the input %q", *failedPath)
	case *failedPath == "-" && *in == "-":
		return usagef("--in and --backcheck-failed cannot both be standard input")
	}
	for _, p := range []string{*out, *excluded} {
		if p != "-" {
			if _, err := arrowio.FormatOf(p); err != nil {
				return usagef("%v", err)
			}
		}
	}
	g, err := index.ParseGeography(*geo)
	if err != nil {
		return usagef("--geography: %v", err)
	}

	q, err := loadQuestionnaireFlag(*qpath)
	if err != nil {
		return badInput(err)
	}
	rec, err := arrowio.ReadAll(*in, e.in(),
		arrowio.WithTypes(map[string]arrow.DataType{*idCol: arrow.BinaryTypes.String, *provCol: arrow.BinaryTypes.String}))
	if err != nil {
		return readError(err)
	}
	defer rec.Release()
	if err := nearMiss(rec.Schema(), *in, *provCol, "--province-col"); err != nil {
		return err
	}
	if err := nearMiss(rec.Schema(), *in, "year", ""); err != nil {
		return err // the geography and the validation record read "year"
	}

	opt := ballot.ValidateOptions{Questionnaire: q, IDColumn: *idCol, ProvinceColumn: *provCol, RequireProvince: *requireProv}
	if *failedPath != "" {
		if opt.BackcheckFailed, err = readIDs(e, *failedPath, *idCol); err != nil {
			return err
		}
	}
	geoNote := ""
	var recodes []index.Recode
	if schemaHas(rec.Schema(), *provCol) {
		gg, note, err := dataGeography(rec, g, *year)
		if err != nil {
			var ue *usageError
			if errors.As(err, &ue) {
				return usagef("%s: %v", displayName(*in), err)
			}
			return dataError(*in, err)
		}
		aliases, err := pf.load()
		if err != nil {
			return err
		}
		if opt.Province, err = index.ProvinceReader(gg, aliases); err != nil {
			return badInput(fmt.Errorf("--aliases %s: %w", pf.aliases, err))
		}
		// What was recoded, for the accounting (a reader of its own: the
		// validation's caches it too).
		read, _ := index.ProvinceReader(gg, aliases)
		if recodes, err = index.Recodes(rec.Column(rec.Schema().FieldIndices(*provCol)[0]), read); err != nil {
			return dataError(*in, fmt.Errorf("column %q: %w", *provCol, err))
		}
		geoNote = note
	}
	v, err := ballot.Validate(e.ctx, rec, &opt)
	if err != nil {
		var ie *ballot.BackcheckIDError
		if errors.As(err, &ie) {
			return badInput(fmt.Errorf("%s: %w (the ballots are %s)", displayName(*failedPath), err, displayName(*in)))
		}
		return questionnaireHint(dataError(*in, err), q)
	}
	defer v.Release()
	if v.RowsIn > 0 && v.RowsUsed == 0 {
		// Nothing left to estimate from: a failure, not a result (often
		// answers written as labels, or the wrong questionnaire).
		var top []string
		for _, r := range ballot.Reasons() {
			if n := v.ByReason[r]; n > 0 {
				top = append(top, fmt.Sprintf("%s %d", r, n))
			}
		}
		return badInput(fmt.Errorf("%s: every one of the %d rows is excluded (%s); check that answers are codes of the questionnaire, not labels, and that it is the right questionnaire", displayName(*in), v.RowsIn, strings.Join(top, ", ")))
	}

	stdout := e.stdout
	if *out == "-" || *excluded == "-" {
		stdout = e.stderr // keep the table on stdout clean
	}
	// The accounting goes with the clean table (schema metadata
	// sipas.validation, by year: ballot.Record) for sipas report; a CSV
	// or Excel clean table has it in its sidecar.
	md := ballot.NewRecord(rec, v, "year", *year).SetIn(rec.Schema().Metadata())
	clean := withMetadata(v.Clean, md)
	defer clean.Release()
	inputs, err := arrowio.DescribeInputs(*in, *qpath, *failedPath)
	if err != nil {
		return readError(err)
	}
	if err := e.ctx.Err(); err != nil {
		return err // interrupted: write nothing
	}
	// The clean and the excluded table are one set (with the sidecar of a
	// CSV or Excel table, which holds its records and inputs): all replace
	// the previous ones, or none does, even if the run is killed.
	paths := outputSet(*out)
	at := len(paths) // the excluded table, and its sidecar when CSV or Excel
	paths = append(paths, outputSet(*excluded)...)
	set, err := arrowio.NewOutputFiles(paths...)
	if err != nil {
		return writeError(err)
	}
	defer set.Abort()
	if err := writeStaged(e, set, 0, *out, clean, inputs); err != nil {
		return err
	}
	if err := writeStaged(e, set, at, *excluded, v.Excluded, inputs); err != nil {
		return err
	}
	if err := set.Commit(e.ctx); err != nil {
		return writeError(err)
	}
	printValidation(stdout, *in, q, geoNote, v, *show)
	printRecodes(stdout, *provCol, recodes)
	return nil
}

// printValidation prints the accounting: rows in = used + excluded, the
// excluded rows by first reason, and the first exclusions.
func printValidation(w io.Writer, in string, q *index.Questionnaire, geoNote string, v *ballot.Validation, show int) {
	fmt.Fprintf(w, "validated %s against questionnaire %s (%d criteria)", displayName(in), q.ID, len(q.Criteria))
	if geoNote != "" {
		fmt.Fprintf(w, "; provinces %s", geoNote)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "rows in        %8d\n", v.RowsIn)
	fmt.Fprintf(w, "rows used      %8d\n", v.RowsUsed)
	fmt.Fprintf(w, "rows excluded  %8d\n", v.RowsExcluded)
	for _, r := range ballot.Reasons() {
		if n := v.ByReason[r]; n > 0 {
			fmt.Fprintf(w, "  %-22s %6d rows", r, n)
			if m := v.Entries[r]; m != n {
				fmt.Fprintf(w, "  (%d entries in all)", m)
			}
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintf(w, "check: %d rows in = %d used + %d excluded\n", v.RowsIn, v.RowsUsed, v.RowsExcluded)
	if show > 0 && len(v.Exclusions) > 0 {
		fmt.Fprintln(w, "exclusions:")
		for i, x := range v.Exclusions {
			if i == show {
				fmt.Fprintf(w, "  ... %d more in the excluded table\n", len(v.Exclusions)-show)
				break
			}
			fmt.Fprintf(w, "  row %d", x.Row)
			if x.BallotID != "" {
				fmt.Fprintf(w, " (ballot %s)", x.BallotID)
			}
			fmt.Fprintf(w, ": %s", x.Reason)
			if x.Column != "" {
				fmt.Fprintf(w, ", column %q", x.Column)
			}
			if x.Detail != "" {
				fmt.Fprintf(w, ": %s", x.Detail)
			}
			fmt.Fprintln(w)
		}
	}
}

// printRecodes lists the province spellings the validation read as
// another name (the clean table holds the canonical names).
func printRecodes(w io.Writer, col string, rs []index.Recode) {
	if len(rs) == 0 {
		return
	}
	fmt.Fprintf(w, "recoded %s names (spelling → name, rows):\n", col)
	for _, r := range rs {
		fmt.Fprintf(w, "  %q → %s  %d\n", r.From, r.To, r.Rows)
	}
}

// dataGeography decides which province list names are read in: the
// --geography flag, else the --year flag, else the data's year column.
func dataGeography(rec arrow.RecordBatch, g index.Geography, year int) (index.Geography, string, error) {
	if g != index.GeoAuto {
		return g, "read in the " + g.String() + " geography (--geography)", nil
	}
	if year != 0 {
		gg := index.GeographyOf(year)
		return gg, fmt.Sprintf("read in the %s geography (--year %d)", gg, year), nil
	}
	idx := rec.Schema().FieldIndices("year")
	if len(idx) == 0 {
		return 0, "", usagef("cannot tell which province list the names follow (63 provinces up to 2024, 34 from 2025): the data has no year column; pass --year N or --geography 1997|2025")
	}
	ys, valid, err := arrowio.Ints(rec.Column(idx[0]))
	if err != nil {
		return 0, "", badInput(fmt.Errorf("column \"year\": %w", err))
	}
	lo, hi := 0, 0
	for i, y := range ys {
		if valid != nil && !valid[i] {
			continue
		}
		if lo == 0 || int(y) < lo {
			lo = int(y)
		}
		if int(y) > hi {
			hi = int(y)
		}
	}
	if lo == 0 {
		return 0, "", usagef("the year column is empty; pass --year N or --geography 1997|2025")
	}
	g1, g2 := index.GeographyOf(lo), index.GeographyOf(hi)
	if g1 != g2 {
		return 0, "", usagef("the data spans %d to %d, across the 2025 province merger; validate each year separately, or pass --geography 1997|2025", lo, hi)
	}
	span := fmt.Sprint(lo)
	if hi != lo {
		span = fmt.Sprintf("%d–%d", lo, hi)
	}
	return g1, fmt.Sprintf("read in the %s geography (year %s)", g1, span), nil
}

// loadQuestionnaireFlag loads --questionnaire: a file, or a built-in id.
func loadQuestionnaireFlag(p string) (*index.Questionnaire, error) {
	if p == "" {
		return index.DefaultQuestionnaire(), nil
	}
	if _, err := os.Stat(p); err != nil && errors.Is(err, fs.ErrNotExist) && !strings.ContainsAny(p, `/\.`) {
		return index.BuiltinQuestionnaire(p)
	}
	return index.LoadQuestionnaire(p)
}

// readIDs reads the id column of the table at path as text (a list of
// ballots: targeted, or failed in the back-check).
func readIDs(e *env, path, col string) ([]string, error) {
	t, err := arrowio.ReadAll(path, e.in(), arrowio.WithColumns(col),
		arrowio.WithTypes(map[string]arrow.DataType{col: arrow.BinaryTypes.String}))
	if err != nil {
		return nil, readError(err)
	}
	defer t.Release()
	ids, valid, err := arrowio.Strings(t.Column(0))
	if err != nil {
		return nil, badInput(fmt.Errorf("%s: column %q: %w", displayName(path), col, err))
	}
	out := ids[:0]
	for i, id := range ids {
		if valid == nil || valid[i] {
			out = append(out, id)
		}
	}
	return out, nil
}

// readError classifies an error from reading an input table: data and file
// problems exit 2.
func readError(err error) error {
	var ae *arrowio.Error
	if errors.As(err, &ae) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return badInput(err)
	}
	return err
}

// writeError classifies an error from writing an output: an unsupported
// extension is bad usage, anything else (disk full, permissions) exits 1.
func writeError(err error) error {
	if errors.Is(err, arrowio.ErrFormat) {
		return usagef("%v", err)
	}
	return err
}

// displayName is how messages name an input path: standard input ("-",
// or the temporary copy of it that spoolStdin made) is "stdin".
func displayName(p string) string {
	if _, spooled := spools.Load(p); p == "-" || spooled {
		return "stdin"
	}
	return p
}

func schemaHas(s *arrow.Schema, name string) bool { return len(s.FieldIndices(name)) > 0 }

// sameFile reports whether two paths name the same file (arrowio.SameFile).
func sameFile(a, b string) bool { return arrowio.SameFile(a, b) }
