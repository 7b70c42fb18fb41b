package nst

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/estil-nst/estil/optim"
)

// FuzzLoadCheckpoint: any file gives a checkpoint that passes its own checks, or a one-line error
// naming the file; never a panic. The seeds are checkpoints of L-BFGS (between Steps and paused
// in one), Adam and gradient descent, built by hand to keep the seeds small. Their content digest
// covers the tensors only, so mutations of the JSON metadata reach the checks behind it. As a
// plain test it runs the seeds; CI runs `go test -fuzz FuzzLoadCheckpoint ./nst` for 30 s.
func FuzzLoadCheckpoint(f *testing.F) {
	dir := f.TempDir()
	for i, c := range seedCheckpoints() {
		path := filepath.Join(dir, "seed.ckpt")
		if err := SaveCheckpoint(path, c); err != nil {
			f.Fatal(err)
		}
		if _, err := LoadCheckpoint(path); err != nil {
			f.Fatalf("seed %d is refused: %v", i, err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "f.ckpt")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := LoadCheckpoint(path)
		if err != nil {
			if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, path) || strings.Contains(msg, "crashed") {
				t.Fatalf("error not one line naming the file, or a recovered crash: %q", msg)
			}
			return
		}
		if err := c.check(); err != nil {
			t.Fatalf("accepted a checkpoint that fails its own checks: %v", err)
		}
	})
}

// seedCheckpoints are small valid checkpoints of each optimizer.
func seedCheckpoints() []*Checkpoint {
	const h, w = 16, 16
	ramp := func(scale float32) *tensors.Tensor {
		data := make([]float32, h*w*3)
		for i := range data {
			data[i] = scale * float32(i%17-8)
		}
		return tensors.FromFlatDataAndDimensions(data, h, w, 3)
	}
	settings := Settings{Loss: DefaultLoss(), Optimizer: optim.LBFGSName, Iterations: 10, LineSearch: true,
		Init: InitContent, Pooling: "max"}
	lbfgs := &optim.State{Optimizer: optim.LBFGSName, Numbers: map[string]float64{
		"func_evals": 5, "n_iter": 3, "t": 1, "h_diag": 0.5, "prev_loss": 12.5, "history": 2, "ys.0": 3, "ys.1": 2},
		Tensors: map[string]*tensors.Tensor{"d": ramp(0.1), "prev_flat_grad": ramp(0.2),
			"old_stps.0": ramp(0.3), "old_dirs.0": ramp(0.4), "old_stps.1": ramp(0.5), "old_dirs.1": ramp(0.6)}}
	paused := &optim.State{Optimizer: optim.LBFGSName, Numbers: map[string]float64{
		"func_evals": 5, "n_iter": 3, "t": 1, "h_diag": 0.5, "prev_loss": 12.5, "history": 1, "ys.0": 3,
		"step.max_iter": 10, "step.max_eval": 12, "step.iter": 3, "step.evals": 5, "step.loss": 20,
		"step.last_loss": 12.5, "step.g_inf": 0.7},
		Tensors: map[string]*tensors.Tensor{"d": ramp(0.1), "prev_flat_grad": ramp(0.2), "old_stps.0": ramp(0.3),
			"old_dirs.0": ramp(0.4), "step.flat_grad": ramp(0.7)}}
	adam := &optim.State{Optimizer: optim.AdamName, Numbers: map[string]float64{"step": 4, "evaluations": 4},
		Tensors: map[string]*tensors.Tensor{"exp_avg": ramp(0.1), "exp_avg_sq": ramp(0.01)}}
	gd := &optim.State{Optimizer: optim.GradientDescentName, Numbers: map[string]float64{"evaluations": 2}}

	var out []*Checkpoint
	for _, s := range []struct {
		state     *optim.State
		stepLeft  int
		scales    []int
		scale     int
		optimizer optim.Name
	}{
		{lbfgs, 0, nil, 0, optim.LBFGSName},
		{paused, 7, nil, 0, optim.LBFGSName},
		{lbfgs, 0, []int{16, 32}, 1, optim.LBFGSName},
		{adam, 2, nil, 0, optim.AdamName},
		{gd, 0, nil, 0, optim.GradientDescentName},
	} {
		c := &Checkpoint{Settings: settings, Inputs: "00", Weights: "11", Iterations: 3, Evaluations: 5, StepLeft: s.stepLeft,
			Loss: 12.5, Scale: s.scale, Image: ramp(0.05), Optimizer: s.state}
		c.Settings.Optimizer, c.Settings.Scales = s.optimizer, s.scales
		out = append(out, c)
	}
	return out
}
