package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a year of the synthetic survey")
	}
	var buf bytes.Buffer
	if err := run(&buf, 2021); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	// 63 provinces + the total, and the note on Yamane's margin.
	if n := strings.Count(out, "±"); n != 64 {
		t.Errorf("%d plan rows, want 64:\n%s", n, out)
	}
	if !strings.Contains(out, "Yamane") {
		t.Errorf("no note on Yamane's margin:\n%s", out)
	}
}
