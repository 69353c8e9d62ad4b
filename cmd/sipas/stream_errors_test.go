package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// TestStreamedErrorsNameRows: every error about one ballot that index and
// estimate give on the whole file in memory, they give streamed with the
// same words and the same input row, not a row of the per-cell sums: a
// PSU in two strata and an fpc that varies within a stratum (checked on
// the cells, each named by its first ballot), a bad fpc, weight, stratum
// or PSU, an invalid code and an unknown province name; exit 2, nothing on
// standard output, no --out file. The bad ballot is data row 3900, named
// with its line 3901 in the CSV file and its row group 8 of 8 in the
// Parquet copy (row groups of 500 rows, read by two workers, each with its
// own cells).
func TestStreamedErrorsNameRows(t *testing.T) {
	lines, col := fixtureLines(t)
	const row = 3900 // data row, line 3901
	cells := strings.Split(lines[row], ",")
	otherStratum := ""
	for _, l := range lines[1:] {
		if s := strings.Split(l, ",")[col("stratum")]; s != cells[col("stratum")] {
			otherStratum = s
			break
		}
	}
	cases := []struct {
		name, column, value, want string
		index, estimate           bool
	}{
		{"PSU in two strata", "stratum", otherStratum, "in strata", true, true},
		{"fpc varies", "fpc", "999.0", "varies within stratum", true, true},
		{"fpc NaN", "fpc", "NaN", "has NaN", true, true},
		{"fpc negative", "fpc", "-3", "has -3", true, true},
		{"fpc missing", "fpc", "", "has no value", true, true},
		{"weight negative", "weight", "-1", "negative at row", true, true},
		{"weight NaN", "weight", "NaN", "NaN at row", true, true},
		{"weight infinite", "weight", "Inf", "infinite at row", true, true},
		{"weight missing", "weight", "", "missing at row", true, true},
		{"stratum missing", "stratum", "", "every row needs a stratum", true, true},
		{"PSU missing", "psu", "", "every row needs a PSU", true, true},
		{"invalid code", "officials_3", "7", "invalid answer code", true, false},
		{"unknown province", "province", "Nowhere", `unknown province "Nowhere"`, true, true},
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "out.csv")
	// write returns the lines with row's column set to value, as CSV and
	// as Parquet (row groups of 500 rows); without the year column for
	// estimate, which streams province names only without it
	write := func(name string, lines []string, dropYear bool) (string, string) {
		if dropYear {
			lines = slices.Clone(lines)
			y := col("year")
			for i, l := range lines {
				c := strings.Split(l, ",")
				lines[i] = strings.Join(slices.Delete(c, y, y+1), ",")
			}
		}
		return writeCSVParquet(t, dir, name, lines, map[string]arrow.DataType{
			"psu": arrow.BinaryTypes.String, "province_code": arrow.BinaryTypes.String, "stratum": arrow.BinaryTypes.String,
			"province": arrow.BinaryTypes.String, "fpc": arrow.PrimitiveTypes.Float64, "weight": arrow.PrimitiveTypes.Float64})
	}
	design := []string{"--weight", "weight", "--strata", "stratum", "--psu", "psu", "--fpc", "fpc", "--by", "province", "--out", out}
	for i, c := range cases {
		bad := slices.Clone(lines)
		cs := strings.Split(bad[row], ",")
		cs[col(c.column)] = c.value
		bad[row] = strings.Join(cs, ",")
		for _, cmd := range []string{"index", "estimate"} {
			if cmd == "index" && !c.index || cmd == "estimate" && !c.estimate {
				continue
			}
			csvPath, pq := write(cmd+string(rune('a'+i)), bad, cmd == "estimate")
			for _, in := range []string{csvPath, pq} {
				args := append([]string{cmd, "--in", in}, design...)
				if cmd == "estimate" {
					args = append(args, "--mean", "access_1")
				}
				where := "row 3900, line 3901"
				if in == pq {
					where = "row 3900, row group 8 of 8"
				}
				badInputSame(t, c.name+" "+cmd+" "+in, out, args, c.want, where)
			}
		}
	}
}

// writeCSVParquet writes lines as dir/name.csv and, read with types, as
// dir/name.parquet in row groups of 500 rows, and returns both paths.
func writeCSVParquet(t *testing.T, dir, name string, lines []string, types map[string]arrow.DataType) (string, string) {
	t.Helper()
	csvPath := writeFile(t, dir, name+".csv", strings.Join(lines, "\n")+"\n")
	rec, err := arrowio.ReadAll(csvPath, arrowio.WithTypes(types))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	pq := filepath.Join(dir, name+".parquet")
	if err := arrowio.Write(pq, rec.Schema(), []arrow.RecordBatch{rec}, arrowio.WithRowGroupRows(500)); err != nil {
		t.Fatal(err)
	}
	return csvPath, pq
}

// TestErrorsNameFileLines: a bad value in a late row (3150 of 4000) names
// the row's first line in a CSV file and its row group in a Parquet file,
// on index and estimate, in memory and streamed, with the same words:
// exit 2, nothing on standard output, no --out file. Quoted fields before
// the row hold newlines and blank lines stand between records, so the
// line is not the row + 1 (the test counts the newlines before the row's
// record); the Parquet copy has row groups of 800 rows, so row 3150 is in
// row group 4 of 5.
func TestErrorsNameFileLines(t *testing.T) {
	lines, col := fixtureLines(t)
	const row = 3150
	cases := []struct {
		name, column, value, want string
		estimate                  bool
	}{
		{"invalid code", "officials_3", "7", `invalid answer code "7"`, false},
		{"weight negative", "weight", "-1", "negative at row", true},
		{"fpc NaN", "fpc", "NaN", "has NaN", true},
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "out.csv")
	design := []string{"--weight", "weight", "--strata", "stratum", "--psu", "psu", "--fpc", "fpc", "--by", "province", "--out", out}
	for i, c := range cases {
		for _, cmd := range []string{"index", "estimate"} {
			if cmd == "estimate" && !c.estimate {
				continue
			}
			// the records, the bad one changed; estimate streams province
			// names only without the year column
			drop := -1
			if cmd == "estimate" {
				drop = col("year")
			}
			var text strings.Builder
			wantLine := 0
			for r, l := range lines {
				cs := strings.Split(l, ",")
				switch {
				case r == row:
					cs[col(c.column)] = c.value
					wantLine = strings.Count(text.String(), "\n") + 1
				case r == 10 || r == 700 || r == 2000:
					cs[col("unit")] = "\"" + cs[col("unit")] + "\nsố \"\"2\"\"\r\n\""
				}
				if drop >= 0 {
					cs = slices.Delete(cs, drop, drop+1)
				}
				text.WriteString(strings.Join(cs, ",") + "\n")
				if r == 5 || r == 3000 {
					text.WriteString("\n\r\n")
				}
			}
			if wantLine != row+1+3*2+2*2 {
				t.Fatalf("the bad row starts at line %d", wantLine)
			}
			name := fmt.Sprintf("%s%d", cmd, i)
			csvPath := writeFile(t, dir, name+".csv", text.String())
			rec, err := arrowio.ReadAll(csvPath, arrowio.WithTypes(map[string]arrow.DataType{
				"psu": arrow.BinaryTypes.String, "province_code": arrow.BinaryTypes.String, "stratum": arrow.BinaryTypes.String,
				"province": arrow.BinaryTypes.String, "fpc": arrow.PrimitiveTypes.Float64, "weight": arrow.PrimitiveTypes.Float64}))
			if err != nil {
				t.Fatal(err)
			}
			if rec.NumRows() != int64(len(lines)-1) {
				t.Fatalf("%s: %d rows, want %d", csvPath, rec.NumRows(), len(lines)-1)
			}
			pq := filepath.Join(dir, name+".parquet")
			err = arrowio.Write(pq, rec.Schema(), []arrow.RecordBatch{rec}, arrowio.WithRowGroupRows(800))
			rec.Release()
			if err != nil {
				t.Fatal(err)
			}
			for _, in := range []string{csvPath, pq} {
				where := fmt.Sprintf("row %d, line %d", row, wantLine)
				if in == pq {
					where = fmt.Sprintf("row %d, row group 4 of 5", row)
				}
				args := append([]string{cmd, "--in", in}, design...)
				if cmd == "estimate" {
					args = append(args, "--mean", "access_1")
				}
				badInputSame(t, c.name+" "+cmd+" "+in, out, args, c.want, where)
			}
		}
	}
}

// TestErrorNamesLineAtScale: an invalid code near the end of a CSV file
// of 200,000 ballots (the fixture 50 times, every 997th ballot's unit
// spread over two lines by a quoted newline) names its exact line when
// index streams it: exit 2, no output file.
func TestErrorNamesLineAtScale(t *testing.T) {
	lines, col := fixtureLines(t)
	unit, code := col("unit"), col("officials_3")
	const rows, bad = 200_000, 199_990
	var text strings.Builder
	text.Grow(rows * (len(lines[1]) + 4))
	text.WriteString(lines[0] + "\n")
	line, wantLine := 2, 0
	for r := 1; r <= rows; r++ {
		l := lines[1+(r-1)%(len(lines)-1)]
		switch {
		case r == bad:
			cs := strings.Split(l, ",")
			cs[code] = "7"
			l = strings.Join(cs, ",")
			wantLine = line
		case r%997 == 0:
			cs := strings.Split(l, ",")
			cs[unit] = "\"" + cs[unit] + "\nx\""
			l = strings.Join(cs, ",")
			line++
		}
		text.WriteString(l + "\n")
		line++
	}
	dir := t.TempDir()
	in := writeFile(t, dir, "big.csv", text.String())
	out := filepath.Join(dir, "out.csv")
	exit, stdout, stderr := vtRun(t, "", "index", "--in", in, "--weight", "weight", "--strata", "stratum", "--psu", "psu", "--by", "province", "--out", out, "--stream")
	where := fmt.Sprintf(`column "officials_3", row %d, line %d: invalid answer code "7"`, bad, wantLine)
	if exit != 2 || stdout != "" || !strings.Contains(stderr, where) || strings.Contains(stderr, "into memory") {
		t.Fatalf("exit %d, stdout %.80q, stderr %q; want 2 naming %q", exit, stdout, stderr, where)
	}
	if wantLine != bad+1+bad/997 {
		t.Fatalf("the bad row starts at line %d", wantLine)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("bad input left an output file")
	}
}

// TestValidateWeightErrorsNameLines: validate and weight name the CSV
// line and the Parquet row group of a bad value too (a year that is not
// a number; a negative design weight): exit 2, no output. A quoted field
// before the row holds a newline.
func TestValidateWeightErrorsNameLines(t *testing.T) {
	dir := t.TempDir()
	v := writeFile(t, dir, "v.csv", "ballot_id,year,province,access_1\nB1,2019,\"Hà\nNội\",4\nB2,2019,Hà Nội,4\nB3,20x9,Hà Nội,4\n")
	vout, vexc := filepath.Join(dir, "vo.csv"), filepath.Join(dir, "vx.csv")
	code, _, stderr := vtRun(t, "", "validate", "--in", v, "--out", vout, "--excluded", vexc)
	if code != 2 || !strings.Contains(stderr, `column "year": row 3, line 5: value "20x9"`) {
		t.Errorf("validate: exit %d, stderr %q; want 2 naming row 3, line 5", code, stderr)
	}
	for _, p := range []string{vout, vexc} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("validate: bad input left %s", p)
		}
	}

	b, err := os.ReadFile(filepath.Join(etAPI, "apiclus1.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	const row = 150 // of 183; row group 3 of 4 in groups of 50 rows
	for r := range lines {
		cs := strings.Split(lines[r], ",")
		switch r {
		case 10:
			cs[9] = `"Y` + "\n" + `es"` // sch.wide, not in the spec
		case row:
			cs[3] = "-5" // pw
		}
		lines[r] = strings.Join(cs, ",")
	}
	in := writeFile(t, dir, "w.csv", strings.Join(lines, "\n")+"\n")
	rec, err := arrowio.ReadAll(in)
	if err != nil {
		t.Fatal(err)
	}
	pq := filepath.Join(dir, "w.parquet")
	err = arrowio.Write(pq, rec.Schema(), []arrow.RecordBatch{rec}, arrowio.WithRowGroupRows(50))
	rec.Release()
	if err != nil {
		t.Fatal(err)
	}
	spec := writeFile(t, dir, "s.json", `{"design_weight": "pw", "steps": [{"poststratify": {"by": ["stype"], "totals": `+wtPopStype+`}}], "output": {"weight": "final"}}`)
	out := filepath.Join(dir, "out.csv")
	for in, where := range map[string]string{in: "design weight of row 150, line 152 is -5", pq: "design weight of row 150, row group 3 of 4 is -5"} {
		code, stdout, stderr := vtRun(t, "", "weight", "--in", in, "--spec", spec, "--out", out)
		if code != 2 || stdout != "" || !strings.Contains(stderr, in+": "+spec+": ") || !strings.Contains(stderr, where) {
			t.Errorf("weight %s: exit %d, stdout %.80q, stderr %q; want 2 naming the file, the spec and %q", in, code, stdout, stderr, where)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("weight %s: bad input left an output file", in)
		}
	}
}

// TestCalibratedErrorNamesLine: a calibration variable that is NaN in a
// late row stops index --weighting with the same message in memory and
// streamed (where the solver's passes read the file), naming the file,
// the row and its CSV line or Parquet row group (4 of 5); the streamed
// run used to leave the file out.
func TestCalibratedErrorNamesLine(t *testing.T) {
	lines, col := fixtureLines(t)
	unit := col("unit")
	const row = 3000 // row group 4 of 5 in groups of 800 rows
	var text strings.Builder
	text.WriteString(lines[0] + ",age\n")
	for r, l := range lines[1:] {
		cs := strings.Split(l, ",")
		age := fmt.Sprint(18 + r%50)
		switch r + 1 {
		case 10:
			cs[unit] = "\"" + cs[unit] + "\n\""
		case row:
			age = "NaN"
		}
		text.WriteString(strings.Join(cs, ",") + "," + age + "\n")
	}
	dir := t.TempDir()
	in := writeFile(t, dir, "age.csv", text.String())
	rec, err := arrowio.ReadAll(in, arrowio.WithTypes(map[string]arrow.DataType{
		"psu": arrow.BinaryTypes.String, "stratum": arrow.BinaryTypes.String, "fpc": arrow.PrimitiveTypes.Float64, "weight": arrow.PrimitiveTypes.Float64}))
	if err != nil {
		t.Fatal(err)
	}
	pq := filepath.Join(dir, "age.parquet")
	err = arrowio.Write(pq, rec.Schema(), []arrow.RecordBatch{rec}, arrowio.WithRowGroupRows(800))
	rec.Release()
	if err != nil {
		t.Fatal(err)
	}
	spec := writeFile(t, dir, "cal.json", `{"design_weight": "weight", "steps": [{"calibrate": {"numeric": {"age": 7000000}}}]}`)
	out := filepath.Join(dir, "out.csv")
	for in, where := range map[string]string{in: `margin "age": row 3000, line 3002 is NaN`, pq: `margin "age": row 3000, row group 4 of 5 is NaN`} {
		for _, cmd := range []string{"index", "estimate"} {
			args := []string{cmd, "--in", in, "--strata", "stratum", "--psu", "psu", "--fpc", "fpc", "--nest", "--by", "level", "--weighting", spec, "--out", out}
			if cmd == "estimate" {
				args = append(args, "--mean", "age")
			}
			if msg := badInputSame(t, cmd+" "+in, out, args, where); !strings.HasPrefix(msg, "sipas "+cmd+": "+in+": --weighting ") {
				t.Errorf("%s %s: %q does not name the file", cmd, in, msg)
			}
		}
	}
}

// fixtureLines returns the lines of the index fixture (the header first)
// and the position of a column in its header.
func fixtureLines(t *testing.T) ([]string, func(string) int) {
	t.Helper()
	b, err := os.ReadFile(indexFixture)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	header := strings.Split(lines[0], ",")
	return lines, func(name string) int {
		i := slices.Index(header, name)
		if i < 0 {
			t.Fatalf("no column %q", name)
		}
		return i
	}
}

// badInputSame runs a command on bad input in memory (args) and streamed
// (args and --stream): both exit 2 with nothing on standard output and no
// file at out, neither reads the file into memory, the two messages are
// the same words (the design's own errors start with its package name, the
// streamed checks of one row do not), and the message contains every
// want. It returns the in-memory message.
func badInputSame(t *testing.T, label, out string, args []string, want ...string) string {
	t.Helper()
	code, stdout, memErr := vtRun(t, "", args...)
	if code != 2 || stdout != "" || strings.Contains(memErr, "into memory") {
		t.Errorf("%s in memory: exit %d, stdout %.80q, stderr %q; want 2", label, code, stdout, memErr)
	}
	for _, w := range want {
		if !strings.Contains(memErr, w) {
			t.Errorf("%s in memory: %q does not name %q", label, memErr, w)
		}
	}
	code, stdout, strErr := vtRun(t, "", append(args, "--stream")...)
	if code != 2 || stdout != "" || strings.Contains(strErr, "into memory") {
		t.Errorf("%s streamed: exit %d, stdout %.80q, stderr %q; want exit 2", label, code, stdout, strErr)
	}
	if plain := func(s string) string { return strings.ReplaceAll(s, "sampling: ", "") }; plain(strErr) != plain(memErr) {
		t.Errorf("%s: streamed\n%s\nin memory\n%s", label, strErr, memErr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatalf("%s: bad input left an output file", label)
	}
	return memErr
}
