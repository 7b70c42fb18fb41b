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
	"github.com/gomlx/compute/shapeinference"
	"github.com/gomlx/compute/shapes"
)

// TestConvIm2colMatchesGeneric runs random 2-D convolutions, channels last and channels first,
// twice, through the im2col fast path and through the generic executor, and compares the outputs:
// random sizes, kernel windows, strides, kernel dilations, (asymmetric) paddings and kernel axis
// orders, including those GoMLX uses for the gradient with respect to the input (channel axes
// swapped, the kernel's spatial axes reversed by a Reverse that the fast path absorbs). It runs
// with the default workspace budget and with none (one output row per chunk), and checks that
// the fast path did run.
func TestConvIm2colMatchesGeneric(t *testing.T) {
	t.Cleanup(func() { ops.SetConvIm2col(true) })
	ops.SetConvIm2col(true) // whatever GOMLX_CONV_IM2COL says
	for _, budget := range []int{-1, 0} {
		if budget >= 0 {
			previous := ops.SetConvIm2colBudget(budget)
			t.Cleanup(func() { ops.SetConvIm2colBudget(previous) })
		}
		t.Run(fmt.Sprintf("budget=%d", budget), testConvIm2colMatchesGeneric)
	}
}

func testConvIm2colMatchesGeneric(t *testing.T) {
	kernelLayouts := []struct {
		name    string
		spatial []int
		in, out int
		dims    func(kh, kw, cin, cout int) []int
	}{
		{"HWIO", []int{0, 1}, 2, 3, func(kh, kw, cin, cout int) []int { return []int{kh, kw, cin, cout} }},
		{"HWOI", []int{0, 1}, 3, 2, func(kh, kw, cin, cout int) []int { return []int{kh, kw, cout, cin} }},
		{"OIHW", []int{2, 3}, 1, 0, func(kh, kw, cin, cout int) []int { return []int{cout, cin, kh, kw} }},
		{"IOHW", []int{2, 3}, 0, 1, func(kh, kw, cin, cout int) []int { return []int{cin, cout, kh, kw} }},
	}
	r := rand.New(rand.NewPCG(1, 2))
	ran := 0
	for ran < 400 {
		layout := kernelLayouts[r.IntN(len(kernelLayouts))]
		channelsFirst := r.IntN(2) == 1
		batch, h, w := 1+r.IntN(2), 1+r.IntN(9), 1+r.IntN(9)
		cin, cout, kh, kw := 1+r.IntN(5), 1+r.IntN(6), 1+r.IntN(3), 1+r.IntN(3)
		strides := []int{1 + r.IntN(2), 1 + r.IntN(2)}
		dilations := []int{1 + r.IntN(2), 1 + r.IntN(2)}
		paddings := [][2]int{{r.IntN(3), r.IntN(3)}, {r.IntN(3), r.IntN(3)}}
		// The kernel goes through a Reverse of: nothing, one or both spatial axes, or a channel axis
		// (which the fast path must leave to the Reverse executor).
		reverse := [][]int{nil, {layout.spatial[0]}, {layout.spatial[1]}, layout.spatial, {layout.in}}[r.IntN(5)]
		axes := compute.ConvolveAxesConfig{
			InputBatch: 0, InputSpatial: []int{1, 2}, InputChannels: 3,
			KernelSpatial: layout.spatial, KernelInputChannels: layout.in, KernelOutputChannels: layout.out,
			OutputBatch: 0, OutputSpatial: []int{1, 2}, OutputChannels: 3,
		}
		inputShape := shapes.Make(dtypes.Float32, batch, h, w, cin)
		if channelsFirst {
			axes.InputChannels, axes.InputSpatial = 1, []int{2, 3}
			axes.OutputChannels, axes.OutputSpatial = 1, []int{2, 3}
			inputShape = shapes.Make(dtypes.Float32, batch, cin, h, w)
		}
		kernelShape := shapes.Make(dtypes.Float32, layout.dims(kh, kw, cin, cout)...)
		if _, err := shapeinference.ConvGeneral(inputShape, kernelShape, axes, strides, paddings, nil, dilations, 1, 1); err != nil {
			continue // e.g. a dilated window larger than the padded input
		}
		ran++
		name := fmt.Sprintf("first=%v_%s_b%d_%dx%dx%d_k%dx%d_o%d_s%v_d%v_p%v_rev%v", channelsFirst, layout.name, batch, h, w, cin, kh, kw, cout, strides, dilations, paddings, reverse)
		input, kernel := randomFloats(r, inputShape.Size()), randomFloats(r, kernelShape.Size())
		conv := func() []float32 {
			return execConv(t, name, inputShape, kernelShape, input, kernel, reverse, axes, strides, paddings, dilations)
		}
		runs := ops.ConvIm2colRuns()
		fast := conv()
		if ops.ConvIm2colRuns() != runs+1 {
			t.Fatalf("%s: the im2col fast path did not run", name)
		}
		ops.SetConvIm2col(false)
		generic := conv()
		ops.SetConvIm2col(true)
		if ops.ConvIm2colRuns() != runs+1 {
			t.Fatalf("%s: the im2col fast path ran while turned off", name)
		}
		if len(fast) != len(generic) {
			t.Fatalf("%s: %d outputs from the fast path, %d from the generic one", name, len(fast), len(generic))
		}
		for i := range fast {
			if d := math.Abs(float64(fast[i] - generic[i])); d > 1e-5*math.Max(1, math.Abs(float64(generic[i]))) {
				t.Fatalf("%s: output[%d] = %v with im2col, %v with the generic executor", name, i, fast[i], generic[i])
			}
		}
	}
}

func randomFloats(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// execConv builds, compiles and runs one ConvGeneral on the test backend.
func execConv(t *testing.T, name string, inputShape, kernelShape shapes.Shape, input, kernel []float32, reverse []int,
	axes compute.ConvolveAxesConfig, strides []int, paddings [][2]int, dilations []int) []float32 {
	t.Helper()
	builder := backend.Builder(name)
	fn := builder.Main()
	x, err := fn.Parameter("x", inputShape, nil)
	if err != nil {
		t.Fatal(err)
	}
	k, err := fn.Parameter("k", kernelShape, nil)
	if err != nil {
		t.Fatal(err)
	}
	if reverse != nil {
		if k, err = fn.Reverse(k, reverse...); err != nil {
			t.Fatal(err)
		}
	}
	y, err := fn.ConvGeneral(x, k, axes, strides, paddings, nil, dilations, 1, 1)
	if err != nil {
		t.Fatalf("%s: %+v", name, err)
	}
	if err := fn.Return([]compute.Value{y}, nil); err != nil {
		t.Fatal(err)
	}
	exec, err := builder.Compile()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Execute([]compute.Buffer{makeBuffer(t, inputShape, input), makeBuffer(t, kernelShape, kernel)}, nil, 0)
	if err != nil {
		t.Fatalf("%s: %+v", name, err)
	}
	result := out[0].(*gobackend.Buffer)
	return append([]float32(nil), result.Flat.([]float32)[:result.RawShape.Size()]...)
}
