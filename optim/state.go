package optim

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
)

// Saving and restoring an optimizer.
//
// A long run on a CPU can take hours, so estil writes checkpoints, and a resumed run must end
// exactly where the uninterrupted one would have. That needs the optimizer's whole state, not
// just the image: L-BFGS's (s, y) history, its last direction and step, its counters and, when
// it was paused in the middle of a Step, that Step's own progress; Adam's moments and step
// count. State is that, copied to the host; Restore puts it back. Between the two the numbers
// travel as float64 and the tensors as their own dtype, so nothing is rounded on the way.
//
// A Step can also be paused: when the optimizer's pause function (Options.Pause) says so at the
// end of an iteration, Step returns early with Stopped == StopPaused, and the next Step, given
// the iterations that Step had left, continues it as if it had never stopped (for L-BFGS, with
// the same max_iter and max_eval budget, and without re-evaluating x).

// State is an optimizer's whole state on the host: what a checkpoint keeps.
type State struct {
	// Optimizer names the optimizer the state belongs to.
	Optimizer Name
	// Numbers are counters and scalars (counters are exact in float64 up to 2⁵³).
	Numbers map[string]float64
	// Tensors are host copies of the vectors the optimizer carries between Steps.
	Tensors map[string]*tensors.Tensor
}

// hostCopy copies a device tensor to a new host tensor.
func hostCopy(t *tensors.Tensor) (*tensors.Tensor, error) {
	if t == nil {
		return nil, nil
	}
	c, err := t.LocalClone()
	if err != nil {
		return nil, fmt.Errorf("optim: copying the state to the host: %w", err)
	}
	return c, nil
}

// number reads a counter or scalar of a saved State, which must be there.
func (s *State) number(key string) (float64, error) {
	v, ok := s.Numbers[key]
	if !ok {
		return 0, fmt.Errorf("optim: the saved %s state has no %q", s.Optimizer, key)
	}
	return v, nil
}

// tensor returns a copy of a saved tensor, which must be there and have the given shape (any
// shape if shape is not Ok).
func (s *State) tensor(key string, shape shapes.Shape) (*tensors.Tensor, error) {
	t, ok := s.Tensors[key]
	if !ok || t == nil {
		return nil, fmt.Errorf("optim: the saved %s state has no tensor %q", s.Optimizer, key)
	}
	if shape.Ok() && !t.Shape().Equal(shape) {
		return nil, fmt.Errorf("optim: the saved %s state's %q is %s, want %s", s.Optimizer, key, t.Shape(), shape)
	}
	return hostCopy(t)
}

func (s *State) check(name Name) error {
	if s == nil {
		return fmt.Errorf("optim: no saved state to restore")
	}
	if s.Optimizer != name {
		return fmt.Errorf("optim: cannot restore a saved %s state into %s", s.Optimizer, name)
	}
	if err := s.Check(shapes.Shape{}); err != nil {
		return fmt.Errorf("optim: %w", err)
	}
	return nil
}

// pendingStep is the progress of a paused L-BFGS Step: the locals of torch's step() that cross
// iterations and are not already in the state.
type pendingStep struct {
	maxIter, maxEval int
	iter, evals      int     // iterations and evaluations done in the Step so far
	loss, lastLoss   float64 // the loss at the Step's start (Result.Loss); the latest loss
	gInf             float64
	g                *tensors.Tensor // the latest gradient
}

// State returns a copy of L-BFGS's state: torch's state (func_evals, n_iter, d, t, old_dirs,
// old_stps, H_diag, prev_flat_grad, prev_loss) and, after a paused Step, that Step's progress.
func (o *LBFGS) State() (*State, error) {
	st := &o.st
	s := &State{Optimizer: LBFGSName, Numbers: map[string]float64{
		"func_evals": float64(st.funcEvals), "n_iter": float64(st.nIter), "t": st.t, "h_diag": st.hDiag,
		"prev_loss": st.prevLoss, "history": float64(st.hist.len()),
	}, Tensors: map[string]*tensors.Tensor{}}
	put := func(key string, t *tensors.Tensor) error {
		if t == nil {
			return nil
		}
		c, err := hostCopy(t)
		s.Tensors[key] = c
		return err
	}
	errs := []error{put("d", st.d), put("prev_flat_grad", st.prevG)}
	for i := range st.hist.len() {
		s.Numbers[fmt.Sprintf("ys.%d", i)] = st.hist.ys[i]
		errs = append(errs, put(fmt.Sprintf("old_stps.%d", i), st.hist.s[i]), put(fmt.Sprintf("old_dirs.%d", i), st.hist.y[i]))
	}
	if p := st.pending; p != nil {
		maps.Copy(s.Numbers, map[string]float64{
			"step.max_iter": float64(p.maxIter), "step.max_eval": float64(p.maxEval),
			"step.iter": float64(p.iter), "step.evals": float64(p.evals),
			"step.loss": p.loss, "step.last_loss": p.lastLoss, "step.g_inf": p.gInf,
		})
		errs = append(errs, put("step.flat_grad", p.g))
	}
	if err := cmp.Or(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// Restore replaces L-BFGS's state with a saved one (from State), so that the next Step continues
// as the saved optimizer's would have. The settings (lr, line search, history size, tolerances)
// are not part of the state: the caller configures them as they were.
func (o *LBFGS) Restore(s *State) error {
	if err := s.check(LBFGSName); err != nil {
		return err
	}
	o.Reset()
	restored, err := o.restore(s)
	if err != nil {
		o.Reset()
		return err
	}
	o.st = restored
	return nil
}

func (o *LBFGS) restore(s *State) (st state, err error) {
	num := func(key string) float64 {
		v, e := s.number(key)
		err = cmp.Or(err, e)
		return v
	}
	tensor := func(key string) *tensors.Tensor {
		if _, ok := s.Tensors[key]; !ok && err == nil {
			err = fmt.Errorf("optim: the saved L-BFGS state has no tensor %q", key)
		}
		t, e := s.tensor(key, st.shape)
		err = cmp.Or(err, e)
		if t != nil {
			o.owned.add(t)
			st.shape = t.Shape()
		}
		return t
	}
	st.funcEvals, st.nIter = int(num("func_evals")), int(num("n_iter"))
	st.t, st.hDiag, st.prevLoss = num("t"), num("h_diag"), num("prev_loss")
	n := int(num("history"))
	if err != nil {
		return state{}, err
	}
	if n < 0 || n > o.historySize {
		return state{}, fmt.Errorf("optim: the saved L-BFGS state has %d (s, y) pairs; this optimizer keeps at most %d", n, o.historySize)
	}
	if st.nIter > 0 {
		st.d, st.prevG = tensor("d"), tensor("prev_flat_grad")
		for i := range n {
			st.hist.s = append(st.hist.s, tensor(fmt.Sprintf("old_stps.%d", i)))
			st.hist.y = append(st.hist.y, tensor(fmt.Sprintf("old_dirs.%d", i)))
			st.hist.ys = append(st.hist.ys, num(fmt.Sprintf("ys.%d", i)))
		}
	}
	if _, ok := s.Numbers["step.max_iter"]; ok {
		p := &pendingStep{maxIter: int(num("step.max_iter")), maxEval: int(num("step.max_eval")),
			iter: int(num("step.iter")), evals: int(num("step.evals")), loss: num("step.loss"),
			lastLoss: num("step.last_loss"), gInf: num("step.g_inf")}
		p.g = tensor("step.flat_grad")
		if err == nil && (p.iter < 1 || p.iter >= p.maxIter || p.maxEval < 1) {
			err = fmt.Errorf("optim: the saved L-BFGS Step is at iteration %d of %d", p.iter, p.maxIter)
		}
		st.pending = p
	}
	return st, err
}

// State returns a copy of Adam's state: torch's step and the moments exp_avg, exp_avg_sq.
func (a *Adam) State() (*State, error) {
	s := &State{Optimizer: AdamName, Numbers: map[string]float64{"step": float64(a.step), "evaluations": float64(a.evals)},
		Tensors: map[string]*tensors.Tensor{}}
	if a.m != nil {
		var err1, err2 error
		s.Tensors["exp_avg"], err1 = hostCopy(a.m)
		s.Tensors["exp_avg_sq"], err2 = hostCopy(a.v)
		if err := cmp.Or(err1, err2); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Restore replaces Adam's state with a saved one (from State).
func (a *Adam) Restore(s *State) error {
	if err := s.check(AdamName); err != nil {
		return err
	}
	a.Reset()
	step, err1 := s.number("step")
	evals, err2 := s.number("evaluations")
	if err := cmp.Or(err1, err2); err != nil {
		return err
	}
	if _, ok := s.Tensors["exp_avg"]; ok {
		m, err1 := s.tensor("exp_avg", shapes.Shape{})
		var v *tensors.Tensor
		var err2 error
		if m != nil {
			v, err2 = s.tensor("exp_avg_sq", m.Shape())
		}
		if err := cmp.Or(err1, err2); err != nil {
			return err
		}
		a.m, a.v, a.shape = m, v, m.Shape()
		a.owned.add(m, v)
	}
	a.step, a.evals = int(step), int(evals)
	return nil
}

// State returns gradient descent's state: only its evaluation count.
func (g *GradientDescent) State() (*State, error) {
	return &State{Optimizer: GradientDescentName, Numbers: map[string]float64{"evaluations": float64(g.evals)}}, nil
}

// Restore replaces gradient descent's state with a saved one (from State).
func (g *GradientDescent) Restore(s *State) error {
	if err := s.check(GradientDescentName); err != nil {
		return err
	}
	evals, err := s.number("evaluations")
	if err != nil {
		return err
	}
	g.evals = int(evals)
	return nil
}

// Keys lists the state's tensor names in order, for writers that want a stable layout.
func (s *State) Keys() []string {
	return slices.Sorted(maps.Keys(s.Tensors))
}

// maxCount bounds the counters of a saved State (iterations, evaluations, history length): far
// above any real run, and small enough that int conversions stay exact.
const maxCount = 1 << 40

// Check validates a saved State on its own, before any optimizer or device is set up: the numbers
// and tensors its optimizer needs are all there and nothing else is; counters are whole numbers
// in [0, 2⁴⁰]; every number and every tensor value is finite; every tensor is float32 or float64
// with the given shape (any shape if shape is not Ok). A checkpoint loader calls it so that a
// damaged file is refused when it is read, not after the model has been built.
func (s *State) Check(shape shapes.Shape) error {
	if s == nil {
		return errors.New("no optimizer state")
	}
	c := stateChecker{s: s, numbers: map[string]bool{}, tensors: map[string]bool{}}
	switch s.Optimizer {
	case LBFGSName:
		c.checkLBFGS()
	case AdamName:
		c.count("step")
		c.count("evaluations")
		if _, ok := s.Tensors["exp_avg"]; ok || s.Tensors["exp_avg_sq"] != nil {
			c.tensor("exp_avg", shape)
			c.tensor("exp_avg_sq", shape)
		}
	case GradientDescentName:
		c.count("evaluations")
	default:
		return fmt.Errorf("unknown optimizer %q", s.Optimizer)
	}
	if c.err != nil {
		return c.err
	}
	for _, key := range slices.Sorted(maps.Keys(s.Numbers)) {
		if !c.numbers[key] {
			return fmt.Errorf("the %s state has an unexpected number %q", s.Optimizer, key)
		}
	}
	for _, key := range s.Keys() {
		if !c.tensors[key] {
			return fmt.Errorf("the %s state has an unexpected tensor %q", s.Optimizer, key)
		}
	}
	return nil
}

// stateChecker collects the first problem of a State, and which entries were expected.
type stateChecker struct {
	s                 *State
	numbers, tensors  map[string]bool
	err               error
	shapeOfFirst      shapes.Shape
	shapeOfFirstFound bool
}

func (c *stateChecker) fail(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("the %s state's "+format, append([]any{c.s.Optimizer}, args...)...)
	}
}

// number returns a saved number, which must be there and finite.
func (c *stateChecker) number(key string) float64 {
	c.numbers[key] = true
	v, ok := c.s.Numbers[key]
	switch {
	case !ok:
		c.fail("%q is missing", key)
	case math.IsNaN(v) || math.IsInf(v, 0):
		c.fail("%q is not a finite number", key)
	}
	return v
}

// count returns a saved counter: a whole number in [0, maxCount].
func (c *stateChecker) count(key string) int {
	v := c.number(key)
	if c.err == nil && (v < 0 || v > maxCount || v != math.Trunc(v)) {
		c.fail("%q is %g, not a count", key, v)
		return 0
	}
	return int(v)
}

// tensor checks a saved tensor: there, float32 or float64, of shape (or of the first tensor's
// shape), and finite.
func (c *stateChecker) tensor(key string, shape shapes.Shape) {
	c.tensors[key] = true
	t := c.s.Tensors[key]
	if t == nil {
		c.fail("tensor %q is missing", key)
		return
	}
	if !shape.Ok() {
		if !c.shapeOfFirstFound {
			c.shapeOfFirst, c.shapeOfFirstFound = t.Shape(), true
		}
		shape = c.shapeOfFirst
	}
	if !t.Shape().Equal(shape) {
		c.fail("tensor %q is %s, want %s", key, t.Shape(), shape)
		return
	}
	if dtype := t.DType(); dtype != dtypes.Float32 && dtype != dtypes.Float64 {
		c.fail("tensor %q is %s, want float32 or float64", key, dtype)
		return
	}
	finite := AllFinite(t)
	if !finite {
		c.fail("tensor %q holds values that are not finite", key)
	}
}

// checkLBFGS checks L-BFGS's state as State writes it: torch's counters and scalars, the history
// of (s, y) pairs with their sᵀy (positive: only such pairs are kept), and a paused Step's
// progress.
func (c *stateChecker) checkLBFGS() {
	c.count("func_evals")
	nIter := c.count("n_iter")
	c.number("t")
	c.number("h_diag")
	c.number("prev_loss")
	n := c.count("history")
	if c.err != nil {
		return
	}
	if nIter == 0 && n > 0 || n > nIter {
		c.fail("history has %d (s, y) pairs after %d iterations", n, nIter)
		return
	}
	if nIter > 0 {
		c.tensor("d", shapes.Shape{})
		c.tensor("prev_flat_grad", shapes.Shape{})
	}
	for i := range n {
		if ys := c.number(fmt.Sprintf("ys.%d", i)); c.err == nil && ys <= 0 {
			c.fail("sᵀy of pair %d is %g; kept pairs have sᵀy > 0", i, ys)
		}
		c.tensor(fmt.Sprintf("old_stps.%d", i), shapes.Shape{})
		c.tensor(fmt.Sprintf("old_dirs.%d", i), shapes.Shape{})
	}
	if _, paused := c.s.Numbers["step.max_iter"]; paused {
		maxIter, maxEval := c.count("step.max_iter"), c.count("step.max_eval")
		iter := c.count("step.iter")
		c.count("step.evals")
		c.number("step.loss")
		c.number("step.last_loss")
		c.number("step.g_inf")
		c.tensor("step.flat_grad", shapes.Shape{})
		if c.err == nil && (iter < 1 || iter >= maxIter || maxEval < 1) {
			c.fail("paused Step is at iteration %d of %d", iter, maxIter)
		}
	}
}

// PausedStepLeft is how many iterations the paused Step of a saved L-BFGS state has left (0 when
// no Step was paused, or for other optimizers, which keep no Step's progress). Call Check first.
func (s *State) PausedStepLeft() int {
	if s == nil || s.Optimizer != LBFGSName {
		return 0
	}
	maxIter, ok := s.Numbers["step.max_iter"]
	if !ok {
		return 0
	}
	return int(maxIter) - int(s.Numbers["step.iter"])
}

// AllFinite reports whether every value of a float32 or float64 tensor is a finite number (false
// for other dtypes). It reads the tensor on the host: for saved states and pictures, never during
// a Step.
func AllFinite(t *tensors.Tensor) bool {
	finite := true
	check := func(v float64) bool {
		if v-v != 0 { // NaN or ±Inf
			finite = false
		}
		return finite
	}
	var err error
	switch t.DType() {
	case dtypes.Float32:
		err = tensors.ConstFlatData(t, func(data []float32) {
			for _, v := range data {
				if !check(float64(v)) {
					return
				}
			}
		})
	case dtypes.Float64:
		err = tensors.ConstFlatData(t, func(data []float64) {
			for _, v := range data {
				if !check(v) {
					return
				}
			}
		})
	default:
		return false
	}
	return finite && err == nil
}
