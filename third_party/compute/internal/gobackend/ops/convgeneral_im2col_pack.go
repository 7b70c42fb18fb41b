// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops

// The kernel packing of ConvGeneral's im2col fast path (see convgeneral_im2col.go).

import "github.com/gomlx/compute/internal/gobackend"

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
