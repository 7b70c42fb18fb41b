// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops

import (
	"os"
	"strconv"
	"sync/atomic"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/shapes"
)

// Max pooling over windows that tile the input (compute patch 14).
//
// A CNN's max pooling (2×2, stride 2, no padding) is a ReduceWindow(max) whose windows do not
// overlap, and its gradient is the SelectAndScatterMax with the same windows. The generic
// executors walk every window element through index vectors and bounds checks, one goroutine
// for the scatter, so on VGG19 they cost more than the pooling's arithmetic. For float32 operands
// whose windows equal their strides, cover only the last two axes, and have no padding or
// dilation, the executors here (at PriorityTyped) run a plain loop per window row, over the
// leading axes split across the backend's workers.
//
// Both give the generic executors' results bit for bit: ReduceWindow's max folds the window in the
// same row-major order with Go's max (NaN wins); SelectAndScatterMax picks the same element (the
// first largest, a NaN replacing it) and adds the source to a zeroed output (so −0 becomes +0, as
// there). Everything else goes to the generic executors unchanged.
//
// GOMLX_FAST_POOLING=false (read once at init) turns it off.

// fastPoolingEnabled turns the fast pooling executors on or off.
var fastPoolingEnabled = true

// fastPoolingRuns counts the ops the fast executors ran (for tests).
var fastPoolingRuns atomic.Int64

func init() {
	if v, ok := os.LookupEnv("GOMLX_FAST_POOLING"); ok {
		if b, err := strconv.ParseBool(v); err == nil {
			fastPoolingEnabled = b
		}
	}
	gobackend.SetNodeExecutor(compute.OpTypeReduceWindow, gobackend.PriorityTyped, execReduceWindowTiled)
	gobackend.SetNodeExecutor(compute.OpTypeSelectAndScatterMax, gobackend.PriorityTyped, execSelectAndScatterMaxTiled)
}

// tiledWindows is a pooling whose windows tile the last two axes of a [planes, height, width]
// view of the operand: window wh×ww, strides equal to the window, no padding, no dilation. The
// output is [planes, height/wh, width/ww] (a remainder row or column belongs to no window).
type tiledWindows struct {
	planes, height, width int
	wh, ww                int
	outHeight, outWidth   int
}

// planTiledWindows returns the plan of a pooling, or false where the fast path does not apply.
func planTiledWindows(shape shapes.Shape, windowDimensions, strides, inputDilations, windowDilations []int, paddings [][2]int) (tiledWindows, bool) {
	rank := shape.Rank()
	if !fastPoolingEnabled || shape.DType != dtypes.Float32 || rank < 2 || len(windowDimensions) != rank {
		return tiledWindows{}, false
	}
	for axis := range rank {
		stride := windowDimensions[axis]
		if strides != nil {
			stride = strides[axis]
		}
		if stride != windowDimensions[axis] || windowDimensions[axis] < 1 ||
			axis < rank-2 && windowDimensions[axis] != 1 ||
			inputDilations != nil && inputDilations[axis] != 1 ||
			windowDilations != nil && windowDilations[axis] != 1 ||
			paddings != nil && paddings[axis] != [2]int{} {
			return tiledWindows{}, false
		}
	}
	p := tiledWindows{
		height: shape.Dimensions[rank-2], width: shape.Dimensions[rank-1],
		wh: windowDimensions[rank-2], ww: windowDimensions[rank-1],
	}
	p.planes = shape.Size() / max(1, p.height*p.width)
	p.outHeight, p.outWidth = p.height/p.wh, p.width/p.ww
	return p, shape.Size() > 0
}

// runPlanes runs fn over [0, planes), split across the backend's workers from the element-wise
// ops' size threshold (patch 12) on, else on the caller.
func (p tiledWindows) runPlanes(backend *gobackend.Backend, fn func(lo, hi int)) {
	fastPoolingRuns.Add(1)
	if p.planes < 2 || p.planes*p.height*p.width < parallelElementwiseMinSize || !backend.Workers.IsEnabled() ||
		backend.Workers.AdjustedMaxParallelism() < 2 {
		fn(0, p.planes)
		return
	}
	chunks := min(p.planes, backend.Workers.AdjustedMaxParallelism()*parallelElementwiseChunksPerWorker)
	runChunks(backend, p.planes, chunks, 1, fn)
}

func execReduceWindowTiled(backend *gobackend.Backend, node *gobackend.Node, inputs []*gobackend.Buffer, inputsOwned []bool) (*gobackend.Buffer, error) {
	data := node.Data.(*reduceWindowNode)
	p, ok := planTiledWindows(inputs[0].RawShape, data.windowDimensions, data.strides, data.inputDilations, data.windowDilations, data.paddings)
	if !ok || data.reductionType != compute.ReduceOpMax {
		return execReduceWindow(backend, node, inputs, inputsOwned)
	}
	output, err := backend.GetBuffer(node.Shape)
	if err != nil {
		return nil, err
	}
	x, y := inputs[0].Flat.([]float32), output.Flat.([]float32)
	p.runPlanes(backend, func(lo, hi int) {
		for plane := lo; plane < hi; plane++ {
			in := x[plane*p.height*p.width : (plane+1)*p.height*p.width]
			out := y[plane*p.outHeight*p.outWidth : (plane+1)*p.outHeight*p.outWidth]
			p.maxPlane(in, out)
		}
	})
	return output, nil
}

// maxPlane writes the maximum of each window of one plane.
func (p tiledWindows) maxPlane(in, out []float32) {
	if p.wh == 2 && p.ww == 2 {
		for oy := range p.outHeight {
			row0 := in[2*oy*p.width : 2*oy*p.width+p.width]
			row1 := in[(2*oy+1)*p.width : (2*oy+1)*p.width+p.width]
			o := out[oy*p.outWidth : (oy+1)*p.outWidth]
			for ox := range o {
				// The generic executor's order: max(max(max(a, b), c), d).
				o[ox] = max(max(max(row0[2*ox], row0[2*ox+1]), row1[2*ox]), row1[2*ox+1])
			}
		}
		return
	}
	for oy := range p.outHeight {
		for ox := range p.outWidth {
			m := in[oy*p.wh*p.width+ox*p.ww]
			for dy := range p.wh {
				row := in[(oy*p.wh+dy)*p.width+ox*p.ww:]
				for dx := range p.ww {
					m = max(m, row[dx])
				}
			}
			out[oy*p.outWidth+ox] = m
		}
	}
}

func execSelectAndScatterMaxTiled(backend *gobackend.Backend, node *gobackend.Node, inputs []*gobackend.Buffer, inputsOwned []bool) (*gobackend.Buffer, error) {
	data := node.Data.(*selectAndScatterNode)
	operand, source := inputs[0], inputs[1]
	p, ok := planTiledWindows(operand.RawShape, data.windowDimensions, data.strides, nil, nil, data.paddings)
	if !ok || data.isMin || source.RawShape.DType != dtypes.Float32 || source.RawShape.Size() != p.planes*p.outHeight*p.outWidth {
		return execSelectAndScatter(backend, node, inputs, inputsOwned)
	}
	output, err := backend.GetBuffer(node.Shape)
	if err != nil {
		return nil, err
	}
	x, s, y := operand.Flat.([]float32), source.Flat.([]float32), output.Flat.([]float32)
	p.runPlanes(backend, func(lo, hi int) {
		planeSize, outSize := p.height*p.width, p.outHeight*p.outWidth
		for plane := lo; plane < hi; plane++ {
			in := x[plane*planeSize : (plane+1)*planeSize]
			grad := y[plane*planeSize : (plane+1)*planeSize]
			clear(grad)
			p.scatterPlane(in, s[plane*outSize:(plane+1)*outSize], grad)
		}
	})
	return output, nil
}

// scatterPlane adds each window's source value to the window's first largest element of in (a
// NaN replacing it), into grad, which is zero.
func (p tiledWindows) scatterPlane(in, source, grad []float32) {
	if p.wh == 2 && p.ww == 2 {
		for oy := range p.outHeight {
			row0, row1 := in[2*oy*p.width:(2*oy+1)*p.width], in[(2*oy+1)*p.width:(2*oy+2)*p.width]
			grad0, grad1 := grad[2*oy*p.width:(2*oy+1)*p.width], grad[(2*oy+1)*p.width:(2*oy+2)*p.width]
			s := source[oy*p.outWidth : (oy+1)*p.outWidth]
			ox0 := 0
			if float32SIMD { // 16 windows at a time (patch 26, pool_tiled_avx512.go), then the rest
				ox0 = p.outWidth / 16 * 16
				scatterRows2x2(row0, row1, grad0, grad1, s, ox0)
			}
			for ox := ox0; ox < len(s); ox++ {
				v := s[ox]
				// The window in the generic executor's order: row 0's two, then row 1's.
				best, row, col := row0[2*ox], 0, 2*ox
				if x := row0[2*ox+1]; x > best || x != x {
					best, col = x, 2*ox+1
				}
				if x := row1[2*ox]; x > best || x != x {
					best, row, col = x, 1, 2*ox
				}
				if x := row1[2*ox+1]; x > best || x != x {
					row, col = 1, 2*ox+1
				}
				if row == 0 {
					grad0[col] += v
				} else {
					grad1[col] += v
				}
			}
		}
		return
	}
	for oy := range p.outHeight {
		for ox := range p.outWidth {
			start := oy*p.wh*p.width + ox*p.ww
			best, bestValue := start, in[start]
			for dy := range p.wh {
				for dx := range p.ww {
					i := start + dy*p.width + dx
					if v := in[i]; v > bestValue || v != v {
						best, bestValue = i, v
					}
				}
			}
			grad[best] += source[oy*p.outWidth+ox]
		}
	}
}
