package rss

import "runtime"

// Allocated returns how many bytes f allocates on the heap (runtime.MemStats.TotalAlloc), after a
// collection, so that a test can bound what reading or writing a file costs beyond its result.
func Allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
