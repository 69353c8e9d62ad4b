// Command annual_report is a provincial analyst's annual report: it reads
// the year's ballots from a spreadsheet's file (CSV as Excel or LibreOffice
// saves it — "CSV UTF-8" with its byte-order mark, semicolons and decimal
// commas — or the .xlsx workbook itself),
// checks them, computes the indices by district level or any other column
// with their standard errors, and writes the offline HTML report with its
// tables (CSV with BOM, for spreadsheets) and print charts.
//
//	go run ./examples/annual_report -in testdata/index/sipas_small.csv -out annual-report
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/index/ballot"
	"github.com/sipas-go/sipas/report"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/tableio"
)

func main() {
	in := flag.String("in", "testdata/index/sipas_small.csv", "ballots (CSV with a header line, or .xlsx)")
	out := flag.String("out", "annual-report", "output directory")
	by := flag.String("by", "level", "domain column of the rankings and heatmap")
	year := flag.Int("year", 2021, "survey year")
	flag.Parse()
	if err := run(os.Stdout, *in, *out, *by, *year); err != nil {
		fmt.Fprintln(os.Stderr, "annual_report:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, in, out, by string, year int) error {
	// The project's reader: types inferred from every value, identifiers
	// forced to text.
	rec, err := tableio.ReadAll(in, tableio.WithTypes(map[string]arrow.DataType{"ballot_id": arrow.BinaryTypes.String, "psu": arrow.BinaryTypes.String}))
	if err != nil {
		return err
	}
	defer rec.Release()

	// 1. Check the ballots: every row is used or excluded with a reason.
	q := index.DefaultQuestionnaire()
	val, err := ballot.Validate(context.Background(), rec, &ballot.ValidateOptions{Questionnaire: q})
	if err != nil {
		return err
	}
	defer val.Release()
	fmt.Fprintf(w, "%d ballots: %d used, %d excluded\n", val.RowsIn, val.RowsUsed, val.RowsExcluded)

	// 2. The indices under the survey design, by the chosen column.
	design, err := sampling.NewDesign(val.Clean, &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu"})
	if err != nil {
		return err
	}
	res, err := index.Compute(context.Background(), design, val.Clean, q, &index.Options{By: []string{by}})
	if err != nil {
		return err
	}
	for _, r := range res.Rows {
		if r.Kind == index.KindSIPAS && len(r.Domain) == 0 {
			fmt.Fprintf(w, "SIPAS %d: %.1f%% (95%% CI %.1f–%.1f, SE %.2f, n %d)\n", year, r.Estimate, r.CILow, r.CIHigh, r.SE, r.N)
		}
	}

	// 3. What to fix first: importance (correlation with the rest of the
	// ballot) against performance of every criterion, by the same column.
	ipa, err := index.ImportancePerformanceOf(context.Background(), design, val.Clean, q, &index.Options{By: []string{by}})
	if err != nil {
		return err
	}
	for _, r := range ipa {
		if len(r.Domain) == 0 && r.Quadrant == index.QuadrantFixFirst {
			fmt.Fprintf(w, "fix first: %s (%.1f%% satisfied, importance %.2f)\n", r.Criterion, r.Performance, r.Importance)
		}
	}

	// 4. The report.
	data, err := report.FromYears([]report.YearInput{{Year: year, Result: res, Validation: val, IPA: ipa}},
		&report.BuildOptions{By: by, Title: fmt.Sprintf("SIPAS %d", year)})
	if err != nil {
		return err
	}
	if err := report.WriteDir(out, data, nil); err != nil {
		return err
	}
	fmt.Fprintf(w, "report: %s/index.html\n", out)
	return nil
}
