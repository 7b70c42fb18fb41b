package explain

import (
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

// TestFeatureMapsTopN builds a feature map whose channel means are known and checks that the grid
// shows the top n channels in order, each normalized on its own.
func TestFeatureMapsTopN(t *testing.T) {
	const h, w, c = 3, 4, 6
	// Channel ch at pixel p holds base[ch] + p·slope[ch]: mean = base + slope·(h·w − 1)/2.
	base := []float32{0.5, 3, -1, 2, 3, 0}
	slope := []float32{0, 0.1, 0.5, -0.2, 0.1, 1}
	// means: 0.5, 3.55, 1.75, 0.9, 3.55, 5.5 → top 4: 5 (5.5), 1 (3.55, tie with 4: lower first), 4, 2.
	data := make([]float32, h*w*c)
	for ch := range c { // stored [C, H, W]
		for p := range h * w {
			data[ch*h*w+p] = base[ch] + float32(p)*slope[ch]
		}
	}
	v, err := FeatureMapsOf("conv1_1", tensors.FromFlatDataAndDimensions(data, c, h, w), 4)
	if err != nil {
		t.Fatal(err)
	}
	want := []int{5, 1, 4, 2}
	wantMean := []float64{5.5, 3.55, 3.55, 1.75}
	if len(v.Channels) != 4 {
		t.Fatalf("channels %v, want %v", v.Channels, want)
	}
	for i := range want {
		if v.Channels[i] != want[i] || !near(v.Activity[i], wantMean[i], 1e-5) {
			t.Errorf("rank %d: channel %d (mean %v), want %d (mean %v)", i, v.Channels[i], v.Activity[i], want[i], wantMean[i])
		}
	}
	// Channel 2 rises from -1 (pixel 0) to 4.5 (pixel 11): its map goes from viridis(0) to viridis(1).
	m := v.Maps[3]
	if m.Bounds().Dx() != w || m.Bounds().Dy() != h {
		t.Fatalf("map is %v, want %d×%d", m.Bounds(), w, h)
	}
	if got := m.NRGBAAt(0, 0); got != viridisAt(0) {
		t.Errorf("the minimum is drawn %v, want %v", got, viridisAt(0))
	}
	if got := m.NRGBAAt(w-1, h-1); got != viridisAt(1) {
		t.Errorf("the maximum is drawn %v, want %v", got, viridisAt(1))
	}
	if got, want := m.NRGBAAt(1, 1), viridisAt(5.0/11); got != want { // pixel 5 of 0..11
		t.Errorf("pixel 5 is drawn %v, want %v", got, want)
	}
	if v.Min[3] != -1 || !near(v.Max[3], 4.5, 1e-6) {
		t.Errorf("channel 2 ranges over [%v, %v], want [-1, 4.5]", v.Min[3], v.Max[3])
	}
	html := v.HTML()
	if n := strings.Count(html, `<img src="data:image/png;base64,`); n != 4+1 { // 4 maps + colour bar
		t.Errorf("%d images in the HTML, want 5", n)
	}
	if !strings.Contains(html, "channel 5") {
		t.Error("the HTML does not name channel 5")
	}
	// More channels than there are: all of them.
	v, err = FeatureMapsOf("conv1_1", tensors.FromFlatDataAndDimensions(data, c, h, w), 100)
	if err != nil || len(v.Channels) != c {
		t.Errorf("n > C: %v channels, err %v", len(v.Channels), err)
	}
	if _, err := FeatureMapsOf("x", tensors.FromFlatDataAndDimensions(data, c, h*w), 2); err == nil {
		t.Error("a rank-2 tensor gave no error")
	}
	if _, err := FeatureMapsOf("x", tensors.FromFlatDataAndDimensions(data, c, h, w), 0); err == nil {
		t.Error("n = 0 gave no error")
	}
}

func near(a, b, tol float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= tol*max(1, abs(b))
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
