// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/shapes"
)

// SetParallelElementwise turns the parallel element-wise executors on or off; it returns the
// previous setting.
func SetParallelElementwise(enabled bool) (previous bool) {
	previous, parallelElementwiseEnabled = parallelElementwiseEnabled, enabled
	return previous
}

// ParallelElementwiseMinSize is the output size from which element-wise ops run in parallel.
func ParallelElementwiseMinSize() int { return parallelElementwiseMinSize }

// ExecElementwise runs the (wrapping) executor of an element-wise op on the inputs, none of them
// owned, for an output of the given shape.
func ExecElementwise(backend *gobackend.Backend, opType compute.OpType, outputShape shapes.Shape,
	inputs ...*gobackend.Buffer) (*gobackend.Buffer, error) {
	exec := parallelElementwiseExecutors[opType]
	node := &gobackend.Node{OpType: opType, Shape: outputShape}
	owned := make([]bool, len(inputs))
	return exec(backend, node, append([]*gobackend.Buffer(nil), inputs...), owned)
}

// ParallelElementwiseRuns returns how many element-wise ops have run in parallel.
func ParallelElementwiseRuns() int64 { return parallelElementwiseRuns.Load() }
