package nst

import (
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/estil-nst/estil/weights"
)

// TestNormalize checks each model's input preparation (nst's normalize, the one home of it) on one
// pixel, by hand, and that denormalize inverts it. The Caffe model's BGR order is not done here:
// its first kernel's input channels are reversed instead (TestCaffeInput).
func TestNormalize(t *testing.T) {
	rgb := tensors.FromValue([][][]float32{{{1, 0.5, 0}}})
	for _, c := range []struct {
		model weights.Model
		want  []float32
	}{
		// Caffe: ×255, minus (123.68, 116.779, 103.939) in RGB order.
		{weights.VGG19Caffe, []float32{255 - 123.68, 127.5 - 116.779, 0 - 103.939}},
		// torchvision: (x − mean) / std.
		{weights.VGG19, []float32{(1 - 0.485) / 0.229, (0.5 - 0.456) / 0.224, (0 - 0.406) / 0.225}},
	} {
		m := &Model{Weights: &weights.Set{Model: c.model}}
		got := eval(t, func(in []*Node) []*Node {
			x := m.normalize(in[0])
			return []*Node{x, m.denormalize(x)}
		}, rgb)
		for i := range 3 {
			if !closeTo(float64(got[0][i]), float64(c.want[i]), 1e-6) {
				t.Errorf("%s: normalize = %v, want %v", c.model.Name, got[0], c.want)
			}
			if !closeTo(float64(got[1][i]), []float64{1, 0.5, 0}[i], 1e-5) {
				t.Errorf("%s: denormalize(normalize(x)) = %v, want x", c.model.Name, got[1])
			}
		}
	}
}

// TestCaffeInput checks the Caffe model's preparation: estil takes RGB in [0, 1] and reverses the
// first kernel's input channels, which must equal feeding the network what Caffe fed it,
// BGR·255 − (103.939, 116.779, 123.68), with the kernel as stored.
func TestCaffeInput(t *testing.T) {
	caffe := tinyWeights(t, 7) // tinyModel's
	caffe.Model = weights.VGG19Caffe
	asStored := *caffe
	asStored.Model.BGR, asStored.Model.Input = false, identityInput
	a, err := NewModel(goBackend(), caffe, Im2colLowering)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewModel(goBackend(), &asStored, Im2colLowering)
	if err != nil {
		t.Fatal(err)
	}
	img := randomImage(24, 20, 8)
	rgb := tensors.MustCopyFlatData[float32](img)
	bgr := make([]float32, len(rgb))
	mean := [3]float32{103.939, 116.779, 123.68} // B, G, R
	for p := 0; p < len(rgb); p += 3 {
		for c := range 3 {
			bgr[p+c] = 255*rgb[p+2-c] - mean[c]
		}
	}
	fa, err := a.Features(img, "conv1_1", "conv3_1")
	if err != nil {
		t.Fatal(err)
	}
	fb, err := b.Features(tensors.FromFlatDataAndDimensions(bgr, 24, 20, 3), "conv1_1", "conv3_1")
	if err != nil {
		t.Fatal(err)
	}
	compareTensors(t, "conv1_1", fa["conv1_1"], fb["conv1_1"], 1e-4)
	compareTensors(t, "conv3_1", fa["conv3_1"], fb["conv3_1"], 1e-4)
}

// TestModelKeepsNoSecondCopyOfTheWeights checks that a Model keeps where its weights came from
// but not their values: its kernels and biases hold those, and the Set's tensors would be a second
// copy of the network for as long as the model lives. The caller's Set is left as it was.
func TestModelKeepsNoSecondCopyOfTheWeights(t *testing.T) {
	w := tinyWeights(t, 7)
	tensorsBefore := len(w.Tensors)
	m, err := NewModel(goBackend(), w, Im2colLowering)
	if err != nil {
		t.Fatal(err)
	}
	if m.Weights.Tensors != nil {
		t.Errorf("the model keeps the Set's %d tensors", len(m.Weights.Tensors))
	}
	if m.Weights.Source != w.Source || m.Weights.Random != w.Random || m.Weights.Model.Name != w.Model.Name {
		t.Errorf("the model's Weights say %q (random %v, %s), want %q (random %v, %s)",
			m.Weights.Source, m.Weights.Random, m.Weights.Model.Name, w.Source, w.Random, w.Model.Name)
	}
	if len(w.Tensors) != tensorsBefore {
		t.Errorf("NewModel changed the caller's Set: %d tensors, had %d", len(w.Tensors), tensorsBefore)
	}
}
