package weights

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReadPyTorch: any input gives tensors or an error, without even a recovered panic. As a
// plain test it runs the seeds (the fixtures and issue 10's hostile files); `go test -fuzz FuzzReadPyTorch ./weights/` explores further.
func FuzzReadPyTorch(f *testing.F) {
	for _, name := range []string{fixtureWeights, fixtureWeightsLegacy, "tiny_dtypes.pth", "tiny_dtypes_legacy.pth", "malicious.pth"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for name, b := range hostileFiles(f) {
		if filepath.Ext(name) == ".pth" {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "f.pth")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadPyTorch(path, nil)
		if err != nil && strings.Contains(err.Error(), "reading crashed") {
			t.Fatal(err)
		}
	})
}

// FuzzReadSafetensors is the same for safetensors files, read whole by ReadSafetensors and
// tensor by tensor by OpenSafetensors (which has no recover: a panic fails the target).
func FuzzReadSafetensors(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", fixtureFeatures))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b[:4096])
	for name, b := range hostileFiles(f) {
		if filepath.Ext(name) == ".safetensors" {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "f.safetensors")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, err := ReadSafetensors(path, nil)
		if err != nil && strings.Contains(err.Error(), "reading crashed") {
			t.Fatal(err)
		}
		f, err := OpenSafetensors(path, "checkpoint")
		if err != nil {
			return
		}
		defer f.Close()
		for _, name := range f.Names() {
			if f.ReadInto(name, make([]float32, Tensor{Shape: f.Shape(name)}.Size())) != nil {
				return
			}
		}
		_ = f.Verify(true)
	})
}
