package testutil

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestSyncBuffer writes from several goroutines while reading (go test -race finds a race if
// the lock is missing).
func TestSyncBuffer(t *testing.T) {
	var b SyncBuffer
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				fmt.Fprint(&b, i)
				_ = b.String()
			}
		}()
	}
	wg.Wait()
	if got := b.String(); len(got) != 400 || strings.Count(got, "3") != 100 {
		t.Errorf("got %d bytes, %d threes", len(got), strings.Count(got, "3"))
	}
}
