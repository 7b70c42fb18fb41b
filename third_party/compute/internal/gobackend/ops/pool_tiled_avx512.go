// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64 && goexperiment.simd

package ops

// The 2×2 max pooling gradient 16 windows at a time (a patch carried by estil; see
// third_party/PATCHES.md, patch 26; pool_tiled.go has the plain loop it replaces). The plain loop
// picks each window's first largest value with branches that the data decides, half of them
// mispredicted on a ReLU's output; here the same comparisons are masks.

import "simd/archsimd"

// scatterRows2x2 does what scatterPlane's 2×2 loop does for one row of windows, for the first
// n windows, n a multiple of 16: row0 and row1 are the window rows of in (2n values each), grad0
// and grad1 those of grad (zero), source the windows' gradients. Each window's value goes to its
// first largest element in the order row0[2i], row0[2i+1], row1[2i], row1[2i+1], a NaN replacing
// the best so far, as in the plain loop; the other three get +0, and the chosen one 0 + v (so a
// −0 gradient is +0 there too, as the plain loop's grad[best] += v makes it).
func scatterRows2x2(row0, row1, grad0, grad1, source []float32, n int) {
	even, odd := archsimd.LoadUint32x16(&winogradEven), archsimd.LoadUint32x16(&winogradOdd)
	lo, hi := archsimd.LoadUint32x16(&winogradInterleave[0]), archsimd.LoadUint32x16(&winogradInterleave[1])
	var zero archsimd.Float32x16
	for i := 0; i < n; i += 16 {
		r0a, r0b := archsimd.LoadFloat32x16Slice(row0[2*i:]), archsimd.LoadFloat32x16Slice(row0[2*i+16:])
		r1a, r1b := archsimd.LoadFloat32x16Slice(row1[2*i:]), archsimd.LoadFloat32x16Slice(row1[2*i+16:])
		a, b := r0a.ConcatPermute(r0b, even), r0a.ConcatPermute(r0b, odd)
		c, d := r1a.ConcatPermute(r1b, even), r1a.ConcatPermute(r1b, odd)
		m1 := b.Greater(a).Or(b.IsNaN())
		best := b.Merge(a, m1) // b where m1, else a
		m2 := c.Greater(best).Or(c.IsNaN())
		best = c.Merge(best, m2)
		m3 := d.Greater(best).Or(d.IsNaN())
		b1, b2, b3 := m1.ToBits(), m2.ToBits(), m3.ToBits()
		v := archsimd.LoadFloat32x16Slice(source[i:])
		pick := func(bits uint16) archsimd.Float32x16 { return zero.Add(v.Masked(archsimd.Mask32x16FromBits(bits))) }
		ga, gb := pick(^(b1 | b2 | b3)), pick(b1&^(b2|b3))
		gc, gd := pick(b2&^b3), pick(b3)
		ga.ConcatPermute(gb, lo).StoreSlice(grad0[2*i:])
		ga.ConcatPermute(gb, hi).StoreSlice(grad0[2*i+16:])
		gc.ConcatPermute(gd, lo).StoreSlice(grad1[2*i:])
		gc.ConcatPermute(gd, hi).StoreSlice(grad1[2*i+16:])
	}
}
