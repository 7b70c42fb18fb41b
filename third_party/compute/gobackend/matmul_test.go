// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package gobackend

import (
	"os"
	"runtime"
	"strings"
	"testing"
)

// TestMatMulImplementation checks that the name follows the GOMLX_SIMD_* variables this test
// process was started with: the generic kernel is always there, and switching SIMD off selects it.
func TestMatMulImplementation(t *testing.T) {
	name := MatMulImplementation()
	if !strings.HasPrefix(name, "simd:") {
		t.Fatalf("MatMulImplementation() = %q, want a registered simd:* implementation", name)
	}
	off := func(env string) bool { v := os.Getenv(env); return v == "false" || v == "0" }
	if runtime.GOARCH == "amd64" && off("GOMLX_SIMD_AVX512") && off("GOMLX_SIMD_AVX2") && name != "simd:nosimd" {
		t.Errorf("with AVX-512 and AVX2 turned off, MatMulImplementation() = %q, want simd:nosimd", name)
	}
	if runtime.GOARCH == "amd64" && off("GOMLX_SIMD_AVX512") && name == "simd:avx512" {
		t.Errorf("with GOMLX_SIMD_AVX512=false, MatMulImplementation() = %q", name)
	}
	t.Logf("float32 matrix products run on %s", name)
}
