package weightstest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/estil-nst/estil/weights"
)

// conv3x3ReLU is a plain NCHW (batch 1) 3×3 convolution with padding 1, followed by ReLU.
func conv3x3ReLU(x weights.Tensor, w, b weights.Tensor) weights.Tensor {
	cin, h, wd := x.Shape[1], x.Shape[2], x.Shape[3]
	cout := w.Shape[0]
	out := weights.Tensor{Shape: []int{1, cout, h, wd}, Data: make([]float32, cout*h*wd)}
	for o := range cout {
		for y := range h {
			for xx := range wd {
				sum := b.Data[o]
				for i := range cin {
					for ky := range 3 {
						for kx := range 3 {
							sy, sx := y+ky-1, xx+kx-1
							if sy < 0 || sy >= h || sx < 0 || sx >= wd {
								continue
							}
							sum += w.Data[((o*cin+i)*3+ky)*3+kx] * x.Data[(i*h+sy)*wd+sx]
						}
					}
				}
				out.Data[(o*h+y)*wd+xx] = max(sum, 0)
			}
		}
	}
	return out
}

func maxPool2(x weights.Tensor) weights.Tensor {
	c, h, w := x.Shape[1], x.Shape[2]/2, x.Shape[3]/2
	out := weights.Tensor{Shape: []int{1, c, h, w}, Data: make([]float32, c*h*w)}
	for ch := range c {
		for y := range h {
			for xx := range w {
				m := x.Data[(ch*2*h+2*y)*2*w+2*xx]
				for _, d := range [][2]int{{0, 1}, {1, 0}, {1, 1}} {
					m = max(m, x.Data[(ch*2*h+2*y+d[0])*2*w+2*xx+d[1]])
				}
				out.Data[(ch*h+y)*w+xx] = m
			}
		}
	}
	return out
}

// The fixture activations are what the fixture weights compute: checks the fixtures, the
// reader, and the meaning documented in ReadFeatures, with a naive forward pass.
func TestFixtureFeatures(t *testing.T) {
	set, err := Load(weights.VGG19)
	if err != nil {
		t.Fatal(err)
	}
	input, feats, err := ReadFeatures()
	if err != nil {
		t.Fatal(err)
	}
	if len(input.Shape) != 4 || input.Shape[1] != 3 || len(feats) != 16 {
		t.Fatalf("input %v, %d feature maps", input.Shape, len(feats))
	}
	x := input
	pools := map[int]bool{}
	for _, p := range weights.VGG19PoolIndices {
		pools[p] = true
	}
	for i, c := range weights.VGG19Layout {
		if i > 0 && pools[c.FeatureIndex-1] {
			x = maxPool2(x)
		}
		w, b, err := set.Conv(c.FeatureIndex)
		if err != nil {
			t.Fatal(err)
		}
		x = conv3x3ReLU(x, w, b)
		want := feats[c.FeatureIndex]
		if len(want.Data) != len(x.Data) {
			t.Fatalf("%s: %v values, want %v", c.Name, x.Shape, want.Shape)
		}
		worst := float32(0)
		for j := range x.Data {
			worst = max(worst, abs32(x.Data[j]-want.Data[j]))
		}
		if worst > 1e-4 {
			t.Errorf("%s: differs from PyTorch by up to %g", c.Name, worst)
		}
	}
	if _, err := os.Stat(filepath.Join(Dir(), Expected)); err != nil {
		t.Errorf("Dir: %v", err)
	}
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}
