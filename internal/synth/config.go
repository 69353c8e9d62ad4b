package synth

// Config sets up the synthetic population. The zero value works: seed 0,
// years 2019–2021, a 300,000-transaction register a year.
type Config struct {
	// Seed selects the population (geography, effects) and every random
	// stream derived from it. Same seed → identical output on any machine.
	Seed uint64
	// Years are the survey years a caller (demo) generates; default
	// 2019, 2020, 2021. Register, Truth and Respond accept any year;
	// from 2025 the 34-province geography applies.
	Years []int
	// TotalRows is the register's number of transactions (rows) a year;
	// default 300,000. Province totals are proportional to population
	// (with fixed ±10% noise and yearly growth), see geo.go.
	TotalRows int
	// BatchRows is the largest record batch RegisterBatches emits; default 524,288.
	BatchRows int
	// FaultRate is the share of returned ballots Respond turns into a
	// data-quality fault (invalid code, duplicate, empty province);
	// default (0) 0.003; negative means none.
	FaultRate float64
	// Fieldwork, when set, makes Respond assign collectors to the
	// ballots and plant fieldwork fraud (see Fieldwork); nil leaves the
	// ballots as they are without it.
	Fieldwork *Fieldwork
}

// DefaultYears are the years of the zero Config.
var DefaultYears = []int{2019, 2020, 2021}

const (
	defaultTotalRows = 300_000
	defaultBatchRows = 1 << 19
	defaultFaultRate = 0.003
)

func (c Config) withDefaults() Config {
	if len(c.Years) == 0 {
		c.Years = append([]int(nil), DefaultYears...)
	}
	if c.TotalRows <= 0 {
		c.TotalRows = defaultTotalRows
	}
	if c.BatchRows <= 0 {
		c.BatchRows = defaultBatchRows
	}
	switch {
	case c.FaultRate == 0:
		c.FaultRate = defaultFaultRate
	case c.FaultRate < 0:
		c.FaultRate = 0
	}
	return c
}

// YearList returns c.Years or the default years.
func (c Config) YearList() []int { return c.withDefaults().Years }
