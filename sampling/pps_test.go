package sampling

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/internal/arrowio"
	"github.com/sipas-go/sipas/internal/golden"
)

// ppsJoint reads testdata/pps/election_joint.csv (psu_a, psu_b, pi).
func ppsJoint(t testing.TB) *JointProb {
	t.Helper()
	m := map[[2]string]float64{}
	for _, r := range golden.Rows(t, filepath.Join("..", "testdata", "pps", "election_joint.csv")) {
		m[[2]string{r["psu_a"], r["psu_b"]}] = golden.Float(t, r["pi"])
	}
	return &JointProb{Pi: func(a, b string) (float64, bool) {
		v, ok := m[[2]string{a, b}]
		return v, ok
	}}
}

func ppsDesigns(t testing.TB) map[string]struct {
	data string
	spec DesignOptions
} {
	return map[string]struct {
		data string
		spec DesignOptions
	}{
		"el_brewer":    {"election", DesignOptions{Weight: "w", FPC: "p", PPS: PPSBrewer}},
		"el_overton":   {"election", DesignOptions{Weight: "w", FPC: "p", PPS: PPSOverton}},
		"el_ht":        {"election", DesignOptions{Weight: "w", PSU: "County", PPS: PPSJoint, JointProb: ppsJoint(t)}},
		"clus_brewer":  {"clus", DesignOptions{Weight: "w", Strata: "str", PSU: "dnum", FPC: "pi", PPS: PPSBrewer}},
		"clus_overton": {"clus", DesignOptions{Weight: "w", Strata: "str", PSU: "dnum", FPC: "pi", PPS: PPSOverton}},
	}
}

// TestPPSR compares means, totals and ratios with R survey 4.1 under
// pps = "brewer", "overton" and ppsmat (testdata/pps.R) at 1e-9. An Overton
// variance can be negative (the total of the size variable): R's NaN SE.
func TestPPSR(t *testing.T) {
	rows := golden.Rows(t, filepath.Join("..", "testdata", "pps", "goldens.csv"))
	n := 0
	for name, m := range ppsDesigns(t) {
		rec, err := arrowio.ReadAll(filepath.Join("..", "testdata", "pps", m.data+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		defer rec.Release()
		d, err := NewDesign(rec, &m.spec)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, r := range rows {
			if r["design"] != name {
				continue
			}
			e := Estimand{Statistic: Statistic(r["stat"]), Num: r["var"]}
			if num, den, ok := strings.Cut(r["var"], "/"); ok {
				e = Estimand{Statistic: StatRatio, Num: num, Den: den}
			}
			res, err := d.Estimates(rec, []Estimand{e}, nil)
			if err != nil {
				t.Fatal(err)
			}
			msCheck(t, name, res[0], r)
			n++
		}
	}
	if n != len(rows) {
		t.Errorf("checked %d of %d golden rows", n, len(rows))
	}
}

func TestPPSErrors(t *testing.T) {
	rec, err := arrowio.ReadAll(filepath.Join("..", "testdata", "pps", "clus.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	for _, c := range []struct {
		name string
		spec DesignOptions
		want error
	}{
		{"no probabilities", DesignOptions{Weight: "w", PSU: "dnum", PPS: PPSBrewer}, ErrBadFPC},
		{"weights are not probabilities", DesignOptions{Weight: "w", PSU: "dnum", FPC: "w", PPS: PPSOverton}, ErrBadFPC},
		{"varies within a PSU", DesignOptions{Weight: "w", PSU: "dnum", FPC: "yes", PPS: PPSBrewer}, ErrBadFPC},
		{"no joint probabilities", DesignOptions{Weight: "w", PSU: "dnum", PPS: PPSJoint}, ErrBadDesign},
		{"joint probabilities of other PSUs", DesignOptions{Weight: "w", PSU: "dnum", PPS: PPSJoint, JointProb: ppsJoint(t)}, ErrBadFPC},
		{"replicates", DesignOptions{Weight: "w", PSU: "dnum", FPC: "pi", PPS: PPSBrewer, Variance: JK1}, ErrBadDesign},
	} {
		if _, err := NewDesign(rec, &c.spec); !errors.Is(err, c.want) {
			t.Errorf("%s: error %v, want %v", c.name, err, c.want)
		}
	}
}
