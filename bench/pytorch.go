package bench

import (
	"context"
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

// FindScript looks for bench/pytorch_reference.py above the working directory and next to
// the executable (the GPU bundle puts it in bench/ beside bin/).
func FindScript() (string, error) {
	const rel = "bench/pytorch_reference.py"
	var dirs []string
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			dirs = append(dirs, d)
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if exe, err := os.Executable(); err == nil {
		dirs = append(dirs, filepath.Dir(exe), filepath.Dir(filepath.Dir(exe)))
	}
	for _, d := range dirs {
		p := filepath.Join(d, rel)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("cannot find %s above the working directory or the executable: pass --script PATH, or --no-pytorch", rel)
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
func python(ctx context.Context, s *Settings, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, s.Python, append([]string{s.Script}, args...)...)
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
