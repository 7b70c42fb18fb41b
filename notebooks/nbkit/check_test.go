package nbkit

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/estil-nst/estil/explain"
	"github.com/estil-nst/estil/notebooks/teacher/exercises"
	"github.com/estil-nst/estil/nst"
)

// inLanguages runs f once per notebook language, with explain's language set to it.
// The teacher's solutions, into which the tests below plant mistakes.
var (
	gramMatrix     = exercises.Solutions["gramMatrix"].(func(*graph.Node) *graph.Node)
	gramHW         = exercises.Solutions["gramHW"].(func(*graph.Node) *graph.Node)
	contentLoss    = exercises.Solutions["contentLoss"].(func(a, b *graph.Node) *graph.Node)
	styleLayerLoss = exercises.Solutions["styleLayerLoss"].(func(a, b *graph.Node) *graph.Node)
	totalVariation = exercises.Solutions["totalVariation"].(func(*graph.Node) *graph.Node)
	mmdLinear      = exercises.Solutions["mmdLinear"].(func(a, b *graph.Node) *graph.Node)
	guidedGram     = exercises.Solutions["guidedGram"].(func(f, t *graph.Node) *graph.Node)
)

func inLanguages(t *testing.T, f func(t *testing.T, lang string)) {
	t.Cleanup(func() { _ = explain.SetLanguage(explain.English) })
	for _, lang := range []string{explain.English, explain.Catalan} {
		if err := explain.SetLanguage(lang); err != nil {
			t.Fatal(err)
		}
		t.Run(lang, func(t *testing.T) { f(t, lang) })
	}
}

// Helpers for planted mistakes.
func flat(f *graph.Node) *graph.Node {
	return graph.Reshape(f, f.Shape().Dim(0), f.Shape().Dim(1)*f.Shape().Dim(2))
}

func hw(f *graph.Node) float64 { return float64(f.Shape().Dim(1) * f.Shape().Dim(2)) }

func dhw(f *graph.Node) float64 { return float64(f.Shape().Dim(0)) * hw(f) }

func transposedGram(f *graph.Node) *graph.Node {
	x := flat(f)
	return graph.MatMul(graph.Transpose(x, 0, 1), x) // Fᵀ·F
}

func one(fn func(*graph.Node) *graph.Node) func([]*graph.Node) *graph.Node {
	return func(in []*graph.Node) *graph.Node { return fn(in[0]) }
}

func two(fn func(a, b *graph.Node) *graph.Node) func([]*graph.Node) *graph.Node {
	return func(in []*graph.Node) *graph.Node { return fn(in[0], in[1]) }
}

// planted is a wrong solution, and the mistake its check must name.
type planted struct {
	name    string
	ex      func() *exercise
	fn      func([]*graph.Node) *graph.Node
	mistake Mistake
	// says is a phrase the English hint must contain.
	says string
}

func gramEx(norm nst.GramNorm) func() *exercise {
	return func() *exercise {
		ex, err := gramExercise(norm)
		if err != nil {
			panic(err)
		}
		return ex
	}
}

var plantedMistakes = []planted{
	// 03: the Gram matrix.
	{"gram: stub", gramEx(nst.GramNormNone), one(func(*graph.Node) *graph.Node { return nil }), MistakeTODO, "TODO"},
	{"gram: Fᵀ·F", gramEx(nst.GramNormNone), one(transposedGram), MistakeTransposed, "Fᵀ·F"},
	{"gram: divided by h·w", gramEx(nst.GramNormNone), one(gramHW), MistakeFactor, "divided by h·w"},
	{"gram: minus", gramEx(nst.GramNormNone), one(func(f *graph.Node) *graph.Node { return graph.Neg(gramMatrix(f)) }), MistakeSign, "wrong sign"},
	{"gram: d·F·Fᵀ", gramEx(nst.GramNormNone), one(func(f *graph.Node) *graph.Node { return graph.MulScalar(gramMatrix(f), float64(f.Shape().Dim(0))) }), MistakeFactor, "a factor d too many"},
	{"gram hw: Fᵀ·F/(h·w)", gramEx(nst.GramNormHW), one(func(f *graph.Node) *graph.Node { return graph.DivScalar(transposedGram(f), hw(f)) }), MistakeTransposed, "Fᵀ·F"},
	{"gram hw: not divided", gramEx(nst.GramNormHW), one(gramMatrix), MistakeFactor, "division by h·w is missing"},
	{"gram hw: divided by d·h·w", gramEx(nst.GramNormHW), one(func(f *graph.Node) *graph.Node { return graph.DivScalar(gramMatrix(f), dhw(f)) }), MistakeFactor, "divided by d·h·w"},
	{"gram hw: minus", gramEx(nst.GramNormHW), one(func(f *graph.Node) *graph.Node { return graph.Neg(gramHW(f)) }), MistakeSign, "wrong sign"},
	{"gram chw: not divided", gramEx(nst.GramNormCHW), one(gramMatrix), MistakeFactor, "division by d·h·w is missing"},

	// 04: the content loss.
	{"content: transposed", contentExercise, two(func(t, c *graph.Node) *graph.Node {
		return contentLoss(t, graph.Transpose(c, 1, 2))
	}), MistakeTransposed, "transposed"},
	{"content: sum", contentExercise, two(func(t, c *graph.Node) *graph.Node {
		return graph.ReduceAllSum(graph.Square(graph.Sub(t, c)))
	}), MistakeSumMean, "a sum where a mean is meant"},
	{"content: Gatys's ½Σ", contentExercise, two(func(t, c *graph.Node) *graph.Node {
		return graph.MulScalar(graph.ReduceAllSum(graph.Square(graph.Sub(t, c))), 0.5)
	}), MistakeSumMean, "Gatys"},
	{"content: minus", contentExercise, two(func(t, c *graph.Node) *graph.Node { return graph.Neg(contentLoss(t, c)) }), MistakeSign, "wrong sign"},
	{"content: not reduced", contentExercise, two(func(t, c *graph.Node) *graph.Node { return graph.Square(graph.Sub(t, c)) }), MistakeShape, "one number"},
	{"content: NaN", contentExercise, two(func(t, c *graph.Node) *graph.Node { return graph.Sqrt(graph.Neg(contentLoss(t, c))) }), MistakeNaN, "NaN"},

	// 04: one layer's style loss.
	{"style: Fᵀ·F", styleExercise, two(func(t, s *graph.Node) *graph.Node {
		return graph.DivScalar(graph.ReduceAllMean(graph.Square(graph.Sub(transposedGram(t), s))), dhw(t))
	}), MistakeTransposed, "Fᵀ·F"},
	{"style: not divided", styleExercise, two(func(t, s *graph.Node) *graph.Node {
		return graph.ReduceAllMean(graph.Square(graph.Sub(gramMatrix(t), s)))
	}), MistakeFactor, "division by d·h·w is missing"},
	{"style: divided by h·w only", styleExercise, two(func(t, s *graph.Node) *graph.Node {
		return graph.DivScalar(graph.ReduceAllMean(graph.Square(graph.Sub(gramMatrix(t), s))), hw(t))
	}), MistakeFactor, "a factor d too many"},
	{"style: sum", styleExercise, two(func(t, s *graph.Node) *graph.Node {
		return graph.DivScalar(graph.ReduceAllSum(graph.Square(graph.Sub(gramMatrix(t), s))), dhw(t))
	}), MistakeSumMean, "a sum where a mean is meant"},
	{"style: minus", styleExercise, two(func(t, s *graph.Node) *graph.Node { return graph.Neg(styleLayerLoss(t, s)) }), MistakeSign, "wrong sign"},

	// 06: total variation.
	{"tv: channels first", tvExercise, one(func(x *graph.Node) *graph.Node {
		return totalVariation(graph.TransposeAllDims(x, 1, 2, 0)) // reads x as [C, H, W]
	}), MistakeTransposed, "wrong axes"},
	{"tv: means", tvExercise, one(func(x *graph.Node) *graph.Node {
		h, w := x.Shape().Dim(0), x.Shape().Dim(1)
		all := graph.AxisRange()
		dy := graph.Sub(graph.Slice(x, graph.AxisRange(1, h)), graph.Slice(x, graph.AxisRange(0, h-1)))
		dx := graph.Sub(graph.Slice(x, all, graph.AxisRange(1, w)), graph.Slice(x, all, graph.AxisRange(0, w-1)))
		return graph.Add(graph.ReduceAllMean(graph.Square(dy)), graph.ReduceAllMean(graph.Square(dx)))
	}), MistakeSumMean, "a mean where a sum is meant"},
	{"tv: no horizontal term", tvExercise, one(func(x *graph.Node) *graph.Node {
		h := x.Shape().Dim(0)
		return graph.ReduceAllSum(graph.Square(graph.Sub(graph.Slice(x, graph.AxisRange(1, h)), graph.Slice(x, graph.AxisRange(0, h-1)))))
	}), MistakeMissingTerm, "horizontal neighbours"},
	{"tv: minus", tvExercise, one(func(x *graph.Node) *graph.Node { return graph.Neg(totalVariation(x)) }), MistakeSign, "wrong sign"},
	{"tv: ½", tvExercise, one(func(x *graph.Node) *graph.Node { return graph.MulScalar(totalVariation(x), 0.5) }), MistakeFactor, "divided by 2"},

	// 07: mmd-linear.
	{"mmd: channels paired", mmdExercise, two(func(t, s *graph.Node) *graph.Node {
		f, g := flat(t), flat(s)
		k := func(a, b *graph.Node) *graph.Node {
			return graph.ReduceAllSum(graph.MatMul(a, graph.Transpose(b, 0, 1)))
		} // F·Sᵀ [N, N]
		return graph.DivScalar(graph.Sub(graph.Add(k(f, f), k(g, g)), graph.MulScalar(k(f, g), 2)), dhw(t))
	}), MistakeTransposed, "pairs of channels"},
	{"mmd: not divided", mmdExercise, two(func(t, s *graph.Node) *graph.Node { return graph.MulScalar(mmdLinear(t, s), dhw(t)) }), MistakeFactor, "1/(N·M) is missing"},
	{"mmd: MMD²", mmdExercise, two(func(t, s *graph.Node) *graph.Node {
		return graph.DivScalar(graph.MulScalar(mmdLinear(t, s), dhw(t)), hw(t)*hw(t))
	}), MistakeSumMean, "MMD²"},
	{"mmd: minus", mmdExercise, two(func(t, s *graph.Node) *graph.Node { return graph.Neg(mmdLinear(t, s)) }), MistakeSign, "wrong sign"},
	{"mmd: + cross term", mmdExercise, two(func(t, s *graph.Node) *graph.Node { return mmdLinear(t, graph.Neg(s)) }), MistakeSign, "cross term"},

	// 08: the guided Gram matrix.
	{"guided: stub", guidedGramExercise, two(func(f, t *graph.Node) *graph.Node { return nil }), MistakeTODO, "TODO"},
	{"guided: no guide", guidedGramExercise, two(func(f, t *graph.Node) *graph.Node { return gramMatrix(f) }), MistakeMissingTerm, "the guide is missing"},
	{"guided: (F∘T)·Fᵀ", guidedGramExercise, two(func(f, t *graph.Node) *graph.Node {
		d, h, w := f.Shape().Dim(0), f.Shape().Dim(1), f.Shape().Dim(2)
		guided := graph.Reshape(graph.Mul(f, graph.BroadcastToDims(graph.Reshape(t, 1, h, w), d, h, w)), d, h*w)
		g := graph.MatMul(guided, graph.Transpose(flat(f), 0, 1))
		return graph.Mul(g, graph.Div(graph.Scalar(g.Graph(), g.DType(), hw(f)), graph.ReduceAllSum(graph.Square(t))))
	}), MistakeMissingTerm, "only once"},
	{"guided: not normalised", guidedGramExercise, two(func(f, t *graph.Node) *graph.Node {
		return graph.Div(graph.MulScalar(guidedGram(f, t), 1), graph.Div(graph.Scalar(f.Graph(), f.DType(), hw(f)), graph.ReduceAllSum(graph.Square(t))))
	}), MistakeFactor, "normalisation h·w/Σ_p t_p² is missing"},
	{"guided: divided only", guidedGramExercise, two(func(f, t *graph.Node) *graph.Node { return graph.DivScalar(guidedGram(f, t), hw(f)) }), MistakeFactor, "did not multiply by h·w"},
	{"guided: positions", guidedGramExercise, two(func(f, t *graph.Node) *graph.Node {
		d, h, w := f.Shape().Dim(0), f.Shape().Dim(1), f.Shape().Dim(2)
		guided := graph.Reshape(graph.Mul(f, graph.BroadcastToDims(graph.Reshape(t, 1, h, w), d, h, w)), d, h*w)
		return graph.MatMul(graph.Transpose(guided, 0, 1), guided)
	}), MistakeTransposed, "pair of positions"},
	{"guided: minus", guidedGramExercise, two(func(f, t *graph.Node) *graph.Node { return graph.Neg(guidedGram(f, t)) }), MistakeSign, "wrong sign"},

	// Anything else.
	{"panics", contentExercise, two(func(t, c *graph.Node) *graph.Node { return graph.Reshape(t, 7) }), MistakePanic, "building your graph failed"},
	{"other values", contentExercise, two(func(t, c *graph.Node) *graph.Node {
		return graph.ReduceAllMean(graph.Abs(graph.Sub(t, c)))
	}), MistakeValues, "not estil's times a constant"},
}

// TestPlantedMistakes: each wrong solution fails its check with the hint for its mistake, in
// both languages, and the hint is printed.
func TestPlantedMistakes(t *testing.T) {
	inLanguages(t, func(t *testing.T, lang string) {
		for _, p := range plantedMistakes {
			var out bytes.Buffer
			err := p.ex().check(&out, p.fn)
			var c *CheckError
			if !errors.As(err, &c) {
				t.Errorf("%s: the check returned %v, want a %s hint", p.name, err, p.mistake)
				continue
			}
			if c.Mistake != p.mistake {
				t.Errorf("%s: recognised %s, want %s: %s", p.name, c.Mistake, p.mistake, c.Hint)
			}
			if lang == explain.English && !strings.Contains(c.Hint, p.says) {
				t.Errorf("%s: the hint does not say %q: %s", p.name, p.says, c.Hint)
			}
			if !strings.HasPrefix(out.String(), "✘ ") || !strings.Contains(out.String(), c.Hint) {
				t.Errorf("%s: printed %q, not the hint", p.name, out.String())
			}
			t.Logf("%s: %s", p.name, out.String())
		}
	})
}

// TestHintsAreTranslated: no Catalan hint is the English one.
func TestHintsAreTranslated(t *testing.T) {
	t.Cleanup(func() { _ = explain.SetLanguage(explain.English) })
	for _, p := range plantedMistakes {
		var hints [2]string
		for i, lang := range []string{explain.English, explain.Catalan} {
			if err := explain.SetLanguage(lang); err != nil {
				t.Fatal(err)
			}
			if c, ok := asCheckError(p.ex().check(&bytes.Buffer{}, p.fn)); ok {
				hints[i] = c.Hint
			}
		}
		if hints[0] == hints[1] {
			t.Errorf("%s: the same hint in English and Catalan: %s", p.name, hints[0])
		}
	}
}

func asCheckError(err error) (*CheckError, bool) {
	var c *CheckError
	ok := errors.As(err, &c)
	return c, ok
}

// TestOtherRightAnswersPass: a right answer written another way passes (estil's mmd-linear from
// the means; the Gram matrix as an Einsum).
func TestOtherRightAnswersPass(t *testing.T) {
	for name, c := range map[string]struct {
		ex *exercise
		fn func([]*graph.Node) *graph.Node
	}{
		"mmd from the means": {mmdExercise(), two(func(t, s *graph.Node) *graph.Node {
			mf, ms := graph.ReduceMean(flat(t), 1), graph.ReduceMean(flat(s), 1)
			return graph.MulScalar(graph.ReduceAllSum(graph.Square(graph.Sub(mf, ms))), hw(t)/float64(t.Shape().Dim(0)))
		})},
		"gram as einsum": {must(gramExercise(nst.GramNormNone)), one(func(f *graph.Node) *graph.Node {
			return graph.Einsum("ip,jp->ij", flat(f), flat(f))
		})},
	} {
		var out bytes.Buffer
		if err := c.ex.check(&out, c.fn); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if !strings.HasPrefix(out.String(), "✔ ") {
			t.Errorf("%s: printed %q", name, out.String())
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestFactorsHaveOneReading: on the feature exercises' shapes, no two factors c·d^a·(h·w)^b that
// the ratio hints try are equal on every probe, so a ratio names one mistake.
func TestFactorsHaveOneReading(t *testing.T) {
	probes := featureProbes(func(d, h, w int, _ uint64) []*tensors.Tensor { return nil })
	checkOneReading(t, probes, []string{"d", "h·w"})
}

// TestGuidedFactorsHaveOneReading: the same for the guided Gram matrix's probes, whose third size
// is the region's Σ_p t_p².
func TestGuidedFactorsHaveOneReading(t *testing.T) {
	checkOneReading(t, guidedGramExercise().probes, []string{"d", "h·w", "Σ_p t_p²"})
}

// checkOneReading fails t if two of the factors c·Π symbols^e that the ratio hints try are equal
// on every probe.
func checkOneReading(t *testing.T, probes []probe, symbols []string) {
	t.Helper()
	type factor struct {
		c float64
		e []int
	}
	var all []factor
	for _, e := range append([][]int{make([]int, len(symbols))}, exponents(len(symbols))...) {
		for _, c := range []float64{1, 0.5, 2, 0.25, 4} {
			all = append(all, factor{c, e})
		}
	}
	for i, a := range all {
		for _, b := range all[i+1:] {
			same := true
			for _, p := range probes {
				x, y := a.c*power(p.sizes, a.e), b.c*power(p.sizes, b.e)
				same = same && math.Abs(x-y) <= 10*checkTolerance*math.Max(x, y)
			}
			if same {
				t.Errorf("%s and %s are equal on every probe", factorText(symbols, a.c, a.e), factorText(symbols, b.c, b.e))
			}
		}
	}
}

// TestGuidedGramWithOnesIsGram: with t all ones the guided Gram matrix is the plain one, and the
// student's solution passes with estil's as written another way (an Einsum over the positions
// with t² as weights).
func TestGuidedGramWithOnesIsGram(t *testing.T) {
	var out bytes.Buffer
	ex := guidedGramExercise()
	err := ex.check(&out, two(func(f, g *graph.Node) *graph.Node {
		d, h, w := f.Shape().Dim(0), f.Shape().Dim(1), f.Shape().Dim(2)
		t2 := graph.Reshape(graph.Square(g), h*w)
		sum := graph.Einsum("ip,jp->ij", graph.Mul(flat(f), graph.BroadcastToDims(graph.Reshape(t2, 1, h*w), d, h*w)), flat(f))
		return graph.Mul(sum, graph.Div(graph.Scalar(f.Graph(), f.DType(), hw(f)), graph.ReduceAllSum(t2)))
	}))
	if err != nil || !strings.HasPrefix(out.String(), "✔ ") {
		t.Errorf("Σ_p t_p²·f_p·f_pᵀ written as an Einsum: %v, printed %q", err, out.String())
	}
	ones := func(in []*graph.Node) *graph.Node { return ex.reference([]*graph.Node{in[0], graph.OnesLike(in[1])}) }
	for _, p := range ex.probes {
		a, b := run(ones, p.inputs), run(one(gramMatrix), p.inputs[:1])
		if !near(a.values, b.values) {
			t.Errorf("on %s, nst.GuidedGram with t = 1 is not GramMatrix", ex.describe(p))
		}
	}
}

func TestFactorText(t *testing.T) {
	s := []string{"d", "h·w"}
	for _, c := range []struct {
		c    float64
		e    []int
		want string
	}{
		{1, []int{1, 1}, "d·h·w"}, {1, []int{0, -1}, "1/(h·w)"}, {1, []int{2, 0}, "d²"},
		{1, []int{1, -2}, "d/(h·w)²"}, {0.5, []int{1, 1}, "½·d·h·w"}, {2, []int{0, 0}, "2"},
		{1, []int{-1, -1}, "1/(d·h·w)"},
	} {
		if got := factorText(s, c.c, c.e); got != c.want {
			t.Errorf("factorText(%v, %v) = %q, want %q", c.c, c.e, got, c.want)
		}
	}
}

// TestCheckGramRefusesUnknownNorms: a norm nst does not know is an error, not a check against
// the unnormalised G.
func TestCheckGramRefusesUnknownNorms(t *testing.T) {
	if err := CheckGram("hwc", gramMatrix); err == nil || !strings.Contains(err.Error(), "hwc") {
		t.Errorf("CheckGram(\"hwc\") = %v", err)
	}
}

// TestCheckSaysPass: the pass line, in the notebook's language.
func TestCheckSaysPass(t *testing.T) {
	inLanguages(t, func(t *testing.T, lang string) {
		var out bytes.Buffer
		if err := mmdExercise().check(&out, two(mmdLinear)); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"en": "✔ mmd-linear: right on 3 random inputs (target [3, 4, 5], [6, 2, 7], [5, 3, 3]). Your sum",
			"ca": "✔ mmd-linear: correcte amb 3 entrades aleatòries (target [3, 4, 5], [6, 2, 7], [5, 3, 3]). La vostra suma"}[lang]
		if !strings.HasPrefix(out.String(), want) {
			t.Errorf("printed %q, want it to start with %q", out.String(), want)
		}
	})
}
