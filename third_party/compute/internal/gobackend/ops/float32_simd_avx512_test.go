// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64 && goexperiment.simd

package ops

import (
	"math"
	"math/rand/v2"
	"os"
	"simd/archsimd"
	"testing"
)

// TestSumFloat32x16MatchesScalarSums checks that the AVX-512 running sums of sumFloat32 are the
// scalar loop's 16 sums bit for bit (so ReduceSum's result does not depend on the kernel).
func TestSumFloat32x16MatchesScalarSums(t *testing.T) {
	if !archsimd.X86.AVX512() {
		if os.Getenv("CI") != "" { // estil's CI machines have AVX-512: a skip there would hide this test
			t.Fatal("CI: this CPU has no AVX-512")
		}
		t.Skip("this CPU has no AVX-512: sumFloat32 runs the scalar loop only")
	}
	r := rand.New(rand.NewPCG(23, 2))
	for _, n := range []int{0, 15, 16, 17, 160, 4099, 262144} {
		values := make([]float32, n)
		for i := range values {
			values[i] = float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(9)-4)))
		}
		var want [16]float32
		i := 0
		for ; i+16 <= n; i += 16 {
			for j := range want {
				want[j] += values[i+j]
			}
		}
		got, covered := sumFloat32x16(values)
		if covered != i {
			t.Fatalf("n=%d: covered %d values, want %d", n, covered, i)
		}
		for j := range want {
			if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
				t.Fatalf("n=%d: running sum %d = %v, scalar %v", n, j, got[j], want[j])
			}
		}
	}
}
