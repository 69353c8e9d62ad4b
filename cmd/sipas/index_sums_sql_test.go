package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// sameRepSumsSQL checks sipas index --sums-sql with replicate weight
// columns (design) on the ballots pq, whose CSV copy reps.csv is beside
// it in dir: without --in it is refused (exit 2, naming --in); with --in
// it prints two statements, which run in SQLite (the sqlite3 shell) on the
// ballots and give the tables --sums-out wrote (sums and its replicate
// sums table beside it) cell by cell, counts exactly and sums at 1e-12
// relative. --from-sums on those tables prints the indices of the ballots
// (sameFromRepSums), so the SQL's tables finish to them too.
func sameRepSumsSQL(t *testing.T, dir, pq, sums string, design []string) {
	t.Helper()
	code, out, errs := vtRun(t, "", append([]string{"index", "--sums-sql", "ballots", "--weight", "weight"}, design...)...)
	if code != 2 || out != "" || !strings.Contains(errs, "--in FILE") {
		t.Errorf("--sums-sql with --repweights, no --in: exit %d, stdout %.80q, stderr %q; want 2 naming --in", code, out, errs)
	}
	code, out, errs = vtRun(t, "", append([]string{"index", "--sums-sql", "ballots", "--in", pq, "--weight", "weight"}, append(append([]string(nil), design...), "--repweights", "nope")...)...)
	if code != 2 || out != "" || !strings.Contains(errs, "reps.parquet: --repweights nope") {
		t.Errorf("--sums-sql with --repweights of no column: exit %d, stdout %.80q, stderr %q; want 2 naming the file and the prefix", code, out, errs)
	}
	code, query, errs := vtRun(t, "", append([]string{"index", "--sums-sql", "ballots", "--in", pq, "--weight", "weight"}, design...)...)
	if code != 0 || strings.Count(query, ";\n") != 2 {
		t.Fatalf("--sums-sql with --repweights: exit %d: %s\n%.400s", code, errs, query)
	}
	ballots, err := arrowio.ReadAll(pq)
	if err != nil {
		t.Fatal(err)
	}
	defer ballots.Release()
	res := sqliteJSON(t, dir, ballots.Schema(), filepath.Join(dir, "reps.csv"), query)
	// SQLite's JSON mode prints 17 significant digits; the two statements
	// give two arrays, one after the other
	dec := json.NewDecoder(bytes.NewReader(res))
	dec.UseNumber()
	var tables [2][]map[string]any
	for i := range tables {
		if err := dec.Decode(&tables[i]); err != nil {
			t.Fatalf("sqlite3 output, table %d: %v\n%.300s", i+1, err, res)
		}
	}
	if err := dec.Decode(new(any)); !errors.Is(err, io.EOF) {
		t.Fatalf("sqlite3 printed more than two tables: %v", err)
	}
	sameSQLTable(t, "cells", tables[0], sums, []string{"stratum", "psu", "province"})
	sameSQLTable(t, "replicates", tables[1], repSumsPath(sums), []string{"province", "replicate"})
}

// sqliteJSON loads the CSV file csvPath, whose columns are those of
// schema (typed INTEGER, REAL or TEXT), as table ballots of a fresh SQLite
// database in dir (the sqlite3 shell; empty fields NULL), runs query on it
// in JSON mode and returns what it prints. Without sqlite3 the test is
// skipped locally and fails under CI.
func sqliteJSON(t *testing.T, dir string, schema *arrow.Schema, csvPath, query string) []byte {
	t.Helper()
	if _, err := exec.LookPath("sqlite3"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("sqlite3 is not installed (Debian package sqlite3; .ci/run installs it)")
		}
		t.Skip("sqlite3 is not installed (apt-get install sqlite3); CI runs this test")
	}
	abs, err := filepath.Abs(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	var cols, nulls []string
	for _, f := range schema.Fields() {
		typ := "TEXT"
		switch {
		case arrow.IsInteger(f.Type.ID()):
			typ = "INTEGER"
		case arrow.IsFloating(f.Type.ID()):
			typ = "REAL"
		}
		cols = append(cols, fmt.Sprintf("%q %s", f.Name, typ))
		nulls = append(nulls, fmt.Sprintf("UPDATE ballots SET %q = NULL WHERE %q = '';", f.Name, f.Name))
	}
	db := filepath.Join(dir, "sql.db")
	defer os.Remove(db)
	script := fmt.Sprintf("CREATE TABLE ballots (%s);\n.import --csv --skip 1 %s ballots\n%s\n.mode json\n%s\n",
		strings.Join(cols, ", "), abs, strings.Join(nulls, "\n"), strings.TrimSpace(query))
	cmd := exec.Command("sqlite3", db)
	cmd.Stdin = strings.NewReader(script)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	res, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("sqlite3: %v\n%s", err, stderr.String())
	}
	return res
}

// sameSQLTable compares the rows of a SQL result with the table in file,
// matched by the key columns: every column of the file must be in the
// result, integers and text equal, floating-point values equal at 1e-12
// relative.
func sameSQLTable(t *testing.T, name string, rows []map[string]any, file string, keys []string) {
	t.Helper()
	tab, err := arrowio.ReadAll(file)
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Release()
	if len(rows) != int(tab.NumRows()) {
		t.Fatalf("%s: SQL gave %d rows, %s has %d", name, len(rows), filepath.Base(file), tab.NumRows())
	}
	byKey := map[string]map[string]any{}
	for _, r := range rows {
		var k []string
		for _, c := range keys {
			v := fmt.Sprint(r[c])
			if n, ok := r[c].(json.Number); ok {
				// a float key as the table prints it (SQLite: 17 digits)
				if f, err := n.Float64(); err == nil {
					v = strconv.FormatFloat(f, 'g', -1, 64)
				}
			}
			k = append(k, v)
		}
		byKey[strings.Join(k, "|")] = r
	}
	for i := 0; i < int(tab.NumRows()); i++ {
		var k []string
		for _, c := range keys {
			k = append(k, tab.Column(tab.Schema().FieldIndices(c)[0]).ValueStr(i))
		}
		r, ok := byKey[strings.Join(k, "|")]
		if !ok {
			t.Fatalf("%s: no SQL row for %v", name, k)
		}
		for j, f := range tab.Schema().Fields() {
			v, ok := r[f.Name]
			if !ok {
				t.Fatalf("%s: the SQL result lacks column %q", name, f.Name)
			}
			switch a := tab.Column(j).(type) {
			case *array.Float64:
				got, err := v.(json.Number).Float64()
				if want := a.Value(i); err != nil || math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
					t.Errorf("%s %v, %s: SQL %v, table %v", name, k, f.Name, v, want)
				}
			default:
				if got, want := fmt.Sprint(v), a.ValueStr(i); got != want {
					t.Errorf("%s %v, %s: SQL %q, table %q", name, k, f.Name, got, want)
				}
			}
		}
	}
}
