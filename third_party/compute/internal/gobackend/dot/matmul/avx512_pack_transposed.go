// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64 && goexperiment.simd

package matmul

// Packing a transposed float32 RHS with 16×16 transposes in registers (a patch carried by estil;
// see third_party/PATCHES.md, patch 27).
//
// With dot.LayoutTransposed the RHS is [N, K] (a Gram matrix F·Fᵀ contracts F's last axis with
// itself), and each 32-column panel of the product is packed as panel[k·32 + n] =
// rhs[(n0+n)·K + k0 + k]: a transpose. unsafePackLHS did it one value at a time, 4 rows by 4
// rows, and took half of a [64×4096]·[4096×64] product's time. Here 16 rows of 16 values are
// loaded, transposed in registers (four rounds of two-source permutes, each swapping one bit of
// the row index with the same bit of the column index), and stored as 16 runs of 16.

import "simd/archsimd"

// transpose16Indices[j] are the permutations of round j: for rows A (bit j of the row index 0)
// and B (bit j 1), [0] gives the new A (lanes with bit j 0 from A, the others from B's lane with
// bit j cleared) and [1] the new B.
var transpose16Indices = func() (idx [4][2][16]uint32) {
	for j := range 4 {
		bit := uint32(1) << j
		for lane := range uint32(16) {
			if lane&bit == 0 {
				idx[j][0][lane] = lane       // A's own
				idx[j][1][lane] = lane | bit // A's lane with bit j set
			} else {
				idx[j][0][lane] = 16 + (lane &^ bit) // B's lane with bit j cleared
				idx[j][1][lane] = 16 + lane          // B's own
			}
		}
	}
	return idx
}()

// transpose16x16 transposes the 16 rows v0…v15: afterwards row c holds what column c held. The
// rows are named variables, not an array, so that they stay in registers.
func transpose16x16(v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15 archsimd.Float32x16) (
	archsimd.Float32x16, archsimd.Float32x16, archsimd.Float32x16, archsimd.Float32x16, archsimd.Float32x16, archsimd.Float32x16,
	archsimd.Float32x16, archsimd.Float32x16, archsimd.Float32x16, archsimd.Float32x16, archsimd.Float32x16, archsimd.Float32x16,
	archsimd.Float32x16, archsimd.Float32x16, archsimd.Float32x16, archsimd.Float32x16) {
	lo, hi := archsimd.LoadUint32x16(&transpose16Indices[0][0]), archsimd.LoadUint32x16(&transpose16Indices[0][1])
	v0, v1 = v0.ConcatPermute(v1, lo), v0.ConcatPermute(v1, hi)
	v2, v3 = v2.ConcatPermute(v3, lo), v2.ConcatPermute(v3, hi)
	v4, v5 = v4.ConcatPermute(v5, lo), v4.ConcatPermute(v5, hi)
	v6, v7 = v6.ConcatPermute(v7, lo), v6.ConcatPermute(v7, hi)
	v8, v9 = v8.ConcatPermute(v9, lo), v8.ConcatPermute(v9, hi)
	v10, v11 = v10.ConcatPermute(v11, lo), v10.ConcatPermute(v11, hi)
	v12, v13 = v12.ConcatPermute(v13, lo), v12.ConcatPermute(v13, hi)
	v14, v15 = v14.ConcatPermute(v15, lo), v14.ConcatPermute(v15, hi)
	lo, hi = archsimd.LoadUint32x16(&transpose16Indices[1][0]), archsimd.LoadUint32x16(&transpose16Indices[1][1])
	v0, v2 = v0.ConcatPermute(v2, lo), v0.ConcatPermute(v2, hi)
	v1, v3 = v1.ConcatPermute(v3, lo), v1.ConcatPermute(v3, hi)
	v4, v6 = v4.ConcatPermute(v6, lo), v4.ConcatPermute(v6, hi)
	v5, v7 = v5.ConcatPermute(v7, lo), v5.ConcatPermute(v7, hi)
	v8, v10 = v8.ConcatPermute(v10, lo), v8.ConcatPermute(v10, hi)
	v9, v11 = v9.ConcatPermute(v11, lo), v9.ConcatPermute(v11, hi)
	v12, v14 = v12.ConcatPermute(v14, lo), v12.ConcatPermute(v14, hi)
	v13, v15 = v13.ConcatPermute(v15, lo), v13.ConcatPermute(v15, hi)
	lo, hi = archsimd.LoadUint32x16(&transpose16Indices[2][0]), archsimd.LoadUint32x16(&transpose16Indices[2][1])
	v0, v4 = v0.ConcatPermute(v4, lo), v0.ConcatPermute(v4, hi)
	v1, v5 = v1.ConcatPermute(v5, lo), v1.ConcatPermute(v5, hi)
	v2, v6 = v2.ConcatPermute(v6, lo), v2.ConcatPermute(v6, hi)
	v3, v7 = v3.ConcatPermute(v7, lo), v3.ConcatPermute(v7, hi)
	v8, v12 = v8.ConcatPermute(v12, lo), v8.ConcatPermute(v12, hi)
	v9, v13 = v9.ConcatPermute(v13, lo), v9.ConcatPermute(v13, hi)
	v10, v14 = v10.ConcatPermute(v14, lo), v10.ConcatPermute(v14, hi)
	v11, v15 = v11.ConcatPermute(v15, lo), v11.ConcatPermute(v15, hi)
	lo, hi = archsimd.LoadUint32x16(&transpose16Indices[3][0]), archsimd.LoadUint32x16(&transpose16Indices[3][1])
	v0, v8 = v0.ConcatPermute(v8, lo), v0.ConcatPermute(v8, hi)
	v1, v9 = v1.ConcatPermute(v9, lo), v1.ConcatPermute(v9, hi)
	v2, v10 = v2.ConcatPermute(v10, lo), v2.ConcatPermute(v10, hi)
	v3, v11 = v3.ConcatPermute(v11, lo), v3.ConcatPermute(v11, hi)
	v4, v12 = v4.ConcatPermute(v12, lo), v4.ConcatPermute(v12, hi)
	v5, v13 = v5.ConcatPermute(v13, lo), v5.ConcatPermute(v13, hi)
	v6, v14 = v6.ConcatPermute(v14, lo), v6.ConcatPermute(v14, hi)
	v7, v15 = v7.ConcatPermute(v15, lo), v7.ConcatPermute(v15, hi)
	return v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15
}

// avx512PackRHSTransposedFloat32 is unsafePackLHS(rhs, panel, rowStart, colStart, cols, copyRows,
// contractingCols, 32) for float32 (the transposed RHS's 32-column panels): the same panel,
// value for value, with whole 32-row strips and 16-column blocks transposed in registers.
func avx512PackRHSTransposedFloat32(rhs, panel []float32, rowStart, colStart, cols, copyRows, contractingCols int) {
	const kernelRows = 32
	fullStrips := copyRows / kernelRows
	blocks := contractingCols / 16
	for s := range fullStrips {
		strip := panel[s*contractingCols*kernelRows:][:contractingCols*kernelRows]
		for half := range 2 {
			row0 := rowStart + s*kernelRows + half*16
			for blk := range blocks {
				k0 := blk * 16
				src := rhs[row0*cols+colStart+k0:]
				load := func(r int) archsimd.Float32x16 { return archsimd.LoadFloat32x16Slice(src[r*cols:]) }
				t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11, t12, t13, t14, t15 := transpose16x16(
					load(0), load(1), load(2), load(3), load(4), load(5), load(6), load(7),
					load(8), load(9), load(10), load(11), load(12), load(13), load(14), load(15))
				dst := strip[k0*kernelRows+half*16:]
				t0.StoreSlice(dst[0*kernelRows:])
				t1.StoreSlice(dst[1*kernelRows:])
				t2.StoreSlice(dst[2*kernelRows:])
				t3.StoreSlice(dst[3*kernelRows:])
				t4.StoreSlice(dst[4*kernelRows:])
				t5.StoreSlice(dst[5*kernelRows:])
				t6.StoreSlice(dst[6*kernelRows:])
				t7.StoreSlice(dst[7*kernelRows:])
				t8.StoreSlice(dst[8*kernelRows:])
				t9.StoreSlice(dst[9*kernelRows:])
				t10.StoreSlice(dst[10*kernelRows:])
				t11.StoreSlice(dst[11*kernelRows:])
				t12.StoreSlice(dst[12*kernelRows:])
				t13.StoreSlice(dst[13*kernelRows:])
				t14.StoreSlice(dst[14*kernelRows:])
				t15.StoreSlice(dst[15*kernelRows:])
			}
			for k := blocks * 16; k < contractingCols; k++ {
				for r := range 16 {
					strip[k*kernelRows+half*16+r] = rhs[(row0+r)*cols+colStart+k]
				}
			}
		}
	}
	if rest := copyRows - fullStrips*kernelRows; rest > 0 {
		unsafePackLHS(rhs, panel[fullStrips*contractingCols*kernelRows:], rowStart+fullStrips*kernelRows, colStart, cols,
			rest, contractingCols, kernelRows)
	}
}
