package optim

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/estil-nst/estil/internal/enum"
)

// Optimizer is what L-BFGS, Adam and gradient descent have in common: Step moves x by up to
// iterations iterations (L-BFGS: one call of torch's step with max_iter = iterations; Adam and
// gradient descent: iterations calls of their step), keeping the optimizer's state for the next
// Step; State copies that state to the host and Restore puts a copy back (checkpoints, state.go);
// Reset forgets it; Finalize frees it and the compiled graphs.
type Optimizer interface {
	Step(x *tensors.Tensor, iterations int) (*Result, error)
	State() (*State, error)
	Restore(*State) error
	Reset()
	Finalize()
}

var (
	_ Optimizer = (*LBFGS)(nil)
	_ Optimizer = (*Adam)(nil)
	_ Optimizer = (*GradientDescent)(nil)
)

// Name names an optimizer, as the CLI's --optimizer and nst.Transfer.Optimizer do.
type Name string

const (
	// LBFGSName is L-BFGS with torch.optim.LBFGS semantics: the original's optimizer.
	LBFGSName Name = "lbfgs"
	// AdamName is torch.optim.Adam.
	AdamName Name = "adam"
	// GradientDescentName is plain x ← x − lr·g, the baseline the others are compared with.
	GradientDescentName Name = "gd"
)

// Options are the settings New passes to the optimizer it makes; zero values leave the
// optimizer's defaults (torch's).
type Options struct {
	// LR is the learning rate; 0 keeps the optimizer's default (L-BFGS 1, Adam and gradient
	// descent 1e-3).
	LR float64
	// Inputs are the constant tensors passed to the Function.
	Inputs []*tensors.Tensor
	// OnEvaluation observes every evaluation of the loss; an error stops Step.
	OnEvaluation func(Evaluation) error
	// Pause, if set, is asked at the end of every iteration whether to end the Step there
	// (Stopped == StopPaused); the next Step continues it (state.go).
	Pause func() bool
	// L-BFGS only: StrongWolfe turns on torch's strong-Wolfe line search, OnIteration observes
	// each iteration, MaxEval caps the evaluations of a Step (0: 5/4 of its iterations).
	StrongWolfe bool
	OnIteration func(Iteration) error
	MaxEval     int
}

// constructors is the table New reads: one entry per optimizer, in the order Names lists them.
var constructors = []struct {
	name Name
	make func(g *Graphs, own bool, o Options) Optimizer
}{
	{LBFGSName, func(g *Graphs, own bool, o Options) Optimizer {
		opt := newLBFGS(g, own).Inputs(o.Inputs...).StrongWolfe(o.StrongWolfe).OnEvaluation(o.OnEvaluation).OnIteration(o.OnIteration).Pause(o.Pause)
		if o.LR != 0 {
			opt.LR(o.LR)
		}
		if o.MaxEval != 0 {
			opt.MaxEval(o.MaxEval)
		}
		return opt
	}},
	{AdamName, func(g *Graphs, own bool, o Options) Optimizer {
		opt := newAdam(g, own).Inputs(o.Inputs...).OnEvaluation(o.OnEvaluation).Pause(o.Pause)
		if o.LR != 0 {
			opt.LR(o.LR)
		}
		return opt
	}},
	{GradientDescentName, func(g *Graphs, own bool, o Options) Optimizer {
		opt := newGradientDescent(g, own).Inputs(o.Inputs...).OnEvaluation(o.OnEvaluation).Pause(o.Pause)
		if o.LR != 0 {
			opt.LR(o.LR)
		}
		return opt
	}},
}

// Names lists the optimizers New knows.
func Names() []Name {
	names := make([]Name, len(constructors))
	for i, c := range constructors {
		names[i] = c.name
	}
	return names
}

// ParseName checks that s names an optimizer.
func ParseName(s string) (Name, error) {
	return enum.Parse("optimizer", s, Names())
}

// New makes the optimizer called name, for f on backend, with the options o. Its graphs are its
// own, compiled on its first Step and freed by Finalize; optimizers made by one Graphs' New share
// theirs instead.
func New(name Name, backend compute.Backend, f Function, o Options) (Optimizer, error) {
	return NewGraphs(backend, f).new(name, true, o)
}
