// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64 && goexperiment.simd

package matmul

// The float32 AVX-512 product with its LHS packed ahead of time (a patch carried by estil; see
// third_party/PATCHES.md, patch 28, and dot.PrepackedLHSFloat32).
//
// avx512LargeMatrixSliceFloat32 packs, for each block of Kc = 128 contracting columns and each
// panel of Mc rows, the LHS into strips of 4 rows: strip s holds, for each contracting index k
// of the block, the 4 values lhs[4s..4s+3, k]. The micro-kernel reads strip s at
// s·4·blockWidth of the panel. Packed ahead of time, the whole LHS is, block after block, all its
// strips (rows padded with zeros to a multiple of 4):
//
//	packed[k0·paddedRows + s·4·width + (k−k0)·4 + r] = lhs[4s+r, k]
//
// for the block that starts at k0 (a multiple of 128) and is width wide. The panel of rows
// [r0, r0+h) for that block is then the contiguous slice that starts at k0·paddedRows + r0·width,
// whatever Mc and however the rows were split among the workers (split points are multiples of
// 4): it is read in place, with no copy, and its strips follow one another in memory, which the
// hardware prefetcher streams.

import (
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/internal/gobackend/dot"
)

// avx512LargeFloat32 multiplies with the LHS packed at each call (the upstream behaviour).
func avx512LargeFloat32(backend *gobackend.Backend, layout dot.Layout, lhs, rhs []float32,
	batchSize, lhsCrossSize, rhsCrossSize, contractingSize int, output []float32) {
	avx512LargeWithPackedLHSFloat32(backend, layout, lhs, rhs, nil, batchSize, lhsCrossSize, rhsCrossSize, contractingSize, output)
}

// avx512PaddedRowsFloat32 is the number of rows of a packed LHS: m rounded up to whole strips.
func avx512PaddedRowsFloat32(m int) int {
	rows := AVX512ParamsFloat32.LHSL1KernelRows
	return (m + rows - 1) / rows * rows
}

// avx512PackedLHSSizeFloat32 is the length of batch packed [m, k] LHS matrices.
func avx512PackedLHSSizeFloat32(batch, m, k int) int {
	return batch * avx512PaddedRowsFloat32(m) * k
}

// avx512PackLHSFloat32 packs batch [m, k] matrices into dst, each in the layout above, one after
// the other. It uses the same packing function as the product does at each call, so the values
// the micro-kernel reads are the same.
func avx512PackLHSFloat32(dst, lhs []float32, batch, m, k int) {
	params := AVX512ParamsFloat32
	size := avx512PackedLHSSizeFloat32(1, m, k)
	_ = dst[batch*size-1]
	_ = lhs[batch*m*k-1]
	paddedRows := avx512PaddedRowsFloat32(m)
	for b := range batch {
		matrix, packed := lhs[b*m*k:][:m*k], dst[b*size:][:size]
		for k0 := 0; k0 < k; k0 += params.PanelContractingSize {
			width := min(params.PanelContractingSize, k-k0)
			avx512PackLHSKernelRows4(matrix, packed[k0*paddedRows:], 0, k0, k, m, width, params.LHSL1KernelRows)
		}
	}
}

// avx512PrepackedLHSPanelFloat32 is the panel of the rows from row0 (a multiple of 4) for the
// contracting block that starts at k0 and is width wide, inside one packed [m, k] matrix.
func avx512PrepackedLHSPanelFloat32(packed []float32, m, row0, k0, width int) []float32 {
	return packed[k0*avx512PaddedRowsFloat32(m)+row0*width:]
}

// avx512BatchLHSFloat32 returns the LHS of the example whose plain matrix starts at flatOffset
// (a multiple of m·k): the plain matrix, or, when it was packed ahead of time, its packed form
// (and a nil plain one, which is not read then).
func avx512BatchLHSFloat32(lhs, prepacked []float32, flatOffset, m, k int) (plain, packed []float32) {
	if prepacked != nil {
		b, size := 0, avx512PackedLHSSizeFloat32(1, m, k)
		if m*k > 0 {
			b = flatOffset / (m * k)
		}
		return nil, prepacked[b*size : (b+1)*size]
	}
	return lhs[flatOffset : flatOffset+m*k], nil
}

// avx512PrepackedLHSAppliesFloat32 is dot.PrepackedLHSFloat32's Applies: the products
// avx512RouterFloat32 sends to the large (packing) version.
func avx512PrepackedLHSAppliesFloat32(batch, m, k, n int) bool {
	return ForceLargeVariant || (!ForceSmallVariant && batch*m*n*k >= noSIMDSmallMatMulSizeThreshold)
}

// avx512MatMulPrepackedLHSFloat32 is dot.PrepackedLHSFloat32's MatMul: the large version, from
// the packed LHS.
func avx512MatMulPrepackedLHSFloat32(backend *gobackend.Backend, packedLHS, rhs, out []float32, batch, m, k, n int) {
	_ = packedLHS[avx512PackedLHSSizeFloat32(batch, m, k)-1]
	avx512LargeWithPackedLHSFloat32(backend, dot.LayoutNonTransposed, nil, rhs, packedLHS, batch, m, n, k, out)
}

// avx512PrepackedLHS is what registerAVX512 attaches to the float32 implementation.
var avx512PrepackedLHS = &dot.PrepackedLHSFloat32{
	Size:    avx512PackedLHSSizeFloat32,
	Pack:    avx512PackLHSFloat32,
	Applies: avx512PrepackedLHSAppliesFloat32,
	MatMul:  avx512MatMulPrepackedLHSFloat32,
}
