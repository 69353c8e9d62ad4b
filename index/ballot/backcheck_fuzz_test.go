package ballot

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// FuzzParseOKRange: a parsed range has Lo ≤ Hi, and a failure is an error,
// never a panic.
func FuzzParseOKRange(f *testing.F) {
	for _, s := range []string{"-2:2", "-10%:10%", "0:0", ":", "1e308:1e309", "%:%", "-Inf:Inf"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseOKRange(s)
		if err == nil && !(r.Lo <= r.Hi) {
			t.Fatalf("%q: %+v", s, r)
		}
	})
}

// FuzzNormalize: the result is NFC, idempotent, and trimmed text has no
// outer or doubled white space.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"co\u0301", "  Có\u00a0 ", "«tốt» – 5★", "ĐỒNG Ý"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		for _, o := range []TextOptions{{}, {Lower: true, Trim: true}, {Upper: true, NoSymbol: true, Trim: true}} {
			got := o.Normalize(s)
			if !norm.NFC.IsNormalString(got) && !o.NoSymbol {
				t.Fatalf("%q %+v: %q is not NFC", s, o, got)
			}
			if o.Trim && (strings.TrimSpace(got) != got || strings.Contains(got, "  ")) {
				t.Fatalf("%q %+v: %q not trimmed", s, o, got)
			}
			if again := o.Normalize(got); again != got && !o.Upper && !o.Lower {
				t.Fatalf("%q %+v: not idempotent: %q then %q", s, o, got, again)
			}
		}
	})
}
