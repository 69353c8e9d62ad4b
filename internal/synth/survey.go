package synth

import (
	"fmt"
	"runtime"
	"sort"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// SurveyConfig sets up Survey. The zero value works: seed 0, year 2021,
// 20 PSUs in each of the 63 province strata, 40,000 ballots, a population
// of 30M transactions.
type SurveyConfig struct {
	Seed uint64
	// Year of the survey; default 2021. From 2025 the strata are the 34
	// provinces of the 2025 geography.
	Year int
	// PSUsPerStratum is n_h, the communes selected per province; default 20.
	// When Ballots (without BallotsPerPSU) is below strata × n_h, n_h is
	// lowered to Ballots / strata (at least 2) so that every PSU has a ballot.
	PSUsPerStratum int
	// Ballots is the total number of ballots, spread evenly over the PSUs
	// (the first PSUs in output order take one more when it does not
	// divide); default 40,000. Ignored when BallotsPerPSU > 0.
	Ballots int
	// BallotsPerPSU, when positive, fixes m_k for every PSU.
	BallotsPerPSU int
	// Population is the number of transactions of the year's register the
	// survey represents (the frame of Truth); default 30,000,000.
	Population int
	// Workers bounds the goroutines generating ballots; default
	// runtime.GOMAXPROCS(0). The output does not depend on it.
	Workers int
}

const (
	defaultSurveyYear = 2021
	defaultPSUs       = 20
	defaultBallots    = 40_000
	defaultPopulation = 30_000_000
)

func (c SurveyConfig) withDefaults() SurveyConfig {
	if c.Year == 0 {
		c.Year = defaultSurveyYear
	}
	if c.PSUsPerStratum <= 0 {
		c.PSUsPerStratum = defaultPSUs
	}
	if c.Ballots <= 0 {
		c.Ballots = defaultBallots
	}
	if c.Population <= 0 {
		c.Population = defaultPopulation
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	return c
}

// SurveyDesignColumns are the columns Survey writes before BallotColumns:
//
//	ballot_id       utf8    "<year>-<province code>-<6-digit sequence>", unique
//	year            int32
//	province        utf8    canonical name in the year's geography
//	province_code   utf8
//	region          utf8
//	stratum         utf8    = province
//	psu             utf8    = commune id, unique nationally
//	fpc             float64 M_h, the number of communes of the stratum in the population
//	weight          float64 design weight (M_h/n_h)·(N_k/m_k)
//	district        utf8    null from 2025
//	commune         utf8    = psu
//	level, unit, field, respondent_type   utf8 as in RegisterColumns
var SurveyDesignColumns = []string{"ballot_id", "year", "province", "province_code", "region", "stratum", "psu",
	"fpc", "weight", "district", "commune", "level", "unit", "field", "respondent_type"}

// Survey generates the returned ballots of a stratified two-stage sample,
// already drawn, without building a register: strata are provinces; in
// stratum h, n_h = PSUsPerStratum communes (PSUs) are selected by simple
// random sampling without replacement from the M_h communes of the province;
// in commune k, m_k ballots are drawn with replacement from its N_k
// transactions of the Population-sized register (their level and field
// follow the commune's transaction mix). The design weight is
//
//	w = (M_h / n_h) · (N_k / m_k),
//
// so Σw estimates the population's transactions (unbiasedly), weights vary
// within strata, and the weighted satisfied share of a province estimates
// the Truth's share (the unweighted share does not quite: level and field
// mixes differ between communes). Answers follow ballots.go. Rows are in
// stratum, PSU (commune) order. The caller Releases the batch. The Truth is
// that of a register with Population transactions in the survey year.
//
// Survey writes no data-quality faults and has no unit nonresponse; use
// Register + a sample + Respond for those.
func Survey(cfg SurveyConfig, mem memory.Allocator) (arrow.RecordBatch, *Truth, error) {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	cfg = cfg.withDefaults()
	w := getWorld(cfg.Seed)
	truth := newTruth(w, cfg.Population)
	yt := truth.year(cfg.Year)
	f := yt.f
	g := f.geo
	H := len(g.provs)
	n := cfg.PSUsPerStratum
	for _, p := range g.provs {
		if len(p.communes) < n {
			return nil, nil, fmt.Errorf("synth: PSUsPerStratum %d exceeds the %d communes of %s; choose at most that", n, len(p.communes), p.name)
		}
	}
	if cfg.BallotsPerPSU <= 0 && cfg.Ballots < H*n {
		// Fewer ballots than PSUs: select fewer PSUs, at least 2 per stratum.
		n = cfg.Ballots / H
		if n < 2 {
			return nil, nil, fmt.Errorf("synth: %d ballots cannot fill 2 PSUs in each of %d strata; raise Ballots", cfg.Ballots, H)
		}
	}
	psus := make([]psuRef, 0, H*n)
	for h := range g.provs {
		r := stream(w.seed, tagSurveyStratum, uint64(cfg.Year), uint64(h))
		M := len(g.provs[h].communes)
		perm := make([]int, M)
		for i := range perm {
			perm[i] = i
		}
		for i := 0; i < n; i++ { // partial Fisher–Yates
			j := i + r.IntN(M-i)
			perm[i], perm[j] = perm[j], perm[i]
		}
		sel := perm[:n]
		sort.Ints(sel)
		for _, k := range sel {
			psus = append(psus, psuRef{prov: h, com: k, fpc: float64(M)})
		}
	}
	total := 0
	base, extra := cfg.BallotsPerPSU, 0
	if base <= 0 {
		base, extra = cfg.Ballots/len(psus), cfg.Ballots%len(psus)
	}
	for i := range psus {
		m := base
		if i < extra {
			m++
		}
		ps := &psus[i]
		ps.start, ps.m = total, m
		total += m
		Nk := f.comN[ps.prov][ps.com]
		if Nk == 0 {
			return nil, nil, fmt.Errorf("synth: commune %s of %s has no transactions in a population of %d; raise SurveyConfig.Population",
				g.provs[ps.prov].communes[ps.com].id, g.provs[ps.prov].name, cfg.Population)
		}
		ps.weight = float64(ps.fpc/float64(n)) * float64(float64(Nk)/float64(m))
	}

	b := newBallots(mem, total)
	cells := make([]uint8, total)
	rtype := make([]uint8, total)
	var wg sync.WaitGroup
	next := make(chan int, len(psus))
	for i := range psus {
		next <- i
	}
	close(next)
	for wk := 0; wk < cfg.Workers; wk++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				ps := &psus[i]
				p := &g.provs[ps.prov]
				c := &p.communes[ps.com]
				r := stream(w.seed, tagSurveyPSU, uint64(cfg.Year), uint64(ps.prov)<<20|uint64(ps.com))
				u := hashNormal(w.seed, tagCommuneEffect, cfg.Year, c.id)
				minority, ok := minorityShare[p.region]
				if !ok {
					minority = 0.05
				}
				cc := f.cells[ps.prov][ps.com]
				Nk := f.comN[ps.prov][ps.com]
				for j := ps.start; j < ps.start+ps.m; j++ {
					x := int32(r.IntN(Nk))
					cell := 0
					for x >= cc[cell] {
						x -= cc[cell]
						cell++
					}
					cells[j] = uint8(cell)
					if r.Float64() < organisationShare[cell%nFields] {
						rtype[j] = 1
					}
					off := (ps.prov*nCells + cell) * nCrit * 4
					b.gen(r, j, yt.thr[off:off+nCrit*4], u, minority)
				}
			}
		}()
	}
	wg.Wait()

	// Columns are built concurrently, each by one goroutine, so the output
	// does not depend on scheduling. String data is sized exactly first, so
	// nothing is copied.
	var ballotCols, constCols, cellCols []arrow.Array
	var wg2 sync.WaitGroup
	wg2.Add(3)
	go func() {
		defer wg2.Done()
		ballotCols = b.arrays(nil)
	}()
	go func() {
		defer wg2.Done()
		constCols = surveyConstCols(mem, cfg.Year, g, psus, total)
	}()
	go func() {
		defer wg2.Done()
		cellCols = surveyCellCols(mem, g, psus, cells, rtype, total)
	}()
	wg2.Wait()
	// constCols: ballot_id, year, province, province_code, region, stratum, psu, fpc, weight, district, commune
	cols := append(constCols, cellCols...)
	cols = append(cols, ballotCols...)
	names := append(append([]string(nil), SurveyDesignColumns...), BallotColumns...)
	return batch(names, cols, total), truth, nil
}

// psuRef is one selected PSU of Survey: its province and commune, its rows
// [start, start+m), its design weight and fpc.
type psuRef struct {
	prov, com   int
	start, m    int
	weight, fpc float64
}

// surveyConstCols builds ballot_id, year, province, province_code, region,
// stratum, psu, fpc, weight, district and commune.
func surveyConstCols(mem memory.Allocator, year int, g *geography, psus []psuRef, total int) []arrow.Array {
	yearStr := itoa(year)
	var nb, nprov, ncode, nreg, ncom, ndist int
	for i := range psus {
		ps := &psus[i]
		p := &g.provs[ps.prov]
		c := &p.communes[ps.com]
		m := ps.m
		nb += m * (len(yearStr) + len(p.code) + 2 + 6)
		nprov += m * len(p.name)
		ncode += m * len(p.code)
		nreg += m * len(p.region)
		ncom += m * len(c.id)
		if c.district >= 0 {
			ndist += m * len(p.districts[c.district].id)
		}
	}
	bid := newStrCol(mem, total, nb)
	years := newFixed[int32](mem, total)
	prov, code, region, stratum, psuC := newStrCol(mem, total, nprov), newStrCol(mem, total, ncode), newStrCol(mem, total, nreg), newStrCol(mem, total, nprov), newStrCol(mem, total, ncom)
	dist, com := newStrCol(mem, total, ndist), newStrCol(mem, total, ncom)
	fpc := newFixed[float64](mem, total)
	wt := newFixed[float64](mem, total)
	seq := 0
	lastProv := -1
	prefix := ""
	for i := range psus {
		ps := &psus[i]
		p := &g.provs[ps.prov]
		c := &p.communes[ps.com]
		if ps.prov != lastProv {
			seq, lastProv = 0, ps.prov
			prefix = yearStr + "-" + p.code + "-"
		}
		m := ps.m
		prov.addRepeat(p.name, m)
		code.addRepeat(p.code, m)
		region.addRepeat(p.region, m)
		stratum.addRepeat(p.name, m)
		psuC.addRepeat(c.id, m)
		com.addRepeat(c.id, m)
		if c.district >= 0 {
			dist.addRepeat(p.districts[c.district].id, m)
		} else {
			dist.addNulls(m)
		}
		for j := ps.start; j < ps.start+m; j++ {
			seq++
			bid.addPadded(prefix, seq, 6)
			years.v[j] = int32(year)
			fpc.v[j] = ps.fpc
			wt.v[j] = ps.weight
		}
	}
	f64 := arrow.PrimitiveTypes.Float64
	return []arrow.Array{bid.array(false), years.array(mem, arrow.PrimitiveTypes.Int32, nil, 0), prov.array(false),
		code.array(false), region.array(false), stratum.array(false), psuC.array(false),
		fpc.array(mem, f64, nil, 0), wt.array(mem, f64, nil, 0), dist.array(false), com.array(false)}
}

// surveyCellCols builds level, unit, field and respondent_type.
func surveyCellCols(mem memory.Allocator, g *geography, psus []psuRef, cells, rtype []uint8, total int) []arrow.Array {
	var nlev, nunit, nfield, nrt int
	for i := range psus {
		ps := &psus[i]
		p := &g.provs[ps.prov]
		c := &p.communes[ps.com]
		for j := ps.start; j < ps.start+ps.m; j++ {
			l, fl := int(cells[j])/nFields, int(cells[j])%nFields
			nlev += len(Levels[l])
			nfield += len(Fields[fl])
			nrt += len(respondentTypes[rtype[j]])
			switch l {
			case lvlProvince:
				nunit += len(p.code) + 3 + len(Fields[fl])
			case lvlDistrict:
				nunit += len(p.districts[c.district].id) + 4
			default:
				nunit += len(c.id) + 4
			}
		}
	}
	level, unit, field, rt := newStrCol(mem, total, nlev), newStrCol(mem, total, nunit), newStrCol(mem, total, nfield), newStrCol(mem, total, nrt)
	for i := range psus {
		ps := &psus[i]
		p := &g.provs[ps.prov]
		c := &p.communes[ps.com]
		for j := ps.start; j < ps.start+ps.m; j++ {
			l, fl := int(cells[j])/nFields, int(cells[j])%nFields
			level.add(Levels[l])
			switch l {
			case lvlProvince:
				unit.add3(p.code, "-S-", Fields[fl])
			case lvlDistrict:
				unit.add2(p.districts[c.district].id, "-OSS")
			default:
				unit.add2(c.id, "-OSS")
			}
			field.add(Fields[fl])
			rt.add(respondentTypes[rtype[j]])
		}
	}
	return []arrow.Array{level.array(false), unit.array(false), field.array(false), rt.array(false)}
}
