// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
)

// TestFloat32SIMDMatchesGeneric compares the float32 Add, Mul, Sub and GreaterThan that the
// parallel executors run (patch 23: AVX-512 loops where the CPU has them) with the generic
// functions, bit for bit, on values that include NaNs, infinities, negative zeros and denormals,
// at sizes around the 16-value blocks, with both sides full or one side a single value.
// (TestWhereFloat32MatchesGeneric covers Where.)
func TestFloat32SIMDMatchesGeneric(t *testing.T) {
	t.Logf("AVX-512 loops: %v", float32SIMD)
	r := rand.New(rand.NewPCG(23, 1))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), 1e-45, -1e-40, math.MaxFloat32}
	values := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			if r.IntN(4) == 0 {
				v[i] = special[r.IntN(len(special))]
			} else {
				v[i] = float32(r.NormFloat64())
			}
		}
		return v
	}
	type binary func(lhs, rhs, output []float32, lhsShape, rhsShape, outputShape shapes.Shape)
	ops := []struct {
		name            string
		fast, generic   binary
		scalarLHSDirect bool
	}{
		{"Add", addFloat32, execAddNumericGeneric[float32], false},
		{"Mul", mulFloat32, execMulNumericGeneric[float32], false},
		{"Sub", subFloat32, execSubNumericGeneric[float32], true},
	}
	for _, n := range []int{1, 2, 15, 16, 17, 100, 4099} {
		full := shapes.Make(dtypes.Float32, n)
		for _, side := range []string{"both", "rhs scalar", "lhs scalar"} {
			lhs, rhs := values(n), values(n)
			lhsShape, rhsShape := full, full
			switch side {
			case "rhs scalar":
				rhs, rhsShape = rhs[:1], shapes.Make(dtypes.Float32)
			case "lhs scalar":
				lhs, lhsShape = lhs[:1], shapes.Make(dtypes.Float32, 1)
			}
			for _, op := range ops {
				if side == "lhs scalar" && !op.scalarLHSDirect {
					continue // the executors swap the sides of commutative ops
				}
				got, want := make([]float32, n), make([]float32, n)
				op.fast(lhs, rhs, got, lhsShape, rhsShape, full)
				op.generic(lhs, rhs, want, lhsShape, rhsShape, full)
				for i := range n {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
						t.Fatalf("%s n=%d %s: output[%d] = %v, generic %v", op.name, n, side, i, got[i], want[i])
					}
				}
			}
			if side == "lhs scalar" {
				continue
			}
			if side == "rhs scalar" {
				for i := 0; i < n; i += 5 {
					lhs[i] = rhs[0] // equal values: false for >
				}
			}
			got, want := make([]bool, n), make([]bool, n)
			greaterThanFloat32(lhs, rhs, got, lhsShape, rhsShape, full)
			execGreaterThanNumericGeneric(lhs, rhs, want, lhsShape, rhsShape, full)
			for i := range n {
				if got[i] != want[i] {
					t.Fatalf("GreaterThan n=%d %s: output[%d] = %v for %v > %v, generic %v", n, side, i, got[i], lhs[i], rhs[min(i, len(rhs)-1)], want[i])
				}
			}
		}
	}
}
