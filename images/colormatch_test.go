package images

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// The two pictures of the tests: colours drawn from Gaussians of known mean and covariance
// L·Lᵀ, narrow enough that neither they nor the matched colours leave [0, 1] (checked).
var (
	styleMean   = [3]float64{0.40, 0.50, 0.55}
	styleL      = mat3{{0.07, 0, 0}, {0.03, 0.05, 0}, {-0.02, 0.04, 0.06}}
	contentMean = [3]float64{0.62, 0.45, 0.35}
	contentL    = mat3{{0.05, 0, 0}, {-0.02, 0.06, 0}, {0.03, 0.01, 0.04}}
)

// gaussianPixels returns w×h pixels (height × width × channel) of colours mean + L·z, z drawn
// from the standard normal distribution.
func gaussianPixels(t *testing.T, w, h int, mean [3]float64, l mat3, seed uint64) []float64 {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	px := make([]float64, w*h*3)
	for i := 0; i < len(px); i += 3 {
		z := [3]float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}
		for r := range 3 {
			v := mean[r] + l[r][0]*z[0] + l[r][1]*z[1] + l[r][2]*z[2]
			if v <= 0 || v >= 1 {
				t.Fatalf("a test colour left [0, 1]: %v", v)
			}
			px[i+r] = v
		}
	}
	return px
}

// statsErrors returns max |mean − target mean| and max |cov − target cov| over the channels.
func statsErrors(got, want colorStats) (meanErr, covErr float64) {
	for r := range 3 {
		meanErr = max(meanErr, math.Abs(got.mean[r]-want.mean[r]))
		for c := range 3 {
			covErr = max(covErr, math.Abs(got.cov[r][c]-want.cov[r][c]))
		}
	}
	return meanErr, covErr
}

// TestMatchColorsHWCGivesTheContentsStatistics: in float64, before any rounding to 8 bits,
// the matched style has the content's mean and covariance, by each method, and keeps its size.
func TestMatchColorsHWCGivesTheContentsStatistics(t *testing.T) {
	style := gaussianPixels(t, 64, 48, styleMean, styleL, 1)
	content := gaussianPixels(t, 40, 30, contentMean, contentL, 2)
	want := colorStatsOf(content)
	for _, m := range []ColorMatch{ColorMatchPCA, ColorMatchChol, ColorMatchSym} {
		out, err := matchColorsHWC(style, content, m)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != len(style) {
			t.Fatalf("%s: %d values, want the style's %d", m, len(out), len(style))
		}
		for _, v := range out {
			if v <= 0 || v >= 1 {
				t.Fatalf("%s: a colour was clipped (%v): the test's statistics would not be exact", m, v)
			}
		}
		meanErr, covErr := statsErrors(colorStatsOf(out), want)
		t.Logf("%s: max |mean − target| %.2g, max |cov − target| %.2g", m, meanErr, covErr)
		if meanErr > 1e-3 || covErr > 1e-3 {
			t.Errorf("%s: mean off by %.3g, covariance by %.3g; want ≤ 1e-3", m, meanErr, covErr)
		}
		// Tighter: the mean is exact to rounding, and the covariance is Σ_t + ε·I − A·ε·Aᵀ,
		// off by ε·max(1, ‖A‖²) at most.
		if meanErr > 1e-12 || covErr > 10*colorMatchEps {
			t.Errorf("%s: mean off by %.3g (want ≤ 1e-12), covariance by %.3g (want ≤ 10ε)", m, meanErr, covErr)
		}
	}
}

// TestColorTransformSolvesACovEquals: each method's A solves A·Σ_s·Aᵀ = Σ_t (with ε·I), and
// has the shape its method gives it: chol lower triangular, sym symmetric positive definite,
// and sym moves the colours least, E‖A·d − d‖² = tr((A − I)·Σ_s·(A − I)ᵀ) smallest.
func TestColorTransformSolvesACovEquals(t *testing.T) {
	s := colorStatsOf(gaussianPixels(t, 64, 48, styleMean, styleL, 3))
	c := colorStatsOf(gaussianPixels(t, 40, 30, contentMean, contentL, 4))
	cs, ct := s.cov.plusDiagonal(colorMatchEps), c.cov.plusDiagonal(colorMatchEps)
	moved := map[ColorMatch]float64{}
	as := map[ColorMatch]mat3{}
	for _, m := range []ColorMatch{ColorMatchPCA, ColorMatchChol, ColorMatchSym} {
		f := colorTransform(s, c, m)
		if f.from != s.mean || f.to != c.mean {
			t.Errorf("%s: maps from %v to %v, want from the style's mean %v to the content's %v", m, f.from, f.to, s.mean, c.mean)
		}
		a := f.a
		as[m] = a
		if d := maxAbsDiff(a.mul(cs).mul(a.transpose()), ct); d > 1e-14 {
			t.Errorf("%s: A·Σ_s·Aᵀ − Σ_t is %.3g, want 0", m, d)
		}
		ai := a.plusDiagonal(-1)
		e := ai.mul(cs).mul(ai.transpose())
		moved[m] = e[0][0] + e[1][1] + e[2][2]
	}
	if a := as[ColorMatchChol]; a[0][1] != 0 || a[0][2] != 0 || a[1][2] != 0 {
		t.Errorf("chol: A = %v is not lower triangular", a)
	}
	sym := as[ColorMatchSym]
	if d := maxAbsDiff(sym, sym.transpose()); d > 1e-12 {
		t.Errorf("sym: A = %v is not symmetric (|A − Aᵀ| = %.3g)", sym, d)
	}
	if lambda, _ := sym.symmetrized().eigenSym(); min(lambda[0], lambda[1], lambda[2]) <= 0 {
		t.Errorf("sym: A has eigenvalues %v, want all > 0", lambda)
	}
	for _, m := range []ColorMatch{ColorMatchPCA, ColorMatchChol} {
		if d := maxAbsDiff(as[m], as[m].transpose()); d < 1e-3 {
			t.Errorf("%s: A = %v is symmetric too: the test's covariances do not tell the methods apart", m, as[m])
		}
		if !(moved[ColorMatchSym] < moved[m]) {
			t.Errorf("sym moves the colours by %.4g on average, %s by %.4g: want sym's the least", moved[ColorMatchSym], m, moved[m])
		}
	}
	t.Logf("E‖A·d − d‖²: pca %.7g, chol %.7g, sym %.7g", moved[ColorMatchPCA], moved[ColorMatchChol], moved[ColorMatchSym])
}

func maxAbsDiff(a, b mat3) float64 {
	d := 0.0
	for r := range 3 {
		for c := range 3 {
			d = max(d, math.Abs(a[r][c]-b[r][c]))
		}
	}
	return d
}

// TestEigenSym: the Jacobi eigendecomposition rebuilds the matrix from orthonormal
// eigenvectors, also for repeated eigenvalues and a diagonal matrix.
func TestEigenSym(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	cases := []mat3{
		{{2, 0, 0}, {0, 2, 0}, {0, 0, 2}},
		{{1, 0, 0}, {0, 3, 0}, {0, 0, 2}},
		{{2, 1, 1}, {1, 2, 1}, {1, 1, 2}}, // eigenvalues 4, 1, 1
	}
	for range 20 {
		var m mat3
		for r := range 3 {
			for c := r; c < 3; c++ {
				m[r][c] = rng.NormFloat64()
				m[c][r] = m[r][c]
			}
		}
		cases = append(cases, m)
	}
	for _, m := range cases {
		lambda, q := m.eigenSym()
		var rebuilt mat3
		for r := range 3 {
			for c := range 3 {
				for k := range 3 {
					rebuilt[r][c] += q[r][k] * lambda[k] * q[c][k]
				}
			}
		}
		id := mat3{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}
		if d := maxAbsDiff(rebuilt, m); d > 1e-13 {
			t.Errorf("%v: Q·Λ·Qᵀ is off by %.3g", m, d)
		}
		if d := maxAbsDiff(q.transpose().mul(q), id); d > 1e-13 {
			t.Errorf("%v: QᵀQ is off the identity by %.3g", m, d)
		}
	}
}

// TestMatchColorsFlatPictures: a picture of one flat colour has a zero covariance; with ε·I
// nothing becomes NaN. A flat style becomes the content's mean colour; matched to a flat
// content, a style becomes (nearly, within a few √ε) that colour.
func TestMatchColorsFlatPictures(t *testing.T) {
	varied := gaussianPixels(t, 16, 12, styleMean, styleL, 7)
	flat := func(c [3]float64, n int) []float64 {
		px := make([]float64, 3*n)
		for i := range px {
			px[i] = c[i%3]
		}
		return px
	}
	gray, teal := flat([3]float64{0.5, 0.5, 0.5}, 100), flat([3]float64{0.1, 0.6, 0.55}, 80)
	for _, m := range []ColorMatch{ColorMatchPCA, ColorMatchChol, ColorMatchSym} {
		for _, c := range []struct {
			name           string
			style, content []float64
			want           [3]float64
			tol            float64
		}{
			{"flat style", gray, varied, colorStatsOf(varied).mean, 1e-9},
			{"flat content", varied, teal, [3]float64{0.1, 0.6, 0.55}, 8 * math.Sqrt(colorMatchEps)},
			{"both flat", gray, teal, [3]float64{0.1, 0.6, 0.55}, 1e-9},
		} {
			out, err := matchColorsHWC(c.style, c.content, m)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range out {
				if math.IsNaN(v) || math.Abs(v-c.want[i%3]) > c.tol {
					t.Fatalf("%s, %s: value %d is %v, want %v within %.2g", m, c.name, i, v, c.want[i%3], c.tol)
				}
			}
		}
	}
}

// TestMatchColorsEndToEnd: on 8-bit pictures the statistics match up to the rounding of the
// result to 8 bits. Rounding moves each value by e, |e| ≤ 0.5/255, so the mean by as much, and
// a covariance cov(x + e, y + f) by at most σ_x·σ_f + σ_e·σ_y + σ_e·σ_f (Cauchy–Schwarz),
// σ_e ≤ 0.5/255.
func TestMatchColorsEndToEnd(t *testing.T) {
	toImage := func(px []float64, w, h int) *image.NRGBA {
		f := make([]float32, len(px))
		for i, v := range px {
			f[i] = float32(v)
		}
		return FromHWC(f, w, h)
	}
	style := toImage(gaussianPixels(t, 64, 48, styleMean, styleL, 8), 64, 48)
	content := toImage(gaussianPixels(t, 40, 30, contentMean, contentL, 9), 40, 30)
	c32, _, _ := ToHWC(content)
	want := colorStatsOf(c32)
	const se = 0.5 / 255
	sigma := 0.0
	for r := range 3 {
		sigma = max(sigma, math.Sqrt(want.cov[r][r]))
	}
	covTol := 2*sigma*se + se*se + 10*colorMatchEps
	for _, m := range []ColorMatch{ColorMatchPCA, ColorMatchChol, ColorMatchSym} {
		out, err := MatchColors(style, content, m)
		if err != nil {
			t.Fatal(err)
		}
		if out.Bounds() != style.Bounds() {
			t.Fatalf("%s: result is %v, want the style's %v", m, out.Bounds(), style.Bounds())
		}
		o32, _, _ := ToHWC(out)
		meanErr, covErr := statsErrors(colorStatsOf(o32), want)
		t.Logf("%s, 8 bits: max |mean − target| %.2g (tolerance %.2g), max |cov − target| %.2g (tolerance %.2g)", m, meanErr, se, covErr, covTol)
		if meanErr > se || covErr > covTol {
			t.Errorf("%s: mean off by %.3g (want ≤ %.3g), covariance by %.3g (want ≤ %.3g)", m, meanErr, se, covErr, covTol)
		}
	}
	same, err := MatchColors(style, content, ColorMatchNone)
	if err != nil || same != image.Image(style) {
		t.Errorf("none: got %T, %v; want the style picture itself", same, err)
	}
	// A flat 8-bit style takes the content's mean colour.
	flat, err := MatchColors(fill(5, 4, color.NRGBA{200, 30, 90, 255}), content, ColorMatchSym)
	if err != nil {
		t.Fatal(err)
	}
	wantC := color.NRGBA{toByte(float32(want.mean[0])), toByte(float32(want.mean[1])), toByte(float32(want.mean[2])), 255}
	if got := flat.(*image.NRGBA).NRGBAAt(2, 1); got != wantC {
		t.Errorf("flat style: got %v, want the content's mean %v", got, wantC)
	}
}

func TestParseColorMatch(t *testing.T) {
	for in, want := range map[string]ColorMatch{"": ColorMatchNone, "none": ColorMatchNone, "pca": ColorMatchPCA,
		"chol": ColorMatchChol, "sym": ColorMatchSym, " SYM ": ColorMatchSym} {
		if got, err := ParseColorMatch(in); err != nil || got != want {
			t.Errorf("ParseColorMatch(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"mkl", "cholesky", "lab"} {
		_, err := ParseColorMatch(bad)
		if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "none, pca, chol or sym") {
			t.Errorf("ParseColorMatch(%q): error %v, want one naming it and the methods", bad, err)
		}
		if _, err := MatchColors(fill(2, 2, color.NRGBA{1, 2, 3, 255}), fill(2, 2, color.NRGBA{1, 2, 3, 255}), ColorMatch(bad)); err == nil {
			t.Errorf("MatchColors(%q): no error", bad)
		}
		if _, err := matchColorsHWC([]float64{0.1, 0.2, 0.3}, []float64{0.1, 0.2, 0.3}, ColorMatch(bad)); err == nil {
			t.Errorf("matchColorsHWC(%q): no error", bad)
		}
	}
	if _, err := MatchColors(image.NewNRGBA(image.Rect(0, 0, 0, 0)), fill(2, 2, color.NRGBA{1, 2, 3, 255}), ColorMatchPCA); err == nil {
		t.Error("an empty style: no error")
	}
}
