// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/shapes"
)

// TestWhereFloat32MatchesGeneric compares the branch-free float32 Where with the generic one, bit
// for bit, on values that include NaNs with payloads, infinities and negative zeros, with each
// value of the output's shape or a scalar, at sizes around the 16-value blocks.
func TestWhereFloat32MatchesGeneric(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		math.Float32frombits(0x7fc00001), math.Float32frombits(0xffa00002), 1e-45}
	value := func() float32 {
		if r.IntN(4) == 0 {
			return special[r.IntN(len(special))]
		}
		return float32(r.NormFloat64())
	}
	for _, n := range []int{1, 2, 15, 16, 17, 100, 4096} {
		for _, scalars := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
			condition := make([]bool, n)
			for i := range condition {
				condition[i] = r.IntN(2) == 0
			}
			valueBuffer := func(scalar bool) *gobackend.Buffer {
				size := n
				shape := shapes.Make(dtypes.Float32, n)
				if scalar {
					size, shape = 1, shapes.Make(dtypes.Float32)
				}
				flat := make([]float32, size)
				for i := range flat {
					flat[i] = value()
				}
				return &gobackend.Buffer{RawShape: shape, Flat: flat}
			}
			conditionBuf := &gobackend.Buffer{RawShape: shapes.Make(dtypes.Bool, n), Flat: condition}
			onTrue, onFalse := valueBuffer(scalars[0]), valueBuffer(scalars[1])
			want := &gobackend.Buffer{RawShape: shapes.Make(dtypes.Float32, n), Flat: zeros(n)}
			got := &gobackend.Buffer{RawShape: shapes.Make(dtypes.Float32, n), Flat: zeros(n)}
			execWhereGeneric[float32](conditionBuf, onTrue, onFalse, want)
			execWhereFloat32(conditionBuf, onTrue, onFalse, got)
			for i := range n {
				w, g := want.Flat.([]float32)[i], got.Flat.([]float32)[i]
				if math.Float32bits(w) != math.Float32bits(g) {
					t.Fatalf("n=%d scalars=%v: output[%d] = %v (%#x), generic %v (%#x)", n, scalars, i, g,
						math.Float32bits(g), w, math.Float32bits(w))
				}
			}
		}
	}
	// A scalar condition goes to the generic function.
	condition := &gobackend.Buffer{RawShape: shapes.Make(dtypes.Bool), Flat: []bool{false}}
	onTrue := &gobackend.Buffer{RawShape: shapes.Make(dtypes.Float32, 3), Flat: []float32{1, 2, 3}}
	onFalse := &gobackend.Buffer{RawShape: shapes.Make(dtypes.Float32, 3), Flat: []float32{4, 5, 6}}
	out := &gobackend.Buffer{RawShape: shapes.Make(dtypes.Float32, 3), Flat: zeros(3)}
	execWhereFloat32(condition, onTrue, onFalse, out)
	if got := out.Flat.([]float32); got[0] != 4 || got[1] != 5 || got[2] != 6 {
		t.Errorf("scalar false condition: got %v, want [4 5 6]", got)
	}
}

// zeros returns n float32 zeros.
func zeros(n int) []float32 { return make([]float32, n) }

// TestReduceSumFloat32 checks the full float32 sum against a float64 sum (within float32
// rounding of the values' magnitudes) at sizes around the 16-value blocks, that it returns the
// generic result exactly where the order cannot matter (integers), and that a reduction keeping
// an axis goes to the generic function unchanged.
func TestReduceSumFloat32(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, n := range []int{1, 7, 16, 31, 32, 33, 1000, 262144} {
		values := make([]float32, n)
		var want, magnitude float64
		for i := range values {
			values[i] = float32(r.NormFloat64() * 100)
			want += float64(values[i])
			magnitude += math.Abs(float64(values[i]))
		}
		operand := &gobackend.Buffer{RawShape: shapes.Make(dtypes.Float32, n), Flat: values}
		output := &gobackend.Buffer{RawShape: shapes.Make(dtypes.Float32), Flat: []float32{42}}
		if err := execReduceSumFloat32(operand, output, NewReduceOutputIterator([]int{n}, []int{0}), dtypes.Float32); err != nil {
			t.Fatal(err)
		}
		got := float64(output.Flat.([]float32)[0])
		if tolerance := 1e-6 * magnitude; math.Abs(got-want) > tolerance {
			t.Errorf("n=%d: sum %v, float64 sum %v (tolerance %g)", n, got, want, tolerance)
		}
		for i := range values {
			values[i] = float32(r.IntN(201) - 100)
		}
		generic := &gobackend.Buffer{RawShape: shapes.Make(dtypes.Float32), Flat: []float32{0}}
		if err := execReduceSumGeneric[float32](operand, generic, NewReduceOutputIterator([]int{n}, []int{0}), dtypes.Float32); err != nil {
			t.Fatal(err)
		}
		if err := execReduceSumFloat32(operand, output, NewReduceOutputIterator([]int{n}, []int{0}), dtypes.Float32); err != nil {
			t.Fatal(err)
		}
		if g, w := output.Flat.([]float32)[0], generic.Flat.([]float32)[0]; g != w {
			t.Errorf("n=%d, integers: sum %v, generic %v", n, g, w)
		}
	}
	// [3, 5] summed over axis 1: the generic path, whose results are these rows' sums.
	values := make([]float32, 15)
	for i := range values {
		values[i] = float32(i)
	}
	operand := &gobackend.Buffer{RawShape: shapes.Make(dtypes.Float32, 3, 5), Flat: values}
	output := &gobackend.Buffer{RawShape: shapes.Make(dtypes.Float32, 3), Flat: zeros(3)}
	if err := execReduceSumFloat32(operand, output, NewReduceOutputIterator([]int{3, 5}, []int{1}), dtypes.Float32); err != nil {
		t.Fatal(err)
	}
	if got := output.Flat.([]float32); got[0] != 10 || got[1] != 35 || got[2] != 60 {
		t.Errorf("rows' sums: got %v, want [10 35 60]", got)
	}
}

// TestFloat32LoopsRegistered checks that the dtype maps hand out these functions for float32,
// or, with GOMLX_FLOAT32_LOOPS=false, the generic ones.
func TestFloat32LoopsRegistered(t *testing.T) {
	want := gobackend.PriorityTyped
	if !float32LoopsEnabled {
		want = gobackend.PriorityGeneric
	}
	for name, m := range map[string]*gobackend.DTypeMap{"Where": whereDTypeMap, "ReduceSum": reduceSumDTypeMap} {
		if p := m.Priority[dtypes.Float32]; p != want {
			t.Errorf("%s: float32 priority %v, want %v (%s=%v)", name, p, want, Float32LoopsEnv, float32LoopsEnabled)
		}
	}
}

// BenchmarkSumFloat32 times a whole-tensor float32 sum of 512×512 values (a Gram matrix's loss),
// with the AVX-512 running sums where they run (patch 23) or the scalar ones:
//
//	go test ./internal/gobackend/ops -run '^$' -bench SumFloat32   (GOMLX_SIMD_AVX512=false: scalar)
func BenchmarkSumFloat32(b *testing.B) {
	values := make([]float32, 512*512)
	for i := range values {
		values[i] = float32(i%7) - 3
	}
	var sum float32
	for b.Loop() {
		sum += sumFloat32(values)
	}
	b.ReportMetric(float64(len(values))*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gvalues/s")
}
