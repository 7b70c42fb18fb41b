// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/internal/gobackend/dot"
	"github.com/gomlx/compute/internal/gobackend/ops"
	"github.com/gomlx/compute/shapes"
)

// TestConvKernelCache runs a gradient-style convolution (the kernel's channel axes swapped and
// its spatial axes reversed: the im2col path packs it) and a Winograd one, each several times on
// one compiled executable. With the kernel's buffer marked constant the second run uses the kept
// kernel and gives the same output, bit for bit, as without the cache; a buffer not marked, and
// a constant one with other contents (a new promise), are derived afresh, never served stale.
func TestConvKernelCache(t *testing.T) {
	enabled, restoreMinPixels := ops.SetConvKernelCache(true), ops.SetConvWinogradMinPixels(0)
	t.Cleanup(func() { ops.SetConvKernelCache(enabled); restoreMinPixels() })
	r := rand.New(rand.NewPCG(13, 17))
	axes := compute.ConvolveAxesConfig{
		InputBatch: 0, InputChannels: 1, InputSpatial: []int{2, 3},
		KernelInputChannels: 0, KernelOutputChannels: 1, KernelSpatial: []int{2, 3}, // IOHW: swapped
		OutputBatch: 0, OutputChannels: 1, OutputSpatial: []int{2, 3},
	}
	const cin, cout = 16, 24
	inputShape, kernelShape := shapes.Make(dtypes.Float32, 1, cin, 12, 10), shapes.Make(dtypes.Float32, cin, cout, 3, 3)
	for _, winograd := range []bool{false, true} {
		name := fmt.Sprintf("winograd=%v", winograd)
		previous := ops.SetConvWinograd(winograd)
		exec := compileConv(t, name, inputShape, kernelShape, []int{2, 3}, axes)
		input, kernel, other := randomFloats(r, inputShape.Size()), randomFloats(r, kernelShape.Size()), randomFloats(r, kernelShape.Size())
		run := func(k *gobackend.Buffer) []float32 {
			t.Helper()
			out, err := exec.Execute([]compute.Buffer{makeBuffer(t, inputShape, input), k}, []bool{false, false}, 0)
			if err != nil {
				t.Fatalf("%s: %+v", name, err)
			}
			result := out[0].(*gobackend.Buffer)
			return slices.Clone(result.Flat.([]float32)[:result.RawShape.Size()])
		}
		ops.SetConvKernelCache(false)
		want, wantOther := run(makeBuffer(t, kernelShape, kernel)), run(makeBuffer(t, kernelShape, other))
		ops.SetConvKernelCache(true)

		derived, hits := ops.ConvKernelCacheCounts()
		plain := makeBuffer(t, kernelShape, kernel)
		if got := run(plain); !slices.Equal(got, want) || counts(derived, hits) != "0 derived, 0 hits" {
			t.Errorf("%s, a kernel not marked constant: %s since the start (want none), same output %v", name, counts(derived, hits), slices.Equal(got, want))
		}
		constant := makeBuffer(t, kernelShape, kernel)
		constant.MarkConstant()
		derived, hits = ops.ConvKernelCacheCounts()
		for i := range 3 {
			if got := run(constant); !slices.Equal(got, want) {
				t.Fatalf("%s, run %d with a constant kernel: the output differs from the uncached one", name, i+1)
			}
		}
		if c := counts(derived, hits); c != "1 derived, 2 hits" {
			t.Errorf("%s: three runs with a constant kernel: %s, want 1 derived, 2 hits", name, c)
		}
		// The same buffer given other contents under a new promise (as a pooled buffer handed out
		// again would be) is derived again.
		copy(constant.Flat.([]float32), other)
		constant.MarkConstant()
		if got := run(constant); !slices.Equal(got, wantOther) {
			t.Errorf("%s: after a new promise with other contents, the kept kernel of the old ones was used", name)
		}
		if err := constant.Finalize(); err != nil {
			t.Fatal(err)
		}
		if constant.Constant() != 0 {
			t.Errorf("%s: a released buffer still counts as constant", name)
		}
		ops.SetConvWinograd(previous)
	}
}

// TestConvKernelCacheKeepsOneFormPerUse runs one constant kernel through four convolutions of
// the same network at two sizes, as VGG19's weights are between runs at 64 and 256 px: forward
// and as the input gradient reads it (spatial axes reversed), first by im2col, then by Winograd.
// The cache keeps one derived form per way of reading the kernel: the path a size no longer takes
// gives its entry up (up to 120 MB over VGG19's sizes), and the forward and gradient forms are
// kept side by side. The outputs stay those of the uncached convolutions.
func TestConvKernelCacheKeepsOneFormPerUse(t *testing.T) {
	enabled, winograd, restoreMinPixels := ops.SetConvKernelCache(true), ops.SetConvWinograd(true), ops.SetConvWinogradMinPixels(0)
	t.Cleanup(func() {
		ops.SetConvKernelCache(enabled)
		ops.SetConvWinograd(winograd)
		restoreMinPixels()
	})
	r := rand.New(rand.NewPCG(28, 3))
	forwardAxes := compute.ConvolveAxesConfig{
		InputBatch: 0, InputChannels: 1, InputSpatial: []int{2, 3},
		KernelOutputChannels: 0, KernelInputChannels: 1, KernelSpatial: []int{2, 3},
		OutputBatch: 0, OutputChannels: 1, OutputSpatial: []int{2, 3},
	}
	gradientAxes := forwardAxes
	gradientAxes.KernelOutputChannels, gradientAxes.KernelInputChannels = 1, 0 // IOHW
	const c = 64                                                               // as many channels in as out; products large enough to be packed (patch 28)
	kernelShape := shapes.Make(dtypes.Float32, c, c, 3, 3)
	kernelValues := randomFloats(r, kernelShape.Size())
	kernel := makeBuffer(t, kernelShape, kernelValues)
	kernel.MarkConstant()
	// By im2col, the forward kernel is already the product's matrix: it is kept only packed for
	// the matmul, where the matmul takes it so.
	forwardIm2col := 0
	if dot.FindRegisteredImplementation(dot.LayoutNonTransposed, dtypes.Float32, dtypes.Float32).PrepackedLHSFloat32() != nil {
		forwardIm2col = 1
	}
	steps := []struct {
		name           string
		gradient, wino bool
		want           int // derived forms of the kernel kept after the step
	}{
		{"forward by im2col", false, false, forwardIm2col},
		{"gradient by im2col", true, false, forwardIm2col + 1},
		{"forward by Winograd", false, true, 2}, // replaces the forward im2col form
		{"gradient by Winograd", true, true, 2}, // replaces the gradient im2col form
		{"forward by Winograd again", false, true, 2},
	}
	for _, step := range steps {
		ops.SetConvWinograd(step.wino)
		axes, reverse := forwardAxes, []int(nil)
		if step.gradient {
			axes, reverse = gradientAxes, []int{2, 3}
		}
		inputShape := shapes.Make(dtypes.Float32, 1, c, 16, 16)
		exec := compileConv(t, step.name, inputShape, kernelShape, reverse, axes)
		input := randomFloats(r, inputShape.Size())
		run := func(k *gobackend.Buffer) []float32 {
			t.Helper()
			out, err := exec.Execute([]compute.Buffer{makeBuffer(t, inputShape, input), k}, []bool{false, false}, 0)
			if err != nil {
				t.Fatalf("%s: %+v", step.name, err)
			}
			result := out[0].(*gobackend.Buffer)
			return slices.Clone(result.Flat.([]float32)[:result.RawShape.Size()])
		}
		want := run(makeBuffer(t, kernelShape, kernelValues)) // not constant: derived afresh
		for i := range 2 {
			if got := run(kernel); !slices.Equal(got, want) {
				t.Fatalf("%s, run %d: the output differs from the uncached convolution's", step.name, i+1)
			}
		}
		if got := ops.ConvKernelCacheEntriesOf(kernel); got != step.want {
			t.Errorf("after %s: the cache holds %d forms of the kernel, want %d", step.name, got, step.want)
		}
	}
}

// counts says how many kernels the cache derived and used since derived0, hits0.
func counts(derived0, hits0 int64) string {
	derived, hits := ops.ConvKernelCacheCounts()
	return fmt.Sprintf("%d derived, %d hits", derived-derived0, hits-hits0)
}

// compileConv builds and compiles one ConvGeneral of a kernel whose spatial axes reverse reads
// backwards (as GoMLX's gradient with respect to the input does; none if reverse is empty).
func compileConv(t *testing.T, name string, inputShape, kernelShape shapes.Shape, reverse []int, axes compute.ConvolveAxesConfig) compute.Executable {
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
	if len(reverse) > 0 {
		if k, err = fn.Reverse(k, reverse...); err != nil {
			t.Fatal(err)
		}
	}
	y, err := fn.ConvGeneral(x, k, axes, []int{1, 1}, [][2]int{{1, 1}, {1, 1}}, nil, []int{1, 1}, 1, 1)
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
	return exec
}
