// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/internal/gobackend/dot"
	"github.com/gomlx/compute/internal/gobackend/ops"
	"github.com/gomlx/compute/shapes"
)

// TestConvPrepackedMatchesPacking runs channels-first 3×3 convolutions with a constant kernel,
// by im2col and by Winograd, forward (OIHW) and as GoMLX's input gradient reads the kernel (IOHW,
// spatial axes reversed), three times each: with the kernel kept packed for the matmul (patch 28)
// and with the matmul packing it at each call. The packed values, the micro-kernel and the order
// of the sums are the same, so the outputs must be equal bit for bit; the sizes put the channel
// counts off the 4-row strips and the contracting length off the 128-wide blocks. Counters check
// that the packed path ran when on (from the second run, a kept kernel) and not when off.
func TestConvPrepackedMatchesPacking(t *testing.T) {
	defer useAVX512MatMul()()
	if dot.FindRegisteredImplementation(dot.LayoutNonTransposed, dtypes.Float32, dtypes.Float32).PrepackedLHSFloat32() == nil {
		if os.Getenv("CI") != "" { // estil's CI machines have AVX-512: a skip there would hide this test
			t.Fatal("CI: the float32 matmul takes no packed LHS (no AVX-512, or GOEXPERIMENT=simd unset)")
		}
		t.Skip("the float32 matmul takes no packed LHS here")
	}
	t.Cleanup(func() {
		ops.SetConvPrepacked(true)
		ops.SetConvWinograd(true)
		ops.SetConvKernelCache(true)
		ops.SetConvIm2col(true)
	})
	defer ops.SetConvWinogradMinPixels(0)()
	ops.SetConvKernelCache(true)
	ops.SetConvIm2col(true)
	r := rand.New(rand.NewPCG(28, 2))
	cases := []struct{ cin, cout, h, w int }{
		{64, 64, 16, 16}, {130, 27, 24, 14}, {256, 96, 8, 8}, {48, 130, 13, 13}, {512, 64, 8, 9},
	}
	for _, c := range cases {
		for _, forward := range []bool{true, false} {
			for _, winograd := range []bool{false, true} {
				ops.SetConvWinograd(winograd)
				name := fmt.Sprintf("in%d_out%d_%dx%d_forward=%v_winograd=%v", c.cin, c.cout, c.h, c.w, forward, winograd)
				axes := compute.ConvolveAxesConfig{
					InputBatch: 0, InputChannels: 1, InputSpatial: []int{2, 3},
					KernelOutputChannels: 0, KernelInputChannels: 1, KernelSpatial: []int{2, 3},
					OutputBatch: 0, OutputChannels: 1, OutputSpatial: []int{2, 3},
				}
				kernelShape := shapes.Make(dtypes.Float32, c.cout, c.cin, 3, 3)
				var reverse []int
				if !forward {
					axes.KernelOutputChannels, axes.KernelInputChannels = 1, 0
					kernelShape = shapes.Make(dtypes.Float32, c.cin, c.cout, 3, 3)
					reverse = []int{2, 3}
				}
				inputShape := shapes.Make(dtypes.Float32, 1, c.cin, c.h, c.w)
				exec := compileConv(t, name, inputShape, kernelShape, reverse, axes)
				input := makeBuffer(t, inputShape, randomFloats(r, inputShape.Size()))
				kernel := makeBuffer(t, kernelShape, randomFloats(r, kernelShape.Size()))
				kernel.MarkConstant()
				run := func(on bool) (out []float32, packedRuns int64) {
					t.Helper()
					ops.SetConvPrepacked(on)
					before := ops.ConvPrepackedRuns()
					res, err := exec.Execute([]compute.Buffer{input, kernel}, []bool{false, false}, 0)
					if err != nil {
						t.Fatalf("%s: %+v", name, err)
					}
					result := res[0].(*gobackend.Buffer)
					return slices.Clone(result.Flat.([]float32)[:result.RawShape.Size()]), ops.ConvPrepackedRuns() - before
				}
				want, offRuns := run(false)
				if offRuns != 0 {
					t.Errorf("%s: the packed path ran %d times while off", name, offRuns)
				}
				for i := range 3 {
					got, onRuns := run(true)
					if onRuns != 1 {
						t.Errorf("%s, run %d: the packed path ran %d times, want 1", name, i+1, onRuns)
					}
					if !slices.Equal(got, want) {
						for j := range got {
							if got[j] != want[j] {
								t.Fatalf("%s, run %d: out[%d] = %v from the packed kernel, %v packing at each call", name, i+1, j, got[j], want[j])
							}
						}
					}
				}
			}
		}
	}
}
