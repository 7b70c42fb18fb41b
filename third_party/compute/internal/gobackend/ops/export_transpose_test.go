// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/shapeinference"
)

// FastTransposeRuns returns how many transposes the fast executor (patch 15) has run.
func FastTransposeRuns() int64 { return fastTransposeRuns.Load() }

// MergedTranspose exposes mergedTranspose.
var MergedTranspose = mergedTranspose

// ExecTransposeBoth runs Transpose(operand, permutations) with the registered executor (the fast
// one where it applies; the operand is not given away) and with the generic one.
func ExecTransposeBoth(backend *gobackend.Backend, operand *gobackend.Buffer, permutations []int) (registered, generic *gobackend.Buffer, err error) {
	shape, err := shapeinference.Transpose(operand.RawShape, permutations)
	if err != nil {
		return nil, nil, err
	}
	node := &gobackend.Node{OpType: compute.OpTypeTranspose, Shape: shape, Data: permutations}
	if registered, err = execTransposeBlocked(backend, node, []*gobackend.Buffer{operand}, []bool{false}); err != nil {
		return nil, nil, err
	}
	generic, err = execTranspose(backend, node, []*gobackend.Buffer{operand}, []bool{false})
	return registered, generic, err
}

// ExecTransposeFast runs Transpose(operand, permutations) with the registered executor only.
func ExecTransposeFast(backend *gobackend.Backend, operand *gobackend.Buffer, permutations []int) (*gobackend.Buffer, error) {
	shape, err := shapeinference.Transpose(operand.RawShape, permutations)
	if err != nil {
		return nil, err
	}
	node := &gobackend.Node{OpType: compute.OpTypeTranspose, Shape: shape, Data: permutations}
	return execTransposeBlocked(backend, node, []*gobackend.Buffer{operand}, []bool{false})
}
