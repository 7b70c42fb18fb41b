package weights

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/estil-nst/estil/internal/rss"
	"github.com/nlpodyssey/safetensors"
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

// bigSafetensors writes a 64 MB safetensors file of two tensors and returns them.
func bigSafetensors(t *testing.T, path string) map[string]Tensor {
	t.Helper()
	in := map[string]Tensor{
		"a": {Shape: []int{3, 4 << 20}, Data: make([]float32, 3*4<<20)},
		"b": {Shape: []int{4 << 20}, Data: make([]float32, 4<<20)},
	}
	for _, x := range in {
		for i := range x.Data {
			x.Data[i] = float32(i%1000) * 0.5
		}
	}
	if err := WriteSafetensors(path, in, nil); err != nil {
		t.Fatal(err)
	}
	return in
}

// Issue 18, finding 13: reading a safetensors file (a checkpoint, when resuming) took the file's
// size twice over on top of its tensors (the whole file read, then the tensors copied out); it
// now takes a fixed few hundred KB beyond the tensors.
func TestReadSafetensorsMemory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.safetensors")
	in := bigSafetensors(t, path)
	const tensors = 64 << 20
	var out map[string]Tensor
	var err error
	a := rss.Allocated(func() { out, _, err = ReadSafetensors(path, nil) })
	t.Logf("ReadSafetensors of a 64 MB file: %d KB beyond its tensors", (int64(a)-tensors)>>10)
	if a > tensors+8<<20 {
		t.Errorf("reading a 64 MB file allocated %d MB, want its 64 MB of tensors and under 8 MB more", a>>20)
	}
	if err != nil || contentDigest(out) != contentDigest(in) {
		t.Errorf("read back: %v", err)
	}
}

// The streaming reader decodes into memory the caller provides, allocating under 8 MB beyond it
// for a 64 MB file, and checks the content digest as it goes.
func TestOpenSafetensorsStreams(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.safetensors")
	in := bigSafetensors(t, path)
	dst := map[string][]float32{"a": make([]float32, 3*4<<20), "b": make([]float32, 4<<20)}
	var err error
	a := rss.Allocated(func() {
		var f *SafetensorsFile
		if f, err = OpenSafetensors(path, "checkpoint"); err != nil {
			return
		}
		defer f.Close()
		if !slices.Equal(f.Names(), []string{"a", "b"}) || !slices.Equal(f.Shape("a"), []int{3, 4 << 20}) || f.Shape("c") != nil {
			err = fmt.Errorf("names %v, shape of a %v", f.Names(), f.Shape("a"))
			return
		}
		for _, name := range f.Names() {
			if err = f.ReadInto(name, dst[name]); err != nil {
				return
			}
		}
		err = f.Verify(true)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("streaming a 64 MB file: %d KB allocated beyond its tensors", a>>10)
	if a > 8<<20 {
		t.Errorf("streaming a 64 MB file allocated %d MB beyond its tensors, want under 8 MB", a>>20)
	}
	for name, d := range dst {
		if !slices.Equal(d, in[name].Data) {
			t.Errorf("%s differs", name)
		}
	}
}

// rawView presents raw little-endian bytes of any dtype to the safetensors serializer.
type rawView struct {
	dtype safetensors.DType
	shape []uint64
	data  []byte
}

func (v rawView) DType() safetensors.DType { return v.dtype }
func (v rawView) Shape() []uint64          { return v.shape }
func (v rawView) Data() []byte             { return v.data }
func (v rawView) DataLen() uint64          { return uint64(len(v.data)) }

// The streaming reader converts F16, BF16 and F64 tensors larger than its chunk and computes the
// same digest as WriteSafetensors; it names the file as its caller says (a checkpoint is no
// "weights file": issue 18, finding 12), can require the digest, and needs every tensor read
// in name order to check it.
func TestOpenSafetensorsDtypesNamesAndDigest(t *testing.T) {
	dir := t.TempDir()
	const n = 200_000 // values: over a 256 KB chunk in every dtype
	want := map[string]Tensor{}
	views := map[string]rawView{}
	for _, c := range []struct {
		name  string
		dtype safetensors.DType
		size  int
		put   func(b []byte, i int) float32
	}{
		{"f16", safetensors.F16, 2, func(b []byte, i int) float32 {
			h := uint16(i % 0x7c00) // finite halves
			binary.LittleEndian.PutUint16(b, h)
			return float16ToFloat32(h)
		}},
		{"bf16", safetensors.BF16, 2, func(b []byte, i int) float32 {
			h := uint16(i % 0x7f80)
			binary.LittleEndian.PutUint16(b, h)
			return math.Float32frombits(uint32(h) << 16)
		}},
		{"f64", safetensors.F64, 8, func(b []byte, i int) float32 {
			binary.LittleEndian.PutUint64(b, math.Float64bits(float64(i)*0.25))
			return float32(i) * 0.25
		}},
	} {
		raw := make([]byte, c.size*n)
		w := Tensor{Shape: []int{n}, Data: make([]float32, n)}
		for i := range n {
			w.Data[i] = c.put(raw[c.size*i:], i)
		}
		want[c.name], views[c.name] = w, rawView{c.dtype, []uint64{n}, raw}
	}
	write := func(name string, meta map[string]string) string {
		b, err := safetensors.Serialize(views, meta)
		if err != nil {
			t.Fatal(err)
		}
		return writeFile(t, dir, name, b)
	}
	read := func(path string, order []string) (*SafetensorsFile, map[string]Tensor) {
		t.Helper()
		f, err := OpenSafetensors(path, "checkpoint")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		got := map[string]Tensor{}
		for _, name := range order {
			d := make([]float32, n)
			if err := f.ReadInto(name, d); err != nil {
				t.Fatal(err)
			}
			got[name] = Tensor{Shape: f.Shape(name), Data: d}
		}
		return f, got
	}

	signed := write("signed.safetensors", map[string]string{digestKey: contentDigest(want)})
	f, got := read(signed, []string{"bf16", "f16", "f64"})
	if err := f.Verify(true); err != nil {
		t.Errorf("signed file: %v", err)
	}
	for name, w := range want {
		if !slices.Equal(got[name].Data, w.Data) {
			t.Errorf("%s: values differ", name)
		}
	}
	f, _ = read(signed, []string{"f16", "bf16", "f64"})
	if err := f.Verify(true); err == nil || !strings.Contains(err.Error(), "name order") {
		t.Errorf("read out of order: %v, want an error saying the digest needs name order", err)
	}
	f, _ = read(signed, []string{"bf16"})
	if err := f.Verify(false); err == nil {
		t.Error("one tensor of three read: the digest was checked")
	}

	unsigned := write("unsigned.safetensors", nil)
	f, _ = read(unsigned, []string{"bf16", "f16", "f64"})
	if err := f.Verify(false); err != nil {
		t.Errorf("no digest, not required: %v", err)
	}
	err := f.Verify(true)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "no content digest") || !strings.HasPrefix(err.Error(), "checkpoint "+unsigned+" ") {
		t.Errorf("no digest, required: got %v, want a corrupt checkpoint with no content digest", err)
	}
	if _, _, err := ReadSafetensors(unsigned, nil); err != nil {
		t.Errorf("a weights file need not carry a digest: %v", err)
	}

	// Damage is reported with what the caller called the file.
	b, _ := os.ReadFile(signed)
	truncated := writeFile(t, dir, "truncated.safetensors", b[:len(b)-1])
	_, err = OpenSafetensors(truncated, "checkpoint")
	if !errors.Is(err, ErrCorrupt) || !strings.HasPrefix(err.Error(), "checkpoint "+truncated+" is truncated or corrupt") || strings.Contains(err.Error(), "weights file") {
		t.Errorf("truncated checkpoint: %v", err)
	}
	b[len(b)-1] ^= 0x40
	f, _ = read(writeFile(t, dir, "flipped.safetensors", b), []string{"bf16", "f16", "f64"})
	if err := f.Verify(true); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "content digest") || !strings.HasPrefix(err.Error(), "checkpoint ") {
		t.Errorf("flipped byte: %v", err)
	}
	longer := writeFile(t, dir, "longer.safetensors", append(slices.Clone(b), 0, 0, 0, 0))
	if _, err := OpenSafetensors(longer, "checkpoint"); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "declares") {
		t.Errorf("4 bytes past what the header declares: %v", err)
	}
}

// TestWriteSafetensorsFromStreams: writing 64 MB of tensors from where they are allocates a fixed
// chunk buffer, not a copy of them (WriteSafetensors of a checkpoint used to hold its float32
// copies and a byte copy of them at once: three times the optimizer's state), and the file reads
// back whole, with its digest.
func TestWriteSafetensorsFromStreams(t *testing.T) {
	const n = 4 << 20 // 4 Mi values, 16 MB a tensor
	tensors := map[string][]float32{}
	for _, name := range []string{"image", "optimizer.d", "optimizer.old_dirs.0", "optimizer.old_stps.0"} {
		data := make([]float32, n)
		for i := range data {
			data[i] = float32(i%977) * 0.5
		}
		tensors[name] = data
	}
	sources := map[string]Source{}
	for name, data := range tensors {
		sources[name] = Source{Shape: []int{1024, 1024, 4}, Values: func(emit func([]float32) error) error {
			// In pieces, as a caller handing over a tensor's flat data might not.
			if err := emit(data[:n/3]); err != nil {
				return err
			}
			return emit(data[n/3:])
		}}
	}
	path := filepath.Join(t.TempDir(), "big.safetensors")
	var err error
	allocated := rss.Allocated(func() { err = WriteSafetensorsFrom(path, sources, map[string]string{"k": "v"}) })
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("writing 64 MB of tensors allocated %d KB", allocated>>10)
	if allocated > 4<<20 {
		t.Errorf("writing 64 MB of tensors allocated %d MB; want a fixed buffer, under 4 MB", allocated>>20)
	}
	f, err := OpenSafetensors(path, "test file")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Metadata()["k"] != "v" {
		t.Errorf("metadata %v", f.Metadata())
	}
	got := make([]float32, n)
	for _, name := range f.Names() {
		if err := f.ReadInto(name, got); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tensors[name]) {
			t.Errorf("tensor %s reads back different", name)
		}
	}
	if err := f.Verify(true); err != nil {
		t.Error(err)
	}
	// A Source that gives fewer values than its shape says is refused.
	short := map[string]Source{"x": {Shape: []int{4}, Values: func(emit func([]float32) error) error { return emit(make([]float32, 3)) }}}
	if err := WriteSafetensorsFrom(filepath.Join(t.TempDir(), "short.safetensors"), short, nil); err == nil || !strings.Contains(err.Error(), "3 values") {
		t.Errorf("a short tensor: %v", err)
	}
}
