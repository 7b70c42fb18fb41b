package backend

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// autoChild, when set, makes the test binary open "auto" and print its notice: go-xla reads
// PJRT_PLUGIN_LIBRARY_PATH and HOME once, when the process starts, so each case needs a process.
const autoChild = "ESTIL_TEST_AUTO_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(autoChild) != "" {
		var notice strings.Builder
		b, err := Open(Auto, &notice)
		if err != nil {
			os.Stdout.WriteString("error: " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Stdout.WriteString(notice.String() + "backend: " + b.String() + "\n")
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// openAutoIn runs Open(Auto) in a child process with HOME and PJRT_PLUGIN_LIBRARY_PATH set to
// fresh folders (plugins written into the latter), downloads allowed but sent to a proxy that
// refuses connections, so that an attempt fails at once instead of reaching the network.
func openAutoIn(t *testing.T, plugins map[string]string) string {
	t.Helper()
	home, lib := t.TempDir(), t.TempDir()
	for name, content := range plugins {
		if err := os.WriteFile(filepath.Join(lib, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Under an emulator (CI runs the linux/arm64 test binary with qemu-aarch64-static, without
	// binfmt) the child must be started through it too: ESTIL_TEST_EXEC names it.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if wrapper := os.Getenv("ESTIL_TEST_EXEC"); wrapper != "" {
		cmd = exec.Command(wrapper, os.Args[0], "-test.run=^$")
	}
	for _, kv := range os.Environ() {
		switch strings.SplitN(kv, "=", 2)[0] {
		case "GOMLX_NO_AUTO_INSTALL", "GOMLX_BACKEND", "HOME", "PJRT_PLUGIN_LIBRARY_PATH", "LD_LIBRARY_PATH",
			"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy":
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, autoChild+"=1", "HOME="+home, "PJRT_PLUGIN_LIBRARY_PATH="+lib,
		"HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("auto in a child process: %v\n%s", err, out)
	}
	return string(out)
}

// TestAutoUsesInstalledPluginsFirst is §1.4 of the backends reading: go-xla's auto-install ran
// before it looked at installed plugins, so offline an installed plugin was never tried. Now an
// installed plugin is tried first and nothing is downloaded. The plugins here are not real ones
// (a shared library without PJRT's entry point, built with the C compiler a cgo build has, and
// a file that is not a library at all, on which go-xla panics), so they fail to load, for their
// own reason, and auto falls back to the Go backend.
func TestAutoUsesInstalledPluginsFirst(t *testing.T) {
	if XLABuilt {
		dir := t.TempDir()
		src, lib := filepath.Join(dir, "empty.c"), filepath.Join(dir, "dummy.so")
		if err := os.WriteFile(src, []byte("int not_pjrt(void) { return 0; }\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		cc := os.Getenv("CC")
		if cc == "" {
			cc = "gcc"
		}
		if out, err := exec.Command(cc, "-shared", "-fPIC", "-o", lib, src).CombinedOutput(); err != nil {
			t.Fatalf("a cgo build has a C compiler, yet %s failed: %v\n%s", cc, err, out)
		}
		dummy, err := os.ReadFile(lib)
		if err != nil {
			t.Fatal(err)
		}
		out := openAutoIn(t, map[string]string{"pjrt_c_api_cpu_plugin.so": string(dummy)})
		if strings.Contains(out, "downloading") || strings.Contains(out, "auto-install") ||
			!strings.Contains(out, "GetPjrtApi") || !strings.HasSuffix(out, "backend: go\n") {
			t.Errorf("auto should have tried the installed plugin, failed on its missing GetPjrtApi, downloaded nothing, and fallen back:\n%s", out)
		}
	}
	out := openAutoIn(t, map[string]string{"pjrt_c_api_cpu_plugin.so": "not a shared library"})
	if !XLABuilt {
		if !strings.Contains(out, "built without cgo") || !strings.Contains(out, "backend: go") {
			t.Errorf("auto without cgo:\n%s", out)
		}
		return
	}
	if strings.Contains(out, "downloading") || strings.Contains(out, "auto-install") {
		t.Errorf("auto tried to download although a plugin is installed:\n%s", out)
	}
	if !strings.Contains(out, "checking the installed PJRT plugins") || !strings.HasSuffix(out, "backend: go\n") {
		t.Errorf("auto should have found a broken plugin, said so, and fallen back:\n%s", out)
	}
}

// TestAutoSaysWhatItDownloads: with nothing installed and downloads allowed, auto says what it
// fetches and where, and how to opt out, before it starts; the download fails (no network
// here) and auto falls back with one line that says what to set.
func TestAutoSaysWhatItDownloads(t *testing.T) {
	out := openAutoIn(t, nil)
	if !XLABuilt {
		if !strings.Contains(out, "built without cgo") {
			t.Errorf("auto without cgo:\n%s", out)
		}
		return
	}
	if !cpuPluginSupported() {
		t.Logf("no CPU plugin is published for this platform:\n%s", out)
		return
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var announce, fallback int = -1, -1
	for i, l := range lines {
		if strings.HasPrefix(l, "estil: no XLA PJRT plugin installed: downloading XLA's CPU plugin") &&
			strings.Contains(l, "GOMLX_NO_AUTO_INSTALL=1") && strings.Contains(l, filepath.Join(".local", "lib", "go-xla")+";") {
			announce = i
		}
		if strings.HasPrefix(l, "estil: no XLA PJRT plugin loaded (downloading XLA's plugins failed") &&
			strings.Contains(l, "PJRT_PLUGIN_LIBRARY_PATH") && strings.Contains(l, "estil doctor") {
			fallback = i
		}
	}
	if announce < 0 || fallback < announce || !strings.HasSuffix(out, "backend: go\n") {
		t.Errorf("want the announcement, then the fallback line, then the Go backend; got:\n%s", out)
	}
}
