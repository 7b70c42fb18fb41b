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

// winogradTolerance bounds the Winograd path's error against the generic executor, relative to
// the sum of the absolute products that make each output: |y_winograd - y_generic| ≤
// winogradTolerance · Σ|w·x|. Both sides are float32; the generic executor adds the products one
// at a time. Measured on the shapes of TestConvWinogradMatchesGeneric (2026-12-05): at most
// 2.4e-7 for F(2×2, 3×3) (im2col against the generic executor: 1.9e-7 on the same shapes), so
// 2e-6 leaves a margin of 8× while failing any wrong tap, sign or tile edge (those are O(1)).
const winogradTolerance = 3e-5

// TestConvWinogradMatchesGeneric runs 3×3 stride-1 convolutions through the Winograd path and
// through the generic executor and compares them: channels 3→64, 64→64, 7→130 and 512→512 (small
// maps), odd, even, tiny and wide spatial sizes (partial tiles, maps smaller than a tile, rows of
// several blocks of tiles), batch 1 and
// 2, padding 1 and 0, channels first and last, the kernel as the forward reads it (OIHW, HWIO)
// and as GoMLX's gradient with respect to the input does (channel axes swapped, spatial axes
// reversed by a Reverse that the fast path absorbs). It checks that the Winograd path ran, and
// that it does not when turned off.
func TestConvWinogradMatchesGeneric(t *testing.T) {
	restoreMinPixels, enabled := ops.SetConvWinogradMinPixels(0), ops.SetConvWinograd(true) // whatever GOMLX_CONV_WINOGRAD says
	t.Cleanup(func() { ops.SetConvIm2col(true); ops.SetConvWinograd(enabled); restoreMinPixels() })
	ops.SetConvIm2col(true)
	kernelLayouts := []struct {
		name    string
		spatial []int
		in, out int
		reverse bool
		dims    func(cin, cout int) []int
	}{
		{"OIHW", []int{2, 3}, 1, 0, false, func(cin, cout int) []int { return []int{cout, cin, 3, 3} }},
		{"IOHW-reversed", []int{2, 3}, 0, 1, true, func(cin, cout int) []int { return []int{cin, cout, 3, 3} }},
		{"HWIO", []int{0, 1}, 2, 3, false, func(cin, cout int) []int { return []int{3, 3, cin, cout} }},
	}
	channels := [][2]int{{3, 64}, {64, 64}, {7, 130}, {512, 512}}
	// 5×150 and 4×33: rows of more than one block of 64 tiles and of 16-tile groups with a
	// partial one (the AVX-512 loops).
	sizes := [][2]int{{1, 1}, {2, 3}, {5, 7}, {4, 4}, {16, 16}, {17, 9}, {5, 150}, {4, 33}}
	r := rand.New(rand.NewPCG(23, 11))
	var maxWinograd, maxIm2col, maxWinogradLarge float64 // maxWinogradLarge: maps of 16×16 and 17×9
	for _, ch := range channels {
		cin, cout := ch[0], ch[1]
		for _, size := range sizes {
			h, w := size[0], size[1]
			for _, batch := range []int{1, 2} {
				if cin == 512 && (h*w > 35 || batch > 1) {
					continue // the generic executor takes seconds on these
				}
				for _, pad := range []int{1, 0} {
					for _, layout := range kernelLayouts {
						for _, channelsFirst := range []bool{true, false} {
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
							kernelShape := shapes.Make(dtypes.Float32, layout.dims(cin, cout)...)
							strides, dilations := []int{1, 1}, []int{1, 1}
							paddings := [][2]int{{pad, pad}, {pad, pad}}
							if _, err := shapeinference.ConvGeneral(inputShape, kernelShape, axes, strides, paddings, nil, dilations, 1, 1); err != nil {
								continue // no output: a map smaller than the window, unpadded
							}
							var reverse []int
							if layout.reverse {
								reverse = layout.spatial
							}
							name := fmt.Sprintf("first=%v_%s_b%d_%dx%d_%d->%d_pad%d", channelsFirst, layout.name, batch, h, w, cin, cout, pad)
							input, kernel := randomFloats(r, inputShape.Size()), randomFloats(r, kernelShape.Size())
							conv := func(input, kernel []float32) []float32 {
								return execConv(t, name, inputShape, kernelShape, input, kernel, reverse, axes, strides, paddings, dilations)
							}
							runs := ops.ConvWinogradRuns()
							winograd := conv(input, kernel)
							if ops.ConvWinogradRuns() != runs+1 {
								t.Fatalf("%s: the Winograd path did not run", name)
							}
							ops.SetConvWinograd(false)
							im2col := conv(input, kernel)
							ops.SetConvWinograd(true)
							if ops.ConvWinogradRuns() != runs+1 {
								t.Fatalf("%s: the Winograd path ran while turned off", name)
							}
							ops.SetConvIm2col(false)
							generic := conv(input, kernel)
							scale := conv(abs(input), abs(kernel)) // Σ|w·x| of each output
							ops.SetConvIm2col(true)
							for i := range generic {
								bound := float64(scale[i])
								dw := math.Abs(float64(winograd[i] - generic[i]))
								di := math.Abs(float64(im2col[i] - generic[i]))
								if bound > 0 {
									maxWinograd, maxIm2col = math.Max(maxWinograd, dw/bound), math.Max(maxIm2col, di/bound)
									if h*w >= 16*9 && h >= 16 {
										maxWinogradLarge = math.Max(maxWinogradLarge, dw/bound)
									}
								}
								if dw > winogradTolerance*bound {
									t.Fatalf("%s: output[%d] = %v with Winograd, %v with the generic executor (Σ|w·x| = %v)",
										name, i, winograd[i], generic[i], scale[i])
								}
							}
						}
					}
				}
			}
		}
	}
	t.Logf("max |y - y_generic| / Σ|w·x|: Winograd %.3g (%.3g on the 16×16 and 17×9 maps), im2col %.3g (tolerance %.3g)",
		maxWinograd, maxWinogradLarge, maxIm2col, winogradTolerance)
}

// TestConvWinogradChunks runs a convolution whose tiles take several chunks (the workspace
// budget set to nothing: one tile row per chunk), both layouts, against the generic executor.
func TestConvWinogradChunks(t *testing.T) {
	previous, restoreMinPixels, enabled := ops.SetConvIm2colBudget(0), ops.SetConvWinogradMinPixels(0), ops.SetConvWinograd(true)
	t.Cleanup(func() {
		ops.SetConvIm2colBudget(previous)
		ops.SetConvIm2col(true)
		restoreMinPixels()
		ops.SetConvWinograd(enabled)
	})
	r := rand.New(rand.NewPCG(3, 4))
	for _, channelsFirst := range []bool{true, false} {
		const cin, cout = 5, 6
		axes := compute.ConvolveAxesConfig{
			InputBatch: 0, InputSpatial: []int{1, 2}, InputChannels: 3,
			KernelSpatial: []int{2, 3}, KernelInputChannels: 1, KernelOutputChannels: 0,
			OutputBatch: 0, OutputSpatial: []int{1, 2}, OutputChannels: 3,
		}
		inputShape := shapes.Make(dtypes.Float32, 2, 9, 7, cin)
		if channelsFirst {
			axes.InputChannels, axes.InputSpatial = 1, []int{2, 3}
			axes.OutputChannels, axes.OutputSpatial = 1, []int{2, 3}
			inputShape = shapes.Make(dtypes.Float32, 2, cin, 9, 7)
		}
		kernelShape := shapes.Make(dtypes.Float32, cout, cin, 3, 3)
		name := fmt.Sprintf("first=%v", channelsFirst)
		input, kernel := randomFloats(r, inputShape.Size()), randomFloats(r, kernelShape.Size())
		conv := func() []float32 {
			return execConv(t, name, inputShape, kernelShape, input, kernel, nil, axes, []int{1, 1}, [][2]int{{1, 2}, {2, 1}}, []int{1, 1})
		}
		runs := ops.ConvWinogradRuns()
		ops.SetConvIm2col(true)
		fast := conv()
		if ops.ConvWinogradRuns() != runs+1 {
			t.Fatalf("%s: the Winograd path did not run", name)
		}
		ops.SetConvIm2col(false)
		generic := conv()
		for i := range fast {
			if d := math.Abs(float64(fast[i] - generic[i])); d > 1e-5*math.Max(1, math.Abs(float64(generic[i]))) {
				t.Fatalf("%s: output[%d] = %v with Winograd, %v with the generic executor", name, i, fast[i], generic[i])
			}
		}
	}
}

// TestConvWinogradMinPixels checks that maps below the threshold (default: 32×32 output pixels
// over the batch, 16×16 for a constant kernel, whose transform the kernel cache keeps) and
// convolutions with fewer than 16 input channels go to im2col, the others to Winograd.
func TestConvWinogradMinPixels(t *testing.T) {
	enabled, cache := ops.SetConvWinograd(true), ops.SetConvKernelCache(true)
	t.Cleanup(func() { ops.SetConvIm2col(true); ops.SetConvWinograd(enabled); ops.SetConvKernelCache(cache) })
	ops.SetConvIm2col(true)
	r := rand.New(rand.NewPCG(9, 10))
	axes := compute.ConvolveAxesConfig{
		InputBatch: 0, InputChannels: 1, InputSpatial: []int{2, 3},
		KernelOutputChannels: 0, KernelInputChannels: 1, KernelSpatial: []int{2, 3},
		OutputBatch: 0, OutputChannels: 1, OutputSpatial: []int{2, 3},
	}
	for _, c := range []struct {
		batch, cin, h, w   int
		constant, winograd bool
	}{
		{1, 16, 31, 32, false, false}, {1, 16, 32, 32, false, true}, {2, 16, 16, 32, false, true}, {2, 16, 16, 31, false, false},
		{1, 8, 64, 64, false, false}, {1, 16, 16, 16, false, false},
		{1, 16, 16, 16, true, true}, {1, 16, 15, 16, true, false}, {2, 16, 8, 16, true, true}, {1, 8, 32, 32, true, false},
	} {
		inputShape, kernelShape := shapes.Make(dtypes.Float32, c.batch, c.cin, c.h, c.w), shapes.Make(dtypes.Float32, 4, c.cin, 3, 3)
		name := fmt.Sprintf("b%d_c%d_%dx%d_constant=%v", c.batch, c.cin, c.h, c.w, c.constant)
		exec := compileConv(t, name, inputShape, kernelShape, nil, axes)
		kernel := makeBuffer(t, kernelShape, randomFloats(r, kernelShape.Size()))
		if c.constant {
			kernel.MarkConstant()
		}
		runs, im2colRuns := ops.ConvWinogradRuns(), ops.ConvIm2colRuns()
		if _, err := exec.Execute([]compute.Buffer{makeBuffer(t, inputShape, randomFloats(r, inputShape.Size())), kernel}, []bool{false, false}, 0); err != nil {
			t.Fatalf("%s: %+v", name, err)
		}
		if ran := ops.ConvWinogradRuns() == runs+1; ran != c.winograd || ops.ConvIm2colRuns() != im2colRuns+1 {
			t.Errorf("%s: Winograd ran: %v, want %v (fast path runs: %d)", name, ran, c.winograd, ops.ConvIm2colRuns()-im2colRuns)
		}
	}
}

// TestConvIm2colMatchesGenericWithoutWinograd runs TestConvIm2colMatchesGeneric's cases with the
// Winograd path off, so that im2col itself still runs (and is checked on) the 3×3 stride-1 ones.
func TestConvIm2colMatchesGenericWithoutWinograd(t *testing.T) {
	previous := ops.SetConvWinograd(false)
	t.Cleanup(func() { ops.SetConvWinograd(previous); ops.SetConvIm2col(true) })
	ops.SetConvIm2col(true)
	testConvIm2colMatchesGeneric(t)
}

func abs(v []float32) []float32 {
	a := make([]float32, len(v))
	for i, x := range v {
		a[i] = float32(math.Abs(float64(x)))
	}
	return a
}

// BenchmarkConvWinograd times VGG19's convolutions (channels first, padding 1, batch 1), forward
// (OIHW kernel) and input gradient (the kernel read as IOHW with its spatial axes reversed),
// through the Winograd path (whatever the map's size: the threshold is set to 0) and through
// im2col, in the same run; with a kernel derived at each execution, and with a constant one (the
// kernel cache keeps its derived forms, as for estil's frozen weights; in an evaluation the
// kernels come from memory, here from the caches):
//
//	go test ./internal/gobackend/ops -run '^$' -bench ConvWinograd
func BenchmarkConvWinograd(b *testing.B) {
	layers := []struct {
		name      string
		cin, cout int
		size      int
	}{
		{"conv1_1", 3, 64, 128},
		{"conv1_2", 64, 64, 128},
		{"conv1_2@256px", 64, 64, 256},
		{"conv2_2", 128, 128, 64},
		{"conv3_2", 256, 256, 32},
		{"conv3_2@64px", 256, 256, 16},
		{"conv4_2@256px", 512, 512, 32},
		{"conv4_2@192px", 512, 512, 24},
		{"conv4_2", 512, 512, 16},
		{"conv5_1", 512, 512, 8},
		{"conv5_1@64px", 512, 512, 4},
	}
	for _, layer := range layers {
		for _, gradient := range []bool{false, true} {
			for _, constant := range []bool{false, true} {
				for _, winograd := range []bool{true, false} {
					name := fmt.Sprintf("%s_%dx%d_%d->%d/grad=%v/constant=%v/winograd=%v", layer.name, layer.size, layer.size,
						layer.cin, layer.cout, gradient, constant, winograd)
					b.Run(name, func(b *testing.B) {
						previous, restoreMinPixels := ops.SetConvWinograd(winograd), ops.SetConvWinogradMinPixels(0)
						defer func() { ops.SetConvWinograd(previous); restoreMinPixels() }()
						benchmarkConv3x3Kernel(b, layer.cin, layer.cout, layer.size, gradient, constant)
					})
				}
			}
		}
	}
}

func benchmarkConv3x3(b *testing.B, cin, cout, size int, gradient bool) {
	benchmarkConv3x3Kernel(b, cin, cout, size, gradient, false)
}

// benchmarkConv3x3Kernel is benchmarkConv3x3 with the kernel's buffer marked constant or not (a
// constant kernel's derived forms are kept by patch 13's cache, as for estil's frozen weights).
func benchmarkConv3x3Kernel(b *testing.B, cin, cout, size int, gradient, constantKernel bool) {
	axes := compute.ConvolveAxesConfig{
		InputBatch: 0, InputChannels: 1, InputSpatial: []int{2, 3},
		KernelOutputChannels: 0, KernelInputChannels: 1, KernelSpatial: []int{2, 3},
		OutputBatch: 0, OutputChannels: 1, OutputSpatial: []int{2, 3},
	}
	kernelShape := shapes.Make(dtypes.Float32, cout, cin, 3, 3)
	if gradient {
		// The gradient of cin → cout: cout → cin on the forward's kernel, read as IOHW.
		axes.KernelOutputChannels, axes.KernelInputChannels = 1, 0
		cin, cout = cout, cin
	}
	inputShape := shapes.Make(dtypes.Float32, 1, cin, size, size)
	builder := backend.Builder("winograd-bench")
	fn := builder.Main()
	x, err := fn.Parameter("x", inputShape, nil)
	if err != nil {
		b.Fatal(err)
	}
	k, err := fn.Parameter("k", kernelShape, nil)
	if err != nil {
		b.Fatal(err)
	}
	if gradient {
		if k, err = fn.Reverse(k, 2, 3); err != nil {
			b.Fatal(err)
		}
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
	if constantKernel {
		inputs[1].(*gobackend.Buffer).MarkConstant()
	}
	flops := 2 * float64(cin*cout*9*size*size)
	for b.Loop() {
		out, err := exec.Execute(inputs, nil, 0)
		if err != nil {
			b.Fatal(err)
		}
		backend.PutBuffer(out[0].(*gobackend.Buffer))
	}
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s(direct)")
}
