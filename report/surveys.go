package report

import (
	"context"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/index/ballot"
	"github.com/sipas-go/sipas/internal/provinces"
	"github.com/sipas-go/sipas/sampling"
	"github.com/sipas-go/sipas/weighting"
)

// Survey is one year of a survey to report: its design, the ballots the
// design was built on (same rows), and what the year's data-quality
// section shows.
type Survey struct {
	Year    int
	Design  *sampling.Design
	Ballots arrow.RecordBatch
	// Questionnaire of the year; nil means SurveyOptions.Questionnaire.
	Questionnaire *index.Questionnaire
	// Validation, Nonresponse, Weighting, Issued, Returned, Quality and
	// Fieldwork are those of YearInput.
	Validation       *ballot.Validation
	Nonresponse      *weighting.StepResult
	Weighting        *weighting.Spec
	Issued, Returned int
	Quality          *Quality
	Fieldwork        *Fieldwork
}

// SurveyOptions configure FromSurveys; the zero value (or nil) works:
// indices by province in the geography of each year, the defaults of
// index.Trend.
type SurveyOptions struct {
	// Questionnaire of the years that do not give their own; nil means
	// index.DefaultQuestionnaire.
	Questionnaire *index.Questionnaire
	// Trend are the settings of index.Trend. Trend.Index.By names the one
	// domain column of the report (nil means "province"); Geography and
	// Crosswalk are the province geography of the report, Compare the
	// correction of the changes and the rank simulation.
	Trend index.TrendOptions
	// Within, when set, names a second domain column (e.g. "unit") that
	// the province reports break each province down by (Year.Within); only
	// used when the domain column is the province column.
	Within string
	// Title and Alpha are those of BuildOptions.
	Title string
	Alpha float64
}

// FromSurveys builds the report data of one survey per year, the whole
// pipeline of a publication in one call:
//
//  1. index.Trend: each year's indices by the domain column (province names
//     in the report's geography), every domain against the nation, the
//     changes, ranks with confidence sets and tiers;
//  2. index.ImportancePerformanceOf: each year's importance–performance of
//     the criteria by the same domains;
//  3. when the domains are provinces, index.Compute of each year by the
//     socio-economic region of the province (Year.Regions) and, with
//     SurveyOptions.Within, by the province and that column (Year.Within),
//     for the province reports;
//  4. FromYears with the trend rows and the data-quality inputs.
//
// Write the result with WriteDir (or WriteHTML, Tables, Figures). ctx is
// checked between years; a cancelled context returns its error. Errors
// come from the data (a missing column, a geography that cannot be
// mapped) and name the year.
func FromSurveys(ctx context.Context, surveys []Survey, opt *SurveyOptions) (*Data, error) {
	if len(surveys) == 0 {
		return nil, ErrNoYears
	}
	var o SurveyOptions
	if opt != nil {
		o = *opt
	}
	if len(o.Trend.Index.By) == 0 {
		o.Trend.Index.By = []string{"province"}
	}
	if len(o.Trend.Index.By) != 1 {
		return nil, fmt.Errorf("report: one domain column, not %d (%v)", len(o.Trend.Index.By), o.Trend.Index.By)
	}
	provCol := o.Trend.ProvinceColumn
	if provCol == "" {
		provCol = "province"
	}
	tyears := make([]index.TrendYear, len(surveys))
	byYear := make(map[int]*Survey, len(surveys))
	for i := range surveys {
		s := &surveys[i]
		tyears[i] = index.TrendYear{Year: s.Year, Design: s.Design, Ballots: s.Ballots, Questionnaire: s.Questionnaire}
		byYear[s.Year] = s
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	tr, err := index.Trend(ctx, tyears, o.Questionnaire, &o.Trend)
	if err != nil {
		return nil, err
	}
	inputs := make([]YearInput, 0, len(tr.Years))
	for _, yr := range tr.Years {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s := byYear[yr.Year]
		ballots := s.Ballots
		var regions, within *index.Result
		if slices.Contains(o.Trend.Index.By, provCol) {
			// The domains of the importance–performance are those of the
			// trend rows: province names in the report's geography.
			mapped, err := index.ProvincesIn(ballots, provCol, yr.Year, o.Trend.Geography, o.Trend.Crosswalk, o.Trend.Mem)
			if err != nil {
				return nil, fmt.Errorf("year %d: %w", yr.Year, err)
			}
			defer mapped.Release()
			ballots = mapped
			// The regions of the provinces, for the province reports.
			regions, err = regionIndices(ctx, s.Design, ballots, provCol, provinces.Geography(yr.Geography), yr.Index.Questionnaire, o.Trend.Index)
			if err != nil {
				return nil, fmt.Errorf("year %d: %w", yr.Year, err)
			}
			if o.Within != "" {
				wopt := o.Trend.Index
				wopt.By, wopt.VsNation, wopt.NoExpectations = []string{provCol, o.Within}, false, true
				within, err = index.Compute(ctx, s.Design, ballots, yr.Index.Questionnaire, &wopt)
				if err != nil {
					return nil, fmt.Errorf("year %d: %w", yr.Year, err)
				}
			}
		}
		ipa, err := index.ImportancePerformanceOf(ctx, s.Design, ballots, yr.Index.Questionnaire, &o.Trend.Index)
		if err != nil {
			return nil, fmt.Errorf("year %d: %w", yr.Year, err)
		}
		inputs = append(inputs, YearInput{Year: yr.Year, Result: yr.Index, Validation: s.Validation,
			Nonresponse: s.Nonresponse, Weighting: s.Weighting, Issued: s.Issued, Returned: s.Returned, Quality: s.Quality, IPA: ipa, Fieldwork: s.Fieldwork,
			Regions: regions, Within: within, Geography: yr.Geography})
	}
	return FromYears(inputs, &BuildOptions{By: o.Trend.Index.By[0], Trend: tr.Rows,
		TrendOptions: &o.Trend.Compare, Title: o.Title, Alpha: o.Alpha})
}
