package arrowio

import (
	"path/filepath"
	"reflect"
	"testing"
)

// TestWithInputs records two inputs in Parquet and IPC outputs and reads
// them back; the SHA-256 of "abc" is the FIPS 180-2 example digest.
func TestWithInputs(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "a.json", "abc")
	b := writeFile(t, dir, "b.csv", "x\n1\n")
	in, err := DescribeInputs(a, "-", b)
	if err != nil {
		t.Fatal(err)
	}
	if in[0].SHA256 != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" || in[0].Size != 3 || in[0].Name != a {
		t.Errorf("a: %+v", in[0])
	}
	if in[1] != (Input{Name: "stdin"}) {
		t.Errorf("stdin: %+v", in[1])
	}
	rec := ballotTable(10)
	defer rec.Release()
	for _, ext := range []string{".parquet", ".arrow", ".arrows"} {
		p := filepath.Join(dir, "out"+ext)
		if err := WriteRecord(p, rec, WithInputs(in)); err != nil {
			t.Fatal(err)
		}
		back, err := ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		got, ok, err := ReadInputs(back.Schema().Metadata())
		back.Release()
		if err != nil || !ok || !reflect.DeepEqual(got, in) {
			t.Errorf("%s: %+v %v %v, want %+v", ext, got, ok, err, in)
		}
	}
	if _, err := DescribeInputs(filepath.Join(dir, "missing.csv")); err == nil {
		t.Error("a missing input is not an error")
	}
}
