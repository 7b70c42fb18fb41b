// Package bench times estil against the PyTorch original on the same machine (SideBySide), and
// estil's coarse-to-fine transfer scale by scale (CoarseToFine): what `estil bench` runs.
//
// SideBySide does the same work in estil and in bench/pytorch_reference.py, which follows the
// original notebook: N evaluations of VGG19's loss and its gradient from the content image, on
// pictures drawn in code, with the same random weights (the script writes them, estil reads the
// file). It checks that both compute the same function at the same points and reports seconds per
// evaluation, GFLOP/s, peak memory and how close estil came to its matrix-product bound.
package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/estil-nst/estil/nst"
	"github.com/estil-nst/estil/nst/backend"
	"github.com/estil-nst/estil/weights"
)

// Settings say what SideBySide and CoarseToFine time (each field is a flag of `estil bench`).
type Settings struct {
	Sizes     []int    // square sizes, ascending (ParseSizes)
	Evals     int      // L-BFGS evaluations per size (≥ 2)
	Python    string   // an interpreter with torch (DefaultPython)
	Script    string   // a PyTorch script to run instead of the built-in bench/pytorch_reference.py (CheckScript)
	Device    string   // PyTorch's: cpu or cuda
	Threads   int      // PyTorch's CPU threads
	BLAS      []string // PyTorch's BLAS (ParseBLAS): the first is the one compared with, the others extra rows
	Backend   string   // estil's (backend.Open)
	Weights   string   // a weights file both read; "": random ones the script writes
	Seed      int      // of the random weights
	Tolerance float64  // largest relative difference of the losses at the same points
	NoTorch   bool     // estil alone
	NoEstil   bool     // PyTorch alone
	Control   bool     // also PyTorch in float64
	Scales    []int    // CoarseToFine: the scales
	Iters     int      // CoarseToFine: L-BFGS iterations per scale
	JSON      bool     // print JSON instead of tables
}

func SideBySide(ctx context.Context, s *Settings, stdout, stderr io.Writer) error {
	dir, err := os.MkdirTemp("", "estil-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if !s.NoTorch {
		copied := *s
		if copied.Script, err = s.script(dir); err != nil {
			return err
		}
		s = &copied
	}
	r := &sideBySide{ctx: ctx, s: s, dir: dir, stderr: stderr, rep: newReport(s)}
	if err := r.open(); err != nil {
		return err
	}
	var failed []string
	for _, size := range s.Sizes {
		if err := r.measure(size, &failed); err != nil {
			return err
		}
	}
	if err := writeReport(stdout, r.rep, s.JSON, printBench); err != nil {
		return err
	}
	if len(failed) > 0 {
		return fmt.Errorf("estil and PyTorch disagree: %s", strings.Join(failed, "; "))
	}
	return nil
}

// sideBySide is one SideBySide run: its settings, scratch folder, weights, model and report.
type sideBySide struct {
	ctx      context.Context
	s        *Settings
	dir      string
	stderr   io.Writer
	rep      *Report
	channels []int      // output channels of the weights' convolutions
	model    *nst.Model // nil with NoEstil
}

func newReport(s *Settings) *Report {
	rep := &Report{
		Date: time.Now().UTC().Format(time.RFC3339), LoadAverage: loadAverage(), CPUs: runtime.NumCPU(),
		Evaluations: s.Evals, Tolerance: s.Tolerance,
		FLOPsCounted: "2 × the forward 3×3 convolution FLOPs to conv5_1 per evaluation (forward + gradient w.r.t. the image; multiply-add = 2)",
	}
	rep.Host, _ = os.Hostname()
	rep.SIMD, rep.Machine = backend.SIMDBuild(), DescribeMachine()
	return rep
}

// open gets the weights (one file both implementations read) and estil's model.
func (r *sideBySide) open() error {
	w, err := r.weights()
	if err != nil {
		return err
	}
	r.rep.Weights, r.rep.RandomWeights = w.Source, w.Random
	if w.Random {
		fmt.Fprintln(r.stderr, "estil bench: RANDOM weights (timing and agreement only; this is not a style transfer)")
	}
	if r.channels, err = convChannels(w); err != nil {
		return err
	}
	if !r.s.NoEstil {
		r.model, err = nst.LoadModel(r.ctx, nst.LoadOptions{Set: w, Backend: r.s.Backend, Notice: r.stderr})
	}
	return err
}

// weights reads Settings.Weights, or has the PyTorch script write random ones (estil's own
// random weights with NoTorch).
func (r *sideBySide) weights() (*weights.Set, error) {
	s := r.s
	switch {
	case s.Weights != "":
		return weights.ReadFile(s.Weights, weights.VGG19)
	case s.NoTorch:
		return weights.Random(weights.VGG19, int64(s.Seed)), nil
	}
	s.Weights = filepath.Join(r.dir, "vgg19_random.pth")
	if _, err := python(r.ctx, s, nil, "save-weights", "--out", s.Weights, "--seed", strconv.Itoa(s.Seed)); err != nil {
		return nil, err
	}
	w, err := weights.ReadFile(s.Weights, weights.VGG19)
	if err != nil {
		return nil, err
	}
	w.Random = true // torchvision's initialization, not a training
	w.Source = fmt.Sprintf("random (torchvision's VGG19 initialization, torch.manual_seed(%d), written by %s)", s.Seed, filepath.Base(s.Script))
	return w, nil
}

// measure times estil and PyTorch at one size and compares them; a disagreement is added to
// failed (the run goes on, so that the report shows every size).
func (r *sideBySide) measure(size int, failed *[]string) error {
	content, style, probe, err := benchPictures(r.dir, size)
	if err != nil {
		return err
	}
	var er Timing
	if r.model != nil {
		fmt.Fprintf(r.stderr, "estil bench: %d px, estil (%s) …\n", size, r.model.Backend.Name())
		if er, err = benchEstil(r.ctx, r.model, content.img, style.img, probe.img, r.s.Evals); err != nil {
			return fmt.Errorf("estil at %d px: %w", size, err)
		}
		er.GFLOPs = benchGFLOPs(r.channels, er.Width, er.Height, er.SecondsPerEvaluation)
		if err := benchMatMulBound(r.model, &er); err != nil {
			return err
		}
		r.rep.Runs = append(r.rep.Runs, er)
	}
	if r.s.NoTorch {
		return nil
	}
	blas := r.s.BLAS
	if len(blas) == 0 {
		blas = []string{BLASAuto}
	}
	tr, err := r.torch(size, content, style, probe, blas[0], false)
	if err != nil {
		return err
	}
	var control *Timing
	if r.s.Control {
		c, err := r.torch(size, content, style, probe, blas[0], true)
		if err != nil {
			return err
		}
		control = &c
	}
	for _, other := range blas[1:] {
		if _, err := r.torch(size, content, style, probe, other, false); err != nil {
			return err
		}
	}
	if r.model == nil {
		return nil
	}
	c := compare(size, er, tr, r.s.Tolerance)
	c.Against = tr.Backend
	if control != nil {
		c.ControlFinalRelDiff = RelDiff(tr.FinalLoss(), control.FinalLoss())
		c.ControlDriftsAt = DriftsAt(tr, *control)
	}
	r.rep.Comparisons = append(r.rep.Comparisons, c)
	if !c.Agree {
		*failed = append(*failed, fmt.Sprintf("at %d px (estil, PyTorch): %d and %d evaluations; start loss %.7g and %.7g; "+
			"loss of the probe picture %.7g and %.7g; first-step decrease %.4g and %.4g (tolerance %g)",
			size, er.Evaluations, tr.Evaluations, er.Losses[0], tr.Losses[0], er.LossAtImage, tr.LossAtImage,
			FirstDecrease(er), FirstDecrease(tr), r.s.Tolerance))
	}
	return nil
}

// torch runs the PyTorch script at one size with one BLAS choice, in float32 or (the control)
// float64.
func (r *sideBySide) torch(size int, content, style, probe benchPicture, blas string, float64Control bool) (Timing, error) {
	s := r.s
	env, resolved, err := torchEnv(blas)
	if err != nil {
		return Timing{}, err
	}
	args := []string{"run", "--weights", s.Weights, "--content", content.path, "--style", style.path,
		"--evals", strconv.Itoa(s.Evals), "--device", s.Device, "--threads", strconv.Itoa(s.Threads),
		"--eval-image", probe.path}
	label := ""
	if float64Control {
		args, label = append(args, "--float64"), ", float64"
	}
	fmt.Fprintf(r.stderr, "estil bench: %d px, PyTorch (%s, %s BLAS%s) …\n", size, s.Device, resolved, label)
	var tr Timing
	out, err := python(r.ctx, s, env, args...)
	if err != nil {
		return tr, err
	}
	if err := json.Unmarshal(out, &tr); err != nil {
		return tr, fmt.Errorf("PyTorch script printed something else than its JSON (%v): %.200s", err, out)
	}
	if s.Device == "cpu" {
		if err := checkBLAS(resolved, tr.BLAS); err != nil {
			return tr, err
		}
	}
	tr.Backend = "torch " + s.Device
	if tr.BLAS != nil && s.Device == "cpu" {
		tr.Backend += " " + tr.BLAS.Kind
	}
	if float64Control {
		tr.Implementation += " f64"
	}
	tr.GFLOPs = benchGFLOPs(r.channels, tr.Width, tr.Height, tr.SecondsPerEvaluation)
	r.rep.Runs = append(r.rep.Runs, tr)
	return tr, nil
}
