package synth

import (
	"math"
	"sync"

	"github.com/sipas-go/sipas/internal/provinces"
)

// The synthetic geography. It depends on Config.Seed only (not on the year),
// so the same districts and communes recur every year:
//
//   - each of the 63 provinces has 8–15 districts (more in populous
//     provinces: 8 + ⌊1.5·pop/10⁶⌋ + U{0..3}, capped at 15); district 1 is
//     the provincial capital (is_capital), with ids "<code>-D01", "<code>-D02", …;
//   - each district has 8–20 communes (U{8..20}), ids "<district>-C01", …;
//   - each commune has a size s_c ~ LogNormal(0, 0.6), multiplied by 2.5 in
//     the capital district.
//
// The 2025 geography (34 provinces, no districts) regroups the same communes
// into the merged provinces; their ids become "<code>-C0001", … numbered in
// the order of the member provinces (code order) and their old districts.
// A merged province's code is its first member's code (e.g. Phú Thọ 2025 =
// "25", old Phú Thọ) and its region that member's region.

type commune struct {
	id       string // nationally unique id in its era
	district int    // index into province.districts; -1 in the 2025 era
	capital  bool   // lies in the provincial capital district (63 era); a former capital district (2025 era)
	size     float64
	old      int // index of the 63-era province it belongs to
}

type district struct {
	id       string
	capital  bool
	communes []int // indices into province.communes
}

type province struct {
	name, ascii, code, region string
	pop                       int
	members                   []int // 63-era province indices (itself in the 63 era)
	districts                 []district
	communes                  []commune
}

// geography is one era's provinces.
type geography struct {
	era2025 bool
	provs   []province
	byName  map[string]int
}

type world struct {
	seed uint64
	geo  [2]*geography // 0: 1997–2024 (63), 1: 2025– (34)
	eff  effects
}

var (
	worldMu    sync.Mutex
	worldCache = map[uint64]*world{}
)

// getWorld returns the (cached, immutable) world of a seed.
func getWorld(seed uint64) *world {
	worldMu.Lock()
	defer worldMu.Unlock()
	if w, ok := worldCache[seed]; ok {
		return w
	}
	w := &world{seed: seed}
	w.geo[0] = build63(seed)
	w.geo[1] = build34(w.geo[0])
	w.eff = makeEffects(seed, w.geo[0], w.geo[1])
	if len(worldCache) > 64 {
		clear(worldCache)
	}
	worldCache[seed] = w
	return w
}

// geoFor returns the geography in force in year (METHODOLOGY §8: the 63
// provinces up to 2024, the 34 from 2025).
func (w *world) geoFor(year int) *geography {
	if year >= 2025 {
		return w.geo[1]
	}
	return w.geo[0]
}

func build63(seed uint64) *geography {
	all := provinces.All()
	g := &geography{byName: map[string]int{}}
	r := stream(seed, tagGeo, 0, 0)
	for pi, p := range all {
		pr := province{name: p.Name, ascii: p.NameASCII, code: p.Code, region: p.Region, pop: p.Population, members: []int{pi}}
		nd := 8 + int(1.5*float64(p.Population)/1e6) + r.IntN(4)
		if nd > 15 {
			nd = 15
		}
		for d := 0; d < nd; d++ {
			did := p.Code + "-D" + string(appendPadded(nil, d+1, 2))
			dist := district{id: did, capital: d == 0}
			nc := 8 + r.IntN(13)
			for c := 0; c < nc; c++ {
				size := math.Exp(0.6 * r.NormFloat64())
				if d == 0 {
					size *= 2.5
				}
				dist.communes = append(dist.communes, len(pr.communes))
				pr.communes = append(pr.communes, commune{
					id: did + "-C" + string(appendPadded(nil, c+1, 2)), district: d,
					capital: d == 0, size: size, old: pi,
				})
			}
			pr.districts = append(pr.districts, dist)
		}
		g.byName[p.Name] = len(g.provs)
		g.provs = append(g.provs, pr)
	}
	return g
}

func build34(g63 *geography) *geography {
	g := &geography{era2025: true, byName: map[string]int{}}
	idx := map[string]int{}
	for i := range g63.provs {
		idx[g63.provs[i].name] = i
	}
	for _, m := range provinces.All2025() {
		var pr province
		pr.name, pr.ascii, pr.pop = m.Name, m.NameASCII, m.Population
		for k, mem := range m.Members {
			oi := idx[mem]
			old := &g63.provs[oi]
			if k == 0 {
				pr.code, pr.region = old.code, old.region
			}
			pr.members = append(pr.members, oi)
			for _, c := range old.communes {
				c.district = -1
				pr.communes = append(pr.communes, c)
			}
		}
		for i := range pr.communes {
			pr.communes[i].id = pr.code + "-C" + string(appendPadded(nil, i+1, 4))
		}
		g.byName[pr.name] = len(g.provs)
		g.provs = append(g.provs, pr)
	}
	return g
}

// levelMix is the share of each level among a commune's transactions. Capital
// communes handle more province-level business (the provincial agencies sit
// there). In the 2025 era the district level is gone: its business moved to
// the communes.
func levelMix(era2025, capital bool) [nLevels]float64 {
	m := [nLevels]float64{0.20, 0.35, 0.45}
	if capital {
		m = [nLevels]float64{0.40, 0.25, 0.35}
	}
	if era2025 {
		m = [nLevels]float64{m[0] + 0.05, 0, m[1] + m[2] - 0.05}
	}
	return m
}

// cellMix returns P(level, field) for a commune, cell = level·nFields + field.
// In the 2025 era communes take over the district field mix for the former
// district business.
func cellMix(era2025, capital bool) [nCells]float64 {
	lm := levelMix(era2025, capital)
	var out [nCells]float64
	for l := 0; l < nLevels; l++ {
		for f := 0; f < nFields; f++ {
			out[l*nFields+f] = lm[l] * fieldMix[l][f]
		}
	}
	if era2025 {
		// The former district share (0.35 or 0.25 before the move) keeps its field mix.
		old := levelMix(false, capital)
		for f := 0; f < nFields; f++ {
			out[lvlCommune*nFields+f] = old[lvlDistrict]*fieldMix[lvlDistrict][f] + (old[lvlCommune]-0.05)*fieldMix[lvlCommune][f]
		}
	}
	return out
}

// frame is one year's register counts: transactions per province, commune
// and level×field cell. The counts are deterministic (largest-remainder
// apportionment of expected counts), so Truth can compute the register's
// transaction mix exactly without generating rows.
type frame struct {
	year  int
	geo   *geography
	total int
	provN []int       // transactions per province
	comN  [][]int     // [province][commune]
	cells [][][]int32 // [province][commune][cell]
}

// provWeight returns the expected relative register size of a 63-era
// province in year: population × a fixed LogNormal(0, 0.1) factor × a yearly
// growth (1+g)^(year−2019), g ~ U(−0.02, 0.06).
func provWeights(seed uint64, g63 *geography, year int) []float64 {
	r := stream(seed, tagProvWeight, 0, 0)
	w := make([]float64, len(g63.provs))
	for i, p := range g63.provs {
		noise := math.Exp(0.1 * r.NormFloat64())
		g := -0.02 + 0.08*r.Float64()
		w[i] = float64(p.pop) * noise * math.Pow(1+g, float64(year-2019))
	}
	return w
}

func (w *world) frame(year, total int) *frame {
	g := w.geoFor(year)
	pw := provWeights(w.seed, w.geo[0], year)
	// Absolute commune weights: province weight shared by relative size.
	oldSize := make([]float64, len(w.geo[0].provs))
	for i, p := range w.geo[0].provs {
		for _, c := range p.communes {
			oldSize[i] += c.size
		}
	}
	cw := make([][]float64, len(g.provs))
	pws := make([]float64, len(g.provs))
	for i, p := range g.provs {
		cw[i] = make([]float64, len(p.communes))
		for j, c := range p.communes {
			cw[i][j] = pw[c.old] * c.size / oldSize[c.old]
			pws[i] += cw[i][j]
		}
	}
	f := &frame{year: year, geo: g, total: total, provN: make([]int, len(g.provs)),
		comN: make([][]int, len(g.provs)), cells: make([][][]int32, len(g.provs))}
	largestRemainder(total, pws, f.provN)
	var cellN [nCells]int
	for i, p := range g.provs {
		f.comN[i] = make([]int, len(p.communes))
		largestRemainder(f.provN[i], cw[i], f.comN[i])
		f.cells[i] = make([][]int32, len(p.communes))
		flat := make([]int32, len(p.communes)*nCells)
		for j, c := range p.communes {
			mix := cellMix(g.era2025, c.capital)
			largestRemainder(f.comN[i][j], mix[:], cellN[:])
			cs := flat[j*nCells : (j+1)*nCells : (j+1)*nCells]
			for k := range cs {
				cs[k] = int32(cellN[k])
			}
			f.cells[i][j] = cs
		}
	}
	return f
}
