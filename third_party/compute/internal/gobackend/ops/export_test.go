// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops

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
