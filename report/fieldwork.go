package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/sipas-go/sipas/index/ballot"
)

// Fieldwork is the fieldwork check of one year (METHODOLOGY §7): the
// screening of the ballots for fabrication by group, the back-check's
// coverage and the collectors' error rates, and the ballots excluded
// because the back-check confirmed them. Counts are 0 when unknown.
type Fieldwork struct {
	// Screening holds the screening flags by group (e.g. province), in
	// the screening's group order.
	Screening []ScreenGroup
	// AtRisk are the collectors the screening ranks first in their group
	// with at least two indicators apart (risk ≥ 2), highest risk_sum
	// first, at most 20.
	AtRisk []CollectorRisk
	// Ballots is the number of ballots that could be back-checked;
	// Backchecked the ballots back-checked, Targeted of which sent by the
	// screening; Collectors and CollectorsCovered the collectors and those
	// with a back-checked ballot.
	Ballots, Backchecked, Targeted int
	Collectors, CollectorsCovered  int
	// ErrorRates are the collectors' back-check error rates on the
	// variables that must not change (type 1), flagged first, then worst
	// first.
	ErrorRates []CollectorErrors
	// OKRate is the error rate above which a collector is flagged.
	OKRate float64
	// Excluded is the number of ballots excluded because the back-check
	// confirmed that the respondent did not fill them.
	Excluded int
}

// ScreenGroup is the screening of one group.
type ScreenGroup struct {
	Group                                 string
	Ballots, Collectors                   int
	MatchRef                              float64 // NaN when undefined
	NearCopies, Straightlined, Duplicates int
	AtRisk                                int // collectors with risk ≥ 2
}

// CollectorRisk is a collector the screening points at.
type CollectorRisk struct {
	Group, Collector string
	Ballots, Risk    int
	RiskSum          float64
}

// CollectorErrors is one collector's back-check error rate.
type CollectorErrors struct {
	Collector                string
	Differences, Comparisons int
	ErrorRate                float64
	Flagged                  bool
}

// atRiskMin is the least number of indicators apart (|z| > 2) that put a
// collector on the report's list, and atRiskShown the longest list.
const (
	atRiskMin   = 2
	atRiskShown = 20
)

// NewFieldwork summarises a screening for the report (the back-check part
// is left empty).
func NewFieldwork(s *ballot.Screening) *Fieldwork {
	f := &Fieldwork{}
	for _, g := range s.Groups {
		f.Screening = append(f.Screening, ScreenGroup{Group: strings.Join(g.Key, " · "), Ballots: g.Ballots, Collectors: g.Collectors,
			MatchRef: g.MatchRef, NearCopies: g.FlagMatch, Straightlined: g.FlagStraightline, Duplicates: g.FlagDuplicate})
	}
	for _, c := range s.Collectors {
		if c.Risk >= atRiskMin {
			f.Screening[c.Group].AtRisk++
			if c.Rank == 1 {
				f.AtRisk = append(f.AtRisk, CollectorRisk{Group: f.Screening[c.Group].Group, Collector: c.Collector, Ballots: c.Ballots, Risk: c.Risk, RiskSum: c.RiskSum})
			}
		}
	}
	slices.SortStableFunc(f.AtRisk, func(a, b CollectorRisk) int { return cmp.Compare(b.RiskSum, a.RiskSum) })
	f.AtRisk = f.AtRisk[:min(len(f.AtRisk), atRiskShown)]
	return f
}

// AddBackcheck adds the back-check to f: the coverage from the sample's
// groups (ballot.BackcheckSampleResult.Groups), the collectors' error rates on the type 1 variables from the
// comparison (flagged first, then highest rate first, then by name), the
// threshold okRate and the ballots excluded because of it.
func (f *Fieldwork) AddBackcheck(groups []ballot.BackcheckGroup, c *ballot.BackcheckResult, okRate float64, excluded int) {
	for _, g := range groups {
		f.Ballots += g.Ballots
		f.Backchecked += g.Random + g.Targeted
		f.Targeted += g.Targeted
		f.Collectors += g.Collectors
		f.CollectorsCovered += g.CollectorsCovered
	}
	for _, r := range c.Enumerators {
		if r.Type == "1" {
			f.ErrorRates = append(f.ErrorRates, CollectorErrors{Collector: r.Name, Differences: r.Differences, Comparisons: r.Comparisons,
				ErrorRate: r.ErrorRate, Flagged: r.Flagged})
		}
	}
	slices.SortStableFunc(f.ErrorRates, func(a, b CollectorErrors) int {
		if a.Flagged != b.Flagged {
			if a.Flagged {
				return -1
			}
			return 1
		}
		if an, bn := math.IsNaN(a.ErrorRate), math.IsNaN(b.ErrorRate); an != bn {
			if an {
				return 1 // no comparison: last
			}
			return -1
		}
		if r := cmp.Compare(b.ErrorRate, a.ErrorRate); r != 0 {
			return r
		}
		return strings.Compare(a.Collector, b.Collector)
	})
	f.OKRate, f.Excluded = okRate, excluded
}

// fieldworkView is the fieldwork section of the HTML page.
type fieldworkView struct {
	Coverage []kv
	Errors   []errRow
	AtRisk   []riskRow
	Groups   []screenRow
	Note     string
}

type errRow struct{ Collector, Differences, Comparisons, Rate, Flag string }
type riskRow struct{ Group, Collector, Ballots, Risk, RiskSum string }
type screenRow struct{ Group, Ballots, Collectors, MatchRef, NearCopies, Straightlined, Duplicates, AtRisk string }

// fieldworkPage builds the fieldwork section (nil without a record).
func fieldworkPage(l Lang, f *Fieldwork) *fieldworkView {
	if f == nil {
		return nil
	}
	v := &fieldworkView{Note: l.text("fw.note")}
	if f.Backchecked > 0 {
		v.Coverage = append(v.Coverage,
			kv{l.text("fw.backchecked"), fmt.Sprintf("%s / %s (%s%%)", l.count(f.Backchecked), l.count(f.Ballots), l.dec(100*float64(f.Backchecked)/float64(max(1, f.Ballots)), 1))},
			kv{l.text("fw.targeted"), l.count(f.Targeted)},
			kv{l.text("fw.covered"), fmt.Sprintf("%s / %s", l.count(f.CollectorsCovered), l.count(f.Collectors))},
			kv{l.text("fw.excluded"), l.count(f.Excluded)})
	}
	// The page lists the flagged collectors and the next ten (the table
	// fieldwork_error_rates has them all).
	unflagged := 0
	for _, e := range f.ErrorRates {
		if !e.Flagged {
			if unflagged++; unflagged > 10 {
				break
			}
		}
		flag := ""
		if e.Flagged {
			flag = "⚑"
		}
		v.Errors = append(v.Errors, errRow{Collector: e.Collector, Differences: l.count(e.Differences), Comparisons: l.count(e.Comparisons),
			Rate: l.dec(100*e.ErrorRate, 1), Flag: flag})
	}
	for _, c := range f.AtRisk {
		v.AtRisk = append(v.AtRisk, riskRow{Group: c.Group, Collector: c.Collector, Ballots: l.count(c.Ballots), Risk: l.count(c.Risk), RiskSum: l.dec(c.RiskSum, 1)})
	}
	for _, g := range f.Screening {
		v.Groups = append(v.Groups, screenRow{Group: g.Group, Ballots: l.count(g.Ballots), Collectors: l.count(g.Collectors),
			MatchRef: l.dec(100*g.MatchRef, 1), NearCopies: l.count(g.NearCopies), Straightlined: l.count(g.Straightlined),
			Duplicates: l.count(g.Duplicates), AtRisk: l.count(g.AtRisk)})
	}
	return v
}

// fieldworkTables are the fieldwork tables of the CSV output: the
// screening by group and, with a back-check, the collectors' error rates.
func fieldworkTables(l Lang, f *Fieldwork, byLabel string) []Table {
	if f == nil {
		return nil
	}
	sc := Table{Name: "fieldwork_screening", Header: []string{byLabel, l.text("col.ballots"), l.text("col.collectors"),
		l.text("col.match_ref") + " (%)", l.text("col.near_copies"), l.text("col.straightlined"), l.text("col.duplicates"), l.text("col.at_risk")}}
	for _, g := range f.Screening {
		sc.Rows = append(sc.Rows, []string{textCell(g.Group), strconv.Itoa(g.Ballots), strconv.Itoa(g.Collectors), f2(100 * g.MatchRef),
			strconv.Itoa(g.NearCopies), strconv.Itoa(g.Straightlined), strconv.Itoa(g.Duplicates), strconv.Itoa(g.AtRisk)})
	}
	out := []Table{sc}
	if len(f.ErrorRates) > 0 {
		er := Table{Name: "fieldwork_error_rates", Header: []string{l.text("col.collector"), l.text("col.differences"),
			l.text("col.comparisons"), l.text("col.error_rate") + " (%)", l.text("col.flagged")}}
		for _, e := range f.ErrorRates {
			er.Rows = append(er.Rows, []string{textCell(e.Collector), strconv.Itoa(e.Differences), strconv.Itoa(e.Comparisons),
				f2(100 * e.ErrorRate), strconv.FormatBool(e.Flagged)})
		}
		out = append(out, er)
	}
	return out
}
