package notebooks

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/estil-nst/estil/internal/testutil"
)

// need skips the test when a tool it needs is missing, or fails it under CI (CI=1, as .ci/run
// sets), where the tools are part of the environment and their absence is a bug.
func need(t *testing.T, ok bool, what string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set but %s is missing: .ci/run installs it (see docker/install.sh)", what)
	}
	t.Skipf("skipping: %s is missing (install it with docker/install.sh --offline)", what)
}

// needJupyter checks for jupyter nbconvert and GoNB's kernel, and returns jupyter's path.
func needJupyter(t *testing.T) string {
	t.Helper()
	testutil.SkipIfShort(t, "executes notebooks")
	jupyter, err := exec.LookPath("jupyter")
	need(t, err == nil, "jupyter (apt-get install jupyter-notebook jupyter-nbconvert)")
	err = exec.Command(jupyter, "nbconvert", "--version").Run()
	need(t, err == nil, "jupyter nbconvert (apt-get install jupyter-nbconvert)")
	need(t, gonbKernel(jupyter) != "", "GoNB's Jupyter kernel (go install tool && gonb --install)")
	return jupyter
}

// gonbKernel returns the kernel.json of GoNB's kernel in Jupyter's data paths, or "".
func gonbKernel(jupyter string) string {
	out, err := exec.Command(jupyter, "--paths", "--json").Output()
	if err != nil {
		return ""
	}
	var paths struct {
		Data []string `json:"data"`
	}
	if json.Unmarshal(out, &paths) != nil {
		return ""
	}
	for _, dir := range paths.Data {
		spec := filepath.Join(dir, "kernels", "gonb", "kernel.json")
		if _, err := os.Stat(spec); err == nil {
			return spec
		}
	}
	return ""
}

// outRoot is the folder outDir empties and fills; other tests add files to it.
func outRoot(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("ESTIL_NOTEBOOK_OUT")
	if dir == "" {
		dir = "out"
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// outDir is where executed notebooks, their HTML and the screenshots go: $ESTIL_NOTEBOOK_OUT,
// else notebooks/out (ignored by git). It is emptied first.
func outDir(t *testing.T) string {
	t.Helper()
	dir := outRoot(t)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// stopGroup ends the process group cmd leads (a server and what it started): SIGTERM, then
// SIGKILL if it has not ended after grace; it waits for cmd.
func stopGroup(cmd *exec.Cmd, grace time.Duration) {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}
