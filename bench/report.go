package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
)

// Timing is one implementation at one size.
type Timing struct {
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
	// BLAS is the BLAS PyTorch ran with (PyTorch's rows only).
	BLAS *BLASReport `json:"blas,omitempty"`
}

// FinalLoss is the loss of the last evaluation.
func (r Timing) FinalLoss() float64 {
	if len(r.Losses) == 0 {
		return math.NaN()
	}
	return r.Losses[len(r.Losses)-1]
}

// Comparison sets estil against PyTorch at one size.
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
type Comparison struct {
	Size int `json:"size"`
	// Ratio is estil's seconds per evaluation over PyTorch's (< 1: estil is faster), against the
	// PyTorch run of the first --pytorch-blas choice (Against: its backend, with its BLAS).
	Ratio   float64 `json:"ratio"`
	Against string  `json:"against"`
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

type Report struct {
	Date          string       `json:"date"`
	Host          string       `json:"host"`
	LoadAverage   string       `json:"load_average"`
	CPUs          int          `json:"cpus"`
	SIMD          bool         `json:"goexperiment_simd"`
	Machine       Machine      `json:"machine"` // what estil gets here (estil doctor's header)
	Weights       string       `json:"weights"`
	RandomWeights bool         `json:"random_weights"`
	Evaluations   int          `json:"evaluations"`
	Tolerance     float64      `json:"tolerance"`
	FLOPsCounted  string       `json:"flops_counted"`
	Runs          []Timing     `json:"runs"`
	Comparisons   []Comparison `json:"comparisons"`
}

// writeReport prints rep as JSON or, with print, as tables.
func writeReport[R any](w io.Writer, rep R, asJSON bool, print func(io.Writer, R)) error {
	if !asJSON {
		print(w, rep)
		return nil
	}
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintln(w, string(data))
	return nil
}

func printBench(w io.Writer, rep *Report) {
	fmt.Fprintf(w, "VGG19 → conv5_1, the original's loss, L-BFGS (strong Wolfe, lr 1, history 100), %d evaluations from the content image\n", rep.Evaluations)
	fmt.Fprintf(w, "weights: %s\n", rep.Weights)
	rep.Machine.Print(w)
	fmt.Fprintf(w, "%s, %d CPUs, load average %s; %s\n", rep.Date, rep.CPUs, rep.LoadAverage, buildDescription(rep.SIMD))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "size\timplementation\tbackend\ts/eval\tfirst s\tGFLOP/s\tpeak RSS MB\tpeak device MB\tfirst loss\tfinal loss\tprobe loss\t")
	for _, r := range rep.Runs {
		dev := "-"
		if r.PeakDeviceBytes > 0 {
			dev = fmt.Sprintf("%.0f", float64(r.PeakDeviceBytes)/1e6)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%.3f\t%.2f\t%.1f\t%.0f\t%s\t%.7g\t%.7g\t%.7g\t\n", r.Width, r.Implementation, r.Backend,
			r.SecondsPerEvaluation, r.FirstSeconds, r.GFLOPs, float64(r.PeakRSSBytes)/1e6, dev, r.Losses[0], r.FinalLoss(), r.LossAtImage)
	}
	tw.Flush()
	var blasSeen []string
	for _, r := range rep.Runs {
		if r.BLAS == nil || !strings.HasPrefix(r.Backend, "torch cpu") {
			continue
		}
		if line := r.BLAS.String(); !slices.Contains(blasSeen, line) {
			blasSeen = append(blasSeen, line)
			fmt.Fprintf(w, "%s (%s rows): %s\n", r.Implementation, r.Backend, line)
		}
	}
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
		fmt.Fprintf(w, "%d px: estil/PyTorch (%s) time ratio %.2f; losses %s (relative differences: start %.2g, first step's decrease %s, "+
			"loss of the probe picture %.2g; tolerance %g)\n",
			c.Size, c.Against, c.Ratio, verdict, c.FirstRelDiff, step, c.AtImageRelDiff, rep.Tolerance)
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
