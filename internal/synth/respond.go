package synth

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/sipas-go/sipas/internal/provinces"
)

// FaultKind is a kind of data-quality fault Respond plants for validation
// to find.
type FaultKind int

const (
	// FaultInvalidCode: one criterion holds 6, 7 or 8 (neither 1..5 nor a
	// missing code 0/9).
	FaultInvalidCode FaultKind = iota + 1
	// FaultDuplicate: a second copy of a ballot (same ballot_id, same
	// answers), appended after all first occurrences; the copy is the faulty
	// row.
	FaultDuplicate
	// FaultEmptyProvince: the province is the empty string.
	FaultEmptyProvince
)

func (k FaultKind) String() string {
	switch k {
	case FaultInvalidCode:
		return "invalid code"
	case FaultDuplicate:
		return "duplicate ballot"
	case FaultEmptyProvince:
		return "empty province"
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// Fault is one planted fault.
type Fault struct {
	Row      int    // row of Responses.Ballots
	BallotID string // its ballot_id
	Kind     FaultKind
	Column   string // the criterion (invalid code), "ballot_id" (duplicate) or "province"
	Value    int    // the invalid code; 0 for other kinds
	Original int    // duplicates: the row of the first occurrence; −1 otherwise
}

// Responses is the outcome of fielding a sample.
type Responses struct {
	// Issued is the sample with ballot_id, year and responded (int8: 1
	// returned, 0 not) prepended to its columns, one row per issued ballot.
	Issued arrow.RecordBatch
	// Ballots are the returned ballots: ballot_id, year, the sample's
	// columns, then BallotColumns; duplicates (faults) come last.
	Ballots arrow.RecordBatch
	// Faults lists the planted faults in row order of Ballots; every other
	// row of Ballots is valid (codes 0..5 or 9, a known province, unique id).
	Faults []Fault
	// Fieldwork (with Config.Fieldwork) says who collected and who
	// fabricated; Ballots then end with FieldworkColumns.
	Fieldwork *FieldworkTruth
}

// Release releases both batches.
func (r *Responses) Release() {
	if r.Issued != nil {
		r.Issued.Release()
	}
	if r.Ballots != nil {
		r.Ballots.Release()
	}
}

// RespondRequired are the sample columns Respond reads: the province (any
// spelling provinces.CanonicalForYear accepts), the level and field (as in
// Levels and Fields) and the commune id (its random effect).
var RespondRequired = []string{"province", "level", "field", "commune"}

// Respond fields a sample of the register: for each issued row (read in
// order, drawing from rnd) it decides whether the ballot comes back
// (probability truth.ResponseRate(year, province, level): unit nonresponse
// differs by stratum) and, if it does, fills the ballot by the answer model
// of ballots.go with the cell's truth. Then it plants round(FaultRate ·
// returned) faults (half invalid codes, 30% duplicates, 20% empty
// provinces, in that cycle) on distinct returned ballots and lists them.
//
// Ballot ids are "<year>-<province code>-<6-digit sequence>", numbered per
// province in sample order. The sample's columns are carried into Issued and
// Ballots unchanged, except that columns named like the generated ones
// (ballot_id, year, responded, BallotColumns) are replaced. A nil truth
// means NewTruth(cfg); a nil rnd a stream derived from the truth's seed and
// year. The caller Releases the Responses.
func Respond(cfg Config, year int, sample arrow.RecordBatch, truth *Truth, rnd *rand.Rand, mem memory.Allocator) (*Responses, error) {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	cfg = cfg.withDefaults()
	if truth == nil {
		truth = NewTruth(cfg)
	}
	if rnd == nil {
		rnd = stream(truth.w.seed, tagRespond, uint64(year), 0)
	}
	yt := truth.year(year)
	g := yt.f.geo
	sch := sample.Schema()
	var missing []string
	cols := map[string]arrow.Array{}
	for _, name := range RespondRequired {
		idx := sch.FieldIndices(name)
		if len(idx) == 0 {
			missing = append(missing, name)
			continue
		}
		cols[name] = sample.Column(idx[0])
	}
	if len(missing) > 0 {
		var have []string
		for _, f := range sch.Fields() {
			have = append(have, f.Name)
		}
		return nil, fmt.Errorf("synth: sample lacks column(s) %s (has %s)", strings.Join(missing, ", "), strings.Join(have, ", "))
	}
	n := int(sample.NumRows())
	provIdx := make([]int, n)
	cellIdx := make([]int, n)
	known := map[string]int{}
	for name, i := range g.byName {
		known[name] = i
	}
	for i := 0; i < n; i++ {
		for _, c := range RespondRequired {
			if cols[c].IsNull(i) {
				return nil, fmt.Errorf("synth: sample row %d: column %s is null", i, c)
			}
		}
		pn := cols["province"].ValueStr(i)
		p, ok := known[pn]
		if !ok {
			canon, err := provinces.CanonicalForYear(pn, year)
			if err == nil {
				p, ok = g.byName[canon]
			}
			if !ok {
				return nil, fmt.Errorf("synth: sample row %d: province %q is not a province of the %d geography", i, pn, year)
			}
			known[pn] = p
		}
		l := slices.Index(Levels, cols["level"].ValueStr(i))
		if l < 0 {
			return nil, fmt.Errorf("synth: sample row %d: level %q is not one of %s", i, cols["level"].ValueStr(i), strings.Join(Levels, ", "))
		}
		f := slices.Index(Fields, cols["field"].ValueStr(i))
		if f < 0 {
			return nil, fmt.Errorf("synth: sample row %d: field %q is not one of %s", i, cols["field"].ValueStr(i), strings.Join(Fields, ", "))
		}
		provIdx[i], cellIdx[i] = p, l*nFields+f
	}

	// Unit response and answers.
	yearStr := itoa(year)
	seq := make([]int, len(g.provs))
	ids := make([]string, n)
	responded := newFixed[int8](mem, n)
	var resp []int // sample rows of the returned ballots
	b := newBallots(mem, n)
	effect := map[string]float64{}
	for i := 0; i < n; i++ {
		p := provIdx[i]
		seq[p]++
		ids[i] = string(appendPadded([]byte(yearStr+"-"+g.provs[p].code+"-"), seq[p], 6))
		rate := truth.w.eff.responseRate(yt.era, p, cellIdx[i]/nFields)
		if rnd.Float64() >= rate {
			responded.v[i] = 0
			continue
		}
		responded.v[i] = 1
		com := cols["commune"].ValueStr(i)
		u, ok := effect[com]
		if !ok {
			u = hashNormal(truth.w.seed, tagCommuneEffect, year, com)
			effect[com] = u
		}
		minority, ok := minorityShare[g.provs[p].region]
		if !ok {
			minority = 0.05
		}
		off := (p*nCells + cellIdx[i]) * nCrit * 4
		b.gen(rnd, len(resp), yt.thr[off:off+nCrit*4], u, minority)
		resp = append(resp, i)
	}

	// Collectors and fieldwork fraud (before the faults, which may then
	// fall on a fabricated ballot as they would in the field).
	var collector, team []string
	var ft *FieldworkTruth
	if cfg.Fieldwork != nil {
		str := func(a arrow.Array) []string {
			out := make([]string, n)
			for i := range out {
				if a.IsValid(i) {
					out[i] = a.ValueStr(i)
				}
			}
			return out
		}
		var districts []string
		if idx := sch.FieldIndices("district"); len(idx) > 0 {
			districts = str(sample.Column(idx[0]))
		}
		collector, team, ft = plantFieldwork(*cfg.Fieldwork, truth.w.seed, year, b, resp, ids, str(cols["commune"]), districts, str(cols["province"]))
	}

	// Faults on distinct returned ballots.
	nr := len(resp)
	k := int(math.Round(cfg.FaultRate * float64(nr)))
	if k > nr {
		k = nr
	}
	perm := make([]int, nr)
	for i := range perm {
		perm[i] = i
	}
	for j := 0; j < k; j++ {
		x := j + rnd.IntN(nr-j)
		perm[j], perm[x] = perm[x], perm[j]
	}
	order := make([]int, nr, nr+k) // ballot rows → returned index
	for i := range order {
		order[i] = i
	}
	emptyProv := map[int]bool{}
	var faults []Fault
	for j := 0; j < k; j++ {
		r := perm[j]
		id := ids[resp[r]]
		switch j % 10 {
		case 0, 1, 2, 3, 4:
			c := rnd.IntN(nCrit)
			v := 6 + rnd.IntN(3)
			b.crit[c].v[r] = int8(v)
			faults = append(faults, Fault{Row: r, BallotID: id, Kind: FaultInvalidCode, Column: Criteria[c], Value: v, Original: -1})
		case 5, 6, 7:
			faults = append(faults, Fault{Row: len(order), BallotID: id, Kind: FaultDuplicate, Column: "ballot_id", Original: r})
			order = append(order, r)
		default:
			emptyProv[r] = true
			faults = append(faults, Fault{Row: r, BallotID: id, Kind: FaultEmptyProvince, Column: "province", Original: -1})
		}
	}
	slices.SortFunc(faults, func(a, b Fault) int { return a.Row - b.Row })

	// Issued.
	generated := map[string]bool{"ballot_id": true, "year": true, "responded": true}
	for _, c := range BallotColumns {
		generated[c] = true
	}
	var carryIdx []int
	for i, f := range sch.Fields() {
		if !generated[f.Name] {
			carryIdx = append(carryIdx, i)
		}
	}
	idCol := newStrCol(mem, n, 16*n)
	for _, id := range ids {
		idCol.add(id)
	}
	yearsI := newFixed[int32](mem, n)
	for i := range yearsI.v {
		yearsI.v[i] = int32(year)
	}
	names := []string{"ballot_id", "year"}
	icols := []arrow.Array{idCol.array(false), yearsI.array(mem, arrow.PrimitiveTypes.Int32, nil, 0)}
	for _, ci := range carryIdx {
		c := sample.Column(ci)
		c.Retain()
		icols = append(icols, c)
		names = append(names, sch.Field(ci).Name)
	}
	icols = append(icols, responded.array(mem, arrow.PrimitiveTypes.Int8, nil, 0))
	names = append(names, "responded")
	issued := batch(names, icols, n)

	// Ballots.
	nb := len(order)
	take := make([]int32, nb)
	for j, r := range order {
		take[j] = int32(resp[r])
	}
	tb := array.NewInt32Builder(mem)
	tb.AppendValues(take, nil)
	takeArr := tb.NewArray()
	tb.Release()
	defer takeArr.Release()
	ctx := compute.WithAllocator(context.Background(), mem)
	bidCol := newStrCol(mem, nb, 16*nb)
	for _, r := range order {
		bidCol.add(ids[resp[r]])
	}
	yearsB := newFixed[int32](mem, nb)
	for i := range yearsB.v {
		yearsB.v[i] = int32(year)
	}
	names = []string{"ballot_id", "year"}
	bcols := []arrow.Array{bidCol.array(false), yearsB.array(mem, arrow.PrimitiveTypes.Int32, nil, 0)}
	release := func() {
		for _, c := range bcols {
			c.Release()
		}
		issued.Release()
	}
	for _, ci := range carryIdx {
		name := sch.Field(ci).Name
		var col arrow.Array
		if name == "province" {
			pc := newStrCol(mem, nb, 16*nb)
			src := sample.Column(ci)
			for j, r := range order {
				if emptyProv[r] && j < nr {
					pc.add("")
				} else {
					pc.add(src.ValueStr(resp[r]))
				}
			}
			col = pc.array(false)
		} else {
			var err error
			col, err = compute.TakeArray(ctx, sample.Column(ci), takeArr)
			if err != nil {
				release()
				return nil, fmt.Errorf("synth: taking column %s of the returned ballots: %w", name, err)
			}
		}
		bcols = append(bcols, col)
		names = append(names, name)
	}
	bcols = append(bcols, b.arrays(order)...)
	names = append(names, BallotColumns...)
	if ft != nil {
		cc, tc, fc := newStrCol(mem, nb, 16*nb), newStrCol(mem, nb, 16*nb), newStrCol(mem, nb, 0)
		rec := newFixed[int8](mem, nb)
		for j, r := range order {
			cc.add(collector[r])
			tc.add(team[r])
			rec.v[j] = 1
		}
		fc.addRepeat("respondent", nb)
		bcols = append(bcols, cc.array(false), tc.array(false), rec.array(mem, arrow.PrimitiveTypes.Int8, nil, 0), fc.array(false))
		names = append(names, FieldworkColumns...)
	}
	ballotsRB := batch(names, bcols, nb)
	return &Responses{Issued: issued, Ballots: ballotsRB, Faults: faults, Fieldwork: ft}, nil
}
