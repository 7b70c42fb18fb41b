package ops

// SetConvIm2col turns ConvGeneral's im2col fast path on or off, for tests that compare it with the
// generic executor; it returns the previous setting.
func SetConvIm2col(enabled bool) (previous bool) {
	previous, convIm2colEnabled = convIm2colEnabled, enabled
	return previous
}
