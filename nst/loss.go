package nst

import (
	"fmt"
	"math"
	"strings"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck

	"github.com/estil-nst/estil/internal/enum"
	"github.com/estil-nst/estil/nst/styleloss"
)

// StyleLayer is a layer whose Gram matrix enters the style loss, with its weight w_l.
type StyleLayer struct {
	Name   string  `json:"name"`
	Weight float64 `json:"weight"`
}

// LossConfig says what the transfer minimizes: total = α·content + β·style + tv·TV.
// The zero value is not useful; start from DefaultLoss, the original notebook's choices.
type LossConfig struct {
	// ContentLayers are compared with the content image's features (original: conv4_2).
	ContentLayers []string `json:"content_layers"`
	// StyleLayers are compared with the style image's Gram matrices, each with its weight.
	StyleLayers []StyleLayer `json:"style_layers"`
	// ContentWeight α and StyleWeight β: the original uses α = 1, β = 1e6.
	ContentWeight float64 `json:"content_weight"`
	StyleWeight   float64 `json:"style_weight"`
	// TVWeight weighs a total-variation term that smooths the result (original: 0, i.e. none).
	TVWeight float64 `json:"tv_weight"`
	// GramNorm divides the Gram matrices by the number of positions (and channels); empty or
	// GramNormNone is the original's unnormalized G. See GramNorm.
	GramNorm GramNorm `json:"gram_norm,omitempty"`
	// StyleLoss is how the style layers compare the target with the style: empty or
	// StyleLossGram is the original's Gram matrices; see StyleLoss for the others.
	StyleLoss StyleLoss `json:"style_loss,omitempty"`
}

// DefaultLoss returns the original notebook's loss:
//
//	content_layer = 'conv4_2'
//	style_weights = {'conv1_1': 1., 'conv2_1': 0.75, 'conv3_1': 0.2, 'conv4_1': 0.2, 'conv5_1': 0.2}
//	content_weight = 1   # alpha
//	style_weight = 1e6   # beta
func DefaultLoss() LossConfig {
	return LossConfig{
		ContentLayers: []string{"conv4_2"},
		StyleLayers: []StyleLayer{
			{"conv1_1", 1}, {"conv2_1", 0.75}, {"conv3_1", 0.2}, {"conv4_1", 0.2}, {"conv5_1", 0.2},
		},
		ContentWeight: 1,
		StyleWeight:   1e6,
	}
}

// Validate checks names and numbers, so that bad settings fail before any computation.
func (c LossConfig) Validate() error {
	if len(c.ContentLayers) == 0 && len(c.StyleLayers) == 0 {
		return fmt.Errorf("the loss has neither content nor style layers")
	}
	if _, err := resolveLayers(c.ContentLayers); err != nil {
		return fmt.Errorf("content layers: %w", err)
	}
	names := make([]string, len(c.StyleLayers))
	for i, s := range c.StyleLayers {
		names[i] = s.Name
		if err := checkWeight("style layer "+s.Name+" weight", s.Weight); err != nil {
			return err
		}
	}
	if _, err := resolveLayers(names); err != nil {
		return fmt.Errorf("style layers: %w", err)
	}
	if _, err := ParseGramNorm(string(c.GramNorm)); err != nil && c.GramNorm != "" {
		return err
	}
	if c.StyleLoss != "" {
		if _, err := ParseStyleLoss(string(c.StyleLoss)); err != nil {
			return err
		}
	}
	if c.StyleLoss.OrGram() != StyleLossGram && c.GramNorm != "" && c.GramNorm != GramNormNone {
		return fmt.Errorf("the Gram normalisation %s applies to the gram style loss only, not to %s", c.GramNorm, c.StyleLoss)
	}
	for _, w := range []struct {
		name  string
		value float64
	}{{"content weight", c.ContentWeight}, {"style weight", c.StyleWeight}, {"tv weight", c.TVWeight}} {
		if err := checkWeight(w.name, w.value); err != nil {
			return err
		}
	}
	return nil
}

func checkWeight(name string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return fmt.Errorf("%s must be a finite number ≥ 0, got %v", name, v)
	}
	return nil
}

// ParseStyleLayers reads "conv1_1:1,conv2_1:0.75,conv3_1" (a layer without ":w" weighs 1).
func ParseStyleLayers(s string) ([]StyleLayer, error) {
	var layers []StyleLayer
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, weight, hasWeight := strings.Cut(part, ":")
		l := StyleLayer{Name: strings.TrimSpace(name), Weight: 1}
		if hasWeight {
			if _, err := fmt.Sscan(weight, &l.Weight); err != nil {
				return nil, fmt.Errorf("style layer %q: weight %q is not a number", name, weight)
			}
		}
		if _, err := LayerByName(l.Name); err != nil {
			return nil, err
		}
		if err := checkWeight("style layer "+l.Name+" weight", l.Weight); err != nil {
			return nil, err
		}
		layers = append(layers, l)
	}
	if len(layers) == 0 {
		return nil, fmt.Errorf("no style layers in %q", s)
	}
	return layers, nil
}

// ContentLoss is the original's content loss at one layer:
//
//	content_loss = torch.mean((target_features['conv4_2'] - content_features['conv4_2'])**2)
func ContentLoss(target, content *Node) *Node {
	return ReduceAllMean(Square(Sub(target, content)))
}

// StyleLayerLoss is one layer's term of the original's style loss, before its weight w_l:
//
//	target_gram = gram_matrix(target_feature)
//	_, d, h, w = target_feature.shape
//	layer_style_loss = torch.mean((target_gram - style_gram)**2)
//	style_loss += style_weights[layer] * layer_style_loss / (d * h * w)
//
// The division by d·h·w is the original's normalisation: it cancels one of the two h·w factors
// of the squared Gram difference, but does not make layers comparable: E_l still scales with
// h·w/d, so conv1_1 weighs far more than conv5_1 (notebook 04 measures by how much).
// target is the layer's feature map [d, h, w]; styleGram is the style image's Gram matrix [d, d].
func StyleLayerLoss(target, styleGram *Node) *Node {
	return styleloss.GramLayerLoss(target, styleGram)
}

// GramNorm is what the Gram matrices are divided by before they are compared.
//
// The original's G = F·Fᵀ is a sum over the h·w positions of the layer, so its entries grow with
// the picture's size, and so does its style term E_l = mean((G_T − G_S)²)/(d·h·w): squared, G
// grows as (h·w)², and the division by d·h·w cancels one of the two factors. The same β then
// weighs the style about 28 times less at 96×72 than at 512×384. Dividing G by the number of
// positions makes it an average (a second moment of the features), which does not depend on
// the size; the style term is then mean((Ĝ_T − Ĝ_S)²), with no further division.
type GramNorm string

const (
	// GramNormNone is the original's: G = F·Fᵀ, and E_l = mean((G_T − G_S)²)/(d·h·w).
	GramNormNone GramNorm = "none"
	// GramNormHW is Ĝ = F·Fᵀ/(h·w), the mean over positions; E_l = mean((Ĝ_T − Ĝ_S)²).
	GramNormHW GramNorm = "hw"
	// GramNormCHW is Ĝ = F·Fᵀ/(d·h·w), PyTorch's tutorial's (Johnson et al.'s);
	// E_l = mean((Ĝ_T − Ĝ_S)²).
	GramNormCHW GramNorm = "chw"
)

// ParseGramNorm checks a --gram-norm value.
func ParseGramNorm(s string) (GramNorm, error) {
	return enum.Parse("Gram normalisation", s, GramNorms())
}

// divisor is what n divides a Gram matrix of a [d, h, w] feature map by.
func (n GramNorm) divisor(d, h, w int) float64 {
	switch n {
	case GramNormHW:
		return float64(h * w)
	case GramNormCHW:
		return float64(d * h * w)
	}
	return 1
}

// Gram is feature's Gram matrix, normalized as n says.
func (n GramNorm) Gram(feature *Node) *Node {
	g := GramMatrix(feature)
	if k := n.divisor(feature.Shape().Dim(0), feature.Shape().Dim(1), feature.Shape().Dim(2)); k != 1 {
		g = DivScalar(g, k)
	}
	return g
}

// StyleLayerLoss is one layer's style term E_l with n's normalisation: the original's
// StyleLayerLoss for GramNormNone, mean((Ĝ_T − Ĝ_S)²) otherwise. styleGram was made by n.Gram.
func (n GramNorm) StyleLayerLoss(target, styleGram *Node) *Node {
	if n != GramNormHW && n != GramNormCHW {
		return StyleLayerLoss(target, styleGram)
	}
	return ReduceAllMean(Square(Sub(n.Gram(target), styleGram)))
}

// GuidedGram is the guided Gram matrix of feature in the region guide (GuidedGram), normalized
// as n says.
func (n GramNorm) GuidedGram(feature, guide *Node) *Node {
	g := GuidedGram(feature, guide)
	if k := n.divisor(feature.Shape().Dim(0), feature.Shape().Dim(1), feature.Shape().Dim(2)); k != 1 {
		g = DivScalar(g, k)
	}
	return g
}

// GuidedStyleLayerLoss is one region's style term E_l^r at one layer, n's StyleLayerLoss with the
// guided Gram matrix of target in guide in place of its Gram matrix:
//
//	E_l^r = mean((G^r_T − G^r_S)²)/(d·h·w)   (GramNormNone, the original's division), or
//	E_l^r = mean((Ĝ^r_T − Ĝ^r_S)²)           (hw, chw)
//
// styleGram was made by n.GuidedGram. With guide all ones it is n.StyleLayerLoss.
func (n GramNorm) GuidedStyleLayerLoss(target, guide, styleGram *Node) *Node {
	d, h, w := target.Shape().Dim(0), target.Shape().Dim(1), target.Shape().Dim(2)
	e := ReduceAllMean(Square(Sub(n.GuidedGram(target, guide), styleGram)))
	if n != GramNormHW && n != GramNormCHW {
		e = DivScalar(e, float64(d*h*w))
	}
	return e
}

// TotalVariation sums the squared differences between neighbouring pixels of x [H, W, C]:
// a small weight of it removes high-frequency noise from the result. The neighbours are taken
// with Gather (not Slice, whose gradient the pure-Go backend lacks).
func TotalVariation(x *Node) *Node {
	h, w, c := x.Shape().Dim(0), x.Shape().Dim(1), x.Shape().Dim(2)
	flat := Reshape(x, h*w, c)
	var here, below, right [][]int32
	for y := range h {
		for xx := range w {
			if y+1 < h {
				here = append(here, []int32{int32(y*w + xx)})
				below = append(below, []int32{int32((y+1)*w + xx)})
			}
		}
	}
	var here2 [][]int32
	for y := range h {
		for xx := range w - 1 {
			here2 = append(here2, []int32{int32(y*w + xx)})
			right = append(right, []int32{int32(y*w + xx + 1)})
		}
	}
	g := x.Graph()
	dy := Sub(Gather(flat, Const(g, below)), Gather(flat, Const(g, here)))
	dx := Sub(Gather(flat, Const(g, right)), Gather(flat, Const(g, here2)))
	return Add(ReduceAllSum(Square(dy)), ReduceAllSum(Square(dx)))
}
