package optim

import (
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/estil-nst/estil/internal/testutil"
)

// The tests always use the pure-Go backend, created explicitly: no XLA is attempted.
//
// It is configured with "ops_sequential" because GoMLX v0.26's pure-Go backend deadlocks when it runs
// graph nodes in parallel and four or more Dot nodes are ready at once on a 2-CPU machine: each Dot
// node's task holds one of the 2·NumCPU worker slots while waiting (WaitToStart) for a slot for its own
// sub-task. The quadratic's graphs have enough independent Dots to hit it. LBFGS_TEST_GO_CONFIG
// overrides the configuration (e.g. "" for the default).
var testBackend = sync.OnceValue(func() compute.Backend {
	config, ok := os.LookupEnv("LBFGS_TEST_GO_CONFIG")
	if !ok {
		config = "ops_sequential"
	}
	b, err := gobackend.New(config)
	if err != nil {
		panic(err)
	}
	return b
})

// fixture is a JSON file written by scripts/fixtures_lbfgs.py from torch.optim.LBFGS.
type fixture struct {
	Name    string      `json:"name"`
	Problem string      `json:"problem"`
	A       [][]float64 `json:"A"`
	B       []float64   `json:"b"`
	X0      []float64   `json:"x0"`
	Options struct {
		LR              float64 `json:"lr"`
		MaxIter         int     `json:"max_iter"`
		MaxEval         int     `json:"max_eval"`
		ToleranceGrad   float64 `json:"tolerance_grad"`
		ToleranceChange float64 `json:"tolerance_change"`
		HistorySize     int     `json:"history_size"`
		LineSearchFn    *string `json:"line_search_fn"`
	} `json:"options"`
	Steps []struct {
		X         []float64 `json:"x"`
		Loss      float64   `json:"loss"`
		Evals     []float64 `json:"evals"`
		NIter     int       `json:"n_iter"`
		FuncEvals int       `json:"func_evals"`
	} `json:"steps"`
}

func loadFixture(t testing.TB, name string) *fixture {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatalf("reading fixture (regenerate with /usr/bin/python3 scripts/fixtures_lbfgs.py): %v", err)
	}
	var f fixture
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("parsing fixture %s: %v", name, err)
	}
	return &f
}

// quadratic is f(x) = ½ xᵀAx − bᵀx with the explicit gradient Ax − b; inputs = A, b.
func quadratic(x *graph.Node, inputs []*graph.Node) (loss, grad *graph.Node, extras []*graph.Node) {
	a, b := inputs[0], inputs[1]
	ax := graph.Dot(a, x).Product()
	half := graph.Scalar(x.Graph(), x.DType(), 0.5)
	loss = graph.Sub(graph.Mul(half, graph.Dot(x, ax).Product()), graph.Dot(b, x).Product())
	return loss, graph.Sub(ax, b), []*graph.Node{graph.Dot(b, x).Product()}
}

// rosenbrock is Σᵢ 100 (x[i+1] − x[i]²)² + (1 − x[i])², by autodiff. The shifted vectors x[:-1] and
// x[1:] are computed as products with selection matrices (inputs), because the gradient of Slice needs
// Pad, which the pure-Go backend lacks.
var rosenbrock = Autodiff(func(x *graph.Node, inputs []*graph.Node) (*graph.Node, []*graph.Node) {
	head, tail := graph.Dot(inputs[0], x).Product(), graph.Dot(inputs[1], x).Product()
	g := x.Graph()
	hundred := graph.Scalar(g, x.DType(), 100)
	one := graph.Scalar(g, x.DType(), 1)
	terms := graph.Add(graph.Mul(hundred, graph.Square(graph.Sub(tail, graph.Square(head)))),
		graph.Square(graph.Sub(one, head)))
	return graph.ReduceAllSum(terms), nil
})

// shiftMatrices returns P, Q of shape [n-1, n] with P·x = x[:-1] and Q·x = x[1:].
func shiftMatrices(n int) (p, q *tensors.Tensor) {
	pf := make([]float64, (n-1)*n)
	qf := make([]float64, (n-1)*n)
	for i := range n - 1 {
		pf[i*n+i] = 1
		qf[i*n+i+1] = 1
	}
	return tensors.FromFlatDataAndDimensions(pf, n-1, n), tensors.FromFlatDataAndDimensions(qf, n-1, n)
}

func flatten(a [][]float64) []float64 {
	var out []float64
	for _, row := range a {
		out = append(out, row...)
	}
	return out
}

// problemFor returns the Function and its inputs for a fixture, in the given dtype.
func problemFor(f *fixture, dtype dtypes.DType) (Function, []*tensors.Tensor) {
	n := len(f.X0)
	switch f.Problem {
	case "quadratic":
		return quadratic, []*tensors.Tensor{
			toDType(flatten(f.A), dtype, n, n), toDType(f.B, dtype, n)}
	case "rosenbrock":
		p, q := shiftMatrices(n)
		return rosenbrock, []*tensors.Tensor{
			toDType(tensors.MustCopyFlatData[float64](p), dtype, n-1, n),
			toDType(tensors.MustCopyFlatData[float64](q), dtype, n-1, n)}
	}
	panic("unknown problem " + f.Problem)
}

func toDType(v []float64, dtype dtypes.DType, dims ...int) *tensors.Tensor {
	if dtype == dtypes.Float32 {
		f := make([]float32, len(v))
		for i := range v {
			f[i] = float32(v[i])
		}
		return tensors.FromFlatDataAndDimensions(f, dims...)
	}
	return tensors.FromFlatDataAndDimensions(append([]float64(nil), v...), dims...)
}

// hostValues reads a tensor to the host as float64 (tests only).
func hostValues(t testing.TB, x *tensors.Tensor) []float64 {
	t.Helper()
	switch x.DType() {
	case dtypes.Float32:
		f := tensors.MustCopyFlatData[float32](x)
		out := make([]float64, len(f))
		for i, v := range f {
			out[i] = float64(v)
		}
		return out
	default:
		return tensors.MustCopyFlatData[float64](x)
	}
}

func optimizerFor(f *fixture, fn Function, inputs []*tensors.Tensor) *LBFGS {
	return optimizerOn(testBackend(), f, fn, inputs)
}

// optimizerOn is optimizerFor on backend b.
func optimizerOn(b compute.Backend, f *fixture, fn Function, inputs []*tensors.Tensor) *LBFGS {
	o := f.Options
	return NewLBFGS(b, fn).Inputs(inputs...).LR(o.LR).MaxEval(o.MaxEval).
		ToleranceGrad(o.ToleranceGrad).ToleranceChange(o.ToleranceChange).HistorySize(o.HistorySize).
		StrongWolfe(o.LineSearchFn != nil && *o.LineSearchFn == "strong_wolfe")
}

func maxDiff(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var m float64
	for i := range a {
		m = max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

// relClose compares with a tolerance relative to max(1, |want|).
func relClose(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*max(1, math.Abs(want))
}

var fixtureNames = []string{
	"quadratic10_none", "quadratic10_wolfe", "quadratic10_wolfe_converge",
	"rosenbrock2_none", "rosenbrock2_wolfe", "rosenbrock10_none", "rosenbrock10_wolfe",
}

// TestMatchesTorch replays each fixture in float64 and checks, after every Step, the iterate, the
// returned loss, the loss of every evaluation, and torch's n_iter and func_evals counters.
func TestMatchesTorch(t *testing.T) {
	const tol = 1e-4
	for _, name := range fixtureNames {
		t.Run(name, func(t *testing.T) {
			f := loadFixture(t, name)
			fn, inputs := problemFor(f, dtypes.Float64)
			var evals []float64
			opt := optimizerFor(f, fn, inputs).OnEvaluation(func(e Evaluation) error {
				evals = append(evals, e.Loss)
				return nil
			})
			x := toDType(f.X0, dtypes.Float64, len(f.X0))
			var worst float64
			for i, want := range f.Steps {
				evals = evals[:0]
				res, err := opt.Step(x, f.Options.MaxIter)
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				x = res.X
				got := hostValues(t, x)
				d := maxDiff(got, want.X)
				worst = max(worst, d)
				if d > tol {
					t.Fatalf("step %d: x differs from torch by %g\n got %v\nwant %v", i, d, got, want.X)
				}
				if !relClose(res.Loss, want.Loss, tol) {
					t.Errorf("step %d: loss %v, torch %v", i, res.Loss, want.Loss)
				}
				if len(evals) != len(want.Evals) || res.Evaluations != len(want.Evals) {
					t.Fatalf("step %d: %d evaluations (Result says %d), torch %d", i, len(evals), res.Evaluations,
						len(want.Evals))
				}
				for j := range evals {
					if !relClose(evals[j], want.Evals[j], tol) {
						t.Errorf("step %d evaluation %d: loss %v, torch %v", i, j, evals[j], want.Evals[j])
					}
				}
				if opt.st.nIter != want.NIter || opt.st.funcEvals != want.FuncEvals {
					t.Errorf("step %d: n_iter=%d func_evals=%d, torch %d and %d", i, opt.st.nIter, opt.st.funcEvals,
						want.NIter, want.FuncEvals)
				}
			}
			t.Logf("%d steps, n_iter=%d, func_evals=%d, max |x - x_torch| = %.3g", len(f.Steps), opt.st.nIter,
				opt.st.funcEvals, worst)
		})
	}
}

// TestMatchesTorchFloat32 runs the quadratic fixtures with float32 tensors: the iterates follow torch's
// float64 ones to float32 accuracy.
func TestMatchesTorchFloat32(t *testing.T) {
	for _, name := range []string{"quadratic10_none", "quadratic10_wolfe", "rosenbrock2_wolfe"} {
		t.Run(name, func(t *testing.T) {
			f := loadFixture(t, name)
			fn, inputs := problemFor(f, dtypes.Float32)
			opt := optimizerFor(f, fn, inputs)
			x := toDType(f.X0, dtypes.Float32, len(f.X0))
			steps := len(f.Steps)
			if f.Problem == "rosenbrock" {
				steps = 2 // the path is chaotic in the end; float32 rounding makes it diverge from float64.
			}
			for i := range steps {
				res, err := opt.Step(x, f.Options.MaxIter)
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				x = res.X
				if d := maxDiff(hostValues(t, x), f.Steps[i].X); d > 1e-3 {
					t.Fatalf("step %d: float32 x differs from torch's float64 by %g", i, d)
				}
			}
		})
	}
}

// TestStopReasons checks the tolerance tests that end a Step.
func TestStopReasons(t *testing.T) {
	f := loadFixture(t, "quadratic10_wolfe_converge")
	fn, inputs := problemFor(f, dtypes.Float64)
	opt := optimizerFor(f, fn, inputs)
	x := toDType(f.X0, dtypes.Float64, len(f.X0))
	res, err := opt.Step(x, f.Options.MaxIter)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stopped != StopToleranceGrad || res.Iterations != 18 {
		t.Errorf("first step: stopped %q after %d iterations, want %q after 18", res.Stopped, res.Iterations,
			StopToleranceGrad)
	}
	x2 := res.X
	res, err = opt.Step(x2, f.Options.MaxIter)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stopped != StopOptimalAtStart || res.Iterations != 0 || res.Evaluations != 1 || res.X != x2 {
		t.Errorf("second step: stopped %q after %d iterations, %d evaluations (same x: %v), want %q, 0, 1, true",
			res.Stopped, res.Iterations, res.Evaluations, res.X == x2, StopOptimalAtStart)
	}

	// max_iter and max_eval.
	opt = optimizerFor(f, fn, inputs).ToleranceGrad(0)
	if res, err = opt.Step(x, 3); err != nil || res.Stopped != StopMaxIter || res.Iterations != 3 {
		t.Errorf("3 iterations: %v, %+v", err, res)
	}
	opt = optimizerFor(f, fn, inputs).ToleranceGrad(0).MaxEval(5)
	if res, err = opt.Step(x, 100); err != nil || res.Stopped != StopMaxEval || res.Evaluations < 5 {
		t.Errorf("MaxEval(5): %v, %+v", err, res)
	}

	// tolerance_change on the loss, with a loose tolerance.
	opt = optimizerFor(f, fn, inputs).ToleranceGrad(0).ToleranceChange(1e-3)
	if res, err = opt.Step(x, 100); err != nil || (res.Stopped != StopLossChange && res.Stopped != StopStepSize) {
		t.Errorf("ToleranceChange(1e-3): %v, %+v", err, res)
	}
	// Run to a standstill: eventually the directional derivative or the step size test ends the Step.
	opt = optimizerFor(f, fn, inputs).ToleranceGrad(0).MaxEval(1000).HistorySize(10)
	if res, err = opt.Step(x, 200); err != nil {
		t.Fatal(err)
	}
	switch res.Stopped {
	case StopDirectionalDerivative, StopStepSize, StopLossChange:
	default:
		t.Errorf("long run stopped on %q", res.Stopped)
	}
	t.Logf("long run: %d iterations, %d evaluations, stopped: %s", res.Iterations, res.Evaluations, res.Stopped)
}

// TestNotFinite: a NaN loss stops Step with ErrNotFinite and the last x with a finite loss.
func TestNotFinite(t *testing.T) {
	for _, wolfe := range []bool{false, true} {
		t.Run(fmt.Sprintf("strong_wolfe=%v", wolfe), func(t *testing.T) {
			fn := nanFunction()
			var losses []float64
			opt := NewLBFGS(testBackend(), fn).StrongWolfe(wolfe).OnEvaluation(func(e Evaluation) error {
				losses = append(losses, e.Loss)
				return nil
			})
			x := tensors.FromValue([]float64{1, 1})
			res, err := opt.Step(x, 20)
			if !errors.Is(err, ErrNotFinite) {
				t.Fatalf("want ErrNotFinite, got %v (result %+v)", err, res)
			}
			t.Logf("error: %v; losses %v", err, losses)
			got := hostValues(t, res.X)
			// Iteration 1 takes t = min(1, 1/‖g‖₁) = 1/8 along −g = (−4, −4): x = (0.5, 0.5), loss 4.5.
			if maxDiff(got, []float64{0.5, 0.5}) > 1e-12 || res.LastLoss != 4.5 || res.Stopped != StopNotFinite {
				t.Errorf("X=%v LastLoss=%v Stopped=%q, want (0.5, 0.5), 4.5, %q", got, res.LastLoss, res.Stopped,
					StopNotFinite)
			}
			if !math.IsNaN(losses[len(losses)-1]) {
				t.Errorf("the observer should have seen the NaN loss: %v", losses)
			}
			// The state was reset: the optimizer starts afresh.
			if opt.st.nIter != 0 || opt.st.funcEvals != 0 || len(opt.owned) != 0 {
				t.Errorf("state not reset: n_iter=%d func_evals=%d owned=%d", opt.st.nIter, opt.st.funcEvals,
					len(opt.owned))
			}
		})
	}
	// Not finite at the very first evaluation: X is the given x.
	x := tensors.FromValue([]float64{-1, 1})
	res, err := NewLBFGS(testBackend(), nanFunction()).Step(x, 20)
	if !errors.Is(err, ErrNotFinite) || res.X != x {
		t.Errorf("NaN at start: err=%v, same x: %v", err, res != nil && res.X == x)
	}
}

// nanFunction is f(x) = Σ (x+1)² + 0·log(x₀), with gradient 2(x+1): its minimum is at x = −1, but the
// loss is NaN once x₀ < 0. (The gradient is explicit: autodiff through Slice needs Pad.)
func nanFunction() Function {
	return func(x *graph.Node, _ []*graph.Node) (*graph.Node, *graph.Node, []*graph.Node) {
		g := x.Graph()
		x0 := graph.Reshape(graph.Slice(x, graph.AxisElem(0)))
		penalty := graph.Mul(graph.ScalarZero(g, x.DType()), graph.Log(x0))
		loss := graph.Add(graph.ReduceAllSum(graph.Square(graph.AddScalar(x, 1))), penalty)
		return loss, graph.MulScalar(graph.AddScalar(x, 1), 2), nil
	}
}

// TestObservers checks the counts and values given to the observers, the extras, and that an observer
// error stops Step.
func TestObservers(t *testing.T) {
	f := loadFixture(t, "rosenbrock2_wolfe")
	fn, inputs := problemFor(f, dtypes.Float64)
	var evals []Evaluation
	var iters []Iteration
	opt := optimizerFor(f, fn, inputs).
		OnEvaluation(func(e Evaluation) error { evals = append(evals, e); return nil }).
		OnIteration(func(it Iteration) error { iters = append(iters, it); return nil })
	x := toDType(f.X0, dtypes.Float64, len(f.X0))
	totalIters := 0
	for i := range 3 {
		res, err := opt.Step(x, f.Options.MaxIter)
		if err != nil {
			t.Fatal(err)
		}
		x = res.X
		totalIters += res.Iterations
		if len(evals) != f.Steps[i].FuncEvals || evals[len(evals)-1].N != f.Steps[i].FuncEvals {
			t.Errorf("step %d: %d evaluations observed, torch func_evals=%d", i, len(evals), f.Steps[i].FuncEvals)
		}
		if len(iters) != f.Steps[i].NIter || iters[len(iters)-1].N != f.Steps[i].NIter {
			t.Errorf("step %d: %d iterations observed, torch n_iter=%d", i, len(iters), f.Steps[i].NIter)
		}
	}
	for i, e := range evals {
		if e.N != i+1 {
			t.Fatalf("evaluation %d has N=%d", i, e.N)
		}
	}
	for i, it := range iters {
		if it.N != i+1 || it.HistoryUsed > f.Options.HistorySize || it.StepLength <= 0 || it.FuncEvals > len(evals) {
			t.Fatalf("iteration %d: %+v", i, it)
		}
		if i == 0 && (it.Curvature != 0 || it.HistoryUsed != 0) {
			t.Errorf("first iteration: %+v", it)
		}
		if i > 0 && it.Curvature > 1e-10 && it.HistoryUsed == 0 {
			t.Errorf("iteration %d accepted a pair but uses no history: %+v", i, it)
		}
	}
	if iters[len(iters)-1].HistoryUsed != f.Options.HistorySize {
		t.Errorf("history should be full (wrapped around) by now: %+v", iters[len(iters)-1])
	}

	// Extras: the quadratic's Function returns bᵀx.
	q := loadFixture(t, "quadratic10_none")
	qfn, qin := problemFor(q, dtypes.Float64)
	var extras [][]float64
	stop := errors.New("enough")
	opt = optimizerFor(q, qfn, qin).OnEvaluation(func(e Evaluation) error {
		extras = append(extras, e.Extras)
		if e.N == 3 {
			return stop
		}
		return nil
	})
	x = toDType(q.X0, dtypes.Float64, len(q.X0))
	res, err := opt.Step(x, q.Options.MaxIter)
	if !errors.Is(err, stop) || res.Stopped != StopObserver || len(extras) != 3 {
		t.Fatalf("observer error: err=%v stopped=%q, %d evaluations", err, res.Stopped, len(extras))
	}
	var btx0 float64
	for i, b := range q.B {
		btx0 += b * q.X0[i]
	}
	if len(extras[0]) != 1 || !relClose(extras[0][0], btx0, 1e-12) {
		t.Errorf("extras at x0: %v, want [%v]", extras[0], btx0)
	}
	// The observer stopped at evaluation 3 (a finite loss at the iterate after 2 iterations).
	if d := maxDiff(hostValues(t, res.X), q.Steps[0].X); d == 0 {
		t.Errorf("expected an intermediate x")
	}
}

// TestCompiledOnce: the Function is traced once per graph, not once per evaluation, and the two-loop
// graphs are bucketed.
func TestCompiledOnce(t *testing.T) {
	f := loadFixture(t, "rosenbrock10_wolfe")
	fn, inputs := problemFor(f, dtypes.Float64)
	traced := 0
	counting := func(x *graph.Node, in []*graph.Node) (*graph.Node, *graph.Node, []*graph.Node) {
		traced++
		return fn(x, in)
	}
	opt := optimizerFor(f, counting, inputs)
	x := toDType(f.X0, dtypes.Float64, len(f.X0))
	for range f.Steps {
		res, err := opt.Step(x, f.Options.MaxIter)
		if err != nil {
			t.Fatal(err)
		}
		x = res.X
	}
	if traced != 2 { // the graph at x, and the graph at x + t·d.
		t.Errorf("Function traced %d times, want 2", traced)
	}
}

// TestStaysOnDevice: x, g, d and the history are only passed between executions; none of them is ever
// copied to the host. (A tensor read on the host gets a local copy: HasLocal becomes true.)
func TestStaysOnDevice(t *testing.T) {
	f := loadFixture(t, "rosenbrock10_wolfe")
	fn, inputs := problemFor(f, dtypes.Float32)
	// The pure-Go backend's "device" is host memory, and reading a tensor takes a view of it instead
	// of a copy: there is nothing to observe there. On XLA, HasLocal tells whether a host copy was
	// ever made. TestNoHostReadsInSource checks the same property statically, on every machine.
	opt := optimizerOn(testutil.OpenXLA(t, "the device-memory check"), f, fn, inputs)
	x := toDType(f.X0, dtypes.Float32, len(f.X0))
	res, err := opt.Step(x, f.Options.MaxIter)
	if err != nil {
		t.Fatal(err)
	}
	st := &opt.st
	all := append([]*tensors.Tensor{res.X, st.d, st.prevG, st.zeros}, st.hist.tensors()...)
	for i, tt := range all {
		if tt.HasLocal() {
			t.Errorf("tensor #%d (%s) has a host copy", i, tt.Shape())
		}
	}
	if len(st.hist.s) == 0 {
		t.Fatal("empty history")
	}
	// Control: reading a tensor creates the host copy that the check above looks for.
	_ = hostValues(t, res.X)
	if !res.X.HasLocal() {
		t.Error("HasLocal doesn't detect host copies on this backend: the test above proves nothing")
	}
}

// TestHistoryOwnership: the optimizer frees what it no longer needs; the number of device tensors it
// holds stays bounded by the history size.
func TestHistoryOwnership(t *testing.T) {
	f := loadFixture(t, "rosenbrock2_wolfe")
	fn, inputs := problemFor(f, dtypes.Float64)
	opt := optimizerFor(f, fn, inputs)
	x := toDType(f.X0, dtypes.Float64, len(f.X0))
	for i := range f.Steps {
		res, err := opt.Step(x, f.Options.MaxIter)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			_ = x.FinalizeAll() // the caller owns its x's.
		}
		x = res.X
		// d, g_prev, zeros and 2 tensors per pair.
		if want := 3 + 2*opt.st.hist.len(); len(opt.owned) != want {
			t.Errorf("step %d: optimizer holds %d tensors, want %d", i, len(opt.owned), want)
		}
	}
	opt.Reset()
	if len(opt.owned) != 0 {
		t.Errorf("after Reset the optimizer holds %d tensors", len(opt.owned))
	}
}

// TestNoHostReadsInSource is the structural guarantee behind "only scalars reach the host": in the
// package's (non-test) source, the calls that copy a tensor to the host appear only in readScalars,
// which reads the small float64 vectors of control scalars.
func TestNoHostReadsInSource(t *testing.T) {
	hostReads := map[string]bool{
		"Value": true, "ValueSafe": true, "CopyFlatData": true, "MustCopyFlatData": true,
		"ConstFlatData": true, "MustConstFlatData": true, "ConstBytes": true, "MutableFlatData": true,
		"MustMutableFlatData": true, "MutableBytes": true, "ToScalar": true, "MaterializeLocal": true,
		"ToLocal": true, "LocalClone": true,
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range file.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				var sel string
				switch f := call.Fun.(type) {
				case *ast.SelectorExpr:
					sel = f.Sel.Name
				case *ast.IndexExpr: // generic instantiation, e.g. tensors.CopyFlatData[float64]
					if s, ok := f.X.(*ast.SelectorExpr); ok {
						sel = s.Sel.Name
					}
				}
				// readScalars reads each evaluation's few numbers; hostCopy copies the state when a
				// checkpoint asks for it (State), and AllFinite checks a saved one, never during a Step.
				if hostReads[sel] && fn.Name.Name != "readScalars" && fn.Name.Name != "hostCopy" && fn.Name.Name != "AllFinite" {
					t.Errorf("%s: %s calls %s: only readScalars, hostCopy and AllFinite may copy tensors to the host",
						fset.Position(call.Pos()), fn.Name.Name, sel)
				}
				return true
			})
		}
	}
}

// TestGradientIsX: a Function whose gradient is x itself (f = ½‖x‖²): the gradient tensor the
// optimizer frees must not be the caller's x.
func TestGradientIsX(t *testing.T) {
	fn := func(x *graph.Node, _ []*graph.Node) (*graph.Node, *graph.Node, []*graph.Node) {
		return graph.MulScalar(dot(x, x), 0.5), x, nil
	}
	x := tensors.FromValue([]float64{1, 2, 3})
	opt := NewLBFGS(testBackend(), fn)
	res, err := opt.Step(x, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got := hostValues(t, x); maxDiff(got, []float64{1, 2, 3}) != 0 {
		t.Errorf("the caller's x changed: %v", got)
	}
	// max_eval = 3·5/4 = 3: torch stops on max_eval, at the minimum 0 (up to rounding).
	if res.Stopped != StopMaxEval || maxDiff(hostValues(t, res.X), []float64{0, 0, 0}) > 1e-12 {
		t.Errorf("%+v, X=%v", res, hostValues(t, res.X))
	}
}
