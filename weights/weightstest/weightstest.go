// Package weightstest gives tests the fixtures of weights/testdata: a tiny VGG19-shaped network
// in both PyTorch formats and PyTorch's activations for one input, written by
// scripts/make_fixtures.py with PyTorch and committed, so that tests (nst comparing its forward
// pass with PyTorch's, the CLI reading a real checkpoint) can check against PyTorch without
// installing it. Only tests import it; package weights' own tests use the same files directly.
package weightstest

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/estil-nst/estil/weights"
)

// The fixture files, in Dir.
const (
	// Weights is a tiny VGG19-shaped state dict (channels 4,4,8,…,8), zip format; some of its
	// tensors are non-contiguous views.
	Weights = "tiny_vgg19.pth"
	// WeightsLegacy is the same state dict in PyTorch's legacy format.
	WeightsLegacy = "tiny_vgg19_legacy.pth"
	// Features holds the input image and PyTorch's activations for it (see [ReadFeatures]).
	Features = "tiny_vgg19_features.safetensors"
	// Expected is a JSON file of per-tensor SHA-256s and values of the fixtures.
	Expected = "tiny_vgg19_expected.json"
)

// Channels are the output channels of the tiny fixture network's 16 convolutions.
var Channels = []int{4, 4, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8}

// Dir returns the absolute path of weights/testdata in the source tree this package was built
// from (found from this file's location).
func Dir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return filepath.Join("weights", "testdata")
	}
	return filepath.Join(filepath.Dir(file), "..", "testdata")
}

// Load reads the tiny fixture network as a Set for model. It was trained on nothing: model only
// decides the preprocessing fields.
func Load(model weights.Model) (*weights.Set, error) {
	return weights.ReadFile(filepath.Join(Dir(), Weights), model)
}

// ReadFeatures reads the fixture activations:
//
//   - input: the image fed to the tiny network, [1, 3, 32, 32], values in [0, 1], given to the
//     network AS IS (not normalized, no channel swap), seeded.
//   - feats[i], for each conv feature index i of [weights.VGG19Layout] (0, 2, 5, …, 34): PyTorch's
//     output of features[:i+2](input), i.e. conv i followed by its ReLU, [1, C, h, w] (NCHW).
//     Since torchvision's ReLUs are in-place, this is also what "the output of conv i" reads as
//     in PyTorch code that hooks the conv.
func ReadFeatures() (input weights.Tensor, feats map[int]weights.Tensor, err error) {
	path := filepath.Join(Dir(), Features)
	tensors, _, err := weights.ReadSafetensors(path, nil)
	if err != nil {
		return weights.Tensor{}, nil, err
	}
	input, ok := tensors["input"]
	if !ok {
		return weights.Tensor{}, nil, fmt.Errorf("fixture %s has no tensor \"input\"", path)
	}
	feats = map[int]weights.Tensor{}
	for name, t := range tensors {
		j, found := strings.CutPrefix(name, "out.")
		if !found {
			continue
		}
		relu, err := strconv.Atoi(j)
		if err != nil {
			return weights.Tensor{}, nil, fmt.Errorf("fixture %s: unexpected tensor %q", path, name)
		}
		feats[relu-1] = t
	}
	for _, c := range weights.VGG19Layout {
		if _, ok := feats[c.FeatureIndex]; !ok {
			return weights.Tensor{}, nil, fmt.Errorf("fixture %s lacks the activation of %s (out.%d)", path, c.Name, c.FeatureIndex+1)
		}
	}
	return input, feats, nil
}
