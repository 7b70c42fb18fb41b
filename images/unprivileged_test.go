package images

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// childEnv marks the copy of the test binary that runUnprivileged starts.
const childEnv = "ESTIL_IMAGES_UNPRIVILEGED_CHILD"

// runUnprivileged makes a permission test meaningful when the tests run as root (as CI does),
// where the kernel ignores file permissions: it runs the calling test again in a copy of this
// test binary as the user nobody, and fails if that run fails. It returns true in the root
// process, which then has nothing more to check; it returns false where the test itself should
// run (an ordinary user, or the child).
func runUnprivileged(t *testing.T) bool {
	t.Helper()
	if os.Geteuid() != 0 || os.Getenv(childEnv) == "1" {
		return false
	}
	// go test keeps its binary in a directory only root may enter: copy it where nobody can run it.
	dir, err := os.MkdirTemp("", "estil-unprivileged-*")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "images.test")
	copyFile(t, os.Args[0], bin)
	cmd := exec.Command(bin, "-test.run=^"+t.Name()+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("%s as user nobody: %v\n%s", t.Name(), err, out)
	}
	return true
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}
