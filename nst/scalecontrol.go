package nst

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"slices"

	"github.com/estil-nst/estil/images"
)

// Scale control (Gatys et al. 2017, "Controlling Perceptual Factors in Neural Style Transfer",
// §6).
//
// The style layers see the picture at growing scales: conv1_1 and conv2_1 see a few pixels
// (brush strokes, grain), conv3_1 to conv5_1 larger and larger parts (how strokes are arranged,
// shapes). So a new style picture that has picture A's coarse structure and picture B's fine
// strokes is made by matching B's Gram matrices at the fine layers and A's at the coarse ones,
// with no content term, starting from A; the result is then used as the style of an ordinary
// transfer. Gatys's own code (ScaleControl.ipynb: transfer_texture starts from the coarse style
// picture and matches the fine one on the layers up to max_pretrans_layer = 'relu2_1', i.e.
// relu1_1 and relu2_1; 'relu4_1' for its 1024 px version) leaves the coarse layers without a
// term, relying on the start to keep them. estil gives them A's targets as well (Style.Layers).
// Without them, in notebook 08's run (random weights, 128 px, A the swirls, B 4 px stripes, 50
// iterations), matching B at the fine layers pulled every layer to B: conv3_1 ended 1.76 from
// A's Gram matrix and 0.07 from B's (relative squared distances); with them, and the layers
// balanced as SynthesizeStyle does, 0.16 from A and 0.39 from B, the fine layers nearer B.

// FineScaleLayers are the layers whose Gram matrices SynthesizeStyle takes from the fine
// picture: Gatys et al.'s split at 512 px. The coarse layers are the style layers after them,
// conv3_1, conv4_1 and conv5_1.
var FineScaleLayers = []StyleLayer{{"conv1_1", 1}, {"conv2_1", 1}}

// SynthesizeStyle makes a style picture with coarse's large structure and fine's strokes
// (scale control, above): starting from coarse, t's optimizer matches fine's Gram matrices at
// FineScaleLayers and coarse's at t's other style layers (with t's layer weights) for
// t.Iterations iterations, with t's StyleWeight, GramNorm and Seed and no content term; each
// layer's weight is divided by that layer's term for coarse against fine, so that the layers
// count alike whatever their scale (see below). fine is first given coarse's size, so that their
// Gram matrices sum over as many positions. Nothing else
// of t is used: its hooks, checkpoints and Init are not, nor is t changed. The Result's Image is
// the new style picture, coarse's size.
func (t *Transfer) SynthesizeStyle(ctx context.Context, coarse, fine image.Image) (*Result, error) {
	if coarse == nil || fine == nil {
		return nil, errors.New("scale control needs a coarse and a fine style picture")
	}
	var fineNames, coarseNames []string
	for _, l := range t.Loss.StyleLayers {
		if slices.ContainsFunc(FineScaleLayers, func(f StyleLayer) bool { return f.Name == l.Name }) {
			fineNames = append(fineNames, l.Name)
		} else {
			coarseNames = append(coarseNames, l.Name)
		}
	}
	if len(fineNames) == 0 || len(coarseNames) == 0 {
		return nil, fmt.Errorf("scale control needs fine style layers (%v) and coarse ones among the style layers, got %v",
			styleNames(FineScaleLayers), styleNames(t.Loss.StyleLayers))
	}
	w, h := coarse.Bounds().Dx(), coarse.Bounds().Dy()
	fine = images.ResizeTo(fine, w, h)
	s := &Transfer{Model: t.Model, Optimizer: t.Optimizer, Iterations: t.Iterations, LearningRate: t.LearningRate,
		LineSearch: t.LineSearch, Seed: t.Seed, Init: "", InitImage: coarse,
		Loss: LossConfig{StyleLayers: slices.Clone(t.Loss.StyleLayers), StyleWeight: t.Loss.StyleWeight, GramNorm: t.Loss.GramNorm}}
	// Each layer's term is scaled by how far the two pictures are apart there, β·w_l·E_l(A, B),
	// so that it is 1 for a picture as far from its target as A is from B. Unscaled, the terms
	// differ by orders of magnitude between layers (conv1_1's dwarfs conv5_1's in the original's
	// loss), and the largest alone would decide: matching B at conv1_1 could drag the coarse
	// layers along, their own terms too small to hold them.
	apart, err := s.Evaluate(coarse, coarse, []Style{{Image: fine, Weight: 1}})
	if err != nil {
		return nil, fmt.Errorf("scale control: %w", err)
	}
	for l := range s.Loss.StyleLayers {
		if d := apart.Style[l]; d > 0 && !math.IsInf(d, 0) {
			s.Loss.StyleLayers[l].Weight *= s.Loss.StyleLayers[l].Weight / d
		}
	}
	// The "content" is only the size of the picture here: there is no content layer.
	return s.Run(ctx, coarse, []Style{
		{Image: coarse, Weight: 1, Layers: coarseNames},
		{Image: fine, Weight: 1, Layers: fineNames},
	})
}
