package images

import "image"

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
// Channels are then clamped to [0, 1], so where that overflows, as where a
// saturated color is made much brighter, luminance is not kept exactly.
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
		ys := lumaR*s[i] + lumaG*s[i+1] + lumaB*s[i+2]
		yc := lumaR*c[i] + lumaG*c[i+1] + lumaB*c[i+2]
		d := ys - yc
		c[i] += d
		c[i+1] += d
		c[i+2] += d
	}
	return FromHWC(c, w, h)
}
