// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops

// ConvGeneral's im2col fast path (a patch carried by estil; see third_party/PATCHES.md).
//
// The generic executor (convgeneral_exec_base.go) visits every output element and loops over the
// kernel window one multiply-add at a time: ~0.3 GFLOP/s for VGG-sized convolutions. For the
// common case -- float32, two spatial axes, batch first, channels last or first (the same in
// input and output), no input dilation, no grouping -- this path instead lays the receptive field
// of each output position out in a matrix ("im2col") and multiplies it with the kernel by the
// registered DotGeneral implementation (the SIMD matmul where the build has it):
//
//	channels last:  output[b, y, x, o] = Σ_k cols[(b, y, x), k] · kernel[k, o],   k = (ky, kx, c)
//	channels first: output[b, o, y, x] = Σ_k kernel[o, k] · cols_b[k, (y, x)],     k = (c, ky, kx)
//
// With channels first the kernel (small) is the left operand and the pixels (many) the right one,
// which suits the matmul's packing better: measured 50-80 GFLOP/s on VGG19's shapes, against
// 33-66 GFLOP/s channels last. Kernels laid out as the layout's natural matrix ([kh, kw, in, out]
// channels last, [out, in, kh, kw] channels first, PyTorch's) are used as they are; others are
// packed first.
//
// The same path serves the gradient with respect to the input, which GoMLX writes as another
// ConvGeneral (the reversed kernel with its channel axes swapped). There the Reverse of the kernel
// is absorbed at build time (absorbKernelReverse): the kernel is packed with its spatial axes read
// backwards, and the Reverse node, left unused, is never executed.
//
// Set GOMLX_CONV_IM2COL=false to turn it off (as GOMLX_DOT_MATMUL does for DotGeneral).

import (
	"sync/atomic"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/internal/gobackend/dot"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/compute/support/envutil"
)

// ConvIm2colEnv is the environment variable that turns the im2col fast path off when "false".
const ConvIm2colEnv = "GOMLX_CONV_IM2COL"

var convIm2colEnabled = envutil.MustReadBool(ConvIm2colEnv, true)

// im2colPlan holds the sizes of one im2col convolution.
type im2colPlan struct {
	channelsFirst                bool
	batch, inH, inW, inC         int // input [batch, inH, inW, inC] or [batch, inC, inH, inW]
	outH, outW, outC             int
	kH, kW                       int // kernel window
	strideH, strideW             int
	dilationH, dilationW         int // kernel dilations
	padH, padW                   int // padding before the first row / column
	kSpatial0, kSpatial1         int // kernel strides (in elements) of its axes
	kInStride, kOutStride        int
	kernelIsMatrix               bool    // the kernel is already the layout's matrix
	kernelReversed               [2]bool // read the kernel's spatial axes backwards
	implementation               *dot.ImplementationRegistration
	contracting                  int // kH·kW·inC
	inputFlat, kernelFlat, outpt []float32
}

// im2colApplies reports whether the fast path runs this convolution, and whether channels come
// first; it depends only on what is known when the graph is built.
func im2colApplies(params *convNode, inputShape, kernelShape shapes.Shape) (applies, channelsFirst bool) {
	axes := params.axes
	if !convIm2colEnabled || inputShape.DType != dtypes.Float32 || kernelShape.DType != dtypes.Float32 ||
		inputShape.Rank() != 4 || params.hasInputDilations ||
		params.channelGroupCount > 1 || params.batchGroupCount > 1 ||
		dot.FindRegisteredImplementation(dot.LayoutNonTransposed, dtypes.Float32, dtypes.Float32) == nil {
		return false, false
	}
	channelsLast := axes.InputBatch == 0 && axes.InputSpatial[0] == 1 && axes.InputSpatial[1] == 2 && axes.InputChannels == 3 &&
		axes.OutputBatch == 0 && axes.OutputSpatial[0] == 1 && axes.OutputSpatial[1] == 2 && axes.OutputChannels == 3
	channelsFirst = axes.InputBatch == 0 && axes.InputChannels == 1 && axes.InputSpatial[0] == 2 && axes.InputSpatial[1] == 3 &&
		axes.OutputBatch == 0 && axes.OutputChannels == 1 && axes.OutputSpatial[0] == 2 && axes.OutputSpatial[1] == 3
	return channelsLast || channelsFirst, channelsFirst
}

// absorbKernelReverse returns the kernel node the convolution should read: where the fast path
// applies and kernel is a Reverse of some of the kernel's spatial axes (as in GoMLX's gradient of
// a convolution), the Reverse's operand, with params.kernelReversed recording which axes to read
// backwards. Otherwise kernel itself.
func absorbKernelReverse(params *convNode, inputShape shapes.Shape, kernel *gobackend.Node) *gobackend.Node {
	if applies, _ := im2colApplies(params, inputShape, kernel.Shape); !applies || kernel.OpType != compute.OpTypeReverse {
		return kernel
	}
	var reversed [2]bool
	for _, axis := range kernel.Data.([]int) {
		switch axis {
		case params.axes.KernelSpatial[0]:
			reversed[0] = true
		case params.axes.KernelSpatial[1]:
			reversed[1] = true
		default:
			return kernel // a reversed channel axis: leave the Reverse to its own executor
		}
	}
	params.kernelReversed = reversed
	return kernel.Inputs[0]
}

// newIm2colPlan returns the plan for this convolution, or false where the fast path does not apply
// (the generic executor then runs).
func newIm2colPlan(params *convNode, input, kernel *gobackend.Buffer, outputShape shapes.Shape) (im2colPlan, bool) {
	var p im2colPlan
	applies, channelsFirst := im2colApplies(params, input.RawShape, kernel.RawShape)
	if !applies {
		return p, false
	}
	axes := params.axes
	p.channelsFirst = channelsFirst
	p.implementation = dot.FindRegisteredImplementation(dot.LayoutNonTransposed, dtypes.Float32, dtypes.Float32)
	in, out, k := input.RawShape.Dimensions, outputShape.Dimensions, kernel.RawShape.Dimensions
	kStrides := kernel.RawShape.Strides()
	if p.channelsFirst {
		p.batch, p.inC, p.inH, p.inW = in[0], in[1], in[2], in[3]
		p.outC, p.outH, p.outW = out[1], out[2], out[3]
		p.kernelIsMatrix = axes.KernelOutputChannels == 0 && axes.KernelInputChannels == 1 &&
			axes.KernelSpatial[0] == 2 && axes.KernelSpatial[1] == 3
	} else {
		p.batch, p.inH, p.inW, p.inC = in[0], in[1], in[2], in[3]
		p.outH, p.outW, p.outC = out[1], out[2], out[3]
		p.kernelIsMatrix = axes.KernelSpatial[0] == 0 && axes.KernelSpatial[1] == 1 &&
			axes.KernelInputChannels == 2 && axes.KernelOutputChannels == 3
	}
	p.kH, p.kW = k[axes.KernelSpatial[0]], k[axes.KernelSpatial[1]]
	p.kSpatial0, p.kSpatial1 = kStrides[axes.KernelSpatial[0]], kStrides[axes.KernelSpatial[1]]
	p.kernelReversed = params.kernelReversed
	p.kernelIsMatrix = p.kernelIsMatrix && p.kernelReversed == [2]bool{}
	p.kInStride, p.kOutStride = kStrides[axes.KernelInputChannels], kStrides[axes.KernelOutputChannels]
	p.strideH, p.strideW = params.strides[0], params.strides[1]
	p.dilationH, p.dilationW = 1, 1
	if len(params.kernelDilations) == 2 {
		p.dilationH, p.dilationW = params.kernelDilations[0], params.kernelDilations[1]
	}
	p.padH, p.padW = params.paddings[0][0], params.paddings[1][0]
	p.contracting = p.kH * p.kW * p.inC
	return p, p.batch*p.outH*p.outW > 0 && p.contracting > 0 && p.outC > 0
}

// execConvIm2col runs the plan: im2col into a pooled buffer (filled in parallel), then the matmul
// into the output.
func execConvIm2col(backend *gobackend.Backend, p im2colPlan, input, kernel, output *gobackend.Buffer) error {
	p.inputFlat, p.kernelFlat, p.outpt = input.Flat.([]float32), kernel.Flat.([]float32), output.Flat.([]float32)
	matrix := p.kernelFlat
	if !p.kernelIsMatrix {
		packed, err := backend.GetBuffer(shapes.Make(dtypes.Float32, p.contracting*p.outC))
		if err != nil {
			return err
		}
		defer backend.PutBuffer(packed)
		matrix = packed.Flat.([]float32)
		p.packKernel(backend, matrix)
	}
	pixels := p.outH * p.outW
	if !p.channelsFirst { // one matmul for the whole batch: [batch·pixels, K] · [K, outC]
		cols, err := backend.GetBuffer(shapes.Make(dtypes.Float32, p.batch*pixels, p.contracting))
		if err != nil {
			return err
		}
		defer backend.PutBuffer(cols)
		colsFlat := cols.Flat.([]float32)
		parallelFor(backend, p.batch*p.outH, func(row int) { p.fillColumnsChannelsLast(colsFlat, row) })
		p.matmul(backend, colsFlat, matrix, p.outpt, p.batch*pixels, p.contracting, p.outC)
		return nil
	}
	// Channels first: per example, [outC, K] · [K, pixels].
	cols, err := backend.GetBuffer(shapes.Make(dtypes.Float32, p.contracting, pixels))
	if err != nil {
		return err
	}
	defer backend.PutBuffer(cols)
	colsFlat := cols.Flat.([]float32)
	for b := range p.batch {
		parallelFor(backend, p.contracting, func(row int) { p.fillColumnsChannelsFirst(colsFlat, b, row) })
		p.matmul(backend, matrix, colsFlat, p.outpt[b*p.outC*pixels:], p.outC, p.contracting, pixels)
	}
	return nil
}

// matmul computes out[m, n] = Σ_k lhs[m, k] · rhs[k, n] with the registered DotGeneral implementation.
func (p *im2colPlan) matmul(backend *gobackend.Backend, lhs, rhs, out []float32, m, k, n int) {
	view := func(flat []float32) *gobackend.Buffer { return &gobackend.Buffer{Flat: flat} }
	dot.CallRegisteredImplementation(backend, p.implementation, view(lhs), view(rhs), view(out), &dot.NodeData{
		InputDType: dtypes.Float32, OutputDType: dtypes.Float32, Layout: dot.LayoutNonTransposed,
		BatchSize: 1, LHSCrossSize: m, RHSCrossSize: n, ContractingSize: k,
	})
}

// parallelFor calls fn(i) for i in [0, n), on the backend's workers.
func parallelFor(backend *gobackend.Backend, n int, fn func(i int)) {
	if n < 2 || !backend.Workers.IsEnabled() {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	backend.Workers.Saturate(func() {
		for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
			fn(i)
		}
	})
}

// fillColumnsChannelsLast writes the cols rows of one row of output pixels (r = b·outH + y): for
// each pixel and each kernel tap (ky, kx), the inC input values the tap sees, or zeros where it
// falls in the padding.
func (p *im2colPlan) fillColumnsChannelsLast(cols []float32, r int) {
	b, y := r/p.outH, r%p.outH
	for x := range p.outW {
		dst := cols[((r*p.outW)+x)*p.contracting:][:p.contracting]
		for ky := range p.kH {
			iy := y*p.strideH + ky*p.dilationH - p.padH
			for kx := range p.kW {
				seg := dst[(ky*p.kW+kx)*p.inC:][:p.inC]
				ix := x*p.strideW + kx*p.dilationW - p.padW
				if iy < 0 || iy >= p.inH || ix < 0 || ix >= p.inW {
					clear(seg)
					continue
				}
				copy(seg, p.inputFlat[((b*p.inH+iy)*p.inW+ix)*p.inC:])
			}
		}
	}
}

// fillColumnsChannelsFirst writes row k = (c, ky, kx) of example b's cols: the input plane c as
// the tap (ky, kx) sees it from every output pixel, zeros in the padding. With stride 1 each
// output row is one copy.
func (p *im2colPlan) fillColumnsChannelsFirst(cols []float32, b, k int) {
	c, tap := k/(p.kH*p.kW), k%(p.kH*p.kW)
	ky, kx := tap/p.kW, tap%p.kW
	plane := p.inputFlat[(b*p.inC+c)*p.inH*p.inW:][:p.inH*p.inW]
	row := cols[k*p.outH*p.outW:][:p.outH*p.outW]
	offsetX := kx*p.dilationW - p.padW // ix = x·strideW + offsetX
	for y := range p.outH {
		dst := row[y*p.outW:][:p.outW]
		iy := y*p.strideH + ky*p.dilationH - p.padH
		if iy < 0 || iy >= p.inH {
			clear(dst)
			continue
		}
		src := plane[iy*p.inW:][:p.inW]
		if p.strideW == 1 {
			// Valid x: 0 <= x + offsetX < inW.
			x0, x1 := min(max(-offsetX, 0), p.outW), min(max(p.inW-offsetX, 0), p.outW)
			clear(dst[:x0])
			if x1 > x0 {
				copy(dst[x0:x1], src[x0+offsetX:])
			}
			clear(dst[max(x1, x0):])
			continue
		}
		for x := range p.outW {
			if ix := x*p.strideW + offsetX; ix >= 0 && ix < p.inW {
				dst[x] = src[ix]
			} else {
				dst[x] = 0
			}
		}
	}
}

// packKernel copies the kernel, in whatever axis order it has (and with its spatial axes read
// backwards where kernelReversed says so), to the layout's matrix: [kH·kW·inC, outC] channels
// last, [outC, inC·kH·kW] channels first.
func (p *im2colPlan) packKernel(backend *gobackend.Backend, dst []float32) {
	taps := p.kH * p.kW
	// The tap order to read: taps[t] is where tap t = (ky, kx) of the matrix is in the kernel.
	src := make([]int, taps)
	for ky := range p.kH {
		sy := ky
		if p.kernelReversed[0] {
			sy = p.kH - 1 - ky
		}
		for kx := range p.kW {
			sx := kx
			if p.kernelReversed[1] {
				sx = p.kW - 1 - kx
			}
			src[ky*p.kW+kx] = sy*p.kSpatial0 + sx*p.kSpatial1
		}
	}
	// One task per output channel: the gradient's kernels (channel axes swapped, read backwards)
	// are packed at every evaluation, up to 2.4M values for VGG19's deepest layers.
	parallelFor(backend, p.outC, func(o int) {
		for c := range p.inC {
			base := o*p.kOutStride + c*p.kInStride
			for t, offset := range src {
				v := p.kernelFlat[base+offset]
				if p.channelsFirst {
					dst[(o*p.inC+c)*taps+t] = v
				} else {
					dst[(t*p.inC+c)*p.outC+o] = v
				}
			}
		}
	})
}
