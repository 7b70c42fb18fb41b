// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64 && goexperiment.simd

package matmul

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAVX512KernelAsmMatchesArchsimd runs the assembly micro-kernel (estil patch) and the archsimd
// one it replaces on the same random packed panels, with random panel sizes, contracting lengths
// and partial tiles, and compares their packed outputs. The outputs start as NaN: both kernels
// must overwrite the active part of the tile, not accumulate into it.
func TestAVX512KernelAsmMatchesArchsimd(t *testing.T) {
	requireAVX512(t)
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

// TestAVX512KernelIntoOutputMatchesPackedPath computes random whole-tile panels both ways: into
// the output directly (avx512KernelIntoOutputFloat32), and through the packed output and its
// copy (avx512LargeKernelAsmFloat32 + avx512ApplyPackedOutputFloat32), writing (first contracting
// panel) and adding (later ones) at random offsets of a larger output. The sums must agree
// within float32 rounding, and nothing outside the panel's place may change, with the plain
// kernel and with the one that prefetches a streamed LHS (estil patch 28). Panels that are not
// whole tiles must be refused, so that the caller takes the packed path.
func TestAVX512KernelIntoOutputMatchesPackedPath(t *testing.T) {
	requireAVX512(t)
	// The switch (GOMLX_MATMUL_INTO_OUTPUT) only stops the large path from calling it.
	defer func(enabled bool) { avx512KernelIntoOutputEnabled = enabled }(avx512KernelIntoOutputEnabled)
	avx512KernelIntoOutputEnabled = true
	params := AVX512ParamsFloat32
	r := rand.New(rand.NewPCG(5, 6))
	for range 200 {
		contractingLen := 1 + r.IntN(params.PanelContractingSize)
		height := 4 * (1 + r.IntN(params.LHSPanelCrossSize/4))
		width := 32 * (1 + r.IntN(params.RHSPanelCrossSize/32))
		rowOffset, colOffset := r.IntN(5), r.IntN(40)
		rowStride := colOffset + width + r.IntN(40)
		accumulate, stream := r.IntN(2) == 1, r.IntN(2) == 1
		packedLHS := make([]float32, params.LHSPanelCrossSize*contractingLen)
		packedRHS := make([]float32, params.RHSPanelCrossSize*contractingLen)
		for i := range packedLHS {
			packedLHS[i] = float32(r.NormFloat64())
		}
		for i := range packedRHS {
			packedRHS[i] = float32(r.NormFloat64())
		}
		want := make([]float32, (rowOffset+height+r.IntN(3))*rowStride)
		for i := range want {
			want[i] = float32(r.NormFloat64())
		}
		got := append([]float32(nil), want...)
		packedOutput := make([]float32, params.LHSPanelCrossSize*params.RHSPanelCrossSize)
		avx512LargeKernelAsmFloat32(packedLHS, packedRHS, packedOutput, params.LHSPanelCrossSize, params.RHSPanelCrossSize,
			contractingLen, height, width)
		avx512ApplyPackedOutputFloat32(packedOutput, want, !accumulate, params.RHSPanelCrossSize,
			rowOffset, colOffset, rowStride, height, width)
		if !avx512KernelIntoOutputFloat32(packedLHS, packedRHS, got, rowOffset, colOffset, rowStride,
			contractingLen, height, width, accumulate, stream) {
			t.Fatalf("k=%d %d×%d: a whole-tile panel was refused", contractingLen, height, width)
		}
		for i := range want {
			d := math.Abs(float64(got[i] - want[i]))
			if math.IsNaN(d) || d > 1e-5*math.Max(1, math.Abs(float64(want[i]))) {
				t.Fatalf("k=%d %d×%d at (%d, %d), stride %d, accumulate=%v, stream=%v: output[%d][%d] = %v, packed path %v",
					contractingLen, height, width, rowOffset, colOffset, rowStride, accumulate, stream,
					i/rowStride, i%rowStride, got[i], want[i])
			}
		}
	}
	for _, c := range []struct{ height, width int }{{3, 32}, {4, 31}, {6, 64}, {8, 48}} {
		out := make([]float32, 24*512)
		if avx512KernelIntoOutputFloat32(make([]float32, 24*8), make([]float32, 512*8), out, 0, 0, 512, 8, c.height, c.width, false, false) {
			t.Errorf("%d×%d: a panel that is not whole tiles was taken", c.height, c.width)
		}
	}
}
