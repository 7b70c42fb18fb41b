package weights

import (
	"math"
	"testing"
)

func TestRandom(t *testing.T) {
	a, b, c := Random(VGG19, 7), Random(VGG19, 7), Random(VGG19Caffe, 8)
	if !a.Random || a.Source != "random (seed 7)" || a.Model.Name != "vgg19" || c.Model.Name != "vgg19-caffe" {
		t.Errorf("set fields: %v %q %v", a.Random, a.Source, a.Model)
	}
	layout, err := a.Validate()
	if err != nil || !IsFullVGG19(layout) {
		t.Fatalf("Validate: %v", err)
	}
	if a.NumParameters() != 20024384 {
		t.Errorf("%d parameters", a.NumParameters())
	}
	da, db, dc := contentDigest(a.Tensors), contentDigest(b.Tensors), contentDigest(c.Tensors)
	if da != db {
		t.Error("same seed, different weights")
	}
	if da == dc {
		t.Error("different seeds, same weights")
	}
	// He initialization: std sqrt(2/(9·in)); zero biases.
	for _, conv := range []ConvSpec{VGG19Layout[0], VGG19Layout[9]} {
		w, bias, _ := a.Conv(conv.FeatureIndex)
		var sum, sq float64
		for _, v := range w.Data {
			sum += float64(v)
			sq += float64(v) * float64(v)
		}
		n := float64(len(w.Data))
		std, want := math.Sqrt(sq/n-(sum/n)*(sum/n)), math.Sqrt(2/float64(9*conv.InChannels))
		if math.Abs(std/want-1) > 0.1 {
			t.Errorf("%s: std %g, want %g", conv.Name, std, want)
		}
		for _, v := range bias.Data {
			if v != 0 {
				t.Fatalf("%s: non-zero bias", conv.Name)
			}
		}
	}
	if _, err := RandomLayout(VGG19, []ConvSpec{{"x", 0, 0, 3}}, 1); err == nil {
		t.Error("RandomLayout accepted 0 channels")
	}
}
