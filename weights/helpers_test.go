package weights

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// expected mirrors tiny_vgg19_expected.json, written by scripts/make_fixtures.py.
type expectedTensor struct {
	Shape  []int     `json:"shape"`
	SHA256 string    `json:"sha256"`
	First  []float64 `json:"first"`
	Sum    float64   `json:"sum"`
	Values []float64 `json:"values"`
}

type expectedFixtures struct {
	Channels []int                     `json:"channels"`
	Tensors  map[string]expectedTensor `json:"tensors"`
	Dtypes   map[string]expectedTensor `json:"dtypes"`
}

func readExpected(t *testing.T) expectedFixtures {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", fixtureExpected))
	if err != nil {
		t.Fatal(err)
	}
	var e expectedFixtures
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

// sha256F32 is the SHA-256 of data as little-endian float32, as the script computes it.
func sha256F32(data []float32) string {
	s := sha256.Sum256(f32Bytes(data))
	return hex.EncodeToString(s[:])
}

func checkAgainstExpected(t *testing.T, what string, got Tensor, want expectedTensor) {
	t.Helper()
	if !slices.Equal(got.Shape, want.Shape) {
		t.Errorf("%s: shape %v, want %v", what, got.Shape, want.Shape)
		return
	}
	if h := sha256F32(got.Data); h != want.SHA256 {
		n := min(len(got.Data), len(want.First))
		t.Errorf("%s: SHA-256 %s, want %s (first values %v, want %v)", what, h, want.SHA256, got.Data[:n], want.First)
	}
	if want.Values != nil {
		for i, v := range want.Values {
			if got.Data[i] != float32(v) {
				t.Errorf("%s[%d] = %v, want %v", what, i, got.Data[i], v)
			}
		}
	}
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// dirNames lists a directory (for "nothing was left behind" checks).
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// pickler writes pickle opcodes by hand (protocol 2 unless stated), to craft test files.
type pickler struct{ bytes.Buffer }

func (p *pickler) op(b ...byte) *pickler { p.Write(b); return p }
func (p *pickler) proto(v byte) *pickler { return p.op(0x80, v) }
func (p *pickler) global(module, name string) *pickler {
	p.WriteString("c" + module + "\n" + name + "\n")
	return p
}
func (p *pickler) str(s string) *pickler { // BINUNICODE
	p.op('X')
	_ = binary.Write(p, binary.LittleEndian, uint32(len(s)))
	p.WriteString(s)
	return p
}
func (p *pickler) py2str(s string) *pickler { // SHORT_BINSTRING, Python 2's str
	p.op('U', byte(len(s)))
	p.WriteString(s)
	return p
}
func (p *pickler) int(n int) *pickler { // BININT
	p.op('J')
	_ = binary.Write(p, binary.LittleEndian, int32(n))
	return p
}
func (p *pickler) mark() *pickler      { return p.op('(') }
func (p *pickler) tuple() *pickler     { return p.op('t') }
func (p *pickler) list() *pickler      { return p.op('l') }
func (p *pickler) none() *pickler      { return p.op('N') }
func (p *pickler) reduce() *pickler    { return p.op('R') }
func (p *pickler) persid() *pickler    { return p.op('Q') }
func (p *pickler) stop() *pickler      { return p.op('.') }
func (p *pickler) emptyDict() *pickler { return p.op('}') }
func (p *pickler) setitem() *pickler   { return p.op('s') }
func (p *pickler) ints(v ...int) *pickler {
	p.mark()
	for _, x := range v {
		p.int(x)
	}
	return p.tuple()
}

// storagePID pushes a persistent id ('storage', torch.<class>, key, 'cpu', numel[, view]).
// view is nil for none (legacy) or omitted (zip, withView false).
func (p *pickler) storagePID(class, key string, numel int, legacy bool, view []any) *pickler {
	p.mark().str("storage").global("torch", class).str(key).str("cpu").int(numel)
	if legacy {
		if view == nil {
			p.none()
		} else {
			p.mark().str(view[0].(string)).int(view[1].(int)).int(view[2].(int)).tuple()
		}
	}
	return p.tuple().persid()
}

// magicPickle is the first pickle of a legacy checkpoint, its magic number (a LONG1).
func magicPickle() []byte {
	magic, _ := new(big.Int).SetString("1950a86a20f9469cfc6c", 16)
	le := magic.Bytes()
	slices.Reverse(le)
	return append(append([]byte{0x80, 2, 0x8a, byte(len(le))}, le...), '.')
}

// legacyFile assembles a legacy checkpoint: magic, protocol, system info, the given state-dict
// pickle, the storage keys and their float32 data.
func legacyFile(state []byte, keys []string, data map[string][]float32) []byte {
	var out bytes.Buffer
	out.Write(magicPickle())
	var p pickler
	p.proto(2).op('M', 0xe9, 0x03).stop() // 1001
	p.proto(2).emptyDict().str("little_endian").op(0x88).setitem().stop()
	out.Write(p.Bytes())
	out.Write(state)
	var k pickler
	k.proto(2).mark()
	for _, key := range keys {
		k.str(key)
	}
	k.list().stop()
	out.Write(k.Bytes())
	for _, key := range keys {
		_ = binary.Write(&out, binary.LittleEndian, uint64(len(data[key])))
		out.Write(f32Bytes(data[key]))
	}
	return out.Bytes()
}

// zipFile assembles a zip checkpoint with archive/data.pkl and archive/data/<key>.
func zipFile(t testing.TB, state []byte, data map[string][]float32) []byte {
	t.Helper()
	entries := map[string][]byte{"archive/data.pkl": state, "archive/version": []byte("3\n")}
	for key, d := range data {
		entries["archive/data/"+key] = f32Bytes(d)
	}
	return zipEntries(t, entries)
}

// zipEntries writes a zip archive (stored, not compressed, as torch does).
func zipEntries(t testing.TB, entries map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(entries))
	for name := range entries {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(entries[name])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The fixture files of testdata, written by scripts/make_fixtures.py with PyTorch (package
// weightstest names them, and reads the activations, for other packages' tests; it imports this
// package, so this package's own tests cannot import it).
const (
	fixtureWeights       = "tiny_vgg19.pth"                  // a tiny VGG19-shaped state dict, zip format
	fixtureWeightsLegacy = "tiny_vgg19_legacy.pth"           // the same in PyTorch's legacy format
	fixtureFeatures      = "tiny_vgg19_features.safetensors" // an input and PyTorch's activations
	fixtureExpected      = "tiny_vgg19_expected.json"        // per-tensor SHA-256s and values
)

// fixtureChannels are the output channels of the tiny network's 16 convolutions.
var fixtureChannels = []int{4, 4, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8}

// f32Bytes is data as little-endian float32 bytes.
func f32Bytes(data []float32) []byte {
	b := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}
