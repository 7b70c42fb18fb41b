// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops

// Float32 Where and full ReduceSum as loops without a serial dependency (a patch carried by estil;
// see third_party/PATCHES.md, patch 19).
//
// The generic executors are correct for every dtype but slow on float32 for two reasons the CPU
// cannot hide:
//
//   - execWhereGeneric branches on every condition. A ReLU's condition (x > 0) is true for about
//     half of the values, at random, so about every other branch is mispredicted: ~1.6 ns per
//     value, 0.4 ms for VGG19's 64×64×64 maps, of which each evaluation has four.
//   - execReduceSumGeneric adds every value into one accumulator through the output iterator,
//     so each addition waits for the one before (4 cycles): 0.36 ms for a 512×512 Gram matrix's
//     difference, six of which make each evaluation's loss.
//
// The float32 functions registered here (at PriorityTyped, so the dtype maps return them instead
// of the generic ones) select by bit masks, with no branch, giving the same bits as the generic
// Where; and sum a whole operand into one value with 16 independent accumulators, which changes
// the order of the additions (pairs of partial sums, not left to right), so the result can differ
// in its last bits from the generic sum, as any reordered float32 sum does. Reductions over some
// axes only go to the generic function.
//
// GOMLX_FLOAT32_LOOPS=false (read once at init) turns both off.

import (
	"math"
	"unsafe"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/support/envutil"
)

// Float32LoopsEnv is the environment variable that turns these float32 loops off when "false".
const Float32LoopsEnv = "GOMLX_FLOAT32_LOOPS"

var float32LoopsEnabled = envutil.MustReadBool(Float32LoopsEnv, true)

func init() {
	if !float32LoopsEnabled {
		return
	}
	whereDTypeMap.Register(dtypes.Float32, gobackend.PriorityTyped, execWhereFloat32)
	reduceSumDTypeMap.Register(dtypes.Float32, gobackend.PriorityTyped, execReduceSumFloat32)
}

// execWhereFloat32 is execWhereGeneric[float32] without branches: output = onTrue where the
// condition holds, else onFalse, each value either of the output's shape or a scalar.
func execWhereFloat32(conditionBuf, onTrueBuf, onFalseBuf, outputBuf *gobackend.Buffer) {
	if conditionBuf.RawShape.IsScalar() {
		execWhereGeneric[float32](conditionBuf, onTrueBuf, onFalseBuf, outputBuf)
		return
	}
	whereFloat32(conditionBuf.Flat.([]bool), onTrueBuf.Flat.([]float32), onFalseBuf.Flat.([]float32),
		outputBuf.Flat.([]float32), onTrueBuf.RawShape.IsScalar(), onFalseBuf.RawShape.IsScalar())
}

// whereFloat32 sets output[i] to onTrue[i] or onFalse[i] (onTrue[0] or onFalse[0] where that value
// is a scalar) by condition[i]: 16 at a time where the AVX-512 loops run (patch 23,
// float32_simd_avx512.go), else by whereFloat32Loops.
func whereFloat32(condition []bool, onTrue, onFalse, output []float32, onTrueIsScalar, onFalseIsScalar bool) {
	if float32SIMD {
		whereFloat32SIMD(condition, onTrue, onFalse, output, onTrueIsScalar, onFalseIsScalar)
		return
	}
	whereFloat32Loops(condition, onTrue, onFalse, output, onTrueIsScalar, onFalseIsScalar)
}

// whereFloat32Loops is whereFloat32 in Go, one loop per case so that each has no index arithmetic.
func whereFloat32Loops(condition []bool, onTrue, onFalse, output []float32, onTrueIsScalar, onFalseIsScalar bool) {
	n := len(condition)
	output = output[:n]
	switch {
	case !onTrueIsScalar && !onFalseIsScalar:
		onTrue, onFalse = onTrue[:n], onFalse[:n]
		for i, c := range condition {
			mask := boolMask(c)
			output[i] = math.Float32frombits(math.Float32bits(onTrue[i])&mask | math.Float32bits(onFalse[i])&^mask)
		}
	case !onTrueIsScalar:
		onTrue = onTrue[:n]
		f := math.Float32bits(onFalse[0])
		for i, c := range condition {
			mask := boolMask(c)
			output[i] = math.Float32frombits(math.Float32bits(onTrue[i])&mask | f&^mask)
		}
	case !onFalseIsScalar:
		onFalse = onFalse[:n]
		t := math.Float32bits(onTrue[0])
		for i, c := range condition {
			mask := boolMask(c)
			output[i] = math.Float32frombits(t&mask | math.Float32bits(onFalse[i])&^mask)
		}
	default:
		t, f := math.Float32bits(onTrue[0]), math.Float32bits(onFalse[0])
		for i, c := range condition {
			mask := boolMask(c)
			output[i] = math.Float32frombits(t&mask | f&^mask)
		}
	}
}

// boolMask is all ones for true and zero for false, without a branch: a Go bool is one byte, 0 or 1.
func boolMask(c bool) uint32 {
	return -uint32(*(*uint8)(unsafe.Pointer(&c)))
}

// execReduceSumFloat32 sums a whole float32 operand into its one output value with sumFloat32;
// reductions that keep some axes go to execReduceSumGeneric.
func execReduceSumFloat32(operand, output *gobackend.Buffer, it *ReduceOutputIterator, dtype dtypes.DType) error {
	outputFlat := output.Flat.([]float32)
	if len(outputFlat) != 1 {
		return execReduceSumGeneric[float32](operand, output, it, dtype)
	}
	outputFlat[0] = sumFloat32(operand.Flat.([]float32))
	return nil
}

// sumFloat32 returns Σ values, with 16 running sums (values i mod 16) added pairwise at the end,
// then the remaining values.
func sumFloat32(values []float32) float32 {
	var acc [16]float32
	i := 0
	if float32SIMD { // the same 16 sums, in one AVX-512 register (patch 23)
		acc, i = sumFloat32x16(values)
	}
	for ; i+16 <= len(values); i += 16 {
		v := (*[16]float32)(values[i : i+16])
		for j := range acc {
			acc[j] += v[j]
		}
	}
	for width := 8; width >= 1; width /= 2 {
		for j := range width {
			acc[j] += acc[j+width]
		}
	}
	sum := acc[0]
	for ; i < len(values); i++ {
		sum += values[i]
	}
	return sum
}
