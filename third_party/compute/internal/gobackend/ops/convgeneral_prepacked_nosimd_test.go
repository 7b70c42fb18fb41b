// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build !(amd64 && goexperiment.simd)

package ops_test

// useAVX512MatMul: without GOEXPERIMENT=simd on amd64 there is no AVX-512 matmul to register.
func useAVX512MatMul() (undo func()) { return func() {} }
