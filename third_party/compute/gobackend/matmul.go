// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package gobackend

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend/dot"
)

// MatMulImplementation names the implementation this backend multiplies float32 matrices with,
// in the non-transposed layout that matrix products and convolutions use: "simd:avx512",
// "simd:avx2", "simd:neon" or "simd:nosimd" (plain Go loops), or "" if none is registered.
//
// The choice is made once, when the program starts, from the build (GOEXPERIMENT=simd, GOARCH),
// the CPU's features and the GOMLX_SIMD_* variables; the highest-priority registration wins.
// (estil patch: lets a program tell its users which kernel they get.)
func MatMulImplementation() string {
	return dot.FindRegisteredImplementation(dot.LayoutNonTransposed, dtypes.Float32, dtypes.Float32).Name()
}
