package report

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/index"
	"github.com/sipas-go/sipas/index/rank"
	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/sampling"
)

// surveysFixture is the synthetic survey of testdata/index/sipas_small.csv
// (63 provinces of 1997–2024) as two years, with its design.
func surveysFixture(t *testing.T) []Survey {
	t.Helper()
	rec, err := arrowio.ReadAll(filepath.Join("..", "testdata", "index", "sipas_small.csv"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rec.Release)
	d, err := sampling.NewDesign(rec, &sampling.DesignOptions{Weight: "weight", Strata: "stratum", PSU: "psu", FPC: "fpc", Nest: true})
	if err != nil {
		t.Fatal(err)
	}
	return []Survey{{Year: 2021, Design: d, Ballots: rec, Issued: 5000, Returned: 4200}, {Year: 2020, Design: d, Ballots: rec}}
}

// FromSurveys is the sequence index.Trend → index.ProvincesIn →
// index.ImportancePerformanceOf → FromYears: the same page, byte for byte.
func TestFromSurveysIsThePipeline(t *testing.T) {
	surveys := surveysFixture(t)
	topt := index.TrendOptions{Index: index.Options{By: []string{"province"}},
		Compare: index.CompareOptions{Adjust: rank.AdjustHolm, Rank: rank.Options{Draws: 500}}}
	got, err := FromSurveys(context.Background(), surveys, &SurveyOptions{Trend: topt, Title: "T"})
	if err != nil {
		t.Fatal(err)
	}

	var tyears []index.TrendYear
	for _, s := range surveys {
		tyears = append(tyears, index.TrendYear{Year: s.Year, Design: s.Design, Ballots: s.Ballots})
	}
	tr, err := index.Trend(context.Background(), tyears, nil, &topt)
	if err != nil {
		t.Fatal(err)
	}
	var inputs []YearInput
	for _, yr := range tr.Years {
		s := surveys[0]
		if yr.Year == 2020 {
			s = surveys[1]
		}
		b, err := index.ProvincesIn(s.Ballots, "province", yr.Year, topt.Geography, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Release()
		ipa, err := index.ImportancePerformanceOf(context.Background(), s.Design, b, nil, &topt.Index)
		if err != nil {
			t.Fatal(err)
		}
		if len(ipa) == 0 {
			t.Fatal("no importance–performance rows")
		}
		inputs = append(inputs, YearInput{Year: yr.Year, Result: yr.Index, Issued: s.Issued, Returned: s.Returned, IPA: ipa})
	}
	rows := append([]index.TrendRow(nil), tr.Rows...)
	want, err := FromYears(inputs, &BuildOptions{By: "province", Trend: rows, TrendOptions: &topt.Compare, Title: "T"})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := render(t, got, nil), render(t, want, nil); !bytes.Equal(a, b) {
		t.Errorf("FromSurveys page (%d bytes) differs from the pipeline's (%d bytes)", len(a), len(b))
	}
	if len(got.Years) != 2 || got.Years[0].Year != 2020 || len(got.Years[1].National.IPA) == 0 || got.Years[1].Quality == nil {
		t.Errorf("%d years, or no importance–performance or quality in the last", len(got.Years))
	}
}

// A cancelled context stops FromSurveys with its error; no surveys is
// ErrNoYears; two domain columns are an error.
func TestFromSurveysErrors(t *testing.T) {
	surveys := surveysFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := FromSurveys(ctx, surveys, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if _, err := FromSurveys(context.Background(), nil, nil); !errors.Is(err, ErrNoYears) {
		t.Errorf("no surveys: %v", err)
	}
	two := &SurveyOptions{Trend: index.TrendOptions{Index: index.Options{By: []string{"province", "level"}}}}
	if _, err := FromSurveys(context.Background(), surveys, two); err == nil {
		t.Error("two domain columns: no error")
	}
}

// A language that is not vi or en is an error of WriteHTML and WriteDir
// (before anything is written), not a panic.
func TestUnknownLanguage(t *testing.T) {
	d := buildData(t, []string{"A", "B"}, []int{2021})
	opt := &Options{Lang: Lang("fr")}
	var b bytes.Buffer
	if err := WriteHTML(&b, d, opt); !errors.Is(err, ErrLang) || !strings.Contains(err.Error(), `"fr"`) {
		t.Errorf("WriteHTML: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	if err := WriteDir(dir, d, opt); !errors.Is(err, ErrLang) {
		t.Errorf("WriteDir: %v", err)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Error("WriteDir created the directory")
	}
}
