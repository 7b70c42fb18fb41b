// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64 && goexperiment.simd

package ops

// AVX-512 loops of the Winograd path's input and output transforms, channels first (a patch
// carried by estil; see convgeneral_winograd.go). They run 16 columns or tiles at a time where
// the CPU has AVX-512; the plain loops in convgeneral_winograd.go run otherwise.

import "simd/archsimd"

// winogradAVX512 reports whether the AVX-512 loops run.
var winogradAVX512 = archsimd.X86.AVX512()

// Permutation indices (arrays: loading them needs AVX-512, so they are loaded where it is known
// to be there).
var (
	winogradEven       = [16]uint32{0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30}
	winogradOdd        = [16]uint32{1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31}
	winogradInterleave = [2][16]uint32{
		{0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23},
		{8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31},
	}
)

// winogradColumnsAVX512 sets, for j < len(d0), (w0, w1, w2, w3)[j] = Bᵀ·(d0, d1, d2, d3)[j]:
// (d0-d2, d1+d2, d2-d1, d1-d3). All slices have len(d0) elements at least.
func winogradColumnsAVX512(w0, w1, w2, w3, d0, d1, d2, d3 []float32) {
	n := len(d0)
	j := 0
	for ; j+16 <= n; j += 16 {
		a, b := archsimd.LoadFloat32x16Slice(d0[j:]), archsimd.LoadFloat32x16Slice(d1[j:])
		c, d := archsimd.LoadFloat32x16Slice(d2[j:]), archsimd.LoadFloat32x16Slice(d3[j:])
		a.Sub(c).StoreSlice(w0[j:])
		b.Add(c).StoreSlice(w1[j:])
		c.Sub(b).StoreSlice(w2[j:])
		b.Sub(d).StoreSlice(w3[j:])
	}
	if j < n {
		a, b := archsimd.LoadFloat32x16SlicePart(d0[j:n]), archsimd.LoadFloat32x16SlicePart(d1[j:n])
		c, d := archsimd.LoadFloat32x16SlicePart(d2[j:n]), archsimd.LoadFloat32x16SlicePart(d3[j:n])
		a.Sub(c).StoreSlicePart(w0[j:n])
		b.Add(c).StoreSlicePart(w1[j:n])
		c.Sub(b).StoreSlicePart(w2[j:n])
		b.Sub(d).StoreSlicePart(w3[j:n])
	}
}

// winogradRowsAVX512 sets, for the tiles i < n, (o0, o1, o2, o3)[i] = (e0-e2, e1+e2, e2-e1,
// e1-e3) with e = w[2i : 2i+4]: the tiles' (Bᵀ·d)·B along one row of Bᵀ·d. w must hold 2·n16+2
// values (n16: n rounded up to 16; those past the tiles' own are finite, their results unused);
// o0..o3 n values: they are rows of the products' operand V itself (estil patch 30), whose next
// values belong to other tiles, so the last 16 tiles are stored under a mask.
func winogradRowsAVX512(o0, o1, o2, o3, w []float32, n int) {
	even, odd := archsimd.LoadUint32x16(&winogradEven), archsimd.LoadUint32x16(&winogradOdd)
	for i := 0; i < n; i += 16 {
		a, b := archsimd.LoadFloat32x16Slice(w[2*i:]), archsimd.LoadFloat32x16Slice(w[2*i+16:])
		a2, b2 := archsimd.LoadFloat32x16Slice(w[2*i+2:]), archsimd.LoadFloat32x16Slice(w[2*i+18:])
		e0, e1 := a.ConcatPermute(b, even), a.ConcatPermute(b, odd)     // w[2i], w[2i+1]
		e2, e3 := a2.ConcatPermute(b2, even), a2.ConcatPermute(b2, odd) // w[2i+2], w[2i+3]
		if i+16 <= n {
			e0.Sub(e2).StoreSlice(o0[i:])
			e1.Add(e2).StoreSlice(o1[i:])
			e2.Sub(e1).StoreSlice(o2[i:])
			e1.Sub(e3).StoreSlice(o3[i:])
			continue
		}
		e0.Sub(e2).StoreSlicePart(o0[i:n])
		e1.Add(e2).StoreSlicePart(o1[i:n])
		e2.Sub(e1).StoreSlicePart(o2[i:n])
		e1.Sub(e3).StoreSlicePart(o3[i:n])
	}
}

// winogradOutputAVX512 writes the output transform of the tiles [0, n) of a block, src[ξ][i]
// holding their products (src rows hold n values at least: they are rows of the products' output
// M itself, estil patch 30; the last 16 tiles are loaded under a mask): row0[x0+2i],
// row0[x0+2i+1] and the same in row1 (nil: past the output), x0 the block's first column, only
// the columns before len(row0).
func winogradOutputAVX512(src *[16][]float32, n int, row0, row1 []float32, x0 int) {
	lo, hi := archsimd.LoadUint32x16(&winogradInterleave[0]), archsimd.LoadUint32x16(&winogradInterleave[1])
	var tmp [32]float32
	for i := 0; i < n; i += 16 {
		load := func(xi int) archsimd.Float32x16 {
			if i+16 <= n {
				return archsimd.LoadFloat32x16Slice(src[xi][i:])
			}
			return archsimd.LoadFloat32x16SlicePart(src[xi][i:n]) // zeros past n
		}
		m4, m5, m6, m7 := load(4), load(5), load(6), load(7)
		m8, m9, m10, m11 := load(8), load(9), load(10), load(11)
		s0, s1 := load(0).Add(m4).Add(m8), load(1).Add(m5).Add(m9)
		s2, s3 := load(2).Add(m6).Add(m10), load(3).Add(m7).Add(m11)
		y00, y01 := s0.Add(s1).Add(s2), s1.Sub(s2).Sub(s3)
		x := x0 + 2*i
		count := min(32, 2*(n-i), len(row0)-x) // output columns of these 16 tiles
		store := func(row []float32, a, b archsimd.Float32x16) {
			if count == 32 {
				a.ConcatPermute(b, lo).StoreSlice(row[x:])
				a.ConcatPermute(b, hi).StoreSlice(row[x+16:])
				return
			}
			a.ConcatPermute(b, lo).StoreSlice(tmp[:])
			a.ConcatPermute(b, hi).StoreSlice(tmp[16:])
			copy(row[x:x+count], tmp[:count])
		}
		store(row0, y00, y01)
		if row1 != nil {
			u0, u1 := m4.Sub(m8).Sub(load(12)), m5.Sub(m9).Sub(load(13))
			u2, u3 := m6.Sub(m10).Sub(load(14)), m7.Sub(m11).Sub(load(15))
			store(row1, u0.Add(u1).Add(u2), u1.Sub(u2).Sub(u3))
		}
	}
}
