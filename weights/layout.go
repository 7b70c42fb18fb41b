package weights

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// ConvSpec is one convolution of VGG19's `features`: its name in the papers (conv1_1 …
// conv5_4), its index in torchvision's `vgg19().features` (which is also the key prefix in the
// state dict: "features.<FeatureIndex>.weight"), and its channels.
type ConvSpec struct {
	Name                    string
	FeatureIndex            int
	InChannels, OutChannels int
}

// VGG19Layout lists the 16 convolutions of torchvision's vgg19().features. Each is followed by
// a ReLU at FeatureIndex+1; max-pools sit at [VGG19PoolIndices].
var VGG19Layout = []ConvSpec{
	{"conv1_1", 0, 3, 64}, {"conv1_2", 2, 64, 64},
	{"conv2_1", 5, 64, 128}, {"conv2_2", 7, 128, 128},
	{"conv3_1", 10, 128, 256}, {"conv3_2", 12, 256, 256}, {"conv3_3", 14, 256, 256}, {"conv3_4", 16, 256, 256},
	{"conv4_1", 19, 256, 512}, {"conv4_2", 21, 512, 512}, {"conv4_3", 23, 512, 512}, {"conv4_4", 25, 512, 512},
	{"conv5_1", 28, 512, 512}, {"conv5_2", 30, 512, 512}, {"conv5_3", 32, 512, 512}, {"conv5_4", 34, 512, 512},
}

// VGG19PoolIndices are the feature indices of the 2×2 max-pools.
var VGG19PoolIndices = []int{4, 9, 18, 27, 36}

// LayoutWithChannels returns VGG19's layout with other output channel counts (16 of them), for
// small test networks: conv i takes out[i-1] channels (3 for the first) and gives out[i].
func LayoutWithChannels(out []int) ([]ConvSpec, error) {
	if len(out) != len(VGG19Layout) {
		return nil, fmt.Errorf("a VGG19 layout needs %d channel counts, got %d", len(VGG19Layout), len(out))
	}
	layout := slices.Clone(VGG19Layout)
	in := 3
	for i := range layout {
		if out[i] <= 0 {
			return nil, fmt.Errorf("conv %s: channel count %d must be positive", layout[i].Name, out[i])
		}
		layout[i].InChannels, layout[i].OutChannels = in, out[i]
		in = out[i]
	}
	return layout, nil
}

// IsFullVGG19 reports whether layout has VGG19's real channel counts (rather than a tiny test
// variant).
func IsFullVGG19(layout []ConvSpec) bool { return slices.Equal(layout, VGG19Layout) }

// ValidateLayout checks that tensors hold a VGG19 `features` network: for each of the 16
// convolutions of [VGG19Layout], "features.<i>.weight" [out, in, 3, 3] and "features.<i>.bias"
// [out], with 3 input channels first and each conv taking what the previous one gives, and no
// other "features.*" tensor (which would mean another network, e.g. VGG19 with batch norm, whose
// indices differ). Channel counts may differ from VGG19's (tiny test networks); use
// [IsFullVGG19] on the result to insist on the real one. Values must be finite. Tensors outside
// "features." are ignored.
func ValidateLayout(tensors map[string]Tensor) ([]ConvSpec, error) {
	expected := map[string]bool{}
	for _, c := range VGG19Layout {
		expected[fmt.Sprintf("features.%d.weight", c.FeatureIndex)] = true
		expected[fmt.Sprintf("features.%d.bias", c.FeatureIndex)] = true
	}
	var unexpected []string
	for name := range tensors {
		if strings.HasPrefix(name, "features.") && !expected[name] {
			unexpected = append(unexpected, shown(name))
		}
	}
	if len(unexpected) > 0 {
		sort.Strings(unexpected)
		if len(unexpected) > 3 {
			unexpected = append(unexpected[:3], "…")
		}
		return nil, fmt.Errorf("not VGG19's features (another network, e.g. VGG19 with batch norm?): unexpected tensors %s", strings.Join(unexpected, ", "))
	}

	layout := slices.Clone(VGG19Layout)
	in := 3
	for i, c := range VGG19Layout {
		wn := "features." + strconv.Itoa(c.FeatureIndex) + ".weight"
		bn := "features." + strconv.Itoa(c.FeatureIndex) + ".bias"
		w, okw := tensors[wn]
		b, okb := tensors[bn]
		if !okw || !okb {
			missing := wn
			if okw {
				missing = bn
			}
			return nil, fmt.Errorf("not a VGG19 features network: missing tensor %s (%s)", missing, c.Name)
		}
		if len(w.Shape) != 4 || w.Shape[1] != in || w.Shape[2] != 3 || w.Shape[3] != 3 || w.Shape[0] <= 0 {
			return nil, fmt.Errorf("%s (%s) has shape %v, want [out, %d, 3, 3]", wn, c.Name, w.Shape, in)
		}
		out := w.Shape[0]
		if len(b.Shape) != 1 || b.Shape[0] != out {
			return nil, fmt.Errorf("%s (%s) has shape %v, want [%d]", bn, c.Name, b.Shape, out)
		}
		for _, nt := range []struct {
			name string
			t    Tensor
		}{{wn, w}, {bn, b}} {
			if len(nt.t.Data) != nt.t.Size() {
				return nil, fmt.Errorf("%s has %d values for shape %v", nt.name, len(nt.t.Data), nt.t.Shape)
			}
			if j := nonFinite(nt.t.Data); j >= 0 {
				return nil, fmt.Errorf("%s has a non-finite value (%v at element %d)", nt.name, nt.t.Data[j], j)
			}
		}
		layout[i].InChannels, layout[i].OutChannels = in, out
		in = out
	}
	return layout, nil
}

// nonFinite returns the index of the first NaN or ±Inf in data, or -1.
func nonFinite(data []float32) int {
	for i, v := range data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return i
		}
	}
	return -1
}
