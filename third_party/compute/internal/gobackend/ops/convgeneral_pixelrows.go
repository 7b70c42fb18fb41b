// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops

// ConvGeneral on small maps, channels first: the output pixels as the matrix product's rows (a
// patch carried by estil; see third_party/PATCHES.md, patch 24).
//
// Channels first, im2col computes output[o, p] = Σ_k kernel[o, k] · cols[k, p]: the pixels p are
// the product's columns, which the AVX-512 kernel takes 32 at a time. A map of fewer pixels than
// that, or a little more (VGG19's conv5_1 at 64 px: 4×4 = 16), leaves the kernel's tiles half
// empty: measured at 37-57 GFLOP/s where the 8×8 maps of the same layer run at ~200. Here the
// product is transposed,
//
//	outputᵀ[p, o] = Σ_k colsᵀ[p, k] · kernelᵀ[k, o]
//
// so the output channels are the columns (512: whole tiles) and the pixels the rows, which the
// kernel takes 4 at a time. colsᵀ is written pixel by pixel, kernelᵀ is derived once per
// constant kernel (patch 13's cache), and the [P, outC] result is transposed into the output
// (P·outC values, small by construction). It runs where the pixels of one example fill the
// 32-wide tiles worse than the output channels do, for maps of fewer than 64 pixels.
//
// Set GOMLX_CONV_PIXEL_ROWS=false to run these convolutions by im2col, as before.

import (
	"sync/atomic"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/compute/support/envutil"
)

// ConvPixelRowsEnv is the environment variable that turns the pixel-rows path off when "false".
const ConvPixelRowsEnv = "GOMLX_CONV_PIXEL_ROWS"

var (
	convPixelRowsEnabled = envutil.MustReadBool(ConvPixelRowsEnv, true)

	// Convolutions the pixel-rows path ran, read by the tests (export_test.go).
	convPixelRowsRuns atomic.Int64
)

// pixelRowsMaxPixels bounds the maps the path takes: with 64 pixels or more the kernel's 32-wide
// tiles are at least two-thirds full either way.
const pixelRowsMaxPixels = 64

// tileUse is the share of the 32-wide tiles that n columns fill.
func tileUse(n int) float64 { return float64(n) / float64(32*((n+31)/32)) }

// pixelRowsApply reports whether the pixel-rows path runs the convolution p describes.
func (p *im2colPlan) pixelRowsApply() bool {
	pixels := p.outH * p.outW
	return convPixelRowsEnabled && p.channelsFirst && pixels < pixelRowsMaxPixels && tileUse(p.outC) > tileUse(pixels)
}

// pixelRowsDerivation is what the path derives from the kernel: kernelᵀ [inC·kH·kW, outC].
func (p *im2colPlan) pixelRowsDerivation() kernelDerivation {
	d := p.derivation(false)
	d.pixelRows = true
	return d
}

// packKernelTransposed writes kernelᵀ: row k = (c, ky, kx) holds the kernel's values for input
// channel c and that tap, one per output channel.
func (p *im2colPlan) packKernelTransposed(backend *gobackend.Backend, dst []float32) {
	src := p.tapOffsets()
	taps := len(src)
	parallelFor(backend, p.inC, func(c int) {
		for t, offset := range src {
			row := dst[(c*taps+t)*p.outC:][:p.outC]
			base := c*p.kInStride + offset
			for o := range row {
				row[o] = p.kernelFlat[base+o*p.kOutStride]
			}
		}
	})
}

// fillPixelRow writes row (y, x) of example b's colsᵀ: for each input channel c and tap (ky, kx),
// in the kernel's (c, ky, kx) order, the input value the tap sees from output pixel (y, x), or
// zero in the padding. offsets holds, per tap, the value's offset in a channel's plane, or −1.
func (p *im2colPlan) fillPixelRow(row []float32, offsets []int, b int) {
	taps, plane := len(offsets), p.inH*p.inW
	input := p.inputFlat[b*p.inC*plane:][:p.inC*plane]
	for c := range p.inC {
		dst, src := row[c*taps:][:taps], input[c*plane:][:plane]
		for t, offset := range offsets {
			if offset < 0 {
				dst[t] = 0
			} else {
				dst[t] = src[offset]
			}
		}
	}
}

// pixelOffsets returns, for output pixel (y, x), the offset in a channel's input plane of the
// value each tap sees, or −1 where it falls in the padding.
func (p *im2colPlan) pixelOffsets(y, x int) []int {
	offsets := make([]int, 0, p.kH*p.kW)
	for ky := range p.kH {
		iy := y*p.strideH + ky*p.dilationH - p.padH
		for kx := range p.kW {
			ix := x*p.strideW + kx*p.dilationW - p.padW
			if iy < 0 || iy >= p.inH || ix < 0 || ix >= p.inW {
				offsets = append(offsets, -1)
			} else {
				offsets = append(offsets, iy*p.inW+ix)
			}
		}
	}
	return offsets
}

// execConvPixelRows runs the plan with the pixels as the product's rows.
func execConvPixelRows(backend *gobackend.Backend, p im2colPlan, input, kernel, output *gobackend.Buffer) error {
	p.inputFlat, p.kernelFlat, p.outpt = input.Flat.([]float32), kernel.Flat.([]float32), output.Flat.([]float32)
	pixels, k := p.outH*p.outW, p.contracting
	// A constant kernel (convgeneral_kernelcache.go) is transposed once, then kept.
	kernelT := cachedKernel(kernel, p.pixelRowsDerivation(), k*p.outC, func(dst []float32) { p.packKernelTransposed(backend, dst) })
	get := func(size int) ([]float32, func(), error) {
		buf, err := backend.GetBuffer(shapes.Make(dtypes.Float32, size))
		if err != nil {
			return nil, nil, err
		}
		return buf.Flat.([]float32)[:size], func() { backend.PutBuffer(buf) }, nil
	}
	if kernelT == nil {
		buf, put, err := get(k * p.outC)
		if err != nil {
			return err
		}
		defer put()
		kernelT = buf
		p.packKernelTransposed(backend, kernelT)
	}
	colsT, putCols, err := get(pixels * k)
	if err != nil {
		return err
	}
	defer putCols()
	outT, putOut, err := get(pixels * p.outC)
	if err != nil {
		return err
	}
	defer putOut()
	offsets := make([][]int, pixels)
	for i := range offsets {
		offsets[i] = p.pixelOffsets(i/p.outW, i%p.outW)
	}
	for b := range p.batch {
		parallelFor(backend, pixels, func(i int) { p.fillPixelRow(colsT[i*k:][:k], offsets[i], b) })
		p.matmul(backend, colsT, kernelT, outT, pixels, k, p.outC)
		out := p.outpt[b*p.outC*pixels:][:p.outC*pixels]
		for i := range pixels {
			row := outT[i*p.outC:][:p.outC]
			for o, v := range row {
				out[o*pixels+i] = v
			}
		}
	}
	return nil
}
