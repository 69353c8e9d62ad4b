// Package heappeak measures the most heap a function takes, for the tests
// that bound memory.
package heappeak

import (
	"runtime"
	"runtime/debug"
	"sync"
	"time"
)

// Peak runs f and returns the largest heap in use seen while it runs
// (sampled every millisecond) above the heap in use before. The collector
// runs at 10% growth meanwhile, so that the heap follows what is live
// rather than when garbage happens to be collected.
func Peak(f func()) uint64 {
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapInuse, ms.HeapInuse
	var mu sync.Mutex
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			mu.Lock()
			peak = max(peak, m.HeapInuse)
			mu.Unlock()
		}
	}()
	f()
	close(done)
	wg.Wait()
	runtime.ReadMemStats(&ms)
	peak = max(peak, ms.HeapInuse)
	if peak < base {
		return 0
	}
	return peak - base
}
