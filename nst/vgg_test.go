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
