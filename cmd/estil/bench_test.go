package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/estil-nst/estil/bench"
)

// requireTorch skips (or, under CI, fails) when /usr/bin/python3 cannot import torch.
func requireTorch(t *testing.T) {
	t.Helper()
	if err := exec.Command("/usr/bin/python3", "-c", "import torch").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI: /usr/bin/python3 cannot import torch (%v): apt-get install python3-torch python3-torchvision", err)
		}
		t.Skipf("/usr/bin/python3 cannot import torch (%v); apt-get install python3-torch python3-torchvision", err)
	}
}

// TestBenchAgreesWithPyTorch runs the side-by-side benchmark at a tiny size and checks that estil
// and the PyTorch original compute the same losses from the same random weights and pictures.
func TestBenchAgreesWithPyTorch(t *testing.T) {
	requireTorch(t)
	code, stdout, stderr := estil(t, "bench", "--size", "32", "--evals", "4", "--backend", "go",
		"--python", "/usr/bin/python3", "--json")
	if code != 0 {
		t.Fatalf("exit %d\nstderr: %s", code, stderr)
	}
	if !strings.Contains(stderr, "RANDOM weights") {
		t.Errorf("random weights not announced: %q", stderr)
	}
	var rep bench.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if len(rep.Runs) != 3 || len(rep.Comparisons) != 1 {
		t.Fatalf("want 3 runs (estil, PyTorch, its float64 control) and 1 comparison, got %d and %d", len(rep.Runs), len(rep.Comparisons))
	}
	e, p, f64 := rep.Runs[0], rep.Runs[1], rep.Runs[2]
	if e.Implementation != "estil" || p.Implementation != "pytorch" || f64.Implementation != "pytorch f64" {
		t.Fatalf("runs are %q, %q and %q", e.Implementation, p.Implementation, f64.Implementation)
	}
	// The control computes the same function in float64: at the start it differs from the
	// float32 run by float32's rounding only.
	if d := bench.RelDiff(p.Losses[0], f64.Losses[0]); d > 1e-5 {
		t.Errorf("PyTorch float32 and float64 start losses %v and %v differ by %.2g", p.Losses[0], f64.Losses[0], d)
	}
	for _, r := range rep.Runs {
		if r.Evaluations != 4 || len(r.Losses) != 4 || r.Width != 32 || r.Height != 32 {
			t.Errorf("%s: %d evaluations (%d losses) at %d×%d, want 4 at 32×32", r.Implementation, r.Evaluations, len(r.Losses), r.Width, r.Height)
		}
		if !(r.SecondsPerEvaluation > 0) || !(r.GFLOPs > 0) || r.PeakRSSBytes < 10<<20 {
			t.Errorf("%s: implausible figures: %+v", r.Implementation, r)
		}
	}
	// The same function at the same points: float32 rounding only (measured ~4e-6).
	for _, pair := range [][2]float64{{e.Losses[0], p.Losses[0]}, {e.LossAtImage, p.LossAtImage}} {
		if d := bench.RelDiff(pair[0], pair[1]); d > 1e-4 {
			t.Errorf("losses %v and %v differ by %.2g", pair[0], pair[1], d)
		}
	}
	// The first step's decrease checks the gradients.
	if d := bench.RelDiff(bench.FirstDecrease(e), bench.FirstDecrease(p)); d > 0.01 {
		t.Errorf("first-step decreases %v and %v differ by %.2g", bench.FirstDecrease(e), bench.FirstDecrease(p), d)
	}
	if e.Losses[1] >= e.Losses[0] || e.LossAtImage == e.Losses[0] {
		t.Errorf("the loss did not fall, or the probe is the start: %v, probe %v", e.Losses, e.LossAtImage)
	}
	if c := rep.Comparisons[0]; !c.Agree || !c.StepChecked || math.Abs(c.Ratio-e.SecondsPerEvaluation/p.SecondsPerEvaluation) > 1e-9 {
		t.Errorf("comparison %+v", c)
	}
	c := rep.Comparisons[0]
	if c.DriftsAt != bench.DriftsAt(e, p) || c.ControlDriftsAt != bench.DriftsAt(p, f64) || c.DriftsAt == 1 || c.ControlDriftsAt == 1 ||
		c.ControlFinalRelDiff != bench.RelDiff(p.FinalLoss(), f64.FinalLoss()) {
		t.Errorf("drift figures %+v do not match the runs", c)
	}
}

// TestBenchNamesPyTorchsBLAS runs PyTorch with OpenBLAS and with the reference BLAS and checks
// that each row names the BLAS whose sgemm PyTorch called, with OpenBLAS's core and its one
// thread (estil bench's OPENBLAS_NUM_THREADS=1), and that both compute the same losses.
func TestBenchNamesPyTorchsBLAS(t *testing.T) {
	requireTorch(t)
	openblas, _ := filepath.Glob("/usr/lib/*-linux-gnu/openblas-pthread/libblas.so.3")
	reference, _ := filepath.Glob("/usr/lib/*-linux-gnu/blas/libblas.so.3")
	if len(openblas) == 0 || len(reference) == 0 {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI: OpenBLAS (%v) or the reference BLAS (%v) missing: apt-get install libopenblas0-pthread libblas3", openblas, reference)
		}
		t.Skipf("needs Debian's OpenBLAS and reference BLAS: apt-get install libopenblas0-pthread libblas3")
	}
	code, stdout, stderr := estil(t, "bench", "--size", "32", "--evals", "2", "--no-estil", "--float64-control=false",
		"--pytorch-blas", "openblas,reference", "--python", "/usr/bin/python3", "--json")
	if code != 0 {
		t.Fatalf("exit %d\nstderr: %s", code, stderr)
	}
	var rep bench.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if len(rep.Runs) != 2 || rep.Runs[0].BLAS == nil || rep.Runs[1].BLAS == nil {
		t.Fatalf("want 2 PyTorch runs, each with its BLAS; got %+v", rep.Runs)
	}
	o, r := rep.Runs[0], rep.Runs[1]
	if o.BLAS.Kind != "OpenBLAS" || !strings.Contains(o.BLAS.Config, "OpenBLAS") || o.BLAS.Core == "" || !strings.Contains(o.BLAS.Library, "openblas") ||
		o.Backend != "torch cpu OpenBLAS" {
		t.Errorf("the OpenBLAS row: %s, backend %q", o.BLAS, o.Backend)
	}
	if _, set := os.LookupEnv("OPENBLAS_NUM_THREADS"); !set && o.BLAS.BLASThreads != 1 {
		t.Errorf("OpenBLAS ran %d threads beside PyTorch's pool, want 1", o.BLAS.BLASThreads)
	}
	if r.BLAS.Kind != "reference" || !strings.Contains(r.BLAS.Library, "/blas/") || r.Backend != "torch cpu reference" {
		t.Errorf("the reference row: %s, backend %q", r.BLAS, r.Backend)
	}
	// Which kernels convolve: oneDNN's in Debian's float32 torch (USE_MKLDNN=ON, 2 threads).
	if o.BLAS.ConvBackend == "" || o.BLAS.ConvBackend == "unknown" {
		t.Errorf("PyTorch's convolution backend not reported: %+v", o.BLAS)
	}
	if d := bench.RelDiff(o.Losses[0], r.Losses[0]); d > 1e-4 {
		t.Errorf("the two BLAS give start losses %v and %v (%.2g apart)", o.Losses[0], r.Losses[0], d)
	}
}

func TestBenchBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--size", "abc"},
		{"--size", "8"},
		{"--size", ","},
		{"--evals", "1"},
		{"--device", "tpu"},
		{"--threads", "0"},
		{"--tolerance", "NaN"},
		{"--no-estil"},
		{"--scales", "64,32"},
		{"--scales", "8,16"},
		{"--scales", "32,x"},
		{"--scales", "32,48", "--iters", "0"},
		{"--scales", "32,48", "--size", "64"},
		{"--pytorch-blas", "mkl"},
		{"--pytorch-blas", "openblas,openblas"},
		{"--pytorch-blas", ""},
	} {
		code, _, stderr := estil(t, append([]string{"bench", "--no-pytorch"}, args...)...)
		if code != 2 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, want 2 with one line; stderr %q", args, code, stderr)
		}
	}
	code, _, stderr := estil(t, "bench", "--python", "/nonexistent/python3", "--size", "32")
	if code != 1 || !strings.Contains(stderr, "--no-pytorch") {
		t.Errorf("missing python: exit %d, stderr %q", code, stderr)
	}
}

// TestBenchScales times a tiny coarse-to-fine run and checks the per-scale report: each scale at
// its size, with its own iterations, evaluations, time and peak memory.
func TestBenchScales(t *testing.T) {
	code, stdout, stderr := estil(t, "bench", "--scales", "32,48", "--iters", "2", "--backend", "go", "--json")
	if code != 0 {
		t.Fatalf("exit %d\nstderr: %s", code, stderr)
	}
	if !strings.Contains(stderr, "RANDOM weights") {
		t.Errorf("random weights not announced: %q", stderr)
	}
	var rep bench.ScalesReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if len(rep.Scales) != 2 || rep.Iterations != 2 {
		t.Fatalf("want 2 scales of 2 iterations, got %+v", rep)
	}
	for i, want := range [][3]int{{32, 32, 24}, {48, 48, 36}} {
		r := rep.Scales[i]
		if r.Scale != want[0] || r.Width != want[1] || r.Height != want[2] {
			t.Errorf("scale %d: %d at %d×%d, want %d at %d×%d", i, r.Scale, r.Width, r.Height, want[0], want[1], want[2])
		}
		if r.Iterations < 1 || r.Iterations > 2 || r.Evaluations < r.Iterations || !(r.Seconds > 0) || r.PeakRSSBytes < 10<<20 ||
			!(r.Loss > 0) {
			t.Errorf("scale %d: implausible figures %+v", r.Scale, r)
		}
	}
}

// fakePython writes into dir a "python" that passes CheckTorch's "import torch" and, asked to run
// a script, copies the script to ran and fails: what estil bench would have run.
func fakePython(t *testing.T, dir string) (python, ran string) {
	t.Helper()
	python, ran = filepath.Join(dir, "python"), filepath.Join(dir, "ran.py")
	script := "#!/bin/sh\n[ \"$1\" = -c ] && exit 0\ncp \"$1\" '" + ran + "'\necho 'no torch here' >&2\nexit 1\n"
	if err := os.WriteFile(python, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return python, ran
}

// TestBenchRunsItsOwnScript: without --script, estil bench runs its own built-in copy of
// bench/pytorch_reference.py, never one it finds on disk (issue 18, finding 2: it ran the first
// bench/pytorch_reference.py in the working directory or any folder above it).
func TestBenchRunsItsOwnScript(t *testing.T) {
	own, err := os.ReadFile(filepath.Join("..", "..", "bench", "pytorch_reference.py"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	python, ran := fakePython(t, dir)
	planted := filepath.Join(dir, "project", "bench", "pytorch_reference.py")
	if err := os.MkdirAll(filepath.Dir(planted), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(planted, []byte("import os; os.system('echo a stranger ran this')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join(dir, "project"))
	code, _, stderr := estil(t, "bench", "--no-estil", "--size", "32", "--evals", "2", "--python", python)
	if code != 1 || !strings.Contains(stderr, "no torch here") {
		t.Fatalf("exit %d, stderr %q; want the fake python's failure", code, stderr)
	}
	if got, err := os.ReadFile(ran); err != nil || !bytes.Equal(got, own) {
		t.Errorf("estil bench ran %d bytes (%v) that are not its own script: %.80q", len(got), err, got)
	}
}

// TestBenchRefusesAStrangersScript: --script is run only if it and its folder belong to the user
// (or root) and nobody else can write them; a refusal is one line naming the path (issue 18,
// finding 2).
func TestBenchRefusesAStrangersScript(t *testing.T) {
	dir := t.TempDir()
	python, ran := fakePython(t, dir)
	script := func(name string, fileMode, dirMode os.FileMode) string {
		folder := filepath.Join(dir, name)
		if err := os.Mkdir(folder, 0o700); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(folder, "reference.py")
		if err := os.WriteFile(p, []byte("print('hello')\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		for path, mode := range map[string]os.FileMode{p: fileMode, folder: dirMode} {
			if err := os.Chmod(path, mode); err != nil {
				t.Fatal(err)
			}
		}
		return p
	}
	cases := []struct {
		name, path, want string
	}{
		{"writable by others", script("open", 0o666, 0o755), "open/reference.py is writable by group or others"},
		{"writable by the group", script("group", 0o664, 0o755), "group/reference.py is writable by group or others"},
		{"in a folder others write in", script("shared", 0o644, 0o777|os.ModeSticky), "shared is writable by group or others"},
		{"a link to one writable by others", filepath.Join(dir, "link.py"), "open/reference.py is writable by group or others"},
		{"not a file", dir, "not a regular file"},
	}
	if err := os.Symlink(cases[0].path, cases[3].path); err != nil {
		t.Fatal(err)
	}
	stranger := script("stranger", 0o644, 0o755)
	if err := os.Chown(stranger, 12345, 12345); err == nil { // only root can give a file away
		cases = append(cases, struct{ name, path, want string }{"someone else's", stranger, "belongs to user 12345"})
	} else {
		t.Logf("not checking a file of another user: %v", err)
	}
	for _, c := range cases {
		code, _, stderr := estil(t, "bench", "--no-estil", "--size", "32", "--evals", "2", "--python", python, "--script", c.path)
		if code != 1 || !strings.Contains(stderr, c.want) || !strings.Contains(stderr, c.path) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s: exit %d, stderr %q; want one line naming %s and saying %q", c.name, code, stderr, c.path, c.want)
		}
		if _, err := os.Stat(ran); err == nil {
			t.Fatalf("%s: the script was run", c.name)
		}
	}
	// The user's own script, which nobody else can write, runs.
	mine := script("mine", 0o644, 0o755)
	code, _, stderr := estil(t, "bench", "--no-estil", "--size", "32", "--evals", "2", "--python", python, "--script", mine)
	if got, err := os.ReadFile(ran); code != 1 || err != nil || string(got) != "print('hello')\n" {
		t.Errorf("the user's own script was not run: exit %d, %v, stderr %q", code, err, stderr)
	}
}
