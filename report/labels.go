package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/index/ballot"
	"github.com/sipas-go/sipas/internal/vnmap"
)

// Lang is a report language.
type Lang string

// The report languages: Vietnamese (the default) and English.
const (
	LangVI Lang = "vi"
	LangEN Lang = "en"
)

// count writes n with the language's thousands separator: 31.581 in
// Vietnamese, 31,581 in English.
func (l Lang) count(n int) string {
	return l.group(strconv.Itoa(n))
}

// dec writes x with d decimals in the language's convention: 12,6 in
// Vietnamese (decimal comma, dot thousands), 12.6 in English; "–" for NaN.
func (l Lang) dec(x float64, d int) string {
	if math.IsNaN(x) {
		return "–"
	}
	s := strconv.FormatFloat(x, 'f', d, 64)
	whole, frac, _ := strings.Cut(s, ".")
	s = l.group(whole)
	if frac == "" {
		return s
	}
	if l == LangEN {
		return s + "." + frac
	}
	return s + "," + frac
}

// group inserts the thousands separator into the digits of s (a sign may
// lead).
func (l Lang) group(s string) string {
	sep := "."
	if l == LangEN {
		sep = ","
	}
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + sep + s[i:]
	}
	return sign + s
}

// ParseLang reads "vi" or "en" ("" means vi).
func ParseLang(s string) (Lang, error) {
	switch s {
	case "", "vi":
		return LangVI, nil
	case "en":
		return LangEN, nil
	}
	return "", fmt.Errorf("report: language %q is not one of vi, en", s)
}

type msg struct{ vi, en string }

var messages = map[string]msg{
	"title":                     {"Chỉ số hài lòng về sự phục vụ hành chính (SIPAS)", "Satisfaction Index of Public Administrative Services (SIPAS)"},
	"sipas":                     {"SIPAS", "SIPAS"},
	"national":                  {"Cả nước", "Nation"},
	"sec.national":              {"Chỉ số SIPAS toàn quốc", "National SIPAS"},
	"sec.elements":              {"Năm yếu tố", "The five elements"},
	"sec.ranking":               {"Xếp hạng", "Ranking"},
	"sec.heatmap":               {"Chỉ số theo yếu tố", "Indices by element"},
	"sec.radar":                 {"So sánh với cả nước", "Compared with the nation"},
	"sec.trend":                 {"Xu hướng qua các năm", "Trend across years"},
	"sec.changes":               {"Thay đổi có ý nghĩa thống kê", "Significant changes"},
	"sec.expect":                {"Mong đợi cải thiện", "Expectations for improvement"},
	"sec.fieldwork":             {"Phúc tra phát, thu phiếu và sàng lọc phiếu", "Fieldwork check: back-check and ballot screening"},
	"fw.note":                   {"Sàng lọc chỉ gợi ý nơi cần phúc tra; phiếu chỉ bị loại khi phúc tra xác nhận người được khảo sát không tự trả lời. Phiếu gần trùng: tỷ lệ trùng khớp tối đa với một phiếu khác ≥ max(85%, ngưỡng tham chiếu giữa các điều tra viên); điều tra viên có rủi ro: ít nhất hai chỉ số lệch quá 2 độ lệch chuẩn so với các điều tra viên khác cùng tỉnh.", "Screening only says where to back-check; a ballot is excluded only when the back-check confirms that the respondent did not fill it. Near-copies: maximum percent match with another ballot ≥ max(85%, the cross-collector reference); collectors at risk: at least two indicators more than 2 standard deviations from the other collectors of the province."},
	"fw.backchecked":            {"Phiếu được phúc tra", "Ballots back-checked"},
	"fw.targeted":               {"trong đó theo kết quả sàng lọc", "of which targeted by the screening"},
	"fw.covered":                {"Điều tra viên được phúc tra", "Collectors covered"},
	"fw.excluded":               {"Phiếu bị loại do phúc tra xác nhận", "Ballots excluded after the back-check"},
	"fw.errors":                 {"Tỷ lệ sai lệch khi phúc tra theo điều tra viên (câu hỏi không được thay đổi)", "Back-check error rates by collector (questions that must not change)"},
	"fw.at_risk":                {"Điều tra viên có rủi ro cao nhất mỗi tỉnh (sàng lọc)", "Collectors at highest risk in their province (screening)"},
	"fw.screening":              {"Cờ sàng lọc theo tỉnh", "Screening flags by province"},
	"col.collector":             {"Điều tra viên", "Collector"},
	"col.differences":           {"Sai lệch", "Differences"},
	"col.comparisons":           {"So sánh", "Comparisons"},
	"col.error_rate":            {"Tỷ lệ sai lệch", "Error rate"},
	"col.flagged":               {"Cảnh báo", "Flagged"},
	"col.ballots":               {"Phiếu", "Ballots"},
	"col.collectors":            {"Điều tra viên", "Collectors"},
	"col.risk":                  {"Số chỉ số lệch", "Risk"},
	"col.risk_sum":              {"Tổng |z|", "Sum of |z|"},
	"col.match_ref":             {"Ngưỡng tham chiếu", "Match reference"},
	"col.near_copies":           {"Phiếu gần trùng", "Near-copies"},
	"col.straightlined":         {"Phiếu trả lời một mức", "Straight-lined"},
	"col.duplicates":            {"Phiếu trùng hoàn toàn", "Duplicates"},
	"col.at_risk":               {"Điều tra viên có rủi ro", "Collectors at risk"},
	"sec.quality":               {"Chất lượng dữ liệu và tỷ lệ phản hồi", "Data quality and response rates"},
	"sec.methods":               {"Ghi chú phương pháp", "Methods note"},
	"sec.summary":               {"Tóm tắt", "Summary"},
	"sec.criteria":              {"Các tiêu chí", "The criteria"},
	"col.index":                 {"Chỉ số", "Index"},
	"col.estimate":              {"Ước lượng (%)", "Estimate (%)"},
	"col.se":                    {"Sai số chuẩn", "Standard error"},
	"col.ci":                    {"Khoảng tin cậy", "Confidence interval"},
	"col.ci_low":                {"Cận dưới", "Lower bound"},
	"col.ci_high":               {"Cận trên", "Upper bound"},
	"col.n":                     {"Số phiếu", "Ballots"},
	"col.deff":                  {"Hiệu ứng thiết kế", "Design effect"},
	"col.rank":                  {"Hạng", "Rank"},
	"col.rank_ci":               {"Khoảng tin cậy của hạng", "Rank confidence set"},
	"col.rank_low":              {"Khoảng hạng: từ", "Rank set: from"},
	"col.rank_high":             {"Khoảng hạng: đến", "Rank set: to"},
	"col.se_change":             {"Sai số chuẩn của thay đổi", "SE of change"},
	"col.significant":           {"Có ý nghĩa thống kê", "Significant"},
	"col.se_vs_nation":          {"Sai số chuẩn so với cả nước", "SE vs nation"},
	"col.p_vs_nation":           {"p (hiệu chỉnh) so với cả nước", "p (adjusted) vs nation"},
	"col.significant_vs_nation": {"Khác cả nước có ý nghĩa", "Significantly different from the nation"},
	"col.tier":                  {"Nhóm", "Tier"},
	"col.unranked":              {"Lý do không xếp hạng", "Why not ranked"},
	"col.year":                  {"Năm", "Year"},
	"col.change":                {"Thay đổi", "Change"},
	"col.p":                     {"p (hiệu chỉnh)", "p (adjusted)"},
	"col.element":               {"Yếu tố", "Element"},
	"col.criterion":             {"Tiêu chí", "Criterion"},
	"col.expectation":           {"Mong đợi", "Expectation"},
	"col.share":                 {"Tỷ lệ (%)", "Share (%)"},
	"col.class":                 {"Nhóm gia quyền", "Weighting class"},
	"col.issued":                {"Phát ra", "Issued"},
	"col.returned":              {"Thu về", "Returned"},
	"col.valid":                 {"Hợp lệ", "Valid"},
	"col.rr":                    {"Tỷ lệ thu về", "Response rate"},
	"col.vr":                    {"Tỷ lệ hợp lệ/phát ra", "Valid/issued"},
	"col.reason":                {"Lý do loại phiếu", "Reason for exclusion"},
	"col.rows":                  {"Số phiếu", "Ballots"},
	"col.kind":                  {"Loại", "Kind"},
	"col.domain":                {"Đơn vị", "Domain"},
	"col.flag":                  {"Ghi chú", "Flag"},
	"q.rows_in":                 {"Phiếu nhận về", "Ballots received"},
	"q.rows_used":               {"Phiếu sử dụng", "Ballots used"},
	"q.rows_excluded":           {"Phiếu bị loại", "Ballots excluded"},
	"q.issued":                  {"Phiếu phát ra", "Ballots issued"},
	"q.returned":                {"Phiếu thu về", "Ballots returned"},
	"q.none":                    {"Không có thông tin về chất lượng dữ liệu.", "No data quality record."},
	"q.warnings":                {"Cảnh báo về quyền số", "Weighting warnings"},
	"miss.note": {"Việc cắt quyền số đã làm quyền số cuối cùng không còn khớp %s tổng tổng thể mà bước hiệu chỉnh trước đó đã đạt (bảng dưới): ước lượng tổng theo các nhóm này lệch khỏi tổng đã biết. Nên hiệu chỉnh lại sau khi cắt, hoặc giới hạn quyền số ngay trong bước hiệu chỉnh.",
		"Trimming moved the final weights off %s population totals that an earlier calibration had met (table below): estimated totals over these classes no longer match the known totals. Calibrate again after trimming, or bound the weights within the calibration."},
	"miss.step":                              {"Bước hiệu chỉnh", "Calibrating step"},
	"miss.margin":                            {"Biến hiệu chỉnh", "Margin"},
	"miss.class":                             {"Nhóm", "Class"},
	"miss.target":                            {"Tổng mục tiêu", "Target total"},
	"miss.final":                             {"Tổng sau khi cắt", "Final total"},
	"miss.gap":                               {"Chênh lệch", "Gap"},
	"miss.trim":                              {"Bước cắt quyền số", "Trimmed at"},
	"miss.numeric":                           {"(tổng của biến số)", "(numeric total)"},
	"miss.step_n":                            {"bước %d (%s)", "step %d (%s)"},
	"wkind.poststratify":                     {"hậu phân tầng", "post-stratification"},
	"wkind.rake":                             {"cân chỉnh lặp", "raking"},
	"wkind.calibrate":                        {"hiệu chỉnh", "calibration"},
	"wkind.trim":                             {"cắt quyền số", "trimming"},
	"wkind.own_trim":                         {"cắt quyền số trong bước %s", "the trimming within the %s"},
	"up":                                     {"tăng", "up"},
	"down":                                   {"giảm", "down"},
	"above":                                  {"cao hơn", "above"},
	"below":                                  {"thấp hơn", "below"},
	"col.vs_nation":                          {"So với cả nước", "Vs the nation"},
	"sec.strengths":                          {"Điểm mạnh, điểm yếu", "Strengths and weaknesses"},
	"col.strengths":                          {"Điểm mạnh (cao hơn cả nước có ý nghĩa)", "Strengths (significantly above the nation)"},
	"col.weaknesses":                         {"Điểm yếu (thấp hơn cả nước có ý nghĩa)", "Weaknesses (significantly below the nation)"},
	"sw.note":                                {"Tiêu chí và yếu tố khác biệt có ý nghĩa thống kê so với cả nước, hiệu chỉnh Benjamini–Hochberg trong từng đơn vị.", "Criteria and elements significantly different from the nation, Benjamini–Hochberg correction within each domain."},
	"no_changes":                             {"Không có thay đổi nào có ý nghĩa thống kê so với năm trước.", "No change against the previous year is significant."},
	"no_trend":                               {"Chỉ có một năm: chưa có xu hướng.", "One year only: no trend yet."},
	"tier.1":                                 {"Nhóm 1 (cao nhất)", "Tier 1 (top)"},
	"tier.2":                                 {"Nhóm 2", "Tier 2"},
	"tier.3":                                 {"Nhóm 3", "Tier 3"},
	"tier.4":                                 {"Nhóm 4 (thấp nhất)", "Tier 4 (bottom)"},
	"boundary":                               {"biên (0 hoặc 100)", "boundary (0 or 100)"},
	"few_psu":                                {"dưới 2 PSU: không ước lượng được SE", "fewer than 2 PSUs: no SE"},
	"low_psu":                                {"dưới 20 PSU: SE kém ổn định", "under 20 PSUs: unstable SE"},
	"by.province":                            {"Tỉnh, thành phố", "Province"},
	"by.field":                               {"Lĩnh vực", "Field"},
	"by.unit":                                {"Cơ quan", "Unit"},
	"by.level":                               {"Cấp", "Level"},
	"sec.map":                                {"Bản đồ SIPAS theo tỉnh, thành phố", "SIPAS by province (map)"},
	"map.source":                             {vnmap.Source.VI, vnmap.Source.EN},
	"map.changes":                            {vnmap.Changes.VI, vnmap.Changes.EN},
	"map.nodata":                             {"Không có số liệu", "No data"},
	"chart.ci":                               {"Khoảng tin cậy", "Confidence interval"},
	"footer":                                 {"Tạo bởi sipas; biểu đồ: Apache ECharts " + EChartsVersion + " (Giấy phép Apache 2.0), nhúng trong tệp, không cần mạng.", "Made by sipas; charts: Apache ECharts " + EChartsVersion + " (Apache License 2.0), embedded in this file, no network needed."},
	"nojs":                                   {"Biểu đồ cần JavaScript; các bảng vẫn đầy đủ.", "The charts need JavaScript; the tables are complete without it."},
	"reason." + ballot.ReasonMissingID:       {"Thiếu mã phiếu", "Missing ballot id"},
	"reason." + ballot.ReasonDuplicateID:     {"Trùng mã phiếu", "Duplicate ballot id"},
	"reason." + ballot.ReasonBackcheckFailed: {"Phúc tra không đạt", "Failed back-check"},
	"reason." + ballot.ReasonMissingProvince: {"Thiếu tỉnh", "Missing province"},
	"reason." + ballot.ReasonUnknownProvince: {"Tỉnh không xác định", "Unknown province"},
	"reason." + ballot.ReasonInvalidCode:     {"Mã trả lời không hợp lệ", "Invalid answer code"},
	"reason." + ballot.ReasonAllMissing:      {"Không trả lời tiêu chí nào", "No criterion answered"},
}

// text returns the message for key in lang; an unknown key panics (a bug).
func (l Lang) text(key string) string {
	m, ok := messages[key]
	if !ok {
		// Reasons and domain columns not in the table are shown as they are.
		panic("report: no message " + key)
	}
	if l == LangEN {
		return m.en
	}
	return m.vi
}

// textf returns the message for key in lang with its fmt verbs filled
// from args.
func (l Lang) textf(key string, args ...any) string {
	return fmt.Sprintf(l.text(key), args...)
}

// textOr returns the message for key, or def when there is none.
func (l Lang) textOr(key, def string) string {
	if _, ok := messages[key]; !ok {
		return def
	}
	return l.text(key)
}

func (l Lang) label(lb index.Labels, def string) string {
	s := lb.VI
	if l == LangEN {
		s = lb.EN
	}
	if s == "" {
		if lb.VI != "" {
			return lb.VI
		}
		if lb.EN != "" {
			return lb.EN
		}
		return def
	}
	return s
}

// indexLabel is the display label of an index of questionnaire q.
func (l Lang) indexLabel(q *index.Questionnaire, kind, id string) string {
	switch kind {
	case index.KindSIPAS:
		return l.text("sipas")
	case index.KindElement:
		if e, ok := q.Element(id); ok {
			return l.label(e.Label, id)
		}
	case index.KindCriterion:
		for _, c := range q.Criteria {
			if c.Column == id {
				return l.label(c.Label, id)
			}
		}
	case index.KindExpectation:
		for _, x := range q.Expectations {
			if x.Column == id {
				return l.label(x.Label, id)
			}
		}
	}
	return id
}

// addMessages merges the texts of one part of the report into messages; a
// key defined twice panics (a bug).
func addMessages(m map[string]msg) {
	for k, v := range m {
		if _, dup := messages[k]; dup {
			panic("report: message " + k + " defined twice")
		}
		messages[k] = v
	}
}
