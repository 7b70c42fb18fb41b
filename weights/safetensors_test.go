package weights

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSafetensorsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	in, err := ReadPyTorch("testdata/"+fixtureWeights, nil)
	if err != nil {
		t.Fatal(err)
	}
	in["scalar"] = Tensor{Shape: []int{}, Data: []float32{2.5}}
	path := filepath.Join(dir, "sub", "w.safetensors")
	if err := WriteSafetensors(path, in, map[string]string{"note": "hi"}); err != nil {
		t.Fatal(err)
	}
	if names := dirNames(t, filepath.Dir(path)); !slices.Equal(names, []string{"w.safetensors"}) {
		t.Errorf("directory holds %v", names)
	}
	out, meta, err := ReadSafetensors(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if meta["note"] != "hi" || meta[digestKey] == "" {
		t.Errorf("metadata %v", meta)
	}
	if len(out) != len(in) || contentDigest(out) != contentDigest(in) {
		t.Error("round trip changed the tensors")
	}
	for name, t1 := range in {
		if !slices.Equal(out[name].Shape, t1.Shape) || !slices.Equal(out[name].Data, t1.Data) {
			t.Errorf("%s differs", name)
		}
	}
	part, _, err := ReadSafetensors(path, func(n string) bool { return n == "scalar" })
	if err != nil || len(part) != 1 || part["scalar"].Data[0] != 2.5 {
		t.Errorf("keep: %v, %v", part, err)
	}

	// Damage: truncation and a flipped data byte are errors, not panics.
	orig, _ := os.ReadFile(path)
	for _, n := range []int{0, 4, 8, 20, len(orig) / 2, len(orig) - 1} {
		p := writeFile(t, dir, "trunc.safetensors", orig[:n])
		if _, _, err := ReadSafetensors(p, nil); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), p) {
			t.Errorf("truncated to %d: %v", n, err)
		}
	}
	b := slices.Clone(orig)
	b[len(b)-3] ^= 0x10
	p := writeFile(t, dir, "flip.safetensors", b)
	if _, _, err := ReadSafetensors(p, nil); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "digest") {
		t.Errorf("flipped data byte: %v", err)
	}
	for i := 0; i < len(orig); i += 97 {
		b := slices.Clone(orig)
		b[i] ^= 0xff
		_, _, _ = ReadSafetensors(writeFile(t, dir, "flip.safetensors", b), nil) // no panic
	}

	bad := map[string]Tensor{"x": {Shape: []int{2, 2}, Data: []float32{1}}}
	if err := WriteSafetensors(filepath.Join(dir, "bad.safetensors"), bad, nil); err == nil {
		t.Error("wrote a tensor whose data does not fit its shape")
	}
	if names := dirNames(t, dir); slices.ContainsFunc(names, func(n string) bool { return strings.HasSuffix(n, ".tmp") }) {
		t.Errorf("temporary files left: %v", names)
	}
}

// Issue 10, finding 5: a header over 1 MB is refused from its length field, before the file is
// read or its JSON parsed (a 90 MB header had reached 4.4 GB).
func TestSafetensorsHeaderBound(t *testing.T) {
	dir := t.TempDir()
	small := map[string]Tensor{"x": {Shape: []int{2}, Data: []float32{1, 2}}}
	path := filepath.Join(dir, "big-header.safetensors")
	if err := WriteSafetensors(path, small, map[string]string{"pad": strings.Repeat("x", 2<<20)}); err != nil {
		t.Fatal(err)
	}
	_, _, err := ReadSafetensors(path, nil)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "header claims") || !strings.Contains(err.Error(), path) {
		t.Errorf("2 MB header: got %v, want a corrupt-file error naming the path and the header's size", err)
	}
	path = filepath.Join(dir, "ok-header.safetensors")
	if err := WriteSafetensors(path, small, map[string]string{"pad": strings.Repeat("x", 512<<10)}); err != nil {
		t.Fatal(err)
	}
	if got, _, err := ReadSafetensors(path, nil); err != nil || !slices.Equal(got["x"].Data, []float32{1, 2}) {
		t.Errorf("512 KB header: %v, %v", got, err)
	}
}
