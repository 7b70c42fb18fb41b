package nbkit

import (
	"errors"
	"os"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// TestGradedFailsOnlyUnderNbgrader: a failed check ends the cell's program only while nbgrader
// executes the notebook (autograde or validate); a passed one never does.
func TestGradedFailsOnlyUnderNbgrader(t *testing.T) {
	codes := []int{}
	exit = func(code int) { codes = append(codes, code) }
	t.Cleanup(func() { exit = os.Exit })
	failed := &CheckError{Exercise: "gram-none", Mistake: MistakeTODO}
	for _, c := range []struct {
		env  string
		err  error
		exit bool
	}{
		{"", failed, false}, {"", nil, false},
		{"autograde", failed, true}, {"validate", failed, true}, {"Autograde", failed, true},
		{"autograde", nil, false}, {"other", failed, false},
	} {
		codes = codes[:0]
		t.Setenv(GradingEnv, c.env)
		Graded(c.err)
		if got := len(codes) == 1 && codes[0] == 1; got != c.exit || len(codes) > 1 {
			t.Errorf("%s=%q, err %v: exit calls %v, want exit(1) %v", GradingEnv, c.env, c.err, codes, c.exit)
		}
	}
}

// TestCall: a student's function is evaluated; the stub's nil and a graph that cannot be built
// are errors, not panics.
func TestCall(t *testing.T) {
	a := tensors.FromValue([]float32{1, 2, 3})
	b := tensors.FromValue([]float32{10, 20, 30})
	sum, err := Call(func(x, y *graph.Node) *graph.Node { return graph.ReduceAllSum(graph.Add(x, y)) }, a, b)
	if err != nil || tensors.ToScalar[float32](sum) != 66 {
		t.Fatalf("Call(sum) = %v, %v; want 66", sum, err)
	}
	if _, err := Call(func(x *graph.Node) *graph.Node { return nil }, a); !errors.Is(err, ErrNotWritten) {
		t.Errorf("the stub: %v, want ErrNotWritten", err)
	}
	// A two-input stub, as 07's mmdLinear(f, s) is in the student's copy.
	if _, err := Call(func(x, y *graph.Node) *graph.Node { return nil }, a, b); !errors.Is(err, ErrNotWritten) {
		t.Errorf("the two-input stub: %v, want ErrNotWritten", err)
	}
	if _, err := Call(func(x, y *graph.Node) *graph.Node { return graph.MatMul(x, y) }, tensors.FromValue([][]float32{{1, 2}}), a); err == nil {
		t.Error("a [1,2]×[3] product gave no error")
	}
	if _, err := Call(func(x *graph.Node) *graph.Node { return x }, a, b); err == nil {
		t.Error("two inputs to a one-input function gave no error")
	}
	if _, err := Call(42, a); err == nil {
		t.Error("a non-function gave no error")
	}
}
