// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops

// Constant convolution kernels kept in the matmul's packed layout (a patch carried by estil; see
// third_party/PATCHES.md, patch 28).
//
// im2col (channels first) and Winograd multiply with the kernel as the product's left operand:
// [outC, inC·kH·kW] · columns, or Winograd's 16 [outC, inC] · V_ξ. The packing matmul copies that
// operand into its micro-kernel's layout, panel by panel, at every call. For a constant kernel
// (patch 13's cache) the copy is the same every time, and for the deep layers at small sizes it
// is a large part of the work: VGG19's conv4 kernels are 9.4 MB each, multiplied by 64 columns
// at 64×64 pixels, so the product reads each packed value twice and packs it once. Where the
// registered implementation takes its LHS packed ahead of time (dot.PrepackedLHSFloat32: the
// float32 AVX-512 one), the kernel is derived as before, packed once, and kept in the cache in
// place of the derived matrix; the product then reads the panels in place.
//
// Set GOMLX_CONV_PREPACKED=false to pack the kernel at every call, as before.

import (
	"sync/atomic"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/internal/gobackend/dot"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/compute/support/envutil"
)

// ConvPrepackedEnv is the environment variable that turns the packed kernels off when "false".
const ConvPrepackedEnv = "GOMLX_CONV_PREPACKED"

var (
	convPrepackedEnabled = envutil.MustReadBool(ConvPrepackedEnv, true)

	// Products multiplied from a packed kernel, read by the tests (export_test.go).
	convPrepackedRuns atomic.Int64
)

// prepackedKernel returns the kernel as batch packed [m, k] LHS matrices, kept in the kernel cache,
// for products with n columns; or nil where the kernel is not constant, the implementation does
// not take a packed LHS, or would not pack it for such a product (the caller then multiplies as
// before). derive writes the plain matrices (batch·m·k values); nil means the kernel's own
// buffer is the matrix.
func (p *im2colPlan) prepackedKernel(backend *gobackend.Backend, kernel *gobackend.Buffer, what kernelDerivation, batch, m, k, n int,
	derive func(dst []float32)) (*dot.PrepackedLHSFloat32, []float32) {
	packing := p.implementation.PrepackedLHSFloat32()
	if !convPrepackedEnabled || packing == nil || !packing.Applies(batch, m, k, n) {
		return nil, nil
	}
	what.prepacked = true
	packed := cachedKernel(kernel, what, packing.Size(batch, m, k), func(dst []float32) {
		plain := p.kernelFlat
		if derive != nil {
			// A pooled buffer: a new slice for each kernel would leave up to 16 MB of garbage each
			// (Winograd's U at 512 channels) and raise the heap's peak.
			if buf, err := backend.GetBuffer(shapes.Make(dtypes.Float32, batch*m*k)); err == nil {
				defer backend.PutBuffer(buf)
				plain = buf.Flat.([]float32)[:batch*m*k]
			} else { // a finalized backend: no pool
				plain = make([]float32, batch*m*k)
			}
			derive(plain)
		}
		packing.Pack(dst, plain, batch, m, k)
	})
	if packed == nil {
		return nil, nil
	}
	return packing, packed
}

// matmulPrepacked computes out[b, m, n] = Σ_k lhs[b, m, k] · rhs[b, k, n] from the packed lhs.
func matmulPrepacked(backend *gobackend.Backend, packing *dot.PrepackedLHSFloat32, packedLHS, rhs, out []float32, batch, m, k, n int) {
	convPrepackedRuns.Add(1)
	packing.MatMul(backend, packedLHS, rhs, out, batch, m, k, n)
}
