// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build !(amd64 && goexperiment.simd)

package ops

// Without GOEXPERIMENT=simd on amd64 the Winograd path's transforms run the plain loops of
// convgeneral_winograd.go (see convgeneral_winograd_avx512.go).

const winogradAVX512 = false

func winogradColumnsAVX512(w0, w1, w2, w3, d0, d1, d2, d3 []float32) { panic("unreachable") }

func winogradRowsAVX512(o0, o1, o2, o3, w []float32, n int) { panic("unreachable") }

func winogradOutputAVX512(src *[16][]float32, n int, row0, row1 []float32, x0 int) {
	panic("unreachable")
}
