package report

import (
	"math"
	"strconv"
	"strings"

	"github.com/sipas-go/sipas/index/rank"
)

// Summary is the executive summary of the report in lang, one sentence
// (or two) a string, generated from the numbers of the latest year: the
// national SIPAS with its interval and its change against the previous
// year (significant or not: national changes are single tests, not
// corrected), the best and worst elements, the first and last domains,
// and the domains whose SIPAS rose or fell significantly against their
// previous year after the correction of the comparison (Data.Compare).
// Numbers are written in the language's convention (82,4 in Vietnamese).
// Nil for empty Data.
func (d *Data) Summary(lang Lang) []string {
	y := d.Latest()
	if y == nil {
		return nil
	}
	l := lang
	var out []string
	nat := y.National.SIPAS
	level := 0.95
	if y.Methods != nil && y.Methods.Level > 0 {
		level = y.Methods.Level
	}
	lv := l.dec(100*level, levelDecimals(level)) + "%"
	yr := strconv.Itoa(y.Year)
	if !math.IsNaN(nat.Estimate) {
		s := l.pick("Chỉ số SIPAS toàn quốc năm "+yr+" là "+l.pct(nat.Estimate)+"%",
			"The national SIPAS for "+yr+" is "+l.pct(nat.Estimate)+"%")
		if !math.IsNaN(nat.CILow) && !math.IsNaN(nat.CIHigh) {
			s += l.pick(" (khoảng tin cậy "+lv+": "+l.ci(nat.CILow, nat.CIHigh)+")", " ("+lv+" confidence interval "+l.ci(nat.CILow, nat.CIHigh)+")")
		}
		if t := nat.Trend; t != nil && t.PrevYear > 0 && !math.IsNaN(t.ChangePrev) && t.SignificantPrev != nil {
			prev := strconv.Itoa(t.PrevYear)
			s += l.pick(", "+changeWords(l, t.ChangePrev)+" so với năm "+prev, ", "+changeWords(l, t.ChangePrev)+" on "+prev)
			if *t.SignificantPrev {
				s += l.pick("; thay đổi này có ý nghĩa thống kê.", "; the change is statistically significant.")
			} else {
				s += l.pick("; thay đổi này không có ý nghĩa thống kê.", "; the change is not statistically significant.")
			}
		} else {
			s += "."
		}
		out = append(out, s)
	}

	// Best and worst elements.
	best, worst := -1, -1
	for i, e := range y.National.Elements {
		if math.IsNaN(e.Estimate) {
			continue
		}
		if best < 0 || e.Estimate > y.National.Elements[best].Estimate {
			best = i
		}
		if worst < 0 || e.Estimate < y.National.Elements[worst].Estimate {
			worst = i
		}
	}
	if best >= 0 && best != worst {
		q := d.Questionnaire
		b, w := y.National.Elements[best], y.National.Elements[worst]
		out = append(out, l.pick("Yếu tố được đánh giá cao nhất là “"+l.indexLabel(q, b.Kind, b.ID)+"” ("+l.pct(b.Estimate)+"%), thấp nhất là “"+
			l.indexLabel(q, w.Kind, w.ID)+"” ("+l.pct(w.Estimate)+"%).",
			"The best rated element is “"+l.indexLabel(q, b.Kind, b.ID)+"” ("+l.pct(b.Estimate)+"%), the worst “"+
				l.indexLabel(q, w.Kind, w.ID)+"” ("+l.pct(w.Estimate)+"%)."))
	}

	// First and last domains (y.Domains are in rank order).
	var ranked []Domain
	for _, dm := range y.Domains {
		if !math.IsNaN(dm.SIPAS.Estimate) {
			ranked = append(ranked, dm)
		}
	}
	unit := l.pick("đơn vị", "domains")
	if d.By == "" || d.By == "province" {
		unit = l.pick("tỉnh, thành phố", "provinces")
	}
	if n := len(ranked); n > 1 {
		// The highest and lowest estimates: a domain left out of the
		// ranking (its SE undefined, in one PSU) comes after the ranked
		// ones, so the order's ends need not be them.
		f, z := ranked[0], ranked[n-1]
		for _, dm := range ranked {
			if dm.SIPAS.Estimate > f.SIPAS.Estimate {
				f = dm
			}
			if dm.SIPAS.Estimate < z.SIPAS.Estimate {
				z = dm
			}
		}
		out = append(out, l.pick("Trong "+l.count(n)+" "+unit+", cao nhất là "+f.Name+" ("+l.pct(f.SIPAS.Estimate)+"%), thấp nhất là "+z.Name+" ("+l.pct(z.SIPAS.Estimate)+"%).",
			"Of "+l.count(n)+" "+unit+", the highest is "+f.Name+" ("+l.pct(f.SIPAS.Estimate)+"%), the lowest "+z.Name+" ("+l.pct(z.SIPAS.Estimate)+"%)."))
	}

	// Domains that rose or fell significantly against their previous year.
	if d.Compare != nil && len(d.Years) > 1 && len(ranked) > 0 {
		var up, down []string
		prev := 0
		for _, dm := range y.Domains {
			t := dm.SIPAS.Trend
			if t == nil || t.SignificantPrev == nil || !*t.SignificantPrev || math.IsNaN(t.ChangePrev) {
				continue
			}
			prev = t.PrevYear
			item := dm.Name + " (" + l.signedChange(t.ChangePrev) + ")"
			if t.ChangePrev > 0 {
				up = append(up, item)
			} else {
				down = append(down, item)
			}
		}
		corr := adjustPhrase(l, d.Compare.Adjust)
		if prev == 0 {
			prev = d.Years[len(d.Years)-2].Year
		}
		p := strconv.Itoa(prev)
		switch {
		case len(up) == 0 && len(down) == 0:
			out = append(out, l.pick("Không "+unit+" nào có chỉ số SIPAS thay đổi có ý nghĩa thống kê so với năm "+p+" ("+corr+").",
				"No "+strings.TrimSuffix(unit, "s")+"'s SIPAS changed significantly on "+p+" ("+corr+")."))
		default:
			var parts []string
			if len(up) > 0 {
				parts = append(parts, l.pick(l.count(len(up))+" "+unit+" tăng: "+listNames(l, up), l.count(len(up))+" rose: "+listNames(l, up)))
			}
			if len(down) > 0 {
				parts = append(parts, l.pick(l.count(len(down))+" "+unit+" giảm: "+listNames(l, down), l.count(len(down))+" fell: "+listNames(l, down)))
			}
			out = append(out, l.pick("So với năm "+p+", chỉ số SIPAS thay đổi có ý nghĩa thống kê ("+corr+") ở "+strings.Join(parts, "; ")+".",
				"Against "+p+", the SIPAS of "+unit+" changed significantly ("+corr+"): "+strings.Join(parts, "; ")+"."))
		}
	}
	return out
}

// changeWords says a change of the national SIPAS in words: "tăng 1,3
// điểm phần trăm", "up 1.3 percentage points", "không đổi".
func changeWords(l Lang, x float64) string {
	v := l.pct(math.Abs(x))
	switch {
	case strings.Trim(v, "0.,") == "":
		return l.pick("không đổi", "unchanged")
	case x > 0:
		return l.pick("tăng "+v+" điểm phần trăm", "up "+v+" percentage points")
	}
	return l.pick("giảm "+v+" điểm phần trăm", "down "+v+" percentage points")
}

// signedChange writes a change with its sign: +4,1, −2,0.
func (l Lang) signedChange(x float64) string {
	if x > 0 {
		return "+" + l.pct(x)
	}
	return l.signed(x)
}

// listNames joins at most 5 names, then "and N others".
func listNames(l Lang, names []string) string {
	const most = 5
	if len(names) <= most {
		return strings.Join(names, ", ")
	}
	rest := len(names) - most
	return strings.Join(names[:most], ", ") + l.pick(" và "+l.count(rest)+" đơn vị khác", " and "+l.count(rest)+" others")
}

// adjustPhrase names the multiple-comparison correction.
func adjustPhrase(l Lang, a rank.Adjustment) string {
	switch a {
	case rank.AdjustHolm:
		return l.pick("sau hiệu chỉnh Holm cho so sánh bội giữa các đơn vị", "after Holm's correction for multiple comparisons across domains")
	case rank.AdjustBH:
		return l.pick("sau hiệu chỉnh Benjamini–Hochberg (kiểm soát tỷ lệ phát hiện sai) giữa các đơn vị", "after the Benjamini–Hochberg correction (false discovery rate) across domains")
	}
	return l.pick("không hiệu chỉnh cho so sánh bội", "without a correction for multiple comparisons")
}
