package main

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/apache/arrow-go/v18/arrow"
	"golang.org/x/text/unicode/norm"
)

// headerKey is how two column names are compared for a near miss: NFC,
// without format characters (zero-width space and joiner, byte-order
// mark, soft hyphen), outer spaces trimmed, case folded.
func headerKey(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, norm.NFC.String(s))
	return strings.ToLower(strings.TrimSpace(s))
}

// nearMiss refuses a column that the run checks only when present (so
// that its absence is silent) when the file has it under a spelling that
// differs only in case, Unicode normalisation, invisible characters or
// outer spaces: "PROVINCE" or "prov\u200bince" made validate skip every
// province check. flag is the flag that names the column.
func nearMiss(s *arrow.Schema, name, flag string) error {
	if schemaHas(s, name) {
		return nil
	}
	k := headerKey(name)
	for _, f := range s.Fields() {
		if headerKey(f.Name) == k {
			return fmt.Errorf("the file has no column %q but has %q, which differs only in case, accents' encoding or invisible characters; rename the column to %q, or pass %s %q", name, f.Name, name, flag, f.Name)
		}
	}
	return nil
}
