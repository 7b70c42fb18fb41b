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
// is absorbed at build time (convGeneralReversedKernel, convgeneral_reverse.go): the kernel is packed with its spatial axes read
// backwards, and the Reverse node, left unused, is never executed.
//
// The executor is registered at PriorityTyped, above upstream's generic one (convgeneral.go),
// which it calls where the fast path does not apply: convgeneral.go itself is unchanged. The column matrix is built a chunk of output rows at a time, within a fixed budget
// (GOMLX_CONV_IM2COL_BUDGET_MB, 32 MiB by default).
//
// Limits: float32 only; the gradient with respect to the kernel (GoMLX swaps the batch and
// channel axes, so the batch is not the first axis) and grouped or input-dilated convolutions
// run on the generic executor.
//
// Set GOMLX_CONV_IM2COL=false to turn it off (as GOMLX_DOT_MATMUL does for DotGeneral).

import (
	"os"
	"strconv"
	"sync/atomic"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/internal/gobackend/dot"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/compute/support/envutil"
	"github.com/pkg/errors"
)

func init() {
	// Registered above the generic executor (convgeneral.go, PriorityGeneric): it runs the fast
	// path where it applies and hands everything else to execConvGeneral.
	gobackend.SetNodeExecutor(compute.OpTypeConvGeneral, gobackend.PriorityTyped, execConvGeneralIm2col)
}

// ConvIm2colEnv is the environment variable that turns the im2col fast path off when "false".
const ConvIm2colEnv = "GOMLX_CONV_IM2COL"

// ConvIm2colBudgetEnv sets the im2col workspace budget, in MiB (default 32): the column matrix
// of one convolution is built and multiplied a chunk of output rows at a time, each chunk at
// most this large (and never less than one output row).
const ConvIm2colBudgetEnv = "GOMLX_CONV_IM2COL_BUDGET_MB"

var (
	convIm2colEnabled     = envutil.MustReadBool(ConvIm2colEnv, true)
	convIm2colBudgetBytes = readIm2colBudget()

	// Convolutions the fast path ran, read by the tests (export_test.go).
	convIm2colRuns atomic.Int64
)

// im2colReversedKernel is node data of a ConvGeneral whose kernel is to be read with some of its
// spatial axes reversed: only the fast path can run such a node (see convgeneral_reverse.go).
type im2colReversedKernel interface {
	convParams() *convNode
	reversedAxes() [2]bool
}

func readIm2colBudget() int {
	mb := 32
	if v := os.Getenv(ConvIm2colBudgetEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			panic(errors.Errorf("%s=%q: want a non-negative whole number of MiB", ConvIm2colBudgetEnv, v))
		}
		mb = n
	}
	return mb << 20
}

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
// first; it depends only on what is known when the graph is built. enabled is convIm2colEnabled,
// or true where the builder already absorbed a Reverse (only the fast path can run that node).
func im2colApplies(params *convNode, inputShape, kernelShape shapes.Shape, enabled bool) (applies, channelsFirst bool) {
	axes := params.axes
	if !enabled || inputShape.DType != dtypes.Float32 || kernelShape.DType != dtypes.Float32 ||
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

// execConvGeneralIm2col is the ConvGeneral executor: the fast path where it applies, else the
// generic executor.
func execConvGeneralIm2col(backend *gobackend.Backend, node *gobackend.Node, inputs []*gobackend.Buffer, donate []bool) (*gobackend.Buffer, error) {
	params, reversed := (*convNode)(nil), [2]bool{}
	switch data := node.Data.(type) {
	case *convNode:
		params = data
	case im2colReversedKernel:
		params, reversed = data.convParams(), data.reversedAxes()
	default:
		return nil, errors.Errorf("ConvGeneral: unexpected node data %T", node.Data)
	}
	plan, ok := newIm2colPlan(params, reversed, inputs[0], inputs[1], node.Shape)
	if !ok {
		if reversed != [2]bool{} {
			return nil, errors.Errorf("ConvGeneral: internal error: a reversed kernel was absorbed but the im2col fast path does not apply")
		}
		return execConvGeneral(backend, node, inputs, donate)
	}
	output, err := backend.GetBuffer(node.Shape)
	if err != nil {
		return nil, err
	}
	if err := execConvIm2col(backend, plan, inputs[0], inputs[1], output); err != nil {
		backend.PutBuffer(output)
		return nil, err
	}
	convIm2colRuns.Add(1)
	return output, nil
}

// newIm2colPlan returns the plan for this convolution, or false where the fast path does not apply
// (the generic executor then runs).
func newIm2colPlan(params *convNode, reversed [2]bool, input, kernel *gobackend.Buffer, outputShape shapes.Shape) (im2colPlan, bool) {
	var p im2colPlan
	applies, channelsFirst := im2colApplies(params, input.RawShape, kernel.RawShape, convIm2colEnabled || reversed != [2]bool{})
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
	p.kernelReversed = reversed
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

// chunkRows returns how many output rows one chunk holds so that its workspace -- rows·outW
// pixels of width floats each -- stays within the budget (at least one row, at most total).
func chunkRows(budgetBytes, outW, width, total int) int {
	return min(max(budgetBytes/(4*outW*width), 1), total)
}

// execConvIm2col runs the plan: a chunk of output rows at a time, im2col into a pooled buffer
// (filled in parallel), then the matmul into the output. The chunks bound the workspace by
// convIm2colBudgetBytes (one output row at least): unchunked, channels first needs
// kH·kW·inC × outH·outW floats, 604 MB for VGG19's conv1_2 at 512×512.
func execConvIm2col(backend *gobackend.Backend, p im2colPlan, input, kernel, output *gobackend.Buffer) error {
	if p.tapProductsApply() { // few output channels (convgeneral_tapproducts.go)
		convTapProductsRuns.Add(1)
		return execConvTapProducts(backend, p, input, kernel, output)
	}
	if p.pixelRowsApply() { // small maps (convgeneral_pixelrows.go)
		convPixelRowsRuns.Add(1)
		return execConvPixelRows(backend, p, input, kernel, output)
	}
	p.inputFlat, p.kernelFlat, p.outpt = input.Flat.([]float32), kernel.Flat.([]float32), output.Flat.([]float32)
	// kernelMatrix returns the kernel as the [outC, K] matrix (channels first) or [K, outC], and
	// what releases it.
	kernelMatrix := func() (matrix []float32, release func(), err error) {
		if p.kernelIsMatrix {
			return p.kernelFlat, func() {}, nil
		}
		// A constant kernel (convgeneral_kernelcache.go) is packed once, then kept.
		if matrix = cachedKernel(kernel, p.derivation(false), p.contracting*p.outC, func(dst []float32) { p.packKernel(backend, dst) }); matrix != nil {
			return matrix, func() {}, nil
		}
		packed, err := backend.GetBuffer(shapes.Make(dtypes.Float32, p.contracting*p.outC))
		if err != nil {
			return nil, nil, err
		}
		matrix = packed.Flat.([]float32)
		p.packKernel(backend, matrix)
		return matrix, func() { backend.PutBuffer(packed) }, nil
	}
	pixels := p.outH * p.outW
	if !p.channelsFirst {
		matrix, release, err := kernelMatrix()
		if err != nil {
			return err
		}
		defer release()
		// The output rows r = b·outH + y are contiguous in both cols and output: per chunk,
		// [rows·outW, K] · [K, outC] straight into the output.
		total := p.batch * p.outH
		rows := chunkRows(convIm2colBudgetBytes, p.outW, p.contracting, total)
		cols, err := backend.GetBuffer(shapes.Make(dtypes.Float32, rows*p.outW, p.contracting))
		if err != nil {
			return err
		}
		defer backend.PutBuffer(cols)
		colsFlat := cols.Flat.([]float32)
		for r0 := 0; r0 < total; r0 += rows {
			n := min(rows, total-r0)
			parallelFor(backend, n, func(i int) { p.fillColumnsChannelsLast(colsFlat[i*p.outW*p.contracting:], r0+i) })
			p.matmul(backend, colsFlat, matrix, p.outpt[r0*p.outW*p.outC:], n*p.outW, p.contracting, p.outC)
		}
		return nil
	}
	// Channels first: per example and chunk of rows, [outC, K] · [K, rows·outW]. Unless the chunk
	// is the whole image, its output columns are strided in the output, so the matmul writes a
	// staging buffer whose rows are then copied.
	rows := chunkRows(convIm2colBudgetBytes, p.outW, p.contracting, p.outH)
	if rows < p.outH {
		rows = chunkRows(convIm2colBudgetBytes, p.outW, max(p.contracting, p.outC), p.outH)
	}
	// A constant kernel is kept packed for the matmul where it can take it so (patch 28,
	// convgeneral_prepacked.go); else the matmul packs the [outC, K] matrix at each call.
	var deriveMatrix func(dst []float32)
	if !p.kernelIsMatrix {
		deriveMatrix = func(dst []float32) { p.packKernel(backend, dst) }
	}
	packing, packedKernel := p.prepackedKernel(backend, kernel, p.derivation(false), 1, p.outC, p.contracting, rows*p.outW, deriveMatrix)
	var matrix []float32
	if packedKernel == nil {
		var release func()
		var err error
		if matrix, release, err = kernelMatrix(); err != nil {
			return err
		}
		defer release()
	}
	multiply := func(cols, out []float32, n int) { // out[outC, n] = kernel · cols[K, n]
		if packedKernel != nil {
			matmulPrepacked(backend, packing, packedKernel, cols, out, 1, p.outC, p.contracting, n)
			return
		}
		p.matmul(backend, matrix, cols, out, p.outC, p.contracting, n)
	}
	cols, err := backend.GetBuffer(shapes.Make(dtypes.Float32, p.contracting, rows*p.outW))
	if err != nil {
		return err
	}
	defer backend.PutBuffer(cols)
	colsFlat := cols.Flat.([]float32)
	var staging []float32
	if rows < p.outH {
		buf, err := backend.GetBuffer(shapes.Make(dtypes.Float32, p.outC, rows*p.outW))
		if err != nil {
			return err
		}
		defer backend.PutBuffer(buf)
		staging = buf.Flat.([]float32)
	}
	for b := range p.batch {
		out := p.outpt[b*p.outC*pixels:][:p.outC*pixels]
		for y0 := 0; y0 < p.outH; y0 += rows {
			n := min(rows, p.outH-y0)
			width := n * p.outW
			parallelFor(backend, p.contracting, func(k int) { p.fillColumnsChannelsFirst(colsFlat[k*width:][:width], b, k, y0, n) })
			if staging == nil {
				multiply(colsFlat, out, pixels)
				continue
			}
			multiply(colsFlat, staging, width)
			for o := range p.outC {
				copy(out[o*pixels+y0*p.outW:][:width], staging[o*width:][:width])
			}
		}
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

// parallelFor calls fn(i) for i in [0, n), on the backend's workers. Each worker takes the
// indices a block at a time (about 8 blocks per worker): one shared counter taken index by index
// bounced between the cores, a tenth of the time of a 256-channel convolution on a 16×16 map,
// whose im2col is 2304 calls of 16 short copies each.
func parallelFor(backend *gobackend.Backend, n int, fn func(i int)) {
	parallelForBlocks(backend, n, func(start, end int) {
		for i := start; i < end; i++ {
			fn(i)
		}
	})
}

// parallelForBlocks is parallelFor calling fn(start, end) once per block of indices [start, end),
// so that fn can set up what its indices share (a scratch buffer) once per block.
func parallelForBlocks(backend *gobackend.Backend, n int, fn func(start, end int)) {
	if n < 2 || !backend.Workers.IsEnabled() {
		if n > 0 {
			fn(0, n)
		}
		return
	}
	block := int64(max(1, n/(8*backend.Workers.AdjustedMaxParallelism())))
	var next atomic.Int64
	backend.Workers.Saturate(func() {
		for {
			start := next.Add(block) - block
			if start >= int64(n) {
				return
			}
			fn(int(start), int(min(start+block, int64(n))))
		}
	})
}

// fillColumnsChannelsLast writes, from the start of cols, the cols rows of one row of output
// pixels (r = b·outH + y): for each pixel and each kernel tap (ky, kx), the inC input values the
// tap sees, or zeros where it falls in the padding.
func (p *im2colPlan) fillColumnsChannelsLast(cols []float32, r int) {
	b, y := r/p.outH, r%p.outH
	for x := range p.outW {
		dst := cols[x*p.contracting:][:p.contracting]
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

// fillColumnsChannelsFirst writes row k = (c, ky, kx) of example b's cols for the output rows
// [y0, y0+n) into row: the input plane c as the tap (ky, kx) sees it from those output pixels,
// zeros in the padding. With stride 1 each output row is one copy.
func (p *im2colPlan) fillColumnsChannelsFirst(row []float32, b, k, y0, n int) {
	c, tap := k/(p.kH*p.kW), k%(p.kH*p.kW)
	ky, kx := tap/p.kW, tap%p.kW
	plane := p.inputFlat[(b*p.inC+c)*p.inH*p.inW:][:p.inH*p.inW]
	offsetX := kx*p.dilationW - p.padW // ix = x·strideW + offsetX
	if p.strideH == 1 && p.strideW == 1 && p.dilationH == 1 && p.dilationW == 1 && p.outW == p.inW {
		p.fillShiftedPlane(row, plane, ky-p.padH, offsetX, y0, n)
		return
	}
	for y := y0; y < y0+n; y++ {
		dst := row[(y-y0)*p.outW:][:p.outW]
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

// fillShiftedPlane is fillColumnsChannelsFirst for stride 1, no dilation and an output as wide as
// the input (VGG's "same" 3×3 convolutions): the output rows [y0, y0+n) of the tap are then the
// plane read from offset (y0+offsetY)·width + offsetX on, as one run, with the rows that fall in
// the vertical padding cleared, and the offsetX columns at the left or right edge, which the run
// took from the next or previous row, cleared. On a 16×16 map this is one copy of 256 values
// and 16 stores, where the row-by-row path made 16 copies of 16 values (a fifth of a 256-channel
// convolution's samples went into those calls).
func (p *im2colPlan) fillShiftedPlane(row, plane []float32, offsetY, offsetX, y0, n int) {
	width := p.outW
	row = row[:n*width]
	// Output rows y whose input row y + offsetY is inside the plane: [lo, hi).
	lo, hi := max(y0, -offsetY), min(y0+n, p.inH-offsetY)
	if hi <= lo {
		clear(row)
		return
	}
	clear(row[:(lo-y0)*width])
	clear(row[(hi-y0)*width:])
	dst := row[(lo-y0)*width : (hi-y0)*width]
	start := (lo+offsetY)*width + offsetX // dst[i] = plane[start+i] where that is inside the plane
	a, b := min(max(-start, 0), len(dst)), max(min(len(plane)-start, len(dst)), 0)
	if b <= a {
		clear(dst)
		return
	}
	clear(dst[:a])
	copy(dst[a:b], plane[start+a:])
	clear(dst[b:])
	// The edge columns, a store each (a clear call per row would cost what the copies did).
	from, to := 0, 0 // columns [from, to) of each row to zero
	switch {
	case offsetX < 0:
		from, to = 0, min(-offsetX, width)
	case offsetX > 0:
		from, to = max(width-offsetX, 0), width
	}
	for r := 0; r < len(dst); r += width {
		for x := r + from; x < r+to; x++ {
			dst[x] = 0
		}
	}
}
