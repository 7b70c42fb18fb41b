package testutil

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestSkipWithoutXLA runs the helper in a child test process under each environment and reads
// whether it skipped or failed.
func TestSkipWithoutXLA(t *testing.T) {
	if os.Getenv("ESTIL_TESTUTIL_CHILD") != "" {
		SkipWithoutXLA(t, "no plugin")
		return
	}
	for _, c := range []struct {
		name string
		env  []string
		want string // in go test -v's output
	}{
		{"outside CI", []string{"CI="}, "--- SKIP"},
		{"CI, declared", []string{"CI=1", NoXLAEnv + "=no plugin can be downloaded"}, "--- SKIP"},
		{"CI, not declared", []string{"CI=1", NoXLAEnv + "="}, "--- FAIL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run", "^TestSkipWithoutXLA$", "-test.v")
			cmd.Env = append(append(os.Environ(), "ESTIL_TESTUTIL_CHILD=1"), c.env...)
			out, _ := cmd.CombinedOutput()
			if !strings.Contains(string(out), c.want) {
				t.Errorf("want %q in the child's output:\n%s", c.want, out)
			}
		})
	}
}
