// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops

// ConvGeneral for convolutions with few output channels and many input channels, channels first:
// one product per kernel tap, then shifted sums (a patch carried by estil; see
// third_party/PATCHES.md, patch 21).
//
// im2col writes every input value once per tap: for VGG19's conv1_1 input gradient (64 channels
// in, 3 out, 3×3) a column matrix of 576 rows per pixel, to feed a product of only 3 rows, most
// of whose 4-row tiles are a quarter empty. Winograd does no better there: it transforms the 64
// input channels of every tile for 3 outputs. Instead, with taps t = (ky, kx):
//
//	Z[(o, t), p]       = Σ_c kernel[o, c, t] · input[c, p]                 one matrix product
//	output[o, y, x]    = Σ_t Z[(o, t), (y·sH + ky·dH − padH, x·sW + kx·dW − padW)]
//
// where the second sum skips the taps that fall in the padding. The product has outC·kH·kW rows
// (27 for conv1_1's gradient: whole tiles) and reads the input as it is, with no column matrix;
// the shifted sums read outC·kH·kW values per pixel, against im2col's inC·kH·kW. It runs where
// outC·kH·kW ≤ inC, so it always touches fewer values than im2col. The input rows are taken a
// chunk at a time within the im2col budget (GOMLX_CONV_IM2COL_BUDGET_MB).
//
// Set GOMLX_CONV_TAP_PRODUCTS=false to run these convolutions by im2col or Winograd, as before.

import (
	"sync/atomic"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/compute/support/envutil"
)

// ConvTapProductsEnv is the environment variable that turns the tap-products path off when
// "false".
const ConvTapProductsEnv = "GOMLX_CONV_TAP_PRODUCTS"

var (
	convTapProductsEnabled = envutil.MustReadBool(ConvTapProductsEnv, true)

	// Convolutions the tap-products path ran, read by the tests (export_test.go).
	convTapProductsRuns atomic.Int64
)

// tapProductsApply reports whether the tap-products path runs the convolution p describes.
func (p *im2colPlan) tapProductsApply() bool {
	return convTapProductsEnabled && p.channelsFirst && p.outC*p.kH*p.kW <= p.inC
}

// tapProductsDerivation is what the path derives from the kernel: [outC·kH·kW, inC].
func (p *im2colPlan) tapProductsDerivation() kernelDerivation {
	d := p.derivation(false)
	d.tapRows = true
	return d
}

// packTapRows writes the kernel as the product's left operand: row o·kH·kW + t holds the kernel's
// values for output channel o and tap t, one per input channel.
func (p *im2colPlan) packTapRows(backend *gobackend.Backend, dst []float32) {
	src := p.tapOffsets()
	taps := len(src)
	parallelFor(backend, p.outC*taps, func(row int) {
		o, offset := row/taps, src[row%taps]
		kernel := p.kernelFlat[o*p.kOutStride+offset:]
		out := dst[row*p.inC:][:p.inC]
		for c := range out {
			out[c] = kernel[c*p.kInStride]
		}
	})
}

// tapProductsInputRows returns the input rows [i0, i1) that output rows [y0, y0+n) read.
func (p *im2colPlan) tapProductsInputRows(y0, n int) (i0, i1 int) {
	i0 = min(p.inH, max(0, y0*p.strideH-p.padH)) // rows all in the padding read none
	i1 = min(p.inH, (y0+n-1)*p.strideH+(p.kH-1)*p.dilationH-p.padH+1)
	return i0, max(i0, i1)
}

// tapProductsChunkRows returns how many output rows one chunk holds so that its products and
// (when it is not the whole input) its copy of the input rows stay within the budget.
func (p *im2colPlan) tapProductsChunkRows(budgetBytes int) int {
	perInputRow := 4 * (p.outC*p.kH*p.kW + p.inC) * p.inW
	rows := 1
	for rows < p.outH {
		i0, i1 := p.tapProductsInputRows(0, 2*rows)
		if (i1-i0)*perInputRow > budgetBytes {
			break
		}
		rows *= 2
	}
	return min(rows, p.outH)
}

// execConvTapProducts runs the plan by tap products and shifted sums.
func execConvTapProducts(backend *gobackend.Backend, p im2colPlan, input, kernel, output *gobackend.Buffer) error {
	p.inputFlat, p.kernelFlat, p.outpt = input.Flat.([]float32), kernel.Flat.([]float32), output.Flat.([]float32)
	taps := p.kH * p.kW
	rowsOfZ := p.outC * taps
	// A constant kernel (convgeneral_kernelcache.go) is packed once, then kept.
	matrix := cachedKernel(kernel, p.tapProductsDerivation(), rowsOfZ*p.inC, func(dst []float32) { p.packTapRows(backend, dst) })
	if matrix == nil {
		packed, err := backend.GetBuffer(shapes.Make(dtypes.Float32, rowsOfZ*p.inC))
		if err != nil {
			return err
		}
		defer backend.PutBuffer(packed)
		matrix = packed.Flat.([]float32)[:rowsOfZ*p.inC]
		p.packTapRows(backend, matrix)
	}
	rows := p.tapProductsChunkRows(convIm2colBudgetBytes)
	maxInputRows, partial := 0, false // the most input rows of a chunk; whether a chunk reads fewer than all
	for y0 := 0; y0 < p.outH; y0 += rows {
		i0, i1 := p.tapProductsInputRows(y0, min(rows, p.outH-y0))
		maxInputRows, partial = max(maxInputRows, i1-i0), partial || i1-i0 < p.inH
	}
	zBuf, err := backend.GetBuffer(shapes.Make(dtypes.Float32, max(1, rowsOfZ*maxInputRows*p.inW)))
	if err != nil {
		return err
	}
	defer backend.PutBuffer(zBuf)
	z := zBuf.Flat.([]float32)
	var staging []float32 // the chunk's input rows, when they are not the whole input
	if partial {
		buf, err := backend.GetBuffer(shapes.Make(dtypes.Float32, max(1, p.inC*maxInputRows*p.inW)))
		if err != nil {
			return err
		}
		defer backend.PutBuffer(buf)
		staging = buf.Flat.([]float32)
	}
	inPlane, outPlane := p.inH*p.inW, p.outH*p.outW
	for b := range p.batch {
		in := p.inputFlat[b*p.inC*inPlane:][:p.inC*inPlane]
		out := p.outpt[b*p.outC*outPlane:][:p.outC*outPlane]
		for y0 := 0; y0 < p.outH; y0 += rows {
			n := min(rows, p.outH-y0)
			i0, i1 := p.tapProductsInputRows(y0, n)
			width := (i1 - i0) * p.inW
			rhs := in
			if width < inPlane && width > 0 {
				rhs = staging[:p.inC*width]
				parallelFor(backend, p.inC, func(c int) { copy(rhs[c*width:][:width], in[c*inPlane+i0*p.inW:][:width]) })
			}
			if width > 0 {
				p.matmul(backend, matrix, rhs, z, rowsOfZ, p.inC, width)
			}
			parallelFor(backend, p.outC*n, func(i int) {
				o, y := i/n, y0+i%n
				p.sumTaps(out[o*outPlane+y*p.outW:][:p.outW], z[o*taps*width:][:taps*width], y, i0, width)
			})
		}
	}
	return nil
}

// sumTaps writes output row y of one output channel: the sum over the taps of that channel's
// products (z: taps rows of the chunk's input pixels, from input row i0), each read at the
// pixels the tap sees, skipping those in the padding.
func (p *im2colPlan) sumTaps(out, z []float32, y, i0, width int) {
	clear(out)
	for ky := range p.kH {
		iy := y*p.strideH + ky*p.dilationH - p.padH
		if iy < 0 || iy >= p.inH {
			continue
		}
		for kx := range p.kW {
			shift := kx*p.dilationW - p.padW // ix = x·strideW + shift
			// 0 ≤ ix < inW  ⇔  xLo ≤ x < xHi
			xLo := 0
			if shift < 0 {
				xLo = (-shift + p.strideW - 1) / p.strideW
			}
			xHi := 0
			if last := p.inW - 1 - shift; last >= 0 {
				xHi = min(p.outW, last/p.strideW+1)
			}
			if xLo >= xHi {
				continue
			}
			row := z[(ky*p.kW+kx)*width+(iy-i0)*p.inW:][:p.inW]
			if p.strideW == 1 {
				src := row[xLo+shift : xHi+shift]
				dst := out[xLo:xHi]
				for x, v := range src {
					dst[x] += v
				}
				continue
			}
			for x := xLo; x < xHi; x++ {
				out[x] += row[x*p.strideW+shift]
			}
		}
	}
}
