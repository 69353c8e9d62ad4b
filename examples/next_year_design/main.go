// Command next_year_design plans next year's sample from this year's
// results: it reads this year's ballots with their survey design, takes
// each province's design effect of the SIPAS index, and prints the
// planning report of next year's design over next year's register with
// those design effects — the ballots to issue, the completes expected, the
// margin of error per province — without selecting anything.
//
//	go run ./examples/next_year_design -frame register.csv
//
// The register (the sampling frame: one row per transaction, with the
// columns the design names) is a CSV file; `sipas convert register.parquet
// register.csv` turns a Parquet one into CSV. The design is design.json
// next to this file (provinces as strata, districts → communes →
// transactions), or the DESIGN.json given with -design.
package main

import (
	"bytes"
	"context"
	_ "embed"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/csv"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/sampling/selection"
)

//go:embed design.json
var defaultDesign []byte

func main() {
	in := flag.String("in", "testdata/index/sipas_small.csv", "this year's ballots (CSV with the columns weight, stratum, psu and province)")
	frame := flag.String("frame", "", "next year's register (CSV with a header line)")
	designPath := flag.String("design", "", "DESIGN.json of next year's sample (default: the embedded design.json)")
	flag.Parse()
	if err := main1(os.Stdout, *in, *frame, *designPath); err != nil {
		fmt.Fprintln(os.Stderr, "next_year_design:", err)
		os.Exit(1)
	}
}

func main1(w io.Writer, in, framePath, designPath string) error {
	if framePath == "" {
		return fmt.Errorf("give next year's register with -frame")
	}
	ballots, err := readCSV(in, map[string]arrow.DataType{"ballot_id": arrow.BinaryTypes.String, "psu": arrow.BinaryTypes.String})
	if err != nil {
		return err
	}
	defer ballots.Release()
	reg, err := readCSV(framePath, nil)
	if err != nil {
		return err
	}
	defer reg.Release()
	b := defaultDesign
	if designPath != "" {
		if b, err = os.ReadFile(designPath); err != nil {
			return err
		}
	}
	design, err := selection.ParseSampleDesign(bytes.NewReader(b))
	if err != nil {
		return err
	}
	return run(w, ballots, selection.NewRecordFrame(reg), design)
}

// run computes this year's SIPAS index by province from ballots and prints
// the plan of design over frame with each province's design effect.
func run(w io.Writer, ballots arrow.RecordBatch, frame selection.SampleFrame, design *selection.SampleDesign) error {
	// This year's indices by province, under this year's design.
	d, err := sampling.NewDesign(ballots, &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu"})
	if err != nil {
		return err
	}
	res, err := index.Compute(context.Background(), d, ballots, nil, &index.Options{By: []string{"province"}})
	if err != nil {
		return err
	}
	deffs := map[string]float64{}
	for _, r := range res.Rows {
		if r.Kind == index.KindSIPAS && len(r.Domain) == 1 && r.Deff > 0 {
			deffs[r.Domain[0].Value] = r.Deff
		}
	}

	// Next year's plan with this year's design effects.
	design.Plan = selection.PlanSpec{DeffBy: deffs}
	plan, err := selection.Plan(context.Background(), frame, design)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "plan\tN\tissued\texpected\tdeff\tmargin (points)\t\n")
	for _, r := range plan.Rows {
		if r.Level == "stratum" {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%.2f\t±%.1f\t\n", r.Key, r.N, r.Issued, r.Expected, r.Deff, 100*r.MOE)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range plan.Warnings {
		fmt.Fprintln(w, "warning:", n)
	}
	for _, n := range plan.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	return nil
}

// readCSV reads a whole CSV file (header line, types inferred from the
// first rows, empty cells as nulls) into one record with arrow-go's own
// reader. types fixes the columns whose inferred type would be wrong
// (identifiers that look like numbers).
func readCSV(path string, types map[string]arrow.DataType) (arrow.RecordBatch, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewInferringReader(f, csv.WithHeader(true), csv.WithColumnTypes(types),
		csv.WithNullReader(true, ""), csv.WithChunk(-1))
	defer r.Release()
	if !r.Next() {
		if err := r.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return nil, fmt.Errorf("%s: no rows", path)
	}
	rec := r.RecordBatch()
	rec.Retain()
	return rec, nil
}
