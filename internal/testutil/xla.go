package testutil

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/gomlx/compute"

	"github.com/estil-nst/estil/nst/backend"
)

// NoXLAEnv is the variable with which a CI machine declares that no XLA PJRT plugin can load on
// it, and why (.ci/run sets it: no plugin can be downloaded there).
const NoXLAEnv = "ESTIL_CI_NO_XLA"

// SkipWithoutXLA skips a test whose property can only be observed on an XLA backend. Under CI
// (CI set) it fails instead, unless CI has declared with NoXLAEnv that it has no plugin: a skip
// there is then a gap the CI script names, and a CI machine that should have XLA cannot skip
// the test by accident.
func SkipWithoutXLA(t testing.TB, format string, args ...any) {
	t.Helper()
	why := fmt.Sprintf(format, args...)
	if os.Getenv("CI") != "" {
		declared := os.Getenv(NoXLAEnv)
		if declared == "" {
			t.Fatalf("CI: %s; set %s=<reason> where no XLA plugin can load", why, NoXLAEnv)
		}
		why += " (CI: " + declared + ")"
	}
	t.Skip(why)
}

// OpenXLA opens XLA on the CPU, else on CUDA with float32 products in float32 (go-xla v0.4
// multiplies them in TF32 on CUDA unless told not to), for a test comparing it with the Go
// backend or observing device memory. Where neither loads, it calls SkipWithoutXLA.
func OpenXLA(t testing.TB, what string) compute.Backend {
	t.Helper()
	b, err := backend.Open(backend.XLACPU, nil)
	if err != nil {
		if b, err = backend.Open(backend.XLACUDA+",tf32=false", nil); err != nil {
			first, _, _ := strings.Cut(err.Error(), "\n")
			SkipWithoutXLA(t, "no XLA PJRT plugin loads here (%v): %s runs where one does", first, what)
		}
	}
	return b
}
