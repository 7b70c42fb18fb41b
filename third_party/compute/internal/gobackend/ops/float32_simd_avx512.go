// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64 && goexperiment.simd

package ops

// AVX-512 loops for the float32 element-wise ops a ReLU network runs most (a patch carried by
// estil; see third_party/PATCHES.md, patch 23): Add, Sub and Mul (same shapes, or one scalar),
// GreaterThan against a scalar, and Where. 16 values per instruction where the Go loops take
// about two cycles per value; a bool is one byte, 0 or 1, so 16 bools are one 16-byte load or
// store, turned into or out of a mask by comparing with zero. They run where the CPU has AVX-512
// and neither GOMLX_SIMD_AVX512=false nor GOMLX_FLOAT32_LOOPS=false; otherwise the generic loops
// run, as before.

import (
	"simd/archsimd"
	"unsafe"

	"github.com/gomlx/compute/support/envutil"
)

// float32SIMD reports whether the AVX-512 loops run.
var float32SIMD = archsimd.X86.AVX512() && envutil.MustReadBool(envutil.SIMD_AVX512_Env, true) && float32LoopsEnabled

// boolBytes views a []bool as its bytes (a Go bool is one byte, 0 or 1).
func boolBytes(b []bool) []uint8 {
	return unsafe.Slice((*uint8)(unsafe.Pointer(unsafe.SliceData(b))), len(b))
}

// addFloat32SIMD sets out[i] = a[i] + b[i], b[0] for every i if len(b) == 1.
func addFloat32SIMD(a, b, out []float32) {
	n := len(out)
	a, i := a[:n], 0
	if len(b) == 1 {
		c := archsimd.BroadcastFloat32x16(b[0])
		for ; i+16 <= n; i += 16 {
			archsimd.LoadFloat32x16Slice(a[i:]).Add(c).StoreSlice(out[i:])
		}
		for ; i < n; i++ {
			out[i] = a[i] + b[0]
		}
		return
	}
	b = b[:n]
	for ; i+16 <= n; i += 16 {
		archsimd.LoadFloat32x16Slice(a[i:]).Add(archsimd.LoadFloat32x16Slice(b[i:])).StoreSlice(out[i:])
	}
	for ; i < n; i++ {
		out[i] = a[i] + b[i]
	}
}

// mulFloat32SIMD sets out[i] = a[i] · b[i], b[0] for every i if len(b) == 1.
func mulFloat32SIMD(a, b, out []float32) {
	n := len(out)
	a, i := a[:n], 0
	if len(b) == 1 {
		c := archsimd.BroadcastFloat32x16(b[0])
		for ; i+16 <= n; i += 16 {
			archsimd.LoadFloat32x16Slice(a[i:]).Mul(c).StoreSlice(out[i:])
		}
		for ; i < n; i++ {
			out[i] = a[i] * b[0]
		}
		return
	}
	b = b[:n]
	for ; i+16 <= n; i += 16 {
		archsimd.LoadFloat32x16Slice(a[i:]).Mul(archsimd.LoadFloat32x16Slice(b[i:])).StoreSlice(out[i:])
	}
	for ; i < n; i++ {
		out[i] = a[i] * b[i]
	}
}

// subFloat32SIMD sets out[i] = a[i] − b[i], with a[0] or b[0] for every i where that side has one
// value.
func subFloat32SIMD(a, b, out []float32) {
	n := len(out)
	i := 0
	switch {
	case len(b) == 1:
		a = a[:n]
		c := archsimd.BroadcastFloat32x16(b[0])
		for ; i+16 <= n; i += 16 {
			archsimd.LoadFloat32x16Slice(a[i:]).Sub(c).StoreSlice(out[i:])
		}
		for ; i < n; i++ {
			out[i] = a[i] - b[0]
		}
	case len(a) == 1:
		b = b[:n]
		c := archsimd.BroadcastFloat32x16(a[0])
		for ; i+16 <= n; i += 16 {
			c.Sub(archsimd.LoadFloat32x16Slice(b[i:])).StoreSlice(out[i:])
		}
		for ; i < n; i++ {
			out[i] = a[0] - b[i]
		}
	default:
		a, b = a[:n], b[:n]
		for ; i+16 <= n; i += 16 {
			archsimd.LoadFloat32x16Slice(a[i:]).Sub(archsimd.LoadFloat32x16Slice(b[i:])).StoreSlice(out[i:])
		}
		for ; i < n; i++ {
			out[i] = a[i] - b[i]
		}
	}
}

// greaterThanScalarFloat32SIMD sets out[i] = a[i] > c (false for NaN, as Go's >).
func greaterThanScalarFloat32SIMD(a []float32, c float32, out []bool) {
	n := len(out)
	a, bytes, i := a[:n], boolBytes(out), 0
	cv, ones := archsimd.BroadcastFloat32x16(c), archsimd.BroadcastUint8x16(1)
	for ; i+16 <= n; i += 16 {
		mask := archsimd.LoadFloat32x16Slice(a[i:]).Greater(cv)
		ones.Masked(archsimd.Mask8x16FromBits(mask.ToBits())).StoreSlice(bytes[i:])
	}
	for ; i < n; i++ {
		out[i] = a[i] > c
	}
}

// whereFloat32SIMD is whereFloat32 (float32_loops.go) 16 values at a time.
func whereFloat32SIMD(condition []bool, onTrue, onFalse, output []float32, onTrueIsScalar, onFalseIsScalar bool) {
	n := len(condition)
	output, bytes, zero := output[:n], boolBytes(condition), archsimd.BroadcastUint8x16(0)
	var t, f archsimd.Float32x16
	if onTrueIsScalar {
		t = archsimd.BroadcastFloat32x16(onTrue[0])
	} else {
		onTrue = onTrue[:n]
	}
	if onFalseIsScalar {
		f = archsimd.BroadcastFloat32x16(onFalse[0])
	} else {
		onFalse = onFalse[:n]
	}
	i := 0
	for ; i+16 <= n; i += 16 {
		mask := archsimd.Mask32x16FromBits(archsimd.LoadUint8x16Slice(bytes[i:]).NotEqual(zero).ToBits())
		if !onTrueIsScalar {
			t = archsimd.LoadFloat32x16Slice(onTrue[i:])
		}
		if !onFalseIsScalar {
			f = archsimd.LoadFloat32x16Slice(onFalse[i:])
		}
		t.Merge(f, mask).StoreSlice(output[i:])
	}
	if i < n {
		if !onTrueIsScalar {
			onTrue = onTrue[i:]
		}
		if !onFalseIsScalar {
			onFalse = onFalse[i:]
		}
		whereFloat32Loops(condition[i:], onTrue, onFalse, output[i:], onTrueIsScalar, onFalseIsScalar)
	}
}

// sumFloat32x16 returns the 16 running sums of sumFloat32 (float32_loops.go) over the whole
// blocks of 16 values, added in the same order (so the total is the same bit for bit), and how
// many values they cover.
func sumFloat32x16(values []float32) (acc [16]float32, n int) {
	var sum archsimd.Float32x16
	for ; n+16 <= len(values); n += 16 {
		sum = sum.Add(archsimd.LoadFloat32x16Slice(values[n:]))
	}
	sum.Store(&acc)
	return acc, n
}
