package sampling

import (
	"fmt"
	"math"
)

// FlagFewPSU marks an estimate of a domain whose rows lie in fewer than 2
// PSUs: its variance cannot be estimated (a mean or ratio from one PSU has
// a linearized SE of exactly 0), so SE, interval and design effect are NaN.
const FlagFewPSU = "few_psu"

// FlagLowPSU marks an estimate of a domain with at least 2 but fewer than
// LowPSU PSUs: its SE is estimated from so few cluster totals that its
// interval covers less often than stated (METHODOLOGY §4: 0.87 for a 95 %
// interval at 10 PSUs, 0.92 at 30).
const FlagLowPSU = "low_psu"

// LowPSU is the number of PSUs below which a domain's estimates get
// FlagLowPSU: the planning minimum per reporting domain of the methodology,
// where the coverage study's 95 % intervals come within about 0.03 of
// their level.
const LowPSU = 20

// DomainPSUs returns, for each of the nDomains domains of domain (codes
// 0..nDomains−1 per row, −1 for a row in no domain), the number of PSUs
// holding at least one row of it with nonzero weight. It panics when
// len(domain) ≠ Rows() or a code is out of range.
func (d *Design) DomainPSUs(domain []int32, nDomains int) []int {
	if len(domain) != d.n {
		panic(fmt.Sprintf("sampling: DomainPSUs: %d domain codes for a design of %d rows", len(domain), d.n))
	}
	if d.rsums != nil && d.rsums.RowPSUs != nil {
		return d.sumsRowPSUs(domain, nDomains)
	}
	psus, _ := d.domainUnits(domain, nDomains, "DomainPSUs")
	return psus
}

// PSUFlag returns the flag of an estimate from a domain with psus PSUs:
// FlagFewPSU below 2 (its SE is undefined), FlagLowPSU below LowPSU, else "".
func PSUFlag(psus int) string {
	switch {
	case psus < 2:
		return FlagFewPSU
	case psus < LowPSU:
		return FlagLowPSU
	}
	return ""
}

// fewPSU applies PSUFlag to an estimate: FlagFewPSU makes SE, interval and
// design effect NaN and replaces any other flag; FlagLowPSU goes to an
// estimate with no other flag.
func fewPSU(se, lo, hi, deff *float64, flag *string, psus int) {
	switch f := PSUFlag(psus); {
	case f == FlagFewPSU:
		nan := math.NaN()
		*se, *lo, *hi, *deff, *flag = nan, nan, nan, nan, f
	case f != "" && *flag == "":
		*flag = f
	}
}
