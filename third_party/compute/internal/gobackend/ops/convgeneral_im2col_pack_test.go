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

// TestConvIm2colPacksLargeKernels runs convolutions whose kernels the fast path packs (axis
// orders other than the layout's matrix, reversed spatial axes) with many output channels, so
// that the packing is split among the workers, and compares them with the generic executor.
func TestConvIm2colPacksLargeKernels(t *testing.T) {
	t.Cleanup(func() { ops.SetConvIm2col(true) })
	r := rand.New(rand.NewPCG(5, 6))
	for _, channelsFirst := range []bool{false, true} {
		for _, reverse := range [][]int{nil, {2, 3}} {
			const cin, cout = 7, 130
			axes := compute.ConvolveAxesConfig{ // IOHW, as GoMLX's gradient of an OIHW kernel
				InputBatch: 0, InputSpatial: []int{1, 2}, InputChannels: 3,
				KernelSpatial: []int{2, 3}, KernelInputChannels: 0, KernelOutputChannels: 1,
				OutputBatch: 0, OutputSpatial: []int{1, 2}, OutputChannels: 3,
			}
			inputShape := shapes.Make(dtypes.Float32, 1, 6, 5, cin)
			if channelsFirst {
				axes.InputChannels, axes.InputSpatial = 1, []int{2, 3}
				axes.OutputChannels, axes.OutputSpatial = 1, []int{2, 3}
				inputShape = shapes.Make(dtypes.Float32, 1, cin, 6, 5)
			}
			kernelShape := shapes.Make(dtypes.Float32, cin, cout, 3, 3)
			name := fmt.Sprintf("first=%v_rev%v", channelsFirst, reverse)
			input, kernel := randomFloats(r, inputShape.Size()), randomFloats(r, kernelShape.Size())
			conv := func() []float32 {
				return execConv(t, name, inputShape, kernelShape, input, kernel, reverse, axes, []int{1, 1}, [][2]int{{1, 1}, {1, 1}}, []int{1, 1})
			}
			ops.SetConvIm2col(true)
			fast := conv()
			ops.SetConvIm2col(false)
			generic := conv()
			for i := range fast {
				if d := math.Abs(float64(fast[i] - generic[i])); d > 1e-5*math.Max(1, math.Abs(float64(generic[i]))) {
					t.Fatalf("%s: output[%d] = %v with im2col, %v with the generic executor", name, i, fast[i], generic[i])
				}
			}
		}
	}
}
