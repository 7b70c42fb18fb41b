package explain

import (
	"strings"
	"testing"

	"github.com/estil-nst/estil/nst"
)

func TestLayerTable(t *testing.T) {
	v, err := LayerTable(48, 64, nst.DefaultLoss())
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Rows) != 37 {
		t.Fatalf("%d rows, want VGG19's 37", len(v.Rows))
	}
	// torchvision's vgg19().features has 20,024,384 parameters (sum of p.numel()).
	if v.TotalParams != 20024384 {
		t.Errorf("total parameters %d, want 20024384", v.TotalParams)
	}
	for _, c := range []struct {
		name          string
		h, w, c, p, r int
	}{
		{"conv1_1", 64, 48, 64, 3*3*3*64 + 64, 3},
		{"relu1_2", 64, 48, 64, 0, 5},
		{"pool1", 32, 24, 64, 0, 6},
		{"conv2_1", 32, 24, 128, 3*3*64*128 + 128, 10},
		{"pool2", 16, 12, 128, 0, 16},
		{"conv3_1", 16, 12, 256, 3*3*128*256 + 256, 24},
		{"21", 8, 6, 512, 3*3*512*512 + 512, 84}, // conv4_2
		{"pool5", 2, 1, 512, 0, 268},
	} {
		r, ok := v.Row(c.name)
		if !ok {
			t.Fatalf("no row %s", c.name)
		}
		if r.Height != c.h || r.Width != c.w || r.Channels != c.c || r.Params != c.p || r.ReceptiveField != c.r {
			t.Errorf("%s: got %d×%d×%d, %d params, rf %d; want %d×%d×%d, %d params, rf %d",
				c.name, r.Height, r.Width, r.Channels, r.Params, r.ReceptiveField, c.h, c.w, c.c, c.p, c.r)
		}
	}
	for _, r := range v.Rows {
		wantContent := r.Name == "conv4_2"
		if r.Content != wantContent {
			t.Errorf("%s: content %v", r.Name, r.Content)
		}
		want := map[string]float64{"conv1_1": 1, "conv2_1": 0.75, "conv3_1": 0.2, "conv4_1": 0.2, "conv5_1": 0.2}[r.Name]
		if r.StyleWeight != want {
			t.Errorf("%s: style weight %v, want %v", r.Name, r.StyleWeight, want)
		}
		// conv5_1 (28) is the deepest loss layer; its ReLU (29) is what is read.
		if wantComputed := r.Index <= 29; r.Computed != wantComputed {
			t.Errorf("%s: computed %v", r.Name, r.Computed)
		}
	}
	html := v.HTML()
	for _, s := range []string{"conv4_2", "relu5_4", "pool5", "20\u202f024\u202f384", "w = 0.75", "8×6×512"} {
		if !strings.Contains(html, s) {
			t.Errorf("HTML lacks %q", s)
		}
	}
	if _, err := LayerTable(64, 64, nst.LossConfig{ContentLayers: []string{"conv9_9"}}); err == nil {
		t.Error("an unknown layer gave no error")
	}
	if _, err := LayerTable(64, 0, nst.DefaultLoss()); err == nil {
		t.Error("a zero size gave no error")
	}
}
