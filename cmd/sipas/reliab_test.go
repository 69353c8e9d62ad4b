package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// TestOutputsRecordInputs checks that validate and weight record every
// input file (name, size, SHA-256) in their Parquet/IPC outputs' schema
// metadata, so that a published number can be traced to its files.
func TestOutputsRecordInputs(t *testing.T) {
	dir := t.TempDir()
	in := vtBallots(t, dir, "ballots.csv", "B001|Hà Nội|"+good, "B002|Huế|"+good)
	clean, exc := filepath.Join(dir, "clean.parquet"), filepath.Join(dir, "excluded.arrow")
	if code, _, stderr := vtRun(t, "", "validate", "--in", in, "--out", clean, "--excluded", exc); code != 0 {
		t.Fatalf("validate: exit %d: %s", code, stderr)
	}
	spec := writeFile(t, dir, "w.json", `{"design_weight": "weight", "steps": [{"trim": {"max": 3.5}}], "output": {"weight": "final"}}`)
	weighted := filepath.Join(dir, "weighted.parquet")
	if code, _, stderr := vtRun(t, "", "weight", "--in", clean, "--spec", spec, "--out", weighted); code != 0 {
		t.Fatalf("weight: exit %d: %s", code, stderr)
	}
	for _, tc := range []struct {
		out  string
		want []string
	}{{clean, []string{in}}, {exc, []string{in}}, {weighted, []string{clean, spec}}} {
		rec, err := arrowio.ReadAll(tc.out)
		if err != nil {
			t.Fatal(err)
		}
		got, ok, err := arrowio.ReadInputs(rec.Schema().Metadata())
		rec.Release()
		if err != nil || !ok || len(got) != len(tc.want) {
			t.Fatalf("%s: inputs %+v, %v, %v", tc.out, got, ok, err)
		}
		for i, p := range tc.want {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(data)
			if got[i].Name != p || got[i].Size != int64(len(data)) || got[i].SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("%s: input %d = %+v, want %s (%d bytes, %x)", filepath.Base(tc.out), i, got[i], p, len(data), sum)
			}
		}
	}
}

// TestCorruptFileMessage checks that a damaged Parquet file is reported as
// corrupt or truncated with its name, row group and column, without the
// decoder's words, which --debug adds.
func TestCorruptFileMessage(t *testing.T) {
	dir := t.TempDir()
	in := vtBallots(t, dir, "ballots.csv", "B001|Hà Nội|"+good, "B002|Huế|"+good)
	pq := filepath.Join(dir, "ballots.parquet")
	var data []byte
	rec, err := arrowio.ReadAll(in)
	if err != nil {
		t.Fatal(err)
	}
	err = arrowio.WriteRecord(pq, rec)
	rec.Release()
	if err != nil {
		t.Fatal(err)
	}
	data, err = os.ReadFile(pq)
	if err != nil {
		t.Fatal(err)
	}
	// Damage the first page's data: its checksum no longer matches.
	data[40] ^= 0x10
	bad := filepath.Join(dir, "bad.parquet")
	if err := os.WriteFile(bad, data, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"validate", "--in", bad, "--out", filepath.Join(dir, "o.csv"), "--excluded", filepath.Join(dir, "x.csv")}
	code, _, stderr := vtRun(t, "", args...)
	want := "sipas validate: " + bad + `: row group 1, column "ballot_id": corrupt or truncated Parquet file` + "\n"
	if code != 2 || stderr != want {
		t.Errorf("exit %d, stderr %q; want 2, %q", code, stderr, want)
	}
	code, _, stderr = vtRun(t, "", append(args, "--debug")...)
	if code != 2 || !strings.HasPrefix(stderr, want) || !strings.Contains(stderr, "debug: cause: ") || !strings.Contains(stderr, "checksum") {
		t.Errorf("--debug: exit %d, stderr %q", code, stderr)
	}
}

// TestValidateNothingLeft: when every ballot is excluded (here the
// answers are written as labels), validate exits 2 with the reasons and
// writes nothing; it used to exit 0 with an empty clean table.
func TestValidateNothingLeft(t *testing.T) {
	dir := t.TempDir()
	in := vtBallots(t, dir, "labels.csv", "=B1,2019,Hà Nội,"+strings.Repeat("Hài lòng,", 21)+"Hài lòng,1.5", "=B2,2019,Huế,"+strings.Repeat("Hài lòng,", 21)+"Hài lòng,1.5")
	out, exc := filepath.Join(dir, "o.csv"), filepath.Join(dir, "x.csv")
	code, _, stderr := vtRun(t, "", "validate", "--in", in, "--out", out, "--excluded", exc)
	if code != 2 || !strings.Contains(stderr, "every one of the 2 rows is excluded") || !strings.Contains(stderr, "labels.csv") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	for _, p := range []string{out, exc} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s written", p)
		}
	}
}
