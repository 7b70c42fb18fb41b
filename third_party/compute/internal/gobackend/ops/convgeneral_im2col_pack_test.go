// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
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

// BenchmarkConvIm2colGradientPacking runs the input gradient of a 512 → 512 channel 3×3
// convolution on a 4×4 map (VGG19's conv5_1 at 64 px), where packing the kernel (read as GoMLX's
// gradient reads it: channel axes swapped, spatial axes reversed; 2.4M values) costs more than
// the matrix product (75 MFLOP).
//
//	go test ./internal/gobackend/ops -run '^$' -bench GradientPacking
func BenchmarkConvIm2colGradientPacking(b *testing.B) {
	const c = 512
	axes := compute.ConvolveAxesConfig{ // channels first; the kernel OIHW read as IOHW
		InputBatch: 0, InputChannels: 1, InputSpatial: []int{2, 3},
		KernelInputChannels: 0, KernelOutputChannels: 1, KernelSpatial: []int{2, 3},
		OutputBatch: 0, OutputChannels: 1, OutputSpatial: []int{2, 3},
	}
	inputShape, kernelShape := shapes.Make(dtypes.Float32, 1, c, 4, 4), shapes.Make(dtypes.Float32, c, c, 3, 3)
	builder := backend.Builder("gradient-packing")
	fn := builder.Main()
	x, err := fn.Parameter("x", inputShape, nil)
	if err != nil {
		b.Fatal(err)
	}
	k, err := fn.Parameter("k", kernelShape, nil)
	if err != nil {
		b.Fatal(err)
	}
	if k, err = fn.Reverse(k, 2, 3); err != nil {
		b.Fatal(err)
	}
	y, err := fn.ConvGeneral(x, k, axes, []int{1, 1}, [][2]int{{1, 1}, {1, 1}}, nil, []int{1, 1}, 1, 1)
	if err != nil {
		b.Fatal(err)
	}
	if err := fn.Return([]compute.Value{y}, nil); err != nil {
		b.Fatal(err)
	}
	exec, err := builder.Compile()
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 8))
	buffer := func(shape shapes.Shape) compute.Buffer {
		buf, err := backend.BufferFromFlatData(0, randomFloats(r, shape.Size()), shape)
		if err != nil {
			b.Fatal(err)
		}
		return buf
	}
	inputs := []compute.Buffer{buffer(inputShape), buffer(kernelShape)}
	for b.Loop() {
		out, err := exec.Execute(inputs, nil, 0)
		if err != nil {
			b.Fatal(err)
		}
		backend.PutBuffer(out[0].(*gobackend.Buffer)) // back to the pool, as GoMLX does
	}
}
