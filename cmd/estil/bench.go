package main

import (
	"context"
	"flag"
	"io"
	"math"

	"github.com/estil-nst/estil/bench"
	"github.com/estil-nst/estil/nst/backend"
)

var benchCmd = &command{
	UsageLine: "bench [--size 64,128] [--evals 10] [--device cpu|cuda] [flags]\n       estil bench --scales 256,512,1024 [--iters 5] [flags]",
	Short:     "time estil against the PyTorch original",
	Long:      benchLong,
	Flag: func(fs *flag.FlagSet) func(context.Context, io.Writer, io.Writer) error {
		s := new(bench.Settings)
		sizes, blas := registerBenchFlags(fs, s)
		return func(ctx context.Context, stdout, stderr io.Writer) error {
			return benchRun(ctx, fs, s, *sizes, *blas, stdout, stderr)
		}
	},
}

const benchLong = `
Times the same work in estil and in the PyTorch original (bench/pytorch_reference.py, built in):
VGG19 to conv5_1 with the original's loss (content at conv4_2, Gram matrices of conv1_1 …
conv5_1), N evaluations of L-BFGS (lr 1, history 100, strong Wolfe) from the content image,
on a content and a style picture drawn in code, at each size (square, size × size).

Both load the same RANDOM weights (torchvision's initialization, written by the script), so
at the same point the losses agree up to float rounding: the command fails if the loss of the
start, the loss of a probe picture (half content, half style) or the decrease over L-BFGS's
first step (which checks the gradients) differ by more than --tolerance. The losses after N
evaluations are shown but not held to it: L-BFGS's first line search amplifies float rounding
(PyTorch alone, float64 vs float32, ends 29 % apart after 5 evaluations at 32 px). To show
it at each size, PyTorch also runs in float64 (--float64-control, on by default): the control
row "pytorch f64", and how far it ends from PyTorch's float32 run.
Random weights: the figures are about speed, not art.

Printed per size and implementation: seconds per evaluation (the median of the intervals
between evaluations, i.e. steady state: estil compiles its graphs during the first ones), the
first evaluation's seconds (with compilation), GFLOP/s of the convolutions (forward + the
gradient with respect to the image: 2 × the forward's 3×3 convolution FLOPs per evaluation;
Gram matrices, pooling and the optimizer are not counted), peak memory (the process's peak RSS;
with --device cuda also PyTorch's torch.cuda.max_memory_allocated), and the losses.

Needs a python with torch (Debian: apt-get install python3-torch; torchvision is used when
present); --no-pytorch times estil alone, --no-estil PyTorch alone.

Which libraries PyTorch computes with matters. Its float32 convolutions go to oneDNN
(MKL-DNN) where torch has it, as Debian's and pip's do; its matrix products (the Gram
matrices and their gradients) go to its BLAS. Debian's python3-torch uses the system's
libblas.so.3: the slow reference BLAS unless libopenblas0-pthread is installed.
--pytorch-blas auto (the default) runs PyTorch with OpenBLAS wherever Debian's is installed,
whatever the system's choice; reference runs it with the reference BLAS; openblas,reference
times both (estil is compared with the first). OpenBLAS gets one thread
(OPENBLAS_NUM_THREADS=1 unless set), since PyTorch's own --threads already use the cores.
Printed: the convolution backend PyTorch picked, the BLAS whose sgemm it called, its version,
the kernels (core) OpenBLAS chose and the threads. Install OpenBLAS for a fair comparison:
against the reference BLAS, estil looks several times faster than it is.

With --scales, it times estil's coarse to fine instead (what stylize --scales does, on the same
drawn pictures): per scale the size, iterations, evaluations, seconds and peak memory. estil
alone: the original notebook runs at one size.
`

// benchRun checks estil bench's flags, parsed by fs into s (--size as text), and runs package
// bench.
func benchRun(ctx context.Context, fs *flag.FlagSet, s *bench.Settings, sizes, blas string, stdout, stderr io.Writer) error {
	var err error
	if s.Sizes, err = bench.ParseSizes(sizes); err != nil {
		return usagef("--size: %v", err)
	}
	if s.BLAS, err = bench.ParseBLAS(blas); err != nil {
		return usagef("--pytorch-blas: %v", err)
	}
	switch {
	case s.Evals < 2:
		return usagef("--evals must be at least 2 (the time per evaluation is measured between evaluations), got %d", s.Evals)
	case s.Device != "cpu" && s.Device != "cuda":
		return usagef("--device must be cpu or cuda, got %q", s.Device)
	case s.Threads < 1:
		return usagef("--threads must be ≥ 1, got %d", s.Threads)
	case s.NoTorch && s.NoEstil:
		return usagef("--no-pytorch and --no-estil leave nothing to time")
	case !(s.Tolerance >= 0) || math.IsInf(s.Tolerance, 0):
		return usagef("--tolerance must be a finite number ≥ 0, got %v", s.Tolerance)
	}
	if len(s.Scales) > 0 {
		var clash string
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "size" || f.Name == "evals" || f.Name == "no-estil" {
				clash = f.Name
			}
		})
		if clash != "" {
			return usagef("--scales times estil's coarse to fine at its own sizes: leave out --%s", clash)
		}
		if s.Iters < 1 {
			return usagef("--iters must be ≥ 1, got %d", s.Iters)
		}
		return bench.CoarseToFine(ctx, s, stdout, stderr)
	}
	if !s.NoTorch {
		if err := bench.CheckTorch(ctx, s.Python); err != nil {
			return err
		}
	}
	return bench.SideBySide(ctx, s, stdout, stderr)
}

// registerBenchFlags defines estil bench's flags on fs, into s; --size and --pytorch-blas come back
// as text, parsed by benchRun (bench.ParseSizes, bench.ParseBLAS).
func registerBenchFlags(fs *flag.FlagSet, s *bench.Settings) (sizes, blas *string) {
	sizes, blas = new(string), new(string)
	fs.StringVar(sizes, "size", "64,128", "comma-separated image sizes (square, pixels)")
	fs.IntVar(&s.Evals, "evals", 10, "L-BFGS evaluations of the loss per size (≥ 2)")
	fs.StringVar(&s.Python, "python", bench.DefaultPython(), "python interpreter with torch")
	fs.StringVar(&s.Script, "script", "", "a PyTorch script to run instead of the built-in one (yours, writable by no one else)")
	fs.StringVar(&s.Device, "device", "cpu", "PyTorch's device: cpu or cuda")
	fs.IntVar(&s.Threads, "threads", 2, "PyTorch's CPU threads (torch.set_num_threads; OpenBLAS gets 1)")
	fs.StringVar(blas, "pytorch-blas", bench.BLASAuto, "PyTorch's BLAS: auto, openblas, reference or system; a list adds rows")
	fs.StringVar(&s.Backend, "backend", backend.Auto, "estil's backend: auto, go, xla:cpu, xla:cuda or xla:/path/to/pjrt_plugin.so")
	fs.StringVar(&s.Weights, "weights", "", "weights file for both (default: random weights)")
	fs.IntVar(&s.Seed, "seed", 0, "seed of the random weights")
	fs.Float64Var(&s.Tolerance, "tolerance", 0.01, "largest relative difference of the losses at the same points")
	fs.BoolVar(&s.NoTorch, "no-pytorch", false, "time estil alone")
	fs.BoolVar(&s.NoEstil, "no-estil", false, "time PyTorch alone (e.g. when estil's backend does not load)")
	fs.BoolVar(&s.Control, "float64-control", true, "also run PyTorch in float64, to show float rounding's drift")
	fs.BoolVar(&s.JSON, "json", false, "print the results as JSON")
	fs.Var((*scaleList)(&s.Scales), "scales", "instead: time estil's coarse to fine at these sizes, e.g. 256,512,1024")
	fs.IntVar(&s.Iters, "iters", 5, "with --scales: L-BFGS iterations per scale")
	return sizes, blas
}
