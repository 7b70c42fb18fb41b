package nst

import (
	"fmt"
	"image"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/internal/enum"
)

// The style picture's size.
//
// The original's Gram matrix G = F·Fᵀ sums over the h·w positions of a layer, so its entries
// grow with the number of positions. The original therefore gives the style picture exactly
// the content's size, as PyTorch's tutorial requires too: the target's Gram matrices and the
// style's then sum over as many positions, and the style term can go to zero. neural-style
// instead keeps the style's aspect ratio and scales its long side (its -style_scale), which is
// harmless there because it normalises G by the layer's number of elements (C·H·W). Here the
// long side is safe only with a normalised Gram matrix (GramNorm hw or chw): with the default
// GramNormNone and unequal pixel counts the two Gram matrices differ in scale, and the style
// term cannot reach zero unless the target's per-position statistics are M_S/M_T times the
// style's, i.e. a distorted style (estil stylize warns of that combination). Both sizings are
// offered; the original's is the default.

// StyleSize says how a style picture is sized against the content (StyleSizing.Mode).
type StyleSize string

const (
	// StyleSizeContent gives the style the content's exact width and height (the original's).
	StyleSizeContent StyleSize = "content"
	// StyleSizeLongSide keeps the style's aspect ratio and makes its long side Scale times the
	// content's (neural-style's).
	StyleSizeLongSide StyleSize = "long-side"
)

// StyleSizing is how style pictures are sized: the zero value is the original's (the content's
// size).
type StyleSizing struct {
	Mode StyleSize `json:"mode,omitempty"`
	// Scale is the long-side factor of StyleSizeLongSide (0 means 1).
	Scale float64 `json:"scale,omitempty"`
}

// ParseStyleSize checks a --style-size value.
func ParseStyleSize(s string) (StyleSize, error) {
	return enum.Parse("style size", s, StyleSizes())
}

func (s StyleSizing) scale() float64 {
	if s.Scale == 0 {
		return 1
	}
	return s.Scale
}

// Check refuses an unknown mode, a Scale outside (0, 16] or with the content's size (where it
// means nothing), and a style side above MaxImageSide for a content whose long side is side.
func (s StyleSizing) Check(side int) error {
	switch s.Mode {
	case "", StyleSizeContent:
		if s.Scale != 0 && s.Scale != 1 {
			return fmt.Errorf("a style scale (%v) applies only to the style size %s; the style gets the content's size otherwise", s.Scale, StyleSizeLongSide)
		}
		return nil
	case StyleSizeLongSide:
	default:
		_, err := ParseStyleSize(string(s.Mode))
		return err
	}
	if !(s.Scale >= 0 && s.Scale <= 16) {
		return fmt.Errorf("the style scale must be a number in (0, 16], got %v", s.Scale)
	}
	if n := StyleSide(side, s.scale()); n > MaxImageSide {
		return fmt.Errorf("a style scale of %g at %d px asks for a style picture of %d px, more than the %d estil takes", s.Scale, side, n, MaxImageSide)
	}
	return nil
}

// Size returns the style picture for a content picture of w×h pixels.
func (s StyleSizing) Size(style image.Image, w, h int) (image.Image, error) {
	if s.Mode == StyleSizeLongSide {
		return Resize(style, StyleSide(max(w, h), s.scale()))
	}
	return images.ResizeTo(style, w, h), nil
}

// StyleSide is the long side of a style picture for a content whose long side is side, with
// neural-style's --style_scale factor (1: the content's long side), rounded to the nearest pixel
// and at least MinImageSide.
func StyleSide(side int, styleScale float64) int {
	return max(MinImageSide, int(float64(side)*styleScale+0.5))
}
