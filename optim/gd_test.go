package optim

import (
	"errors"
	"math"
	"testing"

	"github.com/gomlx/compute/dtypes"
)

// TestGradientDescent checks x ← x − lr·g against the same update computed on the host for the
// 2-D Rosenbrock function, whose gradient is known in closed form.
func TestGradientDescent(t *testing.T) {
	fn, inputs := problemFor(&fixture{Problem: "rosenbrock", X0: []float64{-1.2, 1}}, dtypes.Float64)
	f := func(x []float64) float64 { return 100*math.Pow(x[1]-x[0]*x[0], 2) + math.Pow(1-x[0], 2) }
	grad := func(x []float64) []float64 {
		return []float64{-400*x[0]*(x[1]-x[0]*x[0]) - 2*(1-x[0]), 200 * (x[1] - x[0]*x[0])}
	}
	const lr = 1e-3
	var losses []float64
	gd := NewGradientDescent(testBackend(), fn).Inputs(inputs...).LR(lr).
		OnEvaluation(func(e Evaluation) error { losses = append(losses, e.Loss); return nil })
	defer gd.Finalize()

	want := []float64{-1.2, 1}
	var wantLosses []float64
	x := toDType(want, dtypes.Float64, 2)
	for step := range 3 { // state-free: three Steps of 4 iterations are 12 iterations
		res, err := gd.Step(x, 4)
		if err != nil {
			t.Fatal(err)
		}
		if res.Iterations != 4 || res.Evaluations != 4 {
			t.Errorf("step %d: %d iterations, %d evaluations, want 4, 4", step, res.Iterations, res.Evaluations)
		}
		for range 4 {
			wantLosses = append(wantLosses, f(want))
			g := grad(want)
			want = []float64{want[0] - lr*g[0], want[1] - lr*g[1]}
		}
		x = res.X
		if d := maxDiff(hostValues(t, x), want); d > 1e-12 {
			t.Fatalf("step %d: x = %v, want %v", step, hostValues(t, x), want)
		}
	}
	if d := maxDiff(losses, wantLosses); d > 1e-9 {
		t.Errorf("losses %v, want %v", losses, wantLosses)
	}

	// An observer's error stops it, keeping the last evaluated x.
	stop := errors.New("enough")
	n := 0
	gd2 := NewGradientDescent(testBackend(), fn).Inputs(inputs...).LR(lr).
		OnEvaluation(func(Evaluation) error { n++; return map[bool]error{true: stop}[n == 3] })
	defer gd2.Finalize()
	x0 := toDType([]float64{-1.2, 1}, dtypes.Float64, 2)
	res, err := gd2.Step(x0, 10)
	if !errors.Is(err, stop) || res.Stopped != StopObserver {
		t.Fatalf("observer error: got %v (%s)", err, res.Stopped)
	}
	w := []float64{-1.2, 1}
	for range 2 {
		g := grad(w)
		w = []float64{w[0] - lr*g[0], w[1] - lr*g[1]}
	}
	if d := maxDiff(hostValues(t, res.X), w); d > 1e-12 {
		t.Errorf("after the observer's error X = %v, want the third evaluated point %v", hostValues(t, res.X), w)
	}

	// A learning rate far too large diverges: ErrNotFinite, with the last finite x.
	gd3 := NewGradientDescent(testBackend(), fn).Inputs(inputs...).LR(10)
	defer gd3.Finalize()
	res, err = gd3.Step(x0, 50)
	if !errors.Is(err, ErrNotFinite) {
		t.Fatalf("lr 10: err %v, want ErrNotFinite", err)
	}
	if v := hostValues(t, res.X); math.IsNaN(f(v)) || math.IsInf(f(v), 0) {
		t.Errorf("lr 10: kept x = %v, whose loss is not finite", v)
	}
	if _, err := NewGradientDescent(testBackend(), fn).LR(-1).Step(x0, 1); err == nil {
		t.Error("a negative learning rate gave no error")
	}
}
