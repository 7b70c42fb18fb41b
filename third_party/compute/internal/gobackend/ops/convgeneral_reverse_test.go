// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend/ops"
	"github.com/gomlx/compute/shapes"
)

// TestConvAbsorbsKernelReverse checks that ConvGeneral's builder absorbs a Reverse of the
// kernel's spatial axes where the im2col fast path runs the convolution (and only then: not a
// Reverse of a channel axis, not with the fast path off), and that the result is the generic
// executor's on the Reverse as written. Both channel layouts, GoMLX's gradient kernel layouts.
func TestConvAbsorbsKernelReverse(t *testing.T) {
	t.Cleanup(func() { ops.SetConvIm2col(true) })
	ops.SetConvIm2col(true)
	r := rand.New(rand.NewPCG(3, 4))
	for _, channelsFirst := range []bool{false, true} {
		for _, reverse := range [][]int{{0}, {1}, {0, 1}, {2}} { // HWOI kernel: axis 2 is the output channel
			axes := compute.ConvolveAxesConfig{
				InputBatch: 0, InputSpatial: []int{1, 2}, InputChannels: 3,
				KernelSpatial: []int{0, 1}, KernelInputChannels: 3, KernelOutputChannels: 2,
				OutputBatch: 0, OutputSpatial: []int{1, 2}, OutputChannels: 3,
			}
			inputShape := shapes.Make(dtypes.Float32, 2, 7, 6, 4)
			if channelsFirst {
				axes.InputChannels, axes.InputSpatial = 1, []int{2, 3}
				axes.OutputChannels, axes.OutputSpatial = 1, []int{2, 3}
				inputShape = shapes.Make(dtypes.Float32, 2, 4, 7, 6)
			}
			kernelShape := shapes.Make(dtypes.Float32, 3, 2, 5, 4)
			name := fmt.Sprintf("first=%v_rev%v", channelsFirst, reverse)
			input, kernel := randomFloats(r, inputShape.Size()), randomFloats(r, kernelShape.Size())
			strides, paddings, dilations := []int{1, 1}, [][2]int{{1, 1}, {0, 1}}, []int{1, 1}
			absorbed := ops.ConvReverseAbsorbed()
			fast := execConv(t, name, inputShape, kernelShape, input, kernel, reverse, axes, strides, paddings, dilations)
			want := int64(1)
			if reverse[0] == 2 {
				want = 0
			}
			if got := ops.ConvReverseAbsorbed() - absorbed; got != want {
				t.Errorf("%s: %d Reverse nodes absorbed, want %d", name, got, want)
			}
			ops.SetConvIm2col(false)
			absorbed = ops.ConvReverseAbsorbed()
			generic := execConv(t, name, inputShape, kernelShape, input, kernel, reverse, axes, strides, paddings, dilations)
			ops.SetConvIm2col(true)
			if got := ops.ConvReverseAbsorbed() - absorbed; got != 0 {
				t.Errorf("%s: %d Reverse nodes absorbed with the fast path off", name, got)
			}
			for i := range fast {
				if d := math.Abs(float64(fast[i] - generic[i])); d > 1e-5*math.Max(1, math.Abs(float64(generic[i]))) {
					t.Fatalf("%s: output[%d] = %v absorbed, %v generic", name, i, fast[i], generic[i])
				}
			}
		}
	}
}
