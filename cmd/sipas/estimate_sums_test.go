package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
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

// esSumsCase is a run of estimate whose sums table is written and read:
// design (with --weight, which --from-sums drops) and keys, the cells'
// key columns by which the SQL's rows are matched to the table's.
type esSumsCase struct {
	name   string
	in     string
	design []string
	keys   []string // nil: no SQL (the weights come from the fpc)
}

// dropWeightFlag is args without --weight and its value.
func dropWeightFlag(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		if args[i] == "--weight" {
			i++
			continue
		}
		out = append(out, args[i])
	}
	return out
}

// TestEstimateSumsTable: for means (of values, of 0/1 shares, with
// missing values), totals and ratios, nationally, by one and two domain
// columns and with contrasts, under linearization with PSUs (strata, fpc,
// lonely PSUs, SRSWOR design effects, domain df; two stages with an fpc
// at each), without PSU column (the
// unit moments), generated replicates (JK1, bootstrap) and --weighting
// steps on class cells (raking under linearization and JKn, with and
// without PSUs, and of two stages):
// estimate --sums-out prints byte for byte what the streamed run prints,
// --from-sums on that table prints it again byte for byte, and the
// in-memory run's numbers equal it at 1e-12; the query of --sums-sql, run
// for real in SQLite on the rows, gives the table --sums-out wrote (every
// column, sums at 1e-12), and --from-sums on the SQL's table prints the
// same numbers at 1e-12.
func TestEstimateSumsTable(t *testing.T) {
	dir := t.TempDir()
	clus1 := esWithOne(t, dir, filepath.Join(etAPI, "apiclus1.csv"))
	strat := esWithOne(t, dir, filepath.Join(etAPI, "apistrat.csv"))
	clus2 := esWithOne(t, dir, filepath.Join(etAPI, "apiclus2.csv"))
	ps := writeFile(t, dir, "ps.json", esWeightingSpecs("[0.85, 1.7]")["ps"])
	rake := writeFile(t, dir, "rake.json", esWeightingSpecs("[0.85, 1.7]")["rake"])
	ests := []string{"--mean", "api00,yes,acs.k3", "--total", "enroll,yes", "--ratio", "api00/api99,yes/comp.one,acs.k3/enroll"}
	cases := []esSumsCase{
		{"clus1 fpc by stype logit", clus1, []string{"--weight", "pw", "--psu", "dnum", "--fpc", "fpc", "--by", "stype", "--ci", "logit"}, []string{"dnum", "stype"}},
		{"clus1 national", clus1, []string{"--weight", "pw", "--psu", "dnum"}, []string{"dnum"}},
		{"clus1 lonely adjust by two", clus1, []string{"--weight", "pw", "--strata", "lstrat", "--psu", "dnum", "--lonely-psu", "adjust", "--by", "stype,comp.imp", "--df", "domain"}, []string{"lstrat", "dnum", "stype", "comp.imp"}},
		{"strat psu fpc srswor", strat, []string{"--weight", "pw", "--strata", "stype", "--psu", "snum", "--fpc", "fpc", "--by", "comp.imp", "--deff", "srswor"}, []string{"stype", "snum", "comp.imp"}},
		{"strat no psu fpc by stype", strat, []string{"--weight", "pw", "--strata", "stype", "--fpc", "fpc", "--by", "stype"}, []string{"stype"}},
		{"strat no psu by two, domain df", strat, []string{"--weight", "pw", "--strata", "stype", "--by", "comp.imp,sch.wide", "--df", "domain"}, []string{"stype", "comp.imp", "sch.wide"}},
		{"clus2 multistage", clus2, []string{"--weight", "pw", "--psu", "dnum,snum", "--fpc", "fpc1,fpc2", "--by", "stype"}, []string{"dnum", "snum", "stype"}},
		{"strat psu weights from the fpc", strat, []string{"--strata", "stype", "--psu", "snum", "--fpc", "fpc", "--by", "comp.imp"}, nil},
		{"strat no psu weights from the fpc", strat, []string{"--strata", "stype", "--fpc", "fpc", "--by", "comp.imp"}, nil},
		{"clus1 jk1 by stype", clus1, []string{"--weight", "pw", "--psu", "dnum", "--variance", "jk1", "--by", "stype"}, []string{"dnum", "stype"}},
		{"strat bootstrap", strat, []string{"--weight", "pw", "--strata", "stype", "--psu", "snum", "--variance", "bootstrap", "--replicates", "60", "--seed", "7", "--by", "comp.imp"}, []string{"stype", "snum", "comp.imp"}},
		{"clus1 contrasts", clus1, []string{"--weight", "pw", "--psu", "dnum", "--fpc", "fpc", "--by", "stype", "--contrast", "pairs", "--contrast", "0.5*E + 0.5*H - M"}, []string{"dnum", "stype"}},
		{"strat no psu contrasts", strat, []string{"--weight", "pw", "--strata", "stype", "--fpc", "fpc", "--by", "stype", "--contrast", "pairs"}, []string{"stype"}},
		{"clus1 poststratified", clus1, []string{"--weighting", ps, "--psu", "dnum", "--fpc", "fpc", "--by", "stype"}, []string{"dnum", "stype"}},
		{"strat raked jk1", strat, []string{"--weighting", rake, "--strata", "stype", "--psu", "snum", "--variance", "jkn", "--by", "comp.imp"}, []string{"stype", "snum", "comp.imp", "sch.wide", "pw"}},
		{"clus2 multistage poststratified", clus2, []string{"--weighting", ps, "--psu", "dnum,snum", "--fpc", "fpc1,fpc2", "--by", "stype"}, []string{"dnum", "snum", "stype"}},
		{"clus1 raked", clus1, []string{"--weighting", rake, "--psu", "dnum", "--fpc", "fpc", "--by", "stype"}, []string{"dnum", "stype", "sch.wide"}},
		{"strat no psu raked", strat, []string{"--weighting", rake, "--strata", "stype", "--fpc", "fpc", "--by", "comp.imp"}, []string{"stype", "comp.imp", "sch.wide"}},
	}
	for i, c := range cases {
		args := append(append([]string{"--format", "json"}, c.design...), ests...)
		code, str, errs := vtRun(t, "", append([]string{"estimate", "--stream", "--in", c.in}, args...)...)
		if code != 0 || strings.Contains(errs, "into memory") {
			t.Fatalf("%s streamed: exit %d: %s", c.name, code, errs)
		}
		code, mem, errs := vtRun(t, "", append([]string{"estimate", "--in", c.in}, args...)...)
		if code != 0 {
			t.Fatalf("%s in memory: exit %d: %s", c.name, code, errs)
		}
		esSame(t, c.name+" streamed vs in memory", str, mem)
		sums := filepath.Join(dir, fmt.Sprintf("sums%d.parquet", i))
		code, out, errs := vtRun(t, "", append([]string{"estimate", "--in", c.in, "--sums-out", sums}, args...)...)
		if code != 0 || out != str {
			t.Fatalf("%s --sums-out: exit %d, %s\n%.300s\nwant the streamed output\n%.300s", c.name, code, errs, out, str)
		}
		from := dropWeightFlag(args)
		code, out, errs = vtRun(t, "", append([]string{"estimate", "--from-sums", sums}, from...)...)
		if code != 0 || out != str {
			t.Fatalf("%s --from-sums: exit %d, %s\n%.300s\nwant the streamed output\n%.300s", c.name, code, errs, out, str)
		}
		if i := slices.Index(from, "--weighting"); i >= 0 {
			other := ps
			if from[i+1] == ps {
				other = rake
			}
			weightedTableRefused(t, "estimate "+c.name, sums, from[i+1], other, slices.Delete(slices.Clone(from), i, i+2))
		}
		if c.keys == nil {
			continue
		}
		// the same table from SQL
		sqlArgs := append([]string{"estimate", "--sums-sql", "ballots"}, args...)
		code, query, errs := vtRun(t, "", sqlArgs...)
		if code != 0 {
			t.Fatalf("%s --sums-sql: exit %d: %s", c.name, code, errs)
		}
		rows := esRunSQLite(t, dir, c.in, query)
		sameSQLTable(t, c.name+" SQL", rows, sums, c.keys)
		sqlSums := esSQLTableCSV(t, filepath.Join(dir, fmt.Sprintf("sql%d.csv", i)), rows, sums)
		code, out, errs = vtRun(t, "", append([]string{"estimate", "--from-sums", sqlSums}, from...)...)
		if code != 0 {
			t.Fatalf("%s --from-sums of the SQL's table: exit %d: %s", c.name, code, errs)
		}
		esSame(t, c.name+" from the SQL's sums vs streamed", out, str)
	}
}

// esRunSQLite loads the CSV file in as table ballots of a fresh SQLite
// database (empty fields NULL), runs query on it and returns its rows.
func esRunSQLite(t *testing.T, dir, in, query string) []map[string]any {
	t.Helper()
	rec, err := arrowio.ReadAll(in)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	res := sqliteJSON(t, dir, rec.Schema(), in, strings.TrimSpace(query)+";")
	return esSQLiteTables(t, res)[0]
}

// esSQLiteTables are the tables of sqlite3's JSON output, one per
// statement.
func esSQLiteTables(t *testing.T, res []byte) [][]map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(res))
	dec.UseNumber()
	var tables [][]map[string]any
	for dec.More() {
		var rows []map[string]any
		if err := dec.Decode(&rows); err != nil {
			t.Fatalf("sqlite3 output: %v\n%.300s", err, res)
		}
		tables = append(tables, rows)
	}
	if len(tables) == 0 {
		t.Fatalf("sqlite3 printed no table")
	}
	return tables
}

// esSQLTableCSV writes the SQL's rows to the CSV file path with the
// columns of the sums table in like (the numbers as SQLite printed them,
// 17 significant digits; NULL empty) and returns path.
func esSQLTableCSV(t *testing.T, path string, rows []map[string]any, like string) string {
	t.Helper()
	tab, err := arrowio.ReadAll(like)
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Release()
	var names []string
	for _, f := range tab.Schema().Fields() {
		names = append(names, f.Name)
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(names)
	for _, r := range rows {
		rec := make([]string, len(names))
		for j, n := range names {
			if v := r[n]; v != nil {
				rec[j] = fmt.Sprint(v)
			}
		}
		w.Write(rec)
	}
	w.Flush()
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestEstimateSumsTableRefused: a sums table that does not fit the run
// (an estimand, a domain, a stratum or PSU column or a weighting class it
// lacks; one of a design with PSUs finished without, and the reverse) is
// refused with exit 2 naming the file and the missing column and saying
// how to write a fitting one, printing nothing; so are --weight with
// --from-sums, and --sums-out of a run whose estimates do not come from
// sums (a quantile, a calibration solved in passes; --sums-sql of an
// fpc-weighted design, or of replicate weight columns without --in),
// which then writes no file, nor when the estimates fail (an unknown
// contrast domain).
func TestEstimateSumsTableRefused(t *testing.T) {
	dir := t.TempDir()
	clus1 := filepath.Join(etAPI, "apiclus1.csv")
	ps := writeFile(t, dir, "ps.json", esWeightingSpecs("[0.85, 1.7]")["ps"])
	cal := writeFile(t, dir, "cal.json", `{"design_weight": "pw", "steps": [{"calibrate": {"margins": [{"by": ["stype"], "totals": `+popStypeW+`}], "numeric": {"enroll": 3811472}}}]}`)
	psu := filepath.Join(dir, "psu.parquet")
	nopsu := filepath.Join(dir, "nopsu.parquet")
	for _, w := range [][]string{
		{"--weight", "pw", "--psu", "dnum", "--mean", "api00", "--sums-out", psu},
		{"--weight", "pw", "--mean", "api00", "--sums-out", nopsu},
	} {
		if code, _, errs := vtRun(t, "", append([]string{"estimate", "--in", clus1}, w...)...); code != 0 {
			t.Fatalf("%v: exit %d: %s", w, code, errs)
		}
	}
	const fix = "write the table again with the same --mean, --total, --ratio, design flags, --by and --weighting"
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"another estimand", []string{"--from-sums", psu, "--psu", "dnum", "--mean", "enroll"}, []string{"psu.parquet", `missing column "y_mean_enroll"`, fix}},
		{"a ratio", []string{"--from-sums", psu, "--psu", "dnum", "--ratio", "api00/api99"}, []string{`missing column "y_ratio_api00/api99"`, fix}},
		{"a domain", []string{"--from-sums", psu, "--psu", "dnum", "--mean", "api00", "--by", "stype"}, []string{`missing column "stype" (--by)`, fix}},
		{"strata", []string{"--from-sums", psu, "--strata", "stype", "--psu", "dnum", "--mean", "api00"}, []string{`missing column "stype" (--strata)`, fix}},
		{"PSUs of a table without", []string{"--from-sums", nopsu, "--psu", "dnum", "--mean", "api00"}, []string{"nopsu.parquet", `missing column "dnum" (--psu)`, fix}},
		{"no PSUs of a table with", []string{"--from-sums", psu, "--mean", "api00"}, []string{`no column "n_pos"`, "written for a design with PSUs", fix}},
		{"a weighting class", []string{"--from-sums", psu, "--psu", "dnum", "--mean", "api00", "--weighting", ps}, []string{`missing column "stype" (a class of --weighting)`, fix}},
		{"--weight", []string{"--from-sums", psu, "--psu", "dnum", "--weight", "pw", "--mean", "api00"}, []string{"drop --weight"}},
		{"--in too", []string{"--from-sums", psu, "--in", clus1, "--psu", "dnum", "--mean", "api00"}, []string{"--in and --from-sums exclude each other"}},
		{"a quantile", []string{"--from-sums", psu, "--psu", "dnum", "--quantile", "api00"}, []string{"--from-sums excludes --quantile"}},
		{"a calibration from sums", []string{"--from-sums", psu, "--psu", "dnum", "--mean", "api00", "--weighting", cal}, []string{"psu.parquet", "has no schema metadata", "by the run that solved this weighting"}},
		{"a calibration's SQL", []string{"--sums-sql", "t", "--psu", "dnum", "--mean", "api00", "--weighting", cal}, []string{"--sums-sql with --weighting", "needs every row"}},
		{"SQL of fpc weights", []string{"--sums-sql", "t", "--strata", "stype", "--fpc", "fpc", "--mean", "api00"}, []string{"--sums-sql with --fpc and no --weight"}},
		{"SQL of replicate columns without --in", []string{"--sums-sql", "t", "--psu", "dnum", "--weight", "pw", "--repweights", "rw", "--mean", "api00"}, []string{"--sums-sql with --repweights needs --in FILE"}},
	} {
		code, out, errs := vtRun(t, "", append([]string{"estimate"}, c.args...)...)
		if code != 2 || out != "" {
			t.Errorf("%s: exit %d, stdout %.80q; want 2 and nothing", c.name, code, out)
		}
		for _, w := range c.want {
			if !strings.Contains(errs, w) {
				t.Errorf("%s: stderr %q lacks %q", c.name, errs, w)
			}
		}
	}
	// --sums-out of runs not finished from sums: no file
	out := filepath.Join(dir, "out.parquet")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"a quantile", []string{"--in", clus1, "--weight", "pw", "--psu", "dnum", "--quantile", "api00"}, "--sums-out excludes --quantile"},
		{"a bad contrast", []string{"--in", clus1, "--weight", "pw", "--psu", "dnum", "--mean", "api00", "--by", "stype", "--contrast", "E - X"}, `no --by domain "X"`},
		{"over --in", []string{"--in", filepath.Join(dir, "in.parquet"), "--weight", "pw", "--psu", "dnum", "--mean", "api00"}, "would overwrite --in"},
	} {
		if c.name == "over --in" {
			out = filepath.Join(dir, "in.parquet")
			rec, err := arrowio.ReadAll(clus1)
			if err != nil {
				t.Fatal(err)
			}
			if err := arrowio.Write(out, rec.Schema(), []arrow.RecordBatch{rec}); err != nil {
				t.Fatal(err)
			}
			rec.Release()
		}
		code, stdout, errs := vtRun(t, "", append(append([]string{"estimate"}, c.args...), "--sums-out", out)...)
		if code != 2 || stdout != "" || !strings.Contains(errs, c.want) {
			t.Errorf("%s: exit %d, stdout %.80q, stderr %q; want 2, nothing, %q", c.name, code, stdout, errs, c.want)
		}
		if _, err := os.Stat(out); (err == nil) != (c.name == "over --in") {
			t.Errorf("%s: --sums-out file: %v", c.name, err)
		}
	}
}

// TestEstimateSumsReplicateColumns: with R's replicate weights as columns
// (bootstrap and JK1 of apiclus1, with and without --psu; JKn of
// apistrat), means, totals and ratios by one and two domain columns and
// their contrasts: --sums-out writes the cells' table and the replicate
// sums beside it and prints the streamed run's numbers (at 1e-12: it
// finishes from the two tables, as --from-sums does), --from-sums on them
// prints the same output byte for byte, and the in-memory run equals it
// at 1e-12 (estimates, SEs, intervals, df); the two queries of
// --sums-sql --in FILE, run for real in SQLite, give both tables (every
// column, sums at 1e-12), and --from-sums on them prints the same numbers
// at 1e-12; without the replicate sums table --from-sums is refused (exit
// 2, naming it).
func TestEstimateSumsReplicateColumns(t *testing.T) {
	dir := t.TempDir()
	ests := []string{"--mean", "api00,yes", "--total", "enroll", "--ratio", "api00/api99,yes/comp.one"}
	for i, c := range []struct {
		data, reps string
		design     []string
	}{
		{"apiclus1", "boot", []string{"--by", "stype", "--ci", "logit"}},
		{"apiclus1", "boot", []string{"--psu", "dnum", "--by", "stype", "--contrast", "pairs"}},
		{"apiclus1", "jk1", []string{"--by", "stype,comp.imp", "--df", "domain"}},
		{"apistrat", "jkn", []string{"--by", "comp.imp", "--mse=false"}},
		{"apistrat", "jkn", []string{"--by", "stype", "--contrast", "pairs"}},
	} {
		label := fmt.Sprint(c.data, " ", c.reps, " ", c.design)
		src := rcPaste(t, dir, filepath.Join(etAPI, c.data+".csv"), filepath.Join("..", "..", "testdata", "estimation", "repw_"+c.reps+".csv"))
		src = esWithOne(t, dir, src)
		design := append(append(append([]string{"--format", "json", "--repweights", "rw"}, rcMeta(t, c.reps)...), c.design...), ests...)
		args := append([]string{"--weight", "pw"}, design...)
		code, str, errs := vtRun(t, "", append([]string{"estimate", "--stream", "--in", src}, args...)...)
		if code != 0 {
			t.Fatalf("%s streamed: exit %d: %s", label, code, errs)
		}
		code, mem, errs := vtRun(t, "", append([]string{"estimate", "--in", src}, args...)...)
		if code != 0 {
			t.Fatalf("%s in memory: exit %d: %s", label, code, errs)
		}
		sums := filepath.Join(dir, fmt.Sprintf("reps%d.parquet", i))
		code, out, errs := vtRun(t, "", append([]string{"estimate", "--in", src, "--sums-out", sums}, args...)...)
		if code != 0 {
			t.Fatalf("%s --sums-out: exit %d: %s", label, code, errs)
		}
		esSame(t, label+" --sums-out vs streamed", out, str)
		if _, err := os.Stat(repSumsPath(sums)); err != nil {
			t.Fatalf("%s: no replicate sums table: %v", label, err)
		}
		code, from, errs := vtRun(t, "", append([]string{"estimate", "--from-sums", sums}, design...)...)
		if code != 0 || from != out {
			t.Fatalf("%s --from-sums: exit %d, %s\n%.300s\nwant the --sums-out run's output\n%.300s", label, code, errs, from, out)
		}
		esSame(t, label+" --from-sums vs in memory", from, mem)
		// the two tables from SQL
		code, query, errs := vtRun(t, "", append([]string{"estimate", "--sums-sql", "ballots", "--in", src}, args...)...)
		if code != 0 || strings.Count(query, ";\n") != 2 {
			t.Fatalf("%s --sums-sql: exit %d: %s\n%.300s", label, code, errs, query)
		}
		rec, err := arrowio.ReadAll(src)
		if err != nil {
			t.Fatal(err)
		}
		tables := esSQLiteTables(t, sqliteJSON(t, dir, rec.Schema(), src, query))
		rec.Release()
		if len(tables) != 2 {
			t.Fatalf("%s: SQLite gave %d tables, want 2", label, len(tables))
		}
		var keys []string
		for j, a := range c.design {
			if a == "--psu" || a == "--by" {
				keys = append(keys, strings.Split(c.design[j+1], ",")...)
			}
		}
		sameSQLTable(t, label+" SQL cells", tables[0], sums, keys)
		sameSQLTable(t, label+" SQL replicates", tables[1], repSumsPath(sums), append(keys[len(keys)-len(strings.Split(esFlag(c.design, "--by"), ",")):], "replicate"))
		sqlSums := esSQLTableCSV(t, filepath.Join(dir, fmt.Sprintf("sql%d.csv", i)), tables[0], sums)
		esSQLTableCSV(t, repSumsPath(sqlSums), tables[1], repSumsPath(sums))
		code, fromSQL, errs := vtRun(t, "", append([]string{"estimate", "--from-sums", sqlSums}, design...)...)
		if code != 0 {
			t.Fatalf("%s --from-sums of the SQL's tables: exit %d: %s", label, code, errs)
		}
		esSame(t, label+" from the SQL's tables vs --sums-out", fromSQL, out)
	}
	// the replicate sums table is needed
	sums := filepath.Join(dir, "reps0.parquet")
	if err := os.Remove(repSumsPath(sums)); err != nil {
		t.Fatal(err)
	}
	code, out, errs := vtRun(t, "", append([]string{"estimate", "--from-sums", sums, "--repweights", "rw", "--by", "stype"}, ests...)...)
	if code != 2 || out != "" || !strings.Contains(errs, "the replicate sums table beside "+sums) {
		t.Errorf("--from-sums without its replicate sums: exit %d, stdout %.80q, stderr %q; want 2 naming the table", code, out, errs)
	}
}

// TestEstimateSumsShift: the shift c is the table's to choose. From
// Parquet in row groups of 7 rows the pass over the file takes the first
// batch's estimates rounded, the SQL the whole table's, so the two tables
// record other shifts (checked) and other sums; --from-sums finishes both
// to the same estimates, SEs, intervals, design effects and contrasts at
// 1e-12.
func TestEstimateSumsShift(t *testing.T) {
	dir := t.TempDir()
	files := esFiles(t, dir, filepath.Join(etAPI, "apiclus1.csv"), 7)
	csvIn, pq := files[0], files[1]
	args := []string{"--format", "json", "--weight", "pw", "--psu", "dnum", "--fpc", "fpc", "--by", "stype", "--ci", "logit",
		"--mean", "api00,yes", "--total", "enroll", "--ratio", "api00/api99"}
	sums := filepath.Join(dir, "sums.parquet")
	if code, _, errs := vtRun(t, "", append([]string{"estimate", "--in", pq, "--sums-out", sums}, args...)...); code != 0 {
		t.Fatalf("--sums-out: exit %d: %s", code, errs)
	}
	code, query, errs := vtRun(t, "", append([]string{"estimate", "--sums-sql", "ballots"}, args...)...)
	if code != 0 {
		t.Fatalf("--sums-sql: exit %d: %s", code, errs)
	}
	rows := esRunSQLite(t, dir, csvIn, query)
	sqlSums := esSQLTableCSV(t, filepath.Join(dir, "sql.csv"), rows, sums)
	tab, err := arrowio.ReadAll(sums)
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Release()
	for _, c := range []string{"c_mean_api00"} {
		mine := tab.Column(tab.Schema().FieldIndices(c)[0]).ValueStr(0)
		sql, err := rows[0][c].(json.Number).Float64()
		if err != nil || mine == strconv.FormatFloat(sql, 'g', -1, 64) {
			t.Errorf("%s: the file's shift %s and the SQL's %v are the same: the test shows nothing", c, mine, rows[0][c])
		}
	}
	for _, extra := range [][]string{nil, {"--contrast", "pairs"}} {
		from := append(dropWeightFlag(args), extra...)
		code, a, errs := vtRun(t, "", append([]string{"estimate", "--from-sums", sums}, from...)...)
		if code != 0 {
			t.Fatalf("--from-sums of the file's table %v: exit %d: %s", extra, code, errs)
		}
		code, b, errs := vtRun(t, "", append([]string{"estimate", "--from-sums", sqlSums}, from...)...)
		if code != 0 {
			t.Fatalf("--from-sums of the SQL's table %v: exit %d: %s", extra, code, errs)
		}
		esSame(t, fmt.Sprint("the file's shift vs the SQL's ", extra), a, b)
	}
}

// esFlag is the value of flag in args ("" when absent).
func esFlag(args []string, flag string) string {
	for j := 0; j+1 < len(args); j++ {
		if args[j] == flag {
			return args[j+1]
		}
	}
	return ""
}
