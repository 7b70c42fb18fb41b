package optim

import (
	"math"

	"github.com/gomlx/gomlx/core/tensors"
)

// Strong-Wolfe line search constants, as in torch's _strong_wolfe defaults.
const (
	wolfeC1    = 1e-4 // sufficient decrease: f(x+td) ≤ f(x) + c₁·t·gᵀd
	wolfeC2    = 0.9  // curvature: |g(x+td)ᵀd| ≤ −c₂·gᵀd
	wolfeMaxLS = 25   // maximum number of line-search iterations
)

// lsPoint is one evaluated point on the line x + t·d: the host scalars and the gradient on the device.
type lsPoint struct {
	t   float64
	f   float64
	gtd float64
	p   point // p.g on device, p.gInf
}

// cubicInterpolate is torch's _cubic_interpolate: the minimiser of the cubic through (x1, f1) and
// (x2, f2) with slopes g1 and g2, clamped to the bounds (by default [min(x1,x2), max(x1,x2)]); the
// middle of the bounds if the cubic has no minimiser.
//
//	d1 = g1 + g2 - 3*(f1-f2)/(x1-x2)
//	d2 = sqrt(d1^2 - g1*g2)
//	min_pos = x2 - (x2 - x1)*((g2 + d2 - d1)/(g2 - g1 + 2*d2))
//	t_new = min(max(min_pos,xmin_bound),xmax_bound)
func cubicInterpolate(x1, f1, g1, x2, f2, g2 float64, bounds *[2]float64) float64 {
	var xminBound, xmaxBound float64
	switch {
	case bounds != nil:
		xminBound, xmaxBound = bounds[0], bounds[1]
	case x1 <= x2:
		xminBound, xmaxBound = x1, x2
	default:
		xminBound, xmaxBound = x2, x1
	}
	d1 := g1 + g2 - 3*(f1-f2)/(x1-x2)
	d2Square := d1*d1 - g1*g2
	if d2Square >= 0 {
		d2 := math.Sqrt(d2Square)
		var minPos float64
		if x1 <= x2 {
			minPos = x2 - (x2-x1)*((g2+d2-d1)/(g2-g1+2*d2))
		} else {
			minPos = x1 - (x1-x2)*((g1+d2-d1)/(g1-g2+2*d2))
		}
		return pyMin(pyMax(minPos, xminBound), xmaxBound)
	}
	return (xminBound + xmaxBound) / 2
}

// pyMax and pyMin follow Python's max(a, b) and min(a, b): the first argument unless the second is
// strictly greater (smaller); this matters only for NaNs.
func pyMax(a, b float64) float64 {
	if b > a {
		return b
	}
	return a
}

func pyMin(a, b float64) float64 {
	if b < a {
		return b
	}
	return a
}

// strongWolfe is torch's _strong_wolfe, with the host doing the bracketing and zoom on scalars and the
// device doing the evaluations: obj(t) evaluates the Function at x + t·d and returns f, gᵀd and the
// gradient (kept on the device). Starting point: step t, loss f, gradient g with ‖g‖∞ = gInf, and
// directional derivative gtd; dNorm = ‖d‖∞.
//
// keep(ts...) is called after each evaluation with the gradients the search still references, so that
// the caller can free the others.
//
// It returns the chosen point (t, its loss and gradient) and the number of evaluations.
func strongWolfe(obj func(t float64) (point, error), keep func(ts ...*tensors.Tensor),
	t, dNorm, f float64, g point, gtd, tolChange float64) (best lsPoint, evals int, err error) {

	pNew, err := obj(t)
	if err != nil {
		return best, 1, err
	}
	evals = 1
	cur := lsPoint{t: t, f: pNew.loss, gtd: pNew.gtd, p: pNew}

	// Bracket an interval containing a point satisfying the Wolfe criteria.
	init := lsPoint{t: 0, f: f, gtd: gtd, p: g}
	prev := init
	done := false
	lsIter := 0
	var bracket []lsPoint
	for lsIter < wolfeMaxLS {
		// Check conditions.
		if cur.f > (f+wolfeC1*cur.t*gtd) || (lsIter > 1 && cur.f >= prev.f) {
			bracket = []lsPoint{prev, cur}
			break
		}
		if math.Abs(cur.gtd) <= -wolfeC2*gtd {
			bracket = []lsPoint{cur}
			done = true
			break
		}
		if cur.gtd >= 0 {
			bracket = []lsPoint{prev, cur}
			break
		}

		// Interpolate.
		minStep := cur.t + 0.01*(cur.t-prev.t)
		maxStep := cur.t * 10
		tNext := cubicInterpolate(prev.t, prev.f, prev.gtd, cur.t, cur.f, cur.gtd, &[2]float64{minStep, maxStep})

		// Next step.
		prev = cur
		keep(init.p.g, prev.p.g)
		pNew, err = obj(tNext)
		if err != nil {
			return prev, evals, err
		}
		evals++
		cur = lsPoint{t: tNext, f: pNew.loss, gtd: pNew.gtd, p: pNew}
		lsIter++
	}

	// Reached the maximum number of iterations?
	if lsIter == wolfeMaxLS {
		bracket = []lsPoint{init, cur}
	}

	// Zoom phase: we now have a point satisfying the criteria, or a bracket around it. Refine the bracket
	// until we find the exact point satisfying the criteria.
	insufProgress := false
	// Find high and low points in the bracket.
	lowPos, highPos := 0, 1
	if !(bracket[0].f <= bracket[len(bracket)-1].f) {
		lowPos, highPos = 1, 0
	}
	for !done && lsIter < wolfeMaxLS {
		keep(bracket[0].p.g, bracket[1].p.g)

		// Line-search bracket is so small.
		if math.Abs(bracket[1].t-bracket[0].t)*dNorm < tolChange {
			break
		}

		// Compute new trial value.
		tNew := cubicInterpolate(bracket[0].t, bracket[0].f, bracket[0].gtd, bracket[1].t, bracket[1].f, bracket[1].gtd, nil)

		// Test that we are making sufficient progress: in case t is so close to the boundary, we mark
		// that we are making insufficient progress, and if
		//   - we have made insufficient progress in the last step, or
		//   - t is at one of the boundaries,
		// we move t to a position which is 0.1·len(bracket) away from the nearest boundary point.
		bMax := pyMax(bracket[0].t, bracket[1].t)
		bMin := pyMin(bracket[0].t, bracket[1].t)
		eps := 0.1 * (bMax - bMin)
		if pyMin(bMax-tNew, tNew-bMin) < eps {
			// Interpolation close to the boundary.
			if insufProgress || tNew >= bMax || tNew <= bMin {
				// Evaluate at 0.1 away from the boundary.
				if math.Abs(tNew-bMax) < math.Abs(tNew-bMin) {
					tNew = bMax - eps
				} else {
					tNew = bMin + eps
				}
				insufProgress = false
			} else {
				insufProgress = true
			}
		} else {
			insufProgress = false
		}

		// Evaluate the new point.
		pNew, err = obj(tNew)
		if err != nil {
			return bracket[lowPos], evals, err
		}
		evals++
		cur = lsPoint{t: tNew, f: pNew.loss, gtd: pNew.gtd, p: pNew}
		lsIter++

		if cur.f > (f+wolfeC1*cur.t*gtd) || cur.f >= bracket[lowPos].f {
			// Armijo condition not satisfied or not lower than the lowest point.
			bracket[highPos] = cur
			lowPos, highPos = 0, 1
			if !(bracket[0].f <= bracket[1].f) {
				lowPos, highPos = 1, 0
			}
		} else {
			if math.Abs(cur.gtd) <= -wolfeC2*gtd {
				// Wolfe conditions satisfied.
				done = true
			} else if cur.gtd*(bracket[highPos].t-bracket[lowPos].t) >= 0 {
				// Old high becomes new low.
				bracket[highPos] = bracket[lowPos]
			}
			// New point becomes new low.
			bracket[lowPos] = cur
		}
	}

	return bracket[lowPos], evals, nil
}
