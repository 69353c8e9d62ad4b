package arrowio

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/apache/arrow-go/v18/arrow"
	"golang.org/x/text/unicode/norm"
)

// ErrNearMiss: a wanted column is not in the table, but a header differs
// from its name only in case, Unicode normalisation, invisible characters
// or outer spaces. It wraps ErrMissingColumn.
var ErrNearMiss = fmt.Errorf("%w (near miss)", ErrMissingColumn)

// HeaderKey is how two column names are compared for a near miss: NFC,
// without format characters (Unicode Cf: zero-width space and joiner,
// byte-order mark, soft hyphen), outer white space trimmed, case folded.
func HeaderKey(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, norm.NFC.String(s))
	return strings.ToLower(strings.TrimSpace(s))
}

// NearMissOf returns the first of names with the HeaderKey of want, or ""
// when names holds want itself or no such name: the one test of a near
// miss, for callers that have names rather than a schema.
func NearMissOf(want string, names []string) string {
	k := HeaderKey(want)
	near := ""
	for _, n := range names {
		if n == want {
			return ""
		}
		if near == "" && HeaderKey(n) == k {
			near = n
		}
	}
	return near
}

// NearMiss checks a column the caller looks up by name, required or
// optional: when the schema has no column want but has one whose header
// differs only in case, Unicode normalisation, invisible characters or
// outer spaces ("PROVINCE", "prov\u200bince", " weight"), it returns an
// *Error naming file (may be empty), the wanted column and the header and
// saying how to fix it, wrapping ErrNearMiss and ErrMissingColumn: such a
// header is a typing or export accident, and taking the column as absent
// would skip what it is for without a word. Otherwise it returns nil.
func NearMiss(s *arrow.Schema, file, want string) error {
	if near := NearMissOf(want, schemaNames(s)); near != "" {
		return nearMissError(file, want, near)
	}
	return nil
}

// HasColumn reports whether the schema has a column named want, for a
// column that is optional; a near miss (see NearMiss) is an error.
func HasColumn(s *arrow.Schema, file, want string) (bool, error) {
	if len(s.FieldIndices(want)) > 0 {
		return true, nil
	}
	return false, NearMiss(s, file, want)
}

func nearMissError(file, want, near string) error {
	return &Error{File: file, Err: &reason{kind: ErrNearMiss,
		msg: fmt.Sprintf("no column %q, but a column %q, which differs from it only in case, Unicode normalisation, invisible characters or outer spaces; rename that column to %q, or ask for %q by its exact name",
			want, near, want, near)}}
}
