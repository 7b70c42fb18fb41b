package nst

import (
	"testing"

	"github.com/estil-nst/estil/weights"
)

func TestLayerNamesMatchTheOriginal(t *testing.T) {
	// The original notebook's dictionary: index in vgg19().features → name.
	want := map[int]string{0: "conv1_1", 5: "conv2_1", 10: "conv3_1", 19: "conv4_1", 21: "conv4_2", 28: "conv5_1",
		4: "pool1", 36: "pool5", 34: "conv5_4", 35: "relu5_4"}
	for index, name := range want {
		if vgg19[index].Name != name {
			t.Errorf("VGG19[%d] = %s, want %s", index, vgg19[index].Name, name)
		}
		byName, err := LayerByName(name)
		if err != nil || byName.Index != index {
			t.Errorf("LayerByName(%q) = %v, %v; want index %d", name, byName.Index, err, index)
		}
	}
	if len(vgg19) != 37 || len(ConvNames()) != 16 {
		t.Errorf("VGG19 has %d layers and %d convs, want 37 and 16", len(vgg19), len(ConvNames()))
	}
	if _, err := LayerByName("conv6_1"); err == nil {
		t.Error("LayerByName(conv6_1) did not fail")
	}
	for i, c := range weights.VGG19Layout {
		if ConvIndices()[i] != c.FeatureIndex || ConvNames()[i] != c.Name {
			t.Errorf("conv %d: nst says %s at %d, weights says %s at %d", i, ConvNames()[i], ConvIndices()[i], c.Name, c.FeatureIndex)
		}
	}
}

// TestKernelsAreConstant: on the Go backend a model's kernels are marked constant (compute patch
// 13), so that its convolutions keep their packed and Winograd-transformed kernels from one
// evaluation to the next.
func TestKernelsAreConstant(t *testing.T) {
	m := tinyModel(t, NativeLowering)
	for i, k := range m.kernels {
		buf, err := k.Buffer(m.Backend, 0)
		if err != nil {
			t.Fatal(err)
		}
		c, ok := buf.(interface{ Constant() uint64 })
		if !ok {
			t.Fatalf("the Go backend's buffer %T has no Constant method: is compute patch 13 applied?", buf)
		}
		if c.Constant() == 0 {
			t.Errorf("conv %d's kernel is not marked constant", i)
		}
	}
}
