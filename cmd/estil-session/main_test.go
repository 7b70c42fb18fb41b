package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildSession builds estil-session into a temporary folder.
func buildSession(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "estil-session")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// leftBehind lists the live processes whose command line contains marker.
func leftBehind(marker string) []string {
	var found []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		stat, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil || strings.Contains(string(stat), ") Z ") {
			continue
		}
		if c := strings.ReplaceAll(string(cmd), "\x00", " "); strings.Contains(c, marker) {
			found = append(found, e.Name()+": "+c)
		}
	}
	return found
}

// TestSessionEndsWhatTheServerLeftBehind: processes the server started in the background, in a
// session of their own as Jupyter's kernels are, are ended when the server is stopped (SIGTERM,
// as the hub stops it) and when it exits by itself; the session exits with the server's code.
func TestSessionEndsWhatTheServerLeftBehind(t *testing.T) {
	bin := buildSession(t)
	t.Setenv("ESTIL_ROOT", "") // no notebooks to copy: it says so and goes on
	for _, tc := range []struct {
		name, script string
		stop         bool
		code         int
	}{
		// The trap is set before the sleeps start, which the test waits for: SIGTERM finds it set.
		{"stopped", `trap 'exit 3' TERM; (setsid sleep 301.25 &); (sleep 301.25 &); while :; do sleep 0.05; done`, true, 3},
		{"exits", `(setsid sleep 301.25 &); (sleep 301.25 &); sleep 0.3; exit 5`, false, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, "sh", "-c", tc.script)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(10 * time.Second)
			for len(leftBehind("sleep 301.25")) < 2 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if tc.stop {
				_ = cmd.Process.Signal(syscall.SIGTERM)
			}
			err := cmd.Wait()
			if code := cmd.ProcessState.ExitCode(); code != tc.code {
				t.Errorf("exit code %d (%v), want the server's %d", code, err, tc.code)
			}
			if left := leftBehind("sleep 301.25"); len(left) > 0 {
				for _, l := range left {
					var pid int
					_, _ = fmt.Sscan(strings.SplitN(l, ":", 2)[0], &pid)
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
				t.Errorf("left behind: %v", left)
			}
		})
	}
}

// TestNotebooksCopiedOnce: the course notebooks are copied on the first start, and a later start
// copies only those the student lacks, never over the student's own.
func TestNotebooksCopiedOnce(t *testing.T) {
	root, home := t.TempDir(), t.TempDir()
	src := filepath.Join(root, "notebooks", "ca")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"01_vgg19.ipynb", "02_feature_maps.ipynb"} {
		if err := os.WriteFile(filepath.Join(src, n), []byte("course "+n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("ESTIL_ROOT", root)
	t.Setenv("ESTIL_LANG", "ca")
	t.Setenv("HOME", home)
	if err := copyNotebooks(); err != nil {
		t.Fatal(err)
	}
	mine := filepath.Join(home, "estil", "01_vgg19.ipynb")
	if err := os.WriteFile(mine, []byte("my edits"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(home, "estil", "02_feature_maps.ipynb")); err != nil {
		t.Fatal(err)
	}
	if err := copyNotebooks(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(mine); string(b) != "my edits" {
		t.Errorf("a later start overwrote the student's notebook: %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(home, "estil", "02_feature_maps.ipynb")); string(b) != "course 02_feature_maps.ipynb" {
		t.Errorf("a deleted notebook was not copied back: %q", b)
	}
	t.Setenv("ESTIL_LANG", "fr")
	if err := copyNotebooks(); err == nil || !strings.Contains(err.Error(), "en or ca") {
		t.Errorf("ESTIL_LANG=fr: %v", err)
	}
}
