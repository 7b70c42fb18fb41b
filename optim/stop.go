package optim

// StopReason says why a Step ended (Result.Stopped): one of torch's loop conditions, a pause, or
// an error. Its value is a short code, stable for programs (comparisons, files); String
// describes it in torch's terms, for people (gonum's optimize.Status does the same).
type StopReason string

// Why a Step ended: torch's loop conditions (the Stopped field of Result).
const (
	StopOptimalAtStart        StopReason = "optimal-at-start"
	StopDirectionalDerivative StopReason = "directional-derivative"
	StopMaxIter               StopReason = "max-iter"
	StopMaxEval               StopReason = "max-eval"
	StopToleranceGrad         StopReason = "tolerance-grad"
	StopStepSize              StopReason = "step-size"
	StopLossChange            StopReason = "loss-change"
	StopNotFinite             StopReason = "not-finite"
	StopObserver              StopReason = "observer"
	StopError                 StopReason = "error"
	StopIterations            StopReason = "iterations" // Adam and gradient descent
	// StopPaused ends a Step whose pause function asked it to stop at the end of an iteration;
	// the next Step continues it (state.go).
	StopPaused StopReason = "paused"
)

// stopDescriptions says what each StopReason means, in torch's terms (the test it names is the
// one in torch.optim.LBFGS.step).
var stopDescriptions = map[StopReason]string{
	StopOptimalAtStart:        "tolerance_grad at start: max|g| <= tolerance_grad before any iteration",
	StopDirectionalDerivative: "tolerance_change: directional derivative g·d > -tolerance_change",
	StopMaxIter:               "max_iter: iterations reached max_iter",
	StopMaxEval:               "max_eval: function evaluations reached max_eval",
	StopToleranceGrad:         "tolerance_grad: max|g| <= tolerance_grad",
	StopStepSize:              "tolerance_change: max|t·d| <= tolerance_change",
	StopLossChange:            "tolerance_change: |loss - prev_loss| < tolerance_change",
	StopNotFinite:             "error: loss or gradient not finite",
	StopObserver:              "error: an observer returned an error",
	StopError:                 "error",
	StopIterations:            "iterations: all requested iterations done",
	StopPaused:                "paused: the pause function asked to stop after this iteration; the next Step continues it",
}

// String describes r in torch's terms, e.g. "max_iter: iterations reached max_iter"; an unknown
// code is returned as it is.
func (r StopReason) String() string {
	if d, ok := stopDescriptions[r]; ok {
		return d
	}
	return string(r)
}

// Converged reports whether a Step ended because one of torch's tolerances was met rather than
// because it used up its iterations or evaluations, or was paused or failed: the gradient was
// already ~0 at the start (StopOptimalAtStart) or became so, or the direction, the step or the
// loss stopped changing. Another Step from the same state would stop the same way at once.
func (r StopReason) Converged() bool {
	switch r {
	case StopOptimalAtStart, StopToleranceGrad, StopDirectionalDerivative, StopStepSize, StopLossChange:
		return true
	}
	return false
}
