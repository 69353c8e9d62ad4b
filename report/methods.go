package report

import (
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/index/rank"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// YearMethods are the settings that made one year's numbers, as the
// methods note tells them. FromYears takes them from the objects that
// computed the numbers — the design and options of the year's
// index.Result, and the weighting that made the design's weights — so the
// note cannot describe settings that were not used.
type YearMethods struct {
	Design DesignMethods
	// Weighting is how the design's weights were made; nil when the
	// design's weights are used as they are (a weight column, the fpc, or
	// none).
	Weighting *WeightingMethods
	// Score, CI, Level and DF are the index.Options that index.Compute
	// used (defaults filled in).
	Score index.Score
	CI    sampling.CIMethod
	Level float64
	DF    sampling.DFRule
}

// DesignMethods describe a sampling.Design: its columns ("" when absent),
// its numbers of strata and PSUs, and its variance method.
type DesignMethods struct {
	Weight, Strata, PSU, FPC string
	// Stages are the unit columns of the sampling stages after the first.
	Stages        []string
	NStrata, NPSU int
	PPS           sampling.PPSMethod
	Variance      sampling.VarianceMethod
	// Replicates is the number of replicate weights (0 under
	// linearization).
	Replicates int
	// Calibrated says that the linearized variances account for a
	// calibration of the weights (sampling.DesignOptions.AdjustInfluence).
	Calibrated bool
}

// WeightingMethods are the weighting steps that made the final weights.
type WeightingMethods struct {
	// DesignWeight is the column of the starting weights; "" when not
	// known (or every row weighs 1 before the steps).
	DesignWeight string
	Steps        []WeightingStep
}

// WeightingStep is one weighting step: its kind (weighting.Step.Kind) and
// its classes or margins, each as its columns joined by "*" (a numeric
// calibration variable as its column).
type WeightingStep struct {
	Kind    string
	Margins []string
}

// CompareMethods are the settings of the comparison of the domains and
// years (index.CompareYears): the multiple-comparison correction across the
// domains of one index and year, and the level after it.
type CompareMethods struct {
	Adjust rank.Adjustment
	Alpha  float64
}

// designMethods describes d.
func designMethods(d *sampling.Design) DesignMethods {
	s := d.Spec()
	m := DesignMethods{Weight: s.Weight, Strata: s.Strata, PSU: s.PSU, FPC: s.FPC, NStrata: d.NStrata(), NPSU: d.NPSU(),
		PPS: s.PPS, Variance: s.Variance, Replicates: d.Replicates(), Calibrated: s.AdjustInfluence != nil && s.Variance == sampling.Linearization}
	for _, st := range s.Stages {
		m.Stages = append(m.Stages, st.Unit)
	}
	return m
}

// yearMethods are the settings of a year's result; nil when the result was
// not made by index.Compute (it records no design).
func yearMethods(y YearInput) *YearMethods {
	r := y.Result
	if r.Design == nil {
		return nil
	}
	m := &YearMethods{Design: designMethods(r.Design), Score: r.Options.Score, CI: r.Options.CI,
		Level: r.Options.Level, DF: r.Options.DF}
	switch {
	case y.Weighting != nil:
		m.Weighting = &WeightingMethods{DesignWeight: y.Weighting.DesignWeight}
		for _, st := range y.Weighting.Steps {
			m.Weighting.Steps = append(m.Weighting.Steps, WeightingStep{Kind: st.Kind(), Margins: specMargins(st)})
		}
	case y.Nonresponse != nil:
		m.Weighting = &WeightingMethods{Steps: []WeightingStep{stepOf(y.Nonresponse)}}
	}
	return m
}

// specMargins are the classes or margins of a weighting step.
func specMargins(st weighting.Step) []string {
	join := func(ms ...weighting.MarginSpec) []string {
		var out []string
		for _, m := range ms {
			out = append(out, strings.Join(m.By, "*"))
		}
		return out
	}
	switch {
	case st.Nonresponse != nil:
		return []string{strings.Join(st.Nonresponse.Classes, "*")}
	case st.PostStratify != nil:
		return join(st.PostStratify.MarginSpec)
	case st.Rake != nil:
		return join(st.Rake.Margins...)
	case st.Calibrate != nil:
		return append(join(st.Calibrate.Margins...), slices.Sorted(maps.Keys(st.Calibrate.Numeric))...)
	}
	return nil
}

// stepOf is the step of a weighting step's result: its kind and the
// margins of its cells, in their order.
func stepOf(r *weighting.StepResult) WeightingStep {
	s := WeightingStep{Kind: r.Kind}
	for _, c := range r.Cells {
		if c.Margin != "" && !slices.Contains(s.Margins, c.Margin) {
			s.Margins = append(s.Margins, c.Margin)
		}
	}
	return s
}

// MethodsNote is the methods note of the report in lang, one paragraph a
// string: how the indices are defined, the design and the weights of each
// year, the standard errors and intervals, their degrees of freedom, and
// the ranking and the test of changes with the correction used. Every
// sentence comes from the settings recorded in d (Year.Methods,
// Data.Compare); a setting that is not known is not described.
func (d *Data) MethodsNote(lang Lang) []string {
	return lang.methodsNote(d)
}

func (l Lang) methodsNote(d *Data) []string {
	y := d.Latest()
	var m *YearMethods
	if y != nil {
		m = y.Methods
	}
	weighted := m == nil || m.weighted()
	score := index.ScoreShare
	if m != nil {
		score = m.Score
	}
	out := []string{l.indexMethod(d.Questionnaire, score, weighted)}
	out = append(out, l.designNotes(d)...)
	if m != nil {
		out = append(out, l.seNote(m))
		if s := l.dfNote(m, dfNote(d)); s != "" {
			out = append(out, s)
		}
	}
	if y != nil && len(y.Domains) > 0 {
		out = append(out, l.rankNote(d))
	}
	return out
}

// weighted says whether the estimates use weights other than 1.
func (m *YearMethods) weighted() bool {
	return m.Weighting != nil || m.Design.Weight != "" || m.Design.FPC != "" || m.Design.PPS != sampling.PPSNone
}

// pick is vi or en by the language.
func (l Lang) pick(vi, en string) string {
	if l == LangEN {
		return en
	}
	return vi
}

// quoted writes column names as data: “province”, “level”.
func quoted(cols ...string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = "“" + strings.ReplaceAll(c, "*", "” × “") + "”"
	}
	return strings.Join(q, ", ")
}

// designNotes are the sentences on the design and the weights, one per
// group of consecutive years with the same ones (prefixed by the years
// when the years differ).
func (l Lang) designNotes(d *Data) []string {
	type group struct {
		first, last int
		text        string
	}
	var gs []group
	for _, y := range d.Years {
		if y.Methods == nil {
			continue
		}
		t := l.designSentence(&y.Methods.Design) + " " + l.weightSentence(y.Methods)
		if n := len(gs); n > 0 && gs[n-1].text == t {
			gs[n-1].last = y.Year
			continue
		}
		gs = append(gs, group{y.Year, y.Year, t})
	}
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.text
		if len(gs) > 1 {
			years := strconv.Itoa(g.first)
			if g.last != g.first {
				years += "–" + strconv.Itoa(g.last)
			}
			out[i] = l.pick("Năm ", "In ") + years + ": " + lowerFirst(g.text)
		}
	}
	return out
}

// upperFirst and lowerFirst change the case of the first letter of s.
func upperFirst(s string) string { return firstCase(s, strings.ToUpper) }
func lowerFirst(s string) string { return firstCase(s, strings.ToLower) }

func firstCase(s string, to func(string) string) string {
	for i, r := range s {
		return to(string(r)) + s[i+len(string(r)):]
	}
	return s
}

// designSentence describes the sample design.
func (l Lang) designSentence(m *DesignMethods) string {
	if m.Strata == "" && m.PSU == "" && len(m.Stages) == 0 {
		if m.FPC != "" {
			return l.pick("Thiết kế mẫu: mẫu ngẫu nhiên đơn giản không hoàn lại, mỗi phiếu là một đơn vị mẫu, có hiệu chỉnh tổng thể hữu hạn (cột "+quoted(m.FPC)+").",
				"Design: simple random sampling without replacement, each ballot its own sampling unit, with a finite population correction (column "+quoted(m.FPC)+").")
		}
		return l.pick("Thiết kế mẫu: không phân tầng, mỗi phiếu là một đơn vị mẫu độc lập.",
			"Design: no strata, each ballot an independent sampling unit.")
	}
	var parts []string
	if m.Strata != "" {
		parts = append(parts, l.pick("phân tầng theo cột "+quoted(m.Strata)+" ("+l.count(m.NStrata)+" tầng)",
			"stratified by the column "+quoted(m.Strata)+" ("+l.count(m.NStrata)+" strata)"))
	}
	if m.PSU != "" {
		parts = append(parts, l.pick("đơn vị mẫu cấp 1 theo cột "+quoted(m.PSU)+" ("+l.count(m.NPSU)+" đơn vị)",
			"primary sampling units from the column "+quoted(m.PSU)+" ("+l.count(m.NPSU)+" units)"))
	} else {
		parts = append(parts, l.pick("mỗi phiếu là một đơn vị mẫu cấp 1", "each ballot its own primary sampling unit"))
	}
	if m.PPS != sampling.PPSNone {
		parts = append(parts, l.pick("cấp 1 chọn với xác suất tỷ lệ với quy mô, không hoàn lại",
			"first stage drawn with probability proportional to size, without replacement"))
	}
	if len(m.Stages) > 0 {
		parts = append(parts, l.pick("các cấp chọn mẫu tiếp theo theo cột "+quoted(m.Stages...),
			"later sampling stages from the columns "+quoted(m.Stages...)))
	}
	if m.FPC != "" {
		parts = append(parts, l.pick("có hiệu chỉnh tổng thể hữu hạn (cột "+quoted(m.FPC)+")",
			"with a finite population correction (column "+quoted(m.FPC)+")"))
	}
	return l.pick("Thiết kế mẫu: ", "Design: ") + strings.Join(parts, "; ") + "."
}

// weightSentence says which weights the estimates use.
func (l Lang) weightSentence(m *YearMethods) string {
	d := &m.Design
	if w := m.Weighting; w != nil {
		start := l.pick("quyền số thiết kế", "the design weights")
		if w.DesignWeight != "" {
			start += l.pick(" (cột "+quoted(w.DesignWeight)+")", " (column "+quoted(w.DesignWeight)+")")
		}
		steps := make([]string, 0, len(w.Steps))
		for _, s := range w.Steps {
			steps = append(steps, l.stepText(s))
		}
		var s string
		if len(steps) == 0 {
			s = l.pick("Ước lượng có gia quyền theo ", "Estimates use ") + start + l.pick(", không điều chỉnh thêm.", ", not adjusted.")
		} else {
			s = l.pick("Ước lượng có gia quyền theo quyền số cuối cùng: ", "Estimates use the final weights: ") + start + ", " +
				strings.Join(steps, l.pick(", rồi ", ", then ")) + "."
		}
		calibrated := false
		for _, st := range w.Steps {
			calibrated = calibrated || st.Kind == "poststratify" || st.Kind == "rake" || st.Kind == "calibrate"
		}
		if d.Calibrated && calibrated {
			s += l.pick(" Sai số chuẩn có tính đến việc hiệu chỉnh quyền số theo tổng tổng thể đã biết.",
				" The standard errors account for the calibration of the weights to known population totals.")
		} else if d.Replicates > 0 && d.Variance == sampling.SuppliedReplicates && len(steps) > 0 {
			s += l.pick(" Các bước điều chỉnh được làm lại trên từng bộ trọng số lặp, nên sai số chuẩn có tính đến chúng.",
				" Every step is repeated on every replicate, so the standard errors account for them.")
		}
		return s
	}
	switch {
	case d.Weight != "":
		return l.pick("Ước lượng có gia quyền theo quyền số trong cột "+quoted(d.Weight)+".",
			"Estimates are weighted by the column "+quoted(d.Weight)+".")
	case d.FPC != "" || d.PPS != sampling.PPSNone:
		return l.pick("Ước lượng có gia quyền, quyền số là nghịch đảo của xác suất chọn suy từ hiệu chỉnh tổng thể hữu hạn.",
			"Estimates are weighted by the inverse of the selection probabilities implied by the finite population correction.")
	}
	return l.pick("Ước lượng không gia quyền: mỗi phiếu được tính một lần.",
		"Estimates are unweighted: each ballot counts once.")
}

// stepText describes one weighting step.
func (l Lang) stepText(s WeightingStep) string {
	by := quoted(s.Margins...)
	switch s.Kind {
	case "nonresponse":
		if by == "" {
			return l.pick("điều chỉnh cho phiếu không thu về hoặc không hợp lệ", "adjusted for nonresponse")
		}
		return l.pick("điều chỉnh cho phiếu không thu về hoặc không hợp lệ trong từng nhóm theo "+by,
			"adjusted for nonresponse within the classes of "+by)
	case "poststratify":
		return l.pick("hậu phân tầng theo tổng tổng thể của "+by, "post-stratified to the population totals of "+by)
	case "rake":
		return l.pick("cân chỉnh lặp theo các tổng biên của "+by, "raked to the population margins of "+by)
	case "calibrate":
		return l.pick("hiệu chỉnh theo tổng tổng thể đã biết của "+by, "calibrated to the known population totals of "+by)
	case "trim":
		return l.pick("cắt bớt các quyền số quá lớn hoặc quá nhỏ", "trimmed of extreme weights")
	}
	return s.Kind
}

// seNote is the sentence on the standard errors and the intervals.
func (l Lang) seNote(m *YearMethods) string {
	d := &m.Design
	reps := l.count(d.Replicates)
	var how string
	switch d.Variance {
	case sampling.Linearization:
		how = l.pick("phương pháp tuyến tính hoá Taylor", "Taylor linearization")
	case sampling.JK1:
		how = l.pick("phương pháp jackknife bỏ từng đơn vị mẫu cấp 1 ("+reps+" bộ trọng số lặp)", "the delete-one jackknife ("+reps+" replicates)")
	case sampling.JKn:
		how = l.pick("phương pháp jackknife phân tầng ("+reps+" bộ trọng số lặp)", "the stratified jackknife ("+reps+" replicates)")
	case sampling.Bootstrap:
		how = l.pick("phương pháp bootstrap Canty–Davison ("+reps+" bộ trọng số lặp)", "the Canty–Davison bootstrap ("+reps+" replicates)")
	case sampling.SubBootstrap:
		how = l.pick("phương pháp bootstrap Rao–Wu ("+reps+" bộ trọng số lặp)", "the Rao–Wu bootstrap ("+reps+" replicates)")
	case sampling.BRR:
		how = l.pick("phương pháp lặp cân bằng BRR ("+reps+" bộ trọng số lặp)", "balanced repeated replication ("+reps+" replicates)")
	case sampling.Fay:
		how = l.pick("phương pháp lặp cân bằng của Fay ("+reps+" bộ trọng số lặp)", "Fay's balanced repeated replication ("+reps+" replicates)")
	default:
		how = l.pick("các bộ trọng số lặp ("+reps+" bộ)", "replicate weights ("+reps+" replicates)")
	}
	var ci string
	switch m.CI {
	case sampling.Wald:
		ci = l.pick("đối xứng quanh ước lượng (Wald)", "symmetric about the estimate (Wald)")
	case sampling.Beta:
		ci = l.pick("theo phân phối beta (Korn–Graubard)", "from the beta distribution (Korn–Graubard)")
	case sampling.Asin:
		ci = l.pick("tính trên thang arcsin căn bậc hai rồi đổi về phần trăm", "computed on the arcsine square-root scale")
	case sampling.Wilson:
		ci = l.pick("theo phương pháp điểm số Wilson với cỡ mẫu hiệu dụng", "Wilson score intervals with the effective sample size")
	default: // logit, xlogit
		ci = l.pick("tính trên thang logit rồi đổi về phần trăm, nên luôn nằm trong khoảng 0–100", "computed on the logit scale, so they stay within 0–100")
	}
	level := l.dec(100*m.Level, levelDecimals(m.Level)) + "%"
	return l.pick("Sai số chuẩn tính theo thiết kế mẫu bằng "+how+"; khoảng tin cậy "+level+" "+ci+". Số phiếu là số phiếu trả lời của mỗi ước lượng; hiệu ứng thiết kế là tỷ số giữa phương sai theo thiết kế và phương sai của mẫu ngẫu nhiên đơn giản cùng cỡ.",
		"Standard errors are design-based, by "+how+"; the "+level+" confidence intervals are "+ci+". Ballots are the answers behind each estimate; the design effect is the design-based variance over that of a simple random sample of the same size.")
}

// levelDecimals is 0 for a whole percent level (95%), else 1 (97.5%).
func levelDecimals(level float64) int {
	if math.Abs(100*level-math.Round(100*level)) < 1e-9 {
		return 0
	}
	return 1
}

// dfNote is the sentence on the degrees of freedom of the intervals.
func (l Lang) dfNote(m *YearMethods, df dfSummary) string {
	what := l.pick("số đơn vị mẫu cấp 1 trừ số tầng", "PSUs minus strata")
	if m.Design.Replicates > 0 {
		what = l.pick("theo các bộ trọng số lặp", "from the replicate weights")
	}
	switch {
	case m.DF == sampling.DFNormal:
		return l.pick("Khoảng tin cậy dùng phân phối chuẩn.", "Intervals use the normal distribution.")
	case m.DF == sampling.DFDomain && df.domains > 0:
		rangeVI, rangeEN := "từ "+l.count(df.min)+" đến "+l.count(df.max), "from "+l.count(df.min)+" to "+l.count(df.max)
		if df.min == df.max {
			rangeVI, rangeEN = "đều là "+l.count(df.min), l.count(df.min)
		}
		ownVI, ownEN := "số đơn vị mẫu cấp 1 trừ số tầng có phiếu của đơn vị", "its PSUs minus its strata"
		if m.Design.Replicates > 0 {
			ownVI, ownEN = "hạng của các bộ trọng số lặp trên phiếu của đơn vị trừ 1", "the rank of its rows' replicate weights minus 1"
		}
		return l.pick("Khoảng tin cậy của mỗi đơn vị dùng phân phối t với bậc tự do của chính đơn vị đó ("+ownVI+"): "+
			rangeVI+"; khoảng tin cậy toàn quốc dùng "+l.count(df.design)+" bậc tự do của thiết kế.",
			"Each domain's intervals use t on its own degrees of freedom ("+ownEN+"): "+
				rangeEN+" here; the national ones use the design's "+l.count(df.design)+".")
	case df.design > 0:
		s := l.pick("Khoảng tin cậy dùng phân phối t với "+l.count(df.design)+" bậc tự do của thiết kế ("+what+")",
			"Intervals use t on the design's "+l.count(df.design)+" degrees of freedom ("+what+")")
		if df.domains > 0 {
			s += l.pick(", cho cả các đơn vị; đơn vị có ít đơn vị mẫu cấp 1 nên dùng bậc tự do riêng của đơn vị.",
				", for the domains too; a domain with few PSUs is better served by its own degrees of freedom.")
		} else {
			s += "."
		}
		return s
	}
	return ""
}

// rankNote is the sentence on the ranking and the test of changes.
func (l Lang) rankNote(d *Data) string {
	by := l.byLabel(d)
	if _, ok := messages["by."+d.By]; ok || d.By == "" {
		by = strings.ToLower(by)
	} else {
		by = quoted(by)
	}
	c := d.Compare
	if c == nil {
		return l.pick("Các đơn vị ("+by+") được sắp theo ước lượng SIPAS; thứ hạng và thay đổi giữa các năm không được kiểm định thống kê.",
			"Domains ("+by+") are listed by their SIPAS estimate; their ranks and changes were not tested.")
	}
	alpha := c.Alpha
	if alpha == 0 {
		alpha = 0.05
	}
	a := l.dec(100*alpha, levelDecimals(alpha)) + "%"
	adj := adjustPhrase(l, c.Adjust)
	vsNation := false
	for _, dm := range d.Latest().Domains {
		vsNation = vsNation || dm.SIPAS.Trend != nil && dm.SIPAS.Trend.SignificantVsNation != nil
	}
	var tests []string
	if len(d.Years) > 1 {
		tests = append(tests, l.pick("thay đổi giữa các năm được kiểm định như hai mẫu độc lập", "changes between years are tested as independent samples"))
	}
	if vsNation {
		tests = append(tests, l.pick("chênh lệch với cả nước được kiểm định theo thiết kế mẫu", "differences from the nation are tested under the design"))
	}
	s := l.pick("Các đơn vị ("+by+") được xếp hạng theo chỉ số SIPAS; khoảng tin cậy của hạng (Mogstad, Romano, Shaikh và Wilhelm, 2024) cho biết những hạng mà dữ liệu không loại trừ được; nhóm là tứ phân vị của hạng.",
		"Domains ("+by+") are ranked by their SIPAS index; the rank confidence set (Mogstad, Romano, Shaikh and Wilhelm, 2024) says which ranks the data cannot exclude; tiers are quartiles of the rank.")
	if len(tests) == 0 {
		return s
	}
	return s + " " + upperFirst(strings.Join(tests, ", ")) + l.pick("; kết quả có ý nghĩa thống kê khi p < "+a+" "+adj+".", "; a result is significant when p < "+a+" "+adj+".")
}

// dfSummary is what the methods note says of the degrees of freedom: the
// design's (of the latest year) and the range over the latest year's
// domains of the SIPAS rows' df.
type dfSummary struct {
	design, min, max, domains int
}

func dfNote(data *Data) dfSummary {
	y := data.Latest()
	if y == nil {
		return dfSummary{}
	}
	s := dfSummary{design: y.DF}
	for _, d := range y.Domains {
		df := d.SIPAS.DF
		if s.domains == 0 || df < s.min {
			s.min = df
		}
		if s.domains == 0 || df > s.max {
			s.max = df
		}
		s.domains++
	}
	return s
}

// indexMethod is the methods sentence on the indices of questionnaire q:
// its satisfied codes (or the rescaled mean score), whether answers are
// weighted, and whether elements and SIPAS are plain or weighted means
// (equal weights or not).
func (l Lang) indexMethod(q *index.Questionnaire, score index.Score, weighted bool) string {
	if q == nil {
		q = index.DefaultQuestionnaire()
	}
	codes := make([]string, len(q.Satisfied))
	for i, c := range q.Satisfied {
		codes[i] = strconv.Itoa(c)
	}
	and := l.pick(" và ", " and ")
	joined := strings.Join(codes, ", ")
	if n := len(codes); n > 1 {
		joined = strings.Join(codes[:n-1], ", ") + and + codes[n-1]
	}
	mean := func(equal bool) string {
		if equal {
			return l.pick("trung bình", "mean")
		}
		return l.pick("trung bình có trọng số", "weighted mean")
	}
	critEqual := true
	for _, e := range q.Elements {
		var w []float64
		for _, c := range q.Criteria {
			if c.Element == e.ID {
				w = append(w, c.Weight)
			}
		}
		for _, x := range w {
			critEqual = critEqual && math.Abs(x-w[0]) <= 1e-12
		}
	}
	elemEqual := true
	for _, e := range q.Elements {
		elemEqual = elemEqual && math.Abs(e.Weight-q.Elements[0].Weight) <= 1e-12
	}
	var crit string
	switch {
	case score == index.ScoreMean:
		lo, hi := strconv.Itoa(q.Scale.Min), strconv.Itoa(q.Scale.Max)
		crit = l.pick("Chỉ số tiêu chí: điểm trả lời trung bình"+map[bool]string{true: " có gia quyền", false: ""}[weighted]+" quy về thang 0–100 (mức "+lo+" là 0, mức "+hi+" là 100)",
			"Criterion index: the "+map[bool]string{true: "weighted ", false: ""}[weighted]+"mean answer rescaled to 0–100 (code "+lo+" is 0, code "+hi+" is 100)")
	case weighted:
		crit = l.pick("Chỉ số tiêu chí: tỷ lệ phần trăm có gia quyền của câu trả lời hài lòng (mức "+joined+") trong các câu trả lời hợp lệ (P_c = 100·Σw·s/Σw·v)",
			"Criterion index: the weighted share of satisfied answers (codes "+joined+") among the valid answers, in percent (P_c = 100·Σw·s/Σw·v)")
	default:
		crit = l.pick("Chỉ số tiêu chí: tỷ lệ phần trăm câu trả lời hài lòng (mức "+joined+") trong các câu trả lời hợp lệ",
			"Criterion index: the share of satisfied answers (codes "+joined+") among the valid answers, in percent")
	}
	return crit + l.pick("; chỉ số yếu tố: "+mean(critEqual)+" các tiêu chí của yếu tố; SIPAS: "+mean(elemEqual)+" "+strconv.Itoa(len(q.Elements))+" yếu tố.",
		"; element index: the "+mean(critEqual)+" of its criteria; SIPAS: the "+mean(elemEqual)+" of the "+strconv.Itoa(len(q.Elements))+" elements.")
}
