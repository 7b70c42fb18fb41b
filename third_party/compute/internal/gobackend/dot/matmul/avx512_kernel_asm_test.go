// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64 && goexperiment.simd

package matmul

import (
	"math"
	"math/rand/v2"
	"os"
	"simd/archsimd"
	"testing"
)

// TestAVX512KernelAsmMatchesArchsimd runs the assembly micro-kernel (estil patch) and the archsimd
// one it replaces on the same random packed panels, with random panel sizes, contracting lengths
// and partial tiles, and compares their packed outputs. The outputs start as NaN: both kernels
// must overwrite the active part of the tile, not accumulate into it.
func TestAVX512KernelAsmMatchesArchsimd(t *testing.T) {
	if !archsimd.X86.AVX512() {
		// CI runs on an AVX-512 machine (estil's .ci/run sets CI): there a skip would hide the kernel.
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set but AVX512 is not supported on this CPU")
		}
		t.Skip("AVX512 is not supported on this CPU")
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 300 {
		params := AVX512ParamsFloat32
		contractingLen := 1 + r.IntN(params.PanelContractingSize)
		lhsActiveRows := 1 + r.IntN(params.LHSPanelCrossSize)
		rhsActiveCols := 1 + r.IntN(params.RHSPanelCrossSize)
		packedLHS := make([]float32, params.LHSPanelCrossSize*contractingLen)
		packedRHS := make([]float32, params.RHSPanelCrossSize*contractingLen)
		for i := range packedLHS {
			packedLHS[i] = float32(r.NormFloat64())
		}
		for i := range packedRHS {
			packedRHS[i] = float32(r.NormFloat64())
		}
		want := make([]float32, params.LHSPanelCrossSize*params.RHSPanelCrossSize)
		got := make([]float32, len(want))
		for i := range want {
			want[i], got[i] = float32(math.NaN()), float32(math.NaN())
		}
		avx512LargeKernelFloat32(packedLHS, packedRHS, want, params.LHSPanelCrossSize, params.RHSPanelCrossSize,
			contractingLen, lhsActiveRows, rhsActiveCols)
		avx512LargeKernelAsmFloat32(packedLHS, packedRHS, got, params.LHSPanelCrossSize, params.RHSPanelCrossSize,
			contractingLen, lhsActiveRows, rhsActiveCols)
		for row := range lhsActiveRows {
			for col := range rhsActiveCols {
				i := row*params.RHSPanelCrossSize + col
				d := math.Abs(float64(got[i] - want[i]))
				if math.IsNaN(d) || d > 1e-5*math.Max(1, math.Abs(float64(want[i]))) {
					t.Fatalf("k=%d rows=%d cols=%d: output[%d][%d] = %v (assembly), %v (archsimd)",
						contractingLen, lhsActiveRows, rhsActiveCols, row, col, got[i], want[i])
				}
			}
		}
	}
}
