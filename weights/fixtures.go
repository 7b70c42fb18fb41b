package weights

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// Fixtures: small files written by scripts/make_fixtures.py with PyTorch and committed in
// weights/testdata, so that tests (of this package and of others, e.g. nst comparing its
// forward pass with PyTorch's) and notebooks can check against PyTorch without installing it.
// They are not needed at run time.
const (
	// FixtureWeights is a tiny VGG19-shaped state dict (channels 4,4,8,…,8), zip format; some of
	// its tensors are non-contiguous views.
	FixtureWeights = "tiny_vgg19.pth"
	// FixtureWeightsLegacy is the same state dict in PyTorch's legacy format.
	FixtureWeightsLegacy = "tiny_vgg19_legacy.pth"
	// FixtureFeatures holds the input image and PyTorch's activations for it (see
	// [ReadFixtureFeatures]).
	FixtureFeatures = "tiny_vgg19_features.safetensors"
	// FixtureExpected is a JSON file of per-tensor SHA-256s and values of the fixtures.
	FixtureExpected = "tiny_vgg19_expected.json"
)

// FixtureChannels are the output channels of the tiny fixture network's 16 convolutions.
var FixtureChannels = []int{4, 4, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8}

// FixtureDir returns the absolute path of weights/testdata in the source tree this package was
// built from (found from this file's location), for tests in other packages.
func FixtureDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "testdata"
	}
	return filepath.Join(filepath.Dir(file), "testdata")
}

// LoadFixture reads the tiny fixture network from dir (usually [FixtureDir]) as a Set for model.
// Note that it was trained on nothing: model only decides the preprocessing fields.
func LoadFixture(dir string, model Model) (*Set, error) {
	return ReadFile(filepath.Join(dir, FixtureWeights), model)
}

// ReadFixtureFeatures reads the fixture activations from dir (usually [FixtureDir]):
//
//   - input: the image fed to the tiny network, [1, 3, 32, 32], values in [0, 1], given to the
//     network AS IS (not normalized, no channel swap), seeded.
//   - feats[i], for each conv feature index i of [VGG19Layout] (0, 2, 5, …, 34): PyTorch's
//     output of features[:i+2](input), i.e. conv i followed by its ReLU, [1, C, h, w] (NCHW).
//     Since torchvision's ReLUs are in-place, this is also what "the output of conv i" reads as
//     in PyTorch code that hooks the conv.
func ReadFixtureFeatures(dir string) (input Tensor, feats map[int]Tensor, err error) {
	path := filepath.Join(dir, FixtureFeatures)
	tensors, _, err := ReadSafetensors(path, nil)
	if err != nil {
		return Tensor{}, nil, err
	}
	input, ok := tensors["input"]
	if !ok {
		return Tensor{}, nil, fmt.Errorf("fixture %s has no tensor \"input\"", path)
	}
	feats = map[int]Tensor{}
	for name, t := range tensors {
		j, found := strings.CutPrefix(name, "out.")
		if !found {
			continue
		}
		relu, err := strconv.Atoi(j)
		if err != nil {
			return Tensor{}, nil, fmt.Errorf("fixture %s: unexpected tensor %q", path, name)
		}
		feats[relu-1] = t
	}
	for _, c := range VGG19Layout {
		if _, ok := feats[c.FeatureIndex]; !ok {
			return Tensor{}, nil, fmt.Errorf("fixture %s lacks the activation of %s (out.%d)", path, c.Name, c.FeatureIndex+1)
		}
	}
	return input, feats, nil
}
