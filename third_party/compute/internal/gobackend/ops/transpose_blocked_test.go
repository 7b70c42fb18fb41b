// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/internal/gobackend/ops"
	"github.com/gomlx/compute/shapes"
)

func TestMergedTranspose(t *testing.T) {
	for _, c := range []struct {
		dims, permutations []int
		wantDims, wantPerm []int
	}{
		{[]int{64, 16384}, []int{0, 1}, []int{64 * 16384}, []int{0}},           // the identity
		{[]int{1, 64, 16384}, []int{0, 1, 2}, []int{64 * 16384}, []int{0}},     // with a batch of 1
		{[]int{512, 256}, []int{1, 0}, []int{512, 256}, []int{1, 0}},           // a matrix
		{[]int{32, 32, 3}, []int{2, 0, 1}, []int{32 * 32, 3}, []int{1, 0}},     // HWC → CHW
		{[]int{3, 32, 32}, []int{1, 2, 0}, []int{3, 32 * 32}, []int{1, 0}},     // CHW → HWC
		{[]int{5, 7, 1, 9}, []int{0, 3, 2, 1}, []int{5, 7, 9}, []int{0, 2, 1}}, // a batch, with an axis of 1
		{[]int{2, 3, 4}, []int{2, 1, 0}, []int{2, 3, 4}, []int{2, 1, 0}},       // a reversal: nothing merges
		{[]int{1, 1}, []int{1, 0}, []int{}, []int{}},                           // all ones
	} {
		dims, perm := ops.MergedTranspose(shapes.Make(dtypes.Float32, c.dims...), c.permutations)
		if !slices.Equal(dims, c.wantDims) || !slices.Equal(perm, c.wantPerm) {
			t.Errorf("merged %v by %v = %v by %v, want %v by %v", c.dims, c.permutations, dims, perm, c.wantDims, c.wantPerm)
		}
	}
}

// TestTransposeBlocked compares the fast transposes (patch 15) with the generic executor, element
// for element, on random shapes and permutations, and checks that the fast path runs exactly
// where it should.
func TestTransposeBlocked(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 1))
	th := ops.ParallelElementwiseMinSize()
	type tcase struct {
		dims, permutations []int
		fast               bool
	}
	cases := []tcase{
		{[]int{64, 4096}, []int{0, 1}, true},
		{[]int{512, 512}, []int{1, 0}, true},
		{[]int{33, 65}, []int{1, 0}, true},
		{[]int{3, th / 64, 67}, []int{1, 2, 0}, true}, // past the parallel threshold
		{[]int{7, 45, 31}, []int{0, 2, 1}, true},
		{[]int{2, 5, 1, 3}, []int{0, 3, 2, 1}, true},
		{[]int{4, 6, 8}, []int{2, 1, 0}, false},
		{[]int{2, 3, 4, 5}, []int{1, 0, 3, 2}, false},
	}
	// Random ones: ranks 1-5, some axes of dimension 1.
	for range 40 {
		rank := 1 + rng.IntN(5)
		dims := make([]int, rank)
		for i := range dims {
			dims[i] = 1 + rng.IntN(9)
			if rng.IntN(4) == 0 {
				dims[i] = 1
			}
		}
		p := rng.Perm(rank)
		_, mperm := ops.MergedTranspose(shapes.Make(dtypes.Float32, dims...), p)
		fast := len(mperm) <= 2 || len(mperm) == 3 && mperm[0] == 0
		cases = append(cases, tcase{dims, p, fast})
	}
	for _, c := range cases {
		for _, dtype := range []dtypes.DType{dtypes.Float32, dtypes.Float64, dtypes.Int32, dtypes.Bool} {
			shape := shapes.Make(dtype, c.dims...)
			var flat any
			switch dtype {
			case dtypes.Float32:
				flat = randomFloat32s(rng, shape.Size())
			case dtypes.Float64:
				v := make([]float64, shape.Size())
				for i := range v {
					v[i] = rng.Float64()
				}
				flat = v
			case dtypes.Int32:
				v := make([]int32, shape.Size())
				for i := range v {
					v[i] = int32(i)
				}
				flat = v
			case dtypes.Bool:
				v := make([]bool, shape.Size())
				for i := range v {
					v[i] = rng.IntN(2) == 0
				}
				flat = v
			}
			x := makeBuffer(t, shape, flat)
			runs := ops.FastTransposeRuns()
			fast, generic, err := ops.ExecTransposeBoth(backend, x, c.permutations)
			if err != nil {
				t.Fatalf("%v by %v: %+v", c.dims, c.permutations, err)
			}
			name := fmt.Sprintf("%s%v by %v", dtype, c.dims, c.permutations)
			// Bool has no fast matrix transpose, only the identity's copy.
			want := c.fast
			if dtype == dtypes.Bool {
				_, mperm := ops.MergedTranspose(shape, c.permutations)
				want = len(mperm) <= 1
			}
			if ran := ops.FastTransposeRuns() > runs; ran != want {
				t.Errorf("%s: fast path ran=%v, want %v", name, ran, want)
			}
			if !fast.RawShape.Equal(generic.RawShape) {
				t.Fatalf("%s: shapes %s != %s", name, fast.RawShape, generic.RawShape)
			}
			if dtype == dtypes.Float32 {
				if ok, diff := sameBits(fast.Flat, generic.Flat); !ok {
					t.Errorf("%s: fast transpose differs from the generic one: %s", name, diff)
				}
			} else if !reflect.DeepEqual(fast.Flat, generic.Flat) { // no NaNs in these
				t.Errorf("%s: fast transpose differs from the generic one", name)
			}
		}
	}
}

// BenchmarkTransposeBlocked times the fast transpose on the shapes estil's evaluations transpose:
// the Gram matrices' gradients (d×d, a power-of-two row stride) and the image's HWC ↔ CHW.
//
//	go test ./internal/gobackend/ops -run '^$' -bench TransposeBlocked
func BenchmarkTransposeBlocked(b *testing.B) {
	rng := rand.New(rand.NewPCG(15, 2))
	for _, dims := range [][]int{{512, 512}, {256, 256}, {1024, 1024}, {500, 500}, {64, 4096}, {4096, 3}} {
		b.Run(fmt.Sprintf("%dx%d", dims[0], dims[1]), func(b *testing.B) {
			shape := shapes.Make(dtypes.Float32, dims...)
			operand, err := backend.BufferFromFlatData(0, randomFloat32s(rng, shape.Size()), shape)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				out, err := ops.ExecTransposeFast(backend, operand.(*gobackend.Buffer), []int{1, 0})
				if err != nil {
					b.Fatal(err)
				}
				backend.PutBuffer(out)
			}
			b.ReportMetric(float64(8*shape.Size())*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}
