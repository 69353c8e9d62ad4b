package provinces

import (
	"errors"
	"sync"
	"testing"
	"unicode/utf8"
)

var (
	fuzzMu       sync.Mutex
	fuzzMatchers = map[Geography]*Matcher{}
)

// FuzzCanonical checks, for any input and both geographies, that matching
// never panics; that a returned name is canonical, NFC, and maps to itself;
// that errors are *UnknownError with at most 3 canonical suggestions; that
// the lenient reading accepts whatever the strict one does, with the same
// answer; that the cached Matcher agrees with Canonical; and that To2025
// agrees with the 1997 reading. Seeds are in testdata/fuzz/FuzzCanonical.
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{"Hà Nội", "TP.HCM", "01 - Hà Nội", "1.0", "Ha Noy", "ĐN", "Vĩnh Phúc", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, g := range []Geography{Geo1997, Geo2025} {
			name, err := Canonical(s, g)
			lname, lerr := CanonicalLenient(s, g)
			if err != nil {
				var ue *UnknownError
				if !errors.As(err, &ue) || !errors.Is(err, ErrUnknown) {
					t.Fatalf("Canonical(%q, %v): error %T %v, want *UnknownError", s, g, err, err)
				}
				if name != "" {
					t.Fatalf("Canonical(%q, %v) = %q with error %v", s, g, name, err)
				}
				if len(ue.Suggestions) > 3 {
					t.Fatalf("Canonical(%q, %v): %d suggestions", s, g, len(ue.Suggestions))
				}
				for _, sug := range ue.Suggestions {
					if !IsCanonical(sug, g) {
						t.Fatalf("Canonical(%q, %v): suggestion %q is not canonical", s, g, sug)
					}
				}
				if msg := ue.Error(); msg == "" || !utf8.ValidString(msg) {
					t.Fatalf("Canonical(%q, %v): bad message %q", s, g, msg)
				}
				if ue.Former != "" && (lerr != nil || lname != ue.PartOf) {
					t.Fatalf("CanonicalLenient(%q, %v) = %q, %v; want %q", s, g, lname, lerr, ue.PartOf)
				}
			} else {
				if !IsCanonical(name, g) {
					t.Fatalf("Canonical(%q, %v) = %q, not a canonical name", s, g, name)
				}
				if again, err := Canonical(name, g); err != nil || again != name {
					t.Fatalf("Canonical(%q, %v) = %q, but Canonical(%q) = %q, %v", s, g, name, name, again, err)
				}
				if lerr != nil || lname != name {
					t.Fatalf("CanonicalLenient(%q, %v) = %q, %v; strict gave %q", s, g, lname, lerr, name)
				}
			}
			if lerr == nil && !IsCanonical(lname, g) {
				t.Fatalf("CanonicalLenient(%q, %v) = %q, not canonical", s, g, lname)
			}
			fuzzMu.Lock()
			m := fuzzMatchers[g]
			if m == nil {
				m = NewMatcher(g)
				fuzzMatchers[g] = m
			}
			mname, merr := m.Canonical(s)
			fuzzMu.Unlock()
			if mname != name || (merr == nil) != (err == nil) {
				t.Fatalf("Matcher(%v).Canonical(%q) = %q, %v; Canonical = %q, %v", g, s, mname, merr, name, err)
			}
		}
		old, err := Canonical(s, Geo1997)
		to, terr := To2025(s)
		if (err == nil) != (terr == nil) {
			t.Fatalf("To2025(%q) = %q, %v but Canonical(1997) = %q, %v", s, to, terr, old, err)
		}
		if terr == nil {
			p, _ := Lookup(old)
			if to != p.Merged || !IsCanonical(to, Geo2025) {
				t.Fatalf("To2025(%q) = %q, want %q", s, to, p.Merged)
			}
		}
	})
}
