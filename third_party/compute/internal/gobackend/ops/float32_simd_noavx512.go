// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build !(amd64 && goexperiment.simd)

package ops

// Without GOEXPERIMENT=simd on amd64 the float32 element-wise ops run their Go loops (see
// float32_simd_avx512.go).

const float32SIMD = false

func addFloat32SIMD(a, b, out []float32)                              { panic("unreachable") }
func mulFloat32SIMD(a, b, out []float32)                              { panic("unreachable") }
func subFloat32SIMD(a, b, out []float32)                              { panic("unreachable") }
func greaterThanScalarFloat32SIMD(a []float32, c float32, out []bool) { panic("unreachable") }
func whereFloat32SIMD(condition []bool, onTrue, onFalse, output []float32, onTrueIsScalar, onFalseIsScalar bool) {
	panic("unreachable")
}

func sumFloat32x16(values []float32) (acc [16]float32, n int) { panic("unreachable") }
