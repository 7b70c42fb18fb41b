// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops

// The kernels ConvGeneral's fast paths derive from constant buffers, kept from one execution to
// the next (a patch carried by estil; see third_party/PATCHES.md, patch 13).
//
// The im2col path packs a kernel that is not yet its layout's matrix (the gradient's kernels:
// channel axes swapped, spatial axes read backwards), and the Winograd path transforms every
// kernel, U = G·g·Gᵀ, at each execution: for a network whose weights never change (style
// transfer optimizes the picture, not the weights), the same work again at every evaluation, up
// to a fifth of it at small sizes. When the kernel's buffer is marked constant
// (gobackend.Buffer.MarkConstant: its owner promises not to change it while in use), the result
// is kept, keyed by the buffer, the promise's number and the layout it was derived for, and used
// again while the promise holds. Released buffers' entries are dropped at the next miss, and so
// are the other entries of the kernel being derived that read it the same way (the same axes
// reversed): each convolution keeps one derived form of its kernel, that of the path its map's
// size takes now. A kernel that two convolutions of different paths read the same way would be
// derived again at each use (VGG19 has none).
//
// Set GOMLX_CONV_KERNEL_CACHE=false to derive every kernel at every execution, as before.

import (
	"os"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/gomlx/compute/internal/gobackend"
)

// ConvKernelCacheEnv is the environment variable that turns the cache off when "false".
const ConvKernelCacheEnv = "GOMLX_CONV_KERNEL_CACHE"

var convKernelCacheEnabled = func() bool {
	v, err := strconv.ParseBool(os.Getenv(ConvKernelCacheEnv))
	return err != nil || v
}()

// kernelDerivation says what was derived from a kernel, and for which layout: everything the
// derived values depend on besides the kernel's contents.
type kernelDerivation struct {
	winograd                                                       bool // U = G·g·Gᵀ; else im2col's packed matrix
	tapRows                                                        bool // the tap-products path's [outC·kH·kW, inC]
	pixelRows                                                      bool // the pixel-rows path's kernelᵀ [inC·kH·kW, outC]
	prepacked                                                      bool // packed for the matmul (dot.PrepackedLHSFloat32)
	channelsFirst                                                  bool
	reversed                                                       [2]bool
	kH, kW, inC, outC, kSpatial0, kSpatial1, kInStride, kOutStride int
}

func (p *im2colPlan) derivation(winograd bool) kernelDerivation {
	return kernelDerivation{winograd: winograd, channelsFirst: p.channelsFirst, reversed: p.kernelReversed,
		kH: p.kH, kW: p.kW, inC: p.inC, outC: p.outC, kSpatial0: p.kSpatial0, kSpatial1: p.kSpatial1,
		kInStride: p.kInStride, kOutStride: p.kOutStride}
}

type kernelCacheKey struct {
	buffer *gobackend.Buffer
	what   kernelDerivation
}

type kernelCacheEntry struct {
	generation uint64
	values     []float32
}

var kernelCache struct {
	sync.Mutex
	entries map[kernelCacheKey]kernelCacheEntry
	// derived counts the kernels derived into the cache, hits the uses of one kept there.
	derived, hits atomic.Int64
}

// cachedKernel returns what derive writes (size values) for the kernel buffer and layout what:
// kept from an earlier execution if the buffer is constant and still the same promise, else
// derived now and kept. It returns nil when the buffer is not constant or the cache is off: the
// caller then derives into a buffer of its own, as without the cache.
func cachedKernel(kernel *gobackend.Buffer, what kernelDerivation, size int, derive func(dst []float32)) []float32 {
	gen := kernel.Constant()
	if !convKernelCacheEnabled || gen == 0 {
		return nil
	}
	key := kernelCacheKey{kernel, what}
	kernelCache.Lock()
	if e, ok := kernelCache.entries[key]; ok && e.generation == gen {
		kernelCache.Unlock()
		kernelCache.hits.Add(1)
		return e.values
	}
	for k, e := range kernelCache.entries {
		switch {
		case k.buffer.Constant() != e.generation: // a released buffer or a broken promise
			delete(kernelCache.entries, k)
		case k.buffer == kernel && k.what.reversed == what.reversed:
			// The same kernel read the same way, derived for another path (patch 28): a
			// convolution whose path changed with its map's size (a network run at another
			// size). Kept, such entries added up to 120 MB over VGG19's sizes 64, 128 and 256 px.
			delete(kernelCache.entries, k)
		}
	}
	kernelCache.Unlock()
	values := make([]float32, size)
	derive(values)
	kernelCache.Lock()
	defer kernelCache.Unlock()
	if kernelCache.entries == nil {
		kernelCache.entries = map[kernelCacheKey]kernelCacheEntry{}
	}
	kernelCache.entries[key] = kernelCacheEntry{generation: gen, values: values}
	kernelCache.derived.Add(1)
	return values
}
