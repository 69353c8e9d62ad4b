package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// TestCellErrorsNameFileLines: the errors found after the streamed pass,
// on the cells, name the input row of the ballot that breaks the rule and
// its CSV line or Parquet row group, as in memory, not a row of the cells:
// a PSU in two strata and an fpc that varies within a stratum after a
// calibration solved by passes (linearized and JKn), and a nonresponse
// step whose respondent's ballot is not marked returned, run on the cells
// of one pass (index and estimate, linearized and JKn) and on the cells of
// the calibration's first pass. Exit 2, nothing on standard output, no
// --out file, in memory and streamed. The bad ballot is data row 3900 or
// 3902; the Parquet copy has row groups of 500 rows.
func TestCellErrorsNameFileLines(t *testing.T) {
	lines, col := fixtureLines(t)
	st, fpc, w := col("stratum"), col("fpc"), col("weight")
	// the fixture with a respondent flag, a returned flag and an age
	ageTotal := 0.0
	ext := slices.Clone(lines)
	ext[0] += ",resp,ret,age"
	for r := 1; r < len(ext); r++ {
		flag := "yes"
		if (r-1)%7 == 0 {
			flag = "no"
		}
		age := 18 + (r-1)%50
		wt, err := strconv.ParseFloat(strings.Split(ext[r], ",")[w], 64)
		if err != nil {
			t.Fatal(err)
		}
		ageTotal += wt * float64(age)
		ext[r] += fmt.Sprintf(",%s,%s,%d", flag, flag, age)
	}
	otherStratum := ""
	for _, l := range ext[1:] {
		if s := strings.Split(l, ",")[st]; s != strings.Split(ext[3900], ",")[st] {
			otherStratum = s
			break
		}
	}
	set := func(row, c int, v string) []string {
		bad := slices.Clone(ext)
		cs := strings.Split(bad[row], ",")
		cs[c] = v
		bad[row] = strings.Join(cs, ",")
		return bad
	}
	ret := len(strings.Split(ext[0], ",")) - 2
	dir := t.TempDir()
	out := filepath.Join(dir, "out.csv")
	spec := func(name, steps string) string {
		return writeFile(t, dir, name+".json", `{"design_weight": "weight", "steps": [`+steps+`]}`)
	}
	cal := fmt.Sprintf(`{"calibrate": {"numeric": {"age": %v}}}`, ageTotal*1.01)
	nr := `{"nonresponse": {"classes": ["level"], "responded": "resp", "returned": "ret"}}`
	types := map[string]arrow.DataType{
		"psu": arrow.BinaryTypes.String, "province_code": arrow.BinaryTypes.String, "stratum": arrow.BinaryTypes.String,
		"province": arrow.BinaryTypes.String, "fpc": arrow.PrimitiveTypes.Float64, "weight": arrow.PrimitiveTypes.Float64}
	cases := []struct {
		name     string
		lines    []string
		row      int
		steps    string
		want     string
		estimate bool // estimate too (index's calibration path is the one that named cells)
	}{
		{"PSU in two strata after a calibration", set(3900, st, otherStratum), 3900, cal, "in strata", false},
		{"fpc varies after a calibration", set(3900, fpc, "999.0"), 3900, cal, "varies within stratum", false},
		{"nonresponse not returned", set(3902, ret, "no"), 3902, nr, "is a respondent but its ballot is not marked returned", true},
		{"nonresponse not returned then calibration", set(3902, ret, "no"), 3902, nr + ", " + cal, "is a respondent but its ballot is not marked returned", true},
	}
	for i, c := range cases {
		ws := spec(fmt.Sprintf("w%d", i), c.steps)
		for _, cmd := range []string{"index", "estimate"} {
			if cmd == "estimate" && !c.estimate {
				continue
			}
			ls := c.lines
			if cmd == "estimate" { // estimate streams province names only without the year column
				y := col("year")
				ls = slices.Clone(ls)
				for r, l := range ls {
					cs := strings.Split(l, ",")
					ls[r] = strings.Join(slices.Delete(cs, y, y+1), ",")
				}
			}
			csvPath, pq := writeCSVParquet(t, dir, fmt.Sprintf("%s%d", cmd, i), ls, types)
			for _, variance := range []string{"linearization", "jkn"} {
				for _, in := range []string{csvPath, pq} {
					where := fmt.Sprintf("row %d, line %d", c.row, c.row+1)
					if in == pq {
						where = fmt.Sprintf("row %d, row group 8 of 8", c.row)
					}
					args := []string{cmd, "--in", in, "--strata", "stratum", "--psu", "psu", "--fpc", "fpc", "--by", "province",
						"--weighting", ws, "--variance", variance, "--out", out}
					if cmd == "estimate" {
						args = append(args, "--mean", "access_1")
					}
					// a step's error names the weighting file; the
					// design's does not (the weighting is not at fault),
					// in memory and streamed alike
					prefix := in + ": "
					if c.row == 3902 {
						prefix += "--weighting " + ws + ": "
					}
					label := fmt.Sprintf("%s %s %s %s", c.name, cmd, variance, filepath.Base(in))
					for _, msg := range cellErrorNamed(t, label, out, args, c.want, where, prefix) {
						if c.row != 3902 && strings.Contains(msg, "--weighting") {
							t.Errorf("%s: the design's error %q names the weighting file", label, msg)
						}
					}
				}
			}
		}
	}
}

// cellErrorNamed runs a command on bad input in memory (args) and
// streamed (args and --stream): both exit 2 with nothing on standard
// output and no file at out, neither reads the file into memory when
// streamed, and the last line of standard error contains every want. It
// returns the two last lines.
func cellErrorNamed(t *testing.T, label, out string, args []string, want ...string) []string {
	t.Helper()
	var msgs []string
	for _, extra := range [][]string{nil, {"--stream"}} {
		code, stdout, stderr := vtRun(t, "", append(slices.Clone(args), extra...)...)
		msg := strings.TrimSpace(stderr)
		msg = msg[strings.LastIndex(msg, "\n")+1:]
		msgs = append(msgs, msg)
		if code != 2 || stdout != "" || extra != nil && strings.Contains(stderr, "into memory") {
			t.Errorf("%s %v: exit %d, stdout %.80q, stderr %q; want exit 2", label, extra, code, stdout, stderr)
		}
		for _, w := range want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s %v: %q does not name %q", label, extra, msg, w)
			}
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("%s: bad input left an output file", label)
		}
	}
	return msgs
}

// TestErrorsNameOtherInputPlaces: an invalid code in data row 3150 names
// its record batch in an Arrow IPC file and stream (batches of 1,000
// rows: batch 4 of 4), its sheet and sheet row in an Excel workbook (the
// header is row 1), and its line on standard input (blank lines and a
// quoted newline before it), in memory and, for the IPC file, streamed:
// exit 2, no output file.
func TestErrorsNameOtherInputPlaces(t *testing.T) {
	lines, col := fixtureLines(t)
	const row = 3150
	bad := slices.Clone(lines)
	cs := strings.Split(bad[row], ",")
	cs[col("officials_3")] = "7"
	bad[row] = strings.Join(cs, ",")
	dir := t.TempDir()
	csvPath, _ := writeCSVParquet(t, dir, "bad", bad, map[string]arrow.DataType{
		"psu": arrow.BinaryTypes.String, "province_code": arrow.BinaryTypes.String, "stratum": arrow.BinaryTypes.String})
	rec, err := arrowio.ReadAll(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	var batches []arrow.RecordBatch
	for i := int64(0); i < rec.NumRows(); i += 1000 {
		s := rec.NewSlice(i, min(i+1000, rec.NumRows()))
		defer s.Release()
		batches = append(batches, s)
	}
	out := filepath.Join(dir, "out.csv")
	design := []string{"--weight", "weight", "--strata", "stratum", "--psu", "psu", "--by", "province", "--out", out}
	const code = `column "officials_3", row 3150`
	for name, where := range map[string]string{"bad.arrow": ", record batch 4 of 4: ", "bad.arrows": ", record batch 4 of 4: ", "bad.xlsx": `, sheet "Sheet1" row 3151: `} {
		in := filepath.Join(dir, name)
		if strings.HasSuffix(name, ".xlsx") {
			err = arrowio.WriteRecord(in, rec)
		} else {
			err = arrowio.Write(in, rec.Schema(), batches)
		}
		if err != nil {
			t.Fatal(err)
		}
		runs := [][]string{nil}
		if name == "bad.arrow" {
			runs = append(runs, []string{"--stream"})
		}
		for _, extra := range runs {
			cellErrorNamed(t, name+" "+strings.Join(extra, ""), out, append(append([]string{"index", "--in", in}, design...), extra...), code+where)
		}
	}
	// standard input: two blank lines after row 10, a quoted newline in
	// row 20
	var text strings.Builder
	for r, l := range bad {
		if r == 20 {
			cs := strings.Split(l, ",")
			cs[col("unit")] = "\"" + cs[col("unit")] + "\nx\""
			l = strings.Join(cs, ",")
		}
		text.WriteString(l + "\n")
		if r == 10 {
			text.WriteString("\n\n")
		}
	}
	exit, stdout, stderr := vtRun(t, text.String(), append([]string{"index", "--in", "-"}, design...)...)
	if want := fmt.Sprintf("stdin: %s, line %d: ", code, row+1+3); exit != 2 || stdout != "" || !strings.Contains(stderr, want) {
		t.Errorf("stdin: exit %d, stdout %.80q, stderr %q; want 2 naming %q", exit, stdout, stderr, want)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("stdin: bad input left an output file")
	}
}

// TestReplicateWeightErrorNamesLine: a replicate whose calibrated weights
// go negative (JK1 after a linear calibration to a school-type margin and
// an enrolment total 10 % above the population's, apistrat) names the row
// of the smallest g and its CSV line or Parquet row group (3 of 4 in
// groups of 50 rows) in memory and streamed, where the check pass that
// finds it gave the row only.
func TestReplicateWeightErrorNamesLine(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join("..", "..", "testdata", "calopts", "apistrat.csv")
	rec, err := arrowio.ReadAll(in)
	if err != nil {
		t.Fatal(err)
	}
	pq := filepath.Join(dir, "apistrat.parquet")
	err = arrowio.Write(pq, rec.Schema(), []arrow.RecordBatch{rec}, arrowio.WithRowGroupRows(50))
	rec.Release()
	if err != nil {
		t.Fatal(err)
	}
	ws := writeFile(t, dir, "neg.json", `{"design_weight": "pw", "steps": [{"calibrate": {"margins": [{"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}], "numeric": {"enroll": 4192619.2}}}]}`)
	out := filepath.Join(dir, "out.csv")
	for path, where := range map[string]string{in: "(smallest g = -0.01603 at row 122, line 123)", pq: "(smallest g = -0.01603 at row 122, row group 3 of 4)"} {
		args := []string{"estimate", "--in", path, "--weighting", ws, "--psu", "snum", "--variance", "jk1", "--mean", "api00", "--out", out}
		cellErrorNamed(t, filepath.Base(path), out, args, "replicate 2 of 200", where)
	}
}

// TestStreamedErrorNamesFileOnce: a streamed run whose reader names the
// file (columns the questionnaire needs are missing) names it once, as in
// memory, with and without a weighting; it used to say it twice.
func TestStreamedErrorNamesFileOnce(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join("..", "..", "testdata", "calopts", "apistrat.csv")
	ps := writeFile(t, dir, "ps.json", `{"design_weight": "pw", "steps": [{"poststratify": {"by": ["stype"], "totals": {"E": 4421, "H": 755, "M": 1018}}}]}`)
	cal := writeFile(t, dir, "cal.json", `{"design_weight": "pw", "steps": [{"calibrate": {"numeric": {"enroll": 3811472}}}]}`)
	out := filepath.Join(dir, "out.csv")
	for _, w := range [][]string{{"--weight", "pw"}, {"--weighting", ps}, {"--weighting", cal}} {
		args := append([]string{"index", "--in", in, "--psu", "snum", "--out", out}, w...)
		cellErrorNamed(t, strings.Join(w, " "), out, args, "sipas index: "+in+": missing columns")
	}
}
