package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/synth"
)

// BenchmarkReportProvinces compares, in one run, `sipas report` (the
// national report) with `sipas report --all-provinces` (63 province
// reports from one computation) on the same three years of the synthetic
// survey (63 provinces, 8 PSUs × 10 ballots per stratum): the second must
// take at most 3 times the first (go test -bench ReportProvinces
// -benchtime 2x; compare the ns/op of the two).
func BenchmarkReportProvinces(b *testing.B) {
	dir := b.TempDir()
	var recs []arrow.RecordBatch
	for _, y := range []int{2019, 2020, 2021} {
		rb, _, err := synth.Survey(synth.SurveyConfig{Seed: 5, Year: y, PSUsPerStratum: 8, BallotsPerPSU: 10}, memory.DefaultAllocator)
		if err != nil {
			b.Fatal(err)
		}
		defer rb.Release()
		recs = append(recs, rb)
	}
	in := filepath.Join(dir, "survey.parquet")
	if err := arrowio.Write(in, recs[0].Schema(), recs); err != nil {
		b.Fatal(err)
	}
	args := []string{"report", "--in", in, "--year-col", "year", "--weight", "weight", "--strata", "stratum", "--psu", "psu"}
	for _, c := range []struct {
		name  string
		extra []string
	}{{"national", nil}, {"all-provinces", []string{"--all-provinces"}}} {
		b.Run(c.name, func(b *testing.B) {
			out := filepath.Join(b.TempDir(), "out")
			for b.Loop() {
				var errb strings.Builder
				a := append(append(append([]string(nil), args...), "--out", out), c.extra...)
				if code := run(context.Background(), a, strings.NewReader(""), io.Discard, &errb); code != 0 {
					b.Fatalf("exit %d: %s", code, errb.String())
				}
			}
		})
	}
}
