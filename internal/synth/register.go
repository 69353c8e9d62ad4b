package synth

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// RegisterColumns are the register's columns, in order:
//
//	year            int32   the reference year
//	transaction_id  utf8    "<year>-<province code>-<7-digit sequence>", unique
//	province        utf8    canonical name in the year's geography
//	province_code   utf8    two-digit code (2025: the first member's code)
//	region          utf8    socio-economic region (vi)
//	district        utf8    "<code>-Dnn", unique nationally; null from 2025
//	is_capital      bool    the district is the provincial capital (exactly one per
//	                        province); null from 2025
//	commune         utf8    "<district>-Cnn" (2025: "<code>-Cnnnn"), unique nationally
//	level           utf8    province | district | commune (from 2025 province | commune)
//	unit            utf8    serving agency: "<code>-S-<field>" (provincial department),
//	                        "<district>-OSS" (district one-stop shop), "<commune>-OSS"
//	field           utf8    one of Fields
//	respondent_type utf8    individual | organisation
//	transactions    int64   1 (one row per completed transaction: a "size" of
//	                        transactions sums to counts)
var RegisterColumns = []string{"year", "transaction_id", "province", "province_code", "region",
	"district", "is_capital", "commune", "level", "unit", "field", "respondent_type", "transactions"}

// Register returns year's whole register as one record batch (the caller
// Releases it). Rows are ordered by province (code order; 2025: the
// All2025 order), district, commune, level and field. Counts per province
// are proportional to population, see geo.go. For large registers use
// RegisterBatches.
func Register(cfg Config, year int, mem memory.Allocator) (arrow.RecordBatch, error) {
	cfg = cfg.withDefaults()
	cfg.BatchRows = cfg.TotalRows
	var out arrow.RecordBatch
	err := RegisterBatches(cfg, year, mem, func(rb arrow.RecordBatch) error {
		rb.Retain()
		out = rb
		return nil
	})
	if err != nil {
		if out != nil {
			out.Release()
		}
		return nil, err
	}
	return out, nil
}

// RegisterBatches generates year's register (cfg.TotalRows rows) in record
// batches of at most cfg.BatchRows rows and calls fn with each; the batch is
// released when fn returns (Retain it to keep it). Memory is bounded by one
// batch, so 30M rows stream in constant memory. The rows do not depend on
// BatchRows. An error from fn stops generation and is returned.
func RegisterBatches(cfg Config, year int, mem memory.Allocator, fn func(arrow.RecordBatch) error) error {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	cfg = cfg.withDefaults()
	w := getWorld(cfg.Seed)
	f := w.frame(year, cfg.TotalRows)
	g := f.geo
	bs := cfg.BatchRows
	if bs > cfg.TotalRows {
		bs = cfg.TotalRows
	}
	b := newRegBuilder(mem, bs)
	emitted := 0
	yearStr := itoa(year)
	for pi := range g.provs {
		p := &g.provs[pi]
		seq := 0
		tidPrefix := yearStr + "-" + p.code + "-"
		var provUnits [nFields]string
		for fl := range Fields {
			provUnits[fl] = p.code + "-S-" + Fields[fl]
		}
		for ci := range p.communes {
			c := &p.communes[ci]
			r := stream(w.seed, tagRegister, uint64(year), uint64(pi)<<20|uint64(ci))
			var dist *district
			if c.district >= 0 {
				dist = &p.districts[c.district]
			}
			for cell, n := range f.cells[pi][ci] {
				l, fl := cell/nFields, cell%nFields
				// Rows of one cell share every column but transaction_id and
				// respondent_type: append them in runs that fit the batch.
				if n == 0 {
					continue
				}
				var unitID string
				switch l {
				case lvlProvince:
					unitID = provUnits[fl]
				case lvlDistrict:
					unitID = dist.id + "-OSS"
				default:
					unitID = c.id + "-OSS"
				}
				for left := int(n); left > 0; {
					m := min(left, bs-b.rows)
					left -= m
					for k := 0; k < m; k++ {
						seq++
						b.year.v[b.rows+k] = int32(year)
						b.ones.v[b.rows+k] = 1
						b.tid.addPadded(tidPrefix, seq, 7)
						if r.Float64() < organisationShare[fl] {
							b.rtype.add(respondentTypes[1])
						} else {
							b.rtype.add(respondentTypes[0])
						}
					}
					b.rows += m
					b.prov.addRepeat(p.name, m)
					b.code.addRepeat(p.code, m)
					b.region.addRepeat(p.region, m)
					if dist != nil {
						b.district.addRepeat(dist.id, m)
					} else {
						b.district.addNulls(m)
					}
					for k := 0; k < m; k++ {
						b.capital = append(b.capital, dist != nil && dist.capital)
					}
					b.commune.addRepeat(c.id, m)
					b.level.addRepeat(Levels[l], m)
					b.unit.addRepeat(unitID, m)
					b.field.addRepeat(Fields[fl], m)
					if b.rows == bs {
						emitted += bs
						if err := b.flush(g.era2025, emitted == f.total, fn); err != nil {
							if emitted != f.total {
								b.release()
							}
							return err
						}
					}
				}
			}
		}
	}
	if b.rows > 0 || emitted == 0 {
		return b.flush(g.era2025, true, fn)
	}
	return nil
}

type regBuilder struct {
	mem                                                                   memory.Allocator
	n                                                                     int
	year                                                                  fixed[int32]
	ones                                                                  fixed[int64]
	rows                                                                  int
	capital                                                               []bool
	tid, prov, code, region, district, commune, level, unit, field, rtype *strCol
}

func newRegBuilder(mem memory.Allocator, n int) *regBuilder {
	b := &regBuilder{mem: mem, n: n, capital: make([]bool, 0, n),
		tid: newStrCol(mem, n, 16*n), prov: newStrCol(mem, n, 14*n), code: newStrCol(mem, n, 2*n), region: newStrCol(mem, n, 44*n),
		district: newStrCol(mem, n, 6*n), commune: newStrCol(mem, n, 10*n), level: newStrCol(mem, n, 8*n), unit: newStrCol(mem, n, 16*n),
		field: newStrCol(mem, n, 12*n), rtype: newStrCol(mem, n, 11*n),
	}
	b.fresh()
	return b
}

func (b *regBuilder) fresh() {
	b.year = newFixed[int32](b.mem, b.n)
	b.ones = newFixed[int64](b.mem, b.n)
	b.rows = 0
	b.capital = b.capital[:0]
}

func (b *regBuilder) release() {
	b.year.release()
	b.ones.release()
	for _, s := range []*strCol{b.tid, b.prov, b.code, b.region, b.district, b.commune, b.level, b.unit, b.field, b.rtype} {
		s.array(false).Release()
	}
}

func (b *regBuilder) flush(era2025 bool, last bool, fn func(arrow.RecordBatch) error) error {
	mem := b.mem
	n := b.rows
	b.year.v = b.year.v[:n]
	b.ones.v = b.ones.v[:n]
	b.year.buf.ResizeNoShrink(4 * n)
	b.ones.buf.ResizeNoShrink(8 * n)
	var capValid []bool
	nulls := 0
	if era2025 {
		capValid = make([]bool, n)
		nulls = n
	}
	again := !last
	cols := []arrow.Array{
		b.year.array(mem, arrow.PrimitiveTypes.Int32, nil, 0), b.tid.array(again), b.prov.array(again), b.code.array(again), b.region.array(again),
		b.district.array(again), boolArray(mem, b.capital, capValid, nulls), b.commune.array(again),
		b.level.array(again), b.unit.array(again), b.field.array(again), b.rtype.array(again),
		b.ones.array(mem, arrow.PrimitiveTypes.Int64, nil, 0),
	}
	rb := batch(RegisterColumns, cols, n)
	err := fn(rb)
	rb.Release()
	b.rows = 0
	if again {
		b.fresh()
	}
	return err
}
