package report

import (
	"bytes"
	"os"
	"testing"
)

func TestWriteHTMLSmoke(t *testing.T) {
	names := fixtureNames(8)
	var ys []YearInput
	for _, y := range []int{2019, 2020, 2021} {
		ys = append(ys, YearInput{Year: y, Result: fixtureResult(y, names)})
	}
	d, err := FromYears(ys, nil)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteHTML(&b, d, nil); err != nil {
		t.Fatal(err)
	}
	os.WriteFile("/tmp/rep.html", b.Bytes(), 0o644)
}
