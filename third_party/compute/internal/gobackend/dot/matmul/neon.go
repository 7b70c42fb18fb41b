// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build arm64

package matmul

// The float32 matmul for arm64 with NEON (a patch carried by estil; see third_party/PATCHES.md,
// patch 8): the packed "large" path of the AVX2 implementation (pack LHS and RHS into panels,
// one micro-kernel call per output tile), with neonKernel8x8Float32 (Go assembly,
// neon_kernel_arm64.s) as the micro-kernel. Small products go to the generic nosimd router.
//
// NEON (Advanced SIMD, "ASIMD") is mandatory in every AArch64 CPU (the Armv8-A architecture
// makes it part of the base instruction set; Go's arm64 port itself assumes it), so there is no
// CPU feature test: the build tag arm64 is the test. It is plain Go assembly, so it needs no
// GOEXPERIMENT. GOMLX_SIMD_NEON=false turns it off (then the nosimd implementation is used).

import (
	"sync"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/internal/gobackend/dot"
	"github.com/gomlx/compute/support/envutil"
)

// NEONParamsFloat32 are the blocking parameters of the NEON float32 matmul.
//
// Not tuned on hardware (estil has no arm64 machine): Kc keeps an LHS and an RHS strip (8 KiB
// each) in L1, the packed LHS panel (Mc×Kc, 64 KiB) in L2 and the packed RHS panel (Kc×Nc,
// 512 KiB) in L2 on Apple M-series and Neoverse cores.
var NEONParamsFloat32 = CacheParams{
	LHSL1KernelRows:      neonKernelRows, // Mr: 8 rows, 2 LD4R broadcasts per step.
	RHSL1KernelCols:      neonKernelCols, // Nr: 8 columns, 2 vector registers per row.
	PanelContractingSize: 256,            // Kc
	LHSPanelCrossSize:    64,             // Mc (multiple of 8)
	RHSPanelCrossSize:    512,            // Nc (multiple of 8)
}

// neonRegistered tells whether init registered the NEON implementation (for tests).
var neonRegistered bool

func init() {
	if !envutil.MustReadBool(EnabledEnv, true) {
		return
	}
	if envutil.MustReadBool(envutil.SIMD_NEON_Env, true) {
		registerNEON(false)
		neonRegistered = true
	}
}

// RegisterNEONForTests registers the NEON implementation in the test registrations (see
// dot.ResetTestRegistrations).
func RegisterNEONForTests() {
	registerNEON(true)
}

func registerNEON(forTests bool) {
	dot.RegisterImplementation("simd:neon", dot.LayoutNonTransposed, dtypes.Float32, dtypes.Float32, neonRouterFloat32, PriorityNEON, forTests)
	dot.RegisterImplementation("simd:neon", dot.LayoutTransposed, dtypes.Float32, dtypes.Float32, neonRouterFloat32, PriorityNEON, forTests)
}

// neonRouterFloat32 sends small products (fewer than noSIMDSmallMatMulSizeThreshold multiply-adds
// in all, the nosimd router's own criterion, so it takes its small path) to noSIMDRouter, and the
// others to neonLargeFloat32.
func neonRouterFloat32(
	backend *gobackend.Backend,
	layout dot.Layout,
	lhs, rhs []float32,
	batchSize, lhsCrossSize, rhsCrossSize, contractingSize int,
	output []float32) {
	if !ForceLargeVariant && (ForceSmallVariant || batchSize*lhsCrossSize*rhsCrossSize*contractingSize < noSIMDSmallMatMulSizeThreshold) {
		noSIMDRouter[float32, float32](backend, layout, lhs, rhs, batchSize, lhsCrossSize, rhsCrossSize, contractingSize, output)
		return
	}
	neonLargeFloat32(backend, layout, lhs, rhs, batchSize, lhsCrossSize, rhsCrossSize, contractingSize, output)
}

// neonLargeFloat32 is the packed matmul (avx2LargeFloat32's structure): the work is split among
// the backend's workers by feedWorkItems, each packs panels into its own buffers.
func neonLargeFloat32(
	backend *gobackend.Backend,
	layout dot.Layout,
	lhs, rhs []float32,
	batchSize, lhsCrossSize, rhsCrossSize, contractingSize int,
	output []float32,
) {
	if contractingSize == 0 {
		// An empty sum: the panel loops below would not write the output at all.
		clear(output[:batchSize*lhsCrossSize*rhsCrossSize])
		return
	}
	params := NEONParamsFloat32
	maxWorkers := backend.Workers.AdjustedMaxParallelism()
	lhsBatchStride := lhsCrossSize * contractingSize
	rhsBatchStride := rhsCrossSize * contractingSize
	outputBatchStride := lhsCrossSize * rhsCrossSize

	// worker gets its packing buffers and runs work items until the channel is closed.
	worker := func(items <-chan workItem) {
		packedLHSRef, packedLHS, ok := GetBuffer[float32](backend, params.LHSPanelCrossSize*params.PanelContractingSize)
		if !ok {
			return
		}
		defer ReleaseBuffer(packedLHSRef)
		packedRHSRef, packedRHS, ok := GetBuffer[float32](backend, params.PanelContractingSize*params.RHSPanelCrossSize)
		if !ok {
			return
		}
		defer ReleaseBuffer(packedRHSRef)
		packedOutputRef, packedOutput, ok := GetBuffer[float32](backend, params.LHSPanelCrossSize*params.RHSPanelCrossSize)
		if !ok {
			return
		}
		defer ReleaseBuffer(packedOutputRef)
		for item := range items {
			for batchIdx := item.batchStart; batchIdx < item.batchEnd; batchIdx++ {
				neonLargeMatrixSliceFloat32(
					layout,
					lhs[batchIdx*lhsBatchStride:(batchIdx+1)*lhsBatchStride],
					rhs[batchIdx*rhsBatchStride:(batchIdx+1)*rhsBatchStride],
					output[batchIdx*outputBatchStride:(batchIdx+1)*outputBatchStride],
					rhsCrossSize, contractingSize,
					item.lhsRowStart, item.lhsRowEnd, item.rhsColStart, item.rhsColEnd,
					params,
					packedLHS, packedRHS, packedOutput)
			}
		}
	}

	if maxWorkers <= 1 {
		// No parallelism: one work item per example, in order.
		items := make(chan workItem, batchSize)
		for batchIdx := range batchSize {
			items <- workItem{batchIdx, batchIdx + 1, 0, lhsCrossSize, 0, rhsCrossSize}
		}
		close(items)
		worker(items)
		return
	}

	workChan := make(chan workItem, workChannelSize(batchSize, maxWorkers))
	var wg sync.WaitGroup
	wg.Go(func() {
		feedWorkItems(batchSize, lhsCrossSize, rhsCrossSize, &params, maxWorkers, workChan)
	})
	backend.Workers.Saturate(func() { worker(workChan) })
	wg.Wait()
}

// neonLargeMatrixSliceFloat32 computes output rows [rowStart, rowEnd) × columns [colStart, colEnd)
// of one example (lhsMatrix, rhsMatrix and outputMatrix are that example's), panel by panel:
// avx2LargeMatrixSliceFloat32's loops, with the generic packing functions and neonPanelFloat32.
func neonLargeMatrixSliceFloat32(
	layout dot.Layout,
	lhsMatrix, rhsMatrix, outputMatrix []float32,
	rhsCrossSize, contractingSize int,
	rowStart, rowEnd, colStart, colEnd int,
	params CacheParams,
	packedLHS, packedRHS, packedOutput []float32,
) {
	if params.LHSL1KernelRows != neonKernelRows || params.RHSL1KernelCols != neonKernelCols {
		panic("neonLargeMatrixSliceFloat32: the NEON kernel computes 8×8 tiles; NEONParamsFloat32's LHSL1KernelRows and RHSL1KernelCols must be 8")
	}
	// Loop 5 (jc): the RHS cross axis (output columns), by panels of Nc.
	for rhsPanelColIdx := colStart; rhsPanelColIdx < colEnd; rhsPanelColIdx += params.RHSPanelCrossSize {
		rhsPanelWidth := min(params.RHSPanelCrossSize, colEnd-rhsPanelColIdx)

		// Loop 4 (p): the contracting axis, by panels of Kc.
		for contractingPanelIdx := 0; contractingPanelIdx < contractingSize; contractingPanelIdx += params.PanelContractingSize {
			contractingPanelWidth := min(params.PanelContractingSize, contractingSize-contractingPanelIdx)
			if layout == dot.LayoutNonTransposed {
				packRHS(rhsMatrix, packedRHS, contractingPanelIdx, rhsPanelColIdx, rhsCrossSize,
					contractingPanelWidth, rhsPanelWidth, params.RHSL1KernelCols)
			} else {
				// LayoutTransposed: the rhs is [rhsCross, contracting], laid out like the lhs.
				unsafePackLHS(rhsMatrix, packedRHS, rhsPanelColIdx, contractingPanelIdx, contractingSize,
					rhsPanelWidth, contractingPanelWidth, params.RHSL1KernelCols)
			}

			// Loop 3 (ic): the LHS cross axis (output rows), by panels of Mc.
			for lhsPanelRowIdx := rowStart; lhsPanelRowIdx < rowEnd; lhsPanelRowIdx += params.LHSPanelCrossSize {
				lhsPanelHeight := min(params.LHSPanelCrossSize, rowEnd-lhsPanelRowIdx)
				unsafePackLHS(lhsMatrix, packedLHS, lhsPanelRowIdx, contractingPanelIdx, contractingSize,
					lhsPanelHeight, contractingPanelWidth, params.LHSL1KernelRows)

				// Loops 2 and 1 (jr, ir) are in neonPanelFloat32.
				neonPanelFloat32(packedLHS, packedRHS, packedOutput,
					params.LHSPanelCrossSize, params.RHSPanelCrossSize,
					contractingPanelWidth, lhsPanelHeight, rhsPanelWidth)

				// Write (first contracting panel) or add packedOutput to the output.
				noSIMDApplyPackedOutput(packedOutput, outputMatrix,
					contractingPanelIdx == 0,
					params.RHSPanelCrossSize,
					lhsPanelRowIdx, rhsPanelColIdx,
					rhsCrossSize,
					lhsPanelHeight, rhsPanelWidth)
			}
		}
	}
}
