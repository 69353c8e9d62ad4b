package arrowio_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sipas-go/sipas/internal/arrowio"
)

func ExampleReadAll() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "ballots.csv")
	os.WriteFile(in, []byte("\ufeffballot_id,province,access_1,weight\r\n001,Hà Nội,4,1.5\r\n002,Huế,,2\r\n"), 0o644)

	rec, err := arrowio.ReadAll(in, arrowio.WithColumns("province", "access_1"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rec.Release()
	fmt.Println(rec.Schema().Field(0).Type, rec.Schema().Field(1).Type)
	col, _ := arrowio.Column(rec, "access_1")
	v, valid, _ := arrowio.Ints(col)
	names, _, _ := arrowio.Strings(rec.Column(0))
	fmt.Println(names, v, valid)

	// Any format to any other: the extension decides.
	out := filepath.Join(dir, "ballots.parquet")
	if err := arrowio.WriteRecord(out, rec); err != nil {
		fmt.Println(err)
	}
	_, err = arrowio.ReadAll(out, arrowio.WithColumns("weight"))
	fmt.Println(errors.Is(err, arrowio.ErrMissingColumn))
	// Output:
	// utf8 int64
	// [Hà Nội Huế] [4 0] [true false]
	// true
}
