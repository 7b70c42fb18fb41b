package explain

import (
	"slices"
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

// TestChannelMapsSameChannels checks that two pictures can be shown through the same filters:
// channels chosen on one picture (FeatureMapsOf) are shown, in that order, for the other
// (ChannelMapsOf), with the other's own means, even though its own top channels differ.
func TestChannelMapsSameChannels(t *testing.T) {
	const c, h, w = 5, 2, 3
	feature := func(means []float32) *tensors.Tensor {
		data := make([]float32, 0, c*h*w)
		for ch := range c {
			for p := range h * w { // mean means[ch]: ±1 around it
				data = append(data, means[ch]+float32(p%2*2-1))
			}
		}
		return tensors.FromFlatDataAndDimensions(data, c, h, w)
	}
	first := feature([]float32{1, 9, 3, 7, 5})  // top 3: 1, 3, 4
	second := feature([]float32{8, 2, 6, 4, 0}) // top 3: 0, 2, 3
	a, err := FeatureMapsOf("conv4_2", first, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Channels, []int{1, 3, 4}) {
		t.Fatalf("first picture's top channels %v, want [1 3 4]", a.Channels)
	}
	own, err := FeatureMapsOf("conv4_2", second, 3)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(own.Channels, a.Channels) {
		t.Fatalf("the test needs pictures with different top channels, both gave %v", a.Channels)
	}
	b, err := ChannelMapsOf("conv4_2", second, a.Channels)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(b.Channels, a.Channels) {
		t.Errorf("second picture shows channels %v, want the first's %v", b.Channels, a.Channels)
	}
	wantMean := []float64{2, 4, 0} // the second picture's means of channels 1, 3, 4
	for i := range wantMean {
		if !near(b.Activity[i], wantMean[i], 1e-6) || b.Min[i] != wantMean[i]-1 || b.Max[i] != wantMean[i]+1 {
			t.Errorf("channel %d: mean %v in [%v, %v], want %v in [%v, %v]", b.Channels[i], b.Activity[i], b.Min[i], b.Max[i],
				wantMean[i], wantMean[i]-1, wantMean[i]+1)
		}
	}
	if len(b.Maps) != 3 || !b.Given || a.Given {
		t.Errorf("%d maps, Given %v (first %v), want 3 maps, true (false)", len(b.Maps), b.Given, a.Given)
	}
	if html := b.HTML(); !strings.Contains(html, "the channels asked for") || strings.Contains(html, "most active of") {
		t.Error("the caption of given channels does not say they were asked for")
	}
	for _, bad := range [][]int{nil, {0, 5}, {-1}} {
		if _, err := ChannelMapsOf("conv4_2", second, bad); err == nil {
			t.Errorf("channels %v gave no error", bad)
		}
	}
}
