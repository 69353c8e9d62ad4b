package main

import (
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/sipas-go/sipas/internal/arrowio"
)

func init() {
	c := &command{
		name:    "inspect",
		usage:   "FILE [--rows N] [--sheet NAME]",
		summary: "show a table file: format, columns and types, rows, row groups, metadata keys, the first rows",
	}
	c.run = func(e *env, args []string) error { return runInspect(e, c, args) }
	register(c)
	v := &command{
		name:    "convert",
		usage:   "IN OUT [--sheet NAME]",
		summary: "convert a table file to another format (by extension: .csv, .parquet, .arrow, .arrows, .xlsx)",
	}
	v.run = func(e *env, args []string) error { return runConvert(e, v, args) }
	register(v)
}

// positional splits the leading file arguments from the flags, so that
// `sipas inspect FILE --rows 3` works as well as `--rows 3 FILE`.
func positional(args []string, n int) (files, rest []string) {
	for len(args) > 0 && len(files) < n && (!strings.HasPrefix(args[0], "-") || args[0] == "-") {
		files, args = append(files, args[0]), args[1:]
	}
	return files, args
}

// parseWithFiles parses flags given before or after up to n file
// arguments and returns the files.
func parseWithFiles(e *env, c *command, fs *flag.FlagSet, args []string, n int) ([]string, error) {
	files, rest := positional(args, n)
	if err := fs.Parse(rest); err != nil {
		return nil, parseFlags(e, c, fs, rest) // the usage error or the help
	}
	files = append(files, fs.Args()...)
	if len(files) != n {
		return nil, usagef("expected %d file argument(s), got %d", n, len(files))
	}
	return files, e.checkTableFlags()
}

func runInspect(e *env, c *command, args []string) error {
	fs := newFlagSet(e, c)
	e.tableFlags(fs)
	nrows := fs.Int("rows", 5, "how many of the first rows to show")
	files, err := parseWithFiles(e, c, fs, args, 1)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return usagef("give one table file")
	}
	path := files[0]
	// standard input is read from a copy named for the format its first
	// bytes tell, which is the one to show
	remove, err := e.spoolIn(&path)
	if err != nil {
		return err
	}
	defer remove()
	format, err := arrowio.FormatOf(path)
	if err != nil {
		return badInput(err)
	}
	r, err := arrowio.Open(path, e.in(), arrowio.WithBatchSize(max(*nrows, 1)))
	if err != nil {
		return readError(err)
	}
	defer r.Close()
	w := e.stdout
	fmt.Fprintf(w, "file       %s\nformat     %s\n", displayName(path), format)
	if format == arrowio.XLSX {
		if names, err := arrowio.SheetNames(path); err == nil {
			fmt.Fprintf(w, "sheets     %s\n", strings.Join(names, ", "))
		}
	}
	schema := r.Schema()
	rows, known := arrowio.Rows(r)
	var first [][]string
	if !known || *nrows > 0 {
		for r.Next() {
			b := r.RecordBatch()
			for i := 0; i < int(b.NumRows()) && len(first) < *nrows; i++ {
				row := make([]string, b.NumCols())
				for j, col := range b.Columns() {
					if col.IsValid(i) {
						row[j] = col.ValueStr(i)
					}
				}
				first = append(first, row)
			}
			if !known {
				rows += b.NumRows()
			} else if len(first) >= *nrows {
				break
			}
		}
		if err := r.Err(); err != nil {
			return readError(err)
		}
	}
	fmt.Fprintf(w, "rows       %d\n", rows)
	if g, ok := arrowio.RowGroups(r); ok {
		fmt.Fprintf(w, "row groups %d\n", len(g))
	}
	fmt.Fprintf(w, "columns    %d\n", schema.NumFields())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for i, f := range schema.Fields() {
		fmt.Fprintf(tw, "  %d\t%s\t%s\n", i+1, f.Name, f.Type)
	}
	tw.Flush()
	md, from := schema.Metadata(), ""
	if path != "-" && !keepsMetadata(path) {
		// a CSV's or workbook's records are in its sidecar
		sm, ok, err := arrowio.ReadSidecar(path)
		switch {
		case err != nil:
			fmt.Fprintf(w, "sidecar    %v\n", err)
		case ok:
			md, from = sm, " (sidecar "+arrowio.SidecarPath(path)+")"
		}
	}
	if md.Len() > 0 {
		fmt.Fprintln(w, "metadata"+from)
		for i, k := range md.Keys() {
			fmt.Fprintf(w, "  %s (%d bytes)\n", k, len(md.Values()[i]))
		}
	}
	if len(first) > 0 {
		fmt.Fprintf(w, "first %d rows\n", len(first))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		names := make([]string, schema.NumFields())
		for j, f := range schema.Fields() {
			names[j] = f.Name
		}
		fmt.Fprintln(tw, "  "+strings.Join(names, "\t"))
		for _, row := range first {
			for j, v := range row {
				if len([]rune(v)) > 40 {
					row[j] = string([]rune(v)[:39]) + "…"
				}
				row[j] = strings.ReplaceAll(strings.ReplaceAll(row[j], "\n", " "), "\t", " ")
			}
			fmt.Fprintln(tw, "  "+strings.Join(row, "\t"))
		}
		tw.Flush()
	}
	return nil
}

func runConvert(e *env, c *command, args []string) error {
	fs := newFlagSet(e, c)
	e.tableFlags(fs)
	files, err := parseWithFiles(e, c, fs, args, 2)
	if err != nil {
		return err
	}
	if len(files) != 2 {
		return usagef("give the input and the output file")
	}
	in, out := files[0], files[1]
	if _, err := arrowio.FormatOf(out); err != nil {
		return badInput(err)
	}
	if in != "-" && out != "-" && arrowio.SameFile(in, out) {
		return usagef("the output %s is the input file", out)
	}
	rec, err := arrowio.ReadAll(in, e.in())
	if err != nil {
		return readError(err)
	}
	defer rec.Release()
	// The records travel: a CSV input's sidecar goes in a Parquet output's
	// schema metadata, a Parquet input's metadata in a CSV output's
	// sidecar.
	if in != "-" && !keepsMetadata(in) {
		md, err := tableMetadata(in)
		if err != nil {
			return err
		}
		if md.Len() > 0 {
			withMD := withMetadata(rec, md)
			defer withMD.Release()
			rec = withMD
		}
	}
	if rec.Schema().Metadata().Len() > 0 {
		return writeWithSidecar(e, out, rec, nil)
	}
	if err := arrowio.WriteRecord(out, rec, arrowio.WithStdout(e.stdout)); err != nil {
		return badInput(err)
	}
	return nil
}
