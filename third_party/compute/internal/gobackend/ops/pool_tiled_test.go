// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/internal/gobackend/ops"
	"github.com/gomlx/compute/shapeinference"
	"github.com/gomlx/compute/shapes"
)

// poolingValues returns n values with what max pooling must get right: ties (zeros, as after a
// ReLU, and repeated values), −0, ±Inf and a few NaNs.
func poolingValues(rng *rand.Rand, n int) []float32 {
	v := randomFloat32s(rng, n)
	for i := range v {
		switch rng.IntN(64) {
		case 0:
			v[i] = float32(math.Copysign(0, -1))
		case 1:
			v[i] = float32(math.Inf(-1))
		case 2:
			v[i] = float32(math.Inf(1))
		case 3:
			v[i] = float32(math.NaN())
		}
	}
	return v
}

type poolingCase struct {
	dims            []int
	window, strides []int
	paddings        [][2]int
	fast            bool
}

func poolingCases() []poolingCase {
	th := ops.ParallelElementwiseMinSize()
	return []poolingCase{
		// VGG19's pooling, [C, H, W] and [N, C, H, W], odd sizes, and one past the parallel threshold.
		{dims: []int{3, 8, 8}, window: []int{1, 2, 2}, fast: true},
		{dims: []int{5, 7, 9}, window: []int{1, 2, 2}, strides: []int{1, 2, 2}, fast: true},
		{dims: []int{2, 3, 6, 5}, window: []int{1, 1, 2, 2}, fast: true},
		{dims: []int{64, 33, 31}, window: []int{1, 2, 2}, fast: true},
		{dims: []int{3, 6, 64}, window: []int{1, 2, 2}, fast: true}, // whole blocks of 16 windows (patch 26)
		{dims: []int{16, th / 128, 129}, window: []int{1, 2, 2}, fast: true},
		{dims: []int{1, 2, th / 32, 33}, window: []int{1, 1, 2, 2}, fast: true},
		// Other tilings of the last two axes.
		{dims: []int{4, 9, 10}, window: []int{1, 3, 2}, fast: true},
		{dims: []int{7, 10}, window: []int{1, 5}, fast: true},
		{dims: []int{6, 9}, window: []int{3, 3}, fast: true},
		// Left to the generic executor: overlapping windows, padding, a window over a leading axis.
		{dims: []int{3, 8, 8}, window: []int{1, 3, 3}, strides: []int{1, 2, 2}},
		{dims: []int{3, 8, 8}, window: []int{1, 2, 2}, paddings: [][2]int{{0, 0}, {1, 1}, {1, 1}}},
		{dims: []int{4, 8, 8}, window: []int{2, 2, 2}},
	}
}

func (c poolingCase) String() string {
	return fmt.Sprintf("%v/window%v/strides%v/pad%v", c.dims, c.window, c.strides, c.paddings)
}

// TestMaxPoolTiled checks that the fast max pooling (patch 14) gives the generic ReduceWindow's
// result bit for bit, and runs exactly where it should.
func TestMaxPoolTiled(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 1))
	for _, c := range poolingCases() {
		shape := shapes.Make(dtypes.Float32, c.dims...)
		x := makeBuffer(t, shape, poolingValues(rng, shape.Size()))
		for _, reduction := range []compute.ReduceOpType{compute.ReduceOpMax, compute.ReduceOpSum} {
			runs := ops.FastPoolingRuns()
			fast, generic, err := ops.ExecMaxPool(backend, reduction, x, c.window, c.strides, c.paddings)
			if err != nil {
				t.Fatalf("%s %s: %+v", c, reduction, err)
			}
			ran := ops.FastPoolingRuns() > runs
			if want := c.fast && reduction == compute.ReduceOpMax; ran != want {
				t.Errorf("%s %s: fast path ran=%v, want %v", c, reduction, ran, want)
			}
			if !fast.RawShape.Equal(generic.RawShape) {
				t.Fatalf("%s %s: shapes %s != %s", c, reduction, fast.RawShape, generic.RawShape)
			}
			if ok, diff := sameBits(fast.Flat, generic.Flat); !ok {
				t.Errorf("%s %s: fast result differs from the generic one: %s", c, reduction, diff)
			}
		}
	}
}

// TestMaxPoolGradientTiled checks the same for max pooling's gradient, SelectAndScatterMax.
func TestMaxPoolGradientTiled(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 2))
	for _, c := range poolingCases() {
		shape := shapes.Make(dtypes.Float32, c.dims...)
		x := makeBuffer(t, shape, poolingValues(rng, shape.Size()))
		pooled, err := shapeinference.ReduceWindow(shape, c.window, c.strides, nil, nil, c.paddings)
		if err != nil {
			t.Fatalf("%s: %+v", c, err)
		}
		source := makeBuffer(t, pooled, poolingValues(rng, pooled.Size()))
		runs := ops.FastPoolingRuns()
		fast, generic, err := ops.ExecMaxPoolGradient(backend, x, source, c.window, c.strides, c.paddings)
		if err != nil {
			t.Fatalf("%s: %+v", c, err)
		}
		if ran := ops.FastPoolingRuns() > runs; ran != c.fast {
			t.Errorf("%s: fast path ran=%v, want %v", c, ran, c.fast)
		}
		if ok, diff := sameBits(fast.Flat, generic.Flat); !ok {
			t.Errorf("%s: fast gradient differs from the generic one: %s", c, diff)
		}
	}
}

// TestFastPoolingOff checks GOMLX_FAST_POOLING's switch: off, the generic executors run.
func TestFastPoolingOff(t *testing.T) {
	prev := ops.SetFastPooling(false)
	defer ops.SetFastPooling(prev)
	x := makeBuffer(t, shapes.Make(dtypes.Float32, 2, 4, 4), make([]float32, 32))
	runs := ops.FastPoolingRuns()
	if _, _, err := ops.ExecMaxPool(backend, compute.ReduceOpMax, x, []int{1, 2, 2}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if ops.FastPoolingRuns() != runs {
		t.Error("the fast path ran while turned off")
	}
}

// BenchmarkMaxPoolGradientTiled times VGG19's first two max pooling gradients at 64 px
// ([64, 64, 64] and [128, 32, 32] to their halves), on ReLU-like values (a quarter zeros):
//
//	go test ./internal/gobackend/ops -run '^$' -bench MaxPoolGradientTiled   (GOMLX_SIMD_AVX512=false: the plain loop)
func BenchmarkMaxPoolGradientTiled(b *testing.B) {
	rng := rand.New(rand.NewPCG(26, 1))
	for _, dims := range [][]int{{64, 64, 64}, {128, 32, 32}} {
		b.Run(fmt.Sprintf("%dx%dx%d", dims[0], dims[1], dims[2]), func(b *testing.B) {
			shape := shapes.Make(dtypes.Float32, dims...)
			values := randomFloat32s(rng, shape.Size())
			for i := range values {
				values[i] = max(values[i], 0)
			}
			buffer := func(shape shapes.Shape, flat []float32) *gobackend.Buffer {
				buf, err := backend.BufferFromFlatData(0, flat, shape)
				if err != nil {
					b.Fatal(err)
				}
				return buf.(*gobackend.Buffer)
			}
			x := buffer(shape, values)
			source := buffer(shapes.Make(dtypes.Float32, dims[0], dims[1]/2, dims[2]/2), randomFloat32s(rng, shape.Size()/4))
			for b.Loop() {
				out, err := ops.ExecMaxPoolGradientFast(backend, x, source, []int{1, 2, 2})
				if err != nil {
					b.Fatal(err)
				}
				backend.PutBuffer(out)
			}
		})
	}
}
