package nst

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
)

// The network does not see RGB in [0, 1]: each set of weights was trained on images prepared a
// certain way, and the image must be prepared the same way.
//
//	torchvision VGG19:  x̂ = (x − mean) / std,  mean = (0.485, 0.456, 0.406), std = (0.229, 0.224, 0.225)
//	Caffe VGG19:        x̂ = 255·x − mean,      mean = (123.68, 116.779, 103.939) (RGB order of the BGR means)
//
// As in the original notebook, the image being optimized lives in this normalized space
// (`target = content.clone().requires_grad_(True)` on the normalized content), and is mapped back
// (and clipped to [0, 1]) only to be shown or saved.

// normalize maps x [H, W, 3] RGB in [0, 1] to the network's input space.
func (m *Model) normalize(x *Node) *Node {
	p := m.Weights.Model.Input
	scale := ConstAs(x, [][][]float32{{{float32(p.Scale / p.Std[0]), float32(p.Scale / p.Std[1]), float32(p.Scale / p.Std[2])}}})
	shift := ConstAs(x, [][][]float32{{{float32(p.Mean[0] / p.Std[0]), float32(p.Mean[1] / p.Std[1]), float32(p.Mean[2] / p.Std[2])}}})
	return Sub(Mul(x, scale), shift)
}

// denormalize is the inverse of normalize (without clipping).
func (m *Model) denormalize(x *Node) *Node {
	p := m.Weights.Model.Input
	scale := ConstAs(x, [][][]float32{{{float32(p.Std[0] / p.Scale), float32(p.Std[1] / p.Scale), float32(p.Std[2] / p.Scale)}}})
	shift := ConstAs(x, [][][]float32{{{float32(p.Mean[0] / p.Scale), float32(p.Mean[1] / p.Scale), float32(p.Mean[2] / p.Scale)}}})
	return Add(Mul(x, scale), shift)
}
