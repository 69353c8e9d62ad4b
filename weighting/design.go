package weighting

import (
	"context"
	"errors"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/sampling"
)

// Columns that NewDesign appends to the record it returns: the final
// weight, and the replicate weights ReplicateWeightPrefix1..R with a
// replicate variance method. The leading dot keeps them apart from the
// columns of survey data.
const (
	FinalWeightColumn     = ".sipas_final_weight"
	ReplicateWeightPrefix = ".sipas_repw_"
)

// NewDesign runs the steps of spec over rec, starting from the design
// weight spec.DesignWeight, and returns the survey design of the final
// weights whose variances account for the weighting, with the record to
// estimate from: rec plus the column FinalWeightColumn (and the replicate
// weights, see below). The caller must Release the record.
//
// design gives the rest of the design (strata, PSUs, fpc, nesting, the
// lonely-PSU rule, the variance method and its settings); nil means one
// stratum, each row its own PSU, linearization. Its Weight,
// RepWeightsPrefix and AdjustInfluence must be unset: the weights are the
// spec's.
//
//   - Linearization: the design's weight is the final weight and its
//     influence values are replaced by their residuals on the calibration
//     (Result.AdjustInfluence), so that linearized SEs are those of R after
//     postStratify, rake or calibrate. Nonresponse adjustment and trimming
//     are treated as fixed, as R does.
//   - A replicate method: the replicates are built from the design weights
//     with design's strata, PSUs, fpc, replicate count and seed (R
//     as.svrepdesign on the design before weighting), every step is re-run
//     on every replicate (Plan.Replicate), and the design uses those
//     replicate weights with their scales (the fpc is in the scales).
//
// Rows that a nonresponse step leaves with weight 0 stay in the design
// with weight 0 (R's subset semantics: their PSUs are kept). Errors are
// those of Compile, Plan.Run, Plan.Replicate and sampling.NewDesign; ctx
// is checked before each replicate's run, and its error returned.
func NewDesign(ctx context.Context, rec arrow.RecordBatch, spec *Spec, design *sampling.DesignOptions) (*sampling.Design, arrow.RecordBatch, error) {
	var ds sampling.DesignOptions
	if design != nil {
		ds = *design
	}
	switch {
	case ds.Weight != "":
		return nil, nil, errors.New("weighting: the design has a weight column: the starting weight is the weighting specification's design_weight")
	case ds.RepWeightsPrefix != "" || ds.Variance == sampling.SuppliedReplicates:
		return nil, nil, errors.New("weighting: the design has supplied replicate weights: choose a replicate variance method and every step is re-run on every replicate")
	case ds.AdjustInfluence != nil:
		return nil, nil, errors.New("weighting: the design already adjusts its influence values")
	}
	plan, err := Compile(spec, rec)
	if err != nil {
		return nil, nil, err
	}
	res, err := plan.apply(spec, rec, nil)
	if err != nil {
		return nil, nil, err
	}
	var reps *Replicates
	if ds.Variance != sampling.Linearization {
		ds0 := ds
		ds0.Weight = spec.DesignWeight
		d0, err := sampling.NewDesign(rec, &ds0)
		if err != nil {
			return nil, nil, err
		}
		if reps, err = plan.Replicate(ctx, d0); err != nil {
			return nil, nil, err
		}
	}
	out := AppendWeights(memory.DefaultAllocator, rec, OutputSpec{Weight: FinalWeightColumn, ReplicatePrefix: ReplicateWeightPrefix}, res.Weights, reps)
	ds.Weight = FinalWeightColumn
	if reps == nil {
		ds.AdjustInfluence = res.AdjustInfluence
	} else {
		// the fpc is in the replicate scales, and the replicates are of
		// the first stage's units only (R as.svrepdesign)
		ds.FPC, ds.Stages = "", nil
		ds.Variance = sampling.SuppliedReplicates
		ds.RepWeightsPrefix, ds.RepType = ReplicateWeightPrefix, "other"
		ds.RepScale, ds.RepRScales = reps.Scale, reps.RScales
	}
	d, err := sampling.NewDesign(out, &ds)
	if err != nil {
		out.Release()
		return nil, nil, err
	}
	return d, out, nil
}
