package index

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// TestSumsSQLOnSQLite runs the query of SumsSQL for real in SQLite (the
// sqlite3 shell, Debian package sqlite3) on the R-golden fixture and
// finishes the indices from its result: they equal those from the sums
// computed in process, and Compute's, at 1e-12. SQLite's JSON output mode
// prints numbers with 17 significant digits, so nothing is lost on the way
// back. Without sqlite3 the test is skipped locally and fails under CI.
func TestSumsSQLOnSQLite(t *testing.T) {
	if _, err := exec.LookPath("sqlite3"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("sqlite3 is not installed (Debian package sqlite3; .ci/run installs it)")
		}
		t.Skip("sqlite3 is not installed (apt-get install sqlite3); CI runs this test")
	}
	rec, abs := zeroWeightCSV(t)
	defer rec.Release()
	dir := t.TempDir()
	cols := sqliteColumns(rec)
	for _, tc := range []struct {
		spec *sampling.DesignOptions
		opt  *Options
	}{
		{&sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu", FPC: "fpc"}, &Options{By: []string{"province"}, VsNation: true}},
		{&sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu"}, &Options{By: []string{"level", "field"}, Score: ScoreMean}},
		{&sampling.DesignOptions{PSU: "psu"}, &Options{}},
		// ballots of weight 0
		{&sampling.DesignOptions{Weight: "wz", Strata: "stratum", PSU: "psu", FPC: "fpc"}, &Options{By: []string{"province"}, VsNation: true}},
		{&sampling.DesignOptions{Weight: "wz", PSU: "psu"}, &Options{By: []string{"level", "field"}, Score: ScoreMean, NoExpectations: true}},
	} {
		where := fmt.Sprintf("%+v by %v", *tc.spec, tc.opt.By)
		query := SumsSQL(nil, tc.opt, "ballots", tc.spec.Weight, tc.spec.Strata, tc.spec.PSU, tc.spec.FPC)
		out := runSQLite(t, where, dir, abs, cols, query)
		// the sums computed in process give the table's columns and types
		mine := sumsOf(t, rec, nil, tc.spec, tc.opt, 1000)
		sqlTab := jsonTable(t, out, mine.Schema())
		if sqlTab.NumRows() != mine.NumRows() {
			t.Fatalf("%s: SQL gave %d cells, the ballots %d", where, sqlTab.NumRows(), mine.NumRows())
		}
		sameCounts(t, where, mine, sqlTab)
		fromSQL, _, err := FromSums(context.Background(), sqlTab, nil, tc.spec, tc.opt)
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		fromMine, _, err := FromSums(context.Background(), mine, nil, tc.spec, tc.opt)
		if err != nil {
			t.Fatal(err)
		}
		d, err := sampling.NewDesign(rec, tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Compute(context.Background(), d, rec, nil, tc.opt)
		if err != nil {
			t.Fatal(err)
		}
		sameRows(t, where+" SQL vs in-process sums", fromMine, fromSQL, 1e-12)
		sameRows(t, where+" SQL vs Compute", want, fromSQL, 1e-12)
		sqlTab.Release()
		mine.Release()
	}
}

// zeroWeightCSV returns zeroWeightFixture's ballots (the caller releases
// them) and the absolute path of a CSV file holding them.
func zeroWeightCSV(t *testing.T) (arrow.RecordBatch, string) {
	t.Helper()
	rec, _ := zeroWeightFixture(t)
	path := filepath.Join(t.TempDir(), "ballots.csv")
	if err := arrowio.Write(path, rec.Schema(), []arrow.RecordBatch{rec}); err != nil {
		t.Fatal(err)
	}
	return rec, path
}

// sameCounts asserts that the count (int64) columns of two sums tables of
// the same cells in the same order are equal.
func sameCounts(t *testing.T, where string, want, got arrow.RecordBatch) {
	t.Helper()
	for j, f := range want.Schema().Fields() {
		a, ok := want.Column(j).(*array.Int64)
		if !ok {
			continue
		}
		i := got.Schema().FieldIndices(f.Name)
		if len(i) == 0 {
			t.Errorf("%s: no column %q", where, f.Name)
			continue
		}
		b := got.Column(i[0]).(*array.Int64)
		for r := 0; r < a.Len(); r++ {
			if a.Value(r) != b.Value(r) {
				t.Errorf("%s: column %q, cell %d: %d, want %d", where, f.Name, r+1, b.Value(r), a.Value(r))
				break
			}
		}
	}
}

// runSQLite loads the CSV file abs (columns cols) as table ballots in a
// fresh SQLite database in dir, runs query on it and returns its rows as
// JSON.
func runSQLite(t *testing.T, where, dir, abs string, cols []string, query string) []byte {
	t.Helper()
	script := fmt.Sprintf("CREATE TABLE ballots (%s);\n.import --csv --skip 1 %s ballots\n.mode json\n%s;\n",
		strings.Join(cols, ", "), abs, strings.TrimSpace(query))
	cmd := exec.Command("sqlite3", filepath.Join(dir, "b.db"))
	cmd.Stdin = strings.NewReader(script)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	os.Remove(filepath.Join(dir, "b.db"))
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("%s: sqlite3: %v\n%s", where, err, stderr.String())
	}
	return out
}

// sqlAndSummed runs query on rec's rows (the CSV file csvPath) in
// sqlite3 and sums rec in process (Sums of the design spec, options opt
// and weighting ws): the two sums tables, of the same schema, their
// numbers of cells checked equal.
func sqlAndSummed(t *testing.T, name, dir, csvPath string, rec arrow.RecordBatch, q *Questionnaire, spec *sampling.DesignOptions, opt *Options, ws *weighting.Spec, query string) (mine, sqlTab arrow.RecordBatch) {
	t.Helper()
	out := runSQLite(t, strings.ReplaceAll(name, " ", "_"), dir, csvPath, sqliteColumns(rec), query)
	s, err := newSums(q, spec, opt, rec.Schema(), ws)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add(rec, 0); err != nil {
		t.Fatal(err)
	}
	if mine, err = s.Table(nil); err != nil {
		t.Fatal(err)
	}
	sqlTab = jsonTable(t, out, mine.Schema())
	if sqlTab.NumRows() != mine.NumRows() {
		t.Errorf("%s: SQL gave %d cells, the ballots %d", name, sqlTab.NumRows(), mine.NumRows())
	}
	return mine, sqlTab
}

// jsonTable reads the JSON rows of sqlite3's .mode json (an array of
// objects whose members come in the same order in every row) into a
// record of the given schema (text, int64 and float64 columns; members
// the schema does not name are passed over). It scans the bytes itself:
// the sums tables run to thousands of rows of a thousand columns, and
// decoding them into maps took most of the SQL tests' time, above all
// under the race detector.
func jsonTable(t *testing.T, data []byte, schema *arrow.Schema) arrow.RecordBatch {
	t.Helper()
	mem := memory.DefaultAllocator
	bs := make([]array.Builder, schema.NumFields())
	for j, f := range schema.Fields() {
		bs[j] = array.NewBuilder(mem, f.Type)
		switch bs[j].(type) {
		case *array.StringBuilder, *array.Int64Builder, *array.Float64Builder:
		default:
			t.Fatalf("column %s: type %s", f.Name, f.Type)
		}
		defer bs[j].Release()
	}
	sc := &sqliteJSON{t: t, b: data}
	var keys [][]byte // the members' names, in the first row's order
	var field []int   // each member's field in schema, -1 if none
	rows := 0
	sc.expect('[')
	for more := !sc.next(']'); more; more = sc.more(']') {
		sc.expect('{')
		k := 0
		for memb := !sc.next('}'); memb; memb = sc.more('}') {
			key, _ := sc.str()
			if rows == 0 {
				keys = append(keys, key)
				j := -1
				if js := schema.FieldIndices(string(key)); len(js) > 0 {
					j = js[0]
				}
				field = append(field, j)
			} else if k >= len(keys) || !bytes.Equal(key, keys[k]) {
				t.Fatalf("sqlite3 output: row %d: member %d is %q, the first row's is not", rows, k, key)
			}
			sc.expect(':')
			raw, quoted, null := sc.value()
			if j := field[k]; j >= 0 {
				switch b := bs[j].(type) {
				case *array.StringBuilder:
					switch {
					case null:
						b.AppendNull()
					case quoted && bytes.IndexByte(raw, '\\') >= 0:
						var v string
						if err := json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &v); err != nil {
							t.Fatalf("row %d, %s: %v", rows, key, err)
						}
						b.Append(v)
					default:
						b.Append(string(raw))
					}
				case *array.Int64Builder:
					if null {
						b.AppendNull()
						break
					}
					x, err := strconv.ParseInt(string(raw), 10, 64)
					if err != nil || quoted {
						t.Fatalf("row %d, %s: %q: %v", rows, key, raw, err)
					}
					b.Append(x)
				case *array.Float64Builder:
					if null {
						b.AppendNull()
						break
					}
					x, err := strconv.ParseFloat(string(raw), 64)
					if err != nil || quoted {
						t.Fatalf("row %d, %s: %q: %v", rows, key, raw, err)
					}
					b.Append(x)
				}
			}
			k++
		}
		if rows == 0 {
			for j, f := range schema.Fields() {
				if !slices.Contains(field, j) {
					t.Fatalf("SQL result lacks column %q", f.Name)
				}
			}
		} else if k != len(keys) {
			t.Fatalf("sqlite3 output: row %d has %d members, the first %d", rows, k, len(keys))
		}
		rows++
	}
	if sc.skip(); sc.i != len(sc.b) {
		t.Fatalf("sqlite3 output: %q after the rows", sc.b[sc.i:min(len(sc.b), sc.i+50)])
	}
	arrs := make([]arrow.Array, len(bs))
	for j, b := range bs {
		arrs[j] = b.NewArray()
		defer arrs[j].Release()
	}
	return array.NewRecordBatch(schema, arrs, int64(rows))
}

// sqliteJSON scans the JSON of sqlite3's .mode json: arrays of objects
// of strings, numbers and nulls.
type sqliteJSON struct {
	t *testing.T
	b []byte
	i int
}

func (s *sqliteJSON) skip() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\n' || s.b[s.i] == '\r' || s.b[s.i] == '\t') {
		s.i++
	}
}

// next consumes c if it comes next.
func (s *sqliteJSON) next(c byte) bool {
	s.skip()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// more consumes a comma, saying another element follows, or the closing
// end.
func (s *sqliteJSON) more(end byte) bool {
	if s.next(',') {
		return true
	}
	s.expect(end)
	return false
}

func (s *sqliteJSON) expect(c byte) {
	if !s.next(c) {
		s.t.Fatalf("sqlite3 output: %q at byte %d, want %q", s.b[s.i:min(len(s.b), s.i+50)], s.i, c)
	}
}

// str consumes a string and returns its bytes between the quotes
// (escapes left in).
func (s *sqliteJSON) str() ([]byte, bool) {
	s.expect('"')
	start := s.i
	for s.i < len(s.b) && s.b[s.i] != '"' {
		if s.b[s.i] == '\\' {
			s.i++
		}
		s.i++
	}
	if s.i >= len(s.b) {
		s.t.Fatalf("sqlite3 output: a string at byte %d is not closed", start)
	}
	s.i++
	return s.b[start : s.i-1], true
}

// value consumes a value: a string (quoted), null or a number (its text).
func (s *sqliteJSON) value() (raw []byte, quoted, null bool) {
	s.skip()
	if s.i < len(s.b) && s.b[s.i] == '"' {
		raw, quoted = s.str()
		return raw, quoted, false
	}
	start := s.i
	for s.i < len(s.b) && s.b[s.i] != ',' && s.b[s.i] != '}' && s.b[s.i] != ']' && s.b[s.i] > ' ' {
		s.i++
	}
	raw = s.b[start:s.i]
	if len(raw) == 0 {
		s.t.Fatalf("sqlite3 output: no value at byte %d", start)
	}
	return raw, false, string(raw) == "null"
}

// sqliteColumns are the column definitions of a ballots table typed as
// rec's columns (INTEGER, REAL, TEXT).
func sqliteColumns(rec arrow.RecordBatch) []string {
	var cols []string
	for _, f := range rec.Schema().Fields() {
		typ := "TEXT"
		switch {
		case arrow.IsInteger(f.Type.ID()):
			typ = "INTEGER"
		case arrow.IsFloating(f.Type.ID()):
			typ = "REAL"
		}
		cols = append(cols, f.Name+" "+typ)
	}
	return cols
}

// TestWeightedSumsSQLOnSQLite runs the query of WeightedSumsSQL in SQLite
// for weightings whose steps run on the cells (post-stratification,
// raking, nonresponse then post-stratification, raking then trimming
// with a design weight that varies within PSUs, post-stratification then
// raking with that design weight: the query sums the ballots' unweighted
// scores, not keyed by the design weight) and finishes the indices
// from its result: the cells are those of the sums computed in process,
// and the indices equal weighting.NewDesign + Compute on the ballots at
// 1e-12. A weighting that needs every ballot has no query.
func TestWeightedSumsSQLOnSQLite(t *testing.T) {
	if _, err := exec.LookPath("sqlite3"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("sqlite3 is not installed (Debian package sqlite3; .ci/run installs it)")
		}
		t.Skip("sqlite3 is not installed (apt-get install sqlite3); CI runs this test")
	}
	rec, level, gender, region, read := weightingFixture(t)
	defer rec.Release()
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "ballots.csv")
	if err := arrowio.Write(csvPath, rec.Schema(), []arrow.RecordBatch{rec}); err != nil {
		t.Fatal(err)
	}
	specs := map[string]string{
		"ps":   read("sipas_ps.json"),
		"rake": read("sipas_rake.json"),
		"nonresponse_ps": `{"design_weight": "weight", "steps": [{"nonresponse": {"classes": ["region"], "responded": "responded"}},
			{"poststratify": ` + level + `}]}`,
		"w_rake_trim": `{"design_weight": "weight2", "steps": [{"rake": {"margins": [` + level + `, ` + gender + `, ` + region + `]}},
			{"trim": {"max": 2.2, "min": 0.4}}]}`,
		"w_ps_rake": `{"design_weight": "weight2", "steps": [{"poststratify": ` + region + `}, {"rake": {"margins": [` + level + `, ` + gender + `]}}]}`,
	}
	if testing.Short() {
		// the race run: a design weight key (trimming) makes nearly a
		// cell per ballot, slow to read back from sqlite3's JSON
		delete(specs, "w_rake_trim")
	}
	spec := &sampling.DesignOptions{Strata: "stratum", PSU: "psu", FPC: "fpc"}
	opt := &Options{By: []string{"level"}, VsNation: true}
	for name, js := range specs {
		ws, err := weighting.ParseSpecBytes([]byte(js))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		query, err := WeightedSumsSQL(nil, opt, "ballots", spec, ws)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		mine, sqlTab := sqlAndSummed(t, name, dir, csvPath, rec, nil, spec, opt, ws, query)
		if name == "w_ps_rake" {
			// keyed by the design, domain and classes, not by the weight
			k, _ := weighting.CellKeysOf(ws)
			if d := distinctRows(t, rec, append([]string{spec.Strata, spec.PSU, spec.FPC, "level"}, k.Columns...)); sqlTab.NumRows() != d {
				t.Errorf("%s: SQL gave %d cells; the ballots hold %d distinct values of the design, domain and class columns", name, sqlTab.NumRows(), d)
			}
		}
		got, _, _, err := FromWeightedSums(context.Background(), sqlTab, nil, spec, ws, opt)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, _ := weightedInMemory(t, rec, spec, ws, opt)
		sameRows(t, name+": SQL sums vs the ballots", want, got, 1e-12)
		sqlTab.Release()
		mine.Release()
	}
	numeric, err := weighting.ParseSpecBytes([]byte(`{"design_weight": "weight", "steps": [{"calibrate": {"numeric": {"weight2": 4e7}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WeightedSumsSQL(nil, opt, "ballots", spec, numeric); !errors.Is(err, weighting.ErrRowLevel) {
		t.Errorf("numeric calibration: %v, want an error wrapping weighting.ErrRowLevel", err)
	}
}
