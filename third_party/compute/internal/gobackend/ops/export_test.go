// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops

import "github.com/gomlx/compute/internal/gobackend"

// SetConvIm2col turns ConvGeneral's im2col fast path on or off, for tests that compare it with the
// generic executor; it returns the previous setting.
func SetConvIm2col(enabled bool) (previous bool) {
	previous, convIm2colEnabled = convIm2colEnabled, enabled
	return previous
}

// SetConvIm2colBudget sets the im2col workspace budget in bytes (0: one output row per chunk);
// it returns the previous one.
func SetConvIm2colBudget(bytes int) (previous int) {
	previous, convIm2colBudgetBytes = convIm2colBudgetBytes, bytes
	return previous
}

// ConvIm2colRuns returns how many convolutions the im2col fast path has run since the process
// started.
func ConvIm2colRuns() int64 { return convIm2colRuns.Load() }

// SetConvWinograd turns ConvGeneral's Winograd fast path on or off (the im2col path then runs its
// convolutions); it returns the previous setting.
func SetConvWinograd(enabled bool) (previous bool) {
	previous, convWinogradEnabled = convWinogradEnabled, enabled
	return previous
}

// ConvWinogradRuns returns how many convolutions the Winograd fast path has run since the
// process started.
func ConvWinogradRuns() int64 { return convWinogradRuns.Load() }

// SetConvWinogradMinPixels sets the smallest output (batch·height·width) that the Winograd path
// runs (0: all), for constant kernels and others alike; it returns what puts the previous
// thresholds back.
func SetConvWinogradMinPixels(pixels int) (restore func()) {
	derived, constant := convWinogradMinPixels, convWinogradMinPixelsConstant
	convWinogradMinPixels, convWinogradMinPixelsConstant = pixels, pixels
	return func() { convWinogradMinPixels, convWinogradMinPixelsConstant = derived, constant }
}

// ConvKernelCacheCounts returns how many kernels the kernel cache has derived and how many
// times it used one it kept, since the process started.
func ConvKernelCacheCounts() (derived, hits int64) {
	return kernelCache.derived.Load(), kernelCache.hits.Load()
}

// ConvKernelCacheEntriesOf returns how many derived forms of the kernel buffer the cache holds.
func ConvKernelCacheEntriesOf(kernel *gobackend.Buffer) int {
	kernelCache.Lock()
	defer kernelCache.Unlock()
	n := 0
	for k := range kernelCache.entries {
		if k.buffer == kernel {
			n++
		}
	}
	return n
}

// SetConvKernelCache turns the kernel cache on or off; it returns the previous setting.
func SetConvKernelCache(enabled bool) (previous bool) {
	previous, convKernelCacheEnabled = convKernelCacheEnabled, enabled
	return previous
}

// SetConvTapProducts turns ConvGeneral's tap-products path on or off; it returns the previous
// setting.
func SetConvTapProducts(enabled bool) (previous bool) {
	previous, convTapProductsEnabled = convTapProductsEnabled, enabled
	return previous
}

// ConvTapProductsRuns returns how many convolutions the tap-products path has run since the
// process started.
func ConvTapProductsRuns() int64 { return convTapProductsRuns.Load() }

// ConvTapProductsApplyFor reports whether the tap-products path runs a k×k convolution from cin
// to cout channels, channels first or last.
func ConvTapProductsApplyFor(cin, cout, k int, channelsFirst bool) bool {
	p := im2colPlan{channelsFirst: channelsFirst, inC: cin, outC: cout, kH: k, kW: k}
	return p.tapProductsApply()
}

// SetConvPixelRows turns ConvGeneral's pixel-rows path on or off; it returns the previous setting.
func SetConvPixelRows(enabled bool) (previous bool) {
	previous, convPixelRowsEnabled = convPixelRowsEnabled, enabled
	return previous
}

// ConvPixelRowsRuns returns how many convolutions the pixel-rows path has run since the process
// started.
func ConvPixelRowsRuns() int64 { return convPixelRowsRuns.Load() }

// ConvPixelRowsApplyFor reports whether the pixel-rows path runs a channels-first convolution to
// outC channels on a map of outH×outW pixels.
func ConvPixelRowsApplyFor(outC, outH, outW int) bool {
	p := im2colPlan{channelsFirst: true, outC: outC, outH: outH, outW: outW}
	return p.pixelRowsApply()
}

// SetConvPrepacked turns the packed constant kernels (patch 28) on or off; it returns the
// previous setting.
func SetConvPrepacked(enabled bool) (previous bool) {
	previous, convPrepackedEnabled = convPrepackedEnabled, enabled
	return previous
}

// ConvPrepackedRuns returns how many products have been multiplied from a packed kernel since
// the process started.
func ConvPrepackedRuns() int64 { return convPrepackedRuns.Load() }
