// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package dot

// Matrix products whose left operand was packed ahead of time (a patch carried by estil; see
// third_party/PATCHES.md, patch 28).
//
// A packing matmul copies each block of its operands into the layout its micro-kernel reads
// (panels of a few rows, interleaved) before it multiplies them. When the left operand is a
// constant -- a convolution's kernel in a network whose weights do not change -- that copy is the
// same at every execution: for VGG19 at 64×64 pixels, about 80 MB of weights read with a stride
// and written again per evaluation. An implementation that can take its left operand packed
// registers a PrepackedLHSFloat32 next to its product; a caller that keeps constants packs them
// once with Pack and multiplies with MatMul.

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
)

// PrepackedLHSFloat32 is a float32 product out[b] = lhs[b]·rhs[b] (lhs [m, k], rhs [k, n], both
// row-major, non-transposed) whose lhs was packed beforehand into the implementation's layout.
type PrepackedLHSFloat32 struct {
	// Size is the number of float32 values that Pack writes for batch [m, k] matrices.
	Size func(batch, m, k int) int
	// Pack writes the packed form of lhs (batch [m, k] matrices) into dst[:Size(batch, m, k)].
	Pack func(dst, lhs []float32, batch, m, k int)
	// Applies says whether the implementation packs its LHS for such a product at all: it
	// multiplies small ones without packing, and those are better left to it, with the plain lhs.
	Applies func(batch, m, k, n int) bool
	// MatMul writes out[b, m, n] = Σ_k lhs[b, m, k] · rhs[b, k, n], lhs given by its packed form.
	MatMul func(backend *gobackend.Backend, packedLHS, rhs, out []float32, batch, m, k, n int)
}

// RegisterPrepackedLHSFloat32 attaches p to the float32 non-transposed implementation registered
// under name (with RegisterImplementation, and the same forTests); it does nothing if the
// implementation registered there now has another name (one of a higher priority).
func RegisterPrepackedLHSFloat32(name string, p *PrepackedLHSFloat32, forTests bool) {
	registration := registeredImplementations
	if forTests {
		registration = testRegisteredImplementations
	}
	key := ImplementationKey{Layout: LayoutNonTransposed, InputDType: dtypes.Float32, OutputDType: dtypes.Float32}
	if reg := registration[key]; reg != nil && reg.name == name {
		reg.prepackedLHS = p
	}
}

// PrepackedLHSFloat32 returns the implementation's product from a packed left operand, or nil
// if it has none (then only CallRegisteredImplementation multiplies with it).
func (r *ImplementationRegistration) PrepackedLHSFloat32() *PrepackedLHSFloat32 {
	if r == nil {
		return nil
	}
	return r.prepackedLHS
}
