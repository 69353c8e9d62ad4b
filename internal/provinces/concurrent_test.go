package provinces

import (
	"sync"
	"testing"
)

// TestMatcherConcurrent resolves names from several goroutines through one
// Matcher, as the readers of a file's row groups do: every goroutine gets
// the answers of a Matcher of its own (run under the race detector in CI;
// the cache was an unguarded map, and two readers crashed the process with
// "concurrent map writes").
func TestMatcherConcurrent(t *testing.T) {
	names := []string{"Hà Nội", "TP. Hồ Chí Minh", "Thừa Thiên Huế", "Ha Noi", "Đắk Lắk", "Bà Rịa - Vũng Tàu", "Hoà Bình", "Không có tỉnh này"}
	want := make([]matchResult, len(names))
	ref := NewLenientMatcher(Geo1997)
	for i, n := range names {
		want[i].name, want[i].err = ref.Canonical(n)
	}
	m := NewLenientMatcher(Geo1997)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 2000 {
				i := (k + g) % len(names)
				s, err := m.Canonical(names[i])
				if s != want[i].name || (err == nil) != (want[i].err == nil) {
					errs <- names[i] + ": " + s
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
