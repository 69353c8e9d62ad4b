package provinces

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Geography says which list of provinces names are read against.
//
// Vietnam had 63 provinces from 2008 to mid-2025 (the list shipped here; the
// label "1997" follows the CLI's --geography flag, after the 1997 split that
// set up most of them) and 34 from the merger of 2025 (Resolution
// 202/2025/QH15, in force 1 July 2025). The same name can denote different
// territories in the two: "Phú Thọ" in 2024 is old Phú Thọ, in 2026 it is old
// Phú Thọ + Vĩnh Phúc + Hòa Bình (METHODOLOGY §8).
type Geography int

const (
	// GeoAuto picks the geography from the data's year (GeographyForYear).
	GeoAuto Geography = iota
	// Geo1997 is the 63 provinces in force up to 2024.
	Geo1997
	// Geo2025 is the 34 provinces formed in 2025.
	Geo2025
)

// String returns "auto", "1997" or "2025", the spelling ParseGeography reads.
func (g Geography) String() string {
	switch g {
	case GeoAuto:
		return "auto"
	case Geo1997:
		return "1997"
	case Geo2025:
		return "2025"
	}
	return "Geography(" + strconv.Itoa(int(g)) + ")"
}

// ParseGeography reads the CLI's --geography value: "auto", "1997" or "2025"
// (case and surrounding spaces ignored).
func ParseGeography(s string) (Geography, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "auto", "":
		return GeoAuto, nil
	case "1997":
		return Geo1997, nil
	case "2025":
		return Geo2025, nil
	}
	return GeoAuto, fmt.Errorf("provinces: unknown geography %q: want auto, 1997 (the 63 provinces) or 2025 (the 34)", s)
}

// MarshalText encodes g as String does.
func (g Geography) MarshalText() ([]byte, error) {
	if g < GeoAuto || g > Geo2025 {
		return nil, fmt.Errorf("provinces: invalid geography %d", int(g))
	}
	return []byte(g.String()), nil
}

// UnmarshalText decodes what ParseGeography reads, so that a Geography can
// sit in a JSON settings struct ("geography": "2025").
func (g *Geography) UnmarshalText(b []byte) error {
	v, err := ParseGeography(string(b))
	if err != nil {
		return err
	}
	*g = v
	return nil
}

// GeographyForYear returns the geography names in data of the given year are
// read in: Geo1997 up to 2024, Geo2025 from 2025. (The merger took effect on
// 1 July 2025; SIPAS surveys of 2025 are fielded after it.)
func GeographyForYear(year int) Geography {
	if year <= 2024 {
		return Geo1997
	}
	return Geo2025
}

// ForYear resolves GeoAuto by the data's year and returns any other
// geography unchanged.
func (g Geography) ForYear(year int) Geography {
	if g == GeoAuto {
		return GeographyForYear(year)
	}
	return g
}

// ErrUnknown is matched (errors.Is) by every *UnknownError.
var ErrUnknown = errors.New("unknown province")

// UnknownError reports a name that does not denote a province of the
// geography it was read in.
type UnknownError struct {
	Name      string    // the input as given
	Geography Geography // Geo1997 or Geo2025
	// Suggestions lists up to 3 canonical names of the geography whose
	// folded keys are closest (Levenshtein distance; none when nothing is
	// near, see index.closest) to the input's; for an ambiguous input, the
	// provinces it could mean; for a province absorbed by the 2025 merger,
	// the province it became part of.
	Suggestions []string
	// Former and PartOf are set when Name is a 1997–2024 province read in the
	// 2025 geography that the merger absorbed into another: Former is its
	// canonical name, PartOf the 2025 province it is part of. Read such data
	// with Geo1997, or map it with To2025 / CanonicalLenient.
	Former, PartOf string
	// Ambiguous reports an abbreviation that stands for several provinces.
	Ambiguous bool

	reason string // a specific explanation (empty input, bad code, code/name mismatch)
	hint   string // a near miss on an absorbed province's name
}

func (e *UnknownError) Error() string {
	switch {
	case e.Former != "":
		who := strconv.Quote(e.Name)
		if norm.NFC.String(strings.TrimSpace(e.Name)) != e.Former {
			who += " (" + e.Former + ")"
		}
		return who + " is a 1997–2024 province; from 2025 it is part of " + e.PartOf
	case e.reason != "":
		return fmt.Sprintf("province %q: %s", e.Name, e.reason)
	case e.Ambiguous:
		return fmt.Sprintf("ambiguous province %q: could be %s", e.Name, strings.Join(e.Suggestions, ", "))
	case len(e.Suggestions) > 0:
		msg := fmt.Sprintf("unknown province %q; closest: %s", e.Name, strings.Join(e.Suggestions, ", "))
		if e.hint != "" {
			msg += " (" + e.hint + ")"
		}
		return msg
	}
	return fmt.Sprintf("unknown province %q", e.Name)
}

// Is makes errors.Is(err, ErrUnknown) true.
func (e *UnknownError) Is(target error) bool { return target == ErrUnknown }

// Canonical returns the canonical (NFC) name of the province that name
// denotes in geography g (Geo1997 or Geo2025; GeoAuto needs a year, use
// CanonicalForYear — passing it here panics).
//
// Matching folds the input to a key: Unicode NFKD (so NFC, NFD and
// full-width input agree), combining marks dropped (so old- and new-style
// tone placement agree: "Hoà Bình" = "Hòa Bình", "Thuỷ" = "Thủy"), Đ/đ (and
// the look-alikes Ð/ð, Ɖ/ɖ) folded to d, lower case, and everything that is
// not a letter or digit (spaces of any kind, hyphens, dots, dashes) dropped.
// Leading "Tỉnh", "Thành phố", "TP", "T.P." and trailing "City"/"Province"
// are ignored. Keys that are not names are looked up in a short alias table
// ("TP.HCM", "HCMC", "Sài Gòn", "HN", "Huế", "Đắc Lắc", "Bắc Cạn", "BR-VT",
// ...). If folding made two provinces collide, the key keeps them apart by
// comparing the input with tone marks (normalised to the end of each
// syllable); none of the 63 or 34 names collide today.
//
// Codes: a number ("1", "01", "79", also "1.0") is a GSO province code of
// the 63. In Geo2025 a code denotes the 2025 province containing that old
// province: Decision 19/2025/QĐ-TTg gives each of the 34 provinces the code
// of one of its members and never reuses codes, so an old or a new code
// lands in the right 2025 province. "01 - Hà Nội" (code and name) is
// accepted when both agree.
//
// In Geo2025, names of 1997–2024 provinces that the merger absorbed ("Vĩnh
// Phúc", "Hà Giang") are errors saying which province they became part of;
// names that the 2025 list kept ("Phú Thọ") denote the merged province, and
// provinces whose territory did not change ("Thừa Thiên Huế" → "Huế") map to
// their 2025 name.
//
// The error is an *UnknownError (errors.Is(err, ErrUnknown)). Canonical is
// safe for concurrent use; for columns, a Matcher is ~50 times faster.
func Canonical(name string, g Geography) (string, error) {
	return indexFor(g, "Canonical").canonical(name, false)
}

// CanonicalForYear is Canonical in the geography of the data's year
// (GeographyForYear).
func CanonicalForYear(name string, year int) (string, error) {
	return Canonical(name, GeographyForYear(year))
}

// CanonicalLenient is Canonical, except that in Geo2025 the names of
// 1997–2024 provinces absorbed by the merger map to the 2025
// province they became part of ("Vĩnh Phúc" → "Phú Thọ"). Use it with care:
// it silently accepts data that may have been coded in the old geography,
// where "Phú Thọ" meant a smaller territory than it does in 2025. In Geo1997
// it equals Canonical.
func CanonicalLenient(name string, g Geography) (string, error) {
	return indexFor(g, "CanonicalLenient").canonical(name, true)
}

// To2025 maps a 1997–2024 province, in any spelling Canonical accepts for
// Geo1997 (including codes), to the canonical name of the 2025 province it
// belongs to: To2025("Vinh Phuc") = "Phú Thọ", To2025("TP.HCM") = "Thành phố
// Hồ Chí Minh", To2025("46") = "Huế".
func To2025(name string) (string, error) {
	old, err := idx1997.canonical(name, false)
	if err != nil {
		return "", err
	}
	return all[byName[old]].Merged, nil
}

// Names returns the canonical names of geography g: the 63 in code order
// (Geo1997) or the 34 in the order of All2025 (Geo2025).
func Names(g Geography) []string {
	switch g {
	case Geo1997:
		out := make([]string, len(all))
		for i, p := range all {
			out[i] = p.Name
		}
		return out
	case Geo2025:
		out := make([]string, len(merged))
		for i, m := range merged {
			out[i] = m.Name
		}
		return out
	}
	panic("provinces: Names needs Geo1997 or Geo2025, got " + g.String())
}

// IsCanonical reports whether name is, byte for byte, a canonical name of
// geography g.
func IsCanonical(name string, g Geography) bool {
	switch g {
	case Geo1997:
		_, ok := byName[name]
		return ok
	case Geo2025:
		_, ok := byName2025[name]
		return ok
	}
	panic("provinces: IsCanonical needs Geo1997 or Geo2025, got " + g.String())
}

// FoldKey returns the key names are matched on (see Canonical): diacritics,
// case, spacing and punctuation removed, Đ folded to d, administrative
// prefixes dropped. FoldKey("Thành phố Hồ Chí Minh") = "hochiminh".
func FoldKey(s string) string {
	toks := fold(s, false)
	lo, hi := stripAffixes(toks)
	return strings.Join(toks[lo:hi], "")
}

// Matcher resolves names in one geography and caches the results, for bulk
// use over columns where most rows repeat a few dozen distinct strings (a
// cache hit costs one map lookup). The cache keeps at most 1<<14 distinct
// inputs (the rest are resolved uncached) and copies the strings it keeps,
// so inputs may alias Arrow buffers. A Matcher is safe for concurrent use
// (the readers of a file's row groups share one).
type Matcher struct {
	ix      *index
	g       Geography
	lenient bool
	mu      sync.Mutex // guards cache: readers of a file's batches share one Matcher
	cache   map[string]matchResult
}

type matchResult struct {
	name string
	err  error
}

const maxCache = 1 << 14

// NewMatcher returns a Matcher with Canonical's rules in geography g
// (Geo1997 or Geo2025; resolve GeoAuto first with Geography.ForYear).
func NewMatcher(g Geography) *Matcher {
	return &Matcher{ix: indexFor(g, "NewMatcher"), g: g, cache: make(map[string]matchResult)}
}

// NewLenientMatcher returns a Matcher with CanonicalLenient's rules.
func NewLenientMatcher(g Geography) *Matcher {
	m := NewMatcher(g)
	m.lenient = true
	return m
}

// Geography returns the geography the Matcher reads names in.
func (m *Matcher) Geography() Geography { return m.g }

// Canonical is Canonical (or CanonicalLenient) for the Matcher's geography.
// It is safe for concurrent use.
func (m *Matcher) Canonical(name string) (string, error) {
	m.mu.Lock()
	r, ok := m.cache[name]
	m.mu.Unlock()
	if ok {
		return r.name, r.err
	}
	s, err := m.ix.canonical(name, m.lenient)
	m.mu.Lock()
	if len(m.cache) < maxCache {
		m.cache[strings.Clone(name)] = matchResult{s, err}
	}
	m.mu.Unlock()
	return s, err
}

// ---------------------------------------------------------------------------
// Index.

// target is what a key denotes: a canonical name of the index's geography,
// and for names of provinces absorbed by the 2025 merger the old name.
type target struct {
	canon  string // canonical name in the index's geography
	former string // Geo2025 only: canonical 1997–2024 name of an absorbed province
}

type spelling struct {
	text string
	t    target
}

type entry struct {
	t         target
	ambiguous []target          // several provinces share this key
	toned     map[string]target // tone-aware keys that resolve an ambiguous key
	spellings []spelling
	abbrev    bool // an explicit ambiguous abbreviation: no tone-aware rescue
}

type index struct {
	g     Geography
	byKey map[string]*entry
	// suggest lists the keys (and what they denote) used to rank
	// suggestions.
	suggest []suggestKey
}

type suggestKey struct {
	key string
	t   target
}

var (
	byName     map[string]int // canonical 1997 name → index in all
	byName2025 map[string]int // canonical 2025 name → index in merged
	idx1997    *index
	idx2025    *index
)

// aliases maps spellings that do not fold to a province's own name to the
// canonical 1997–2024 name. They are read in the 2025 geography through the
// same crosswalk as the names themselves. Keep the list to spellings seen in
// real data; a city name is not a province name ("Vũng Tàu", "Biên Hòa" are
// not aliases).
var aliases = []struct{ spelling, name string }{
	{"HN", "Hà Nội"}, // as commonly written; Hà Nam is spelled out in practice
	{"Hồ Chí Minh", "Thành phố Hồ Chí Minh"},
	{"Ho Chi Minh City", "Thành phố Hồ Chí Minh"},
	{"Hochiminhcity", "Thành phố Hồ Chí Minh"},
	{"HCM", "Thành phố Hồ Chí Minh"},
	{"HCMC", "Thành phố Hồ Chí Minh"},
	{"TPHCM", "Thành phố Hồ Chí Minh"},
	{"Sài Gòn", "Thành phố Hồ Chí Minh"},
	{"Huế", "Thừa Thiên Huế"},
	{"TT-Huế", "Thừa Thiên Huế"},
	{"Thừa Thiên", "Thừa Thiên Huế"},
	{"Đắc Lắc", "Đắk Lắk"},
	{"Đắk Lắc", "Đắk Lắk"},
	{"Đắc Nông", "Đắk Nông"},
	{"Bắc Cạn", "Bắc Kạn"},
	{"BR-VT", "Bà Rịa - Vũng Tàu"},
}

// abbreviations lists short forms that stand for several provinces: they are
// an error naming the candidates rather than a guess.
var abbreviations = []struct {
	spelling string
	names    []string
}{
	{"ĐN", []string{"Đà Nẵng", "Đồng Nai", "Đắk Nông"}},
}

// buildIndexes runs at the end of provinces.go's init, once the CSV is
// parsed (init functions run in file-name order).
func buildIndexes() {
	byName = make(map[string]int, len(all))
	for i, p := range all {
		byName[p.Name] = i
	}
	byName2025 = make(map[string]int, len(merged))
	for i, m := range merged {
		byName2025[m.Name] = i
	}
	idx1997 = build1997()
	idx2025 = build2025()
}

func indexFor(g Geography, fn string) *index {
	switch g {
	case Geo1997:
		return idx1997
	case Geo2025:
		return idx2025
	case GeoAuto:
		panic("provinces: " + fn + " with GeoAuto needs the data's year; resolve it with Geography.ForYear or use CanonicalForYear")
	}
	panic("provinces: " + fn + ": invalid geography " + g.String())
}

func build1997() *index {
	ix := &index{g: Geo1997, byKey: map[string]*entry{}}
	for _, p := range all {
		t := target{canon: p.Name}
		ix.add(p.Name, t)
		ix.add(p.NameASCII, t)
	}
	for _, a := range aliases {
		if _, ok := byName[a.name]; !ok {
			panic("provinces: alias " + a.spelling + " names unknown province " + a.name)
		}
		ix.add(a.spelling, target{canon: a.name})
	}
	for _, a := range abbreviations {
		var ts []target
		for _, n := range a.names {
			ts = append(ts, target{canon: n})
		}
		ix.addAbbrev(a.spelling, ts)
	}
	ix.finish()
	return ix
}

// to2025 returns how an old province's name is read in the 2025 geography:
// the merged province, with former set when the merger absorbed it (its name
// is not the 2025 province's and the territory changed).
func to2025(old string) target {
	p := all[byName[old]]
	m := merged[byName2025[p.Merged]]
	if p.Name == p.Merged || len(m.Members) == 1 {
		return target{canon: p.Merged}
	}
	return target{canon: p.Merged, former: p.Name}
}

func build2025() *index {
	ix := &index{g: Geo2025, byKey: map[string]*entry{}}
	for _, m := range merged {
		t := target{canon: m.Name}
		ix.add(m.Name, t)
		ix.add(m.NameASCII, t)
	}
	for _, p := range all {
		t := to2025(p.Name)
		ix.add(p.Name, t)
		ix.add(p.NameASCII, t)
	}
	for _, a := range aliases {
		ix.add(a.spelling, to2025(a.name))
	}
	for _, a := range abbreviations {
		var ts []target
		for _, n := range a.names {
			if t := to2025(n); t.former == "" {
				ts = append(ts, t)
			}
		}
		ix.addAbbrev(a.spelling, ts)
	}
	ix.finish()
	return ix
}

// add registers a spelling. A valid name wins over the name of an absorbed
// province; two different valid provinces on one key make it ambiguous, to
// be resolved by the tone-aware key.
func (ix *index) add(text string, t target) {
	ix.addKey(FoldKey(text), text, t)
	// "ThanhphoHoChiMinh": the prefix written together with the name.
	if whole := strings.Join(fold(text, false), ""); whole != FoldKey(text) {
		ix.addKey(whole, text, t)
	}
}

func (ix *index) addKey(key, text string, t target) {
	if key == "" {
		panic("provinces: spelling " + strconv.Quote(text) + " folds to an empty key")
	}
	sp := spelling{text, t}
	e, ok := ix.byKey[key]
	switch {
	case !ok:
		ix.byKey[key] = &entry{t: t, spellings: []spelling{sp}}
		return
	case e.abbrev:
		return
	case e.ambiguous == nil && e.t == t:
		e.spellings = append(e.spellings, sp)
		return
	case e.ambiguous == nil && e.t.former != "" && t.former == "":
		// A name valid in this geography replaces an absorbed one.
		ix.byKey[key] = &entry{t: t, spellings: []spelling{sp}}
		return
	case e.ambiguous == nil && t.former != "" && e.t.former == "":
		return
	}
	// Two provinces fold to the same key.
	if e.ambiguous == nil {
		e.ambiguous = []target{e.t}
		e.t = target{}
	}
	if !slices.Contains(e.ambiguous, t) {
		e.ambiguous = append(e.ambiguous, t)
	}
	e.spellings = append(e.spellings, sp)
}

func (ix *index) addAbbrev(text string, ts []target) {
	key := FoldKey(text)
	if len(ts) == 1 {
		ix.byKey[key] = &entry{t: ts[0]}
		return
	}
	ix.byKey[key] = &entry{ambiguous: ts, abbrev: true}
}

// finish builds the tone-aware keys of ambiguous entries and the
// suggestion list.
func (ix *index) finish() {
	for key, e := range ix.byKey {
		if e.ambiguous != nil && !e.abbrev {
			e.toned = map[string]target{}
			for _, sp := range e.spellings {
				tk := tonedKey(sp.text)
				if tk == FoldKey(sp.text) {
					// A spelling without diacritics cannot choose
					// between provinces that differ only by them.
					continue
				}
				if prev, ok := e.toned[tk]; ok && prev != sp.t {
					panic(fmt.Sprintf("provinces: %q and %q cannot be told apart (key %q)", prev.canon, sp.t.canon, key))
				}
				e.toned[tk] = sp.t
			}
		}
		// Suggestions come from names and from aliases long enough not to
		// match every short typo.
		if e.ambiguous == nil && len(key) >= 4 {
			ix.suggest = append(ix.suggest, suggestKey{key, e.t})
		}
	}
	sort.Slice(ix.suggest, func(i, j int) bool { return ix.suggest[i].key < ix.suggest[j].key })
}

// canonical resolves one input; lenient maps absorbed provinces to their
// 2025 province instead of failing.
func (ix *index) canonical(name string, lenient bool) (string, error) {
	toks := fold(name, false)
	if len(toks) == 0 {
		return "", &UnknownError{Name: name, Geography: ix.g, reason: "the name is empty"}
	}
	lo, hi := stripAffixes(toks)
	if isDigits(toks[lo]) {
		return ix.withCode(name, toks, lo, hi, lenient)
	}
	return ix.byTokens(name, toks, lo, hi, lenient)
}

// byTokens resolves the name made of toks[lo:hi].
func (ix *index) byTokens(name string, toks []string, lo, hi int, lenient bool) (string, error) {
	t, err := ix.resolve(name, toks, lo, hi)
	if err != nil {
		return "", err
	}
	if t.former != "" && !lenient {
		return "", &UnknownError{Name: name, Geography: ix.g, Suggestions: []string{t.canon}, Former: t.former, PartOf: t.canon}
	}
	return t.canon, nil
}

// resolve looks the name made of toks[lo:hi] up; absorbed provinces are not
// an error here.
func (ix *index) resolve(name string, toks []string, lo, hi int) (target, error) {
	key := strings.Join(toks[lo:hi], "")
	e, ok := ix.byKey[key]
	if !ok {
		sug, hint := ix.closest(key)
		return target{}, &UnknownError{Name: name, Geography: ix.g, Suggestions: sug, hint: hint}
	}
	if e.ambiguous == nil {
		return e.t, nil
	}
	if e.toned != nil {
		// Both modes of fold cut words at the same places.
		tt := fold(name, true)
		if t, ok := e.toned[strings.Join(tt[lo:hi], "")]; ok {
			return t, nil
		}
	}
	var c []string
	for _, a := range e.ambiguous {
		c = append(c, a.canon)
	}
	return target{}, &UnknownError{Name: name, Geography: ix.g, Suggestions: c, Ambiguous: true}
}

// withCode resolves a code, toks[lo], optionally followed by a name:
// "79", "1.0", "01 - Hà Nội".
func (ix *index) withCode(name string, toks []string, lo, hi int, lenient bool) (string, error) {
	c := strings.TrimLeft(toks[lo], "0")
	lo++
	if hi-lo == 1 && strings.Trim(toks[lo], "0") == "" && strings.Contains(name, ".") {
		// "1.0" from a spreadsheet that stored the code as a number.
		lo++
	}
	if len(c) > 2 {
		return "", &UnknownError{Name: name, Geography: ix.g, reason: "not a province code (codes are 01–96)"}
	}
	if len(c) < 2 {
		c = strings.Repeat("0", 2-len(c)) + c
	}
	i, ok := byCode[c]
	if !ok {
		return "", &UnknownError{Name: name, Geography: ix.g, reason: "no province has code " + c + " (codes are 01–96, with gaps)"}
	}
	p := all[i]
	byCodeName := p.Name
	if ix.g == Geo2025 {
		byCodeName = p.Merged
	}
	if lo == hi {
		return byCodeName, nil
	}
	l, h := stripAffixes(toks[lo:hi])
	if isDigits(toks[lo+l]) {
		return "", &UnknownError{Name: name, Geography: ix.g, reason: "not a province code (codes are 01–96)"}
	}
	// Compare the territories first (leniently), so that a disagreement is
	// reported as such whether or not the name is also an absorbed one.
	t, err := ix.resolve(name, toks, lo+l, lo+h)
	if err != nil {
		return "", err
	}
	if t.canon != byCodeName {
		what := t.canon
		if t.former != "" {
			what = t.former + ", part of " + t.canon + " from 2025"
		}
		return "", &UnknownError{Name: name, Geography: ix.g, Suggestions: []string{byCodeName, t.canon},
			reason: fmt.Sprintf("code %s is %s but the name is %s", c, byCodeName, what)}
	}
	return ix.byTokens(name, toks, lo+l, lo+h, lenient)
}

// closest returns up to 3 canonical names whose keys are near key, nearest
// first, and in Geo2025 a hint when the nearest key is that of an absorbed
// 1997–2024 province.
//
// The score is the Levenshtein distance between folded keys, except that a
// key of 4+ letters contained in a candidate's key ("vungtau" in
// "bariavungtau") scores 1. Candidates scoring more than max(2, len(key)/2)
// are not offered: junk input gets no suggestions rather than arbitrary
// ones. Ties go to the longer common prefix (typos are rarer at the start of
// a name), then to the name.
func (ix *index) closest(key string) (names []string, hint string) {
	if key == "" {
		return nil, ""
	}
	k := []rune(key)
	if len(k) > 40 {
		k = k[:40]
	}
	limit := max(2, len(k)/2)
	type score struct{ dist, prefix int }
	better := func(a, b score) bool {
		if a.dist != b.dist {
			return a.dist < b.dist
		}
		return a.prefix > b.prefix
	}
	best := map[string]score{}
	var bestOld score
	var old target
	buf := make([]int, 2*(len(k)+1))
	for _, s := range ix.suggest {
		sc := score{levenshtein(k, s.key, buf), commonPrefix(key, s.key)}
		if len(k) >= 4 && strings.Contains(s.key, key) {
			sc.dist = min(sc.dist, 1)
		}
		if sc.dist > limit {
			continue
		}
		if s.t.former != "" {
			if old.former == "" || better(sc, bestOld) {
				bestOld, old = sc, s.t
			}
			continue
		}
		if prev, ok := best[s.t.canon]; !ok || better(sc, prev) {
			best[s.t.canon] = sc
		}
	}
	names = make([]string, 0, len(best))
	for n := range best {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := best[names[i]], best[names[j]]
		if a != b {
			return better(a, b)
		}
		return names[i] < names[j]
	})
	if old.former != "" && (len(names) == 0 || better(bestOld, best[names[0]])) {
		hint = fmt.Sprintf("%s was a 1997–2024 province, part of %s from 2025", old.former, old.canon)
		// Offer its 2025 province first.
		names = slices.DeleteFunc(names, func(n string) bool { return n == old.canon })
		names = append([]string{old.canon}, names...)
	}
	if len(names) > 3 {
		names = names[:3]
	}
	return names, hint
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// levenshtein is the edit distance (insertions, deletions, substitutions of
// one rune, each costing 1) between a and b, by the two-row dynamic
// programme; buf has room for 2*(len(a)+1) ints.
func levenshtein(a []rune, b string, buf []int) int {
	prev, cur := buf[:len(a)+1], buf[len(a)+1:2*(len(a)+1)]
	for i := range prev {
		prev[i] = i
	}
	j := 0
	for _, rb := range b {
		j++
		cur[0] = j
		for i, ra := range a {
			cost := 1
			if ra == rb {
				cost = 0
			}
			cur[i+1] = min(prev[i+1]+1, cur[i]+1, prev[i]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(a)]
}

// ---------------------------------------------------------------------------
// Folding.

// fold splits s into lower-case words of letters and digits. With toned
// false, diacritics are dropped and Đ becomes d; with toned true, the
// non-tone marks (circumflex, breve, horn) stay in NFD order and the tone
// mark of each word moves to its end, so that "Hoà" and "Hòa" agree but "Hà"
// and "Hạ" do not. Both modes cut words at the same places.
func fold(s string, toned bool) []string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if !ascii {
		s = norm.NFKD.String(s)
	}
	var toks []string
	var b []byte
	var tone rune
	flush := func() {
		if len(b) > 0 {
			if tone != 0 {
				b = utf8.AppendRune(b, tone)
				tone = 0
			}
			toks = append(toks, string(b))
			b = b[:0]
		}
		tone = 0
	}
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			c := byte(r)
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' {
				b = append(b, c)
			} else {
				flush()
			}
		case unicode.Is(unicode.M, r):
			if toned && len(b) > 0 {
				if isTone(r) {
					tone = r
				} else {
					b = utf8.AppendRune(b, r)
				}
			}
		case r == 'đ' || r == 'Đ' || r == 'ð' || r == 'Ð' || r == 'ɖ' || r == 'Ɖ':
			if toned {
				b = append(b, "đ"...)
			} else {
				b = append(b, 'd')
			}
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b = utf8.AppendRune(b, unicode.ToLower(r))
		default:
			flush()
		}
	}
	flush()
	return toks
}

// isTone reports the five Vietnamese tone marks (grave, acute, tilde, hook
// above, dot below) in their NFD form.
func isTone(r rune) bool {
	switch r {
	case '\u0300', '\u0301', '\u0303', '\u0309', '\u0323':
		return true
	}
	return false
}

// tonedKey joins the tone-aware words of s after the affixes are stripped.
func tonedKey(s string) string {
	plain := fold(s, false)
	lo, hi := stripAffixes(plain)
	toned := fold(s, true)
	return strings.Join(toned[lo:hi], "")
}

var (
	prefixes = [][]string{{"tinh"}, {"thanh", "pho"}, {"thanhpho"}, {"tp"}, {"t", "p"}}
	suffixes = [][]string{{"city"}, {"province"}}
)

// stripAffixes returns the range of toks left after administrative prefixes
// ("Tỉnh", "Thành phố", "TP", "T.P.") and English suffixes ("City",
// "Province") are removed, never emptying the name.
func stripAffixes(toks []string) (lo, hi int) {
	lo, hi = 0, len(toks)
	for changed := true; changed; {
		changed = false
		for _, p := range prefixes {
			if hi-lo > len(p) && hasWords(toks[lo:], p) {
				lo += len(p)
				changed = true
			}
		}
		for _, s := range suffixes {
			if hi-lo > len(s) && hasWords(toks[hi-len(s):hi], s) {
				hi -= len(s)
				changed = true
			}
		}
	}
	return lo, hi
}

func hasWords(toks, words []string) bool {
	if len(toks) < len(words) {
		return false
	}
	for i, w := range words {
		if toks[i] != w {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
