package nbkit

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/estil-nst/estil/nst/backend"
)

// Mistake is what a check recognised in a student's function (CheckError.Mistake).
type Mistake string

const (
	// MistakeTODO: the function returns nil, i.e. it is still the stub.
	MistakeTODO Mistake = "todo"
	// MistakePanic: building the function's graph failed (and no other mistake explains it).
	MistakePanic Mistake = "panic"
	// MistakeShape: the result has the wrong shape.
	MistakeShape Mistake = "shape"
	// MistakeTransposed: F and Fᵀ swapped, or the axes of an input read in the wrong order.
	MistakeTransposed Mistake = "transposed"
	// MistakeNaN: the result holds NaN or ±Inf.
	MistakeNaN Mistake = "nan"
	// MistakeSign: the result, or one of its terms, has the wrong sign.
	MistakeSign Mistake = "sign"
	// MistakeFactor: a factor (h·w, d, d·h·w, …) too many or missing.
	MistakeFactor Mistake = "factor"
	// MistakeSumMean: a sum where a mean is meant, or a mean where a sum is meant.
	MistakeSumMean Mistake = "sum-mean"
	// MistakeMissingTerm: a term of the formula is left out.
	MistakeMissingTerm Mistake = "missing-term"
	// MistakeValues: the values are wrong, in none of the ways above.
	MistakeValues Mistake = "values"
)

// CheckError is what a check returns when the student's function is not right: the exercise, the
// mistake it recognised and the hint it printed (in the notebook's language).
type CheckError struct {
	Exercise string
	Mistake  Mistake
	Hint     string
}

func (e *CheckError) Error() string { return e.Exercise + ": " + e.Hint }

// text is a message in both languages; String gives the notebook's.
type text struct{ en, ca string }

func (t text) String() string { return say(t.en, t.ca) }

// probe is one input of a check: the tensors given to both functions, and the values of the
// exercise's sizes (e.g. d and h·w) on it, which the factor hints name.
type probe struct {
	inputs []*tensors.Tensor
	sizes  []float64
	// kind tells probes of a special form apart (TotalVariation's "vertical" and "horizontal"
	// pictures); empty for plain random inputs.
	kind string
}

// mistake is a usual mistake that a check recognises and names.
type mistake struct {
	kind Mistake
	hint text
	// shape, when set, recognises the mistake by the result's shape alone.
	shape func(p probe) []int
	// panicShape, when set, recognises it by a shape that a failed graph names in its message
	// (e.g. a [h·w, h·w] Gram matrix subtracted from a [d, d] one).
	panicShape func(p probe) []int
	// Otherwise the mistake's result is scale(p)·reference(transform(inputs)) (transform nil:
	// the inputs as they are), on the probes where scale says it is defined.
	transform func(in []*graph.Node) []*graph.Node
	scale     func(p probe) (float64, bool)
}

// exercise is one implement-and-check exercise: estil's function, the inputs it is checked on and
// the mistakes it names.
type exercise struct {
	id   string
	name text
	// args names the function's arguments, for messages.
	args []string
	// symbols names the sizes of probe.sizes, e.g. {"d", "h·w"}, for factor hints.
	symbols   []string
	probes    []probe
	reference func(in []*graph.Node) *graph.Node
	mistakes  []mistake
	// factors names the usual mistakes behind some ratios, by the exponents of the symbols
	// (exponentKey); other ratios get a hint that only says which factor it is.
	factors map[string]mistake
	// passNote is added to the pass message.
	passNote text
}

// Tolerance of the comparisons, relative to the largest value compared: float32 sums of a few
// hundred terms agree with estil's to about 10⁻⁶, and every mistake a check names is off by a
// factor of 2 or more.
const checkTolerance = 1e-3

var checkBackend = sync.OnceValues(func() (compute.Backend, error) {
	b, err := backend.Open(backend.Go, nil)
	return b, err
})

// outcome is one function's result on one probe.
type outcome struct {
	dims     []int
	values   []float64
	isNil    bool   // the function returned nil
	panicked string // what building or running the graph panicked with
}

// run evaluates fn on inputs, converting its result to float64 and recovering from panics.
func run(fn func(in []*graph.Node) *graph.Node, inputs []*tensors.Tensor) (o outcome) {
	defer func() {
		if r := recover(); r != nil {
			o = outcome{panicked: panicMessage(r)}
		}
	}()
	backend, err := checkBackend()
	if err != nil {
		return outcome{panicked: err.Error()}
	}
	exec, err := graph.NewExec(backend, func(in []*graph.Node) *graph.Node {
		out := fn(in)
		if out == nil {
			o.isNil = true
			return graph.ScalarZero(in[0].Graph(), dtypes.Float64)
		}
		return graph.ConvertDType(out, dtypes.Float64)
	})
	if err != nil {
		return outcome{panicked: panicMessage(err)}
	}
	args := make([]any, len(inputs))
	for i, t := range inputs {
		args[i] = t
	}
	outs, err := exec.Exec(args...)
	if err != nil {
		return outcome{panicked: panicMessage(err)}
	}
	if o.isNil {
		return outcome{isNil: true}
	}
	return outcome{dims: outs[0].Shape().Dimensions, values: tensors.MustCopyFlatData[float64](outs[0])}
}

// panicMessage keeps what a student needs from a panic: GoMLX wraps the cause in the names of
// the graph being compiled.
func panicMessage(r any) string {
	s := fmt.Sprint(r)
	if i := strings.LastIndex(s, "panicked: "); i >= 0 {
		s = s[i+len("panicked: "):]
	}
	return strings.TrimSpace(s)
}

// check runs student against the exercise, prints pass or a hint to w and returns nil or the
// *CheckError.
func (ex *exercise) check(w io.Writer, student func(in []*graph.Node) *graph.Node) error {
	got := make([]outcome, len(ex.probes))
	want := make([]outcome, len(ex.probes))
	for i, p := range ex.probes {
		want[i] = run(ex.reference, p.inputs)
		if want[i].panicked != "" || want[i].isNil {
			panic(fmt.Sprintf("nbkit: estil's %s failed on %s: %s", ex.id, ex.describe(p), want[i].panicked))
		}
		got[i] = run(student, p.inputs)
	}
	kind, hint := ex.diagnose(got, want)
	if kind == "" {
		fmt.Fprintf(w, say("✔ %s: right on %d random inputs (%s).%s\n", "✔ %s: correcte amb %d entrades aleatòries (%s).%s\n"),
			ex.name, len(ex.probes), ex.shapes(), ex.passNote)
		return nil
	}
	fmt.Fprintf(w, "✘ %s: %s\n", ex.name, hint)
	return &CheckError{Exercise: ex.id, Mistake: kind, Hint: hint}
}

// diagnose compares the student's outcomes with estil's and names the first mistake it finds;
// kind is empty when there is none.
func (ex *exercise) diagnose(got, want []outcome) (kind Mistake, hint string) {
	for _, o := range got {
		if o.isNil {
			return MistakeTODO, say("your function returns nil: write it where the // TODO is.",
				"la vostra funció retorna nil: escriviu-la on hi ha el // TODO.")
		}
	}
	for i, o := range got {
		if o.panicked == "" {
			continue
		}
		for _, m := range ex.mistakes {
			if m.panicShape != nil && strings.Contains(o.panicked, shapeText(m.panicShape(ex.probes[i]))) {
				return m.kind, m.hint.String() + " " + fmt.Sprintf(say("(On %s, building the graph failed: %s)", "(Amb %s, la construcció del graf ha fallat: %s)"), ex.describe(ex.probes[i]), o.panicked)
			}
		}
		return MistakePanic, fmt.Sprintf(say("building your graph failed on %s: %s", "la construcció del vostre graf ha fallat amb %s: %s"),
			ex.describe(ex.probes[i]), o.panicked)
	}
	for i, o := range got {
		if slices.Equal(o.dims, want[i].dims) {
			continue
		}
		p := ex.probes[i]
		for _, m := range ex.mistakes {
			if m.shape != nil && slices.Equal(o.dims, m.shape(p)) {
				return m.kind, m.hint.String() + " " + fmt.Sprintf(say("(On %s your result is %s; it should be %s.)", "(Amb %s el vostre resultat és %s; hauria de ser %s.)"),
					ex.describe(p), dimsText(o.dims), dimsText(want[i].dims))
			}
		}
		return MistakeShape, fmt.Sprintf(say("on %s your result is %s; it should be %s.", "amb %s el vostre resultat és %s; hauria de ser %s."),
			ex.describe(p), dimsText(o.dims), dimsText(want[i].dims))
	}
	for i, o := range got {
		for _, v := range o.values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return MistakeNaN, fmt.Sprintf(say("on %s your result holds %v: look for a division by zero, or a square root or logarithm of a negative number.",
					"amb %s el vostre resultat conté %v: busqueu-hi una divisió per zero, o una arrel quadrada o un logaritme d'un nombre negatiu."), ex.describe(ex.probes[i]), v)
			}
		}
	}
	right := true
	for i := range got {
		right = right && near(got[i].values, want[i].values)
	}
	if right {
		return "", ""
	}
	for _, m := range ex.mistakes {
		if (m.transform != nil || m.scale != nil) && ex.matches(m, got) {
			return m.kind, m.hint.String()
		}
	}
	return ex.ratioHint(got, want)
}

// matches reports whether the student's outcomes are m's on every probe where m is defined
// (and there is at least one).
func (ex *exercise) matches(m mistake, got []outcome) bool {
	defined := 0
	for i, p := range ex.probes {
		k := 1.0
		if m.scale != nil {
			var ok bool
			if k, ok = m.scale(p); !ok {
				continue
			}
		}
		fn := ex.reference
		if m.transform != nil {
			fn = func(in []*graph.Node) *graph.Node { return ex.reference(m.transform(in)) }
		}
		o := run(fn, p.inputs)
		if o.panicked != "" || !slices.Equal(o.dims, got[i].dims) {
			return false
		}
		for j := range o.values {
			o.values[j] *= k
		}
		if !near(got[i].values, o.values) {
			return false
		}
		defined++
	}
	return defined > 0
}

// ratioHint explains a result that is estil's times a constant on each probe: the wrong sign, and
// which factor c·d^a·(h·w)^b (c one of ½, 2, ¼, 4 or 1) is missing or too many. Anything else
// gets a hint that only says how far off the result is.
func (ex *exercise) ratioHint(got, want []outcome) (Mistake, string) {
	ratios := make([]float64, len(got))
	for i := range got {
		r, ok := ratio(got[i].values, want[i].values)
		if !ok {
			return ex.valuesHint(got, want)
		}
		ratios[i] = r
	}
	negative := ratios[0] < 0
	for i := range ratios {
		if (ratios[i] < 0) != negative {
			return ex.valuesHint(got, want)
		}
		ratios[i] = math.Abs(ratios[i])
	}
	sign := ""
	if negative {
		sign = say("it has the wrong sign (your result is minus estil's)", "té el signe canviat (el vostre resultat és menys el d'estil)")
		if allNear(ratios, func(int) float64 { return 1 }) {
			return MistakeSign, sign + "."
		}
		sign += say(", and besides: ", ", i a més: ")
	}
	kind := func(k Mistake) Mistake {
		if negative {
			return MistakeSign
		}
		return k
	}
	for _, e := range append([][]int{make([]int, len(ex.symbols))}, exponents(len(ex.symbols))...) {
		for _, c := range []float64{1, 0.5, 2, 0.25, 4} {
			if !allNear(ratios, func(i int) float64 { return c * power(ex.probes[i].sizes, e) }) || c == 1 && isZero(e) {
				continue
			}
			context := fmt.Sprintf(say(" (On %s your result is %.4g times estil's.)", " (Amb %s el vostre resultat és %.4g vegades el d'estil.)"), ex.describe(ex.probes[0]), ratios[0])
			if m, ok := ex.factors[factorKey(c, e)]; ok {
				return kind(m.kind), sign + m.hint.String() + context
			}
			return kind(MistakeFactor), sign + factorAdvice(ex.symbols, c, e) + context
		}
	}
	if allNear(ratios, func(int) float64 { return ratios[0] }) {
		return kind(MistakeFactor), sign + fmt.Sprintf(say("your result is %.4g times estil's on every input: a constant factor too many or missing.",
			"el vostre resultat és %.4g vegades el d'estil amb totes les entrades: hi sobra o hi falta un factor constant."), ratios[0])
	}
	if negative {
		return MistakeSign, sign + say("the size of your result is off by a factor that is not the same on every input.",
			"la mida del vostre resultat difereix en un factor que no és el mateix per a totes les entrades.")
	}
	return ex.valuesHint(got, want)
}

// valuesHint is the hint for wrong values that no rule explains: how far off, where.
func (ex *exercise) valuesHint(got, want []outcome) (Mistake, string) {
	for i := range got {
		if near(got[i].values, want[i].values) {
			continue
		}
		return MistakeValues, fmt.Sprintf(say("on %s your result differs from estil's by %.2g (relative to its largest value); it is not estil's times a constant. Check the formula term by term.",
			"amb %s el vostre resultat difereix del d'estil en %.2g (relatiu al seu valor més gran); no és el d'estil per una constant. Reviseu la fórmula terme a terme."),
			ex.describe(ex.probes[i]), relativeError(got[i].values, want[i].values))
	}
	return MistakeValues, ""
}

// factorAdvice says what a ratio c·d^a·(h·w)^b means: a factor too many, or missing.
func factorAdvice(symbols []string, c float64, e []int) string {
	up, down := make([]int, len(e)), make([]int, len(e))
	for i, x := range e {
		up[i], down[i] = max(x, 0), max(-x, 0)
	}
	cu, cd := max(c, 1), max(1/c, 1)
	switch {
	case cd == 1 && !slices.ContainsFunc(down, func(x int) bool { return x > 0 }):
		m := factorText(symbols, cu, up)
		return fmt.Sprintf(say("your result is %s times estil's: a factor %s too many, or a division by %s missing.",
			"el vostre resultat és %s vegades el d'estil: hi sobra un factor %s, o hi falta una divisió per %s."), m, m, m)
	case cu == 1 && !slices.ContainsFunc(up, func(x int) bool { return x > 0 }):
		m := factorText(symbols, cd, down)
		return fmt.Sprintf(say("your result is estil's divided by %s: a division by %s too many, or a factor %s missing.",
			"el vostre resultat és el d'estil dividit per %s: hi sobra una divisió per %s, o hi falta un factor %s."), m, m, m)
	}
	return fmt.Sprintf(say("your result is %s times estil's: a factor %s too many and a factor %s missing.",
		"el vostre resultat és %s vegades el d'estil: hi sobra un factor %s i hi falta un factor %s."),
		factorText(symbols, c, e), factorText(symbols, cu, up), factorText(symbols, cd, down))
}

func isZero(e []int) bool { return !slices.ContainsFunc(e, func(x int) bool { return x != 0 }) }

// exponents lists the exponent vectors in {−2, …, 2}ⁿ other than 0, simplest first.
func exponents(n int) [][]int {
	if n == 0 {
		return nil
	}
	var all [][]int
	var rec func(prefix []int)
	rec = func(prefix []int) {
		if len(prefix) == n {
			if slices.ContainsFunc(prefix, func(x int) bool { return x != 0 }) {
				all = append(all, slices.Clone(prefix))
			}
			return
		}
		for x := -2; x <= 2; x++ {
			rec(append(prefix, x))
		}
	}
	rec(nil)
	cost := func(e []int) int {
		c := 0
		for _, x := range e {
			c += x * x
		}
		return c
	}
	slices.SortStableFunc(all, func(a, b []int) int { return cost(a) - cost(b) })
	return all
}

// factorKey is c·Π symbols^e as the key of exercise.factors: the exponents, and the constant
// when it is not 1, e.g. "1,1" for d·h·w and "1,1 0.5" for ½·d·h·w.
func factorKey(c float64, e []int) string {
	s := make([]string, len(e))
	for i, x := range e {
		s[i] = fmt.Sprint(x)
	}
	if c != 1 {
		return strings.Join(s, ",") + " " + fmt.Sprint(c)
	}
	return strings.Join(s, ",")
}

// power is Π sizes[i]^e[i].
func power(sizes []float64, e []int) float64 {
	p := 1.0
	for i, x := range e {
		p *= math.Pow(sizes[i], float64(x))
	}
	return p
}

// factorText writes c·Π symbols[i]^e[i], e.g. "d·h·w", "½·d²", "1/(h·w)", "d/(h·w)²", "2".
func factorText(symbols []string, c float64, e []int) string {
	term := func(s string, x int) string {
		if x == 1 {
			return s
		}
		if strings.ContainsAny(s, "·/") {
			s = "(" + s + ")"
		}
		return s + map[int]string{2: "²", 3: "³", 4: "⁴"}[x]
	}
	var num, den []string
	switch c {
	case 0.5:
		num = append(num, "½")
	case 0.25:
		num = append(num, "¼")
	case 1:
	default:
		num = append(num, fmt.Sprint(c))
	}
	for i, x := range e {
		switch {
		case x > 0:
			num = append(num, term(symbols[i], x))
		case x < 0:
			den = append(den, term(symbols[i], -x))
		}
	}
	n := strings.Join(num, "·")
	if len(den) == 0 {
		if n == "" {
			return "1"
		}
		return n
	}
	if n == "" {
		n = "1"
	}
	d := strings.Join(den, "·")
	if len(den) > 1 || strings.Contains(d, "·") && !strings.HasPrefix(d, "(") {
		d = "(" + d + ")"
	}
	return n + "/" + d
}

// near reports whether a and b agree within checkTolerance of their largest magnitude.
func near(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	return relativeError(a, b) <= checkTolerance
}

// relativeError is max|a−b| over the largest magnitude in a and b.
func relativeError(a, b []float64) float64 {
	scale, diff := 0.0, 0.0
	for i := range a {
		scale = max(scale, math.Abs(a[i]), math.Abs(b[i]))
		diff = max(diff, math.Abs(a[i]-b[i]))
	}
	if scale == 0 {
		return 0
	}
	return diff / scale
}

// ratio is k such that got = k·want (least squares), and whether got is that close to it.
func ratio(got, want []float64) (float64, bool) {
	var gw, ww float64
	for i := range got {
		gw += got[i] * want[i]
		ww += want[i] * want[i]
	}
	if ww == 0 || gw == 0 {
		return 0, false
	}
	k := gw / ww
	scaled := make([]float64, len(want))
	for i := range want {
		scaled[i] = k * want[i]
	}
	return k, near(got, scaled)
}

// allNear reports whether every ratio is within checkTolerance of want(i).
func allNear(ratios []float64, want func(i int) float64) bool {
	for i, r := range ratios {
		if math.Abs(r-want(i)) > checkTolerance*math.Abs(want(i)) {
			return false
		}
	}
	return true
}

// describe names a probe's inputs and sizes: "f [3, 4, 5] (d = 3, h·w = 20)".
func (ex *exercise) describe(p probe) string {
	parts := make([]string, len(p.inputs))
	for i, t := range p.inputs {
		parts[i] = ex.args[i] + " " + dimsText(t.Shape().Dimensions)
	}
	s := strings.Join(parts, ", ")
	if len(ex.symbols) > 0 {
		sizes := make([]string, len(ex.symbols))
		for i, sym := range ex.symbols {
			sizes[i] = fmt.Sprintf("%s = %g", sym, p.sizes[i])
		}
		s += " (" + strings.Join(sizes, ", ") + ")"
	}
	return s
}

// shapes lists the probes' first input shapes, for the pass message.
func (ex *exercise) shapes() string {
	s := make([]string, len(ex.probes))
	for i, p := range ex.probes {
		s[i] = dimsText(p.inputs[0].Shape().Dimensions)
	}
	return ex.args[0] + " " + strings.Join(s, ", ")
}

// dimsText writes dimensions as GoMLX does, "[3, 4, 5]", and a scalar as "[] (a scalar)".
func dimsText(dims []int) string {
	if len(dims) == 0 {
		return say("[] (a scalar)", "[] (un escalar)")
	}
	s := make([]string, len(dims))
	for i, d := range dims {
		s[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// shapeText is how GoMLX names a float32 shape in its messages, e.g. "(Float32)[20, 20]".
func shapeText(dims []int) string {
	return shapes.Make(dtypes.Float32, dims...).String()
}

// randomFeatures is a float32 tensor of the given dimensions with values uniform in [lo, hi):
// nonnegative for a layer's features (they come out of a ReLU).
func randomFeatures(seed uint64, lo, hi float32, dims ...int) *tensors.Tensor {
	r := rand.New(rand.NewPCG(seed, 20))
	n := 1
	for _, d := range dims {
		n *= d
	}
	data := make([]float32, n)
	for i := range data {
		data[i] = lo + (hi-lo)*r.Float32()
	}
	return tensors.FromFlatDataAndDimensions(data, dims...)
}

// featureShapes are the [d, h, w] feature maps the feature exercises are checked on: d differs
// from h·w, h from w (but one is square, so that a transposition that builds also shows), and
// d and h·w vary independently, so that a ratio d^a·(h·w)^b has a single reading (as a test
// checks).
var featureShapes = [][3]int{{3, 4, 5}, {6, 2, 7}, {5, 3, 3}}
