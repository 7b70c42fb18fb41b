package weights

import (
	"fmt"
	"strings"
)

// Model describes one pretrained VGG19 checkpoint: where to get it and how images must be
// prepared for it.
type Model struct {
	// Name is how users choose it ("vgg19", "vgg19-caffe").
	Name string
	// URL is where the checkpoint is downloaded from.
	URL string
	// FileName is its name in the cache; as with torch.hub, the hex digits after the last '-'
	// are a prefix of the file's SHA-256.
	FileName string
	// SHA256Prefix is that prefix (lower-case hex).
	SHA256Prefix string
	// SHA256 is the file's full SHA-256 (lower-case hex), or "" where none is pinned: then only
	// SHA256Prefix, 32 bits, is checked.
	SHA256 string
	// BGR says the network's first convolution expects channels in B, G, R order (Caffe's);
	// false means R, G, B.
	BGR bool
	// Input says how an RGB image in [0, 1] is mapped to what the network was trained on.
	Input Preprocessing
	// Description is one line for help texts.
	Description string
}

// Preprocessing maps an image with values in [0, 1] to a network's input:
//
//	x̂[c] = (Scale·x[c] − Mean[c]) / Std[c]
//
// Mean and Std are listed in RGB order, the image's order, whatever the network's channel order
// ([Model.BGR]): for the Caffe model, Mean is (123.68, 116.779, 103.939), which is Caffe's
// (103.939, 116.779, 123.68) in B, G, R order.
type Preprocessing struct {
	Scale     float64
	Mean, Std [3]float64
}

// VGG19 is torchvision's VGG19 (ImageNet-trained in PyTorch, 2017).
var VGG19 = Model{
	Name:         "vgg19",
	URL:          "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth",
	FileName:     "vgg19-dcbb9e9d.pth",
	SHA256Prefix: "dcbb9e9d",
	// Found stated alike, with the size 574,673,361 bytes, in several public projects' weight
	// manifests (issue 18, finding 13); no network was at hand to hash the file itself.
	SHA256: "dcbb9e9dad569fff7a846263a77324fc34978fea2bfb039c012d710e1776ae44",
	BGR:    false,
	Input: Preprocessing{
		Scale: 1,
		Mean:  [3]float64{0.485, 0.456, 0.406},
		Std:   [3]float64{0.229, 0.224, 0.225},
	},
	Description: "torchvision's VGG19 (RGB, ImageNet mean/std normalization)",
}

// VGG19Caffe is the original Caffe VGG19 converted to PyTorch, as used by neural-style.
var VGG19Caffe = Model{
	Name:         "vgg19-caffe",
	URL:          "https://web.eecs.umich.edu/~justincj/models/vgg19-d01eb7cb.pth",
	FileName:     "vgg19-d01eb7cb.pth",
	SHA256Prefix: "d01eb7cb",
	// No public source states this file's full SHA-256, and no network was at hand to hash it:
	// only the 32-bit prefix of its name is checked.
	SHA256: "",
	BGR:    true,
	Input: Preprocessing{
		Scale: 255,
		Mean:  [3]float64{123.68, 116.779, 103.939},
		Std:   [3]float64{1, 1, 1},
	},
	Description: "the original Caffe VGG19 used by neural-style (BGR, ×255, mean subtraction)",
}

// DefaultModel is the model used when none is named.
var DefaultModel = VGG19

// Models returns the known models, the default first.
func Models() []Model { return []Model{VGG19, VGG19Caffe} }

// ModelNames returns the names of the known models, the default first.
func ModelNames() []string {
	var names []string
	for _, m := range Models() {
		names = append(names, m.Name)
	}
	return names
}

// ModelByName returns the model called name ("" means [DefaultModel]).
func ModelByName(name string) (Model, error) {
	if name == "" {
		return DefaultModel, nil
	}
	for _, m := range Models() {
		if m.Name == name {
			return m, nil
		}
	}
	return Model{}, fmt.Errorf("unknown model %q: valid models are %s", name, strings.Join(ModelNames(), ", "))
}

// digest is what the checkpoint's SHA-256 must be: the full one if pinned, else what it must
// start with.
func (m Model) digest() string {
	if m.SHA256 != "" {
		return m.SHA256
	}
	return m.SHA256Prefix
}

// ChannelOrder returns "BGR" or "RGB", the order the first convolution expects.
func (m Model) ChannelOrder() string {
	if m.BGR {
		return "BGR"
	}
	return "RGB"
}

// CompactFileName is the name of the converted features-only safetensors file kept next to
// FileName, e.g. "vgg19-dcbb9e9d.features.safetensors".
func (m Model) CompactFileName() string {
	return strings.TrimSuffix(m.FileName, ".pth") + ".features.safetensors"
}

// String returns the model's name.
func (m Model) String() string { return m.Name }
