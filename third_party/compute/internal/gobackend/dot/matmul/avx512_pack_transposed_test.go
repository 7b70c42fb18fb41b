// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64 && goexperiment.simd

package matmul

import (
	"math/rand/v2"
	"os"
	"simd/archsimd"
	"slices"
	"testing"
)

// TestPackRHSTransposedMatchesGeneric compares the register-transposing packing of a transposed
// float32 RHS (estil patch 27) with unsafePackLHS, value for value (the panel's padding
// included), on random strips: whole and partial 32-row strips, contracting widths around the
// 16-column blocks, and offsets into a larger matrix.
func TestPackRHSTransposedMatchesGeneric(t *testing.T) {
	requireAVX512(t)
	r := rand.New(rand.NewPCG(27, 1))
	for range 300 {
		rows, cols := 1+r.IntN(130), 1+r.IntN(300)
		rowStart, colStart := r.IntN(rows), r.IntN(cols)
		copyRows, contracting := 1+r.IntN(rows-rowStart), 1+r.IntN(cols-colStart)
		if r.IntN(3) == 0 { // whole blocks
			rows, cols, rowStart, colStart, copyRows, contracting = 64, 256, 0, 128, 64, 128
		}
		rhs := make([]float32, rows*cols)
		for i := range rhs {
			rhs[i] = float32(r.NormFloat64())
		}
		strips := (copyRows + 31) / 32
		want := make([]float32, strips*32*contracting)
		got := make([]float32, len(want))
		for i := range got { // garbage where the packing must write
			want[i], got[i] = -7, 7
		}
		unsafePackLHS(rhs, want, rowStart, colStart, cols, copyRows, contracting, 32)
		avx512PackRHSTransposedFloat32(rhs, got, rowStart, colStart, cols, copyRows, contracting)
		if !slices.Equal(got, want) {
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("rows %d cols %d, from (%d, %d), %d×%d: panel[%d] = %v, want %v", rows, cols, rowStart, colStart,
						copyRows, contracting, i, got[i], want[i])
				}
			}
		}
	}
}

// requireAVX512 skips a test of the AVX-512 code on a CPU without it, except under CI (estil's
// .ci/run sets CI; its machines have AVX-512), where a skip would hide the test: it fails there.
func requireAVX512(t *testing.T) {
	t.Helper()
	if !archsimd.X86.AVX512() {
		if os.Getenv("CI") != "" {
			t.Fatal("CI: this CPU has no AVX-512")
		}
		t.Skip("this CPU has no AVX-512")
	}
}
