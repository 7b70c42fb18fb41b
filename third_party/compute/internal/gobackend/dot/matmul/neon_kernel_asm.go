// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build arm64

package matmul

// An assembly micro-kernel for the float32 NEON matmul on arm64 (a patch carried by estil; see
// third_party/PATCHES.md, patch 8).
//
// Go has no SIMD intrinsics for arm64, so without it arm64 runs the generic Go kernel
// (largeNoSIMDPanel, a 2×4 tile of scalar multiply-adds). neonKernel8x8Float32 keeps an 8×8
// output tile in 16 NEON registers (4 float32 lanes each) and, per contracting step, loads 8
// values of the packed RHS, broadcasts 8 values of the packed LHS (two LD4R) and issues 16 vector
// multiply-adds (64 scalar ones).

import "unsafe"

const (
	// neonKernelRows and neonKernelCols are the tile computed by neonKernel8x8Float32: they must
	// match NEONParamsFloat32.LHSL1KernelRows and RHSL1KernelCols.
	neonKernelRows = 8
	neonKernelCols = 8
)

// neonKernel8x8Float32 computes one 8×8 output tile: for r in 0..7,
// out[r·outStride : r·outStride+8] = Σ_k lhs[8k+r] · rhs[8k : 8k+8], with lhs and rhs the packed
// strips (lhs [contractingLen][8], rhs [contractingLen][8]) and outStride in bytes. It overwrites
// the 8×8 tile (contractingLen 0 writes zeros) and touches nothing else. It does no bounds
// checks: neonPanelFloat32 does them.
//
//go:noescape
func neonKernel8x8Float32(lhs, rhs, out unsafe.Pointer, contractingLen, outStride uintptr)

// neonPanelFloat32 multiplies a packed LHS panel by a packed RHS panel into packedOutput (row
// stride rhsPanelCols), 8×8 tiles at a time with neonKernel8x8Float32; it has the arguments and
// the result of the generic largeNoSIMDPanel (for 8×8 tiles instead of 2×4).
//
// packedLHS holds ceil(lhsActiveRows/8) strips of [contractingLen][8] (unsafePackLHS with
// kernelRows 8), packedRHS ceil(rhsActiveCols/8) strips of [contractingLen][8] (packRHS, or
// unsafePackLHS for a transposed RHS); the last strip of each is zero-padded. The output's active
// part [lhsActiveRows, rhsActiveCols] is overwritten; the padding of the last tiles (up to the
// next multiple of 8 in each direction) is written with don't-care values, so packedOutput must
// hold them: it panics if a tile would fall outside any of the three slices.
func neonPanelFloat32(
	packedLHS, packedRHS []float32,
	packedOutput []float32,
	lhsPanelRows, rhsPanelCols int,
	contractingLen int,
	lhsActiveRows, rhsActiveCols int,
) {
	_ = lhsPanelRows // Not needed.
	if lhsActiveRows <= 0 || rhsActiveCols <= 0 || contractingLen < 0 {
		return
	}
	paddedRows := (lhsActiveRows + neonKernelRows - 1) / neonKernelRows * neonKernelRows
	paddedCols := (rhsActiveCols + neonKernelCols - 1) / neonKernelCols * neonKernelCols
	// Bounds: every tile reads and writes within these (panels are padded to whole tiles), and
	// output rows do not overlap.
	if rhsPanelCols < paddedCols {
		panic("neonPanelFloat32: rhsPanelCols is smaller than the active columns rounded up to a tile")
	}
	if len(packedLHS) < contractingLen*paddedRows || len(packedRHS) < contractingLen*paddedCols ||
		len(packedOutput) < (paddedRows-1)*rhsPanelCols+paddedCols {
		panic("neonPanelFloat32: a packed panel or the packed output is too short for the active tiles")
	}
	lhsBase := unsafe.Pointer(unsafe.SliceData(packedLHS))
	rhsBase := unsafe.Pointer(unsafe.SliceData(packedRHS))
	outBase := unsafe.Pointer(unsafe.SliceData(packedOutput))
	const bytesPerFloat = 4
	outStride := uintptr(rhsPanelCols * bytesPerFloat)
	for row := 0; row < lhsActiveRows; row += neonKernelRows {
		lhs := unsafe.Add(lhsBase, row*contractingLen*bytesPerFloat)
		for col := 0; col < rhsActiveCols; col += neonKernelCols {
			neonKernel8x8Float32(lhs,
				unsafe.Add(rhsBase, col*contractingLen*bytesPerFloat),
				unsafe.Add(outBase, (row*rhsPanelCols+col)*bytesPerFloat),
				uintptr(contractingLen), outStride)
		}
	}
}
