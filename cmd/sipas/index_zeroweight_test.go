package main

import (
	"os"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// TestIndexStreamZeroWeights: on ballots of which some weigh 0 (every 7th,
// and a whole PSU at the start of the file), as CSV and as Parquet of
// several row groups, `sipas index --stream` prints what the run that
// reads the file into memory prints: the design effects (whose n leaves
// the ballots of weight 0 out), and the estimates, SEs, intervals, n, PSU
// counts and df, with and without --psu, nationally and by province.
func TestIndexStreamZeroWeights(t *testing.T) {
	csvPath, pq := zeroWeightFiles(t)
	for _, design := range [][]string{
		{"--strata", "stratum", "--psu", "psu", "--fpc", "fpc"},
		{"--strata", "stratum"},
	} {
		for _, by := range [][]string{nil, {"--by", "province"}} {
			for _, in := range []string{csvPath, pq} {
				args := append(append([]string{"index", "--in", in, "--weight", "wz", "--format", "csv"}, design...), by...)
				streamSameZeroWeights(t, args)
			}
		}
	}
}

// TestEstimateStreamZeroWeightsDeffWOR: on the ballots of
// TestIndexStreamZeroWeights, `sipas estimate --stream --deff srswor`
// prints what the in-memory run prints: the design effects against
// sampling without replacement, v/(v_srs·(1 − n/W)), whose n leaves the
// ballots of weight 0 out in both, and every other number, for a mean, a
// total and a ratio, with and without --psu, nationally and by region.
func TestEstimateStreamZeroWeightsDeffWOR(t *testing.T) {
	csvPath, pq := zeroWeightFiles(t)
	for _, design := range [][]string{
		{"--strata", "stratum", "--psu", "psu", "--fpc", "fpc"},
		{"--strata", "stratum", "--fpc", "fpc"},
	} {
		for _, by := range [][]string{nil, {"--by", "region"}} {
			for _, in := range []string{csvPath, pq} {
				args := append(append([]string{"estimate", "--in", in, "--weight", "wz", "--format", "csv", "--deff", "srswor",
					"--mean", "access_1", "--total", "access_2", "--ratio", "access_1/access_2"}, design...), by...)
				streamSameZeroWeights(t, args)
			}
		}
	}
}

// streamSameZeroWeights runs args in memory and with --stream and
// compares the two CSV tables, which must have a deff column.
func streamSameZeroWeights(t *testing.T, args []string) {
	t.Helper()
	where := strings.Join(args, " ")
	code, mem, errs := vtRun(t, "", args...)
	if code != 0 {
		t.Fatalf("%s: exit %d, %s", where, code, errs)
	}
	code, str, errs := vtRun(t, "", append(args, "--stream")...)
	if code != 0 || strings.Contains(errs, "reading") {
		t.Fatalf("%s --stream: exit %d, stderr %q", where, code, errs)
	}
	if !strings.Contains(mem, ",deff") && !strings.Contains(mem, "deff,") {
		t.Fatalf("%s: no deff column:\n%.300s", where, mem)
	}
	sameCSVTol(t, where, mem, str, 1e-11, 1e-12)
}

// zeroWeightFiles writes the index fixture with a column wz, its weight
// but 0 for every 7th ballot and the first 40 (a whole PSU), as CSV and as
// Parquet of several row groups.
func zeroWeightFiles(t *testing.T) (csvPath, pq string) {
	b, err := os.ReadFile(indexFixture)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	col := -1
	for i, h := range strings.Split(lines[0], ",") {
		if h == "weight" {
			col = i
		}
	}
	if col < 0 || strings.Contains(string(b), `"`) {
		t.Fatal("the fixture has no weight column, or quoted fields")
	}
	lines[0] += ",wz"
	for i := 1; i < len(lines); i++ {
		w := strings.Split(lines[i], ",")[col]
		if r := i - 1; r%7 == 3 || r < 40 {
			w = "0"
		}
		lines[i] += "," + w
	}
	return writeCSVParquet(t, t.TempDir(), "zw", lines, map[string]arrow.DataType{"psu": arrow.BinaryTypes.String, "province_code": arrow.BinaryTypes.String})
}
