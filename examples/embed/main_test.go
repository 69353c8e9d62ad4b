package main

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestRun checks that the example runs and hands back a national row and
// one per province, each with an interval around its estimate.
func TestRun(t *testing.T) {
	var buf bytes.Buffer
	if err := run(&buf); err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		Province  string
		SIPAS, SE float64
		Low       float64 `json:"ci_low"`
		High      float64 `json:"ci_high"`
		N         int
	}
	if err := json.Unmarshal(buf.Bytes(), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0].Province != "national" {
		t.Fatalf("rows %+v", rows)
	}
	for _, r := range rows {
		if !(r.Low < r.SIPAS && r.SIPAS < r.High && r.SE > 0 && r.N > 0) {
			t.Errorf("row %+v", r)
		}
	}
}
