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

// TestConvTapProductsMatchesGeneric runs random channels-first convolutions with few output
// channels and many input channels (where the tap-products path applies: outC·kH·kW ≤ inC)
// through that path and through the generic executor, and compares the outputs: random sizes,
// windows, strides, kernel dilations, (asymmetric) paddings as large as the window, batches, and
// kernels read forward (OIHW) or as GoMLX's input gradient reads them (IOHW, spatial axes
// reversed). It runs with the default workspace budget and with none (one output row per chunk,
// so the input rows are copied), and checks which path ran.
func TestConvTapProductsMatchesGeneric(t *testing.T) {
	t.Cleanup(func() { ops.SetConvIm2col(true); ops.SetConvTapProducts(true) })
	ops.SetConvIm2col(true) // whatever GOMLX_CONV_IM2COL says
	for _, budget := range []int{-1, 0} {
		if budget >= 0 {
			previous := ops.SetConvIm2colBudget(budget)
			t.Cleanup(func() { ops.SetConvIm2colBudget(previous) })
		}
		t.Run(fmt.Sprintf("budget=%d", budget), testConvTapProductsMatchesGeneric)
	}
}

// worstTapProducts is the largest |tap products − generic| / Σ|w·x| seen (printed with -v).
var worstTapProducts float64

func testConvTapProductsMatchesGeneric(t *testing.T) {
	t.Cleanup(func() { t.Logf("largest |tap products − generic| / Σ|w·x|: %.2g", worstTapProducts) })
	r := rand.New(rand.NewPCG(21, 1))
	ran := 0
	for ran < 200 {
		forward := r.IntN(2) == 1
		batch, h, w := 1+r.IntN(2), 1+r.IntN(12), 1+r.IntN(12)
		kh, kw, cout := 1+r.IntN(3), 1+r.IntN(3), 1+r.IntN(3)
		cin := cout*kh*kw + r.IntN(24)
		strides := []int{1 + r.IntN(2), 1 + r.IntN(2)}
		dilations := []int{1 + r.IntN(2), 1 + r.IntN(2)}
		paddings := [][2]int{{r.IntN(kh + 1), r.IntN(kh + 1)}, {r.IntN(kw + 1), r.IntN(kw + 1)}}
		if r.IntN(3) == 0 { // VGG19's case: 3×3, stride 1, "same"
			kh, kw, strides, dilations, paddings = 3, 3, []int{1, 1}, []int{1, 1}, [][2]int{{1, 1}, {1, 1}}
			cin = 9*cout + r.IntN(24)
		}
		axes := compute.ConvolveAxesConfig{
			InputBatch: 0, InputChannels: 1, InputSpatial: []int{2, 3},
			KernelOutputChannels: 0, KernelInputChannels: 1, KernelSpatial: []int{2, 3},
			OutputBatch: 0, OutputChannels: 1, OutputSpatial: []int{2, 3},
		}
		kernelShape := shapes.Make(dtypes.Float32, cout, cin, kh, kw)
		var reverse []int
		if !forward { // the gradient's kernel: [in, out, kh, kw] of the forward, reversed
			axes.KernelOutputChannels, axes.KernelInputChannels = 1, 0
			kernelShape = shapes.Make(dtypes.Float32, cin, cout, kh, kw)
			reverse = []int{2, 3}
		}
		inputShape := shapes.Make(dtypes.Float32, batch, cin, h, w)
		if _, err := shapeinference.ConvGeneral(inputShape, kernelShape, axes, strides, paddings, nil, dilations, 1, 1); err != nil {
			continue // e.g. a dilated window larger than the padded input
		}
		ran++
		name := fmt.Sprintf("forward=%v_b%d_%dx%dx%d_k%dx%d_o%d_s%v_d%v_p%v", forward, batch, h, w, cin, kh, kw, cout, strides, dilations, paddings)
		input, kernel := randomFloats(r, inputShape.Size()), randomFloats(r, kernelShape.Size())
		conv := func() []float32 {
			return execConv(t, name, inputShape, kernelShape, input, kernel, reverse, axes, strides, paddings, dilations)
		}
		runs := ops.ConvTapProductsRuns()
		fast := conv()
		if ops.ConvTapProductsRuns() != runs+1 {
			t.Fatalf("%s: the tap-products path did not run", name)
		}
		ops.SetConvTapProducts(false)
		im2col := conv()
		ops.SetConvIm2col(false)
		generic := conv()
		ops.SetConvIm2col(true)
		ops.SetConvTapProducts(true)
		if ops.ConvTapProductsRuns() != runs+1 {
			t.Fatalf("%s: the tap-products path ran while turned off", name)
		}
		if len(fast) != len(generic) || len(im2col) != len(generic) {
			t.Fatalf("%s: %d outputs from the tap products, %d from im2col, %d from the generic executor", name, len(fast), len(im2col), len(generic))
		}
		// The three sum the same products in different orders: float32 rounding bounds their
		// difference by a multiple of Σ|w·x|, which the generic executor computes on |w| and |x|.
		ops.SetConvIm2col(false)
		magnitude := execConv(t, name, inputShape, kernelShape, absFloats(input), absFloats(kernel), reverse, axes, strides, paddings, dilations)
		ops.SetConvIm2col(true)
		for i := range fast {
			tolerance := 2e-6*float64(magnitude[i]) + 1e-7
			worstTapProducts = max(worstTapProducts, math.Abs(float64(fast[i]-generic[i]))/(float64(magnitude[i])+1e-30))
			if d := math.Abs(float64(fast[i] - generic[i])); d > tolerance {
				t.Fatalf("%s: output[%d] = %v by tap products, %v by the generic executor", name, i, fast[i], generic[i])
			}
			if d := math.Abs(float64(im2col[i] - generic[i])); d > tolerance {
				t.Fatalf("%s: output[%d] = %v by im2col, %v by the generic executor", name, i, im2col[i], generic[i])
			}
		}
	}
}

// TestConvTapProductsApplies checks where the path runs: few output channels for many input
// channels, channels first; not for VGG19's other convolutions.
func TestConvTapProductsApplies(t *testing.T) {
	for _, c := range []struct {
		cin, cout, k int
		want         bool
	}{
		{64, 3, 3, true},     // conv1_1's input gradient
		{27, 3, 3, true},     // the edge: outC·kH·kW = inC
		{26, 3, 3, false},    // one input channel short
		{3, 64, 3, false},    // conv1_1
		{64, 64, 3, false},   // conv1_2
		{512, 256, 3, false}, // conv4_1's input gradient
		{16, 16, 1, true},    // a 1×1 convolution with as many channels in as out
	} {
		if got := ops.ConvTapProductsApplyFor(c.cin, c.cout, c.k, true); got != c.want {
			t.Errorf("%d → %d channels, %d×%d, channels first: applies = %v, want %v", c.cin, c.cout, c.k, c.k, got, c.want)
		}
		if ops.ConvTapProductsApplyFor(c.cin, c.cout, c.k, false) {
			t.Errorf("%d → %d channels, %d×%d, channels last: applies, want not", c.cin, c.cout, c.k, c.k)
		}
	}
}

// BenchmarkConvTapProducts times VGG19's conv1_1 input gradient (64 → 3 channels, the kernel read
// as IOHW, reversed) with the tap-products path on and off (Winograd or im2col then run it, as
// they did before), at the three sizes estil bench measures:
//
//	go test ./internal/gobackend/ops -run '^$' -bench ConvTapProducts
func BenchmarkConvTapProducts(b *testing.B) {
	for _, size := range []int{64, 128, 256} {
		for _, on := range []bool{true, false} {
			b.Run(fmt.Sprintf("conv1_1_grad_%dx%d/tap_products=%v", size, size, on), func(b *testing.B) {
				previous := ops.SetConvTapProducts(on)
				defer ops.SetConvTapProducts(previous)
				runs := ops.ConvTapProductsRuns()
				benchmarkConv3x3(b, 3, 64, size, true)
				if ran := ops.ConvTapProductsRuns() > runs; ran != on {
					b.Fatalf("tap products ran: %v, want %v", ran, on)
				}
			})
		}
	}
}
