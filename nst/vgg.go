package nst

import (
	"fmt"
	"slices"
	"strings"

	"github.com/estil-nst/estil/weights"
)

// LayerKind says what one entry of VGG19's `features` does.
type LayerKind int

const (
	// Conv is a 3×3 convolution with stride 1 and padding 1.
	Conv LayerKind = iota
	// ReLU is max(0, x). In torchvision it is in-place (see Features).
	ReLU
	// Pool is a 2×2 pooling with stride 2 (max by default, average as an option).
	Pool
)

func (k LayerKind) String() string {
	switch k {
	case Conv:
		return "conv"
	case ReLU:
		return "relu"
	case Pool:
		return "pool"
	}
	return fmt.Sprintf("LayerKind(%d)", int(k))
}

// Layer is one entry of torchvision's `vgg19().features`, indexed as in PyTorch.
type Layer struct {
	// Index is the position in `vgg19().features`, the number the original notebook uses ('0', '5', '21'...).
	Index int
	// Name is the conventional name: conv1_1, relu1_1, pool1, ... conv5_4, relu5_4, pool5.
	Name string
	Kind LayerKind
	// Block (1..5) and Position (1..4) inside the block, for convolutions and ReLUs.
	Block, Position int
}

// VGG19Layers lists the 37 layers of torchvision's `vgg19().features`: 16 convolutions (each followed by a
// ReLU) in five blocks of 2, 2, 4, 4, 4, each block ended by a 2×2 pooling.
//
//	0 conv1_1   5 conv2_1  10 conv3_1  19 conv4_1  28 conv5_1
//	2 conv1_2   7 conv2_2  12 conv3_2  21 conv4_2  30 conv5_2
//	                       14 conv3_3  23 conv4_3  32 conv5_3
//	                       16 conv3_4  25 conv4_4  34 conv5_4
//	4 pool1     9 pool2    18 pool3    27 pool4    36 pool5
//
// It is built from the one description of the network, weights.VGG19Layout (names, indices and
// channels of the convolutions) and weights.VGG19PoolIndices, which the weights are checked
// against too. It returns a copy: the table the model runs stays as it was built.
func VGG19Layers() []Layer { return slices.Clone(vgg19) }

// vgg19 is the table VGG19Layers copies.
var vgg19 = buildVGG19(weights.VGG19Layout, weights.VGG19PoolIndices)

func buildVGG19(convs []weights.ConvSpec, pools []int) []Layer {
	var layers []Layer
	block, position := 1, 0
	for _, c := range convs {
		position++
		layers = append(layers,
			Layer{Index: c.FeatureIndex, Name: c.Name, Kind: Conv, Block: block, Position: position},
			Layer{Index: c.FeatureIndex + 1, Name: "relu" + strings.TrimPrefix(c.Name, "conv"), Kind: ReLU, Block: block, Position: position})
		if next := c.FeatureIndex + 2; slices.Contains(pools, next) {
			layers = append(layers, Layer{Index: next, Name: fmt.Sprintf("pool%d", block), Kind: Pool, Block: block})
			block, position = block+1, 0
		}
	}
	return layers
}

// VGG19Channels lists the output channels of VGG19's 16 convolutions, in order (the same for the
// torchvision and the Caffe weights).
func VGG19Channels() []int {
	channels := make([]int, len(weights.VGG19Layout))
	for i, c := range weights.VGG19Layout {
		channels[i] = c.OutChannels
	}
	return channels
}

// LayerByName finds a layer by its name ("conv4_2") or by its torchvision index written as a
// string ("21"), the way the original notebook's dictionary names them.
func LayerByName(name string) (Layer, error) {
	for _, l := range vgg19 {
		if l.Name == name || fmt.Sprint(l.Index) == name {
			return l, nil
		}
	}
	return Layer{}, fmt.Errorf("unknown VGG19 layer %q: use conv1_1 … conv5_4 (%s)", name, strings.Join(ConvNames(), ", "))
}

// ConvNames lists the 16 convolution names in order.
func ConvNames() []string {
	var names []string
	for _, l := range vgg19 {
		if l.Kind == Conv {
			names = append(names, l.Name)
		}
	}
	return names
}

// ConvIndices lists the torchvision indices of the 16 convolutions in order: 0, 2, 5, 7, 10, ...
func ConvIndices() []int {
	var idx []int
	for _, l := range vgg19 {
		if l.Kind == Conv {
			idx = append(idx, l.Index)
		}
	}
	return idx
}

// deepest returns the largest torchvision index among the named layers: the network is only run
// that far.
func deepest(layers []Layer) int {
	d := -1
	for _, l := range layers {
		d = max(d, l.Index)
	}
	return d
}

// resolveLayers turns names into layers, refusing unknown names and duplicates.
func resolveLayers(names []string) ([]Layer, error) {
	layers := make([]Layer, 0, len(names))
	for _, n := range names {
		l, err := LayerByName(strings.TrimSpace(n))
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(layers, func(o Layer) bool { return o.Index == l.Index }) {
			return nil, fmt.Errorf("layer %q is listed twice", n)
		}
		layers = append(layers, l)
	}
	return layers, nil
}
