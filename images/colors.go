package images

import (
	"image"
	"math"
)

// Luma weights of ITU-R BT.601, the Y of YUV (and of YIQ and YCbCr).
const (
	lumaR = 0.299
	lumaG = 0.587
	lumaB = 0.114
)

// OriginalColors returns stylized with the colors of content: the luminance
// of stylized combined with the chrominance of content. It implements
// neural-style's -original_colors (ColorControlOriginalColors), a post-hoc
// swap: the transfer ran in colour, against the style's colour features, and
// only its chroma is replaced afterwards. It is not Gatys et al.'s
// luminance-only transfer, where the network sees luminance images only
// (ColorControlLuminance, see luminance.go), although that transfer ends with
// this same step ([PutChroma]). If the two pictures differ in size, content
// is first resized to the size of stylized.
//
// Like neural-style (Torch's image.rgb2yuv), it works in YUV with BT.601
// weights: Y = 0.299 R + 0.587 G + 0.114 B, U ∝ B − Y, V ∝ R − Y. YIQ and
// YCbCr share this Y and are linear in it too, so they give the same result.
// Because each of R, G and B is Y plus a combination of U and V, keeping
// content's U and V and taking stylized's Y comes down to adding the
// difference of luminance to each channel of content:
//
//	out = content + (Y(stylized) − Y(content))
//
// It is computed in 8-bit levels: the content's values rounded to 8 bits, plus
// one whole number of levels, the same for R, G and B, so that the result's Y
// is stylized's to 0.5/255 and its chroma is exactly the content's. Channels
// are then clamped to [0, 1], so where that overflows, as where a saturated
// color is made much brighter, neither is kept exactly.
// Transparent pixels count as white, as in [ToHWC]; the result is opaque.
func OriginalColors(content, stylized image.Image) *image.NRGBA {
	sb := stylized.Bounds()
	if cb := content.Bounds(); cb.Dx() != sb.Dx() || cb.Dy() != sb.Dy() {
		if sb.Empty() {
			return FromHWC(nil, 0, 0)
		}
		content = ResizeTo(content, sb.Dx(), sb.Dy())
	}
	c, w, h := ToHWC(content)
	s, _, _ := ToHWC(stylized)
	for i := 0; i < len(c); i += 3 {
		// In 8-bit levels: the content's, and one whole number of levels added to all three.
		// Rounding d once, rather than each channel's sum, keeps the chroma exactly where no
		// channel is clamped: rounded apart, two channels could round a tie differently.
		var c8 [3]float64
		for k := range c8 {
			c8[k] = math.Round(float64(c[i+k]) * 255)
		}
		d := math.Round(255*luma(s[i], s[i+1], s[i+2]) - luma(c8[0], c8[1], c8[2]))
		for k := range c8 {
			c[i+k] = float32((c8[k] + d) / 255)
		}
	}
	return FromHWC(c, w, h)
}
