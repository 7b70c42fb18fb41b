package nst

import (
	"errors"
	"fmt"
	"image"
	"image/color"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/estil-nst/estil/images"
)

// Spatial control (Gatys et al. 2017, "Controlling Perceptual Factors in Neural Style Transfer",
// §4).
//
// A mask says which region of a picture a style belongs to: white pixels are in the region, black
// ones are not. Style.Mask is the region of the result that takes the style, Style.Guide the
// region of the style picture its statistics come from. Each region r gets its own guided Gram
// matrices (GuidedGram) and its own style term, and the layer's term is their weighted sum,
//
//	E_l = Σ_r w_r · E_l^r,   E_l^r = the style term of G^r_l(result) against G^r_l(style r),
//
// so each region is pulled towards its own style's statistics and no other's. Pixels in no mask
// only feel the content loss (and TV): they stay close to the content.
//
// A guidance channel has the picture's resolution; each layer needs it at its own. Gatys et al.
// offer two ways: simple downsampling to the layer's size, and an eroded variant in which a
// position belongs to the region only if its whole receptive field does (his code's
// get_fm_guides, modes "simple" and "inside"). His notebook for several style pictures, one per
// region (the case --style-mask is for), uses the simple one (guide_mode = 'simple', k = 0),
// and so does estil: at each of VGG19's 2×2 poolings the mask is averaged over the same 2×2
// blocks (an area average, where his code interpolates with scipy's zoom), so a position on a
// boundary gets the fraction of its block that is inside.

// Masks must be black or white: a pixel whose grey value is at most maskBlack is outside, at least
// maskWhite inside. Regions may not overlap and must say clearly where they are: a grey pixel is
// refused rather than read as half of two regions.
const (
	maskBlack = 0.1
	maskWhite = 0.9
)

// Mask reads a mask picture: 1 where it is white, 0 where it is black ([H, W] values, height
// major, and the width and height). A pixel that is neither (its mean of R, G, B between 0.1 and
// 0.9; transparency counts as white, as everywhere in estil) or a mask with no white pixel is an
// error that names the first grey pixel, for the caller to prefix with which mask it is.
func Mask(img image.Image) (values []float32, w, h int, err error) {
	data, w, h := images.ToHWC(img)
	values = make([]float32, w*h)
	inside := 0
	for i := range values {
		v := (data[3*i] + data[3*i+1] + data[3*i+2]) / 3
		switch {
		case v <= maskBlack:
		case v >= maskWhite:
			values[i] = 1
			inside++
		default:
			return nil, 0, 0, fmt.Errorf("is not black and white: pixel (%d, %d) is grey (%.2f); a mask is white inside its region and black outside",
				i%w, i/w, v)
		}
	}
	if inside == 0 {
		return nil, 0, 0, errors.New("is empty: it has no white pixel, so its region has no pixel")
	}
	return values, w, h, nil
}

// ResizeMask resizes a mask to w×h pixels, keeping it black and white: the picture is resized as
// pictures are (images.ResizeTo), then each pixel is made white if it is at least half white.
// Masks travel with their pictures: RunScales and the CLI resize them with the content or style.
func ResizeMask(mask image.Image, w, h int) image.Image {
	r := images.ResizeTo(mask, w, h)
	data, _, _ := images.ToHWC(r)
	out := image.NewGray(image.Rect(0, 0, w, h))
	for i := range w * h {
		if (data[3*i]+data[3*i+1]+data[3*i+2])/3 >= 0.5 {
			out.Pix[i] = 255
		}
	}
	return out
}

// LabelMask is the mask of one region of a label image, a picture painted in flat colours, one
// per region: white where the pixel's colour is c (each of R, G, B within 16/255 of c's, so
// that a label image saved as JPEG still works in its flat parts), black elsewhere. One label
// image can then hold the masks of all the styles, one colour each.
func LabelMask(labels image.Image, c color.Color) *image.Gray {
	const tolerance = 16.0 / 255
	data, w, h := images.ToHWC(labels)
	r, g, b, _ := c.RGBA()
	want := [3]float32{float32(r) / 0xffff, float32(g) / 0xffff, float32(b) / 0xffff}
	out := image.NewGray(image.Rect(0, 0, w, h))
	for i := range w * h {
		in := true
		for k := range 3 {
			if d := data[3*i+k] - want[k]; d > tolerance || d < -tolerance {
				in = false
			}
		}
		if in {
			out.Pix[i] = 255
		}
	}
	return out
}

// halveMask is a mask at the resolution after a 2×2 pooling (floor(h/2) × floor(w/2), as
// VGG19's): each position is the mean of the 2×2 block it pools.
func halveMask(m []float32, w, h int) ([]float32, int, int) {
	w2, h2 := w/2, h/2
	out := make([]float32, w2*h2)
	for y := range h2 {
		for x := range w2 {
			i := 2*y*w + 2*x
			out[y*w2+x] = (m[i] + m[i+1] + m[i+w] + m[i+w+1]) / 4
		}
	}
	return out, w2, h2
}

// maskPyramid is a mask (values, w×h) at the resolution of each of layers: downsampled at every
// pooling before the layer ([h_l, w_l] tensors). A region that vanishes at some layer (it was
// only in rows or columns that the poolings drop) is an error.
func maskPyramid(m []float32, w, h int, layers []Layer) ([]*tensors.Tensor, error) {
	out := make([]*tensors.Tensor, len(layers))
	for i, l := range layers {
		v, lw, lh := m, w, h
		for _, o := range vgg19[:l.Index] {
			if o.Kind == Pool {
				v, lw, lh = halveMask(v, lw, lh)
			}
		}
		var sum float32
		for _, x := range v {
			sum += x
		}
		if sum == 0 {
			return nil, fmt.Errorf("has no pixel left at %s (%d×%d): its region is too small or at the picture's edge", l.Name, lw, lh)
		}
		out[i] = tensors.FromFlatDataAndDimensions(v, lh, lw)
	}
	return out, nil
}

// MaskLevel is a mask at one layer's resolution: the guidance channel T_l the guided Gram
// matrices of that layer use, Width×Height values in [0, 1], height major.
type MaskLevel struct {
	Layer         string
	Width, Height int
	Values        []float32
}

// MaskLevels is a black-and-white mask at the resolution of each of layers, downsampled as the
// transfer does (for the handout, which shows how the region blurs with depth).
func MaskLevels(mask image.Image, layers ...string) ([]MaskLevel, error) {
	want, err := resolveLayers(layers)
	if err != nil {
		return nil, err
	}
	m, w, h, err := Mask(mask)
	if err != nil {
		return nil, fmt.Errorf("the mask %w", err)
	}
	pyramid, err := maskPyramid(m, w, h, want)
	if err != nil {
		return nil, fmt.Errorf("the mask %w", err)
	}
	out := make([]MaskLevel, len(want))
	for i, t := range pyramid {
		out[i] = MaskLevel{Layer: layers[i], Width: t.Shape().Dim(1), Height: t.Shape().Dim(0), Values: tensors.MustCopyFlatData[float32](t)}
	}
	return out, nil
}

// regions says whether styles use spatial control (any of them has a Mask or a Guide).
func regions(styles []Style) bool {
	for _, s := range styles {
		if s.Mask != nil || s.Guide != nil {
			return true
		}
	}
	return false
}

// CheckMasks checks the masks and guides of styles for a content picture of w×h pixels, as Run
// does (see checkRegions), so that a program can refuse bad masks before it computes anything.
func CheckMasks(styles []Style, w, h int) error {
	_, err := checkRegions(styles, w, h)
	return err
}

// checkRegions checks the masks of styles for a content picture of w×h pixels: each Mask has
// the content's size, each Guide its style picture's, both are black and white and not empty,
// and no two Masks share a pixel (a style with no Mask covers the whole result, so it may not
// sit beside another style). It returns each style's mask values (nil: the whole result).
func checkRegions(styles []Style, w, h int) ([][]float32, error) {
	masks := make([][]float32, len(styles))
	for i, s := range styles {
		if s.Guide != nil {
			gb, sb := s.Guide.Bounds(), s.Image.Bounds()
			if gb.Dx() != sb.Dx() || gb.Dy() != sb.Dy() {
				return nil, fmt.Errorf("style %d's guide is %d×%d, but its picture is %d×%d: a guide has its style picture's size",
					i+1, gb.Dx(), gb.Dy(), sb.Dx(), sb.Dy())
			}
			if _, _, _, err := Mask(s.Guide); err != nil {
				return nil, fmt.Errorf("style %d's guide %w", i+1, err)
			}
		}
		if s.Mask == nil {
			if len(styles) > 1 {
				return nil, fmt.Errorf("style %d has no mask, so it covers the whole result and overlaps the other styles: with masks, every style needs one", i+1)
			}
			continue
		}
		mb := s.Mask.Bounds()
		if mb.Dx() != w || mb.Dy() != h {
			return nil, fmt.Errorf("style %d's mask is %d×%d, but the content is %d×%d: a mask has the content's size", i+1, mb.Dx(), mb.Dy(), w, h)
		}
		m, _, _, err := Mask(s.Mask)
		if err != nil {
			return nil, fmt.Errorf("style %d's mask %w", i+1, err)
		}
		for j := range i {
			for p, v := range m {
				if v == 1 && masks[j] != nil && masks[j][p] == 1 {
					return nil, fmt.Errorf("the masks of styles %d and %d overlap, at pixel (%d, %d): a pixel of the result takes one style", j+1, i+1, p%w, p/w)
				}
			}
		}
		masks[i] = m
	}
	return masks, nil
}

// allOnes is a mask covering a whole picture of w×h pixels.
func allOnes(w, h int) []float32 {
	m := make([]float32, w*h)
	for i := range m {
		m[i] = 1
	}
	return m
}

// regionWeights are the weights w_r of the regions of a spatially controlled transfer (one per
// style, its Weight); nil without spatial control.
func regionWeights(styles []Style) []float64 {
	if !regions(styles) {
		return nil
	}
	w := make([]float64, len(styles))
	for r, s := range styles {
		w[r] = s.Weight
	}
	return w
}

// guidedTargets are the style targets of a spatially controlled transfer (see mask.go): for each
// style layer l and each style r, G^r_l of style r's picture within its Guide, normalized as
// GramNorm says; then, for each style layer l and each style r, style r's Mask at l's resolution
// (the result's guidance channels, which the objective multiplies the result's features by).
func (t *Transfer) guidedTargets(content *tensors.Tensor, styles []Style, styleLayers []Layer) ([]*tensors.Tensor, error) {
	m, norm := t.Model, t.Loss.GramNorm
	h, w := content.Shape().Dim(0), content.Shape().Dim(1)
	masks, err := checkRegions(styles, w, h)
	if err != nil {
		return nil, err
	}
	exec, err := m.exec(fmt.Sprintf("guided-style-stats:%v:%s", styleNames(t.Loss.StyleLayers), norm), func(inputs []*Node) []*Node {
		params, guides := inputs[1:1+m.numParameters()], inputs[1+m.numParameters():]
		feats := m.forward(m.normalize(inputs[0]), params, styleLayers)
		stats := make([]*Node, len(styleLayers))
		for i, l := range styleLayers {
			stats[i] = norm.GuidedGram(feats[l.Index], guides[i])
		}
		return stats
	})
	if err != nil {
		return nil, err
	}
	grams := make([][]*tensors.Tensor, len(styles))          // [style][layer]
	resultPyramids := make([][]*tensors.Tensor, len(styles)) // [style][layer]
	for r, s := range styles {
		st := ImageTensor(s.Image)
		if err := checkImageTensor(st); err != nil {
			return nil, fmt.Errorf("style image %d: %w", r+1, err)
		}
		sw, sh := s.Image.Bounds().Dx(), s.Image.Bounds().Dy()
		guide := allOnes(sw, sh)
		if s.Guide != nil {
			guide, _, _, _ = Mask(s.Guide) // checked by checkRegions
		}
		guides, err := maskPyramid(guide, sw, sh, styleLayers)
		if err != nil {
			return nil, fmt.Errorf("style %d's guide %w", r+1, err)
		}
		if grams[r], err = m.run(exec, st, guides...); err != nil {
			return nil, fmt.Errorf("style image %d: %w", r+1, err)
		}
		mask := masks[r]
		if mask == nil {
			mask = allOnes(w, h)
		}
		if resultPyramids[r], err = maskPyramid(mask, w, h, styleLayers); err != nil {
			return nil, fmt.Errorf("style %d's mask %w", r+1, err)
		}
	}
	// [layer][style], the Gram matrices then the masks.
	var out, resultMasks []*tensors.Tensor
	for i := range styleLayers {
		for r := range styles {
			out = append(out, grams[r][i])
			resultMasks = append(resultMasks, resultPyramids[r][i])
		}
	}
	return append(out, resultMasks...), nil
}

// guidedLayerLoss is E_l = Σ_r w_r·E_l^r at style layer i of n, for a result whose features there
// are feature: targets holds the n·R guided Gram matrices of the styles, then the n·R masks
// (guidedTargets's order), R = len(weights).
//
//	E_l^r = the style term of GuidedGram(F_l, T^r_l) (the result's region r) against G^r_l(style r)
func (norm GramNorm) guidedLayerLoss(feature *Node, targets []*Node, i, n int, weights []float64) *Node {
	regions := len(weights)
	grams, masks := targets[:n*regions], targets[n*regions:]
	e := ScalarZero(feature.Graph(), feature.DType())
	for r, w := range weights {
		er := norm.GuidedStyleLayerLoss(feature, masks[i*regions+r], grams[i*regions+r])
		e = Add(e, MulScalar(er, w))
	}
	return e
}
