// Colour control: how a transfer keeps the content's colours.
//
// Gatys, Bethge, Hertzmann and Shechtman, "Controlling Perceptual Factors in
// Neural Style Transfer" (CVPR 2017; arXiv 1611.07865, first as "Preserving
// Color in Neural Artistic Style Transfer", arXiv 1606.05897), §5.1, keep the
// content's colours in two ways. One recolours the style picture first
// ([MatchColors], --color-match). The other is their luminance-only transfer,
// done here as the paper does it:
//
//  1. Take the luminance Y of both pictures, Y = 0.299 R + 0.587 G + 0.114 B
//     (the Y of YIQ, BT.601).
//  2. Match the style's luminance to the content's first two moments:
//     Y_s' = σ_c/σ_s · (Y_s − μ_s) + μ_c ([MatchLuminance]), μ and σ the
//     mean and standard deviation over the pixels.
//  3. Run the transfer on luminance images: the network gets Y in all three
//     channels ([Luminance]), for the content and for the style.
//  4. Put the content's colour channels back on the result's luminance
//     ([PutChroma]): the result's Y with the content's I and Q.
//
// The strokes are then optimised against the style's luminance features only:
// the style's colours never reach the network. neural-style's -original_colors
// ([OriginalColors], ColorControlOriginalColors) differs: it runs the transfer
// in colour, against the style's colour features, and swaps the chroma for the
// content's afterwards.
//
// YIQ, as the paper, rather than YCbCr or YUV: all three share BT.601's Y, and
// their two chroma channels are linear combinations of R − Y and B − Y, so
// keeping the content's I and Q, its Cb and Cr, or its U and V is the same
// thing, and the result is the same. The names follow the paper.

package images

import (
	"image"
	"math"
	"strings"

	"github.com/estil-nst/estil/internal/enum"
)

// ColorControl names how a transfer keeps the content's colours, if it does.
type ColorControl string

// The colour controls. The empty string also means none.
const (
	// ColorControlNone keeps nothing: the result takes the style's colours.
	ColorControlNone ColorControl = "none"
	// ColorControlLuminance is Gatys et al.'s luminance-only transfer (2017, §5.1): the
	// transfer runs on luminance images and the content's I and Q are put back afterwards.
	ColorControlLuminance ColorControl = "luminance"
	// ColorControlOriginalColors is neural-style's -original_colors: a transfer in colour,
	// whose chroma is then replaced by the content's ([OriginalColors]).
	ColorControlOriginalColors ColorControl = "original-colors"
)

// ParseColorControl reads a colour control's name: none (or empty), luminance or
// original-colors.
func ParseColorControl(s string) (ColorControl, error) {
	if s = strings.ToLower(strings.TrimSpace(s)); s == "" {
		return ColorControlNone, nil
	}
	return enum.Parse("colour control", s, ColorControls())
}

// luma is Y = 0.299 R + 0.587 G + 0.114 B of one pixel.
func luma[T float32 | float64](r, g, b T) float64 {
	return lumaR*float64(r) + lumaG*float64(g) + lumaB*float64(b)
}

// lumaOf returns the luminance of RGB values in height × width × channel order, one value a
// pixel.
func lumaOf(px []float32) []float64 {
	y := make([]float64, len(px)/3)
	for i := range y {
		y[i] = luma(px[3*i], px[3*i+1], px[3*i+2])
	}
	return y
}

// gray16 returns a picture whose every pixel is the gray y[i], clamped to [0, 1], in 16 bits:
// read back by [ToHWC], R = G = B = Y to within 1/131070.
func gray16(y []float64, w, h int) *image.Gray16 {
	img := image.NewGray16(image.Rect(0, 0, w, h))
	for i, v := range y {
		if math.IsNaN(v) {
			v = 0
		}
		q := uint16(math.Round(min(1, max(0, v)) * 0xffff))
		img.Pix[2*i], img.Pix[2*i+1] = uint8(q>>8), uint8(q)
	}
	return img
}

// Luminance returns img's luminance Y = 0.299 R + 0.587 G + 0.114 B as a 16-bit gray picture
// of the same size: what the network sees in a luminance-only transfer (read with [ToHWC], each
// of R, G and B is Y). Transparent pixels count as white, as in [ToHWC].
func Luminance(img image.Image) *image.Gray16 {
	px, w, h := ToHWC(img)
	return gray16(lumaOf(px), w, h)
}

// MatchLuminance returns the style picture's luminance matched to the content's mean and
// standard deviation, Y_s' = σ_c/σ_s · (Y_s − μ_s) + μ_c, as a 16-bit gray picture of the
// style's size (the style's luminance for the network, step 2 of a luminance-only transfer).
// μ and σ are over all pixels (σ² = mean((Y − μ)²)); a flat style (σ_s = 0) becomes the flat
// μ_c. Values that the map sends outside [0, 1] are clipped to it, and where that happens
// the moments are no longer exactly the content's; [LuminanceClipped] counts such pixels.
func MatchLuminance(style, content image.Image) *image.Gray16 {
	s, w, h := ToHWC(style)
	c, _, _ := ToHWC(content)
	return gray16(matchLuminance(lumaOf(s), lumaOf(c)), w, h)
}

// LuminanceClipped returns how many pixels of [MatchLuminance]'s result were clipped to [0, 1].
func LuminanceClipped(style, content image.Image) int {
	s, _, _ := ToHWC(style)
	c, _, _ := ToHWC(content)
	n := 0
	for _, v := range matchLuminance(lumaOf(s), lumaOf(c)) {
		if v < 0 || v > 1 {
			n++
		}
	}
	return n
}

// matchLuminance is MatchLuminance's map on luminance values, in float64 and unclipped.
func matchLuminance(ys, yc []float64) []float64 {
	ms, ss := meanStd(ys)
	mc, sc := meanStd(yc)
	out := make([]float64, len(ys))
	for i, v := range ys {
		if ss > 0 {
			out[i] = sc/ss*(v-ms) + mc
		} else {
			out[i] = mc
		}
	}
	return out
}

// meanStd returns the mean and the (population) standard deviation of y, in two passes.
func meanStd(y []float64) (mean, std float64) {
	if len(y) == 0 {
		return 0, 0
	}
	for _, v := range y {
		mean += v
	}
	mean /= float64(len(y))
	for _, v := range y {
		std += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(std / float64(len(y)))
}

// PutChroma returns the luminance of result with the colour channels (YIQ's I and Q) of content:
// step 4 of a luminance-only transfer, where result is what the network made from luminance
// images. If the two differ in size, content is first resized to result's size. The result's Y
// is read from all three of its channels (the optimised picture drifts a little from gray: the
// network's first layer weighs R, G and B differently).
//
// Since R, G and B are each Y plus a combination of I and Q, this comes down to
//
//	out = content + (Y(result) − Y(content))   on each channel,
//
// which is also what [OriginalColors] computes: the two colour controls differ in what the
// network saw, not in this last step. The I and Q coefficients sum to 0 (0.596 − 0.274 − 0.322
// and 0.211 − 0.523 + 0.312), so adding the same amount to R, G and B leaves them as they
// were. The amount is rounded once to whole 8-bit levels and added to the content's 8-bit
// values, so I and Q are the content's (8-bit) ones exactly, and Y is the result's to 0.5/255.
// Only where a channel is clamped to [0, 1] (a saturated content colour made much brighter or
// darker) do I and Q change.
func PutChroma(content, result image.Image) *image.NRGBA {
	return OriginalColors(content, result)
}
