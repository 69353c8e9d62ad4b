// Command next_year_design plans next year's sample from this year's
// results: it runs this year's survey (the embedded synthetic one), takes
// each province's design effect of the SIPAS index, and prints the
// planning report of next year's design with those design effects — the
// ballots to issue, the completes expected, the margin of error and the
// cost per province — without selecting anything.
//
//	go run ./examples/next_year_design
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/internal/demo"
	"github.com/sipas-go/sipas/internal/synth"
	"github.com/sipas-go/sipas/sampling/selection"
)

func main() {
	if err := run(os.Stdout, 2021); err != nil {
		fmt.Fprintln(os.Stderr, "next_year_design:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, year int) error {
	// This year's survey and indices.
	res, err := demo.Run(context.Background(), demo.Config{Years: []int{year}, Seed: 1})
	if err != nil {
		return err
	}
	defer res.Release()
	deffs := map[string]float64{}
	for _, r := range res.Years[0].Index.Rows {
		if r.Kind == index.KindSIPAS && len(r.Domain) == 1 && r.Deff > 0 {
			deffs[r.Domain[0].Value] = r.Deff
		}
	}

	// Next year's design: the demo's, with this year's design effects.
	design, err := demo.SampleDesign(year + 1)
	if err != nil {
		return err
	}
	design.Plan = selection.PlanSpec{DeffBy: deffs}
	reg, err := synth.Register(synth.Config{Seed: 1, TotalRows: demo.DefaultRegisterRows}, year+1, nil)
	if err != nil {
		return err
	}
	defer reg.Release()
	plan, err := selection.Plan(selection.NewRecordFrame(reg), design)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%d plan\tN\tissued\texpected\tdeff\tmargin (points)\t\n", year+1)
	for _, r := range plan.Rows {
		if r.Level == "stratum" {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%.2f\t±%.1f\t\n", r.Key, r.N, r.Issued, r.Expected, r.Deff, 100*r.MOE)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range plan.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	return nil
}
