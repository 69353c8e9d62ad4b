package synth

import (
	"fmt"
	"math"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Fieldwork sets up the collectors and the fieldwork fraud Respond plants
// (Config.Fieldwork). The zero value works: teams of 3 collectors per
// district, 4 collectors who copy ballots and 4 who straight-line, each
// filling half of his ballots himself.
//
// Every commune's ballots are collected by one collector of its district's
// team (from 2025, without districts, of its province's team of 4·PerTeam),
// picked by a hash of the commune. The fabricating collectors are drawn from
// those with at least 12 returned ballots, at most one per province. A
// copier fills the chosen ballots with a copy of one of his genuine ballots
// (its ratings, gender and age group) with one rating changed; a
// straight-liner answers every criterion 4 (or, one time in four, 5), with
// a made-up gender and age group. The respondents' own answers are kept for
// the back-check (FieldworkTruth.Backcheck).
type Fieldwork struct {
	PerTeam        int
	Copiers        int
	Straightliners int
	// Share is the share of a fabricating collector's ballots he fills
	// himself; default 0.5.
	Share float64
}

// FieldworkColumns are the columns Respond appends to the ballots with
// Config.Fieldwork: collector and team (utf8), received (int8, 1: the
// respondent says he received the ballot) and filled_by (utf8, who filled
// it in: "respondent" on every returned ballot).
var FieldworkColumns = []string{"collector", "team", "received", "filled_by"}

// BackcheckColumns are the columns of Backcheck's table: ballot_id,
// backchecker and bcteam (utf8; the teams are the Fatherland Front, MTTQ,
// and the Veterans' Association, CCB), then the re-asked questions
// received (int8), filled_by, gender, age_group (utf8) and the ratings
// BackcheckRatings (int8).
var BackcheckColumns = append([]string{"ballot_id", "backchecker", "bcteam", "received", "filled_by", "gender", "age_group"}, BackcheckRatings...)

// BackcheckRatings are the criteria asked again in the back-check.
var BackcheckRatings = []string{"officials_1", "outcomes_1"}

// Fabricator is a collector who filled ballots himself.
type Fabricator struct {
	Collector  string
	Province   string
	Kind       string // "copy" or "straightline"
	Ballots    int    // returned ballots he collected
	Fabricated int    // of which he filled himself
}

// FieldworkTruth is what Respond knows about the fieldwork: who collected
// each returned ballot, who fabricated, and the respondents' own answers.
type FieldworkTruth struct {
	Fabricators []Fabricator
	// Fabricated lists the ids of the ballots a collector filled himself,
	// sorted.
	Fabricated []string
	// by ballot id: the returned row and, for fabricated ballots, the
	// respondent's own answers.
	row      map[string]int
	province []string
	gender   []uint8 // the respondent's (true) gender and age group
	age      []uint8
	ratings  [][]int8 // the respondent's (true) BackcheckRatings answers
	ballotR  [][]int8 // the ballot's BackcheckRatings answers
	fab      []bool
	seed     uint64
	year     int
}

const (
	defaultPerTeam        = 3
	defaultFabricators    = 4
	defaultFabricateShare = 0.5
	minFabricatorBallots  = 12
)

func (f Fieldwork) withDefaults() Fieldwork {
	if f.PerTeam <= 0 {
		f.PerTeam = defaultPerTeam
	}
	if f.Copiers == 0 && f.Straightliners == 0 {
		f.Copiers, f.Straightliners = defaultFabricators, defaultFabricators
	}
	if f.Share <= 0 || f.Share > 1 {
		f.Share = defaultFabricateShare
	}
	return f
}

// plantFieldwork assigns collectors to the returned ballots (rows of b,
// resp[r] their sample row) and plants the fraud. communes, districts
// (nil from 2025) and provinces are by sample row; ids by sample row.
func plantFieldwork(cfg Fieldwork, seed uint64, year int, b *ballots, resp []int, ids, communes, districts, provinces []string) (collector, team []string, ft *FieldworkTruth) {
	cfg = cfg.withDefaults()
	nr := len(resp)
	collector, team = make([]string, nr), make([]string, nr)
	ft = &FieldworkTruth{row: make(map[string]int, nr), province: make([]string, nr), gender: make([]uint8, nr), age: make([]uint8, nr),
		ratings: make([][]int8, nr), ballotR: make([][]int8, nr), fab: make([]bool, nr), seed: seed, year: year}
	ratingIdx := make([]int, len(BackcheckRatings))
	for k, name := range BackcheckRatings {
		ratingIdx[k] = slices.Index(Criteria, name)
	}
	rowsOf := map[string][]int{}
	for r, i := range resp {
		m, t := cfg.PerTeam, provinces[i]
		if districts != nil && districts[i] != "" {
			t = districts[i]
		} else {
			m *= 4
		}
		k := splitmix64(seed^splitmix64(tagFieldwork<<48^fnv64(communes[i]))) % uint64(m)
		team[r], collector[r] = t, fmt.Sprintf("%s-NV%d", t, k+1)
		rowsOf[collector[r]] = append(rowsOf[collector[r]], r)
		ft.row[ids[i]] = r
		ft.province[r] = provinces[i]
		ft.gender[r], ft.age[r] = b.gender[r], b.age[r]
		ft.ratings[r] = make([]int8, len(ratingIdx))
		for k, c := range ratingIdx {
			ft.ratings[r][k] = b.crit[c].v[r]
		}
	}
	names := make([]string, 0, len(rowsOf))
	for c, rows := range rowsOf {
		if len(rows) >= minFabricatorBallots {
			names = append(names, c)
		}
	}
	slices.Sort(names)
	rng := stream(seed, tagFieldwork, uint64(year), 1)
	rng.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	usedProv := map[string]bool{}
	for _, c := range names {
		if len(ft.Fabricators) == cfg.Copiers+cfg.Straightliners {
			break
		}
		rows := rowsOf[c]
		p := ft.province[rows[0]]
		if usedProv[p] {
			continue
		}
		usedProv[p] = true
		kind := "copy"
		if len(ft.Fabricators) >= cfg.Copiers {
			kind = "straightline"
		}
		// The fabricated ballots: a seeded choice of Share of his rows;
		// a copier's template is his first genuine ballot.
		m := int(math.Round(cfg.Share * float64(len(rows))))
		perm := slices.Clone(rows)
		rng.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		chosen := perm[:m]
		slices.Sort(chosen)
		tmpl := -1
		for _, r := range rows {
			if !slices.Contains(chosen, r) {
				tmpl = r
				break
			}
		}
		for _, r := range chosen {
			ft.fab[r] = true
			ft.Fabricated = append(ft.Fabricated, ids[resp[r]])
			switch kind {
			case "copy":
				for c := range b.crit {
					b.crit[c].v[r] = b.crit[c].v[tmpl]
				}
				c := rng.IntN(nCrit)
				switch v := b.crit[c].v[r]; {
				case v >= 1 && v <= 4:
					b.crit[c].v[r] = v + 1
				case v == 5:
					b.crit[c].v[r] = 4
				default:
					b.crit[c].v[r] = 4
				}
				b.gender[r], b.age[r] = b.gender[tmpl], b.age[tmpl]
			default:
				code := int8(4)
				if rng.IntN(4) == 0 {
					code = 5
				}
				for c := range b.crit {
					b.crit[c].v[r] = code
				}
				b.gender[r], b.age[r] = uint8(pick(rng, genderP)), uint8(pick(rng, ageP))
			}
		}
		ft.Fabricators = append(ft.Fabricators, Fabricator{Collector: c, Province: p, Kind: kind, Ballots: len(rows), Fabricated: m})
	}
	slices.Sort(ft.Fabricated)
	for r := range ft.ballotR {
		ft.ballotR[r] = make([]int8, len(ratingIdx))
		for k, c := range ratingIdx {
			ft.ballotR[r][k] = b.crit[c].v[r]
		}
	}
	return collector, team, ft
}

// Backcheck returns the back-check of the returned ballots ids (one row
// each, in the order given): what the respondent says when re-contacted
// (BackcheckColumns). A respondent who filled his ballot says he received
// it and filled it himself (3% say a family member did), gives his gender
// (0.5% recorded wrongly) and age group (5% the neighbouring group) and
// repeats his ratings (a quarter move by one point). A respondent whose
// ballot the collector filled says he received none half of the time and
// that the collector filled it (80%), and gives his own gender, age group
// and ratings. Deterministic in (seed, year, ids). The caller Releases the
// batch.
func (ft *FieldworkTruth) Backcheck(ids []string, mem memory.Allocator) (arrow.RecordBatch, error) {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	n := len(ids)
	cols := make([]*strCol, 0, 6)
	for range 6 {
		cols = append(cols, newStrCol(mem, n, 16*n))
	}
	id, checker, bteam, filled, gender, age := cols[0], cols[1], cols[2], cols[3], cols[4], cols[5]
	received := newFixed[int8](mem, n)
	ratings := make([]fixed[int8], len(BackcheckRatings))
	for k := range ratings {
		ratings[k] = newFixed[int8](mem, n)
	}
	release := func() {
		for _, c := range cols {
			c.array(false).Release()
		}
		received.release()
		for _, r := range ratings {
			r.release()
		}
	}
	for j, bid := range ids {
		r, ok := ft.row[bid]
		if !ok {
			release()
			return nil, fmt.Errorf("synth: ballot %q was not returned", bid)
		}
		rng := stream(ft.seed, tagBackcheck, uint64(ft.year), fnv64(bid))
		id.add(bid)
		tm := []string{"MTTQ", "CCB"}[fnv64(bid)%2]
		bteam.add(tm)
		checker.add3(ft.province[r], " – ", tm+"-"+itoa(1+int(fnv64(bid)>>8%2)))
		g, a := ft.gender[r], ft.age[r]
		if ft.fab[r] {
			received.v[j] = 1
			if rng.IntN(2) == 0 {
				received.v[j] = 0
			}
			if rng.Float64() < 0.8 {
				filled.add("collector")
			} else {
				filled.add("respondent")
			}
		} else {
			received.v[j] = 1
			if rng.Float64() < 0.03 {
				filled.add("family")
			} else {
				filled.add("respondent")
			}
			if rng.Float64() < 0.005 {
				g = 1 - g
			}
			if rng.Float64() < 0.05 {
				if a == 0 || (a < uint8(len(ageGroups)-1) && rng.IntN(2) == 0) {
					a++
				} else {
					a--
				}
			}
		}
		gender.add(genders[g])
		age.add(ageGroups[a])
		for k := range ratings {
			v := ft.ratings[r][k]
			if !ft.fab[r] {
				v = ft.ballotR[r][k]
			}
			if v >= 1 && v <= 5 && rng.IntN(4) == 0 {
				if v == 1 || (v < 5 && rng.IntN(2) == 0) {
					v++
				} else {
					v--
				}
			}
			ratings[k].v[j] = v
		}
	}
	arrs := []arrow.Array{id.array(false), checker.array(false), bteam.array(false),
		received.array(mem, arrow.PrimitiveTypes.Int8, nil, 0), filled.array(false), gender.array(false), age.array(false)}
	for _, r := range ratings {
		arrs = append(arrs, r.array(mem, arrow.PrimitiveTypes.Int8, nil, 0))
	}
	return batch(BackcheckColumns, arrs, n), nil
}
