package bench

import (
	"math"
)

// compare checks that the two implementations computed the same function and gradient (see
// Comparison for what is checked and why the final losses are not).
func compare(size int, e, t Timing, tolerance float64) Comparison {
	c := Comparison{Size: size, Ratio: e.SecondsPerEvaluation / t.SecondsPerEvaluation}
	n := min(len(e.Losses), len(t.Losses))
	if n < 2 {
		c.FirstRelDiff, c.StepRelDiff, c.AtImageRelDiff, c.FinalRelDiff = math.Inf(1), math.Inf(1), math.Inf(1), math.Inf(1)
		return c
	}
	c.FirstRelDiff = RelDiff(e.Losses[0], t.Losses[0])
	c.AtImageRelDiff = RelDiff(e.LossAtImage, t.LossAtImage)
	c.FinalRelDiff = RelDiff(e.Losses[n-1], t.Losses[n-1])
	c.DriftsAt = DriftsAt(e, t)
	de, dt := FirstDecrease(e), FirstDecrease(t)
	c.StepRelDiff = RelDiff(de, dt)
	// The decrease is a difference of two nearly equal losses: besides the tolerance, allow twice
	// the rounding difference already seen at the start.
	noise := 2 * math.Abs(e.Losses[0]-t.Losses[0])
	stepOK := math.Abs(de-dt) <= tolerance*math.Max(math.Abs(de), math.Abs(dt))+noise
	c.StepChecked = math.Max(math.Abs(de), math.Abs(dt)) > 2*noise
	c.Agree = e.Evaluations == t.Evaluations && c.FirstRelDiff <= tolerance && c.AtImageRelDiff <= tolerance && stepOK
	return c
}

// DriftsAt is the first evaluation (from 1) at which two runs' losses are more than 1 % apart,
// or 0 if they stay within 1 % for all the evaluations both made.
func DriftsAt(a, b Timing) int {
	for i := range min(len(a.Losses), len(b.Losses)) {
		if RelDiff(a.Losses[i], b.Losses[i]) > 0.01 {
			return i + 1
		}
	}
	return 0
}

// FirstDecrease is how much the loss fell over L-BFGS's first step.
func FirstDecrease(r Timing) float64 {
	if len(r.Losses) < 2 {
		return math.NaN()
	}
	return r.Losses[0] - r.Losses[1]
}

func RelDiff(a, b float64) float64 {
	if a == b {
		return 0
	}
	d := math.Abs(a-b) / math.Max(math.Abs(a), math.Abs(b))
	if math.IsNaN(d) {
		return math.Inf(1)
	}
	return d
}
