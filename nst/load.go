package nst

import (
	"context"
	"fmt"
	"io"

	"github.com/estil-nst/estil/weights"
)

// LoadOptions say which network to load and where to run it; the zero value is the default:
// torchvision's VGG19, downloaded (or read from the cache) on first use, on the best backend.
type LoadOptions struct {
	// Model is "vgg19" (default) or "vgg19-caffe".
	Model string
	// Weights is "" (download/cache), a .pth or .safetensors file, or "random".
	Weights string
	// Backend is "auto" (default), "go", "xla:cpu", "xla:cuda" or "xla:/path/to/plugin.so".
	Backend string
	// Notice receives one-line notices: the backend fallback, download progress, and the
	// warning that the weights are random. Nil discards them.
	Notice io.Writer
}

// LoadModel opens the backend, gets the weights and returns the model, in one call for notebooks:
//
//	model, err := nst.LoadModel(ctx, nst.LoadOptions{Weights: "random", Notice: os.Stderr})
func LoadModel(ctx context.Context, o LoadOptions) (*Model, error) {
	if o.Notice == nil {
		o.Notice = io.Discard
	}
	m, err := weights.ModelByName(o.Model)
	if err != nil {
		return nil, err
	}
	backend, lowering, err := OpenBackend(o.Backend, o.Notice)
	if err != nil {
		return nil, err
	}
	w, err := weights.Load(ctx, o.Weights, m, weights.WithProgress(o.Notice))
	if err != nil {
		return nil, err
	}
	if w.Random {
		fmt.Fprintln(o.Notice, RandomWeightsWarning)
	}
	return NewModel(backend, w, lowering)
}

// RandomWeightsWarning is what every output of a run with random weights says.
const RandomWeightsWarning = "estil: WARNING: using RANDOM VGG19 weights (--weights random): the network has learned nothing, " +
	"so the result is NOT a style transfer. Use real weights for real results."
