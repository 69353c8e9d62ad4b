// Package demo runs the whole SIPAS pipeline on the embedded synthetic
// survey for `sipas demo`: register → sample → responses (with collectors,
// a few of whom fabricate ballots) → validation → screening → weighting →
// index. It sits under the command because it orchestrates
// every library package; it computes nothing itself, it only strings the
// library together.
package demo

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/index/ballot"
	"github.com/sipas-go/sipas/internal/provinces"
	"github.com/sipas-go/sipas/internal/synth"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/sampling/selection"
	"github.com/sipas-go/sipas/weighting"
)

//go:embed design.json
var designJSON []byte

//go:embed design2025.json
var design2025JSON []byte

// SampleDesign returns the demo's sample design for a year: provinces as
// strata, districts (the capital with certainty) → communes → transactions
// up to 2024; communes → transactions from 2025, when the district level was
// abolished.
func SampleDesign(year int) (*selection.SampleDesign, error) {
	b := designJSON
	if year >= 2025 {
		b = design2025JSON
	}
	return selection.ParseSampleDesign(bytes.NewReader(b))
}

// Config sets up Run. The zero value works: the years 2019–2021, seed 1,
// a register of DefaultRegisterRows transactions a year.
type Config struct {
	Years []int
	Seed  uint64
	// RegisterRows is the number of transactions in each year's register
	// (default DefaultRegisterRows: about 40,000 ballots issued a year, with
	// design.json's Yamane margin e = 0.044 per province).
	RegisterRows int
	// Progress, when set, is told of every step that took over a second.
	Progress func(msg string)
	Mem      memory.Allocator
	// Cycle keeps what the yearly cycle starts from for the last year
	// (Result.Cycle): its register and its returned ballots as keyed.
	Cycle bool
}

// Cycle is the last year's starting material of the yearly cycle, for a
// newcomer to run every command on: the register (the sampling frame),
// the sample design, the returned ballots before validation, and the
// register's transactions per province (the population totals of a
// post-stratification).
type Cycle struct {
	Year           int
	Register       arrow.RecordBatch
	Design         []byte // the DESIGN.json the sample was drawn with
	Returned       arrow.RecordBatch
	ProvinceTotals map[string]float64
}

// BackcheckRate is the random share of each province's ballots the demo
// back-checks, and BackcheckOKRate the error rate above which a collector
// is flagged.
const (
	BackcheckRate   = 0.10
	BackcheckOKRate = 0.10
)

// DefaultRegisterRows is the size of each year's synthetic register.
const DefaultRegisterRows = 1_500_000

// Year holds one survey year's pipeline outputs.
type Year struct {
	Year         int
	RegisterRows int
	Issued       int // ballots issued (main sample)
	Returned     int // ballots returned (before validation)
	// Validation of the returned ballots (exclusions with reasons).
	Validation *ballot.Validation
	// Screening of the validated ballots for fabrication, by province
	// with their collectors.
	Screening *ballot.Screening
	// BackcheckGroups are the back-check sample's groups (provinces);
	// Backcheck the comparison of the back-check with the ballots;
	// Confirmed the ids of the ballots it confirmed as fabricated, which
	// Validation excluded (reason backcheck_failed).
	BackcheckGroups []ballot.BackcheckGroup
	Backcheck       *ballot.BackcheckResult
	Confirmed       []string
	// Fieldwork is what the generator planted: the collectors who
	// fabricated ballots and which (what the screening and the back-check
	// should find), and the respondents' answers to a back-check.
	Fieldwork *synth.FieldworkTruth
	// Nonresponse is the weighting step's record, with response rates by
	// stratum (issued, returned, valid).
	Nonresponse *weighting.StepResult
	// Ballots are the clean ballots with a final "weight" column.
	Ballots arrow.RecordBatch
	Design  *sampling.Design
	// Index holds the indices nationally and by province.
	Index *index.Result
}

// Result is the output of Run. Release it when done.
type Result struct {
	Years []*Year
	Truth *synth.Truth
	Cycle *Cycle // with Config.Cycle
}

// Release releases the Arrow data of every year.
func (r *Result) Release() {
	if c := r.Cycle; c != nil {
		c.Register.Release()
		c.Returned.Release()
	}
	for _, y := range r.Years {
		if y == nil {
			continue
		}
		if y.Validation != nil {
			y.Validation.Release()
		}
		if y.Ballots != nil {
			y.Ballots.Release()
		}
	}
}

// Run executes the pipeline for every year of cfg, the years concurrently
// (at most GOMAXPROCS at a time; Progress calls are serialised). The
// results are the same as one year after the other.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if len(cfg.Years) == 0 {
		cfg.Years = []int{2019, 2020, 2021}
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	if cfg.Mem == nil {
		cfg.Mem = memory.DefaultAllocator
	}
	if cfg.RegisterRows == 0 {
		cfg.RegisterRows = DefaultRegisterRows
	}
	if p := cfg.Progress; p != nil {
		var mu sync.Mutex
		cfg.Progress = func(msg string) {
			mu.Lock()
			defer mu.Unlock()
			p(msg)
		}
	}
	scfg := synth.Config{Seed: cfg.Seed, Years: cfg.Years, TotalRows: cfg.RegisterRows, Fieldwork: &synth.Fieldwork{}}
	res := &Result{Truth: synth.NewTruth(scfg), Years: make([]*Year, len(cfg.Years))}
	// The years are independent (each its own register, sample and
	// generators seeded from (Seed, year)), so they run concurrently, at
	// most GOMAXPROCS at a time; the results do not depend on the order.
	errs := make([]error, len(cfg.Years))
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	for i, year := range cfg.Years {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := ctx.Err(); err != nil {
				errs[i] = err
				return
			}
			var cy *Cycle
			if cfg.Cycle && year == slices.Max(cfg.Years) {
				cy = &Cycle{Year: year}
				res.Cycle = cy
			}
			y, err := runYear(ctx, cfg, scfg, res.Truth, year, cy)
			if err != nil {
				errs[i] = fmt.Errorf("year %d: %w", year, err)
				return
			}
			res.Years[i] = y
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			res.Release()
			return nil, err
		}
	}
	return res, nil
}

func (c *Config) step(what string, start time.Time) {
	if c.Progress != nil && time.Since(start) > time.Second {
		c.Progress(fmt.Sprintf("%s (%.1fs)", what, time.Since(start).Seconds()))
	}
}

// runYear runs the pipeline of one year; with cy, it keeps the year's
// register and returned ballots there.
func runYear(ctx context.Context, cfg Config, scfg synth.Config, truth *synth.Truth, year int, cy *Cycle) (*Year, error) {
	mem := cfg.Mem
	y := &Year{Year: year}
	t0 := time.Now()
	reg, err := synth.Register(scfg, year, mem)
	if err != nil {
		return nil, err
	}
	// The register is dropped as soon as the sample is drawn (the years
	// run concurrently: keep one register per running year at most).
	regHeld := true
	dropReg := func() {
		if regHeld {
			reg.Release()
			regHeld = false
		}
	}
	defer dropReg()
	y.RegisterRows = int(reg.NumRows())
	if cy != nil {
		reg.Retain()
		cy.Register = reg
		if cy.ProvinceTotals, err = countBy(reg, "province"); err != nil {
			return nil, err
		}
		if year >= 2025 {
			cy.Design = design2025JSON
		} else {
			cy.Design = designJSON
		}
	}
	cfg.step(fmt.Sprintf("%d: register of %d transactions", year, y.RegisterRows), t0)

	t0 = time.Now()
	design, err := SampleDesign(year)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, uint64(year)))
	sample, err := selection.SelectSample(ctx, selection.NewRecordFrame(reg), design, rng)
	if err != nil {
		return nil, err
	}
	dropReg()
	defer sample.Release()
	main, err := mainSample(sample, mem)
	if err != nil {
		return nil, err
	}
	defer main.Release()
	y.Issued = int(main.NumRows())
	cfg.step(fmt.Sprintf("%d: sample of %d ballots", year, y.Issued), t0)

	t0 = time.Now()
	resp, err := synth.Respond(scfg, year, main, truth, rand.New(rand.NewPCG(cfg.Seed, uint64(year)+1<<32)), mem)
	if err != nil {
		return nil, err
	}
	defer resp.Release()
	y.Returned = int(resp.Ballots.NumRows())
	if cy != nil {
		resp.Ballots.Retain()
		cy.Returned = resp.Ballots
	}

	matcher := provinces.NewMatcher(provinces.GeographyForYear(year))
	val, err := ballot.Validate(ctx, resp.Ballots, &ballot.ValidateOptions{Province: matcher.Canonical, Mem: mem})
	if err != nil {
		return nil, err
	}
	y.Validation = val
	y.Fieldwork = resp.Fieldwork
	cfg.step(fmt.Sprintf("%d: %d ballots returned and validated", year, y.Returned), t0)

	t0 = time.Now()
	y.Screening, err = ballot.Screen(ctx, val.Clean, &ballot.ScreenOptions{By: []string{"province"}, Collector: "collector"})
	if err != nil {
		return nil, err
	}
	cfg.step(fmt.Sprintf("%d: screening", year), t0)

	// Back-check (phúc tra): a random share of each province that covers
	// every collector and commune, plus the ballots the screening flagged;
	// the synthetic respondents answer again; the comparison gives the
	// collectors' error rates. A ballot whose respondent says he received
	// none or that the collector filled it is confirmed, and validation
	// runs again with that verdict.
	t0 = time.Now()
	var targeted []string
	for _, b := range y.Screening.Ballots {
		if b.FlagMatch || b.Straightline || b.FlagDuplicate {
			targeted = append(targeted, b.ID)
		}
	}
	bs, err := ballot.BackcheckSample(val.Clean, ballot.BackcheckSampleOptions{ID: "ballot_id", By: []string{"province"}, Collector: "collector",
		Unit: "commune", Rate: BackcheckRate, MinCollector: 2, MinUnit: 1, Targeted: targeted, Mem: mem}, rand.NewPCG(cfg.Seed, uint64(year)+2<<32))
	if err != nil {
		return nil, err
	}
	defer bs.Release()
	y.BackcheckGroups = bs.Groups
	cleanIDs, _, err := stringColumn(val.Clean, "ballot_id")
	if err != nil {
		return nil, err
	}
	bcIDs := make([]string, len(bs.Rows))
	for i, r := range bs.Rows {
		bcIDs[i] = cleanIDs[r.Row]
	}
	answers, err := resp.Fieldwork.Backcheck(bcIDs, mem)
	if err != nil {
		return nil, err
	}
	defer answers.Release()
	y.Backcheck, err = ballot.CompareBackcheck(val.Clean, answers, ballot.BackcheckOptions{ID: "ballot_id",
		T1: []string{"received", "filled_by", "gender", "age_group"}, T3: synth.BackcheckRatings,
		Enumerator: "collector", EnumTeam: "team", BackChecker: "backchecker", BCTeam: "bcteam", OKRate: BackcheckOKRate})
	if err != nil {
		return nil, err
	}
	confirmed := map[string]bool{}
	for _, r := range y.Backcheck.Rows {
		if r.Differ && (r.Variable == "received" && r.Backcheck == "0" || r.Variable == "filled_by" && r.Backcheck == "collector") {
			confirmed[r.ID] = true
		}
	}
	for id := range confirmed {
		y.Confirmed = append(y.Confirmed, id)
	}
	slices.Sort(y.Confirmed)
	val2, err := ballot.Validate(ctx, resp.Ballots, &ballot.ValidateOptions{Province: matcher.Canonical, BackcheckFailed: y.Confirmed, Mem: mem})
	if err != nil {
		return nil, err
	}
	val.Release()
	val, y.Validation = val2, val2
	cfg.step(fmt.Sprintf("%d: back-check of %d ballots, %d confirmed fabricated", year, len(bcIDs), len(y.Confirmed)), t0)

	// Nonresponse adjustment by stratum: the issued ballots whose returned
	// ballot passed validation are the respondents.
	t0 = time.Now()
	ids, _, err := stringColumn(resp.Issued, "ballot_id")
	if err != nil {
		return nil, err
	}
	usedID := map[string]bool{}
	returnedID := map[string]bool{}
	bids, _, err := stringColumn(resp.Ballots, "ballot_id")
	if err != nil {
		return nil, err
	}
	for i, id := range bids {
		if _, seen := returnedID[id]; !seen {
			returnedID[id] = true
			usedID[id] = val.Used[i]
		}
	}
	n := len(ids)
	valid, returned := make([]bool, n), make([]bool, n)
	for i, id := range ids {
		returned[i] = returnedID[id]
		valid[i] = usedID[id]
	}
	dw, err := floatColumn(resp.Issued, selection.SampleWeightColumn)
	if err != nil {
		return nil, err
	}
	classes, err := weighting.ClassesOf(resp.Issued, []string{selection.SampleStratumColumn})
	if err != nil {
		return nil, err
	}
	adj, step, err := weighting.Nonresponse(dw, classes, valid, returned)
	if err != nil {
		return nil, err
	}
	y.Nonresponse = step
	weightOf := make(map[string]float64, n)
	for i, id := range ids {
		if valid[i] {
			weightOf[id] = adj[i]
		}
	}
	clean := val.Clean
	cids, _, err := stringColumn(clean, "ballot_id")
	if err != nil {
		return nil, err
	}
	fw := make([]float64, len(cids))
	for i, id := range cids {
		w, ok := weightOf[id]
		if !ok {
			return nil, fmt.Errorf("clean ballot %s has no issued ballot", id)
		}
		fw[i] = w
	}
	y.Ballots = weighting.AppendWeights(mem, clean, weighting.OutputSpec{Weight: "weight"}, fw, nil)
	cfg.step(fmt.Sprintf("%d: weighting", year), t0)

	t0 = time.Now()
	y.Design, err = sampling.NewDesign(y.Ballots, &sampling.DesignOptions{Weight: "weight", Strata: selection.SampleStratumColumn, PSU: selection.SamplePSUColumn, Lonely: sampling.LonelyAdjust})
	if err != nil {
		return nil, err
	}
	y.Index, err = index.Compute(ctx, y.Design, y.Ballots, nil, &index.Options{By: []string{"province"}})
	if err != nil {
		return nil, err
	}
	cfg.step(fmt.Sprintf("%d: indices", year), t0)
	return y, nil
}

// mainSample keeps the main sample (reserve_rank 0): the reserve is used
// only to replace unreachable respondents, which the demo does not model.
func mainSample(sample arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
	idx := sample.Schema().FieldIndices(selection.SampleReserveColumn)
	if len(idx) == 0 {
		sample.Retain()
		return sample, nil
	}
	rr, ok := sample.Column(idx[0]).(*array.Int64)
	if !ok {
		return nil, fmt.Errorf("column %s: want int64, have %s", selection.SampleReserveColumn, sample.Column(idx[0]).DataType())
	}
	b := array.NewBooleanBuilder(mem)
	defer b.Release()
	for _, v := range rr.Int64Values() {
		b.Append(v == 0)
	}
	mask := b.NewBooleanArray()
	defer mask.Release()
	return filterRecord(sample, mask, mem)
}
