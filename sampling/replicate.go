package sampling

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// desReplicates are a design's replicate weights: either PSU factors
// (w_ri = w_i·factor[r*P+psu_i], built from the design) or supplied
// columns of full analysis weights (cols[r][i]).
type desReplicates struct {
	r       int
	factors []float64
	cols    [][]float64
	scale   float64
	rscales []float64
	mse     bool
}

func (d *Design) buildReplicates(rec arrow.RecordBatch) error {
	return fmt.Errorf("sampling: variance method %v: %w: not implemented yet", d.spec.Variance, ErrBadDesign)
}

func (d *Design) vrReplicate(r *Ratios, t *vrTotals) ([]float64, [][]float64, error) {
	panic("sampling: replicate variance not implemented")
}
