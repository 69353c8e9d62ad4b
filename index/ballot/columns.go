package ballot

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/index/internal/column"
)

// requireColumns returns the indices of the named columns or an
// *index.MissingColumnsError naming every one that is missing.
func requireColumns(rec arrow.RecordBatch, table string, names []string) ([]int, error) {
	out := make([]int, len(names))
	var missing []string
	for i, n := range names {
		out[i] = column.Index(rec, n)
		if out[i] < 0 {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return nil, &index.MissingColumnsError{Table: table, Missing: missing, Available: column.Names(rec.Schema())}
	}
	return out, nil
}
