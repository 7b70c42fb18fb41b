package nst

import (
	"context"
	"errors"
	"image"

	"github.com/estil-nst/estil/images"
)

// Scale control (Gatys et al. 2017, "Controlling Perceptual Factors in Neural Style Transfer",
// §6).
//
// The style layers see the picture at growing scales: conv1_1 and conv2_1 see a few pixels
// (brush strokes, grain), conv3_1 to conv5_1 larger and larger parts (how strokes are arranged,
// shapes). Matching only the fine layers' Gram matrices of one picture changes a picture's
// strokes and leaves its large structure alone. So a new style picture that has picture A's
// coarse structure and picture B's fine strokes is made by starting from A and matching B's
// Gram matrices at the fine layers only, with no content term; the result is then used as the
// style of an ordinary transfer. This is what Gatys's own code does (ScaleControl.ipynb:
// transfer_texture starts from the coarse style picture and matches the fine one on the layers
// up to max_pretrans_layer = 'relu2_1', i.e. relu1_1 and relu2_1; 'relu4_1' for its 1024 px
// version).

// FineScaleLayers are the layers whose Gram matrices SynthesizeStyle takes from the fine
// picture: Gatys et al.'s split at 512 px. The coarse layers are the style layers after them,
// conv3_1, conv4_1 and conv5_1.
var FineScaleLayers = []StyleLayer{{"conv1_1", 1}, {"conv2_1", 1}}

// SynthesizeStyle makes a style picture with coarse's large structure and fine's strokes
// (scale control, above): from coarse, t's optimizer matches fine's Gram matrices at
// FineScaleLayers for t.Iterations iterations, with t's StyleWeight, GramNorm and Seed and no
// content term. fine is first given coarse's size, so that their Gram matrices sum over as many
// positions. Nothing else of t is used: its hooks, checkpoints and Init are not, nor is t
// changed. The Result's Image is the new style picture, coarse's size.
func (t *Transfer) SynthesizeStyle(ctx context.Context, coarse, fine image.Image) (*Result, error) {
	if coarse == nil || fine == nil {
		return nil, errors.New("scale control needs a coarse and a fine style picture")
	}
	w, h := coarse.Bounds().Dx(), coarse.Bounds().Dy()
	s := &Transfer{Model: t.Model, Optimizer: t.Optimizer, Iterations: t.Iterations, LearningRate: t.LearningRate,
		LineSearch: t.LineSearch, Seed: t.Seed, Init: "", InitImage: coarse,
		Loss: LossConfig{StyleLayers: FineScaleLayers, StyleWeight: t.Loss.StyleWeight, GramNorm: t.Loss.GramNorm}}
	// The "content" is only the size of the picture here: there is no content layer.
	return s.Run(ctx, coarse, []Style{{Image: images.ResizeTo(fine, w, h), Weight: 1}})
}
