package weights

import (
	"strings"
	"testing"
)

func TestModelByName(t *testing.T) {
	for _, m := range Models() {
		got, err := ModelByName(m.Name)
		if err != nil || got.Name != m.Name {
			t.Errorf("ModelByName(%q) = %v, %v", m.Name, got, err)
		}
		if p, ok := HashPrefix(m.FileName); !ok || p != m.SHA256Prefix {
			t.Errorf("%s: file name %s promises %q, SHA256Prefix is %q", m.Name, m.FileName, p, m.SHA256Prefix)
		}
		if !strings.HasSuffix(m.URL, "/"+m.FileName) {
			t.Errorf("%s: URL %s does not end in %s", m.Name, m.URL, m.FileName)
		}
	}
	if d, _ := ModelByName(""); d.Name != "vgg19" {
		t.Errorf("default model %s", d.Name)
	}
	_, err := ModelByName("vgg16")
	if err == nil || !strings.Contains(err.Error(), `"vgg16"`) || !strings.Contains(err.Error(), "vgg19, vgg19-caffe") {
		t.Errorf("unknown model: %v", err)
	}
	if got := VGG19.CompactFileName(); got != "vgg19-dcbb9e9d.features.safetensors" {
		t.Errorf("CompactFileName = %s", got)
	}
}

func TestHashPrefix(t *testing.T) {
	for name, want := range map[string]string{
		"vgg19-dcbb9e9d.pth": "dcbb9e9d", "/a/b-c/resnet-0123abcd.pth": "0123abcd", "x-ab.tar.gz": "ab",
		"vgg19.pth": "", "vgg19-XYZ.pth": "", "vgg19-.pth": "",
	} {
		got, ok := HashPrefix(name)
		if got != want || ok != (want != "") {
			t.Errorf("HashPrefix(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
}

func TestNormalize(t *testing.T) {
	rgb := [3]float32{1, 0.5, 0}
	// Caffe: BGR, ×255, minus (103.939, 116.779, 123.68).
	got := VGG19Caffe.Normalize(rgb)
	want := [3]float32{0 - 103.939, 127.5 - 116.779, 255 - 123.68}
	for c := range 3 {
		if !approxEqual(got[c], want[c], 1e-6) {
			t.Errorf("caffe Normalize = %v, want %v", got, want)
		}
	}
	got = VGG19.Normalize(rgb)
	want = [3]float32{(1 - 0.485) / 0.229, (0.5 - 0.456) / 0.224, (0 - 0.406) / 0.225}
	for c := range 3 {
		if !approxEqual(got[c], want[c], 1e-6) {
			t.Errorf("torchvision Normalize = %v, want %v", got, want)
		}
	}
	for _, m := range Models() {
		back := m.Denormalize(m.Normalize(rgb))
		for c := range 3 {
			if !approxEqual(back[c], rgb[c], 1e-5) {
				t.Errorf("%s: Denormalize(Normalize(%v)) = %v", m.Name, rgb, back)
			}
		}
	}
	if VGG19Caffe.ChannelOrder() != "BGR" || VGG19.ChannelOrder() != "RGB" {
		t.Error("ChannelOrder")
	}
}
