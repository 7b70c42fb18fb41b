package nst

import (
	"context"
	"fmt"
	"io"

	"github.com/estil-nst/estil/nst/backend"
	"github.com/estil-nst/estil/weights"
)

// LoadOptions say which network to load and where to run it; the zero value is the default:
// torchvision's VGG19, downloaded (or read from the cache) on first use, on the best backend.
type LoadOptions struct {
	// Model is "vgg19" (default) or "vgg19-caffe".
	Model string
	// Weights is "" (download/cache), a .pth or .safetensors file, or "random".
	Weights string
	// Seed seeds random weights (default 1, see weights.Load).
	Seed int64
	// Set, where not nil, are the weights to use as they are (Model, Weights and Seed are then
	// ignored, and no random-weights warning is written: the caller knows what it passed).
	Set *weights.Set
	// Backend is "auto" (default), "go", "xla:cpu", "xla:cuda" or "xla:/path/to/plugin.so"
	// (backend.Open).
	Backend string
	// OfflineFallback, where not nil, is called when the default weights (Weights "") cannot be
	// had, with the reason; LoadModel then goes on with random weights instead of failing. A
	// command or notebook that still shows the method with a random network sets it, and says
	// so in its own words.
	OfflineFallback func(err error)
	// Notice receives one-line notices: the backend fallback, download progress, and the
	// warning that the weights are random. Nil discards them.
	Notice io.Writer
}

// LoadModel opens the backend, gets the weights and returns the model, in one call: the one way
// the CLI, the benchmarks and the notebooks open VGG19.
//
//	model, err := nst.LoadModel(ctx, nst.LoadOptions{Weights: "random", Notice: os.Stderr})
func LoadModel(ctx context.Context, o LoadOptions) (*Model, error) {
	if o.Notice == nil {
		o.Notice = io.Discard
	}
	b, err := backend.Open(o.Backend, o.Notice)
	if err != nil {
		return nil, err
	}
	w := o.Set
	if w == nil {
		if w, err = loadWeights(ctx, o); err != nil {
			return nil, err
		}
		if w.Random {
			fmt.Fprintln(o.Notice, RandomWeightsWarning)
		}
	}
	return NewModel(b, w, NativeLowering)
}

// loadWeights gets o's weights, falling back to random ones where o allows it.
func loadWeights(ctx context.Context, o LoadOptions) (*weights.Set, error) {
	m, err := weights.ModelByName(o.Model)
	if err != nil {
		return nil, err
	}
	var seed []weights.Option
	if o.Seed != 0 {
		seed = append(seed, weights.WithSeed(o.Seed))
	}
	w, err := weights.Load(ctx, o.Weights, m, append(seed, weights.WithProgress(o.Notice))...)
	if err != nil && o.OfflineFallback != nil && o.Weights == "" && ctx.Err() == nil {
		o.OfflineFallback(err)
		w, err = weights.Load(ctx, "random", m, seed...)
	}
	return w, err
}

// RandomWeightsWarning is what every output of a run with random weights says.
const RandomWeightsWarning = "estil: WARNING: using RANDOM VGG19 weights (--weights random): the network has learned nothing, " +
	"so the result is NOT a style transfer. Use real weights for real results."
