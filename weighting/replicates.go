package weighting

import (
	"context"
	"fmt"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/sampling"
)

// Replicates are replicate weights after the weighting steps were re-run on
// every replicate, with the scales of the replicate variance
// V = Scale · Σ_r RScales[r] (θ_r − θ̂)².
type Replicates struct {
	Type    string      // jk1, jkn, bootstrap, brr, fay
	Weights [][]float64 // Weights[r][i]: final analysis weight of row i in replicate r
	Scale   float64
	RScales []float64
	Steps   [][]StepResult // per replicate (Lean: no cells or variance records)
}

// ReplicateDesignSpec is the sampling.DesignOptions that builds spec.Replicates
// from the design weights (R as.svrepdesign on the design before weighting).
func ReplicateDesignSpec(spec *Spec) *sampling.DesignOptions {
	r := spec.Replicates
	if r == nil {
		return nil
	}
	ds := &sampling.DesignOptions{Weight: spec.DesignWeight, Strata: r.Strata, PSU: r.PSU, FPC: r.FPC,
		Replicates: r.N, Seed: r.Seed}
	switch r.Type {
	case "jk1":
		ds.Variance = sampling.JK1
	case "jkn":
		ds.Variance = sampling.JKn
	case "bootstrap":
		ds.Variance = sampling.Bootstrap
	case "brr":
		ds.Variance = sampling.BRR
	case "fay":
		ds.Variance = sampling.Fay
		ds.FayRho = *r.Rho
	default:
		panic("weighting: unknown replicate type " + r.Type)
	}
	return ds
}

// Replicate re-runs the plan's steps on every replicate weight vector of the
// replicate design d (R: postStratify/rake/calibrate of an svyrep.design,
// which re-weight each replicate with the same population totals). Rows
// whose replicate weight is 0 (the deleted PSU of a jackknife replicate, a
// PSU not drawn by the bootstrap) are dropped rows of that replicate. A
// step that fails on one replicate (an empty cell after deleting a PSU) is
// an error naming the replicate: collapse cells. ctx is checked before
// each replicate.
func (p *Plan) Replicate(ctx context.Context, d *sampling.Design) (*Replicates, error) {
	R := d.Replicates()
	if R == 0 {
		panic("weighting: Plan.Replicate: not a replicate design")
	}
	out := &Replicates{Type: d.Variance().String(), Weights: make([][]float64, R), Steps: make([][]StepResult, R)}
	out.Scale, out.RScales = d.ReplicateScales()
	for r := 0; r < R; r++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res, err := p.run(d.ReplicateWeights(r), true)
		if err != nil {
			return nil, fmt.Errorf("weighting: replicate %d of %d: %w", r+1, R, err)
		}
		out.Weights[r] = res.Weights
		out.Steps[r] = res.Steps
	}
	return out, nil
}

// ApplyReplicates is Apply followed, when spec.Replicates is set, by
// building the replicate design over rec and Plan.Replicate.
func ApplyReplicates(ctx context.Context, spec *Spec, rec arrow.RecordBatch) (*Result, *Replicates, error) {
	plan, err := Compile(spec, rec)
	if err != nil {
		return nil, nil, err
	}
	res, err := plan.apply(spec, rec, nil)
	if err != nil {
		return nil, nil, err
	}
	if spec.Replicates == nil {
		return res, nil, nil
	}
	d, err := sampling.NewDesign(rec, ReplicateDesignSpec(spec))
	if err != nil {
		return nil, nil, fmt.Errorf("weighting: replicates: %w", err)
	}
	reps, err := plan.Replicate(ctx, d)
	if err != nil {
		return nil, nil, err
	}
	return res, reps, nil
}

// AppendWeights returns a record with every column of rec plus the final
// weight (named out.Weight, replacing a column of that name) and, if reps is
// not nil, the replicate weights out.ReplicatePrefix1..R. The caller must
// Release the result. The replicate columns can be read back by a
// sampling.DesignOptions with RepWeightsPrefix = out.ReplicatePrefix and
// RepScale/RepRScales from reps.
func AppendWeights(mem memory.Allocator, rec arrow.RecordBatch, out OutputSpec, w []float64, reps *Replicates) arrow.RecordBatch {
	if out.Weight == "" {
		out.Weight = "weight"
	}
	if out.ReplicatePrefix == "" {
		out.ReplicatePrefix = "repw_"
	}
	var fields []arrow.Field
	var cols []arrow.Array
	newNames := map[string]bool{out.Weight: true}
	if reps != nil {
		for r := range reps.Weights {
			newNames[out.ReplicatePrefix+strconv.Itoa(r+1)] = true
		}
	}
	for i, f := range rec.Schema().Fields() {
		if newNames[f.Name] {
			continue
		}
		fields = append(fields, f)
		c := rec.Column(i)
		c.Retain()
		cols = append(cols, c)
	}
	add := func(name string, v []float64) {
		b := array.NewFloat64Builder(mem)
		b.AppendValues(v, nil)
		fields = append(fields, arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Float64})
		cols = append(cols, b.NewArray())
		b.Release()
	}
	add(out.Weight, w)
	if reps != nil {
		for r, v := range reps.Weights {
			add(out.ReplicatePrefix+strconv.Itoa(r+1), v)
		}
	}
	md := rec.Schema().Metadata()
	res := array.NewRecordBatch(arrow.NewSchema(fields, &md), cols, rec.NumRows())
	for _, c := range cols {
		c.Release()
	}
	return res
}
