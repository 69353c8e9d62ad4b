package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestWeightingStreamsMultistageAndPPS: a weighting whose steps run on
// class cells (post-stratification; raking then trimming) of a multistage
// design with an fpc at every stage, or of a PPS first stage, streams in
// sipas index and sipas estimate under --stream, saying so, and prints
// what the in-memory run prints (every number within 1e-12 relative, 1e-11
// for the jackknife's SEs and design effects); the sums tables of index
// and estimate (--sums-out) give the same through --from-sums with the
// same --weighting.
func TestWeightingStreamsMultistageAndPPS(t *testing.T) {
	dir := t.TempDir()
	in := stagesFixture(t, dir)
	ps := filepath.Join(wtGoldenDir, "sipas_ps.json")
	rakeTrim := writeFile(t, dir, "rt.json", `{"design_weight": "weight", "steps": [{"poststratify": {"by": ["level"], "totals": {"commune": 12828470, "district": 9439434, "province": 6175361}}},
		{"trim": {"max": 2.5, "min": 0.5}}]}`)
	for i, c := range []struct {
		spec   string
		design []string
	}{
		{ps, []string{"--strata", "stratum", "--psu", "psu,ssu,el", "--fpc", "fpc,fpc2,fpc3", "--lonely-psu", "adjust", "--by", "province"}},
		{rakeTrim, []string{"--psu", "psu,ssu", "--fpc", "fpc0,fpc2", "--lonely-psu", "remove", "--by", "level"}},
		{ps, []string{"--strata", "stratum", "--psu", "psu,ssu", "--fpc", "fpc,fpc2", "--lonely-psu", "remove", "--variance", "jkn", "--ci", "wald"}},
		{ps, []string{"--strata", "stratum", "--psu", "psu", "--fpc", "pi", "--pps", "brewer", "--lonely-psu", "remove", "--by", "level"}},
		{rakeTrim, []string{"--psu", "psu", "--fpc", "pi", "--pps", "overton"}},
		{ps, []string{"--strata", "stratum", "--psu", "psu,ssu", "--fpc", "pi,fpc2", "--pps", "brewer", "--lonely-psu", "remove", "--by", "province"}},
	} {
		where := fmt.Sprint(filepath.Base(c.spec), c.design)
		args := append([]string{"index", "--in", in, "--format", "csv", "--weighting", c.spec}, c.design...)
		code, mem, errs := vtRun(t, "", args...)
		if code != 0 || strings.Contains(errs, "streaming") {
			t.Fatalf("%s in memory: exit %d, stderr %q", where, code, errs)
		}
		code, str, errs := vtRun(t, "", append(args, "--stream")...)
		if code != 0 || !strings.Contains(errs, "sipas index: streaming") || strings.Contains(errs, "into memory") {
			t.Fatalf("%s streamed: exit %d, stderr %q", where, code, errs)
		}
		// a jackknife's SE is √(Σ (θ_r − θ)²·scale), whose differences
		// lose two digits of the replicates' sums: the one-stage design
		// streamed before (--psu psu --fpc fpc) differs by 2.4e-12 too
		tol := 1e-12
		if slices.Contains(c.design, "jkn") {
			tol = 1e-11
		}
		sameCSVTol(t, where+" streamed", mem, str, tol, 1e-12)
		sums := filepath.Join(dir, "s"+strconv.Itoa(i)+".parquet")
		if code, _, errs := vtRun(t, "", append(args, "--sums-out", sums)...); code != 0 {
			t.Fatalf("%s --sums-out: exit %d, %s", where, code, errs)
		}
		code, fs, errs := vtRun(t, "", append([]string{"index", "--from-sums", sums, "--format", "csv", "--weighting", c.spec}, c.design...)...)
		if code != 0 {
			t.Fatalf("%s --from-sums: exit %d, %s", where, code, errs)
		}
		sameCSVTol(t, where+" --from-sums", mem, fs, tol, 1e-12)
		// by level: estimate reads province names by the year of each row
		// in memory
		edesign := append([]string(nil), c.design...)
		if j := slices.Index(edesign, "province"); j > 0 {
			edesign[j] = "level"
		}
		eargs := append([]string{"--in", in, "--weighting", c.spec, "--mean", "access_1,access_2", "--total", "procedures_1", "--ratio", "access_3/access_4"}, edesign...)
		if _, _, errs := vtRun(t, "", append([]string{"estimate", "--stream"}, eargs...)...); !strings.Contains(errs, "streaming") {
			t.Errorf("%s estimate: stderr %q does not say it streams", where, errs)
		}
		esRun(t, where+" estimate", eargs...)
		estimateSumsTableSame(t, where, filepath.Join(dir, "e"+strconv.Itoa(i)+".parquet"), eargs)
	}
}

// estimateSumsTableSame checks that estimate --sums-out, then --from-sums
// with the same flags but --in and --weight, prints what the in-memory run
// of eargs prints (esSame: every number within 1e-12 of its row's
// estimate or SE, whichever is larger).
func estimateSumsTableSame(t *testing.T, where, sums string, eargs []string) {
	t.Helper()
	args := append([]string{"estimate"}, eargs...)
	code, mem, errs := vtRun(t, "", args...)
	if code != 0 {
		t.Fatalf("%s estimate: exit %d, %s", where, code, errs)
	}
	if code, _, errs := vtRun(t, "", append(args, "--sums-out", sums)...); code != 0 {
		t.Fatalf("%s estimate --sums-out: exit %d, %s", where, code, errs)
	}
	from := []string{"estimate", "--from-sums", sums}
	rest := dropWeightFlag(eargs)
	for i := 0; i < len(rest); i++ {
		if rest[i] == "--in" {
			i++
			continue
		}
		from = append(from, rest[i])
	}
	code, fs, errs := vtRun(t, "", from...)
	if code != 0 {
		t.Fatalf("%s estimate --from-sums: exit %d, %s", where, code, errs)
	}
	esSame(t, where+" estimate --from-sums", fs, mem)
}

// TestFPCWeightsStreamCombo: without a weight column (--weight none) the
// ballots weigh the product of N/n over the stages (1/π under --pps, π
// from --joint-prob under --pps ht);
// index and estimate stream such a design with several --psu stages, a
// PPS first stage or a replicate --variance under --stream, saying so,
// and print what the in-memory run prints (every number within 1e-12
// relative); the --sums-out tables of index and estimate give the same
// through --from-sums.
func TestFPCWeightsStreamCombo(t *testing.T) {
	dir := t.TempDir()
	in := stagesFixture(t, dir)
	for i, design := range [][]string{
		{"--strata", "stratum", "--psu", "psu", "--pps", "ht", "--joint-prob", jointProbFixture(t, dir, in), "--by", "level"},
		{"--strata", "stratum", "--psu", "psu,ssu,el", "--fpc", "fpc,fpc2,fpc3", "--lonely-psu", "adjust", "--by", "level"},
		{"--psu", "psu,ssu", "--fpc", "fpc0,fpc2", "--lonely-psu", "remove"},
		{"--strata", "stratum", "--psu", "psu", "--fpc", "pi", "--pps", "brewer", "--lonely-psu", "remove", "--by", "level"},
		{"--strata", "stratum", "--psu", "psu,ssu", "--fpc", "pi,fpc2", "--pps", "brewer", "--lonely-psu", "remove"},
		{"--psu", "psu", "--fpc", "pi", "--pps", "overton", "--by", "level"},
		{"--strata", "stratum", "--psu", "psu", "--fpc", "fpc", "--variance", "jkn", "--ci", "wald", "--by", "level"},
		{"--psu", "psu", "--fpc", "fpc0", "--variance", "bootstrap", "--replicates", "30", "--seed", "5", "--ci", "wald"},
		{"--strata", "stratum", "--psu", "psu,ssu", "--fpc", "fpc,fpc2", "--lonely-psu", "remove", "--variance", "jkn", "--ci", "wald"},
	} {
		where := fmt.Sprint(design)
		args := append([]string{"index", "--in", in, "--format", "csv", "--weight", "none"}, design...)
		code, mem, errs := vtRun(t, "", args...)
		if code != 0 || strings.Contains(errs, "streaming") {
			t.Fatalf("%s in memory: exit %d, stderr %q", where, code, errs)
		}
		code, str, errs := vtRun(t, "", append(args, "--stream")...)
		if code != 0 || !strings.Contains(errs, "streaming") || !strings.Contains(errs, "no --weight") || strings.Contains(errs, "into memory") {
			t.Fatalf("%s streamed: exit %d, stderr %q", where, code, errs)
		}
		sameCSVTol(t, where+" streamed", mem, str, 1e-12, 1e-12)
		sums := filepath.Join(dir, "f"+strconv.Itoa(i)+".parquet")
		if code, _, errs := vtRun(t, "", append(args, "--sums-out", sums)...); code != 0 {
			t.Fatalf("%s --sums-out: exit %d, %s", where, code, errs)
		}
		code, fs, errs := vtRun(t, "", append([]string{"index", "--from-sums", sums, "--format", "csv"}, design...)...)
		if code != 0 {
			t.Fatalf("%s --from-sums: exit %d, %s", where, code, errs)
		}
		sameCSVTol(t, where+" --from-sums", mem, fs, 1e-12, 1e-12)
		eargs := append([]string{"--in", in, "--weight", "none", "--mean", "access_1,access_2", "--total", "procedures_1", "--ratio", "access_3/access_4"}, design...)
		if _, _, errs := vtRun(t, "", append([]string{"estimate", "--stream"}, eargs...)...); !strings.Contains(errs, "streaming") || !strings.Contains(errs, "no --weight") {
			t.Errorf("%s estimate: stderr %q does not say it streams", where, errs)
		}
		esRun(t, where+" estimate", eargs...)
		estimateSumsTableSame(t, where, filepath.Join(dir, "ef"+strconv.Itoa(i)+".parquet"), eargs)
	}
}

// TestCalibrationOfStagesOrPPSStreams: a --weighting calibration to a
// numeric variable of a multistage design with an fpc at every stage
// (with a replicate --variance too), or of a PPS first stage (Brewer,
// Overton, Horvitz–Thompson), streams in passes under --stream, and index
// prints what the in-memory run prints (every number within 1e-12
// relative); so does --from-sums on its --sums-out table (linearization).
// R's numbers for such designs: TestEstimateCalibratedPPSStagesMatchR.
func TestCalibrationOfStagesOrPPSStreams(t *testing.T) {
	dir := t.TempDir()
	in := stagesFixture(t, dir)
	num := stagesCalibration(t, dir, in)
	for i, design := range [][]string{
		{"--strata", "stratum", "--psu", "psu,ssu", "--fpc", "fpc,fpc2", "--lonely-psu", "remove"},
		{"--strata", "stratum", "--psu", "psu", "--fpc", "pi", "--pps", "brewer", "--lonely-psu", "remove"},
		{"--psu", "psu", "--fpc", "pi", "--pps", "overton", "--by", "level"},
		{"--strata", "stratum", "--psu", "psu", "--pps", "ht", "--joint-prob", jointProbFixture(t, dir, in), "--by", "level"},
		{"--strata", "stratum", "--psu", "psu,ssu,el", "--fpc", "fpc,fpc2,fpc3", "--lonely-psu", "adjust", "--by", "level"},
		{"--strata", "stratum", "--psu", "psu,ssu", "--fpc", "pi,fpc2", "--pps", "brewer", "--lonely-psu", "remove"},
		{"--strata", "stratum", "--psu", "psu,ssu", "--fpc", "fpc,fpc2", "--lonely-psu", "remove", "--variance", "jkn", "--ci", "wald"},
	} {
		where := fmt.Sprint(design)
		args := append([]string{"index", "--in", in, "--format", "csv", "--weighting", num}, design...)
		code, mem, errs := vtRun(t, "", args...)
		if code != 0 {
			t.Fatalf("%s in memory: exit %d, %s", where, code, errs)
		}
		code, str, errs := vtRun(t, "", append(args, "--stream")...)
		if code != 0 || strings.Contains(errs, "into memory") || !strings.Contains(errs, "passes") {
			t.Fatalf("%s --stream: exit %d, stderr %q; want it streamed in passes", where, code, errs)
		}
		if slices.Contains(design, "--variance") {
			// √Σ(θ_r − θ)² of JKn loses digits: 1e-11, as the other
			// weighted JKn runs; the table of generated replicates is
			// refused (TestIndexCalibratedSumsErrors)
			sameCSVTol(t, where, mem, str, 1e-11, 1e-11)
			continue
		}
		sameCSVTol(t, where, mem, str, 1e-12, 1e-12)
		sums := filepath.Join(dir, "cal"+strconv.Itoa(i)+".parquet")
		if code, _, errs := vtRun(t, "", append(args, "--sums-out", sums)...); code != 0 {
			t.Fatalf("%s --sums-out: exit %d, %s", where, code, errs)
		}
		code, fs, errs := vtRun(t, "", append([]string{"index", "--from-sums", sums, "--format", "csv", "--weighting", num}, design...)...)
		if code != 0 {
			t.Fatalf("%s --from-sums: exit %d, %s", where, code, errs)
		}
		sameCSVTol(t, where+" --from-sums", mem, fs, 1e-12, 1e-12)
	}
}

// jointProbFixture writes the --joint-prob table of stagesFixture's file
// in: every pair of its PSUs with the joint probabilities of Overton's
// approximation, π_ab = π_a π_b (n_h − 1)/(n_h − (π_a + π_b)/2) within a
// stratum of n_h PSUs, π_a π_b across strata, and π_a for a = b.
func jointProbFixture(t *testing.T, dir, in string) string {
	t.Helper()
	rows := readCSV(t, in)
	pc, hc, ic := slices.Index(rows[0], "psu"), slices.Index(rows[0], "stratum"), slices.Index(rows[0], "pi")
	var psus []string
	pi, h, nh := map[string]float64{}, map[string]string{}, map[string]int{}
	for _, r := range rows[1:] {
		if _, ok := pi[r[pc]]; !ok {
			psus = append(psus, r[pc])
			nh[r[hc]]++
			h[r[pc]] = r[hc]
			var err error
			if pi[r[pc]], err = strconv.ParseFloat(r[ic], 64); err != nil {
				t.Fatal(err)
			}
		}
	}
	out := [][]string{{"psu_a", "psu_b", "pi"}}
	for i, a := range psus {
		for _, b := range psus[i:] {
			pab := pi[a]
			if b != a {
				pab = pi[a] * pi[b]
				if h[a] == h[b] {
					n := float64(nh[h[a]])
					pab *= (n - 1) / (n - (pi[a]+pi[b])/2)
				}
			}
			out = append(out, []string{a, b, strconv.FormatFloat(pab, 'g', -1, 64)})
		}
	}
	path := filepath.Join(dir, "joint.csv")
	writeCSVRows(t, path, out)
	return path
}

// stagesCalibration writes a weighting that calibrates stagesFixture's
// file in to a numeric total: Σ weight·fpc2 over its rows times 1.02.
func stagesCalibration(t *testing.T, dir, in string) string {
	t.Helper()
	rows := readCSV(t, in)
	wc, fc := slices.Index(rows[0], "weight"), slices.Index(rows[0], "fpc2")
	total := 0.0
	for _, r := range rows[1:] {
		w, _ := strconv.ParseFloat(r[wc], 64)
		x, _ := strconv.ParseFloat(r[fc], 64)
		total += w * x
	}
	return writeFile(t, dir, "num.json", fmt.Sprintf(`{"design_weight": "weight", "steps": [{"calibrate": {"numeric": {"fpc2": %g}}}]}`, 1.02*total))
}
