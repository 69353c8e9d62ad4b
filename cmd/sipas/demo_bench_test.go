package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkDemo runs the README's first command, `sipas demo --out DIR`,
// on the full demo (3 years, 63 provinces, about 40,000 ballots issued a
// year): register → sample → responses → validation → weighting → index →
// trend → report (issue 7: ≤ 10 s).
func BenchmarkDemo(b *testing.B) {
	out := filepath.Join(b.TempDir(), "demo")
	for b.Loop() {
		var errb strings.Builder
		if code := run(context.Background(), []string{"demo", "--out", out}, strings.NewReader(""), io.Discard, &errb); code != 0 {
			b.Fatalf("exit %d: %s", code, errb.String())
		}
	}
}
