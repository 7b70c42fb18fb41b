// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64 && goexperiment.simd

package ops_test

import (
	"simd/archsimd"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend/dot"
	"github.com/gomlx/compute/internal/gobackend/dot/matmul"
)

// useAVX512MatMul makes the AVX-512 matmul, which takes a packed LHS (patch 28), the float32 one
// for a test, on a CPU that has AVX-512 where GOMLX_SIMD_AVX512=false left another registered
// (estil's CI runs compute's tests so for its AVX2 leg). It returns what undoes it.
func useAVX512MatMul() (undo func()) {
	registered := dot.FindRegisteredImplementation(dot.LayoutNonTransposed, dtypes.Float32, dtypes.Float32)
	if !archsimd.X86.AVX512() || registered.PrepackedLHSFloat32() != nil {
		return func() {}
	}
	matmul.RegisterAVX512ForTests()
	return dot.ResetTestRegistrations
}
