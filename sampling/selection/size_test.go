package selection

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sipas-go/sipas/internal/golden"
)

// selReadGolden reads a CSV golden written by testdata/sampling.R as a
// slice of column-name → value maps.
func selReadGolden(t *testing.T, name string) []map[string]string {
	t.Helper()
	return golden.Rows(t, filepath.Join("..", "..", "testdata", "sampling", name))
}

func selF(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func selI(t *testing.T, s string) int {
	t.Helper()
	v, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestSizesAgainstR compares Yamane and Cochran sizes, and the full size
// rule (response rate, min/max, round up), with testdata/sampling/sizes.csv
// written by testdata/sampling.R (R qnorm for z).
func TestSizesAgainstR(t *testing.T) {
	rows := selReadGolden(t, "sizes.csv")
	if len(rows) < 100 {
		t.Fatalf("only %d golden rows", len(rows))
	}
	for _, r := range rows {
		N := int(selF(t, r["N"]))
		e := selF(t, r["e"])
		rule := SizeRule{Method: SizeMethod(r["method"]), E: e, Rate: selF(t, r["rate"]), Min: selF(t, r["min"]), Max: selF(t, r["max"])}
		var base float64
		if r["method"] == "yamane" {
			base = YamaneSizeFloat(N, e)
			if rule.Rate == 1 && rule.Min == 0 {
				if got, want := YamaneSize(N, e), selI(t, r["n"]); got != want {
					t.Errorf("YamaneSize(%d, %v) = %d, R %d", N, e, got, want)
				}
			}
		} else {
			rule.Opt = CochranOptions{P: selF(t, r["p"]), Level: selF(t, r["level"]), Deff: selF(t, r["deff"])}
			base = CochranSizeFloat(N, e, &rule.Opt)
			if rule.Rate == 1 && rule.Max == 0 {
				if got, want := CochranSize(N, e, &rule.Opt), selI(t, r["n"]); got != want {
					t.Errorf("CochranSize(%d, %v, %+v) = %d, R %d", N, e, rule.Opt, got, want)
				}
			}
		}
		if want := selF(t, r["base"]); !golden.Close(base, want, 1e-9) {
			t.Errorf("%s N=%d e=%v %v: base %.17g, R %.17g", r["method"], N, e, r, base, want)
		}
		got, err := rule.Size(N)
		if err != nil {
			t.Fatal(err)
		}
		if want := selI(t, r["n"]); got != want {
			t.Errorf("%s N=%d e=%v rate=%v min=%v max=%v: n = %d, R %d", r["method"], N, e, rule.Rate, rule.Min, rule.Max, got, want)
		}
	}
}

func TestMarginOfErrorAgainstR(t *testing.T) {
	for _, r := range selReadGolden(t, "moe.csv") {
		got := MarginOfError(selF(t, r["n"]), int(selF(t, r["N"])), selF(t, r["p"]), selF(t, r["level"]), selF(t, r["deff"]))
		if want := selF(t, r["moe"]); !golden.Close(got, want, 1e-9) {
			t.Errorf("MarginOfError(%v) = %.17g, R %.17g", r, got, want)
		}
	}
}

// TestYamaneByHand: N = 400, e = 0.05 gives 400/(1+400·0.0025) = 200 exactly,
// which must not round up to 201 through floating-point error; N = 1000 gives
// 1000/3.5 = 285.71… → 286.
func TestYamaneByHand(t *testing.T) {
	if got := YamaneSize(400, 0.05); got != 200 {
		t.Errorf("YamaneSize(400, .05) = %d, want 200", got)
	}
	if got := YamaneSize(1000, 0.05); got != 286 {
		t.Errorf("YamaneSize(1000, .05) = %d, want 286", got)
	}
}

func TestSizeRuleErrors(t *testing.T) {
	for _, c := range []struct {
		r    SizeRule
		want string
	}{
		{SizeRule{Method: "yamane", E: 0}, "size.yamane.e"},
		{SizeRule{Method: "moe", E: 0.05, Opt: CochranOptions{P: 1.5}}, "size.moe.p"},
		{SizeRule{Method: "moe", E: 0.05, Rate: 1.2}, "response_rate"},
	} {
		_, err := c.r.Size(1000)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one naming %s", c.r, err, c.want)
		}
	}
}

// The Vietnamese method's sample size for a province with 12,345
// transactions in the reference period (e = 0.05), and Cochran's with a
// design effect of 1.5 at 95% confidence.
func ExampleYamaneSize() {
	fmt.Println(YamaneSize(12345, 0.05))
	fmt.Println(CochranSize(12345, 0.05, &CochranOptions{Deff: 1.5}))
	// Output:
	// 388
	// 551
}
