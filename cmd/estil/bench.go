package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/internal/rss"
	"github.com/estil-nst/estil/nst"
	"github.com/estil-nst/estil/weights"
)

const benchUsage = `Usage: estil bench [--size 64,128] [--evals 10] [--device cpu|cuda] [flags]
       estil bench --scales 256,512,1024 [--iters 5] [flags]

Times the same work in estil and in the PyTorch original (bench/pytorch_reference.py):
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

With --scales, it times estil's coarse to fine instead (what stylize --scales does, on the same
drawn pictures): per scale the size, iterations, evaluations, seconds and peak memory. estil
alone: the original notebook runs at one size.

Flags (one or two dashes):
`

// errBenchDone stops a benchmarked transfer after its N evaluations.
var errBenchDone = errors.New("benchmark: evaluations done")

// benchRun is one implementation at one size.
type benchRun struct {
	Implementation       string    `json:"implementation"`
	Backend              string    `json:"backend"`
	Width                int       `json:"width"`
	Height               int       `json:"height"`
	Evaluations          int       `json:"evaluations"`
	Losses               []float64 `json:"losses"`
	FirstSeconds         float64   `json:"first_seconds"`
	SecondsPerEvaluation float64   `json:"seconds_per_evaluation"`
	MeanSeconds          float64   `json:"mean_seconds_per_evaluation"`
	GFLOPs               float64   `json:"gflop_per_s"`
	// MatMulGFLOPs is the backend's rate on one convolution-shaped matrix product, timed in the
	// same run (estil's rows only), and BoundPercent how close the evaluation came to it: the
	// seconds its convolution FLOPs would take at that rate over the seconds it took.
	MatMulGFLOPs    float64 `json:"matmul_gflop_per_s,omitempty"`
	MatMulShape     string  `json:"matmul_shape,omitempty"`
	BoundPercent    float64 `json:"percent_of_matmul_bound,omitempty"`
	PeakRSSBytes    int64   `json:"peak_rss_bytes"`
	PeakDeviceBytes int64   `json:"peak_device_bytes,omitempty"`
	// LossAtImage is this implementation's loss of the probe picture (half content, half style:
	// a point where neither loss is 0), the same file for both.
	LossAtImage float64 `json:"loss_at_image"`
}

// finalLoss is the loss of the last evaluation.
func (r benchRun) finalLoss() float64 {
	if len(r.Losses) == 0 {
		return math.NaN()
	}
	return r.Losses[len(r.Losses)-1]
}

// benchComparison sets estil against PyTorch at one size.
//
// What must agree, and what cannot. Both compute the same function, so at the same point the
// losses agree up to float rounding (~1e-6 in float32 on a CPU, ~1e-3 with TF32 on a GPU):
//
//   - First: the loss of the content image (the start), and
//   - AtImage: the loss of a probe picture, half content and half style (a point where neither
//     the content nor the style loss is 0);
//   - Step: the decrease of the loss over L-BFGS's first step, x₁ = x₀ − g/‖g‖₁, which is
//     ≈ ‖g‖²/‖g‖₁ and so checks the gradients.
//
// The losses after N evaluations (Final) are reported but cannot be held to a tolerance: the
// first L-BFGS iteration starts with a tiny step (1/‖g‖₁) on a nearly linear loss and its
// strong-Wolfe line search extrapolates with cubic fits through nearly equal losses, which
// amplifies float rounding. PyTorch itself, run in float64 instead of float32, differs from its
// float32 run by 0.4 % at the third evaluation and 29 % at the fifth (32 px, random weights).
type benchComparison struct {
	Size int `json:"size"`
	// Ratio is estil's seconds per evaluation over PyTorch's (< 1: estil is faster).
	Ratio float64 `json:"ratio"`
	// Relative differences |a − b| / max(|a|, |b|).
	FirstRelDiff   float64 `json:"first_loss_rel_diff"`
	StepRelDiff    float64 `json:"first_step_decrease_rel_diff"`
	AtImageRelDiff float64 `json:"loss_at_result_rel_diff"`
	FinalRelDiff   float64 `json:"final_loss_rel_diff"`
	// The control: PyTorch's float32 run against the same run in float64, where only float
	// rounding differs. ControlFinalRelDiff is their relative difference after N evaluations;
	// DriftsAt and ControlDriftsAt are the first evaluation at which estil and PyTorch, and
	// PyTorch float32 and float64, are more than 1 % apart (0: never within N).
	ControlFinalRelDiff float64 `json:"control_final_loss_rel_diff,omitempty"`
	DriftsAt            int     `json:"drifts_at_evaluation"`
	ControlDriftsAt     int     `json:"control_drifts_at_evaluation,omitempty"`
	// StepChecked is false when the first step's decrease is too small to tell from rounding
	// (below 4× the difference of the start losses): at 256 px and more the first step,
	// 1/‖g‖₁, changes the loss by ~1e-6 of itself.
	StepChecked bool `json:"first_step_checked"`
	Agree       bool `json:"agree"`
}

type benchReport struct {
	Date          string            `json:"date"`
	Host          string            `json:"host"`
	LoadAverage   string            `json:"load_average"`
	CPUs          int               `json:"cpus"`
	SIMD          bool              `json:"goexperiment_simd"`
	Weights       string            `json:"weights"`
	RandomWeights bool              `json:"random_weights"`
	Evaluations   int               `json:"evaluations"`
	Tolerance     float64           `json:"tolerance"`
	FLOPsCounted  string            `json:"flops_counted"`
	Runs          []benchRun        `json:"runs"`
	Comparisons   []benchComparison `json:"comparisons"`
}

type benchSettings struct {
	sizes     []int
	evals     int
	python    string
	script    string
	device    string
	threads   int
	backend   string
	weights   string
	seed      int
	tolerance float64
	noTorch   bool
	noEstil   bool
	control   bool
	scales    []int // --scales: time estil's coarse to fine instead
	iters     int   // L-BFGS iterations per scale, with --scales
	json      bool
}

func benchCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var s benchSettings
	var sizes string
	fs.StringVar(&sizes, "size", "64,128", "comma-separated image sizes (square, pixels)")
	fs.IntVar(&s.evals, "evals", 10, "L-BFGS evaluations of the loss per size (≥ 2)")
	fs.StringVar(&s.python, "python", defaultPython(), "python interpreter with torch")
	fs.StringVar(&s.script, "script", "", "path of pytorch_reference.py (default: bench/ next to the module root or the executable)")
	fs.StringVar(&s.device, "device", "cpu", "PyTorch's device: cpu or cuda")
	fs.IntVar(&s.threads, "threads", 2, "PyTorch's CPU threads (torch.set_num_threads)")
	fs.StringVar(&s.backend, "backend", nst.BackendAuto, "estil's backend: auto, go, xla:cpu, xla:cuda or xla:/path/to/pjrt_plugin.so")
	fs.StringVar(&s.weights, "weights", "", "weights file for both (default: random, written by the PyTorch script; with --no-pytorch, estil's own random weights)")
	fs.IntVar(&s.seed, "seed", 0, "seed of the random weights")
	fs.Float64Var(&s.tolerance, "tolerance", 0.01, "largest relative difference of the losses at the same points (start, probe picture) and of the first step's decrease")
	fs.BoolVar(&s.noTorch, "no-pytorch", false, "time estil alone")
	fs.BoolVar(&s.noEstil, "no-estil", false, "time PyTorch alone (e.g. when estil's backend does not load)")
	fs.BoolVar(&s.control, "float64-control", true, "also run PyTorch in float64, to show how far float rounding alone moves the trajectory")
	fs.BoolVar(&s.json, "json", false, "print the results as JSON")
	var scales string
	fs.StringVar(&scales, "scales", "", "instead: time estil's coarse to fine (stylize --scales), e.g. 256,512,1024, and report time and peak memory per scale (estil alone: the original has no coarse to fine)")
	fs.IntVar(&s.iters, "iters", 5, "with --scales: L-BFGS iterations per scale")
	fs.Usage = func() { fmt.Fprint(fs.Output(), benchUsage); fs.PrintDefaults() }
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	var err error
	if s.sizes, err = parseSizes(sizes); err != nil {
		return usagef("--size: %v", err)
	}
	switch {
	case s.evals < 2:
		return usagef("--evals must be at least 2 (the time per evaluation is measured between evaluations), got %d", s.evals)
	case s.device != "cpu" && s.device != "cuda":
		return usagef("--device must be cpu or cuda, got %q", s.device)
	case s.threads < 1:
		return usagef("--threads must be ≥ 1, got %d", s.threads)
	case s.noTorch && s.noEstil:
		return usagef("--no-pytorch and --no-estil leave nothing to time")
	case !(s.tolerance >= 0) || math.IsInf(s.tolerance, 0):
		return usagef("--tolerance must be a finite number ≥ 0, got %v", s.tolerance)
	}
	if scales != "" {
		var clash string
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "size" || f.Name == "evals" || f.Name == "no-estil" {
				clash = f.Name
			}
		})
		if clash != "" {
			return usagef("--scales times estil's coarse to fine at its own sizes: leave out --%s", clash)
		}
		if s.scales, err = nst.ParseScales(scales); err != nil {
			return usagef("--scales: %v", err)
		}
		if s.iters < 1 {
			return usagef("--iters must be ≥ 1, got %d", s.iters)
		}
		return benchScales(ctx, &s, stdout, stderr)
	}
	if !s.noTorch {
		if s.script == "" {
			if s.script, err = findBenchScript(); err != nil {
				return err
			}
		}
		if err := checkTorch(ctx, s.python); err != nil {
			return err
		}
	}
	return runBench(ctx, &s, stdout, stderr)
}

func defaultPython() string {
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	return "python3"
}

// parseSizes reads "64,128" into ascending sizes (ascending so that the process's peak RSS,
// which only grows, is the peak of the size just measured).
func parseSizes(list string) ([]int, error) {
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

// findBenchScript looks for bench/pytorch_reference.py above the working directory and next to
// the executable (the GPU bundle puts it in bench/ beside bin/).
func findBenchScript() (string, error) {
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
	return "", usagef("cannot find %s above the working directory or the executable: pass --script PATH, or --no-pytorch", rel)
}

// checkTorch makes sure python can import torch and torchvision, in one clear line if not.
func checkTorch(ctx context.Context, python string) error {
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

func runBench(ctx context.Context, s *benchSettings, stdout, stderr io.Writer) error {
	dir, err := os.MkdirTemp("", "estil-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	rep := &benchReport{
		Date: time.Now().UTC().Format(time.RFC3339), LoadAverage: loadAverage(), CPUs: runtime.NumCPU(),
		Evaluations: s.evals, Tolerance: s.tolerance,
		FLOPsCounted: "2 × the forward 3×3 convolution FLOPs to conv5_1 per evaluation (forward + gradient w.r.t. the image; multiply-add = 2)",
	}
	rep.Host, _ = os.Hostname()
	rep.SIMD, _ = nst.SIMDBuild()

	// The weights: one file both implementations read.
	var w *weights.Set
	switch {
	case s.weights != "":
		if w, err = weights.ReadFile(s.weights, weights.VGG19); err != nil {
			return err
		}
	case s.noTorch:
		w = weights.Random(weights.VGG19, int64(s.seed))
	default:
		s.weights = filepath.Join(dir, "vgg19_random.pth")
		if _, err := python(ctx, s, "save-weights", "--out", s.weights, "--seed", strconv.Itoa(s.seed)); err != nil {
			return err
		}
		if w, err = weights.ReadFile(s.weights, weights.VGG19); err != nil {
			return err
		}
		w.Random = true // torchvision's initialization, not a training
		w.Source = fmt.Sprintf("random (torchvision's VGG19 initialization, torch.manual_seed(%d), written by %s)", s.seed, filepath.Base(s.script))
	}
	rep.Weights, rep.RandomWeights = w.Source, w.Random
	if w.Random {
		fmt.Fprintln(stderr, "estil bench: RANDOM weights (timing and agreement only; this is not a style transfer)")
	}
	channels, err := convChannels(w)
	if err != nil {
		return err
	}
	var model *nst.Model
	if !s.noEstil {
		if model, err = nst.LoadModel(ctx, nst.LoadOptions{Set: w, Backend: s.backend, Notice: stderr}); err != nil {
			return err
		}
	}

	var failed []string
	for _, size := range s.sizes {
		content, style, probe, err := benchPictures(dir, size)
		if err != nil {
			return err
		}
		var er benchRun
		if !s.noEstil {
			fmt.Fprintf(stderr, "estil bench: %d px, estil (%s) …\n", size, model.Backend.Name())
			if er, err = benchEstil(ctx, model, content.img, style.img, probe.img, s.evals); err != nil {
				return fmt.Errorf("estil at %d px: %w", size, err)
			}
			er.GFLOPs = benchGFLOPs(channels, er.Width, er.Height, er.SecondsPerEvaluation)
			if err := benchMatMulBound(model, &er); err != nil {
				return err
			}
			rep.Runs = append(rep.Runs, er)
		}
		if s.noTorch {
			continue
		}
		runTorch := func(float64Control bool) (benchRun, error) {
			args := []string{"run", "--weights", s.weights, "--content", content.path, "--style", style.path,
				"--evals", strconv.Itoa(s.evals), "--device", s.device, "--threads", strconv.Itoa(s.threads),
				"--eval-image", probe.path}
			label := ""
			if float64Control {
				args, label = append(args, "--float64"), ", float64"
			}
			fmt.Fprintf(stderr, "estil bench: %d px, PyTorch (%s%s) …\n", size, s.device, label)
			var tr benchRun
			out, err := python(ctx, s, args...)
			if err != nil {
				return tr, err
			}
			if err := json.Unmarshal(out, &tr); err != nil {
				return tr, fmt.Errorf("PyTorch script printed something else than its JSON (%v): %.200s", err, out)
			}
			tr.Backend = "torch " + s.device
			if float64Control {
				tr.Implementation += " f64"
			}
			tr.GFLOPs = benchGFLOPs(channels, tr.Width, tr.Height, tr.SecondsPerEvaluation)
			rep.Runs = append(rep.Runs, tr)
			return tr, nil
		}
		tr, err := runTorch(false)
		if err != nil {
			return err
		}
		var control *benchRun
		if s.control {
			c, err := runTorch(true)
			if err != nil {
				return err
			}
			control = &c
		}
		if s.noEstil {
			continue
		}
		c := compareRuns(size, er, tr, s.tolerance)
		if control != nil {
			c.ControlFinalRelDiff = relDiff(tr.finalLoss(), control.finalLoss())
			c.ControlDriftsAt = driftsAt(tr, *control)
		}
		rep.Comparisons = append(rep.Comparisons, c)
		if !c.Agree {
			failed = append(failed, fmt.Sprintf("at %d px (estil, PyTorch): %d and %d evaluations; start loss %.7g and %.7g; "+
				"loss of the probe picture %.7g and %.7g; first-step decrease %.4g and %.4g (tolerance %g)",
				size, er.Evaluations, tr.Evaluations, er.Losses[0], tr.Losses[0], er.LossAtImage, tr.LossAtImage,
				firstDecrease(er), firstDecrease(tr), s.tolerance))
		}
	}

	if s.json {
		data, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, string(data))
	} else {
		printBench(stdout, rep)
	}
	if len(failed) > 0 {
		return fmt.Errorf("estil and PyTorch disagree: %s", strings.Join(failed, "; "))
	}
	return nil
}

type benchPicture struct {
	path string
	img  image.Image
}

// benchPictures draws the content (a lighthouse) and style (swirls) pictures at size × size,
// and a probe picture that is their average, and writes them as binary PPM for the PyTorch
// script (which then needs nothing but torch to read them): both see the same 8-bit pixels.
func benchPictures(dir string, size int) (content, style, probe benchPicture, err error) {
	c, s := images.Lighthouse(size, size), images.Swirls(size, size)
	mix := image.NewNRGBA(image.Rect(0, 0, size, size))
	for y := range size {
		for x := range size {
			r1, g1, b1, _ := c.At(x, y).RGBA()
			r2, g2, b2, _ := s.At(x, y).RGBA()
			mix.Set(x, y, color.NRGBA{uint8((r1 + r2) >> 9), uint8((g1 + g2) >> 9), uint8((b1 + b2) >> 9), 255})
		}
	}
	pics := []struct {
		name string
		img  image.Image
		out  *benchPicture
	}{{"content", c, &content}, {"style", s, &style}, {"probe", mix, &probe}}
	for _, p := range pics {
		path := filepath.Join(dir, fmt.Sprintf("%s_%d.ppm", p.name, size))
		if err = writePPM(path, p.img); err != nil {
			return
		}
		*p.out = benchPicture{path, p.img}
	}
	return
}

// writePPM writes an opaque picture as a binary PPM (P6): a one-line header and the RGB bytes.
// A pixel that is not opaque is an error, since estil would blend it over white.
func writePPM(path string, img image.Image) error {
	b := img.Bounds()
	buf := fmt.Appendf(nil, "P6\n%d %d\n255\n", b.Dx(), b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			if c.A != 255 {
				return fmt.Errorf("%s: pixel (%d, %d) is not opaque", path, x, y)
			}
			buf = append(buf, c.R, c.G, c.B)
		}
	}
	return os.WriteFile(path, buf, 0o644)
}

// benchEstil runs estil's transfer for exactly evals evaluations and times them, then computes
// the loss of the probe picture (LossAtImage), which the PyTorch script computes too.
func benchEstil(ctx context.Context, model *nst.Model, content, style, probe image.Image, evals int) (benchRun, error) {
	t := nst.NewTransfer(model)
	t.Iterations = evals // as the script: max_iter = N, max_eval = N·5/4; stopped at N evaluations
	var losses []float64
	var stamps []time.Time
	t.OnEvaluation = func(e nst.Evaluation) error {
		losses = append(losses, e.Total)
		stamps = append(stamps, time.Now())
		if len(losses) == evals {
			return errBenchDone
		}
		return nil
	}
	start := time.Now()
	styles := []nst.Style{{Image: style, Weight: 1}}
	_, err := t.Run(ctx, content, styles)
	if err != nil && !errors.Is(err, errBenchDone) {
		return benchRun{}, err
	}
	if len(losses) == 0 {
		return benchRun{}, errors.New("no evaluation was made")
	}
	b := content.Bounds()
	r := benchRun{
		Implementation: "estil", Backend: model.Backend.Name() + " (" + model.Lowering.String() + ")",
		Width: b.Dx(), Height: b.Dy(), Evaluations: len(losses), Losses: losses,
		FirstSeconds: stamps[0].Sub(start).Seconds(), PeakRSSBytes: rss.Peak(),
	}
	var intervals []float64
	for i := 1; i < len(stamps); i++ {
		intervals = append(intervals, stamps[i].Sub(stamps[i-1]).Seconds())
	}
	r.SecondsPerEvaluation, r.MeanSeconds = median(intervals), mean(intervals)
	if len(intervals) == 0 {
		r.SecondsPerEvaluation, r.MeanSeconds = r.FirstSeconds, r.FirstSeconds
	}

	t.OnEvaluation = nil
	e, err := t.Evaluate(probe, content, styles)
	if err != nil {
		return r, fmt.Errorf("loss of the probe picture: %w", err)
	}
	r.LossAtImage = e.Total
	return r, nil
}

// benchMatMulBound times, on estil's backend, the matrix product of one of VGG19's middle
// convolutions at the run's size (conv3_2 channels first: [256, 256·9]·[256·9, (H/4)·(W/4)]; every
// VGG19 convolution but the first of each block has the same FLOPs), and sets r's bound figures.
func benchMatMulBound(model *nst.Model, r *benchRun) error {
	m, k, n := 256, 256*9, (r.Height/4)*(r.Width/4)
	rate, err := nst.MatMulGFLOPs(model.Backend, m, k, n)
	if err != nil {
		return err
	}
	r.MatMulGFLOPs, r.MatMulShape = rate, fmt.Sprintf("[%d×%d]·[%d×%d]", m, k, k, n)
	r.BoundPercent = 100 * r.GFLOPs / rate // (FLOPs / rate) / seconds
	return nil
}

// benchGFLOPs is the convolutions' rate: a forward pass to conv5_1 (index 28) and the gradient
// with respect to the image, which costs about as many FLOPs again (the weights are frozen, so
// their gradients are not computed).
func benchGFLOPs(channels []int, w, h int, seconds float64) float64 {
	if !(seconds > 0) {
		return 0
	}
	return 2 * nst.ConvFLOPs(w, h, channels, 28) / seconds / 1e9
}

// convChannels lists the output channels of the 16 convolutions of w.
func convChannels(w *weights.Set) ([]int, error) {
	var channels []int
	for _, index := range nst.ConvIndices() {
		k, _, err := w.Conv(index)
		if err != nil {
			return nil, err
		}
		channels = append(channels, k.Shape[0])
	}
	return channels, nil
}

// compareRuns checks that the two implementations computed the same function and gradient (see
// benchComparison for what is checked and why the final losses are not).
func compareRuns(size int, e, t benchRun, tolerance float64) benchComparison {
	c := benchComparison{Size: size, Ratio: e.SecondsPerEvaluation / t.SecondsPerEvaluation}
	n := min(len(e.Losses), len(t.Losses))
	if n < 2 {
		c.FirstRelDiff, c.StepRelDiff, c.AtImageRelDiff, c.FinalRelDiff = math.Inf(1), math.Inf(1), math.Inf(1), math.Inf(1)
		return c
	}
	c.FirstRelDiff = relDiff(e.Losses[0], t.Losses[0])
	c.AtImageRelDiff = relDiff(e.LossAtImage, t.LossAtImage)
	c.FinalRelDiff = relDiff(e.Losses[n-1], t.Losses[n-1])
	c.DriftsAt = driftsAt(e, t)
	de, dt := firstDecrease(e), firstDecrease(t)
	c.StepRelDiff = relDiff(de, dt)
	// The decrease is a difference of two nearly equal losses: besides the tolerance, allow twice
	// the rounding difference already seen at the start.
	noise := 2 * math.Abs(e.Losses[0]-t.Losses[0])
	stepOK := math.Abs(de-dt) <= tolerance*math.Max(math.Abs(de), math.Abs(dt))+noise
	c.StepChecked = math.Max(math.Abs(de), math.Abs(dt)) > 2*noise
	c.Agree = e.Evaluations == t.Evaluations && c.FirstRelDiff <= tolerance && c.AtImageRelDiff <= tolerance && stepOK
	return c
}

// driftsAt is the first evaluation (from 1) at which two runs' losses are more than 1 % apart,
// or 0 if they stay within 1 % for all the evaluations both made.
func driftsAt(a, b benchRun) int {
	for i := range min(len(a.Losses), len(b.Losses)) {
		if relDiff(a.Losses[i], b.Losses[i]) > 0.01 {
			return i + 1
		}
	}
	return 0
}

// firstDecrease is how much the loss fell over L-BFGS's first step.
func firstDecrease(r benchRun) float64 {
	if len(r.Losses) < 2 {
		return math.NaN()
	}
	return r.Losses[0] - r.Losses[1]
}

func relDiff(a, b float64) float64 {
	if a == b {
		return 0
	}
	d := math.Abs(a-b) / math.Max(math.Abs(a), math.Abs(b))
	if math.IsNaN(d) {
		return math.Inf(1)
	}
	return d
}

// python runs the PyTorch script and returns its standard output; its standard error goes into
// the error when it fails.
func python(ctx context.Context, s *benchSettings, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, s.python, append([]string{s.script}, args...)...)
	var errBuf strings.Builder
	cmd.Stderr = &errBuf
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(errBuf.String())
		if i := strings.LastIndex(msg, "\n"); i >= 0 {
			msg = msg[i+1:]
		}
		return nil, fmt.Errorf("%s %s %s: %v: %s", s.python, filepath.Base(s.script), args[0], err, msg)
	}
	return out, nil
}

func printBench(w io.Writer, rep *benchReport) {
	fmt.Fprintf(w, "VGG19 → conv5_1, the original's loss, L-BFGS (strong Wolfe, lr 1, history 100), %d evaluations from the content image\n", rep.Evaluations)
	fmt.Fprintf(w, "weights: %s\n", rep.Weights)
	fmt.Fprintf(w, "%s, %d CPUs, load average %s; %s\n", rep.Date, rep.CPUs, rep.LoadAverage, buildDescription(rep.SIMD))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "size\timplementation\tbackend\ts/eval\tfirst s\tGFLOP/s\tpeak RSS MB\tpeak device MB\tfirst loss\tfinal loss\tprobe loss\t")
	for _, r := range rep.Runs {
		dev := "-"
		if r.PeakDeviceBytes > 0 {
			dev = fmt.Sprintf("%.0f", float64(r.PeakDeviceBytes)/1e6)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%.3f\t%.2f\t%.1f\t%.0f\t%s\t%.7g\t%.7g\t%.7g\t\n", r.Width, r.Implementation, r.Backend,
			r.SecondsPerEvaluation, r.FirstSeconds, r.GFLOPs, float64(r.PeakRSSBytes)/1e6, dev, r.Losses[0], r.finalLoss(), r.LossAtImage)
	}
	tw.Flush()
	for _, r := range rep.Runs {
		if r.MatMulGFLOPs > 0 {
			fmt.Fprintf(w, "%d px: estil at %.0f %% of the matrix-product bound (its convolutions' FLOPs at the rate of one such product, %.1f GFLOP/s on %s, timed in this run)\n",
				r.Width, r.BoundPercent, r.MatMulGFLOPs, r.MatMulShape)
		}
	}
	for _, c := range rep.Comparisons {
		verdict := "agree"
		if !c.Agree {
			verdict = "DISAGREE"
		}
		step := fmt.Sprintf("%.2g", c.StepRelDiff)
		if !c.StepChecked {
			step += " (within rounding noise)"
		}
		fmt.Fprintf(w, "%d px: estil/PyTorch time ratio %.2f; losses %s (relative differences: start %.2g, first step's decrease %s, "+
			"loss of the probe picture %.2g; tolerance %g)\n",
			c.Size, c.Ratio, verdict, c.FirstRelDiff, step, c.AtImageRelDiff, rep.Tolerance)
		fmt.Fprintf(w, "        after %d evaluations (not checked): estil vs PyTorch %.2g apart, %s", rep.Evaluations, c.FinalRelDiff, drift(c.DriftsAt))
		if c.ControlDriftsAt > 0 || c.ControlFinalRelDiff > 0 {
			fmt.Fprintf(w, "; PyTorch float32 vs float64 %.2g apart, %s", c.ControlFinalRelDiff, drift(c.ControlDriftsAt))
		}
		fmt.Fprintln(w)
	}
	if len(rep.Comparisons) > 0 {
		fmt.Fprintln(w, "The trajectories drift apart by float rounding alone: L-BFGS's first line search extrapolates from a tiny step on a nearly")
		fmt.Fprintln(w, "linear loss and amplifies rounding; the float64 control (PyTorch against itself) shows how far. So only the same points are checked.")
	}
	fmt.Fprintln(w, "s/eval: median interval between evaluations (steady state); first s: until the first loss, with graph compilation.")
	fmt.Fprintln(w, "GFLOP/s: "+rep.FLOPsCounted+". Peak RSS: the process's, so far (sizes run in ascending order).")
}

// buildDescription says how estil was built, for the benchmarks' headers.
func buildDescription(simd bool) string {
	if simd {
		return "estil built with GOEXPERIMENT=simd"
	}
	return "estil built WITHOUT GOEXPERIMENT=simd (no AVX-512/AVX2 matrix products)"
}

// drift says at which evaluation two runs came more than 1 % apart.
func drift(at int) string {
	if at == 0 {
		return "within 1 % throughout"
	}
	return fmt.Sprintf("> 1 %% from evaluation %d", at)
}

func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	var sum float64
	for _, x := range v {
		sum += x
	}
	return sum / float64(len(v))
}
