// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/shapeinference"
)

// SetFastPooling turns the fast pooling executors (patch 14) on or off; it returns the previous
// setting.
func SetFastPooling(enabled bool) (previous bool) {
	previous, fastPoolingEnabled = fastPoolingEnabled, enabled
	return previous
}

// FastPoolingRuns returns how many ops the fast pooling executors have run.
func FastPoolingRuns() int64 { return fastPoolingRuns.Load() }

// ExecMaxPool runs ReduceWindow(reduction) on operand with the registered executor (the fast one
// where it applies) and with the generic one, and returns both results.
func ExecMaxPool(backend *gobackend.Backend, reduction compute.ReduceOpType, operand *gobackend.Buffer,
	windowDimensions, strides []int, paddings [][2]int) (registered, generic *gobackend.Buffer, err error) {
	shape, err := shapeinference.ReduceWindow(operand.RawShape, windowDimensions, strides, nil, nil, paddings)
	if err != nil {
		return nil, nil, err
	}
	node := &gobackend.Node{OpType: compute.OpTypeReduceWindow, Shape: shape, Data: &reduceWindowNode{
		reductionType: reduction, windowDimensions: windowDimensions, strides: strides, paddings: paddings}}
	if registered, err = execReduceWindowTiled(backend, node, []*gobackend.Buffer{operand}, []bool{false}); err != nil {
		return nil, nil, err
	}
	generic, err = execReduceWindow(backend, node, []*gobackend.Buffer{operand}, []bool{false})
	return registered, generic, err
}

// ExecMaxPoolGradient runs SelectAndScatterMax of source over operand's windows with the
// registered executor and with the generic one, and returns both results.
func ExecMaxPoolGradient(backend *gobackend.Backend, operand, source *gobackend.Buffer,
	windowDimensions, strides []int, paddings [][2]int) (registered, generic *gobackend.Buffer, err error) {
	shape, err := shapeinference.SelectAndScatter(operand.RawShape, source.RawShape, windowDimensions, strides, paddings)
	if err != nil {
		return nil, nil, err
	}
	node := &gobackend.Node{OpType: compute.OpTypeSelectAndScatterMax, Shape: shape, Data: &selectAndScatterNode{
		windowDimensions: windowDimensions, strides: strides, paddings: paddings}}
	inputs := []*gobackend.Buffer{operand, source}
	if registered, err = execSelectAndScatterMaxTiled(backend, node, inputs, []bool{false, false}); err != nil {
		return nil, nil, err
	}
	generic, err = execSelectAndScatter(backend, node, inputs, []bool{false, false})
	return registered, generic, err
}

// ExecMaxPoolGradientFast runs SelectAndScatterMax of source over operand's 2×2 windows (stride
// 2) with the registered executor only.
func ExecMaxPoolGradientFast(backend *gobackend.Backend, operand, source *gobackend.Buffer, windowDimensions []int) (*gobackend.Buffer, error) {
	node := &gobackend.Node{OpType: compute.OpTypeSelectAndScatterMax, Shape: operand.RawShape, Data: &selectAndScatterNode{
		windowDimensions: windowDimensions, strides: windowDimensions}}
	return execSelectAndScatterMaxTiled(backend, node, []*gobackend.Buffer{operand, source}, []bool{false, false})
}
