package main

import (
	"bytes"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestReportTrendSameNumbers: `report` and `trend` publish the same
// estimates and SEs on the same flags in every geography. With --strata
// province the design must be that of the provinces the ballots were
// sampled in (the 63 up to 2024) also when the report is in the 2025
// geography: the geography changes the domains, not the design.
func TestReportTrendSameNumbers(t *testing.T) {
	dir := t.TempDir()
	files := trendFiles(t, dir, []int{2023, 2024}, []int{2025})
	design := []string{"--year-col", "year", "--weight", "weight", "--strata", "province", "--psu", "psu", "--draws", "200"}
	for _, c := range []struct {
		geo   string
		files []string
		provs int
	}{
		{"1997", files[:1], 63},
		{"2025", files, 34},
	} {
		t.Run(c.geo, func(t *testing.T) {
			var in []string
			for _, f := range c.files {
				in = append(in, "--in", f)
			}
			geo := []string{"--geography", c.geo, "--crosswalk", "../../internal/provinces/provinces.csv"}
			args := append(append(append([]string{"trend"}, in...), design...), append(geo, "--format", "csv")...)
			code, out, errs := vtRun(t, "", args...)
			if code != 0 {
				t.Fatalf("trend: exit %d: %s", code, errs)
			}
			trows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			// province, kind, id, year → estimate, se
			want := map[string][2]float64{}
			provs := map[string]bool{}
			for _, r := range trows[1:] {
				if r[4] == "" {
					continue
				}
				est, _ := strconv.ParseFloat(r[4], 64)
				se, _ := strconv.ParseFloat(r[5], 64)
				want[strings.Join([]string{r[3], r[0], r[1], r[2]}, "|")] = [2]float64{est, se}
				if r[0] != "" {
					provs[r[0]] = true
				}
			}
			if len(provs) != c.provs {
				t.Fatalf("trend: %d provinces, want %d", len(provs), c.provs)
			}
			rep := filepath.Join(dir, "rep"+c.geo)
			args = append(append(append([]string{"report", "--lang", "en", "--out", rep}, in...), design...), geo...)
			if code, _, errs := vtRun(t, "", args...); code != 0 {
				t.Fatalf("report: exit %d: %s", code, errs)
			}
			b, err := os.ReadFile(filepath.Join(rep, "tables", "estimates.csv"))
			if err != nil {
				t.Fatal(err)
			}
			rrows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			// year, domain, kind, id, label, estimate, se, ... (two decimals)
			seen, bad := 0, 0
			got := map[string]bool{}
			for _, r := range rrows[1:] {
				dom := r[1]
				if dom == "Nation" {
					dom = ""
				}
				w, ok := want[strings.Join([]string{r[0], dom, r[2], r[3]}, "|")]
				if !ok {
					continue // the expectation shares: not a trend row
				}
				seen++
				got[strings.Join([]string{r[0], dom, r[2], r[3]}, "|")] = true
				est, err1 := strconv.ParseFloat(r[5], 64)
				se, err2 := strconv.ParseFloat(r[6], 64)
				if err1 != nil || err2 != nil || math.Abs(est-w[0]) > 0.0051 || math.Abs(se-w[1]) > 0.0051 {
					if bad++; bad <= 5 {
						t.Errorf("%v: report %s ± %s, trend %.4f ± %.4f", r[:4], r[5], r[6], w[0], w[1])
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d estimates differ", bad, seen)
			}
			if seen != len(want) {
				t.Errorf("report has %d of the %d trend estimates", seen, len(want))
				n := 0
				for k := range want {
					if !got[k] && n < 5 {
						t.Log(k)
						n++
					}
				}
			}
		})
	}
}
