package backend

import (
	"os"
	"runtime"
	"strings"
	"testing"
)

func TestOpen(t *testing.T) {
	b, err := Open(Go, nil)
	if err != nil || !IsPureGo(b) {
		t.Fatalf("Open(go) = %v, %v; want the pure-Go backend", b, err)
	}
	if _, err := Open("tpu", nil); err == nil {
		t.Error("Open(tpu) did not fail")
	}
	// auto falls back to the pure-Go backend where no PJRT plugin loads, saying so.
	t.Setenv("GOMLX_BACKEND", "")
	var notice strings.Builder
	b, err = Open(Auto, &notice)
	if err != nil {
		t.Fatal(err)
	}
	if IsPureGo(b) != strings.Contains(notice.String(), "pure-Go") {
		t.Errorf("auto gave %s with notice %q", b.Name(), notice.String())
	}
}

// TestSIMDNotice checks that the Go backend tells a build without GOEXPERIMENT=simd so, in one
// line, and says nothing for a build with it. The test binary is built as `go test` was run, so
// it checks whichever case this run is.
func TestSIMDNotice(t *testing.T) {
	simd := SIMDBuild()
	var notice strings.Builder
	if _, err := Open(Go, &notice); err != nil {
		t.Fatal(err)
	}
	switch {
	case simd && notice.Len() != 0:
		t.Errorf("built with GOEXPERIMENT=simd, yet the backend says: %q", notice.String())
	case !simd && runtime.GOARCH == "amd64":
		if n := strings.Count(notice.String(), "\n"); n != 1 || !strings.Contains(notice.String(), "GOEXPERIMENT=simd") {
			t.Errorf("built without GOEXPERIMENT=simd, the notice is %q; want one line naming GOEXPERIMENT=simd", notice.String())
		}
	}
	if os.Getenv("CI") != "" && !simd && runtime.GOARCH == "amd64" {
		t.Error("CI builds without GOEXPERIMENT=simd: the timings and the notebooks then run the slow matrix products")
	}
}
