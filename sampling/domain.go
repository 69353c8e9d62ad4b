package sampling

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/catcode"
)

// DomainValue is the value of one domain column.
type DomainValue struct {
	Column string
	Value  string
}

// Domains codes rows into the domains formed by the observed combinations
// of one or more columns (R svyby's interaction of the by variables,
// keeping only combinations that occur). Domains are sorted by their
// values: column by column, numbers numerically, text bytewise. Rows with
// a null in any by column are in no domain (code −1), as R svyby drops NA
// groups.
type Domains struct {
	Columns []string
	// Values[g] are the values of domain g, one per column.
	Values [][]string
	// Code is each row's domain, or −1.
	Code []int32
}

// Len returns the number of domains.
func (d *Domains) Len() int { return len(d.Values) }

// Labels returns domain g as column/value pairs.
func (d *Domains) Labels(g int) []DomainValue {
	out := make([]DomainValue, len(d.Columns))
	for c, col := range d.Columns {
		out[c] = DomainValue{Column: col, Value: d.Values[g][c]}
	}
	return out
}

// NewDomains codes the rows of rec by the columns cols. No columns gives a
// single domain of all rows. An unknown column is an error (wrapping
// ErrMissingColumn) listing the available ones.
func NewDomains(rec arrow.RecordBatch, cols []string) (*Domains, error) {
	dm := &Domains{Columns: append([]string(nil), cols...)}
	if len(cols) == 0 {
		dm.Code = make([]int32, rec.NumRows())
		dm.Values = [][]string{{}}
		return dm, nil
	}
	coded := make([]catcode.Coded, len(cols))
	codes := make([][]int32, len(cols))
	for c, name := range cols {
		col, err := desColumn(rec, "domain", name)
		if err != nil {
			return nil, err
		}
		if coded[c], err = catcode.Code(col, catcode.NullMissing); err != nil {
			return nil, fmt.Errorf("sampling: domain column %q: %w", name, err)
		}
		codes[c] = coded[c].Codes
	}
	if len(cols) == 1 {
		// one column: the domains are its observed levels, already sorted
		dm.Code = codes[0]
		dm.Values = make([][]string, len(coded[0].Levels))
		for g, v := range coded[0].Levels {
			dm.Values[g] = []string{v}
		}
		return dm, nil
	}
	var first []int32
	dm.Code, first = catcode.Combine(codes...)
	dm.Values = make([][]string, len(first))
	for g, i := range first {
		v := make([]string, len(cols))
		for c := range cols {
			v[c] = coded[c].Levels[codes[c][i]]
		}
		dm.Values[g] = v
	}
	return dm, nil
}
