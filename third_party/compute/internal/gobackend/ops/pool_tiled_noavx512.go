// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build !(amd64 && goexperiment.simd)

package ops

// Without GOEXPERIMENT=simd on amd64 the pooling gradient runs pool_tiled.go's plain loop (see
// pool_tiled_avx512.go).

func scatterRows2x2(row0, row1, grad0, grad1, source []float32, n int) { panic("unreachable") }
