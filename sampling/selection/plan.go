package selection

import (
	"context"
	"fmt"
	"math"
	"strings"
)

// PlanRow is one line of a planning report.
type PlanRow struct {
	// Level is "stratum", "domain" (a reporting domain, e.g. a province) or
	// "total" (the whole frame).
	Level string
	Key   string
	N     int64 // population: frame rows
	// Issued is the number of ballots to issue (the allocated n, after the
	// response-rate inflation); Expected = Issued · response rate, the
	// completed ballots expected.
	Issued   int
	Expected float64
	// MinRows is the fewest frame rows the units the stages can draw hold
	// (summed for domains and the total): Issued is certain to be met
	// when it is at most MinRows; above, a draw whose units hold fewer
	// rows takes all of them (SelectSample's Shortfall).
	MinRows int64
	// Deff is the design effect assumed (for domain and total rows the
	// effective one: the stratified variance with the strata's design
	// effects over the one without).
	Deff float64
	// MOE is the expected margin of error (half-width of the confidence
	// interval) of a proportion P at the plan's level, from Expected
	// completes, in proportion units (0.05 = 5 points).
	MOE float64
	// Cost is Issued times the stratum's cost per ballot (summed for domains
	// and the total); NaN without a cost column.
	Cost float64
}

// SamplePlan is the planning report of a design on a frame: what a ministry
// looks at before fielding. Rows are the strata, then the reporting
// domains, then the total, each group in key order.
type SamplePlan struct {
	P, Level     float64 // proportion and confidence level of MOE
	ResponseRate float64
	DomainBy     []string // columns of the reporting domains
	Rows         []PlanRow
	// Notes are caveats for the reader (e.g. what Yamane's e means).
	Notes []string
	// Warnings name assumptions the plan did not take as given: a design
	// effect below 1, sized and planned with 1 instead (see Plan).
	Warnings []string
}

// Plan computes the allocation of d on frame without selecting anything and
// reports, per stratum, per reporting domain and in total, the ballots to
// issue, the completes expected, the assumed design effect, the expected
// margin of error and the cost.
//
// Margins of error: for a stratum with c_h expected completes out of N_h,
//
//	v_h = deff_h · p (1 − p) / c_h · (N_h − c_h) / (N_h − 1),   e_h = z √v_h
//
// (MarginOfError), and for a domain (stratified estimator of a proportion,
// Cochran 1977, eq. 5.6 with design effects)
//
//	V_d = Σ_{h∈d} (N_h / N_d)² v_h,   e_d = z √V_d,
//
// with z = qnorm(1 − (1 − level)/2). p defaults to 0.5 (the worst case),
// level to 0.95. The design effect of a stratum is, first found: plan.deff_by
// for its domain key, then for its stratum key; the plan.deff_column value;
// plan.deff; size.moe.deff; 1. A Yamane design at e = 0.05 with deff 1.5
// thus shows a margin of about 0.05·√1.5 ≈ 0.061, not 0.05.
//
// A design effect below 1 is planned with 1 (size.moe.deff also sizes the
// sample with 1, as SelectSample does), and a warning names where it came
// from, its value and the strata or domains it applied to: a cluster sample's design effect within a
// stratum is 1 + (m − 1)ρ (Kish 1965, §5.4), at least 1 whenever
// respondents of one PSU are alike (ρ ≥ 0); last year's domain estimates
// below 1 come from a variance estimated on few PSUs or from
// stratification gains the stratified formula above already counts, and
// planning with them would issue too few ballots.
//
// Domains are those of size.by, or else the first stratum column.
//
// Plan reads the whole frame once; when ctx is cancelled it stops at the
// next record batch and returns ctx.Err().
func Plan(ctx context.Context, frame SampleFrame, d *SampleDesign) (*SamplePlan, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	t, err := selScanTree(ctx, frame, d, true, false, true)
	if err != nil {
		return nil, err
	}
	nh, sizeDoms, err := t.sizes()
	if err != nil {
		return nil, err
	}
	// the checks of SelectSample, so that a plan it accepts can be drawn
	if err := t.checkSizes(); err != nil {
		return nil, err
	}
	minRows, err := t.checkCounts(nh)
	if err != nil {
		return nil, err
	}
	p := &SamplePlan{P: 0.5, Level: 0.95, ResponseRate: d.rate(), Warnings: d.sizeWarnings(sizeDoms)}
	if d.Plan.P != 0 {
		p.P = d.Plan.P
	}
	if d.Plan.Level != 0 {
		p.Level = d.Plan.Level
	}
	p.DomainBy = d.domainBy()
	if len(p.DomainBy) == 0 && len(d.Strata) > 0 {
		p.DomainBy = d.Strata[:1]
	}
	doms := t.domains(p.DomainBy)
	domOf := make([]string, len(t.strata))
	for _, dom := range doms {
		for _, h := range dom.strata {
			domOf[h] = dom.key
		}
	}
	z := sizeZ(p.Level)
	pq := p.P * (1 - p.P)
	type acc struct{ v, v1, cost float64 }
	vh := make([]acc, len(t.strata))
	low := map[string][]string{} // source of a design effect below 1 -> strata
	var lowOrder []string
	for h := range t.strata {
		N := t.rows[t.strata[h]]
		deff, src, err := planDeff(t, d, h, domOf[h])
		if err != nil {
			return nil, err
		}
		if deff < 1 && src == "size.moe.deff" {
			deff = 1 // said by the sizes' warning
		} else if deff < 1 {
			key := fmt.Sprintf("%.3g (%s)", deff, src)
			if _, ok := low[key]; !ok {
				lowOrder = append(lowOrder, key)
			}
			low[key] = append(low[key], t.stratumID[h])
			deff = 1
		}
		c := float64(nh[h]) * p.ResponseRate
		row := PlanRow{Level: "stratum", Key: t.stratumID[h], N: N, Issued: nh[h], Expected: c, Deff: deff, Cost: math.NaN(), MinRows: minRows[h]}
		if col := d.Plan.Cost; col != "" {
			cb := t.constOf(col, h)
			if math.IsNaN(cb) || cb < 0 {
				return nil, &SampleFrameError{Stratum: t.stratumID[h], Column: col, Err: fmt.Errorf("cost per ballot is %v; give a non-negative number on the stratum's rows", selShow(cb, !math.IsNaN(cb)))}
			}
			row.Cost = float64(nh[h]) * cb
		}
		v1 := sizePropVar(c, N, pq)
		vh[h] = acc{v: deff * v1, v1: v1, cost: row.Cost}
		row.MOE = z * math.Sqrt(vh[h].v)
		p.Rows = append(p.Rows, row)
	}
	sum := func(level, key string, strata []int) PlanRow {
		row := PlanRow{Level: level, Key: key}
		for _, h := range strata {
			row.N += t.rows[t.strata[h]]
			row.Issued += nh[h]
			row.MinRows += minRows[h]
			row.Cost += vh[h].cost
		}
		var V, V1 float64
		for _, h := range strata {
			w := float64(t.rows[t.strata[h]]) / float64(row.N)
			V += float64(w * w * vh[h].v) // no fused multiply-add
			V1 += float64(w * w * vh[h].v1)
		}
		row.Expected = float64(row.Issued) * p.ResponseRate
		row.MOE = z * math.Sqrt(V)
		row.Deff = V / V1
		return row
	}
	all := make([]int, len(t.strata))
	for i := range all {
		all[i] = i
	}
	if len(p.DomainBy) > 0 {
		for _, dom := range doms {
			p.Rows = append(p.Rows, sum("domain", dom.key, dom.strata))
		}
	}
	p.Rows = append(p.Rows, sum("total", "all", all))
	if y := d.Size.Yamane; y != nil {
		deff := p.Rows[len(p.Rows)-1].Deff
		p.Notes = append(p.Notes, fmt.Sprintf("Yamane's e = %g is a margin under simple random sampling with z ≈ 2 and p = 0.5; with a design effect deff the real margin is about e·√deff (%.3g for the deff %.3g assumed here).", y.E, y.E*math.Sqrt(deff), deff))
	}
	var risk []string
	for h := range t.strata {
		if int64(nh[h]) > minRows[h] {
			risk = append(risk, fmt.Sprintf("%s (%d ballots, at least %d rows)", t.stratumID[h], nh[h], minRows[h]))
		}
	}
	if len(risk) > 0 {
		ex := risk[:min(len(risk), 5)]
		more := ""
		if len(risk) > len(ex) {
			more = fmt.Sprintf(" and %d more", len(risk)-len(ex))
		}
		p.Notes = append(p.Notes, fmt.Sprintf("In %d strata the units the stages draw may hold fewer rows than the ballots to issue: %s%s. A draw that falls short takes every row of its units and the sample says so; raise the stages' n to make the counts certain.", len(risk), strings.Join(ex, ", "), more))
	}
	for _, key := range lowOrder {
		p.Warnings = append(p.Warnings, fmt.Sprintf("design effect %s is below 1; planned with 1 in %s", key, listStrata(low[key])))
	}
	if len(lowOrder) > 0 {
		p.Notes = append(p.Notes, "A design effect below 1 is planned with 1: a cluster sample's design effect within a stratum is 1 + (m − 1)ρ, at least 1 when the respondents of a unit are alike, and last year's estimates below 1 usually come from a variance estimated on few PSUs; planning with them would issue too few ballots.")
	}
	if rate := p.ResponseRate; rate < 1 {
		p.Notes = append(p.Notes, fmt.Sprintf("Issued counts are the completed ballots wanted divided by the response rate %g; margins use the completes expected.", rate))
	}
	return p, nil
}

// planDeff returns the design effect assumed for stratum h and where it
// comes from (a DESIGN.json field, with the domain or stratum key).
func planDeff(t *selTree, d *SampleDesign, h int, domain string) (float64, string, error) {
	if v, ok := d.Plan.DeffBy[domain]; ok {
		return v, fmt.Sprintf("plan.deff_by[%q]", domain), nil
	}
	if v, ok := d.Plan.DeffBy[t.stratumID[h]]; ok {
		return v, fmt.Sprintf("plan.deff_by[%q]", t.stratumID[h]), nil
	}
	if c := d.Plan.DeffColumn; c != "" {
		v := t.constOf(c, h)
		if !(v > 0) {
			return 0, "", &SampleFrameError{Stratum: t.stratumID[h], Column: c, Err: fmt.Errorf("design effect is %v; give a positive number on the stratum's rows", selShow(v, !math.IsNaN(v)))}
		}
		return v, fmt.Sprintf("in column %q", c), nil
	}
	if d.Plan.Deff > 0 {
		return d.Plan.Deff, "plan.deff", nil
	}
	if m := d.Size.MOE; m != nil && m.Deff > 0 {
		return m.Deff, "size.moe.deff", nil
	}
	return 1, "", nil
}

// listStrata names at most five strata and counts the rest.
func listStrata(s []string) string { return listKeys("stratum", "strata", s) }

// listKeys names at most five keys (one, other: the noun for one and for
// several) and counts the rest.
func listKeys(one, other string, s []string) string {
	q := make([]string, 0, 5)
	for _, v := range s[:min(len(s), 5)] {
		q = append(q, fmt.Sprintf("%q", v))
	}
	out := one + " " + q[0]
	if len(s) > 1 {
		out = other + " " + strings.Join(q, ", ")
	}
	if len(s) > 5 {
		out += fmt.Sprintf(" and %d more", len(s)-5)
	}
	return out
}
