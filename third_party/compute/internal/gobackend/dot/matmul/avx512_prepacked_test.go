// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64 && goexperiment.simd

package matmul

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/internal/gobackend/dot"
)

// TestPrepackedLHSMatchesPacking multiplies random float32 products twice through the AVX-512
// large path (estil patch 28): packing the LHS at each panel, and from an LHS packed ahead of
// time. The packed values, the kernel and the order of the sums are the same, so the outputs
// must be equal bit for bit. The shapes cross every blocking boundary: rows not a multiple of 4
// and more than one Mc panel, contracting sizes around Kc = 128, columns around the 32-wide
// tiles and over one Nc panel, batches that split by example and single matrices that split by
// rows or columns, with one worker and with two.
func TestPrepackedLHSMatchesPacking(t *testing.T) {
	requireAVX512(t)
	defer func() { ForceLargeVariant, ForceSmallVariant = false, false }()
	ForceLargeVariant = true
	r := rand.New(rand.NewPCG(28, 1))
	sizes := []int{1, 3, 4, 5, 23, 24, 25, 31, 64, 100, 127, 128, 129, 255, 256, 300, 513}
	pick := func() int { return sizes[r.IntN(len(sizes))] }
	fixed := [][4]int{{1, 512, 64, 4608}, {16, 64, 36, 128}, {1, 27, 1030, 130}, {3, 50, 40, 257}}
	for _, config := range []string{"parallelism=1", "parallelism=2"} {
		b, err := gobackend.New(config)
		if err != nil {
			t.Fatal(err)
		}
		backend := b.(*gobackend.Backend)
		for tc := range 60 {
			batch, m, n, k := 1+r.IntN(3), pick(), pick(), pick()
			if tc < len(fixed) {
				batch, m, n, k = fixed[tc][0], fixed[tc][1], fixed[tc][2], fixed[tc][3]
			}
			lhs, rhs := make([]float32, batch*m*k), make([]float32, batch*k*n)
			for i := range lhs {
				lhs[i] = float32(r.NormFloat64())
			}
			for i := range rhs {
				rhs[i] = float32(r.NormFloat64())
			}
			want, got := make([]float32, batch*m*n), make([]float32, batch*m*n)
			avx512LargeFloat32(backend, dot.LayoutNonTransposed, lhs, rhs, batch, m, n, k, want)
			packed := make([]float32, avx512PrepackedLHS.Size(batch, m, k))
			for i := range packed { // garbage where the packing must write
				packed[i] = 7
			}
			avx512PrepackedLHS.Pack(packed, lhs, batch, m, k)
			for i := range got {
				got[i] = -7
			}
			avx512PrepackedLHS.MatMul(backend, packed, rhs, got, batch, m, k, n)
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%s, batch %d, [%d, %d]·[%d, %d]: out[%d] = %v, want %v (packing at each panel)",
						config, batch, m, k, k, n, i, got[i], want[i])
				}
			}
		}
		b.Finalize()
	}
}

// TestPrepackedLHSRegistered checks that the float32 AVX-512 implementation offers the packed
// form, for the products its router packs and for no others.
func TestPrepackedLHSRegistered(t *testing.T) {
	requireAVX512(t)
	RegisterAVX512ForTests()
	defer dot.ResetTestRegistrations()
	impl := dot.FindRegisteredImplementation(dot.LayoutNonTransposed, dtypes.Float32, dtypes.Float32)
	p := impl.PrepackedLHSFloat32()
	if p == nil {
		t.Fatal("the AVX-512 float32 implementation has no PrepackedLHSFloat32")
	}
	if p.Applies(1, 4, 4, 4) {
		t.Error("Applies to a 4×4×4 product, which the router multiplies without packing")
	}
	if !p.Applies(1, 512, 4608, 64) {
		t.Error("does not apply to a [512, 4608]·[4608, 64] product, which the router packs")
	}
}

// BenchmarkPrepackedLHSStream multiplies VGG19's conv4 at 64×64 pixels, [512, 4608]·[4608, 64],
// with the kernel (the LHS) packed at each call and packed ahead of time (patch 28). It cycles
// through 8 kernels, 75 MB, so that each comes from memory, as in a whole evaluation, where the
// network's weights do not fit in the caches; an isolated product on one kernel would find it in
// the L3 cache.
func BenchmarkPrepackedLHSStream(b *testing.B) {
	const m, k, n, kernels = 512, 4608, 64, 8
	backend, err := gobackend.New("parallelism=2")
	if err != nil {
		b.Fatal(err)
	}
	defer backend.Finalize()
	r := rand.New(rand.NewPCG(28, 4))
	var plain, packed [kernels][]float32
	for i := range kernels {
		plain[i] = make([]float32, m*k)
		for j := range plain[i] {
			plain[i][j] = float32(r.NormFloat64())
		}
		packed[i] = make([]float32, avx512PrepackedLHS.Size(1, m, k))
		avx512PrepackedLHS.Pack(packed[i], plain[i], 1, m, k)
	}
	rhs, out := make([]float32, k*n), make([]float32, m*n)
	for i := range rhs {
		rhs[i] = float32(r.NormFloat64())
	}
	for _, prepacked := range []bool{false, true} {
		b.Run(fmt.Sprintf("prepacked=%v", prepacked), func(b *testing.B) {
			i := 0
			for b.Loop() {
				if prepacked {
					avx512PrepackedLHS.MatMul(backend.(*gobackend.Backend), packed[i%kernels], rhs, out, 1, m, k, n)
				} else {
					avx512LargeFloat32(backend.(*gobackend.Backend), dot.LayoutNonTransposed, plain[i%kernels], rhs, 1, m, n, k, out)
				}
				i++
			}
			b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
