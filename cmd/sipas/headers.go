package main

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sipas-go/sipas/internal/arrowio"
)

// nearMiss refuses a column the run looks up by name when the file has it
// only under a spelling that differs in case, Unicode normalisation,
// invisible characters or outer spaces (arrowio.NearMissOf): "PROVINCE"
// or "prov\u200bince" made validate skip every province check, "Year" made
// a file one survey of unknown year. flag is the flag that names the
// column ("" when none does: the name is fixed). The error is bad input
// (exit 2) naming file, column and header.
func nearMiss(s *arrow.Schema, file, name, flag string) error {
	near := arrowio.NearMissOf(name, schemaNames(s))
	if near == "" {
		return nil
	}
	fix := fmt.Sprintf("rename the column to %q", name)
	if flag != "" {
		fix += fmt.Sprintf(", or pass %s %q", flag, near)
	}
	return badInput(fmt.Errorf("%s: no column %q but a column %q, which differs only in case, Unicode normalisation, invisible characters or outer spaces; %s", displayName(file), name, near, fix))
}

// hasColumn reports whether the file's schema has the column name, which
// the run uses only when present; a near miss is an error (nearMiss).
func hasColumn(s *arrow.Schema, file, name, flag string) (bool, error) {
	if schemaHas(s, name) {
		return true, nil
	}
	return false, nearMiss(s, file, name, flag)
}

func schemaNames(s *arrow.Schema) []string {
	out := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		out[i] = f.Name
	}
	return out
}
