// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build arm64

package matmul

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/internal/gobackend/dot"
	"github.com/gomlx/compute/support/envutil"
)

// closeTo reports whether got matches the float64 sum want, whose terms' absolute values add up
// to absSum (float32 rounding of a sum of n products is bounded by ~n·eps·Σ|terms|).
func closeTo(got float32, want, absSum float64, n int) bool {
	g := float64(got)
	if math.IsNaN(g) || math.IsInf(g, 0) {
		return false
	}
	return math.Abs(g-want) <= float64(n+2)*1.2e-7*absSum+1e-30
}

// TestNEONKernelAsm runs neonPanelFloat32 (and so the assembly kernel) on random packed panels,
// with random panel sizes, contracting lengths (0 included) and partial tiles, against a scalar
// float64 reference of the same packed layout. The output starts as NaN, so a kernel that
// accumulates into it (or skips part of the tile) fails; the cells beyond the last tiles must
// stay NaN (the kernel writes whole 8×8 tiles and nothing else).
func TestNEONKernelAsm(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 8))
	nan := float32(math.NaN())
	const numCases = 400
	for tc := range numCases {
		contractingLen := rng.IntN(300)
		if tc < 3 {
			contractingLen = tc // 0, 1 and 2 always.
		}
		lhsActiveRows := 1 + rng.IntN(40)
		rhsActiveCols := 1 + rng.IntN(72)
		paddedRows := (lhsActiveRows + 7) / 8 * 8
		paddedCols := (rhsActiveCols + 7) / 8 * 8
		rhsPanelCols := paddedCols + 8*rng.IntN(3) // Output row stride, at least the padded tile.

		// Packed panels: [strip][k][8], padding included (random here, since the kernel computes
		// whole tiles and only the active part is checked).
		packedLHS := make([]float32, paddedRows*contractingLen)
		packedRHS := make([]float32, paddedCols*contractingLen)
		for i := range packedLHS {
			packedLHS[i] = float32(rng.NormFloat64())
		}
		for i := range packedRHS {
			packedRHS[i] = float32(rng.NormFloat64())
		}
		// The output has a guard row below the tiles.
		packedOutput := make([]float32, (paddedRows+1)*rhsPanelCols)
		for i := range packedOutput {
			packedOutput[i] = nan
		}

		neonPanelFloat32(packedLHS, packedRHS, packedOutput, paddedRows, rhsPanelCols, contractingLen, lhsActiveRows, rhsActiveCols)

		failures := 0
		for r := range paddedRows + 1 {
			for c := range rhsPanelCols {
				got := packedOutput[r*rhsPanelCols+c]
				if r >= paddedRows || c >= paddedCols {
					if !math.IsNaN(float64(got)) {
						t.Errorf("case %d (K=%d, rows %d, cols %d, stride %d): wrote outside the tiles at [%d, %d]: %g",
							tc, contractingLen, lhsActiveRows, rhsActiveCols, rhsPanelCols, r, c, got)
						failures++
					}
					continue
				}
				if r >= lhsActiveRows || c >= rhsActiveCols {
					continue // Tile padding: don't care.
				}
				var want, absSum float64
				lhsStrip, rhsStrip := (r/8)*8*contractingLen, (c/8)*8*contractingLen
				for k := range contractingLen {
					p := float64(packedLHS[lhsStrip+8*k+r%8]) * float64(packedRHS[rhsStrip+8*k+c%8])
					want += p
					absSum += math.Abs(p)
				}
				if !closeTo(got, want, absSum, contractingLen) {
					t.Errorf("case %d (K=%d, rows %d, cols %d, stride %d): out[%d, %d] = %g, want %g",
						tc, contractingLen, lhsActiveRows, rhsActiveCols, rhsPanelCols, r, c, got, want)
					failures++
				}
				if failures > 10 {
					t.FailNow()
				}
			}
		}
	}
}

// TestNEONPanelBounds checks that neonPanelFloat32 refuses panels too short for its tiles.
func TestNEONPanelBounds(t *testing.T) {
	mustPanic := func(name string, fn func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", name)
			}
		}()
		fn()
	}
	k := 5
	lhs, rhs, out := make([]float32, 8*k), make([]float32, 16*k), make([]float32, 8*16)
	neonPanelFloat32(lhs, rhs, out, 8, 16, k, 8, 16) // Fits exactly.
	mustPanic("short lhs", func() { neonPanelFloat32(lhs[:8*k-1], rhs, out, 8, 16, k, 8, 16) })
	mustPanic("short rhs", func() { neonPanelFloat32(lhs, rhs[:16*k-1], out, 8, 16, k, 8, 16) })
	mustPanic("short out", func() { neonPanelFloat32(lhs, rhs, out[:8*16-1], 8, 16, k, 8, 16) })
	mustPanic("partial tile beyond lhs", func() { neonPanelFloat32(lhs, rhs, out, 8, 16, k, 9, 16) })
	mustPanic("stride under the tiles", func() { neonPanelFloat32(lhs, rhs, out, 8, 12, k, 8, 12) })
}

// TestNEONMatMul runs whole products through neonRouterFloat32 (the large path forced, so the
// packing, the panel loops and the kernel all run) on random shapes, odd and larger than a panel
// included, both layouts, with one worker and with several, against a float64 reference and
// against the nosimd implementation.
func TestNEONMatMul(t *testing.T) {
	defer func() { ForceLargeVariant, ForceSmallVariant = false, false }()
	rng := rand.New(rand.NewPCG(7, 8))
	sizes := []int{1, 2, 3, 7, 8, 9, 15, 17, 31, 63, 64, 65, 100, 129, 257, 300, 513, 530}
	pick := func() int { return sizes[rng.IntN(len(sizes))] }
	fixedShapes := [][4]int{{1, 130, 530, 300}, {1, 65, 513, 520}, {1, 70, 1030, 70}, {3, 9, 17, 1000}}
	for _, config := range []string{"parallelism=1", "parallelism=4"} {
		b, err := gobackend.New(config)
		if err != nil {
			t.Fatal(err)
		}
		backend := b.(*gobackend.Backend)
		for tc := range 40 {
			layout := dot.LayoutNonTransposed
			if tc%2 == 1 {
				layout = dot.LayoutTransposed
			}
			batch, m, n, k := 1+rng.IntN(3), pick(), pick(), pick()
			if m*n*k*batch > 6_000_000 { // Keep it quick under emulation.
				k = max(1, 6_000_000/(m*n*batch))
			}
			if tc < len(fixedShapes) {
				// Several panels on every axis (Kc 256, Mc 64, Nc 512), with partial ones.
				batch, m, n, k = fixedShapes[tc][0], fixedShapes[tc][1], fixedShapes[tc][2], fixedShapes[tc][3]
			}
			name := fmt.Sprintf("%s/%s/b%d_m%d_n%d_k%d", config, layout, batch, m, n, k)
			lhs := make([]float32, batch*m*k)
			rhs := make([]float32, batch*k*n)
			for i := range lhs {
				lhs[i] = float32(rng.NormFloat64())
			}
			for i := range rhs {
				rhs[i] = float32(rng.NormFloat64())
			}
			got := make([]float32, batch*m*n)
			for i := range got {
				got[i] = float32(math.NaN())
			}
			ForceLargeVariant = true
			neonRouterFloat32(backend, layout, lhs, rhs, batch, m, n, k, got)
			ForceLargeVariant = false
			generic := make([]float32, batch*m*n)
			noSIMDRouter[float32, float32](backend, layout, lhs, rhs, batch, m, n, k, generic)

			failures := 0
			for bi := range batch {
				for i := range m {
					for j := range n {
						var want, absSum float64
						for kk := range k {
							l := float64(lhs[bi*m*k+i*k+kk])
							var r float64
							if layout == dot.LayoutNonTransposed {
								r = float64(rhs[bi*k*n+kk*n+j]) // rhs [batch, k, n]
							} else {
								r = float64(rhs[bi*n*k+j*k+kk]) // rhs [batch, n, k]
							}
							want += l * r
							absSum += math.Abs(l * r)
						}
						idx := bi*m*n + i*n + j
						if !closeTo(got[idx], want, absSum, k) || !closeTo(generic[idx], want, absSum, k) {
							t.Errorf("%s: out[%d, %d, %d] = %g (nosimd %g), want %g", name, bi, i, j, got[idx], generic[idx], want)
							failures++
							if failures > 10 {
								t.FailNow()
							}
						}
					}
				}
			}
		}
		backend.Finalize()
	}
}

// TestNEONRegistration checks that GOMLX_SIMD_NEON turns the implementation on (default) and off.
func TestNEONRegistration(t *testing.T) {
	want := envutil.MustReadBool(EnabledEnv, true) && envutil.MustReadBool(envutil.SIMD_NEON_Env, true)
	if neonRegistered != want {
		t.Fatalf("neonRegistered = %v, want %v (%s=%q)", neonRegistered, want, envutil.SIMD_NEON_Env, os.Getenv(envutil.SIMD_NEON_Env))
	}
	t.Logf("%s: NEON matmul registered: %v", envutil.SIMD_NEON_Env, neonRegistered)
}
