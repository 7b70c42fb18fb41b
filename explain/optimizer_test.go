package explain

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/nst"
	"github.com/estil-nst/estil/optim"
)

func TestRosenbrockRace(t *testing.T) {
	const budget = 60
	v, err := RosenbrockRace(testModel(t).Backend, budget)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Runs) != 3 {
		t.Fatalf("%d runs", len(v.Runs))
	}
	f := func(x, y float64) float64 { return 100*(y-x*x)*(y-x*x) + (1-x)*(1-x) }
	for _, r := range v.Runs {
		if len(r.Losses) == 0 || len(r.Losses) > budget {
			t.Errorf("%s: %d evaluations, budget %d", r.Name, len(r.Losses), budget)
		}
		if got, want := r.Losses[0], f(-1.2, 1); math.Abs(got-want) > 1e-9 {
			t.Errorf("%s: first loss %v, want f(−1.2, 1) = %v", r.Name, got, want)
		}
		best := r.BestSoFar()
		for i := range best {
			if i > 0 && best[i] > best[i-1] || best[i] > r.Losses[i] {
				t.Fatalf("%s: best-so-far is wrong at %d: %v", r.Name, i, best[:i+1])
			}
		}
	}
	lb, adam, gd := v.Runs[0].BestSoFar(), v.Runs[1].BestSoFar(), v.Runs[2].BestSoFar()
	if len(v.Runs[1].Losses) != budget || len(v.Runs[2].Losses) != budget {
		t.Errorf("Adam and gradient descent must use the whole budget: %d, %d", len(v.Runs[1].Losses), len(v.Runs[2].Losses))
	}
	// The point of the chart: on the same budget L-BFGS gets far lower than the others.
	if last := lb[len(lb)-1]; !(last < 1e-6 && last < adam[len(adam)-1]/100 && last < gd[len(gd)-1]/100) {
		t.Errorf("lowest losses: L-BFGS %v, Adam %v, gradient descent %v", last, adam[len(adam)-1], gd[len(gd)-1])
	}
	html := v.HTML()
	if strings.Count(html, `<img src="data:image/png;base64,`) != 1 || !strings.Contains(html, "Rosenbrock") {
		t.Error("the HTML lacks the chart or the problem's name")
	}
}

func TestLBFGSIterationsView(t *testing.T) {
	tr := nst.NewTransfer(testModel(t))
	tr.Loss, tr.Iterations = shallowLoss(), 3
	var iters []optim.Iteration
	tr.OnIteration = func(it optim.Iteration) error { iters = append(iters, it); return nil }
	if _, err := tr.Run(context.Background(), images.Lighthouse(32, 32), []nst.Style{{Image: images.Swirls(32, 32), Weight: 1}}); err != nil {
		t.Fatal(err)
	}
	v, err := LBFGSIterations(iters)
	if err != nil {
		t.Fatal(err)
	}
	html := v.HTML()
	if n := strings.Count(html, "<tr><td"); n != len(iters) {
		t.Errorf("%d table rows for %d iterations", n, len(iters))
	}
	if strings.Count(html, `<img src="data:image/png;base64,`) != 1 {
		t.Error("no chart")
	}
	if _, err := LBFGSIterations(nil); err == nil {
		t.Error("no iterations gave no error")
	}
}

// TestLogChartsWithoutARange: charts with nothing to put on a log axis (one L-BFGS iteration, whose
// sᵀy is 0; losses that are all 0 or all equal) render instead of panicking in gonum, as
// `estil explain --iters 1` did.
func TestLogChartsWithoutARange(t *testing.T) {
	v, err := LBFGSIterations([]optim.Iteration{{N: 1, Loss: 5, GradNorm: 1, StepLength: 0.1, FuncEvals: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if h := v.HTML(); !strings.Contains(h, `<img src="data:image/png;base64,`) {
		t.Error("one iteration: no chart")
	}
	for _, evals := range [][]nst.Evaluation{
		{{N: 1, Total: 0, Style: []float64{0, 0}}},
		{{N: 1, Total: 3, Content: 1, Style: []float64{1, 1}}, {N: 2, Total: 3, Content: 1, Style: []float64{1, 1}}},
	} {
		h, err := LossHistory(evals, shallowLoss())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(h.HTML(), `<img src="data:image/png;base64,`) {
			t.Errorf("%v: no chart", evals)
		}
	}
}
