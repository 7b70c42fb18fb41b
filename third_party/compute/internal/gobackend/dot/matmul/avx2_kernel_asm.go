// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64 && goexperiment.simd

package matmul

// An assembly micro-kernel for the float32 AVX2 matmul (a patch carried by estil; see
// third_party/PATCHES.md).
//
// avx2LargeKernelFloat32 computes the same 4×16 tiles with archsimd, but Go's compiler has only
// the VFMADD213PS form, which overwrites a multiplicand: it copies an operand before each
// multiply-add, broadcasts the left-hand values through a register, and moves the 8 accumulators
// back into place at the end of every iteration, so the loop runs many more instructions than
// its 8 multiply-adds. The assembly version accumulates in place (VFMADD231PS) and broadcasts
// straight from memory: 2 loads, 4 broadcast-loads and 8 multiply-adds per step, unrolled by 4.

import (
	"simd/archsimd"
	"unsafe"
)

// avx2AsmKernelOK says whether avx2Kernel4x16Float32 can run: it needs AVX2 and FMA. The AVX2
// implementation (the only caller) is registered only when archsimd.X86.AVX2() holds, and every
// x86 CPU with AVX2 also has FMA (Haswell and later, Excavator and later); FMA is checked all the
// same, and without it the archsimd kernel runs (as upstream).
var avx2AsmKernelOK = archsimd.X86.AVX2() && archsimd.X86.FMA()

// avx2Kernel4x16Float32 computes one 4×16 output tile: for r in 0..3,
// out[r·outStride : r·outStride+16] = Σ_k lhs[4k+r] · rhs[16k : 16k+16], with lhs and rhs the
// packed panels (lhs [contractingLen][4], rhs [contractingLen][16]) and outStride in bytes.
//
//go:noescape
func avx2Kernel4x16Float32(lhs, rhs, out unsafe.Pointer, contractingLen, outStride uintptr)

// avx2LargeKernelAsmFloat32 is avx2LargeKernelFloat32 (same arguments, same result) with each
// tile computed by avx2Kernel4x16Float32.
func avx2LargeKernelAsmFloat32(
	packedLHS, packedRHS []float32,
	packedOutput []float32,
	lhsPanelRows, rhsPanelCols int,
	contractingLen int,
	lhsActiveRows, rhsActiveCols int,
) {
	if !avx2AsmKernelOK {
		avx2LargeKernelFloat32(packedLHS, packedRHS, packedOutput, lhsPanelRows, rhsPanelCols,
			contractingLen, lhsActiveRows, rhsActiveCols)
		return
	}
	_ = lhsPanelRows // Not needed.
	const kernelRows, kernelCols = 4, 16
	if contractingLen == 0 || lhsActiveRows == 0 || rhsActiveCols == 0 {
		return
	}
	// Bounds: the tiles below read and write within these (panels are padded to whole tiles).
	_ = packedLHS[contractingLen*((lhsActiveRows+kernelRows-1)/kernelRows*kernelRows)-1]
	_ = packedRHS[contractingLen*((rhsActiveCols+kernelCols-1)/kernelCols*kernelCols)-1]
	_ = packedOutput[((lhsActiveRows+kernelRows-1)/kernelRows*kernelRows-1)*rhsPanelCols+(rhsActiveCols+kernelCols-1)/kernelCols*kernelCols-1]
	outStride := uintptr(rhsPanelCols * 4)
	// Column strips outer, row strips inner (BLIS's order): one RHS strip (16 × contractingLen,
	// 8 KB at 128) stays in L1 while every LHS strip of the panel passes over it. With rows
	// outer, each tile streamed its RHS strip from L2: the panel ran at 34 GFLOP/s per core
	// instead of 74 (BenchmarkZZAVX2Asm, notes/issue-22/avx2.md).
	for col := 0; col < rhsActiveCols; col += kernelCols {
		rhs := unsafe.Pointer(&packedRHS[col*contractingLen])
		for row := 0; row < lhsActiveRows; row += kernelRows {
			avx2Kernel4x16Float32(unsafe.Pointer(&packedLHS[row*contractingLen]), rhs,
				unsafe.Pointer(&packedOutput[row*rhsPanelCols+col]), uintptr(contractingLen), outStride)
		}
	}
}
