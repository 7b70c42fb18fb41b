// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops

// ConvGeneral absorbs a Reverse of its kernel's spatial axes (a patch carried by estil; see
// third_party/PATCHES.md).
//
// GoMLX writes the gradient of a convolution with respect to its input as another ConvGeneral,
// on Reverse(kernel, spatial axes) with the kernel's channel axes swapped. Where the im2col fast
// path (convgeneral_im2col.go) runs that convolution, it can read the kernel backwards while it
// packs it, so the builder registered here builds the convolution on the Reverse's operand and
// the Reverse node, left unused, is never executed.

import (
	"sync/atomic"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/internal/gobackend"
)

func init() {
	// Above the generic builder (convgeneral.go, PriorityGeneric), which it calls.
	gobackend.RegisterConvGeneral.Register(convGeneralReversedKernel, gobackend.PriorityTyped)
}

// convIm2colAbsorbed counts the Reverse nodes absorbed, for the tests (export_reverse_test.go).
var convIm2colAbsorbed atomic.Int64

// reversedKernelConv is the node data of a ConvGeneral whose kernel input is the operand of an
// absorbed Reverse: the generic parameters, and which of the kernel's spatial axes to read
// backwards. Only execConvGeneralIm2col runs such nodes (it implements im2colReversedKernel).
type reversedKernelConv struct {
	convNode
	kernelReversed [2]bool
}

// Recompute implements gobackend.RecomputableNodeData.
func (c *reversedKernelConv) Recompute(backend *gobackend.Backend, resolvedNodes []*gobackend.Node, originalNode *gobackend.Node) (any, error) {
	data, err := c.convNode.Recompute(backend, resolvedNodes, originalNode)
	if err != nil {
		return nil, err
	}
	return &reversedKernelConv{convNode: *data.(*convNode), kernelReversed: c.kernelReversed}, nil
}

// EqualNodeData implements gobackend.NodeDataComparable (the deduplication compares only data of
// the same type).
func (c *reversedKernelConv) EqualNodeData(other gobackend.NodeDataComparable) bool {
	o := other.(*reversedKernelConv)
	return c.kernelReversed == o.kernelReversed && c.convNode.EqualNodeData(&o.convNode)
}

func (c *reversedKernelConv) convParams() *convNode { return &c.convNode }
func (c *reversedKernelConv) reversedAxes() [2]bool { return c.kernelReversed }

// convGeneralReversedKernel is the ConvGeneral builder. Where kernelOp is a Reverse of some of the
// kernel's spatial axes (as in GoMLX's gradient of a convolution with respect to its input) and
// the fast path applies, it builds the convolution on the Reverse's operand, with node data
// (reversedKernelConv) that tells the fast path which axes to read backwards; the Reverse node,
// left unused, is never executed (the executor drops unused nodes). Otherwise it is ConvGeneral.
func convGeneralReversedKernel(f *gobackend.Function, inputOp, kernelOp compute.Value, axes compute.ConvolveAxesConfig,
	strides []int, paddings [][2]int, inputDilations, kernelDilations []int,
	channelGroupCount, batchGroupCount int) (compute.Value, error) {
	generic := func() (compute.Value, error) {
		return ConvGeneral(f, inputOp, kernelOp, axes, strides, paddings, inputDilations, kernelDilations, channelGroupCount, batchGroupCount)
	}
	reverse, ok := kernelOp.(*gobackend.Node)
	if !ok || reverse.OpType != compute.OpTypeReverse {
		return generic()
	}
	var reversed [2]bool
	for _, axis := range reverse.Data.([]int) {
		switch {
		case len(axes.KernelSpatial) == 2 && axis == axes.KernelSpatial[0]:
			reversed[0] = true
		case len(axes.KernelSpatial) == 2 && axis == axes.KernelSpatial[1]:
			reversed[1] = true
		default:
			return generic() // a reversed channel axis: leave the Reverse to its own executor
		}
	}
	// The generic builder checks and normalizes the parameters; its node (on the un-reversed
	// kernel) is only read here, and stays unused.
	value, err := ConvGeneral(f, inputOp, reverse.Inputs[0], axes, strides, paddings, inputDilations, kernelDilations, channelGroupCount, batchGroupCount)
	if err != nil {
		return generic() // let the generic builder report the error on the graph as written
	}
	plain := value.(*gobackend.Node)
	params := plain.Data.(*convNode)
	if applies, _ := im2colApplies(params, plain.Inputs[0].Shape, plain.Inputs[1].Shape, convIm2colEnabled); !applies {
		return generic()
	}
	convIm2colAbsorbed.Add(1)
	node, _ := f.GetOrCreateNode(compute.OpTypeConvGeneral, plain.Shape, plain.Inputs,
		&reversedKernelConv{convNode: *params, kernelReversed: reversed})
	return node, nil
}
