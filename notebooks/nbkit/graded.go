package nbkit

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// GradingEnv is the variable nbgrader sets while it executes a notebook to grade it
// ("autograde") or to validate it for a student ("validate").
const GradingEnv = "NBGRADER_EXECUTION"

// Grading reports whether the notebook is being executed by nbgrader (autograde or validate).
func Grading() bool {
	v := strings.ToLower(os.Getenv(GradingEnv))
	return v == "autograde" || v == "validate"
}

// exit ends the cell's program; a variable so that tests can watch it.
var exit = os.Exit

// Graded is what a check cell does with its check's result: nothing more when err is nil, and,
// when the check failed, nothing more either unless nbgrader is grading the notebook. Then the
// cell must lose its points. nbgrader gives an autograded cell no points when its outputs hold an
// error or anything on stderr; GoNB never turns a cell's failure at run time into an error output,
// but writes a non-zero exit status to stderr. So Graded says why on stderr and ends the cell's
// program with status 1. Outside nbgrader a ✘ (already printed with its hint) does not stop "Run
// all": the notebook goes on, and later cells use estil's own functions, not the student's.
func Graded(err error) {
	if err == nil || !Grading() {
		return
	}
	fmt.Fprintln(os.Stderr, say("nbgrader: this check failed, so this cell gets no points.", "nbgrader: aquesta comprovació ha fallat, i per tant aquesta cel·la no suma punts."))
	exit(1)
}

// ErrNotWritten is Call's error for a function that returns nil: the student's stub.
var ErrNotWritten = errors.New("not written yet: the function returns nil")

// Call evaluates a student's graph function on tensors, on the checks' backend, and returns its
// result. fn is a func(*graph.Node) *graph.Node or a func(a, b *graph.Node) *graph.Node, with one
// or two inputs to match. A function that returns nil (the stub) gives ErrNotWritten, one whose
// graph cannot be built gives the reason: a demonstration cell prints the error and goes on.
func Call(fn any, inputs ...*tensors.Tensor) (*tensors.Tensor, error) {
	var apply func(in []*graph.Node) *graph.Node
	switch f := fn.(type) {
	case func(*graph.Node) *graph.Node:
		if len(inputs) != 1 {
			return nil, fmt.Errorf("nbkit.Call: the function takes 1 input, got %d", len(inputs))
		}
		apply = func(in []*graph.Node) *graph.Node { return f(in[0]) }
	case func(a, b *graph.Node) *graph.Node:
		if len(inputs) != 2 {
			return nil, fmt.Errorf("nbkit.Call: the function takes 2 inputs, got %d", len(inputs))
		}
		apply = func(in []*graph.Node) *graph.Node { return f(in[0], in[1]) }
	default:
		return nil, fmt.Errorf("nbkit.Call: %T is not a func(*graph.Node) *graph.Node or a func(a, b *graph.Node) *graph.Node", fn)
	}
	return call(apply, inputs)
}

func call(apply func(in []*graph.Node) *graph.Node, inputs []*tensors.Tensor) (result *tensors.Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			result, err = nil, errors.New(panicMessage(r))
		}
	}()
	backend, err := checkBackend()
	if err != nil {
		return nil, err
	}
	isNil := false
	exec, err := graph.NewExec(backend, func(in []*graph.Node) *graph.Node {
		out := apply(in)
		if out == nil {
			// A stub: any output will do, but not an input (with two inputs, returning one of
			// them made GoMLX's executor fail), so a scalar, as the checks' run does.
			isNil = true
			return graph.ScalarZero(in[0].Graph(), in[0].DType())
		}
		return out
	})
	if err != nil {
		return nil, errors.New(panicMessage(err))
	}
	args := make([]any, len(inputs))
	for i, t := range inputs {
		args[i] = t
	}
	outs, err := exec.Exec(args...)
	if err != nil {
		return nil, errors.New(panicMessage(err))
	}
	if isNil {
		return nil, ErrNotWritten
	}
	return outs[0], nil
}
