package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
)

// The number formats of the outputs: one formatter, arrowio.NumberFormat,
// with each output's settings.
var (
	// csvFloat: CSV cells and design lines, shortest round-trip, empty
	// when missing.
	csvFloat = arrowio.NumberFormat{Verb: 'g', Prec: -1}.Format
	// fmt2: the index tables, two decimals, – when missing.
	fmt2 = arrowio.NumberFormat{Verb: 'f', Prec: 2, NA: "–"}.Format
	// estNum: the estimate table, six significant digits.
	estNum = arrowio.NumberFormat{Verb: 'g', Prec: 6, NA: "NA"}.Format
	// wtNum and wtPct: the weighting diagnostics (seven significant
	// digits; rates in percent with one decimal).
	wtNum = arrowio.NumberFormat{Verb: 'g', Prec: 7, NA: "NA"}.Format
	wtPct = arrowio.NumberFormat{Verb: 'f', Prec: 1, NA: "NA", Scale: 100, Suffix: "%"}.Format
)

// addFormatFlag adds --format (json, csv or table) and --out of estimate,
// index and trend. With --out FILE the command's standard output goes to
// FILE, written at once when the command succeeds (parseFlags and run), in
// the format of its extension (.json, .csv, .xlsx for the CSV table as a
// workbook, .txt for the table) unless
// --format says otherwise; a CSV file starts with a UTF-8 BOM, for
// spreadsheets.
func addFormatFlag(e *env, fs *flag.FlagSet) *string {
	e.format = fs.String("format", "json", "output format: json, csv or table (with --out: from the file's extension)")
	e.outPath = fs.String("out", "", "write the output to this file (.json, .csv, .xlsx or .txt; written only when the command succeeds) instead of standard output")
	return e.format
}

// formatOfPath is the output format of a file extension, "" if none.
func formatOfPath(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		return "json"
	case ".csv", ".xlsx": // an .xlsx file is the CSV table as a workbook
		return "csv"
	case ".txt":
		return "table"
	}
	return ""
}

// redirectOutput, after the flags are parsed, points e.stdout at a buffer
// when --out names a file, and takes the format from its extension when
// --format was not given.
func redirectOutput(e *env, fs *flag.FlagSet) error {
	if e.outPath == nil || *e.outPath == "" || *e.outPath == "-" {
		return nil
	}
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "format" })
	byExt := formatOfPath(*e.outPath)
	switch {
	case !given && byExt == "":
		return usagef("--out %s: the extension does not say the format; use .json, .csv or .txt, or give --format", *e.outPath)
	case !given:
		*e.format = byExt
	case byExt != "" && byExt != *e.format:
		return usagef("--out %s is a %s file but --format is %s", *e.outPath, byExt, *e.format)
	}
	e.outBuf = new(bytes.Buffer)
	e.stdout = e.outBuf
	return nil
}

// commitOutput writes what a command wrote to e.stdout into its --out file,
// atomically (nothing when the command failed or there is no --out).
func commitOutput(e *env) error {
	if e.outBuf == nil {
		return nil
	}
	if strings.EqualFold(filepath.Ext(*e.outPath), ".xlsx") {
		// the CSV table, read back with its column types, as a workbook
		tmp, err := os.CreateTemp(filepath.Dir(*e.outPath), ".sipas-out-*.csv")
		if err != nil {
			return err
		}
		defer os.Remove(tmp.Name())
		_, err = tmp.Write(e.outBuf.Bytes())
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		rec, err := arrowio.ReadAll(tmp.Name())
		if err != nil {
			return err
		}
		defer rec.Release()
		return arrowio.WriteRecord(*e.outPath, rec)
	}
	return arrowio.WriteText(*e.outPath, nil, func(w io.Writer) error {
		if *e.format == "csv" {
			if _, err := io.WriteString(w, "\ufeff"); err != nil {
				return err
			}
		}
		_, err := w.Write(e.outBuf.Bytes())
		return err
	})
}

// checkFormat checks --format.
func checkFormat(format string) error {
	switch format {
	case "json", "csv", "table":
		return nil
	}
	return usagef("--format: %q is not one of json, csv, table", format)
}

// writeCSV writes the header and n rows, row(i) giving row i, as CSV;
// cells a spreadsheet would run as formulas are written as text
// (arrowio.CSVRow).
func writeCSV(w io.Writer, header []string, n int, row func(i int) []string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(arrowio.CSVRow(append([]string(nil), header...))); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if err := cw.Write(arrowio.CSVRow(row(i))); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

type indexRowJSON struct {
	Domain  domainJSON `json:"domain"`
	Kind    string     `json:"kind"`
	ID      string     `json:"id"`
	Element string     `json:"element,omitempty"`
	estimateCols
	// Undefined says why the estimate is null.
	Undefined string `json:"undefined,omitempty"`
}

// runNotes are what a run says about its input besides the estimates:
// warnings (also printed on standard error) and the province names it
// recoded. JSON outputs carry them at the top level.
type runNotes struct {
	Notes    []string     `json:"notes,omitempty"`
	Warnings []string     `json:"warnings,omitempty"`
	Recoded  []recodeJSON `json:"recoded,omitempty"`
}

// recodeJSON is one spelling that was read as a canonical name.
type recodeJSON struct {
	Column string `json:"column"`
	From   string `json:"from"`
	To     string `json:"to"`
	Rows   int    `json:"rows"`
}

// warn prints a warning on w and keeps it for the output.
func (n *runNotes) warn(w io.Writer, format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	warnf(w, "%s", msg)
	n.Warnings = append(n.Warnings, msg)
}

// note prints a note on w (a choice the run made that the user did not
// spell out) and keeps it for the output.
func (n *runNotes) note(w io.Writer, format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	fmt.Fprintf(w, "sipas: note: %s\n", msg)
	n.Notes = append(n.Notes, msg)
}

// undefinedWarnings warns about the index rows that are undefined: each
// national one, and the number of domain rows with the first of them.
func (n *runNotes) undefinedWarnings(w io.Writer, rows []index.Row) {
	var dom int
	var first *index.Row
	for i := range rows {
		r := &rows[i]
		if r.Undefined == "" {
			continue
		}
		if len(r.Domain) == 0 {
			n.warn(w, "the national %s is undefined: %s", rowName(r), r.Undefined)
			continue
		}
		if dom++; first == nil {
			first = r
		}
	}
	if first != nil {
		var d []string
		for _, v := range first.Domain {
			d = append(d, v.Column+"="+v.Value)
		}
		n.warn(w, "%d domain rows are undefined, the first %s of %s: %s", dom, rowName(first), strings.Join(d, ", "), first.Undefined)
	}
}

// rowName names an index row in a message: "SIPAS", "element access",
// "criterion access_1".
func rowName(r *index.Row) string {
	if r.Kind == index.KindSIPAS {
		return "SIPAS"
	}
	return r.Kind + " " + r.ID
}

// estimateCols is the estimate block of the JSON rows of estimate and
// index (embedded: its fields are the row's).
type estimateCols struct {
	Estimate jsonNum `json:"estimate"`
	SE       jsonNum `json:"se"`
	CILow    jsonNum `json:"ci_low"`
	CIHigh   jsonNum `json:"ci_high"`
	N        int     `json:"n"`
	Deff     jsonNum `json:"deff"`
	Flag     string  `json:"flag,omitempty"`
	// DF is the degrees of freedom of the interval (--df).
	DF int `json:"df"`
	// PSUs is the number of PSUs holding a row of the domain; below 2 the
	// SE is null and flag "few_psu", below 20 flag "low_psu".
	PSUs int `json:"psus"`
}

type indexJSON struct {
	Design        designJSON `json:"design"`
	Questionnaire struct {
		ID       string `json:"id"`
		Version  string `json:"version,omitempty"`
		Elements int    `json:"elements"`
		Criteria int    `json:"criteria"`
	} `json:"questionnaire"`
	runNotes
	Estimates []indexRowJSON `json:"estimates"`
}

// writeIndex writes index results in the CLI contract's format: json, csv
// or table. Estimates are in percent.
func writeIndex(w io.Writer, format string, d *sampling.Design, res *index.Result, by []string, notes *runNotes) error {
	return writeIndexDesign(w, format, describeDesign(d), res, by, notes)
}

// writeIndexDesign is writeIndex with the design block given.
func writeIndexDesign(w io.Writer, format string, dj designJSON, res *index.Result, by []string, notes *runNotes) error {
	if notes == nil {
		notes = &runNotes{}
	}
	switch format {
	case "json":
		out := indexJSON{Design: dj, runNotes: *notes, Estimates: make([]indexRowJSON, 0, len(res.Rows))}
		q := res.Questionnaire
		out.Questionnaire.ID, out.Questionnaire.Version = q.ID, q.Version
		out.Questionnaire.Elements, out.Questionnaire.Criteria = len(q.Elements), len(q.Criteria)
		for _, r := range res.Rows {
			out.Estimates = append(out.Estimates, indexRowJSON{Domain: domainJSON(r.Domain), Kind: r.Kind, ID: r.ID, Element: r.Element,
				estimateCols: estimateCols{Estimate: jsonNum(r.Estimate), SE: jsonNum(r.SE), CILow: jsonNum(r.CILow), CIHigh: jsonNum(r.CIHigh),
					N: r.N, Deff: jsonNum(r.Deff), Flag: r.Flag, DF: r.DF, PSUs: r.PSUs}, Undefined: r.Undefined})
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "csv":
		header := append(append([]string{}, by...), "kind", "id", "element", "estimate", "se", "ci_low", "ci_high", "n", "deff", "flag", "undefined")
		return writeCSV(w, header, len(res.Rows), func(i int) []string {
			r := &res.Rows[i]
			return append(domainCells(r.Domain, by), r.Kind, r.ID, r.Element, csvFloat(r.Estimate), csvFloat(r.SE), csvFloat(r.CILow), csvFloat(r.CIHigh),
				strconv.Itoa(r.N), csvFloat(r.Deff), r.Flag, r.Undefined)
		})
	case "table":
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		header := append(append([]string{}, by...), "kind", "id", "index", "se", "95% CI", "n", "deff", "")
		fmt.Fprintln(tw, strings.Join(header, "\t")+"\t")
		for _, r := range res.Rows {
			cells := domainCells(r.Domain, by)
			for i := range cells {
				if cells[i] == "" && len(r.Domain) == 0 {
					cells[i] = "(national)"
				}
			}
			cells = append(cells, r.Kind, r.ID, fmt2(r.Estimate), fmt2(r.SE),
				fmt.Sprintf("%s–%s", fmt2(r.CILow), fmt2(r.CIHigh)), strconv.Itoa(r.N), fmt2(r.Deff), r.Flag)
			fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
		}
		return tw.Flush()
	}
	return usagef("--format %q: use json, csv or table", format)
}

// domainCells returns a row's domain values in the order of the by
// columns (empty for the national rows).
func domainCells(dom []sampling.DomainValue, by []string) []string {
	out := make([]string, len(by))
	for i, col := range by {
		for _, v := range dom {
			if v.Column == col {
				out[i] = v.Value
			}
		}
	}
	return out
}
