package weights

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/estil-nst/estil/internal/rss"
)

func TestReadPyTorchFixturesMatchPyTorch(t *testing.T) {
	want := readExpected(t)
	byFormat := map[string]map[string]Tensor{}
	for _, name := range []string{fixtureWeights, fixtureWeightsLegacy} {
		got, err := ReadPyTorch("testdata/"+name, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want.Tensors) {
			t.Errorf("%s: %d tensors, want %d", name, len(got), len(want.Tensors))
		}
		for key, w := range want.Tensors {
			g, ok := got[key]
			if !ok {
				t.Errorf("%s: missing %s", name, key)
				continue
			}
			checkAgainstExpected(t, name+" "+key, g, w)
		}
		byFormat[name] = got
	}
	// Both formats give identical tensors (the fixture includes non-contiguous views, an offset
	// and a shared storage; see scripts/make_fixtures.py).
	zip, legacy := byFormat[fixtureWeights], byFormat[fixtureWeightsLegacy]
	if contentDigest(zip) != contentDigest(legacy) {
		t.Error("zip and legacy fixtures read differently")
	}
}

func TestReadPyTorchDtypes(t *testing.T) {
	want := readExpected(t)
	for _, name := range []string{"tiny_dtypes.pth", "tiny_dtypes_legacy.pth"} {
		got, err := ReadPyTorch("testdata/"+name, nil)
		if err != nil {
			t.Fatal(err)
		}
		for key, w := range want.Dtypes {
			checkAgainstExpected(t, name+" "+key, got[key], w)
		}
	}
}

func TestReadPyTorchKeepsOnlyWanted(t *testing.T) {
	got, err := ReadPyTorch("testdata/"+fixtureWeights, func(n string) bool { return n == "features.0.bias" })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got["features.0.bias"].Size() != 4 {
		t.Errorf("got %v", got)
	}
}

func TestFloat16(t *testing.T) {
	for h, want := range map[uint16]float32{
		0x0000: 0, 0x3c00: 1, 0xc000: -2, 0x7bff: 65504, 0x0001: 5.960464477539063e-08, 0x3555: 0.333251953125,
		0x8400: -6.103515625e-05,
	} {
		if got := float16ToFloat32(h); got != want {
			t.Errorf("float16 %#04x = %v, want %v", h, got, want)
		}
	}
	if v := float16ToFloat32(0x7c00); v <= 3e38 {
		t.Errorf("+Inf: %v", v)
	}
	if v := float16ToFloat32(0x7e00); v == v {
		t.Errorf("NaN: %v", v)
	}
}

// A state dict as Python 2 pickles it, with the pre-0.4 _rebuild_tensor and a legacy storage
// view, as the 2017 checkpoints may be.
func TestReadLegacyPython2ViewsAndRebuildV1(t *testing.T) {
	var p pickler
	p.proto(2).global("collections", "OrderedDict").mark()
	// ["w", _rebuild_tensor(view v1 = s0[2:5], 0, (3,), (1,))]
	p.mark().py2str("w").global("torch._utils", "_rebuild_tensor").mark().
		storagePID("FloatStorage", "s0", 6, true, []any{"v1", 2, 3}).int(0).ints(3).ints(1).tuple().reduce().list()
	// ["b", _rebuild_tensor(s0, 1, (2,), (2,))]
	p.mark().py2str("b").global("torch._utils", "_rebuild_tensor").mark().
		storagePID("FloatStorage", "s0", 6, true, nil).int(1).ints(2).ints(2).tuple().reduce().list()
	p.list().op(0x85).reduce().stop() // OrderedDict([[...], [...]])
	file := legacyFile(p.Bytes(), []string{"s0"}, map[string][]float32{"s0": {0, 1, 2, 3, 4, 5}})
	path := writeFile(t, t.TempDir(), "py2.pth", file)
	got, err := ReadPyTorch(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w := got["w"]; !slices.Equal(w.Data, []float32{2, 3, 4}) || !slices.Equal(w.Shape, []int{3}) {
		t.Errorf("w = %v", w)
	}
	if b := got["b"]; !slices.Equal(b.Data, []float32{1, 3}) {
		t.Errorf("b = %v", b)
	}
}

// _rebuild_parameter around _rebuild_tensor_v2, and a transposed view, in a zip.
func TestReadZipParameterAndStrides(t *testing.T) {
	var p pickler
	p.proto(2).emptyDict().str("m").global("torch._utils", "_rebuild_parameter").mark().
		global("torch._utils", "_rebuild_tensor_v2").mark().
		storagePID("FloatStorage", "0", 6, false, nil).int(0).ints(3, 2).ints(1, 3).op(0x89).emptyDict().tuple().reduce().
		op(0x88).emptyDict().tuple().reduce().setitem().stop()
	file := zipFile(t, p.Bytes(), map[string][]float32{"0": {0, 1, 2, 3, 4, 5}})
	got, err := ReadPyTorch(writeFile(t, t.TempDir(), "p.pth", file), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Storage [[0 1 2] [3 4 5]] seen as its transpose [3, 2].
	if m := got["m"]; !slices.Equal(m.Data, []float32{0, 3, 1, 4, 2, 5}) || !slices.Equal(m.Shape, []int{3, 2}) {
		t.Errorf("m = %v %v", m.Shape, m.Data)
	}
}

func TestMaliciousPickleIsRefused(t *testing.T) {
	dir := t.TempDir()
	sys := func(p *pickler) *pickler { return p.mark().str("touch /tmp/estil-pwned").tuple().reduce() }
	cases := map[string]struct {
		file  []byte
		class string
	}{}
	{ // GLOBAL posix.system + REDUCE as the whole pickle, zip format
		var p pickler
		sys(p.proto(2).global("posix", "system")).stop()
		cases["zip GLOBAL"] = struct {
			file  []byte
			class string
		}{zipFile(t, p.Bytes(), nil), "posix.system"}
	}
	{ // STACK_GLOBAL (protocol 4) os.system
		var p pickler
		p.proto(4).op(0x8c, 2).WriteString("os")
		p.op(0x8c, 6).WriteString("system")
		sys(p.op(0x93)).stop()
		cases["zip STACK_GLOBAL"] = struct {
			file  []byte
			class string
		}{zipFile(t, p.Bytes(), nil), "os.system"}
	}
	{ // hidden in a value of the state dict, legacy format
		var p pickler
		p.proto(2).emptyDict().str("features.0.weight").global("builtins", "eval").mark().str("1+1").tuple().reduce().setitem().stop()
		cases["legacy value"] = struct {
			file  []byte
			class string
		}{legacyFile(p.Bytes(), nil, nil), "builtins.eval"}
	}
	{ // as a storage "class" in a persistent id
		var p pickler
		p.proto(2).emptyDict().str("w").global("torch._utils", "_rebuild_tensor").mark().
			mark().str("storage").global("subprocess", "Popen").str("0").str("cpu").int(1).tuple().persid().
			int(0).ints(1).ints(1).tuple().reduce().setitem().stop()
		cases["storage class"] = struct {
			file  []byte
			class string
		}{zipFile(t, p.Bytes(), map[string][]float32{"0": {1}}), "subprocess.Popen"}
	}
	for name, c := range cases {
		path := writeFile(t, dir, strings.ReplaceAll(name, " ", "_")+".pth", c.file)
		_, err := ReadPyTorch(path, nil)
		var unsafe *UnsafeClassError
		if !errors.As(err, &unsafe) || !strings.Contains(err.Error(), c.class) {
			t.Errorf("%s: got %v, want an UnsafeClassError naming %s", name, err, c.class)
		}
		if errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: a refusal is not corruption: %v", name, err)
		}
	}
	// And the one torch.save wrote (an object whose __reduce__ is os.system).
	_, err := ReadPyTorch("testdata/malicious.pth", nil)
	if err == nil || !strings.Contains(err.Error(), "posix.system") || strings.Contains(err.Error(), "\n") {
		t.Errorf("malicious.pth: %v", err)
	}
	if _, err := os.Stat("/tmp/estil-pwned"); err == nil {
		t.Error("/tmp/estil-pwned exists")
	}
}

func TestReadPyTorchBadStructure(t *testing.T) {
	dir := t.TempDir()
	six := map[string][]float32{"0": {0, 1, 2, 3, 4, 5}}
	cases := map[string]struct {
		file    []byte
		want    string
		corrupt bool
	}{
		"past the storage":  {zipFile(t, tensorPickle([]int{2, 3}, []int{3, 1}, 1, "FloatStorage", 6), six), "reach element 6", true},
		"storage too small": {zipFile(t, tensorPickle([]int{6}, []int{1}, 0, "FloatStorage", 7), six), "has 24 bytes, want 28", true},
		"missing storage":   {zipFile(t, tensorPickle([]int{6}, []int{1}, 0, "FloatStorage", 6), nil), "storage 0 missing", true},
		"integer tensor":    {zipFile(t, tensorPickle([]int{3}, []int{1}, 0, "LongStorage", 3), six), "int64", false},
		"negative stride":   {zipFile(t, tensorPickle([]int{3}, []int{-1}, 2, "FloatStorage", 6), six), "stride", true},
		// Issue 10, finding 1: a few stored floats declaring gigabytes through zero or overlapping
		// strides (the first asked for 1 GB from one float).
		"zero stride":               {zipFile(t, tensorPickle([]int{12}, []int{0}, 0, "FloatStorage", 6), six), "declare 12 elements over a storage of 6", true},
		"1 GB from one float":       {zipFile(t, tensorPickle([]int{1 << 28}, []int{0}, 0, "FloatStorage", 6), six), "over twice the 6 its storages store", true},
		"overlapping strides":       {zipFile(t, tensorPickle([]int{3, 3}, []int{1, 1}, 0, "FloatStorage", 6), six), "zero or overlapping strides", true},
		"many views of one storage": {zipFile(t, sharedViewsOf(5, 6), six), "over twice the 6 its storages store", true},
		// Issue 10, finding 4: a 1 GiB storage claimed by a zip directory in a file of a few hundred bytes.
		"zip directory lie": {lyingZip(t, tensorPickle([]int{1 << 28}, []int{1}, 0, "FloatStorage", 1<<28), 1<<30), "compressed bytes in a file of", true},
		// Issue 10, findings 2 and 3: a flood of MARKs, and a FRAME declaring 1 TiB.
		"MARK flood":         {zipFile(t, append(append([]byte{0x80, 2}, bytes.Repeat([]byte{'('}, 70000)...), '.'), nil), "over 65536 opcodes", true},
		"1 TiB frame":        {zipFile(t, (&pickler{}).proto(4).op(0x95, 0, 0, 0, 0, 0, 1, 0, 0).emptyDict().stop().Bytes(), nil), "a frame of 1099511627776 bytes", true},
		"legacy numel lie":   {legacyFile(tensorPickle([]int{6}, []int{1}, 0, "FloatStorage", 5), []string{"0"}, six), "has 6 elements, the pickle says 5", true},
		"not a state dict":   {zipFile(t, (&pickler{}).proto(2).int(3).stop().Bytes(), nil), "not a state dict", false},
		"a pickled module":   {zipFile(t, (&pickler{}).proto(2).mark().str("module").str("x").tuple().persid().stop().Bytes(), nil), "kind module", true},
		"not a checkpoint":   {[]byte("hello world, not a checkpoint"), "not a PyTorch checkpoint", true},
		"empty":              {nil, "empty", true},
		"plain pickle":       {(&pickler{}).proto(2).int(1).stop().Bytes(), "no magic number", true},
		"zip without pickle": {zipEntries(t, map[string][]byte{"a/version": []byte("3")}), "without data.pkl", true},
		"torchscript":        {zipEntries(t, map[string][]byte{"a/data.pkl": nil, "a/constants.pkl": nil}), "TorchScript", false},
		"big-endian":         {zipEntries(t, map[string][]byte{"a/data.pkl": nil, "a/byteorder": []byte("big")}), "big", false},
	}
	for name, c := range cases {
		path := writeFile(t, dir, strings.ReplaceAll(name, " ", "_")+".pth", c.file)
		_, err := ReadPyTorch(path, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: got %v, want an error with %q and the path", name, err, c.want)
			continue
		}
		if errors.Is(err, ErrCorrupt) != c.corrupt {
			t.Errorf("%s: errors.Is(ErrCorrupt) = %v, want %v (%v)", name, !c.corrupt, c.corrupt, err)
		}
	}
}

// Every truncation of the fixtures is an error, and no byte flip panics; in the zip format, a
// flipped data byte fails the CRC.
func TestReadPyTorchCorruptAndTruncated(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{fixtureWeights, fixtureWeightsLegacy, "tiny_dtypes.pth", "tiny_dtypes_legacy.pth"} {
		orig := readTestdata(t, name)
		step := max(1, len(orig)/200)
		for n := 0; n < len(orig); n += step {
			path := writeFile(t, dir, fmt.Sprintf("trunc%d-%s", n, name), orig[:n])
			if _, err := ReadPyTorch(path, nil); err == nil {
				t.Errorf("%s truncated to %d bytes: no error", name, n)
			} else if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error: %q", err)
			}
			os.Remove(path)
		}
		for i := 0; i < len(orig); i += max(1, len(orig)/300) {
			b := slices.Clone(orig)
			b[i] ^= 0x5a
			path := writeFile(t, dir, fmt.Sprintf("flip%d-%s", i, name), b)
			_, _ = ReadPyTorch(path, nil) // must not panic (ReadPyTorch recovers, but should not need to)
			os.Remove(path)
		}
	}
	// Flip a byte inside a storage of the zip fixture: CRC-32 catches it.
	orig := readTestdata(t, fixtureWeights)
	i := strings.Index(string(orig), "data/0") // a storage entry's local header; its data follows
	if i < 0 {
		t.Fatal("no storage entry in the zip fixture")
	}
	b := slices.Clone(orig)
	b[i+100] ^= 0x01
	_, err := ReadPyTorch(writeFile(t, dir, "crc.pth", b), nil)
	if !errors.Is(err, ErrCorrupt) {
		t.Errorf("flipped storage byte: %v, want a corrupt-file error", err)
	}
}

// lyingZip is a checkpoint whose storage "0" is a few deflated bytes that the zip directory says
// are claim bytes, compressed and uncompressed.
func lyingZip(t testing.TB, state []byte, claim uint64) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"archive/data.pkl", "archive/version"} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(map[string][]byte{"archive/data.pkl": state, "archive/version": []byte("3\n")}[name])
	}
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "archive/data/0", Method: zip.Deflate,
		CompressedSize64: claim, UncompressedSize64: claim})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte{0x03, 0x00}) // an empty final deflate block
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// tensorPickle is a state dict of one tensor "w" over storage "0".
func tensorPickle(size, stride []int, offset int, class string, numel int) []byte {
	var p pickler
	p.proto(2).emptyDict().str("w").global("torch._utils", "_rebuild_tensor_v2").mark().
		storagePID(class, "0", numel, false, nil).int(offset).ints(size...).ints(stride...).op(0x89).emptyDict().tuple().reduce().
		setitem().stop()
	return p.Bytes()
}

// Issue 18, finding 3: integers wider than 64 bits are refused by the opcode scan, before
// gopickle converts them (quadratically: a 1 MB LONG4 took 40 s), and no value read from a
// pickle is quoted whole in an error (the refusal had printed a number of millions of digits).
// Each error must be one short line, with no long run of digits.
func TestPickleValuesStayOutOfErrors(t *testing.T) {
	dir := t.TempDir()
	long4 := func(n int) []byte { // PROTO 2, LONG4 of n bytes, STOP
		var p pickler
		p.proto(2).op(0x8b)
		_ = binary.Write(&p, binary.LittleEndian, uint32(n))
		p.Write(bytes.Repeat([]byte{0x11}, n))
		return p.stop().Bytes()
	}
	text := func(op byte, arg string) []byte { // PROTO 2, op with a text argument, STOP
		var p pickler
		p.proto(2).op(op)
		p.WriteString(arg + "\n")
		return p.stop().Bytes()
	}
	digits := strings.Repeat("7", 100_000)
	hugeName := "features." + strings.Repeat("9", 100_000)
	var nameDict, reduceString pickler
	nameDict.proto(2).emptyDict().str(hugeName).int(1).setitem().stop()
	reduceString.proto(2).str(digits).op(')').reduce().stop()
	legacy := func(protocolPickle []byte) []byte { return append(magicPickle(), protocolPickle...) }
	cases := map[string]struct {
		file []byte
		want string // in the error
	}{
		"LONG4 of 100 KB":                     {zipFile(t, long4(100_000), nil), "LONG4 integer of 100000 bytes"},
		"legacy protocol as a 100 KB LONG4":   {legacy(long4(100_000)), "LONG4 integer of 100000 bytes"},
		"LONG1 of 11 bytes":                   {zipFile(t, (&pickler{}).proto(2).op(0x8a, 11).op(bytes.Repeat([]byte{1}, 11)...).stop().Bytes(), nil), "LONG1 integer of 11 bytes"},
		"LONG as 100,000 digits":              {zipFile(t, text('L', digits+"L"), nil), "LONG argument"},
		"LONG past int64":                     {zipFile(t, text('L', "9223372036854775808"), nil), "LONG argument"},
		"legacy protocol as 100,000 digits":   {legacy(text('I', digits)), "INT argument"},
		"FLOAT as 100,000 digits":             {zipFile(t, text('F', digits), nil), "FLOAT argument"},
		"a tensor name of 100 KB":             {zipFile(t, nameDict.Bytes(), nil), "state dict entry \"features.999"},
		"a class name of 100 KB":              {zipFile(t, (&pickler{}).proto(2).global("os", digits).stop().Bytes(), nil), "os.\"777"},
		"a 100 KB string called (gopickle)":   {zipFile(t, reduceString.Bytes(), nil), "REDUCE requires a Callable object"},
		"a 100 KB GET index (gopickle, text)": {zipFile(t, text('g', digits), nil), "bad pickle"},
	}
	// A name may be shown cut to maxShown characters, never whole.
	tooManyDigits := regexp.MustCompile(fmt.Sprintf("[0-9]{%d}", maxShown+1))
	for name, c := range cases {
		path := writeFile(t, dir, "f.pth", c.file)
		_, err := ReadPyTorch(path, isFeature)
		switch {
		case err == nil:
			t.Errorf("%s: read without error", name)
		case len(err.Error())-len(path) > 300 || strings.Contains(err.Error(), "\n") || tooManyDigits.MatchString(err.Error()):
			t.Errorf("%s: an error of %d bytes quoting the pickle: %.300s…", name, len(err.Error()), err)
		case !strings.Contains(err.Error(), c.want):
			t.Errorf("%s: got %v, want an error with %q", name, err, c.want)
		}
	}
	// int64's extremes as text still pass, and the legacy format's magic number (a 10-byte LONG1)
	// is still read.
	for _, arg := range []string{"9223372036854775807", "-9223372036854775808L"} {
		if _, err := scanPickle(bufio.NewReader(bytes.NewReader(text('L', arg))), 100); err != nil {
			t.Errorf("LONG %s: %v", arg, err)
		}
	}
	if _, err := ReadPyTorch("testdata/"+fixtureWeightsLegacy, nil); err != nil {
		t.Error(err)
	}
}

// deflatedZip is a checkpoint whose storage "0" is n float32 zeros, deflated (64 MB take 64 KB),
// and whose tensor "w" is the first size[0] of them.
func deflatedZip(t testing.TB, n, size int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "archive/data.pkl", Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write(tensorPickle([]int{size}, []int{1}, 0, "FloatStorage", n))
	if w, err = zw.CreateHeader(&zip.FileHeader{Name: "archive/data/0", Method: zip.Deflate}); err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	for left := 4 * n; left > 0; left -= len(zeros) {
		_, _ = w.Write(zeros[:min(left, len(zeros))])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Issue 18, finding 7: a storage of 64 MB of deflated zeros (64 KB in the file) is read only as
// far as its tensor reaches, and refused when its tensors need more than 64 times its compressed
// size: it used to be read whole (a 1 MB file took 1 GB, a 4 MB one ran out of memory).
func TestDeflatedStorageReadOnlyAsFarAsNeeded(t *testing.T) {
	dir := t.TempDir()
	const n = 16 << 20 // 64 MB of float32
	small := writeFile(t, dir, "small-view.pth", deflatedZip(t, n, 4))
	var got map[string]Tensor
	var err error
	if a := rss.Allocated(func() { got, err = ReadPyTorch(small, nil) }); a > 4<<20 {
		t.Errorf("reading 4 floats of a 64 MB deflated storage allocated %d MB", a>>20)
	}
	if err != nil || !slices.Equal(got["w"].Shape, []int{4}) || !slices.Equal(got["w"].Data, make([]float32, 4)) {
		t.Errorf("small view: %v, %v", got, err)
	}

	whole := writeFile(t, dir, "whole-view.pth", deflatedZip(t, n, n))
	if a := rss.Allocated(func() { _, err = ReadPyTorch(whole, nil) }); a > 4<<20 {
		t.Errorf("refusing a 64 MB deflated storage allocated %d MB", a>>20)
	}
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "compressed up to 64:1") {
		t.Errorf("whole view: got %v, want a refusal of its compression ratio", err)
	}
}
