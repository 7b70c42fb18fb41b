// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops

import (
	"os"
	"slices"
	"strconv"
	"sync/atomic"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/shapes"
)

// Transposes that are copies or matrix transposes (compute patch 15).
//
// The generic Transpose moves one element at a time through an index iterator (~1 GB/s). Most
// transposes a network's graph holds are simpler than that once adjacent axes that stay adjacent
// are merged: GoMLX's DotGeneral gradient ends with a TransposeAllAxes that is often the identity
// (a plain copy, or nothing at all when the input buffer can be reused), and the rest are mostly
// one matrix transpose ([R, C] → [C, R]), or a batch of them ([B, R, C] → [B, C, R]). The executor
// here (at PriorityTyped) does those with block copies, 4- and 8-byte elements, large ones split
// across the backend's workers; everything else goes to the generic executor. The output is the
// same element for element.
//
// GOMLX_FAST_TRANSPOSE=false (read once at init) turns it off.

var fastTransposeEnabled = true

// fastTransposeRuns counts the transposes the fast executor ran (for tests).
var fastTransposeRuns atomic.Int64

// A matrix is transposed by blocks of transposeRows input rows × transposeCols input columns.
// Each block writes transposeCols output rows, transposeRows values into each: 16 float32 fill a
// 64-byte cache line. Only 8 output rows are written at once because with a power-of-two row
// stride (a 512×512 or 1024×1024 matrix) they all fall in the same few L1 sets: 32 of them, the
// block this patch first used, overflowed those sets' 12 ways and ran a 512×512 transpose at
// ~4 GB/s (measured), a 1024×1024 at ~1.7.
const (
	transposeRows = 16
	transposeCols = 8
)

func init() {
	if v, ok := os.LookupEnv("GOMLX_FAST_TRANSPOSE"); ok {
		if b, err := strconv.ParseBool(v); err == nil {
			fastTransposeEnabled = b
		}
	}
	gobackend.SetNodeExecutor(compute.OpTypeTranspose, gobackend.PriorityTyped, execTransposeBlocked)
}

// mergedTranspose is a transpose with its axes of dimension 1 dropped and its adjacent axes that
// stay adjacent, in order, merged: dims are the merged input's dimensions, perm the permutation of
// the merged axes. The identity comes out with at most one axis.
func mergedTranspose(shape shapes.Shape, permutations []int) (dims, perm []int) {
	// Input axes renumbered without those of dimension 1.
	compact := make([]int, shape.Rank())
	n := 0
	for axis, d := range shape.Dimensions {
		compact[axis] = n
		if d != 1 {
			n++
		}
	}
	// The output's axes as groups of consecutive input axes: [first, last].
	type group struct{ first, last, size int }
	var groups []group
	for _, axis := range permutations {
		d := shape.Dimensions[axis]
		if d == 1 {
			continue
		}
		c := compact[axis]
		if k := len(groups); k > 0 && groups[k-1].last+1 == c {
			groups[k-1].last, groups[k-1].size = c, groups[k-1].size*d
			continue
		}
		groups = append(groups, group{first: c, last: c, size: d})
	}
	// Number the groups in input order.
	inputOrder := make([]int, len(groups)) // inputOrder[i]: the group that is the i-th input axis
	for i := range inputOrder {
		inputOrder[i] = i
	}
	slices.SortFunc(inputOrder, func(a, b int) int { return groups[a].first - groups[b].first })
	dims, perm = make([]int, len(groups)), make([]int, len(groups))
	for i, g := range inputOrder {
		dims[i] = groups[g].size
		perm[g] = i
	}
	return dims, perm
}

func execTransposeBlocked(backend *gobackend.Backend, node *gobackend.Node, inputs []*gobackend.Buffer, inputsOwned []bool) (*gobackend.Buffer, error) {
	operand := inputs[0]
	if !fastTransposeEnabled {
		return execTranspose(backend, node, inputs, inputsOwned)
	}
	dims, perm := mergedTranspose(operand.RawShape, node.Data.([]int))
	switch {
	case len(perm) <= 1:
		// The identity: a copy, or nothing if the operand's buffer is ours.
		fastTransposeRuns.Add(1)
		return reshapeToShape(backend, node.Shape, inputs, inputsOwned)
	case len(perm) == 2 || len(perm) == 3 && perm[0] == 0:
		batch, rows, cols := 1, dims[len(dims)-2], dims[len(dims)-1]
		if len(dims) == 3 {
			batch = dims[0]
		}
		var out *gobackend.Buffer
		var ok bool
		switch x := operand.Flat.(type) {
		case []float32:
			out, ok = transposeMatrices(backend, node, x, batch, rows, cols)
		case []int32:
			out, ok = transposeMatrices(backend, node, x, batch, rows, cols)
		case []uint32:
			out, ok = transposeMatrices(backend, node, x, batch, rows, cols)
		case []float64:
			out, ok = transposeMatrices(backend, node, x, batch, rows, cols)
		case []int64:
			out, ok = transposeMatrices(backend, node, x, batch, rows, cols)
		}
		if ok {
			return out, nil
		}
	}
	return execTranspose(backend, node, inputs, inputsOwned)
}

// transposeMatrices writes the batch of [rows, cols] matrices in x transposed, [cols, rows].
func transposeMatrices[T float32 | int32 | uint32 | float64 | int64](backend *gobackend.Backend, node *gobackend.Node, x []T, batch, rows, cols int) (*gobackend.Buffer, bool) {
	output, err := backend.GetBuffer(node.Shape)
	if err != nil {
		return nil, false
	}
	y := output.Flat.([]T)
	fastTransposeRuns.Add(1)
	blockRows := (rows + transposeRows - 1) / transposeRows
	work := func(lo, hi int) { // over batch × block rows
		for i := lo; i < hi; i++ {
			b, r0 := i/blockRows, i%blockRows*transposeRows
			in, out := x[b*rows*cols:(b+1)*rows*cols], y[b*rows*cols:(b+1)*rows*cols]
			r1 := min(r0+transposeRows, rows)
			for c0 := 0; c0 < cols; c0 += transposeCols {
				c1 := min(c0+transposeCols, cols)
				for r := r0; r < r1; r++ {
					row := in[r*cols : r*cols+c1]
					for c := c0; c < c1; c++ {
						out[c*rows+r] = row[c]
					}
				}
			}
		}
	}
	n := batch * blockRows
	if n < 2 || len(x) < parallelElementwiseMinSize || !backend.Workers.IsEnabled() || backend.Workers.AdjustedMaxParallelism() < 2 {
		work(0, n)
	} else {
		runChunks(backend, n, min(n, backend.Workers.AdjustedMaxParallelism()*parallelElementwiseChunksPerWorker), 1, work)
	}
	return output, true
}
