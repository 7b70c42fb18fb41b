// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64 && goexperiment.simd

package matmul

// An assembly micro-kernel for the float32 AVX-512 matmul (a patch carried by estil; see
// third_party/PATCHES.md).
//
// avx512LargeKernelFloat32 computes the same 4×32 tiles with archsimd, but Go's compiler has only
// the VFMADD213PS form, which overwrites a multiplicand: it copies an operand before each
// multiply-add, broadcasts the left-hand values through a register (the FMA ports' port 5), and
// moves the 8 accumulators back into place at the end of every iteration, so the loop runs ~40
// instructions for 8 multiply-adds. The assembly version accumulates in place (VFMADD231PS) and
// broadcasts straight from memory: 2 loads, 4 broadcast-loads and 8 multiply-adds per step.

import (
	"unsafe"

	"github.com/gomlx/compute/support/envutil"
)

// avx512Kernel4x32Float32 computes one 4×32 output tile: for r in 0..3,
// out[r·outStride : r·outStride+32] = Σ_k lhs[4k+r] · rhs[32k : 32k+32], with lhs and rhs the
// packed panels (lhs [contractingLen][4], rhs [contractingLen][32]) and outStride in bytes; with
// add != 0 it adds the tile to what out holds (+=) instead.
//
//go:noescape
func avx512Kernel4x32Float32(lhs, rhs, out unsafe.Pointer, contractingLen, outStride, add uintptr)

// avx512Kernel4x32StreamFloat32 is avx512Kernel4x32Float32 for an lhs that comes from memory (a
// panel of an LHS packed ahead of time, estil patch 28): it prefetches the lhs 2 KB ahead.
//
//go:noescape
func avx512Kernel4x32StreamFloat32(lhs, rhs, out unsafe.Pointer, contractingLen, outStride, add uintptr)

// avx512LargeKernelAsmFloat32 is avx512LargeKernelFloat32 (same arguments, same result) with
// each tile computed by avx512Kernel4x32Float32.
func avx512LargeKernelAsmFloat32(
	packedLHS, packedRHS []float32,
	packedOutput []float32,
	lhsPanelRows, rhsPanelCols int,
	contractingLen int,
	lhsActiveRows, rhsActiveCols int,
) {
	_ = lhsPanelRows // Not needed.
	const kernelRows, kernelCols = 4, 32
	if contractingLen == 0 || lhsActiveRows == 0 || rhsActiveCols == 0 {
		return
	}
	// Bounds: the tiles below read and write within these (panels are padded to whole tiles).
	_ = packedLHS[contractingLen*((lhsActiveRows+kernelRows-1)/kernelRows*kernelRows)-1]
	_ = packedRHS[contractingLen*((rhsActiveCols+kernelCols-1)/kernelCols*kernelCols)-1]
	_ = packedOutput[((lhsActiveRows+kernelRows-1)/kernelRows*kernelRows-1)*rhsPanelCols+(rhsActiveCols+kernelCols-1)/kernelCols*kernelCols-1]
	outStride := uintptr(rhsPanelCols * 4)
	for row := 0; row < lhsActiveRows; row += kernelRows {
		lhs := unsafe.Pointer(&packedLHS[row*contractingLen])
		for col := 0; col < rhsActiveCols; col += kernelCols {
			avx512Kernel4x32Float32(lhs, unsafe.Pointer(&packedRHS[col*contractingLen]),
				unsafe.Pointer(&packedOutput[row*rhsPanelCols+col]), uintptr(contractingLen), outStride, 0)
		}
	}
}

// MatMulIntoOutputEnv is the environment variable that turns off, when "false", the float32
// AVX-512 kernel's writing straight into the output (avx512KernelIntoOutputFloat32).
const MatMulIntoOutputEnv = "GOMLX_MATMUL_INTO_OUTPUT"

var avx512KernelIntoOutputEnabled = envutil.MustReadBool(MatMulIntoOutputEnv, true)

// avx512KernelIntoOutputFloat32 computes the tiles of one pair of packed panels, as
// avx512LargeKernelAsmFloat32 does, but straight into the output matrix: it writes them for the
// first contracting panel (accumulate false) and adds them for the later ones. The packed output
// and its copy (avx512ApplyPackedOutputFloat32), which read and wrote the whole output once per
// contracting panel (Kc = 128, so 18 times for a 3×3 convolution of 256 channels), are skipped.
// It runs only where the panel is whole tiles (height a multiple of 4, width of 32); it reports
// whether it ran, and the caller takes the packed path where it did not.
func avx512KernelIntoOutputFloat32(
	packedLHS, packedRHS, output []float32,
	rowOffset, colOffset, outputRowStride int,
	contractingLen, height, width int,
	accumulate, streamLHS bool,
) bool {
	const kernelRows, kernelCols = 4, 32
	if !avx512KernelIntoOutputEnabled || contractingLen == 0 || height == 0 || width == 0 ||
		height%kernelRows != 0 || width%kernelCols != 0 {
		return false
	}
	// Bounds: every tile below reads and writes within these.
	_ = packedLHS[contractingLen*height-1]
	_ = packedRHS[contractingLen*width-1]
	_ = output[(rowOffset+height-1)*outputRowStride+colOffset+width-1]
	outStride := uintptr(outputRowStride * 4)
	add := uintptr(0)
	if accumulate {
		add = 1
	}
	for row := 0; row < height; row += kernelRows {
		lhs := unsafe.Pointer(&packedLHS[row*contractingLen])
		for col := 0; col < width; col += kernelCols {
			rhs := unsafe.Pointer(&packedRHS[col*contractingLen])
			out := unsafe.Pointer(&output[(rowOffset+row)*outputRowStride+colOffset+col])
			if streamLHS && col == 0 { // the strip's first tile reads it from memory, the others from L1
				avx512Kernel4x32StreamFloat32(lhs, rhs, out, uintptr(contractingLen), outStride, add)
				continue
			}
			avx512Kernel4x32Float32(lhs, rhs, out, uintptr(contractingLen), outStride, add)
		}
	}
	return true
}
