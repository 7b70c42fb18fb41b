// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops

import (
	"os"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/shapes"
)

// Parallel element-wise ops (compute patch 12).
//
// The generated executors of the element-wise ops run on one goroutine. For large float32 tensors
// the executors registered here (at PriorityTyped, so they replace the generic ones) split the flat
// index range into a few contiguous chunks and run the same serial typed functions on each chunk's
// sub-slices on the backend's workers. Each output element is computed by the same code from the
// same inputs, so the results are bit-identical to the serial path. Everything else (other dtypes,
// small tensors, broadcasting other than a per-row scalar, workers disabled) goes to the original
// executor unchanged.
//
// GOMLX_PARALLEL_ELEMENTWISE=false (read once at init) turns it off.

var (
	// parallelElementwiseEnabled turns the parallel element-wise executors on or off.
	parallelElementwiseEnabled = true

	// parallelElementwiseMinSize is the output size (elements) from which an op runs in parallel.
	parallelElementwiseMinSize = 1 << 15

	// parallelElementwiseChunksPerWorker is how many chunks each worker gets (load balancing).
	parallelElementwiseChunksPerWorker = 2
)

// parallelElementwiseRuns counts the ops run in parallel (for tests).
var parallelElementwiseRuns atomic.Int64

// parallelElementwiseAlign is the chunk boundary alignment, in elements.
const parallelElementwiseAlign = 16

// parallelElementwiseMinRow is the smallest row for the per-row broadcasting case.
const parallelElementwiseMinRow = 256

func init() {
	if v, ok := os.LookupEnv("GOMLX_PARALLEL_ELEMENTWISE"); ok {
		if b, err := strconv.ParseBool(v); err == nil {
			parallelElementwiseEnabled = b
		}
	}
	if v, ok := os.LookupEnv("GOMLX_PARALLEL_ELEMENTWISE_MIN"); ok {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			parallelElementwiseMinSize = n
		}
	}
	registerParallelElementwise()
}

// lhsScalarMode says how a binary op's typed function deals with a scalar lhs.
type lhsScalarMode int

const (
	lhsScalarNone   lhsScalarMode = iota // no special case: leave it to the serial executor.
	lhsScalarSwap                        // commutative: the executor swaps lhs and rhs.
	lhsScalarDirect                      // the typed function has a len(lhs) == 1 case.
)

type binaryF32 func(lhs, rhs, output []float32, lhsShape, rhsShape, outputShape shapes.Shape)
type compareF32 func(lhs, rhs []float32, output []bool, lhsShape, rhsShape, outputShape shapes.Shape)
type unaryF32 func(inputs, outputs []float32)

// parallelElementwiseExecutors holds the wrappers, for the tests.
var parallelElementwiseExecutors = map[compute.OpType]gobackend.NodeExecutor{}

func registerParallelElementwise() {
	bin := func(op compute.OpType, serial gobackend.NodeExecutor, mode lhsScalarMode, fn binaryF32) {
		exec := parallelBinaryExecutor(serial, mode, hasSIMDLoop[op], func(l, r []float32, out any, lo, hi int, ls, rs, os shapes.Shape) {
			fn(l, r, out.([]float32)[lo:hi], ls, rs, os)
		})
		parallelElementwiseExecutors[op] = exec
		gobackend.SetNodeExecutor(op, gobackend.PriorityTyped, exec)
	}
	cmp := func(op compute.OpType, serial gobackend.NodeExecutor, mode lhsScalarMode, fn compareF32) {
		exec := parallelBinaryExecutor(serial, mode, hasSIMDLoop[op], func(l, r []float32, out any, lo, hi int, ls, rs, os shapes.Shape) {
			fn(l, r, out.([]bool)[lo:hi], ls, rs, os)
		})
		parallelElementwiseExecutors[op] = exec
		gobackend.SetNodeExecutor(op, gobackend.PriorityTyped, exec)
	}
	bin(compute.OpTypeAdd, execAdd, lhsScalarSwap, addFloat32)
	bin(compute.OpTypeMul, execMul, lhsScalarSwap, mulFloat32)
	bin(compute.OpTypeSub, execSub, lhsScalarDirect, subFloat32)
	bin(compute.OpTypeDiv, execDiv, lhsScalarDirect, execDivNumericGeneric[float32])
	bin(compute.OpTypePow, execPow, lhsScalarDirect, execPowFloatGeneric[float32])
	bin(compute.OpTypeMax, execMax, lhsScalarSwap, execMaxNumericGeneric[float32])
	bin(compute.OpTypeMin, execMin, lhsScalarSwap, execMinNumericGeneric[float32])
	cmp(compute.OpTypeEqual, execEqual, lhsScalarNone, execEqualNumericGeneric[float32])
	cmp(compute.OpTypeNotEqual, execNotEqual, lhsScalarNone, execNotEqualNumericGeneric[float32])
	cmp(compute.OpTypeGreaterOrEqual, execGreaterOrEqual, lhsScalarDirect, execGreaterOrEqualNumericGeneric[float32])
	cmp(compute.OpTypeGreaterThan, execGreaterThan, lhsScalarDirect, greaterThanFloat32)
	cmp(compute.OpTypeLessOrEqual, execLessOrEqual, lhsScalarDirect, execLessOrEqualNumericGeneric[float32])
	cmp(compute.OpTypeLessThan, execLessThan, lhsScalarDirect, execLessThanNumericGeneric[float32])

	un := func(op compute.OpType, serial gobackend.NodeExecutor, fn unaryF32) {
		exec := parallelUnaryExecutor(serial, fn)
		parallelElementwiseExecutors[op] = exec
		gobackend.SetNodeExecutor(op, gobackend.PriorityTyped, exec)
	}
	un(compute.OpTypeNeg, execNeg, execNegGeneric[float32])
	un(compute.OpTypeSign, execSign, execSignGeneric[float32])
	un(compute.OpTypeAbs, execAbs, execAbsGeneric[float32])
	un(compute.OpTypeExp, execExp, execExpGeneric[float32])
	un(compute.OpTypeLog, execLog, execLogGeneric[float32])
	un(compute.OpTypeSqrt, execSqrt, execSqrtGeneric[float32])
	un(compute.OpTypeRsqrt, execRsqrt, execRsqrtGeneric[float32])
	un(compute.OpTypeTanh, execTanh, execTanhGeneric[float32])
	un(compute.OpTypeLogistic, execLogistic, execLogisticGeneric[float32])

	whereExec := parallelWhereExecutor(execWhere)
	parallelElementwiseExecutors[compute.OpTypeWhere] = whereExec
	gobackend.SetNodeExecutor(compute.OpTypeWhere, gobackend.PriorityTyped, whereExec)
}

// parallelChunks returns the number of chunks for n elements, or 0 if it should run serially.
func parallelChunks(backend *gobackend.Backend, n int) int {
	if !parallelElementwiseEnabled || n < parallelElementwiseMinSize || !backend.Workers.IsEnabled() {
		return 0
	}
	workers := backend.Workers.AdjustedMaxParallelism()
	if workers < 2 {
		return 0
	}
	chunks := workers * parallelElementwiseChunksPerWorker
	// Keep chunks of at least half the threshold.
	chunks = min(chunks, max(1, 2*n/parallelElementwiseMinSize))
	if chunks < 2 {
		return 0
	}
	return chunks
}

// runChunks runs fn(lo, hi) over [0, n) split into the given number of contiguous chunks, whose
// boundaries are multiples of align (the last one ends at n), on the backend's workers.
func runChunks(backend *gobackend.Backend, n, chunks, align int, fn func(lo, hi int)) {
	if chunks <= 1 { // one chunk: on this goroutine, not counted as parallel (patch 23's small operands)
		fn(0, n)
		return
	}
	parallelElementwiseRuns.Add(1)
	size := (n + chunks - 1) / chunks
	size = (size + align - 1) / align * align
	chunks = (n + size - 1) / size
	var next atomic.Int64
	work := func() {
		for i := int(next.Add(1) - 1); i < chunks; i = int(next.Add(1) - 1) {
			lo := i * size
			fn(lo, min(lo+size, n))
		}
	}
	// The calling goroutine works too; helpers are only taken if the pool has them free now
	// (waiting for one, as Saturate does when the pool is full, would leave this op stalled).
	helpers := min(chunks, backend.Workers.AdjustedMaxParallelism()) - 1
	var wg sync.WaitGroup
	for range helpers {
		wg.Add(1)
		if !backend.Workers.StartIfAvailable(func() {
			defer wg.Done()
			work()
		}) {
			wg.Done()
			break
		}
	}
	work()
	wg.Wait()
}

// parallelBinaryExecutor wraps the serial executor of a binary op: float32 operands of the same
// shape, one of them of size 1, or a rhs that is one scalar per row of the output (e.g. a bias
// [C,1,1] added to [C,H,W]) run in parallel.
//
// Where the op has an AVX-512 loop (simd, patch 23) and it runs, operands too small to split run
// that loop on the calling goroutine instead of the serial executor's generic loop.
func parallelBinaryExecutor(serial gobackend.NodeExecutor, mode lhsScalarMode, simd bool,
	chunk func(lhs, rhs []float32, output any, lo, hi int, lhsShape, rhsShape, outputShape shapes.Shape)) gobackend.NodeExecutor {
	return func(backend *gobackend.Backend, node *gobackend.Node, inputs []*gobackend.Buffer, inputsOwned []bool) (*gobackend.Buffer, error) {
		lhsIn, rhsIn := inputs[0], inputs[1]
		if lhsIn.RawShape.DType != dtypes.Float32 || rhsIn.RawShape.DType != dtypes.Float32 {
			return serial(backend, node, inputs, inputsOwned)
		}
		lhsSize, rhsSize := lhsIn.RawShape.Size(), rhsIn.RawShape.Size()
		const (
			caseSame = iota
			caseRhsScalar
			caseLhsScalar
			caseRhsRows
			caseLhsRows
		)
		var kind, n, rowLen int
		switch {
		case lhsSize == 1 && rhsSize == 1:
			return serial(backend, node, inputs, inputsOwned)
		case rhsSize == 1:
			kind, n = caseRhsScalar, lhsSize
		case lhsSize == 1:
			if mode == lhsScalarNone {
				return serial(backend, node, inputs, inputsOwned)
			}
			kind, n = caseLhsScalar, rhsSize
		case lhsIn.RawShape.Equal(rhsIn.RawShape):
			kind, n = caseSame, lhsSize
		default:
			if node.Shape.IsDynamic() {
				return serial(backend, node, inputs, inputsOwned)
			}
			if r := rowScalarBroadcast(lhsIn.RawShape, rhsIn.RawShape, node.Shape); r > 0 {
				kind, n, rowLen = caseRhsRows, lhsSize, r
			} else if r := rowScalarBroadcast(rhsIn.RawShape, lhsIn.RawShape, node.Shape); r > 0 && mode != lhsScalarNone {
				kind, n, rowLen = caseLhsRows, rhsSize, r
			} else {
				return serial(backend, node, inputs, inputsOwned)
			}
		}
		chunks := parallelChunks(backend, n)
		if chunks == 0 {
			if !simd || !float32SIMD || !parallelElementwiseEnabled {
				return serial(backend, node, inputs, inputsOwned)
			}
			chunks = 1 // one chunk, on this goroutine
		}
		lhs, rhs, output, _, _ := binaryOperandsAndOutputForExecution(backend, node, inputs, inputsOwned, node.Shape)
		if output == nil {
			return serial(backend, node, inputs, inputsOwned)
		}
		l, r := lhs.Flat.([]float32), rhs.Flat.([]float32)
		out := output.Flat
		if mode == lhsScalarSwap && (kind == caseLhsScalar || kind == caseLhsRows) {
			l, r = r, l
			kind--
		}
		scalar := shapes.Make(dtypes.Float32)
		one := shapes.Make(dtypes.Float32, 1)
		switch kind {
		case caseSame:
			runChunks(backend, n, chunks, parallelElementwiseAlign, func(lo, hi int) {
				s := shapes.Make(dtypes.Float32, hi-lo)
				chunk(l[lo:hi], r[lo:hi], out, lo, hi, s, s, s)
			})
		case caseRhsScalar:
			runChunks(backend, n, chunks, parallelElementwiseAlign, func(lo, hi int) {
				s := shapes.Make(dtypes.Float32, hi-lo)
				chunk(l[lo:hi], r, out, lo, hi, s, scalar, s)
			})
		case caseLhsScalar:
			runChunks(backend, n, chunks, parallelElementwiseAlign, func(lo, hi int) {
				s := shapes.Make(dtypes.Float32, hi-lo)
				chunk(l, r[lo:hi], out, lo, hi, one, s, s)
			})
		case caseRhsRows, caseLhsRows:
			rows := n / rowLen
			s := shapes.Make(dtypes.Float32, rowLen)
			runChunks(backend, rows, min(chunks, rows), 1, func(lo, hi int) {
				for row := lo; row < hi; row++ {
					a, b := row*rowLen, (row+1)*rowLen
					if kind == caseRhsRows {
						chunk(l[a:b], r[row:row+1], out, a, b, s, scalar, s)
					} else {
						chunk(l[row:row+1], r[a:b], out, a, b, one, s, s)
					}
				}
			})
		}
		return output, nil
	}
}

// rowScalarBroadcast returns the row length if full has the output's shape and bcast has the
// output's dimensions on its leading axes and 1 on the others (one value per row of the output),
// with rows of at least parallelElementwiseMinRow elements; otherwise 0.
func rowScalarBroadcast(full, bcast, output shapes.Shape) int {
	if !full.EqualDimensions(output) || bcast.Rank() != output.Rank() {
		return 0
	}
	k := output.Rank()
	for k > 0 && bcast.Dimensions[k-1] == 1 {
		k--
	}
	rowLen := 1
	for axis := range output.Rank() {
		if axis < k {
			if bcast.Dimensions[axis] != output.Dimensions[axis] {
				return 0
			}
		} else {
			rowLen *= output.Dimensions[axis]
		}
	}
	if rowLen < parallelElementwiseMinRow {
		return 0
	}
	return rowLen
}

// parallelUnaryExecutor wraps the serial executor of a unary op: large float32 operands run in
// parallel.
func parallelUnaryExecutor(serial gobackend.NodeExecutor, fn unaryF32) gobackend.NodeExecutor {
	return func(backend *gobackend.Backend, node *gobackend.Node, inputs []*gobackend.Buffer, inputsOwned []bool) (*gobackend.Buffer, error) {
		if inputs[0].RawShape.DType != dtypes.Float32 {
			return serial(backend, node, inputs, inputsOwned)
		}
		n := inputs[0].RawShape.Size()
		chunks := parallelChunks(backend, n)
		if chunks == 0 {
			return serial(backend, node, inputs, inputsOwned)
		}
		input, output, err := unaryOperandAndOutput(backend, inputs, inputsOwned)
		if err != nil {
			return nil, err
		}
		in, out := input.Flat.([]float32), output.Flat.([]float32)
		runChunks(backend, n, chunks, parallelElementwiseAlign, func(lo, hi int) {
			fn(in[lo:hi], out[lo:hi])
		})
		return output, nil
	}
}

// parallelWhereExecutor wraps Where's serial executor: a non-scalar condition with values of the
// output's shape or scalars runs in parallel (any dtype).
func parallelWhereExecutor(serial gobackend.NodeExecutor) gobackend.NodeExecutor {
	return func(backend *gobackend.Backend, node *gobackend.Node, inputs []*gobackend.Buffer, inputsOwned []bool) (*gobackend.Buffer, error) {
		condition, onTrue, onFalse := inputs[0], inputs[1], inputs[2]
		n := condition.RawShape.Size()
		if condition.RawShape.IsScalar() || node.Shape.IsDynamic() || !condition.RawShape.EqualDimensions(node.Shape) {
			return serial(backend, node, inputs, inputsOwned)
		}
		for _, v := range []*gobackend.Buffer{onTrue, onFalse} {
			if !v.RawShape.IsScalar() && !v.RawShape.Equal(node.Shape) {
				return serial(backend, node, inputs, inputsOwned)
			}
		}
		chunks := parallelChunks(backend, n)
		if chunks == 0 {
			return serial(backend, node, inputs, inputsOwned)
		}
		var output *gobackend.Buffer
		var err error
		switch {
		case onTrue.RawShape.Equal(node.Shape) && inputsOwned[1]:
			output = onTrue
			inputs[1] = nil
		case onFalse.RawShape.Equal(node.Shape) && inputsOwned[2]:
			output = onFalse
			inputs[2] = nil
		default:
			output, err = backend.GetBuffer(node.Shape)
			if err != nil {
				return nil, err
			}
		}
		tmpAny, err := whereDTypeMap.Get(node.Shape.DType)
		if err != nil {
			return nil, err
		}
		fn := tmpAny.(func(conditionBuf, onTrueBuf, onFalseBuf, outputBuf *gobackend.Buffer))
		sub := func(b *gobackend.Buffer, lo, hi int) *gobackend.Buffer {
			if b.RawShape.IsScalar() {
				return b
			}
			return &gobackend.Buffer{
				RawShape: shapes.Make(b.RawShape.DType, hi-lo),
				Flat:     reflect.ValueOf(b.Flat).Slice(lo, hi).Interface(),
			}
		}
		runChunks(backend, n, chunks, parallelElementwiseAlign, func(lo, hi int) {
			out := sub(output, lo, hi)
			fn(sub(condition, lo, hi), sub(onTrue, lo, hi), sub(onFalse, lo, hi), out)
		})
		return output, nil
	}
}
