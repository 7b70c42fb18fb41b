package nst

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/estil-nst/estil/weights"
	"github.com/estil-nst/estil/weights/weightstest"
)

// TestFeaturesMatchPyTorch runs the tiny network of the weights fixtures (written by
// scripts/make_fixtures.py with PyTorch) and compares all 16 post-ReLU activations.
func TestFeaturesMatchPyTorch(t *testing.T) {
	dir := weightstest.Dir()
	input, want, err := weightstest.ReadFeatures()
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{weightstest.Weights, weightstest.WeightsLegacy} {
		w, err := weights.ReadFile(dir+"/"+file, weights.VGG19)
		if err != nil {
			t.Fatal(err)
		}
		w.Model.Input = identityInput // the fixture feeds its input as is
		for _, lowering := range []Lowering{Im2colLowering, NativeLowering} {
			m, err := NewModel(goBackend(), w, lowering)
			if err != nil {
				t.Fatal(err)
			}
			got, err := m.Features(nchwToHWC(input), ConvNames()...)
			if err != nil {
				t.Fatal(err)
			}
			for i, name := range ConvNames() {
				ref := want[ConvIndices()[i]]
				g := tensors.MustCopyFlatData[float32](got[name])
				r := tensors.FromFlatDataAndDimensions(ref.Data, ref.Shape[1:]...) // [1, C, H, W] → [C, H, W]
				rv := tensors.MustCopyFlatData[float32](r)
				if !got[name].Shape().Equal(r.Shape()) {
					t.Fatalf("%s %s %s: shape %s, PyTorch %s", file, lowering, name, got[name].Shape(), r.Shape())
				}
				for k := range g {
					if math.Abs(float64(g[k]-rv[k])) > 1e-5*math.Max(1, math.Abs(float64(rv[k]))) {
						t.Fatalf("%s %s %s[%d] = %v, PyTorch %v", file, lowering, name, k, g[k], rv[k])
					}
				}
			}
		}
	}
}

// nchwToHWC turns a PyTorch image [1, C, H, W] into an image tensor [H, W, C].
func nchwToHWC(t weights.Tensor) *tensors.Tensor {
	c, h, w := t.Shape[1], t.Shape[2], t.Shape[3]
	out := make([]float32, len(t.Data))
	for ci := range c {
		for y := range h {
			for x := range w {
				out[(y*w+x)*c+ci] = t.Data[(ci*h+y)*w+x]
			}
		}
	}
	return tensors.FromFlatDataAndDimensions(out, h, w, c)
}
