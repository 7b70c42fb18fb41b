package testutil

import (
	"os"
	"testing"
)

// SkipIfShort skips a long test in -short mode, saying why. Under CI (CI set) it fails instead:
// a CI step that runs with -short must leave such a test out by name (-skip), so that what CI does
// not run is written in its script, where a reader sees it, and a skip can never hide a failure.
func SkipIfShort(t testing.TB, why string) {
	t.Helper()
	if !testing.Short() {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("CI runs with -short but did not leave this test out with -skip (%s): name it in the CI script", why)
	}
	t.Skip("-short: " + why)
}
