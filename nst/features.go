package nst

import (
	"fmt"
	"image"
	"strings"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/estil-nst/estil/images"
)

// ImageTensor turns a picture into the tensor the model reads: [H, W, 3] float32, RGB in [0, 1].
func ImageTensor(img image.Image) *tensors.Tensor {
	data, w, h := images.ToHWC(img)
	return tensors.FromFlatDataAndDimensions(data, h, w, 3)
}

// TensorImage turns an [H, W, 3] RGB tensor with values in [0, 1] back into a picture (values
// outside [0, 1] are clipped).
func TensorImage(t *tensors.Tensor) (image.Image, error) {
	if t.Rank() != 3 || t.Shape().Dim(2) != 3 {
		return nil, fmt.Errorf("want an [H, W, 3] image tensor, got %s", t.Shape())
	}
	data, err := tensors.CopyFlatData[float32](t)
	if err != nil {
		return nil, err
	}
	return images.FromHWC(data, t.Shape().Dim(1), t.Shape().Dim(0)), nil
}

// Features runs VGG19 on img ([H, W, 3], RGB in [0, 1]) and returns the feature maps of the named
// layers ("conv1_1", …, or torchvision indices such as "21"), each [C, H', W'] (channels first, as
// the original's PyTorch tensors without their batch axis), computing only as deep as the deepest
// layer asked for. A conv layer's features are read after its ReLU, as in the original notebook
// (see Model.forward).
func (m *Model) Features(img *tensors.Tensor, layers ...string) (map[string]*tensors.Tensor, error) {
	want, err := resolveLayers(layers)
	if err != nil {
		return nil, err
	}
	if len(want) == 0 {
		return nil, fmt.Errorf("Features: no layers asked for")
	}
	if err := checkImageTensor(img); err != nil {
		return nil, err
	}
	exec, err := m.exec("features:"+strings.Join(layers, ","), func(inputs []*Node) []*Node {
		x := m.normalize(inputs[0])
		out := m.forward(x, inputs[1:], want)
		nodes := make([]*Node, len(want))
		for i, l := range want {
			nodes[i] = out[l.Index]
		}
		return nodes
	})
	if err != nil {
		return nil, err
	}
	results, err := m.run(exec, img)
	if err != nil {
		return nil, err
	}
	features := make(map[string]*tensors.Tensor, len(layers))
	for i, name := range layers {
		features[name] = results[i]
	}
	return features, nil
}

// Gram computes the Gram matrix (see GramMatrix) of one feature map [C, H, W]; the result is [C, C].
func (m *Model) Gram(feature *tensors.Tensor) (*tensors.Tensor, error) {
	if feature.Rank() != 3 {
		return nil, fmt.Errorf("Gram: want a feature map [C, H, W], got %s", feature.Shape())
	}
	exec, err := m.exec("gram", func(inputs []*Node) []*Node { return []*Node{GramMatrix(inputs[0])} })
	if err != nil {
		return nil, err
	}
	out, err := exec.Exec(feature)
	if err != nil {
		return nil, fmt.Errorf("Gram: %w", err)
	}
	return out[0], nil
}

// exec returns the compiled graph stored under key, building it with fn the first time.
func (m *Model) exec(key string, fn func([]*Node) []*Node) (*Exec, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.execs[key]; ok {
		return e, nil
	}
	e, err := NewExec(m.Backend, func(in []*Node) []*Node {
		m.compilations.Add(1) // once per compilation: GoMLX builds the graph, then compiles it
		return fn(in)
	})
	if err != nil {
		return nil, err
	}
	m.execs[key] = e
	return e, nil
}

// run executes a graph that takes an image followed by the network's parameters.
func (m *Model) run(e *Exec, img *tensors.Tensor, extra ...*tensors.Tensor) ([]*tensors.Tensor, error) {
	args := []any{img}
	for _, p := range m.parameters() {
		args = append(args, p)
	}
	for _, t := range extra {
		args = append(args, t)
	}
	out, err := e.Exec(args...)
	if err != nil {
		return nil, fmt.Errorf("running VGG19 on a %s image: %w", img.Shape(), err)
	}
	return out, nil
}

// MinImageSide is the smallest side VGG19 can take: its five 2×2 poolings halve the image
// each time, and the deepest layers used (conv5_*) sit after the fourth.
const MinImageSide = 16

// Resize scales img so that its long side is side pixels (images.Resize) and checks that VGG19
// can take the result: at least MinImageSide pixels on each side, and a long side of at most
// MaxImageSide (refused before anything is allocated). The error says what the picture became;
// callers say which picture and what to change.
func Resize(img image.Image, side int) (image.Image, error) {
	if side > MaxImageSide {
		return nil, fmt.Errorf("would be %d pixels on its long side, more than the %d estil takes", side, MaxImageSide)
	}
	r := images.Resize(img, side)
	if b := r.Bounds(); b.Dx() < MinImageSide || b.Dy() < MinImageSide {
		return nil, fmt.Errorf("becomes %d×%d pixels, and VGG19 needs at least %d on each side", b.Dx(), b.Dy(), MinImageSide)
	}
	return r, nil
}

func checkImageTensor(img *tensors.Tensor) error {
	if img == nil || img.Rank() != 3 || img.Shape().Dim(2) != 3 {
		return fmt.Errorf("want an image tensor [H, W, 3] (RGB in [0, 1]), got %v", shapeOf(img))
	}
	if h, w := img.Shape().Dim(0), img.Shape().Dim(1); h < MinImageSide || w < MinImageSide {
		return fmt.Errorf("image of %d×%d pixels is too small: VGG19 needs at least %d×%d", w, h, MinImageSide, MinImageSide)
	}
	return nil
}

func shapeOf(t *tensors.Tensor) any {
	if t == nil {
		return "nothing"
	}
	return t.Shape()
}
