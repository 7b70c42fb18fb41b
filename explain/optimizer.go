package explain

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/estil-nst/estil/nst"
	"github.com/estil-nst/estil/optim"
)

// LBFGSView shows L-BFGS from inside, iteration by iteration: see LBFGSIterations.
type LBFGSView struct {
	Iterations []optim.Iteration
}

// LBFGSIterations shows what L-BFGS did at each iteration (collected with nst.Transfer.OnIteration
// or optim.Optimizer.OnIteration): the loss, the step length t, the gradient's size ‖g‖∞, the
// curvature sᵀy of the newest (s, y) pair, how many pairs of history the two-loop recursion used,
// and the function evaluations so far; as a table and as four small charts.
func LBFGSIterations(iters []optim.Iteration) (*LBFGSView, error) {
	if len(iters) == 0 {
		return nil, fmt.Errorf("explain: L-BFGS iterations: none given")
	}
	return &LBFGSView{Iterations: iters}, nil
}

// panel is one small chart of the L-BFGS view.
func (v *LBFGSView) panel(title string, log bool, value func(optim.Iteration) float64) (*plot.Plot, error) {
	var xys plotter.XYs
	for _, it := range v.Iterations {
		y := value(it)
		if log && !(y > 0) || math.IsNaN(y) || math.IsInf(y, 0) {
			continue // a log axis cannot show it (sᵀy is 0 on the first iteration)
		}
		xys = append(xys, plotter.XY{X: float64(it.N), Y: y})
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = tr("lbfgs.iteration")
	p.X.Tick.Marker = intTicks{}
	if log {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
	}
	p.Add(plotter.NewGrid())
	if len(xys) > 0 {
		l, s, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, err
		}
		l.Color, s.Color = seriesColors[0], seriesColors[0]
		p.Add(l, s)
	}
	if log {
		keepLogAxisValid(p)
	}
	return p, nil
}

// HTML renders the charts, the table and the explanation.
func (v *LBFGSView) HTML() string {
	title := tr("lbfgs.title")
	var b strings.Builder
	section(&b, title)
	caption(&b, tr("lbfgs.intro"))
	var panels [][]*plot.Plot
	specs := []struct {
		key   string
		log   bool
		value func(optim.Iteration) float64
	}{
		{"lbfgs.col.loss", true, func(it optim.Iteration) float64 { return it.Loss }},
		{"lbfgs.col.step", true, func(it optim.Iteration) float64 { return it.StepLength }},
		{"lbfgs.col.grad", true, func(it optim.Iteration) float64 { return it.GradNorm }},
		{"lbfgs.col.curv", true, func(it optim.Iteration) float64 { return it.Curvature }},
		{"lbfgs.col.hist", false, func(it optim.Iteration) float64 { return float64(it.HistoryUsed) }},
		{"lbfgs.col.evals", false, func(it optim.Iteration) float64 { return float64(it.FuncEvals) }},
	}
	row := []*plot.Plot{}
	for _, s := range specs {
		p, err := v.panel(tr(s.key), s.log, s.value)
		if err != nil {
			return errorHTML(title, err)
		}
		row = append(row, p)
		if len(row) == 3 {
			panels, row = append(panels, row), nil
		}
	}
	uri, err := gridPNG(panels, 24*vg.Centimeter, 13*vg.Centimeter)
	if err != nil {
		return errorHTML(title, err)
	}
	b.WriteString(imgTag(uri, title, "") + "\n")

	b.WriteString(`<table style="border-collapse:collapse;font-size:0.85em;font-family:monospace;margin-top:0.5em">` + "\n<tr style=\"background:#ddd\">")
	for _, k := range []string{"lbfgs.iteration", "lbfgs.col.loss", "lbfgs.col.step", "lbfgs.col.grad", "lbfgs.col.curv", "lbfgs.col.hist", "lbfgs.col.evals"} {
		fmt.Fprintf(&b, "<th>%s</th>", esc(tr(k)))
	}
	b.WriteString("</tr>\n")
	for _, it := range v.Iterations {
		fmt.Fprintf(&b, `<tr><td style="text-align:right">%d</td><td>%.4g</td><td>%.3g</td><td>%.3g</td><td>%.3g</td><td style="text-align:right">%d</td><td style="text-align:right">%d</td></tr>`+"\n",
			it.N, it.Loss, it.StepLength, it.GradNorm, it.Curvature, it.HistoryUsed, it.FuncEvals)
	}
	b.WriteString("</table>\n")
	caption(&b, tr("lbfgs.notes"))
	b.WriteString("</div>\n")
	return b.String()
}

// gridPNG draws rows of plots aligned in one picture.
func gridPNG(plots [][]*plot.Plot, w, h vg.Length) (string, error) {
	c := vgimg.New(w, h)
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: len(plots), Cols: len(plots[0]), PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align(plots, tiles, dc)
	for i := range plots {
		for j, p := range plots[i] {
			if p != nil {
				p.Draw(canvases[i][j])
			}
		}
	}
	return canvasURI(c)
}

// OptimizerRun is the loss at each function evaluation of one optimizer's run, from the first.
type OptimizerRun struct {
	Name   string
	Losses []float64
}

// BestSoFar returns, for each evaluation, the lowest loss seen up to it: what the run would have
// given if stopped there (L-BFGS's line search tries points that are worse).
func (r OptimizerRun) BestSoFar() []float64 {
	out := make([]float64, len(r.Losses))
	best := math.Inf(1)
	for i, l := range r.Losses {
		if l < best { // NaN never is
			best = l
		}
		out[i] = best
	}
	return out
}

// RaceView compares optimizers on one problem with the same budget of function evaluations: see
// CompareOptimizers.
type RaceView struct {
	// Problem names what was minimized (shown in the title).
	Problem string
	Budget  int
	Runs    []OptimizerRun
	// RandomWeights adds a warning that the network was random.
	RandomWeights bool
}

// CompareOptimizers charts the lowest loss so far against the number of function evaluations
// (log y) for each run, on a budget of evaluations: the fair measure, since an evaluation (a
// forward and backward pass) is what costs time, and L-BFGS may spend several per iteration.
func CompareOptimizers(problem string, budget int, runs ...OptimizerRun) *RaceView {
	return &RaceView{Problem: problem, Budget: budget, Runs: runs}
}

// HTML renders the chart, a small table of the final losses and the explanation.
func (v *RaceView) HTML() string {
	title := trf("race.title", v.Problem)
	var b strings.Builder
	section(&b, title)
	if v.RandomWeights {
		b.WriteString(randomWarningHTML())
	}
	caption(&b, trf("race.intro", v.Budget))
	var lines []*plotter.Line
	var names []string
	for i, r := range v.Runs {
		best := r.BestSoFar()
		x := make([]float64, len(best))
		for k := range x {
			x[k] = float64(k + 1)
		}
		xys := positiveXYs(x, best)
		if len(xys) == 0 {
			continue
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return errorHTML(title, err)
		}
		l.Color = seriesColors[i%len(seriesColors)]
		l.Width = vg.Points(2)
		lines, names = append(lines, l), append(names, r.Name)
	}
	p := logChart(tr("race.x"), tr("race.y"), lines, names)
	uri, err := chartPNG(p, 16*vg.Centimeter, 10*vg.Centimeter)
	if err != nil {
		return errorHTML(title, err)
	}
	b.WriteString(imgTag(uri, title, "") + "\n")
	b.WriteString(`<table style="border-collapse:collapse;font-family:monospace"><tr style="background:#ddd">`)
	fmt.Fprintf(&b, "<th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>\n", tr("race.optimizer"), tr("race.evals"), tr("race.first"), tr("race.best"))
	for _, r := range v.Runs {
		first, best := math.NaN(), math.NaN()
		if len(r.Losses) > 0 {
			first, best = r.Losses[0], r.BestSoFar()[len(r.Losses)-1]
		}
		fmt.Fprintf(&b, "<tr><td>%s</td><td style=\"text-align:right\">%d</td><td>%.4g</td><td>%.4g</td></tr>\n", esc(r.Name), len(r.Losses), first, best)
	}
	b.WriteString("</table>\n")
	caption(&b, tr("race.notes"))
	b.WriteString("</div>\n")
	return b.String()
}

// errBudget stops a run when its evaluations are spent.
var errBudget = errors.New("budget of evaluations spent")

// budgetObserver records losses and stops the run at the budget.
func budgetObserver(losses *[]float64, budget int) func(float64) error {
	return func(loss float64) error {
		*losses = append(*losses, loss)
		if len(*losses) >= budget {
			return errBudget
		}
		return nil
	}
}

// Learning rates of the races. L-BFGS uses torch's lr = 1 with the strong-Wolfe line search;
// Adam and plain gradient descent need a rate chosen for the problem (gradient descent's must be
// below 2 / the largest curvature, about 1.5·10⁻³ at Rosenbrock's usual start).
const (
	rosenbrockAdamLR = 0.05
	rosenbrockGDLR   = 1e-3
	transferAdamLR   = 0.02 // nst's default, on normalized pixels
	transferGDLR     = 1e-5
)

// rosenbrock2 is f(x, y) = 100·(y − x²)² + (1 − x)², the classic banana-shaped valley. x and y are
// read with dot products (inputs e₀, e₁) rather than slices, whose gradient the pure-Go backend
// lacks.
var rosenbrock2 = optim.Autodiff(func(x *graph.Node, in []*graph.Node) (*graph.Node, []*graph.Node) {
	a, b := graph.ReduceAllSum(graph.Mul(x, in[0])), graph.ReduceAllSum(graph.Mul(x, in[1]))
	g := x.Graph()
	c := func(v float64) *graph.Node { return graph.Scalar(g, x.DType(), v) }
	return graph.Add(graph.Mul(c(100), graph.Square(graph.Sub(b, graph.Square(a)))), graph.Square(graph.Sub(c(1), a))), nil
})

// RosenbrockRace runs L-BFGS (strong Wolfe), Adam and plain gradient descent on the 2-D Rosenbrock
// function from (−1.2, 1), each for budget function evaluations (L-BFGS stops earlier if it
// converges), on backend (e.g. the model's, nst.Model.Backend).
func RosenbrockRace(backend compute.Backend, budget int) (*RaceView, error) {
	if budget < 1 {
		return nil, fmt.Errorf("explain: the budget must be at least 1 evaluation, got %d", budget)
	}
	inputs := []*tensors.Tensor{tensors.FromFlatDataAndDimensions([]float64{1, 0}, 2), tensors.FromFlatDataAndDimensions([]float64{0, 1}, 2)}
	start := func() *tensors.Tensor { return tensors.FromFlatDataAndDimensions([]float64{-1.2, 1}, 2) }
	// Each contestant runs from the same start, for at most budget evaluations (L-BFGS may use
	// several per iteration, so its iterations are capped by its evaluations).
	contestants := []struct {
		name      string
		optimizer optim.Name
		options   optim.Options
	}{
		{"L-BFGS", optim.LBFGSName, optim.Options{StrongWolfe: true, MaxEval: budget}},
		{fmt.Sprintf("Adam (lr %g)", rosenbrockAdamLR), optim.AdamName, optim.Options{LR: rosenbrockAdamLR}},
		{fmt.Sprintf("%s (lr %g)", tr("race.gd"), rosenbrockGDLR), optim.GradientDescentName, optim.Options{LR: rosenbrockGDLR}},
	}
	var runs []OptimizerRun
	for _, c := range contestants {
		r := OptimizerRun{Name: c.name}
		observe := budgetObserver(&r.Losses, budget)
		c.options.Inputs = inputs
		c.options.OnEvaluation = func(e optim.Evaluation) error { return observe(e.Loss) }
		opt, err := optim.New(c.optimizer, backend, rosenbrock2, c.options)
		if err == nil {
			_, err = opt.Step(start(), budget)
			opt.Finalize()
		}
		if err != nil && !errors.Is(err, errBudget) {
			return nil, fmt.Errorf("explain: Rosenbrock race, %s: %w", c.name, err)
		}
		runs = append(runs, r)
	}
	return CompareOptimizers("Rosenbrock", budget, runs...), nil
}

// TransferRace runs the style transfer of content and style with loss three times, with L-BFGS,
// Adam and plain gradient descent, each for budget evaluations of the loss, and compares them.
// Keep the pictures small: each evaluation is a forward and a backward pass of VGG19.
func TransferRace(ctx context.Context, model *nst.Model, content, style image.Image, loss nst.LossConfig, budget int) (*RaceView, error) {
	if budget < 1 {
		return nil, fmt.Errorf("explain: the budget must be at least 1 evaluation, got %d", budget)
	}
	var runs []OptimizerRun
	for _, o := range []struct {
		name      string
		optimizer optim.Name
		lr        float64
	}{
		{"L-BFGS", optim.LBFGSName, 0},
		{fmt.Sprintf("Adam (lr %g)", transferAdamLR), optim.AdamName, transferAdamLR},
		{fmt.Sprintf("%s (lr %g)", tr("race.gd"), transferGDLR), optim.GradientDescentName, transferGDLR},
	} {
		t := nst.NewTransfer(model)
		t.Loss, t.Optimizer, t.LearningRate, t.Iterations = loss, o.optimizer, o.lr, budget
		r := OptimizerRun{Name: o.name}
		observe := budgetObserver(&r.Losses, budget)
		t.OnEvaluation = func(e nst.Evaluation) error { return observe(e.Total) }
		if _, err := t.Run(ctx, content, []nst.Style{{Image: style, Weight: 1}}); err != nil && !errors.Is(err, errBudget) {
			if errors.Is(err, nst.ErrNotFinite) && len(r.Losses) > 0 {
				r.Name += " ✗" // diverged: show what it did before
			} else {
				return nil, fmt.Errorf("explain: style-transfer race, %s: %w", o.name, err)
			}
		}
		runs = append(runs, r)
	}
	v := CompareOptimizers(tr("race.transfer"), budget, runs...)
	v.RandomWeights = model.Weights.Random
	return v, nil
}
