package bench

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/estil-nst/estil/nst"
)

func DefaultPython() string {
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	return "python3"
}

// ParseSizes reads "64,128" into ascending sizes (ascending so that the process's peak RSS,
// which only grows, is the peak of the size just measured).
func ParseSizes(list string) ([]int, error) {
	var sizes []int
	for _, part := range strings.Split(list, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		n, err := strconv.Atoi(part)
		if err != nil {
			return nil, fmt.Errorf("%q is not a whole number of pixels", part)
		}
		if n < nst.MinImageSide || n > nst.MaxImageSide {
			return nil, fmt.Errorf("size %d is outside [%d, %d]", n, nst.MinImageSide, nst.MaxImageSide)
		}
		sizes = append(sizes, n)
	}
	if len(sizes) == 0 {
		return nil, fmt.Errorf("no sizes in %q", list)
	}
	slices.Sort(sizes)
	return slices.Compact(sizes), nil
}

// referenceScript is bench/pytorch_reference.py, built in: the PyTorch side of SideBySide runs
// this copy unless Settings.Script names another file. Looking for the file on disk instead (it
// once ran the first bench/pytorch_reference.py above the working directory) could run a
// stranger's script from a downloaded project or a shared folder.
//
//go:embed pytorch_reference.py
var referenceScript []byte

// script returns the path of the script to run: Settings.Script, checked (CheckScript), or the
// built-in copy written into the private folder dir.
func (s *Settings) script(dir string) (string, error) {
	if s.Script != "" {
		return CheckScript(s.Script)
	}
	path := filepath.Join(dir, "pytorch_reference.py")
	if err := os.WriteFile(path, referenceScript, 0o600); err != nil {
		return "", fmt.Errorf("writing the PyTorch script: %w", err)
	}
	return path, nil
}

// CheckScript refuses a script that anyone but the user could have written, since estil bench
// runs it: the file and its folder (python imports modules from the script's folder before its
// own, so whoever can add files there chooses what "import torch" runs) must belong to the user
// or root and be writable by neither group nor others. Links are followed; the path returned is
// the file's own, to run.
func CheckScript(path string) (string, error) {
	file, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("--script: %w", err)
	}
	fi, err := os.Stat(file)
	switch {
	case err != nil:
		return "", fmt.Errorf("--script: %w", err)
	case !fi.Mode().IsRegular():
		return "", fmt.Errorf("--script %s is not a regular file", path)
	}
	for _, p := range []string{file, filepath.Dir(file)} {
		fi, err := os.Stat(p)
		if err != nil {
			return "", fmt.Errorf("--script: %w", err)
		}
		uid, ok := owner(fi)
		switch {
		case !ok: // no owners and permissions to go by on this system
		case uid != os.Getuid() && uid != 0:
			return "", fmt.Errorf("refusing to run --script %s: %s belongs to user %d, neither you nor root, who chooses what it runs; copy the script into a folder of yours, or leave out --script to run estil's own", path, p, uid)
		case fi.Mode().Perm()&0o022 != 0:
			return "", fmt.Errorf("refusing to run --script %s: %s is writable by group or others (%v), who choose what it runs; chmod go-w it, or leave out --script to run estil's own", path, p, fi.Mode().Perm())
		}
	}
	return file, nil
}

// CheckTorch makes sure python can import torch and torchvision, in one clear line if not.
func CheckTorch(ctx context.Context, python string) error {
	out, err := exec.CommandContext(ctx, python, "-c", "import torch; print(torch.__version__)").CombinedOutput()
	if err != nil {
		last := strings.TrimSpace(string(out))
		if i := strings.LastIndex(last, "\n"); i >= 0 {
			last = last[i+1:]
		}
		return fmt.Errorf("%s cannot import torch (%v: %s): install it (Debian: apt-get install python3-torch python3-torchvision), pass --python, or --no-pytorch",
			python, err, last)
	}
	return nil
}

// python runs the PyTorch script and returns its standard output; its standard error goes into
// the error when it fails.
// env is its environment (nil: this process's).
func python(ctx context.Context, s *Settings, env []string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, s.Python, append([]string{s.Script}, args...)...)
	cmd.Env = env
	var errBuf strings.Builder
	cmd.Stderr = &errBuf
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(errBuf.String())
		if i := strings.LastIndex(msg, "\n"); i >= 0 {
			msg = msg[i+1:]
		}
		return nil, fmt.Errorf("%s %s %s: %v: %s", s.Python, filepath.Base(s.Script), args[0], err, msg)
	}
	return out, nil
}
