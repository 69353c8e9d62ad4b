package report

import (
	"slices"
	"testing"

	"github.com/sipas-go/sipas/index"
)

// TestVietnameseOrder: lists of provinces follow Vietnamese collation, not
// byte order ("Đ…" sorted last, "Bạc Liêu" after "Bình…" in byte order);
// ranking tables stay in rank order with ties in collation.
func TestVietnameseOrder(t *testing.T) {
	names := []string{"Hà Nội", "Đà Nẵng", "Bình Dương", "Bạc Liêu", "Điện Biên", "Cà Mau", "Gia Lai"}
	want := []string{"Bạc Liêu", "Bình Dương", "Cà Mau", "Đà Nẵng", "Điện Biên", "Gia Lai", "Hà Nội"}
	var ds []Domain
	for i, n := range names {
		ds = append(ds, Domain{Key: n, Name: n, SIPAS: Estimate{Kind: index.KindSIPAS, ID: "sipas", Estimate: float64(90 - i), N: 10}})
	}
	data := &Data{Questionnaire: index.DefaultQuestionnaire(), Years: []Year{{Year: 2024, Domains: ds,
		National: Domain{SIPAS: Estimate{Kind: index.KindSIPAS, ID: "sipas", Estimate: 85, N: 70}}}}}
	est := Tables(data, &Options{Lang: LangEN})[0]
	var got []string
	for _, r := range est.Rows[1:] {
		got = append(got, r[1])
	}
	if !slices.Equal(got, want) {
		t.Errorf("estimates.csv order %v, want %v", got, want)
	}
	// Equal estimates, no ranks: the ranking ties in collation.
	tied := slices.Clone(ds)
	for i := range tied {
		tied[i].SIPAS.Estimate = 80
	}
	sortDomains(tied)
	got = got[:0]
	for _, d := range tied {
		got = append(got, d.Name)
	}
	if !slices.Equal(got, want) {
		t.Errorf("ranking ties %v, want %v", got, want)
	}
}
