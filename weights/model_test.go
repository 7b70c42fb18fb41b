package weights

import (
	"encoding/hex"
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
		if _, err := hex.DecodeString(m.SHA256); m.SHA256 != "" && (len(m.SHA256) != 64 || err != nil || !strings.HasPrefix(m.SHA256, m.SHA256Prefix)) {
			t.Errorf("%s: SHA256 %q is not 64 hex digits starting with %s", m.Name, m.SHA256, m.SHA256Prefix)
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

func TestChannelOrder(t *testing.T) {
	if VGG19Caffe.ChannelOrder() != "BGR" || VGG19.ChannelOrder() != "RGB" {
		t.Error("ChannelOrder")
	}
}
