// Colour matching: the style picture, recoloured with the content's colours.
//
// Gatys et al., "Controlling Perceptual Factors in Neural Style Transfer"
// (CVPR 2017), section 5, keep the content's colours in two ways. One is
// luminance-only transfer (luminance.go, [ColorControlLuminance]). The
// other, done here, changes
// the style picture before the transfer: its colours are moved by an affine
// map so that their mean and covariance become those of the content picture,
// and the network then copies the brush strokes of a picture already painted
// in the content's palette.
//
// Take each pixel as a point x = (r, g, b) in [0, 1]³. For the style picture
// (s) and the content picture (t, the target of the colours), with N pixels
// each:
//
//	μ = (1/N) Σ x                        the mean colour
//	Σ = (1/N) Σ (x − μ)(x − μ)ᵀ + ε·I    the 3×3 covariance, ε = 1e-5
//
// Every style pixel is mapped by
//
//	x ↦ A·(x − μ_s) + μ_t,   with A·Σ_s·Aᵀ = Σ_t,
//
// so that the new colours have mean μ_t and covariance A·Σ_s·Aᵀ = Σ_t. The
// small ε·I keeps Σ_s invertible for a picture of one flat colour (its A is
// then large, but it multiplies x − μ_s = 0) and is what leongatys's
// NeuralImageSynthesis uses (match_color, the notebook ColourControl.ipynb).
// Values that the map sends outside [0, 1] are clipped to it.
//
// Many matrices A satisfy A·Σ_s·Aᵀ = Σ_t (any A·R, R a rotation of the
// whitened colours, does too); the three methods pick three of them:
//
//	chol  A = L_t · L_s⁻¹              Σ = L·Lᵀ, L lower triangular (Cholesky)
//	pca   A = Σ_t^½ · Σ_s^-½            the "3D colour matching" of Image Analogies
//	sym   A = Σ_s^-½ · (Σ_s^½ · Σ_t · Σ_s^½)^½ · Σ_s^-½
//
// where M^½ of a symmetric positive-definite M = Q·Λ·Qᵀ (eigenvectors Q,
// eigenvalues Λ) is its principal square root Q·√Λ·Qᵀ, the only symmetric
// positive-definite matrix whose square is M. chol's A is lower triangular:
// red is scaled alone, green mixes red and green, blue all three, so the
// result depends on the order of the channels. pca's and sym's do not. pca,
// NeuralImageSynthesis's 'pca', whitens the style colours with Σ_s^-½ and
// colours them again with Σ_t^½: no rotation in between. sym's A is itself
// symmetric positive definite: it is the Monge–Kantorovich solution (Pitié and
// Kokaram 2007), the map between the two Gaussians that moves colours the
// least on average, E‖A·(x − μ_s) − (x − μ_s)‖² smallest.
//
// The 3×3 algebra (Cholesky, inverse, symmetric eigendecomposition by Jacobi
// rotations) is done here by hand, in float64.

package images

import (
	"errors"
	"fmt"
	"image"
	"math"
	"strings"

	"github.com/estil-nst/estil/internal/enum"
)

// ColorMatch names a way of matching the style picture's colours to the
// content's (see [MatchColors]).
type ColorMatch string

// The colour-matching methods. The empty string also means none.
const (
	ColorMatchNone ColorMatch = "none" // leave the style picture as it is
	ColorMatchPCA  ColorMatch = "pca"  // A = Σ_t^½ Σ_s^-½ (Image Analogies)
	ColorMatchChol ColorMatch = "chol" // A = L_t L_s⁻¹ (Cholesky factors)
	ColorMatchSym  ColorMatch = "sym"  // A symmetric (Monge–Kantorovich)
)

// colorMatchEps is the ε·I added to both covariances.
const colorMatchEps = 1e-5

// ParseColorMatch reads a method's name: none (or empty), pca, chol or sym.
func ParseColorMatch(s string) (ColorMatch, error) {
	if s = strings.ToLower(strings.TrimSpace(s)); s == "" {
		return ColorMatchNone, nil
	}
	return enum.Parse("colour match", s, ColorMatches())
}

// MatchColors returns the style picture recoloured so that the mean and the
// covariance of its RGB values are the content picture's, by method (see the
// top of this file). The result has the style's width and height and is
// opaque; transparent pixels count as white, as in [ToHWC]. With
// ColorMatchNone (or "") style is returned as it is.
func MatchColors(style, content image.Image, method ColorMatch) (image.Image, error) {
	m, err := ParseColorMatch(string(method))
	if err != nil {
		return nil, err
	}
	if m == ColorMatchNone {
		return style, nil
	}
	s, w, h := ToHWC(style)
	c, _, _ := ToHWC(content)
	if len(s) == 0 || len(c) == 0 {
		return nil, errors.New("image colour match: a picture has no pixels")
	}
	apply(colorTransform(colorStatsOf(s), colorStatsOf(c), m), s)
	return FromHWC(s, w, h), nil
}

// matchColorsHWC is [MatchColors] on RGB values in height × width × channel
// order, in float64 and before any rounding to 8 bits: it returns new values.
func matchColorsHWC(style, content []float64, method ColorMatch) ([]float64, error) {
	m, err := ParseColorMatch(string(method))
	if err != nil {
		return nil, err
	}
	out := append([]float64(nil), style...)
	if m == ColorMatchNone {
		return out, nil
	}
	if len(style) == 0 || len(content) == 0 {
		return nil, errors.New("image colour match: a picture has no pixels")
	}
	apply(colorTransform(colorStatsOf(style), colorStatsOf(content), m), out)
	return out, nil
}

// mat3 is a 3×3 matrix, m[row][column].
type mat3 [3][3]float64

// colorStats are the mean colour and the covariance (without ε) of a picture.
type colorStats struct {
	mean [3]float64
	cov  mat3
}

// colorStatsOf returns the mean and the covariance of RGB values in
// height × width × channel order, summed in float64 in two passes (the mean,
// then the centred products), which keeps small variances exact.
func colorStatsOf[T float32 | float64](px []T) colorStats {
	var st colorStats
	n := float64(len(px) / 3)
	for i := 0; i+2 < len(px); i += 3 {
		st.mean[0] += float64(px[i])
		st.mean[1] += float64(px[i+1])
		st.mean[2] += float64(px[i+2])
	}
	for c := range st.mean {
		st.mean[c] /= n
	}
	for i := 0; i+2 < len(px); i += 3 {
		d := [3]float64{float64(px[i]) - st.mean[0], float64(px[i+1]) - st.mean[1], float64(px[i+2]) - st.mean[2]}
		for r := range 3 {
			for c := r; c < 3; c++ {
				st.cov[r][c] += d[r] * d[c]
			}
		}
	}
	for r := range 3 {
		for c := r; c < 3; c++ {
			st.cov[r][c] /= n
			st.cov[c][r] = st.cov[r][c]
		}
	}
	return st
}

// affine is the map x ↦ a·(x − from) + to.
type affine struct {
	a        mat3
	from, to [3]float64
}

// colorTransform returns the map x ↦ A·(x − μ_s) + μ_t of method, from the
// style's statistics s to the content's t (method is pca, chol or sym).
func colorTransform(s, t colorStats, method ColorMatch) affine {
	cs, ct := s.cov.plusDiagonal(colorMatchEps), t.cov.plusDiagonal(colorMatchEps)
	var a mat3
	switch method {
	case ColorMatchChol: // A = L_t · L_s⁻¹
		a = ct.cholesky().mul(cs.cholesky().inverse())
	case ColorMatchPCA: // A = Σ_t^½ · Σ_s^-½
		a = ct.symFunc(math.Sqrt, covFloor).mul(cs.symFunc(invSqrt, covFloor))
	case ColorMatchSym: // A = Σ_s^-½ · (Σ_s^½ · Σ_t · Σ_s^½)^½ · Σ_s^-½
		rs, irs := cs.symFunc(math.Sqrt, covFloor), cs.symFunc(invSqrt, covFloor)
		// The eigenvalues of the middle matrix can be far below ε (about λ_s·λ_t, e.g. ε·λ_s
		// for a flat content): only those below 0 by rounding are raised, to 0.
		mid := rs.mul(ct).mul(rs).symmetrized().symFunc(math.Sqrt, 0)
		a = irs.mul(mid).mul(irs)
	default:
		panic(fmt.Sprintf("images.colorTransform: method %q", method))
	}
	return affine{a: a, from: s.mean, to: t.mean}
}

// apply maps RGB values in height × width × channel order in place,
// clipping to [0, 1].
func apply[T float32 | float64](f affine, px []T) {
	for i := 0; i+2 < len(px); i += 3 {
		d := [3]float64{float64(px[i]) - f.from[0], float64(px[i+1]) - f.from[1], float64(px[i+2]) - f.from[2]}
		for r := range 3 {
			v := f.a[r][0]*d[0] + f.a[r][1]*d[1] + f.a[r][2]*d[2] + f.to[r]
			px[i+r] = T(min(1, max(0, v)))
		}
	}
}

// invSqrt is 1/√x.
func invSqrt(x float64) float64 { return 1 / math.Sqrt(x) }

func (m mat3) mul(n mat3) mat3 {
	var p mat3
	for r := range 3 {
		for c := range 3 {
			p[r][c] = m[r][0]*n[0][c] + m[r][1]*n[1][c] + m[r][2]*n[2][c]
		}
	}
	return p
}

func (m mat3) transpose() mat3 {
	var t mat3
	for r := range 3 {
		for c := range 3 {
			t[r][c] = m[c][r]
		}
	}
	return t
}

func (m mat3) plusDiagonal(e float64) mat3 {
	for i := range 3 {
		m[i][i] += e
	}
	return m
}

// symmetrized is (M + Mᵀ)/2: a product that is symmetric in exact arithmetic,
// made so in floating point before its eigendecomposition.
func (m mat3) symmetrized() mat3 {
	for r := range 3 {
		for c := r + 1; c < 3; c++ {
			v := (m[r][c] + m[c][r]) / 2
			m[r][c], m[c][r] = v, v
		}
	}
	return m
}

// cholesky returns the lower-triangular L with L·Lᵀ = m, m symmetric positive
// definite. A pivot that rounding made ≤ 0 is taken as tiny, not as NaN.
func (m mat3) cholesky() mat3 {
	var l mat3
	for j := range 3 {
		d := m[j][j]
		for k := range j {
			d -= l[j][k] * l[j][k]
		}
		l[j][j] = math.Sqrt(max(d, colorMatchEps*1e-6))
		for i := j + 1; i < 3; i++ {
			v := m[i][j]
			for k := range j {
				v -= l[i][k] * l[j][k]
			}
			l[i][j] = v / l[j][j]
		}
	}
	return l
}

// inverse returns m⁻¹ by cofactors (m⁻¹ = adj(m)/det(m)); m must be invertible.
func (m mat3) inverse() mat3 {
	var adj mat3
	for r := range 3 {
		for c := range 3 {
			r1, r2 := (r+1)%3, (r+2)%3
			c1, c2 := (c+1)%3, (c+2)%3
			adj[c][r] = m[r1][c1]*m[r2][c2] - m[r1][c2]*m[r2][c1] // cofactor of (r, c), transposed
		}
	}
	det := m[0][0]*adj[0][0] + m[0][1]*adj[1][0] + m[0][2]*adj[2][0]
	for r := range 3 {
		for c := range 3 {
			adj[r][c] /= det
		}
	}
	return adj
}

// covFloor is the least eigenvalue [mat3.symFunc] lets through for a covariance
// plus ε·I: its eigenvalues are ≥ ε, and any that rounding made smaller than ε/2
// is taken as ε/2, so that 1/√λ stays finite.
const covFloor = colorMatchEps / 2

// symFunc returns f(m) = Q·f(Λ)·Qᵀ for m symmetric, m = Q·Λ·Qᵀ, with eigenvalues
// below floor taken as floor.
func (m mat3) symFunc(f func(float64) float64, floor float64) mat3 {
	lambda, q := m.eigenSym()
	var fl [3]float64
	for k := range 3 {
		fl[k] = f(max(lambda[k], floor))
	}
	var out mat3
	for r := range 3 {
		for c := range 3 {
			out[r][c] = q[r][0]*fl[0]*q[c][0] + q[r][1]*fl[1]*q[c][1] + q[r][2]*fl[2]*q[c][2]
		}
	}
	return out
}

// eigenSym returns the eigenvalues λ and the eigenvectors (the columns of Q)
// of the symmetric m, m = Q·diag(λ)·Qᵀ, by cyclic Jacobi rotations: each
// rotation in the plane (p, q), m ← Jᵀ·m·J, zeroes m[p][q]; sweeps over the
// three planes until what is off the diagonal is negligible (for 3×3, a few
// sweeps).
func (m mat3) eigenSym() (lambda [3]float64, q mat3) {
	q = mat3{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}
	scale := 0.0
	for r := range 3 {
		for c := range 3 {
			scale += m[r][c] * m[r][c]
		}
	}
	for sweep := 0; sweep < 50; sweep++ {
		off := m[0][1]*m[0][1] + m[0][2]*m[0][2] + m[1][2]*m[1][2]
		if off <= 1e-32*scale {
			break
		}
		for _, pq := range [3][2]int{{0, 1}, {0, 2}, {1, 2}} {
			p, r := pq[0], pq[1]
			if m[p][r] == 0 {
				continue
			}
			// tan of the angle: the smaller root of t² + 2θt − 1 = 0.
			theta := (m[r][r] - m[p][p]) / (2 * m[p][r])
			var t float64
			if math.Abs(theta) > 1e150 {
				t = 1 / (2 * theta)
			} else {
				t = math.Copysign(1, theta) / (math.Abs(theta) + math.Sqrt(theta*theta+1))
			}
			c := 1 / math.Sqrt(t*t+1)
			s := t * c
			j := mat3{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}
			j[p][p], j[r][r], j[p][r], j[r][p] = c, c, s, -s
			m = j.transpose().mul(m).mul(j)
			m[p][r], m[r][p] = 0, 0
			q = q.mul(j)
		}
	}
	return [3]float64{m[0][0], m[1][1], m[2][2]}, q
}
