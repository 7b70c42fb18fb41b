package weights

import (
	"fmt"
	"slices"
)

// Tensor is a dense float32 array in row-major (C) order, PyTorch's default layout: a conv
// kernel is [out, in, kh, kw], an activation [batch, channels, height, width].
type Tensor struct {
	Shape []int
	Data  []float32
}

// Size returns the number of elements the shape holds (1 for a scalar).
func (t Tensor) Size() int { return shapeSize(t.Shape) }

// String describes the tensor briefly, e.g. "float32[64 3 3 3]".
func (t Tensor) String() string { return fmt.Sprintf("float32%v", t.Shape) }

// Clone returns a deep copy.
func (t Tensor) Clone() Tensor {
	return Tensor{Shape: slices.Clone(t.Shape), Data: slices.Clone(t.Data)}
}

func shapeSize(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Set is a set of VGG19 `features` parameters.
type Set struct {
	// Model says which network they are for, and so how input must be prepared.
	Model Model
	// Tensors are keyed as in the PyTorch state dict: "features.0.weight", "features.0.bias", …
	Tensors map[string]Tensor
	// Random is true for weights made by [Random]: right shapes, no knowledge.
	Random bool
	// Source says where they came from (a file path, or "random (seed 1)"), for messages.
	Source string
}

// Conv returns the kernel [out, in, 3, 3] and bias [out] of the convolution at torchvision
// feature index i (0, 2, 5, …; see [VGG19Layout]).
func (s *Set) Conv(i int) (w, b Tensor, err error) {
	wn, bn := fmt.Sprintf("features.%d.weight", i), fmt.Sprintf("features.%d.bias", i)
	w, okw := s.Tensors[wn]
	b, okb := s.Tensors[bn]
	switch {
	case !okw:
		return Tensor{}, Tensor{}, fmt.Errorf("weights from %s have no tensor %s (not a VGG19 conv index?)", s.Source, wn)
	case !okb:
		return Tensor{}, Tensor{}, fmt.Errorf("weights from %s have no tensor %s", s.Source, bn)
	case len(w.Shape) != 4 || len(b.Shape) != 1 || b.Shape[0] != w.Shape[0]:
		return Tensor{}, Tensor{}, fmt.Errorf("weights from %s: %s is %v and %s is %v, want [out, in, 3, 3] and [out]", s.Source, wn, w.Shape, bn, b.Shape)
	}
	return w, b, nil
}

// Validate checks the set against the VGG19 layout (full size or tiny, see [ValidateLayout])
// and returns the layout found.
func (s *Set) Validate() ([]ConvSpec, error) {
	layout, err := ValidateLayout(s.Tensors)
	if err != nil {
		return nil, fmt.Errorf("weights from %s: %w", s.Source, err)
	}
	return layout, nil
}

// NumParameters returns the total number of values in the set.
func (s *Set) NumParameters() int {
	n := 0
	for _, t := range s.Tensors {
		n += len(t.Data)
	}
	return n
}
