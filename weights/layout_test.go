package weights

import (
	"math"
	"path/filepath"
	"strings"
	"testing"
)

func TestVGG19Layout(t *testing.T) {
	if len(VGG19Layout) != 16 {
		t.Fatalf("%d convs", len(VGG19Layout))
	}
	// Indices follow from the architecture: conv+ReLU pairs, with a pool after each block.
	index, in := 0, 3
	blocks := [][]int{{64, 64}, {128, 128}, {256, 256, 256, 256}, {512, 512, 512, 512}, {512, 512, 512, 512}}
	k := 0
	for b, block := range blocks {
		for _, out := range block {
			c := VGG19Layout[k]
			if c.FeatureIndex != index || c.InChannels != in || c.OutChannels != out {
				t.Errorf("conv %d = %+v, want index %d, %d→%d", k, c, index, in, out)
			}
			index, in, k = index+2, out, k+1
		}
		if VGG19PoolIndices[b] != index {
			t.Errorf("pool %d at %d, want %d", b, VGG19PoolIndices[b], index)
		}
		index++
	}
	params := 0
	for _, c := range VGG19Layout {
		params += c.OutChannels * (9*c.InChannels + 1)
	}
	if params != 20024384 { // torchvision vgg19().features
		t.Errorf("%d parameters", params)
	}
}

func TestValidateLayout(t *testing.T) {
	tiny, err := LayoutWithChannels(fixtureChannels)
	if err != nil {
		t.Fatal(err)
	}
	good := func() map[string]Tensor {
		s, err := RandomLayout(VGG19, tiny, 3)
		if err != nil {
			t.Fatal(err)
		}
		return s.Tensors
	}
	got, err := ValidateLayout(good())
	if err != nil || IsFullVGG19(got) || got[1].InChannels != 4 || got[15].OutChannels != 8 {
		t.Fatalf("tiny layout: %v, %v", got, err)
	}
	tensors := good()
	tensors["classifier.0.weight"] = Tensor{Shape: []int{1}, Data: []float32{1}}
	if _, err := ValidateLayout(tensors); err != nil {
		t.Errorf("tensors outside features must be ignored: %v", err)
	}

	cases := map[string]struct {
		change func(map[string]Tensor)
		want   string
	}{
		"missing weight": {func(m map[string]Tensor) { delete(m, "features.21.weight") }, "missing tensor features.21.weight (conv4_2)"},
		"missing bias":   {func(m map[string]Tensor) { delete(m, "features.0.bias") }, "missing tensor features.0.bias"},
		"5x5 kernel": {func(m map[string]Tensor) {
			m["features.2.weight"] = Tensor{Shape: []int{4, 4, 5, 5}, Data: make([]float32, 400)}
		}, "features.2.weight (conv1_2) has shape [4 4 5 5], want [out, 4, 3, 3]"},
		"broken chain": {func(m map[string]Tensor) {
			m["features.5.weight"] = Tensor{Shape: []int{8, 5, 3, 3}, Data: make([]float32, 360)}
		}, "want [out, 4, 3, 3]"},
		"bias size": {func(m map[string]Tensor) {
			m["features.7.bias"] = Tensor{Shape: []int{7}, Data: make([]float32, 7)}
		}, "features.7.bias (conv2_2) has shape [7], want [8]"},
		"batch norm net": {func(m map[string]Tensor) {
			m["features.1.weight"] = Tensor{Shape: []int{4}, Data: make([]float32, 4)}
		}, "unexpected tensors features.1.weight"},
		"NaN": {func(m map[string]Tensor) {
			m["features.34.bias"].Data[3] = float32(math.NaN())
		}, "features.34.bias has a non-finite value"},
		"short data": {func(m map[string]Tensor) {
			w := m["features.0.weight"]
			w.Data = w.Data[1:]
			m["features.0.weight"] = w
		}, "features.0.weight has 107 values"},
		"3 input channels": {func(m map[string]Tensor) {
			m["features.0.weight"] = Tensor{Shape: []int{4, 1, 3, 3}, Data: make([]float32, 36)}
		}, "want [out, 3, 3, 3]"},
	}
	for name, c := range cases {
		tensors := good()
		c.change(tensors)
		_, err := ValidateLayout(tensors)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", name, err, c.want)
		}
	}
	if _, err := LayoutWithChannels([]int{1, 2}); err == nil {
		t.Error("LayoutWithChannels accepted 2 channel counts")
	}
}

func TestSetConv(t *testing.T) {
	s, err := ReadFile(filepath.Join("testdata", fixtureWeights), VGG19)
	if err != nil {
		t.Fatal(err)
	}
	w, b, err := s.Conv(5)
	if err != nil || w.Shape[0] != 8 || w.Shape[1] != 4 || b.Shape[0] != 8 {
		t.Errorf("Conv(5) = %v, %v, %v", w, b, err)
	}
	if _, _, err := s.Conv(4); err == nil || !strings.Contains(err.Error(), "features.4.weight") {
		t.Errorf("Conv(4) (a pool): %v", err)
	}
}
