package arrowio

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// TestNearMiss: a header that differs from the wanted name only in case,
// NFC/NFD, zero-width or other format characters, or outer spaces is a
// near miss, named with the file and the fix, from every lookup of this
// package (projection at read time, RequireColumns, Column, NearMiss and
// HasColumn); a different name, or the exact one, is not.
func TestNearMiss(t *testing.T) {
	for _, c := range []struct{ want, header string }{
		{"province", "PROVINCE"},
		{"province", "prov\u200bince"},
		{"province", " province "},
		{"tỉnh", "Tỉnh"},
		{"tỉnh", "ti\u0309nh"}, // NFD: i + combining hook above
		{"weight", "\ufeffweight"},
		{"psu", "psu\u00ad"}, // soft hyphen
	} {
		s := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.BinaryTypes.String}, {Name: c.header, Type: arrow.BinaryTypes.String}}, nil)
		want := fmt.Sprintf(`b.csv: no column %q, but a column %q, which differs from it only in case, Unicode normalisation, invisible characters or outer spaces; rename that column to %q, or ask for %q by its exact name`, c.want, c.header, c.want, c.header)
		err := NearMiss(s, "b.csv", c.want)
		if err == nil || err.Error() != want || !errors.Is(err, ErrNearMiss) || !errors.Is(err, ErrMissingColumn) {
			t.Errorf("NearMiss(%q, %q) = %v\nwant %s", c.header, c.want, err, want)
		}
		if has, err := HasColumn(s, "b.csv", c.want); has || err == nil || err.Error() != want {
			t.Errorf("HasColumn(%q, %q) = %v, %v", c.header, c.want, has, err)
		}
		if err := RequireColumns(s, "b.csv", "id", c.want); err == nil || err.Error() != want {
			t.Errorf("RequireColumns(%q, %q) = %v", c.header, c.want, err)
		}
		if _, err := projection("b.csv", []string{"id", c.header}, []string{c.want}); err == nil || err.Error() != want {
			t.Errorf("projection(%q, %q) = %v", c.header, c.want, err)
		}
	}
	s := arrow.NewSchema([]arrow.Field{{Name: "province", Type: arrow.BinaryTypes.String}, {Name: "PROVINCE", Type: arrow.BinaryTypes.String}}, nil)
	for _, w := range []string{"province", "district"} {
		if err := NearMiss(s, "b.csv", w); err != nil {
			t.Errorf("NearMiss(%q) = %v, want nil (exact, or no near miss)", w, err)
		}
	}
	if has, err := HasColumn(s, "", "district"); has || err != nil {
		t.Errorf("HasColumn(district) = %v, %v", has, err)
	}
	if err := RequireColumns(s, "b.csv", "district"); err == nil || errors.Is(err, ErrNearMiss) || !strings.Contains(err.Error(), `missing column "district"`) {
		t.Errorf("RequireColumns(district) = %v, want the plain missing-column error", err)
	}
}
