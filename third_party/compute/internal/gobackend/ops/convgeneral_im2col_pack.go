// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops

// The kernel packing of ConvGeneral's im2col fast path (see convgeneral_im2col.go).

import "github.com/gomlx/compute/internal/gobackend"

// tapOffsets says where each tap t = (ky, kx) of the window (t = ky·kW + kx) is in the kernel,
// relative to its channels' base, with the spatial axes read backwards where kernelReversed says
// so. packKernel and the Winograd kernel transform read the kernel through it.
func (p *im2colPlan) tapOffsets() []int {
	src := make([]int, p.kH*p.kW)
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
	return src
}

// packKernel copies the kernel, in whatever axis order it has (and with its spatial axes read
// backwards where kernelReversed says so), to the layout's matrix: [kH·kW·inC, outC] channels
// last, [outC, inC·kH·kW] channels first.
func (p *im2colPlan) packKernel(backend *gobackend.Backend, dst []float32) {
	src := p.tapOffsets()
	taps := len(src)
	// The gradient's kernels (channel axes swapped, read backwards) are packed at every
	// evaluation, up to 2.4M values for VGG19's deepest layers. Their source is the forward
	// kernel [out, in, kH, kW], so the packed matrix's rows o (the forward's input channels) are
	// 9 floats apart in it and its columns c a whole filter apart: one row at a time, as it was,
	// every read is a cache miss. A task packs a block of rows instead, going through the columns
	// outside and the block's rows inside, so that each column's reads for the block are one
	// contiguous run.
	const block = 16
	parallelFor(backend, (p.outC+block-1)/block, func(b int) {
		o0, o1 := b*block, min((b+1)*block, p.outC)
		for c := range p.inC {
			for o := o0; o < o1; o++ {
				kernel := p.kernelFlat[o*p.kOutStride+c*p.kInStride:]
				if p.channelsFirst {
					row := dst[(o*p.inC+c)*taps:][:taps]
					for t, offset := range src {
						row[t] = kernel[offset]
					}
				} else {
					for t, offset := range src {
						dst[(t*p.inC+c)*p.outC+o] = kernel[offset]
					}
				}
			}
		}
	})
}
