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
	"github.com/gomlx/compute/shapeinference"
	"github.com/gomlx/compute/shapes"
)

// TestConvPixelRowsMatchesGeneric runs random channels-first convolutions on small maps (where
// the pixel-rows path applies: fewer than 64 output pixels, which fill the 32-wide tiles worse
// than the output channels) through that path, through im2col and through the generic executor,
// and compares the outputs: random sizes, windows, strides, kernel dilations, paddings, batches,
// and kernels read forward (OIHW) or as GoMLX's input gradient reads them (IOHW, spatial axes
// reversed). It checks which path ran.
func TestConvPixelRowsMatchesGeneric(t *testing.T) {
	t.Cleanup(func() { ops.SetConvIm2col(true); ops.SetConvPixelRows(true) })
	ops.SetConvIm2col(true) // whatever GOMLX_CONV_IM2COL says
	r := rand.New(rand.NewPCG(24, 1))
	worst, ran := 0.0, 0
	for ran < 200 {
		forward := r.IntN(2) == 1
		batch, h, w := 1+r.IntN(2), 1+r.IntN(9), 1+r.IntN(9)
		kh, kw, cin, cout := 1+r.IntN(3), 1+r.IntN(3), 1+r.IntN(12), 8+r.IntN(90)
		strides := []int{1 + r.IntN(2), 1 + r.IntN(2)}
		dilations := []int{1 + r.IntN(2), 1 + r.IntN(2)}
		paddings := [][2]int{{r.IntN(kh + 1), r.IntN(kh + 1)}, {r.IntN(kw + 1), r.IntN(kw + 1)}}
		if r.IntN(3) == 0 { // VGG19's conv5_1 at 64 px, smaller: 3×3 "same" on 4×4
			h, w, kh, kw, strides, dilations, paddings = 4, 4, 3, 3, []int{1, 1}, []int{1, 1}, [][2]int{{1, 1}, {1, 1}}
			cout = 32 * (1 + r.IntN(3))
		}
		axes := compute.ConvolveAxesConfig{
			InputBatch: 0, InputChannels: 1, InputSpatial: []int{2, 3},
			KernelOutputChannels: 0, KernelInputChannels: 1, KernelSpatial: []int{2, 3},
			OutputBatch: 0, OutputChannels: 1, OutputSpatial: []int{2, 3},
		}
		kernelShape := shapes.Make(dtypes.Float32, cout, cin, kh, kw)
		var reverse []int
		if !forward {
			axes.KernelOutputChannels, axes.KernelInputChannels = 1, 0
			kernelShape = shapes.Make(dtypes.Float32, cin, cout, kh, kw)
			reverse = []int{2, 3}
		}
		inputShape := shapes.Make(dtypes.Float32, batch, cin, h, w)
		outputShape, err := shapeinference.ConvGeneral(inputShape, kernelShape, axes, strides, paddings, nil, dilations, 1, 1)
		if err != nil || !ops.ConvPixelRowsApplyFor(cout, outputShape.Dimensions[2], outputShape.Dimensions[3]) ||
			cout*kh*kw <= cin { // the tap-products path's
			continue
		}
		ran++
		name := fmt.Sprintf("forward=%v_b%d_%dx%dx%d_k%dx%d_o%d_s%v_d%v_p%v", forward, batch, h, w, cin, kh, kw, cout, strides, dilations, paddings)
		input, kernel := randomFloats(r, inputShape.Size()), randomFloats(r, kernelShape.Size())
		conv := func(input, kernel []float32) []float32 {
			return execConv(t, name, inputShape, kernelShape, input, kernel, reverse, axes, strides, paddings, dilations)
		}
		runs := ops.ConvPixelRowsRuns()
		fast := conv(input, kernel)
		if ops.ConvPixelRowsRuns() != runs+1 {
			t.Fatalf("%s: the pixel-rows path did not run", name)
		}
		ops.SetConvPixelRows(false)
		im2col := conv(input, kernel)
		ops.SetConvIm2col(false)
		generic := conv(input, kernel)
		magnitude := conv(absFloats(input), absFloats(kernel)) // Σ|w·x|, for the tolerance
		ops.SetConvIm2col(true)
		ops.SetConvPixelRows(true)
		if ops.ConvPixelRowsRuns() != runs+1 {
			t.Fatalf("%s: the pixel-rows path ran while turned off", name)
		}
		for i := range generic {
			tolerance := 2e-6*float64(magnitude[i]) + 1e-7
			worst = max(worst, math.Abs(float64(fast[i]-generic[i]))/(float64(magnitude[i])+1e-30))
			if d := math.Abs(float64(fast[i] - generic[i])); d > tolerance {
				t.Fatalf("%s: output[%d] = %v by pixel rows, %v by the generic executor", name, i, fast[i], generic[i])
			}
			if d := math.Abs(float64(im2col[i] - generic[i])); d > tolerance {
				t.Fatalf("%s: output[%d] = %v by im2col, %v by the generic executor", name, i, im2col[i], generic[i])
			}
		}
	}
	t.Logf("largest |pixel rows − generic| / Σ|w·x|: %.2g", worst)
}

// TestConvPixelRowsApplies checks where the path runs: maps of fewer than 64 pixels whose tiles
// the output channels fill better.
func TestConvPixelRowsApplies(t *testing.T) {
	for _, c := range []struct {
		outC, h, w int
		want       bool
	}{
		{512, 4, 4, true},   // conv5_1 at 64 px
		{512, 8, 8, false},  // conv5_1 at 128 px: 64 pixels, whole tiles
		{512, 6, 6, true},   // 36 pixels: the second tile an eighth full
		{512, 2, 16, false}, // 32 pixels: one whole tile
		{24, 4, 4, true},    // 24/32 of a tile against 16/32
		{16, 4, 4, false},   // as full as the pixels
	} {
		if got := ops.ConvPixelRowsApplyFor(c.outC, c.h, c.w); got != c.want {
			t.Errorf("%d channels on %d×%d: applies = %v, want %v", c.outC, c.w, c.h, got, c.want)
		}
	}
}

// BenchmarkConvPixelRows times VGG19's conv5_1 at 64 px (512 → 512 channels on 4×4), forward and
// input gradient, with the pixel-rows path on and off (im2col), the kernel constant as estil's
// weights are (its transposed form is derived once):
//
//	go test ./internal/gobackend/ops -run '^$' -bench ConvPixelRows
func BenchmarkConvPixelRows(b *testing.B) {
	for _, gradient := range []bool{false, true} {
		for _, on := range []bool{true, false} {
			b.Run(fmt.Sprintf("conv5_1_4x4/grad=%v/pixel_rows=%v", gradient, on), func(b *testing.B) {
				previous := ops.SetConvPixelRows(on)
				defer ops.SetConvPixelRows(previous)
				benchmarkConv3x3Kernel(b, 512, 512, 4, gradient, true)
			})
		}
	}
}

func absFloats(v []float32) []float32 {
	a := make([]float32, len(v))
	for i, x := range v {
		a[i] = float32(math.Abs(float64(x)))
	}
	return a
}
