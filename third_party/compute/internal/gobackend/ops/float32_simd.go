// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops

// The float32 functions the parallel element-wise executors (patch 12) run on each chunk: the
// AVX-512 loops (patch 23, float32_simd_avx512.go) for same-shaped operands or one scalar, the
// generic ones otherwise.

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
)

// hasSIMDLoop lists the binary ops whose chunk function below has an AVX-512 loop.
var hasSIMDLoop = map[compute.OpType]bool{
	compute.OpTypeAdd: true, compute.OpTypeMul: true, compute.OpTypeSub: true, compute.OpTypeGreaterThan: true,
}

// simdOperands reports whether a chunk is one the AVX-512 loops take: the lhs as long as the
// output and the rhs too or a single value; or, where the op has such a loop (lhsScalar), the
// lhs a single value and the rhs as long as the output.
func simdOperands(lhs, rhs []float32, n int, lhsScalar bool) bool {
	if !float32SIMD {
		return false
	}
	return len(lhs) == n && (len(rhs) == n || len(rhs) == 1) || lhsScalar && len(lhs) == 1 && len(rhs) == n
}

func addFloat32(lhs, rhs, output []float32, lhsShape, rhsShape, outputShape shapes.Shape) {
	if simdOperands(lhs, rhs, len(output), false) {
		addFloat32SIMD(lhs, rhs, output)
		return
	}
	execAddNumericGeneric(lhs, rhs, output, lhsShape, rhsShape, outputShape)
}

func mulFloat32(lhs, rhs, output []float32, lhsShape, rhsShape, outputShape shapes.Shape) {
	if simdOperands(lhs, rhs, len(output), false) {
		mulFloat32SIMD(lhs, rhs, output)
		return
	}
	execMulNumericGeneric(lhs, rhs, output, lhsShape, rhsShape, outputShape)
}

func subFloat32(lhs, rhs, output []float32, lhsShape, rhsShape, outputShape shapes.Shape) {
	if simdOperands(lhs, rhs, len(output), true) {
		subFloat32SIMD(lhs, rhs, output)
		return
	}
	execSubNumericGeneric(lhs, rhs, output, lhsShape, rhsShape, outputShape)
}

func greaterThanFloat32(lhs, rhs []float32, output []bool, lhsShape, rhsShape, outputShape shapes.Shape) {
	if float32SIMD && len(lhs) == len(output) && len(rhs) == 1 {
		greaterThanScalarFloat32SIMD(lhs, rhs[0], output)
		return
	}
	execGreaterThanNumericGeneric(lhs, rhs, output, lhsShape, rhsShape, outputShape)
}
