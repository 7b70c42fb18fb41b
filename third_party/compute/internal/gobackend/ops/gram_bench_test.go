// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/shapes"
)

// BenchmarkGramMatrix times the Gram matrices of VGG19's style layers at 64 px (and conv1_1's and
// conv2_1's at 256 px), F·Fᵀ for F [d, h·w] written as a DotGeneral that contracts F's last axis
// with itself (the transposed layout, whose RHS packing estil's patch 27 transposes in registers):
//
//	go test ./internal/gobackend/ops -run '^$' -bench GramMatrix
func BenchmarkGramMatrix(b *testing.B) {
	for _, c := range []struct{ d, hw int }{{64, 4096}, {128, 1024}, {256, 256}, {512, 64}, {512, 16}, {64, 65536}, {128, 16384}} {
		b.Run(fmt.Sprintf("%dx%d", c.d, c.hw), func(b *testing.B) {
			shape := shapes.Make(dtypes.Float32, c.d, c.hw)
			builder := backend.Builder("gram")
			fn := builder.Main()
			x, _ := fn.Parameter("x", shape, nil)
			y, err := fn.DotGeneral(x, []int{1}, nil, x, []int{1}, nil, compute.DotGeneralConfig{})
			if err != nil {
				b.Fatal(err)
			}
			fn.Return([]compute.Value{y}, nil)
			exec, err := builder.Compile()
			if err != nil {
				b.Fatal(err)
			}
			r := rand.New(rand.NewPCG(1, 2))
			in, _ := backend.BufferFromFlatData(0, randomFloats(r, shape.Size()), shape)
			for b.Loop() {
				out, err := exec.Execute([]compute.Buffer{in}, nil, 0)
				if err != nil {
					b.Fatal(err)
				}
				backend.PutBuffer(out[0].(*gobackend.Buffer))
			}
			b.ReportMetric(2*float64(c.d*c.d*c.hw)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
