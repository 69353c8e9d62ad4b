package provinces

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/text/unicode/norm"
)

const hcm = "Thành phố Hồ Chí Minh"

// TestSpellings covers the spellings real data brings, in both geographies.
// want2025 "" means the name is an error in the 2025 geography.
func TestSpellings(t *testing.T) {
	cases := []struct {
		in, want1997, want2025 string
	}{
		// Exact, case, spaces.
		{"Hà Nội", "Hà Nội", "Hà Nội"},
		{"HÀ NỘI", "Hà Nội", "Hà Nội"},
		{"hà nội", "Hà Nội", "Hà Nội"},
		{"  Hà   Nội \t", "Hà Nội", "Hà Nội"},
		{"Hà\u00a0Nội", "Hà Nội", "Hà Nội"},          // non-breaking space
		{"Hà\u200bNội", "Hà Nội", "Hà Nội"},          // zero-width space
		{"\ufeffHà Nội", "Hà Nội", "Hà Nội"},         // BOM
		{"Ｈà Ｎội", "Hà Nội", "Hà Nội"},               // full-width letters (NFKD)
		{"Ha Noi", "Hà Nội", "Hà Nội"},               // no diacritics
		{"Hanoi", "Hà Nội", "Hà Nội"},                // English
		{"HN", "Hà Nội", "Hà Nội"},                   // abbreviation
		{"Thành phố Hà Nội", "Hà Nội", "Hà Nội"},     // prefix
		{"TP. Hà Nội", "Hà Nội", "Hà Nội"},           // prefix
		{"Hanoi City", "Hà Nội", "Hà Nội"},           // suffix
		{"Ha Nam", "Hà Nam", ""},                     // absorbed by Ninh Bình
		{"Hà Tĩnh", "Hà Tĩnh", "Hà Tĩnh"},            // "Tĩnh" is not the prefix
		{"Tỉnh Hà Tĩnh", "Hà Tĩnh", "Hà Tĩnh"},       // but "Tỉnh" is
		{"Ha Tinh", "Hà Tĩnh", "Hà Tĩnh"},            //
		{"Tinh Thanh Hoa", "Thanh Hóa", "Thanh Hóa"}, // ASCII prefix
		// Tone placement and NFD.
		{"Hoà Bình", "Hòa Bình", ""},
		{"Hòa Bình", "Hòa Bình", ""},
		{norm.NFD.String("Hoà Bình"), "Hòa Bình", ""},
		{"Khánh Hoà", "Khánh Hòa", "Khánh Hòa"},
		{"Khánh Hòa", "Khánh Hòa", "Khánh Hòa"},
		{"Thanh Hoá", "Thanh Hóa", "Thanh Hóa"},
		{"Thanh Hoá", "Thanh Hóa", "Thanh Hóa"},
		{"Thừa Thiên Huế", "Thừa Thiên Huế", "Huế"},
		{norm.NFD.String("Thừa Thiên Huế"), "Thừa Thiên Huế", "Huế"},
		{"Ho\u0302\u0300 Chi\u0301 Minh", hcm, hcm},      // Windows-1258 style: base letter + combining tone
		{"Ha\u0340 No\u0323\u0302i", "Hà Nội", "Hà Nội"}, // deprecated tone mark U+0340, marks out of order
		{"H.N.", "Hà Nội", "Hà Nội"},
		// Đ and its look-alikes (Ð U+00D0, a legacy-encoding mistake).
		{"Đà Nẵng", "Đà Nẵng", "Đà Nẵng"},
		{"Ðà Nẵng", "Đà Nẵng", "Đà Nẵng"},
		{"đà nẵng", "Đà Nẵng", "Đà Nẵng"},
		{"Da Nang", "Đà Nẵng", "Đà Nẵng"},
		{"Danang", "Đà Nẵng", "Đà Nẵng"},
		{"Dien Bien", "Điện Biên", "Điện Biên"},
		// Hyphens and dashes.
		{"Bà Rịa - Vũng Tàu", "Bà Rịa - Vũng Tàu", ""},
		{"Bà Rịa-Vũng Tàu", "Bà Rịa - Vũng Tàu", ""},
		{"Bà Rịa – Vũng Tàu", "Bà Rịa - Vũng Tàu", ""},
		{"Ba Ria Vung Tau", "Bà Rịa - Vũng Tàu", ""},
		{"BR-VT", "Bà Rịa - Vũng Tàu", ""},
		{"Tỉnh Bà Rịa-Vũng Tàu", "Bà Rịa - Vũng Tàu", ""},
		// Hồ Chí Minh City.
		{hcm, hcm, hcm},
		{"TP.HCM", hcm, hcm},
		{"TP HCM", hcm, hcm},
		{"TPHCM", hcm, hcm},
		{"Tp.Hcm", hcm, hcm},
		{"HCM", hcm, hcm},
		{"HCMC", hcm, hcm},
		{"TP. Hồ Chí Minh", hcm, hcm},
		{"T.P. Hồ Chí Minh", hcm, hcm},
		{"TP Hồ Chí Minh", hcm, hcm},
		{"Thành Phố Hồ Chí Minh", hcm, hcm},
		{"Hồ Chí Minh", hcm, hcm},
		{"Ho Chi Minh", hcm, hcm},
		{"Ho Chi Minh City", hcm, hcm},
		{"HoChiMinh City", hcm, hcm},
		{"Hochiminhcity", hcm, hcm},
		{"Sài Gòn", hcm, hcm},
		{"Saigon", hcm, hcm},
		{"Sai Gon", hcm, hcm},
		// Huế.
		{"Huế", "Thừa Thiên Huế", "Huế"},
		{"Hue", "Thừa Thiên Huế", "Huế"},
		{"Thành phố Huế", "Thừa Thiên Huế", "Huế"},
		{"Thua Thien-Hue", "Thừa Thiên Huế", "Huế"},
		{"Thừa Thiên - Huế", "Thừa Thiên Huế", "Huế"},
		{"TT-Huế", "Thừa Thiên Huế", "Huế"},
		// Central Highlands spellings.
		{"Đắk Lắk", "Đắk Lắk", "Đắk Lắk"},
		{"Đăk Lăk", "Đắk Lắk", "Đắk Lắk"},
		{"Đắc Lắc", "Đắk Lắk", "Đắk Lắk"},
		{"Dak Lak", "Đắk Lắk", "Đắk Lắk"},
		{"Daklak", "Đắk Lắk", "Đắk Lắk"},
		{"DakLak", "Đắk Lắk", "Đắk Lắk"},
		{"Đắk Nông", "Đắk Nông", ""},
		{"Đăk Nông", "Đắk Nông", ""},
		{"Dak Nong", "Đắk Nông", ""},
		{"Kontum", "Kon Tum", ""},
		// Bắc Kạn.
		{"Bắc Kạn", "Bắc Kạn", ""},
		{"Bắc Cạn", "Bắc Kạn", ""},
		{"Bac Can", "Bắc Kạn", ""},
		// Names that mean a bigger territory in 2025.
		{"Phú Thọ", "Phú Thọ", "Phú Thọ"},
		{"Vĩnh Phúc", "Vĩnh Phúc", ""},
		{"Hà Giang", "Hà Giang", ""},
		{"Bình Dương", "Bình Dương", ""},
		{"Quảng Nam", "Quảng Nam", ""},
		// Codes.
		{"01", "Hà Nội", "Hà Nội"},
		{"1", "Hà Nội", "Hà Nội"},
		{"001", "Hà Nội", "Hà Nội"},
		{"1.0", "Hà Nội", "Hà Nội"},
		{" 79 ", hcm, hcm},
		{"74", "Bình Dương", hcm}, // in 2025, the code's territory is in HCM City
		{"26", "Vĩnh Phúc", "Phú Thọ"},
		{"46", "Thừa Thiên Huế", "Huế"},
		{"01 - Hà Nội", "Hà Nội", "Hà Nội"},
		{"79. TP.HCM", hcm, hcm},
	}
	for _, c := range cases {
		got, err := Canonical(c.in, Geo1997)
		if err != nil || got != c.want1997 {
			t.Errorf("Canonical(%q, 1997) = %q, %v; want %q", c.in, got, err, c.want1997)
		}
		got, err = Canonical(c.in, Geo2025)
		if c.want2025 == "" {
			var ue *UnknownError
			if !errors.As(err, &ue) {
				t.Errorf("Canonical(%q, 2025) = %q, %v; want an *UnknownError", c.in, got, err)
				continue
			}
			if ue.Former != c.want1997 {
				t.Errorf("Canonical(%q, 2025): Former = %q, want %q (%v)", c.in, ue.Former, c.want1997, err)
			}
			// Lenient reading and To2025 map it to its 2025 province.
			p, _ := Lookup(c.want1997)
			if l, err := CanonicalLenient(c.in, Geo2025); err != nil || l != p.Merged || ue.PartOf != p.Merged {
				t.Errorf("CanonicalLenient(%q, 2025) = %q, %v; PartOf %q; want %q", c.in, l, err, ue.PartOf, p.Merged)
			}
			continue
		}
		if err != nil || got != c.want2025 {
			t.Errorf("Canonical(%q, 2025) = %q, %v; want %q", c.in, got, err, c.want2025)
		}
	}
}

func TestAbsorbedMessage(t *testing.T) {
	_, err := Canonical("Hà Giang", Geo2025)
	want := `"Hà Giang" is a 1997–2024 province; from 2025 it is part of Tuyên Quang`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
	_, err = CanonicalForYear("vinh phuc", 2026)
	want = `"vinh phuc" (Vĩnh Phúc) is a 1997–2024 province; from 2025 it is part of Phú Thọ`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
	if !errors.Is(err, ErrUnknown) {
		t.Fatal("errors.Is(err, ErrUnknown) = false")
	}
	// The same name is fine in a 2024 survey.
	if got, err := CanonicalForYear("vinh phuc", 2024); err != nil || got != "Vĩnh Phúc" {
		t.Fatalf("CanonicalForYear(vinh phuc, 2024) = %q, %v", got, err)
	}
	// Code and name naming different provinces.
	_, err = Canonical("01 - Hà Nam", Geo1997)
	if err == nil || !strings.Contains(err.Error(), "code 01 is Hà Nội but the name is Hà Nam") {
		t.Fatalf("code/name mismatch: %v", err)
	}
	// In 2025, territories are compared: a disagreement is reported even
	// when the name is also an absorbed one (found by FuzzCanonical).
	for _, lenient := range []bool{false, true} {
		f := Canonical
		if lenient {
			f = CanonicalLenient
		}
		_, err = f("10 Đắc Nông", Geo2025)
		if err == nil || !strings.Contains(err.Error(), "code 10 is Lào Cai but the name is Đắk Nông, part of Lâm Đồng from 2025") {
			t.Fatalf("lenient=%v: code/name mismatch in 2025: %v", lenient, err)
		}
	}
	// Code and name agree, name absorbed: strict says so, lenient accepts.
	_, err = Canonical("26 Vĩnh Phúc", Geo2025)
	var ue *UnknownError
	if !errors.As(err, &ue) || ue.Former != "Vĩnh Phúc" || ue.PartOf != "Phú Thọ" {
		t.Fatalf("26 Vĩnh Phúc in 2025: %v", err)
	}
	if got, err := CanonicalLenient("26 Vĩnh Phúc", Geo2025); err != nil || got != "Phú Thọ" {
		t.Fatalf("lenient 26 Vĩnh Phúc in 2025: %q, %v", got, err)
	}
}

func TestUnknownSuggestions(t *testing.T) {
	cases := []struct {
		in   string
		g    Geography
		want []string // the first suggestions, in order
		msg  string
	}{
		{"Ha Noy", Geo1997, []string{"Hà Nội"}, `unknown province "Ha Noy"; closest: Hà Nội, `},
		{"Ha Noy", Geo2025, []string{"Hà Nội"}, ""},
		{"Thanh Hoaa", Geo1997, []string{"Thanh Hóa"}, ""},
		{"Ninh Binhh", Geo2025, []string{"Ninh Bình"}, ""},
		{"Quang Ngaii", Geo2025, []string{"Quảng Ngãi"}, ""},
		{"Sai Gonn", Geo2025, []string{hcm}, ""},
		// A city, not an alias; the province containing its name is offered.
		{"Vũng Tàu", Geo1997, []string{"Bà Rịa - Vũng Tàu"}, `unknown province "Vũng Tàu"; closest: Bà Rịa - Vũng Tàu`},
		{"Vũng Tàu", Geo2025, []string{hcm}, `unknown province "Vũng Tàu"; closest: Thành phố Hồ Chí Minh (Bà Rịa - Vũng Tàu was a 1997–2024 province, part of Thành phố Hồ Chí Minh from 2025)`},
		// A typo of an absorbed province in 2025 data.
		{"Vinh Phuk", Geo2025, []string{"Phú Thọ", "Vĩnh Long"}, `unknown province "Vinh Phuk"; closest: Phú Thọ, Vĩnh Long (Vĩnh Phúc was a 1997–2024 province, part of Phú Thọ from 2025)`},
		{"Vinh Phuk", Geo1997, []string{"Vĩnh Phúc"}, `unknown province "Vinh Phuk"; closest: Vĩnh Phúc, `},
		// Junk gets no suggestions rather than arbitrary ones.
		{"xyz", Geo1997, nil, `unknown province "xyz"`},
		{"qwertyuiop", Geo2025, nil, `unknown province "qwertyuiop"`},
		{"", Geo1997, nil, `province "": the name is empty`},
		{" - ", Geo2025, nil, `province " - ": the name is empty`},
		{"03", Geo1997, nil, `province "03": no province has code 03 (codes are 01–96, with gaps)`},
		{"123", Geo1997, nil, `province "123": not a province code (codes are 01–96)`},
		{"ĐN", Geo1997, []string{"Đà Nẵng", "Đồng Nai", "Đắk Nông"}, `ambiguous province "ĐN": could be Đà Nẵng, Đồng Nai, Đắk Nông`},
		{"DN", Geo2025, []string{"Đà Nẵng", "Đồng Nai"}, `ambiguous province "DN": could be Đà Nẵng, Đồng Nai`},
	}
	for _, c := range cases {
		got, err := Canonical(c.in, c.g)
		var ue *UnknownError
		if !errors.As(err, &ue) || got != "" {
			t.Errorf("Canonical(%q, %v) = %q, %v; want an *UnknownError", c.in, c.g, got, err)
			continue
		}
		if len(ue.Suggestions) > 3 {
			t.Errorf("Canonical(%q): %d suggestions, want ≤ 3", c.in, len(ue.Suggestions))
		}
		if len(ue.Suggestions) < len(c.want) {
			t.Errorf("Canonical(%q): suggestions %q, want prefix %q", c.in, ue.Suggestions, c.want)
			continue
		}
		for i := range c.want {
			if ue.Suggestions[i] != c.want[i] {
				t.Errorf("Canonical(%q): suggestions %q, want prefix %q", c.in, ue.Suggestions, c.want)
				break
			}
		}
		for _, s := range ue.Suggestions {
			if !IsCanonical(s, c.g) {
				t.Errorf("Canonical(%q): suggestion %q is not a %v name", c.in, s, c.g)
			}
		}
		if c.want == nil && len(ue.Suggestions) > 0 {
			t.Errorf("Canonical(%q): suggestions %q, want none", c.in, ue.Suggestions)
		}
		if c.msg != "" && !strings.HasPrefix(err.Error(), c.msg) {
			t.Errorf("Canonical(%q, %v) error %q, want prefix %q", c.in, c.g, err, c.msg)
		}
	}
}

// variants returns spellings of a canonical name that must all match it.
func variants(name string) []string {
	ascii := asciiOf(name)
	return []string{
		name,
		norm.NFD.String(name),
		strings.ToUpper(name),
		strings.ToLower(name),
		norm.NFD.String(strings.ToUpper(name)),
		"  " + strings.ReplaceAll(name, " ", "  ") + " ",
		strings.ReplaceAll(name, " ", "\u00a0"),
		ascii,
		strings.ToUpper(ascii),
		strings.ReplaceAll(ascii, " ", ""),
		"Tỉnh " + name,
		"TP. " + name,
	}
}

// asciiOf drops diacritics by hand (independently of fold): NFD, remove
// combining marks U+0300–U+036F, Đ→D.
func asciiOf(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case r >= 0x300 && r <= 0x36f:
		case r == 'Đ':
			b.WriteByte('D')
		case r == 'đ':
			b.WriteByte('d')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestRoundTripAll(t *testing.T) {
	for _, g := range []Geography{Geo1997, Geo2025} {
		names := Names(g)
		if want := map[Geography]int{Geo1997: 63, Geo2025: 34}[g]; len(names) != want {
			t.Fatalf("Names(%v): %d, want %d", g, len(names), want)
		}
		m := NewMatcher(g)
		for _, name := range names {
			if !norm.NFC.IsNormalString(name) {
				t.Errorf("%q is not NFC", name)
			}
			if !IsCanonical(name, g) {
				t.Errorf("IsCanonical(%q, %v) = false", name, g)
			}
			for _, v := range variants(name) {
				if got, err := Canonical(v, g); err != nil || got != name {
					t.Errorf("Canonical(%q, %v) = %q, %v; want %q", v, g, got, err, name)
				}
				if got, err := m.Canonical(v); err != nil || got != name {
					t.Errorf("Matcher(%v).Canonical(%q) = %q, %v; want %q", g, v, got, err, name)
				}
			}
		}
	}
	// The CSV's ASCII columns match too.
	for _, p := range All() {
		if got, err := Canonical(p.NameASCII, Geo1997); err != nil || got != p.Name {
			t.Errorf("Canonical(%q, 1997) = %q, %v", p.NameASCII, got, err)
		}
		if got, err := To2025(p.NameASCII); err != nil || got != p.Merged {
			t.Errorf("To2025(%q) = %q, %v; want %q", p.NameASCII, got, err, p.Merged)
		}
		if got, err := CanonicalLenient(p.Name, Geo2025); err != nil || got != p.Merged {
			t.Errorf("CanonicalLenient(%q, 2025) = %q, %v; want %q", p.Name, got, err, p.Merged)
		}
		// Codes, with and without the leading zero.
		for _, code := range []string{p.Code, strings.TrimLeft(p.Code, "0")} {
			if got, err := Canonical(code, Geo1997); err != nil || got != p.Name {
				t.Errorf("Canonical(%q, 1997) = %q, %v; want %q", code, got, err, p.Name)
			}
			if got, err := Canonical(code, Geo2025); err != nil || got != p.Merged {
				t.Errorf("Canonical(%q, 2025) = %q, %v; want %q", code, got, err, p.Merged)
			}
		}
	}
	for _, m := range All2025() {
		if got, err := Canonical(m.NameASCII, Geo2025); err != nil || got != m.Name {
			t.Errorf("Canonical(%q, 2025) = %q, %v", m.NameASCII, got, err)
		}
		// Every 2025 name is also a name before 2025: its namesake, or
		// for Huế the province of the same territory.
		old, err := Canonical(m.Name, Geo1997)
		if err != nil {
			t.Errorf("Canonical(%q, 1997): %v", m.Name, err)
			continue
		}
		if p, _ := Lookup(old); p.Merged != m.Name {
			t.Errorf("Canonical(%q, 1997) = %q, which merged into %q", m.Name, old, p.Merged)
		}
	}
}

// TestOldNamesIn2025 checks the rule for every old province read in 2025:
// accepted when the 2025 list kept its name or its territory is unchanged,
// an error naming its 2025 province otherwise.
func TestOldNamesIn2025(t *testing.T) {
	members := map[string]int{}
	for _, m := range All2025() {
		members[m.Name] = len(m.Members)
	}
	absorbed := 0
	for _, p := range All() {
		got, err := Canonical(p.Name, Geo2025)
		keep := p.Name == p.Merged || members[p.Merged] == 1
		if keep {
			if err != nil || got != p.Merged {
				t.Errorf("Canonical(%q, 2025) = %q, %v; want %q", p.Name, got, err, p.Merged)
			}
			continue
		}
		absorbed++
		var ue *UnknownError
		if !errors.As(err, &ue) || ue.Former != p.Name || ue.PartOf != p.Merged {
			t.Errorf("Canonical(%q, 2025) = %q, %v; want absorbed into %q", p.Name, got, err, p.Merged)
		}
	}
	// 63 old provinces, 34 new ones, each new one keeps one old name (Huế
	// keeps Thừa Thiên Huế's territory): 63 − 34 = 29 names disappear.
	if absorbed != 29 {
		t.Errorf("%d absorbed provinces, want 29", absorbed)
	}
}

// TestFoldingKeepsProvincesApart checks that no two provinces of a
// geography share a folded key, aliases included: a collision would make
// one of them unreachable by ASCII spelling.
func TestFoldingKeepsProvincesApart(t *testing.T) {
	for _, g := range []Geography{Geo1997, Geo2025} {
		ix := indexFor(g, "test")
		for key, e := range ix.byKey {
			if e.ambiguous != nil && !e.abbrev {
				t.Errorf("%v: key %q is shared by %v", g, key, e.ambiguous)
			}
		}
		seen := map[string]string{}
		for _, n := range Names(g) {
			k := FoldKey(n)
			if o, ok := seen[k]; ok {
				t.Errorf("%v: %q and %q fold to %q", g, o, n, k)
			}
			seen[k] = n
			// A distinct key also for the plain ASCII spelling with spaces.
			if FoldKey(asciiOf(n)) != k {
				t.Errorf("FoldKey(%q) = %q != FoldKey(%q) = %q", asciiOf(n), FoldKey(asciiOf(n)), n, k)
			}
		}
	}
}

// TestCollisionResolvedByTones builds an index in which two made-up
// provinces fold to the same key and checks that the tone-aware key tells
// them apart, whatever the tone placement, and that an ASCII spelling is
// reported as ambiguous.
func TestCollisionResolvedByTones(t *testing.T) {
	ix := &index{g: Geo1997, byKey: map[string]*entry{}}
	ix.add("Hòa An", target{canon: "Hòa An"})
	ix.add("Hoa An", target{canon: "Hòa An"})
	ix.add("Hóa An", target{canon: "Hóa An"})
	ix.add("Hạ Long", target{canon: "Hạ Long"})
	ix.finish()
	for in, want := range map[string]string{
		"Hòa An":                   "Hòa An",
		"Hoà An":                   "Hòa An",
		norm.NFD.String("Hoà An"):  "Hòa An",
		"HÒA AN":                   "Hòa An",
		"Hóa An":                   "Hóa An",
		"Hoá An":                   "Hóa An",
		norm.NFD.String("Hoá  an"): "Hóa An",
		"Tỉnh Hoá An":              "Hóa An",
		"ha long":                  "Hạ Long",
	} {
		if got, err := ix.canonical(in, false); err != nil || got != want {
			t.Errorf("canonical(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"Hoa An", "HOAAN", "Hỏa An"} {
		_, err := ix.canonical(in, false)
		var ue *UnknownError
		if !errors.As(err, &ue) || !ue.Ambiguous || len(ue.Suggestions) != 2 {
			t.Errorf("canonical(%q): %v; want ambiguous between the two", in, err)
		}
	}
}

func TestFoldKey(t *testing.T) {
	for in, want := range map[string]string{
		hcm:                        "hochiminh",
		"Ho Chi Minh City":         "hochiminh",
		"Bà Rịa - Vũng Tàu":        "bariavungtau",
		"Thuỷ":                     "thuy",
		"Thủy":                     "thuy",
		"Đắk Lắk":                  "daklak",
		"Tỉnh":                     "tinh", // a prefix alone is kept
		"TP":                       "tp",
		"Thành phố Thành phố Huế":  "hue",
		"Quang Nam Province":       "quangnam",
		"\xff\xfeHà\x00Nội\xc3":    "hanoi", // invalid UTF-8 is a separator
		"Ƀắc Ninh":                 "ƀacninh",
		"\u0301\u0301Hà\u0301 Nội": "hanoi",
	} {
		if got := FoldKey(in); got != want {
			t.Errorf("FoldKey(%q) = %q, want %q", in, got, want)
		}
	}
	// Tone placement: old style (on the last vowel) and new style agree in
	// the tone-aware key; a different tone does not.
	if tonedKey("Hoà Bình") != tonedKey("Hòa Bình") || tonedKey("Thuỷ") != tonedKey("Thủy") {
		t.Error("tonedKey depends on tone placement")
	}
	if tonedKey("Hà Nam") == tonedKey("Hạ Nam") || tonedKey("Hà") == tonedKey("Hâ") {
		t.Error("tonedKey merges different tones or vowels")
	}
}

func TestGeography(t *testing.T) {
	for in, want := range map[string]Geography{"auto": GeoAuto, "1997": Geo1997, " 2025 ": Geo2025, "AUTO": GeoAuto} {
		if g, err := ParseGeography(in); err != nil || g != want {
			t.Errorf("ParseGeography(%q) = %v, %v", in, g, err)
		}
		if g, _ := ParseGeography(want.String()); g != want {
			t.Errorf("ParseGeography(%v.String()) = %v", want, g)
		}
	}
	var st struct{ Geography Geography }
	if err := json.Unmarshal([]byte(`{"Geography":"2025"}`), &st); err != nil || st.Geography != Geo2025 {
		t.Errorf("json: %v, %v", st.Geography, err)
	}
	if b, err := json.Marshal(st); err != nil || string(b) != `{"Geography":"2025"}` {
		t.Errorf("json: %s, %v", b, err)
	}
	if err := json.Unmarshal([]byte(`{"Geography":"1999"}`), &st); err == nil {
		t.Error("json: 1999 accepted")
	}
	for _, bad := range []string{"2024", "63", "new"} {
		if _, err := ParseGeography(bad); err == nil {
			t.Errorf("ParseGeography(%q): no error", bad)
		}
	}
	for year, want := range map[int]Geography{2017: Geo1997, 2024: Geo1997, 2025: Geo2025, 2026: Geo2025} {
		if g := GeographyForYear(year); g != want {
			t.Errorf("GeographyForYear(%d) = %v, want %v", year, g, want)
		}
		if g := GeoAuto.ForYear(year); g != want {
			t.Errorf("GeoAuto.ForYear(%d) = %v", year, g)
		}
		if g := Geo1997.ForYear(year); g != Geo1997 {
			t.Errorf("Geo1997.ForYear(%d) = %v", year, g)
		}
	}
	// "Phú Thọ" is read by the year: the merged province from 2025.
	p, err := Lookup2025("Phu Tho")
	if err != nil || len(p.Members) != 3 {
		t.Fatalf("Lookup2025(Phu Tho) = %+v, %v", p, err)
	}
	old, err := Lookup("Phu Tho")
	if err != nil || old.Code != "25" || p.Population <= old.Population {
		t.Fatalf("Lookup(Phu Tho) = %+v, %v", old, err)
	}
	for _, f := range []func(){
		func() { _, _ = Canonical("Hà Nội", GeoAuto) },
		func() { NewMatcher(GeoAuto) },
		func() { _, _ = Canonical("Hà Nội", Geography(9)) },
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "provinces: ") {
					t.Errorf("want a provinces: panic, got %v", r)
				}
			}()
			f()
		}()
	}
}

func TestMatcherAgreesAndCaches(t *testing.T) {
	inputs := benchSpellings()
	for _, g := range []Geography{Geo1997, Geo2025} {
		for _, lenient := range []bool{false, true} {
			m := NewMatcher(g)
			if lenient {
				m = NewLenientMatcher(g)
			}
			for rep := 0; rep < 2; rep++ { // the second pass hits the cache
				for _, in := range inputs {
					got, err := m.Canonical(in)
					want, werr := Canonical(in, g)
					if lenient {
						want, werr = CanonicalLenient(in, g)
					}
					if got != want || (err == nil) != (werr == nil) || (err != nil && err.Error() != werr.Error()) {
						t.Errorf("%v lenient=%v: Matcher %q = %q, %v; Canonical %q, %v", g, lenient, in, got, err, want, werr)
					}
				}
			}
			distinct := map[string]bool{}
			for _, in := range inputs {
				distinct[in] = true
			}
			if len(m.cache) != len(distinct) {
				t.Errorf("cache holds %d inputs, want %d", len(m.cache), len(distinct))
			}
		}
	}
	// The cache owns its keys: mutating the caller's bytes does not corrupt it.
	m := NewMatcher(Geo1997)
	b := []byte("Ha Noi")
	s := unsafeString(b)
	if got, _ := m.Canonical(s); got != "Hà Nội" {
		t.Fatal(got)
	}
	copy(b, "Ha Nam")
	if got, _ := m.Canonical("Ha Noi"); got != "Hà Nội" {
		t.Fatalf("after mutation: %q", got)
	}
}

// benchSpellings returns ~70 distinct spellings seen in real data, a few of
// them errors.
func benchSpellings() []string {
	var out []string
	for i, p := range All() {
		switch i % 3 {
		case 0:
			out = append(out, p.Name)
		case 1:
			out = append(out, norm.NFD.String(strings.ToUpper(p.Name)))
		default:
			out = append(out, p.NameASCII)
		}
	}
	return append(out, "TP.HCM", "Hoà Bình", "Khánh Hoà", "Huế", "Ha Noy", "HN", "Daklak", "  Cần  Thơ ")
}

func BenchmarkMatcher(b *testing.B) {
	spell := benchSpellings()
	const rows = 1_000_000
	r := rand.New(rand.NewPCG(1, 2))
	col := make([]string, rows)
	for i := range col {
		col[i] = spell[r.IntN(len(spell))]
	}
	for _, g := range []Geography{Geo1997, Geo2025} {
		b.Run(g.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m := NewMatcher(g)
				for _, s := range col {
					_, _ = m.Canonical(s)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/rows, "ns/row")
		})
	}
}

// BenchmarkCanonical is the uncached cost of one lookup.
func BenchmarkCanonical(b *testing.B) {
	spell := benchSpellings()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_, _ = Canonical(spell[i%len(spell)], Geo2025)
		i++
	}
}

// unsafeString aliases b, as Arrow's string arrays do with their buffers.
func unsafeString(b []byte) string { return unsafe.String(&b[0], len(b)) }
