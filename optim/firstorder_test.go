package optim

import (
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
)

// TestFirstOrderStepRefusesBadInput checks that Adam and gradient descent refuse, with an error
// naming the optimizer, a nil x, an integer x and a bad learning rate, before running anything.
func TestFirstOrderStepRefusesBadInput(t *testing.T) {
	fn, inputs := problemFor(&fixture{Problem: "rosenbrock", X0: []float64{-1.2, 1}}, dtypes.Float64)
	type stepper func(x *tensors.Tensor) error
	adam := func(lr float64) stepper {
		return func(x *tensors.Tensor) error {
			opt := NewAdam(testBackend(), fn).Inputs(inputs...).LR(lr)
			defer opt.Finalize()
			_, err := opt.Step(x, 1)
			return err
		}
	}
	gd := func(lr float64) stepper {
		return func(x *tensors.Tensor) error {
			opt := NewGradientDescent(testBackend(), fn).Inputs(inputs...).LR(lr)
			defer opt.Finalize()
			_, err := opt.Step(x, 1)
			return err
		}
	}
	ints := tensors.FromValue([]int32{1, 2})
	good := toDType([]float64{-1.2, 1}, dtypes.Float64, 2)
	for _, tc := range []struct {
		name string
		step stepper
		x    *tensors.Tensor
		want string
	}{
		{"adam nil x", adam(0.1), nil, "optim.Adam.Step: nil x"},
		{"adam int x", adam(0.1), ints, "optim.Adam.Step: x must be float32 or float64"},
		{"adam bad lr", adam(-1), good, "optim.Adam: LR must be a positive finite number"},
		{"gd nil x", gd(0.1), nil, "optim.GradientDescent.Step: nil x"},
		{"gd int x", gd(0.1), ints, "optim.GradientDescent.Step: x must be float32 or float64"},
		{"gd bad lr", gd(0), good, "optim.GradientDescent: LR must be a positive finite number"},
	} {
		err := tc.step(tc.x)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	if err := gd(1e-3)(good); err != nil {
		t.Errorf("a good step failed: %v", err)
	}
}
