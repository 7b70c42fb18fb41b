package weights

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"sort"
	"strings"

	"github.com/nlpodyssey/gopickle/types"
)

// Reading PyTorch checkpoints (torch.save of a state dict) without trusting them.
//
// Both formats pickle the state dict with tensors reduced to
// torch._utils._rebuild_tensor_v2(storage, offset, size, stride, …) (or the older
// _rebuild_tensor), where storage is a "persistent id" ('storage', torch.FloatStorage, key,
// location, numel[, view]) that the pickle only names; the bytes live elsewhere:
//
//   - zip format (torch ≥ 1.6): <dir>/data.pkl is the pickle, <dir>/data/<key> each storage's raw
//     little-endian bytes.
//   - legacy format: five pickles in a row (magic number, protocol version 1001, system info, the
//     state dict, the list of storage keys), then each storage as an int64 element count and its
//     raw bytes, in the order of that list.

// dtype is a PyTorch storage element type.
type dtype int

const (
	dtFloat32 dtype = iota
	dtFloat16
	dtBFloat16
	dtFloat64
	dtInt64
	dtInt32
	dtInt16
	dtInt8
	dtUint8
	dtBool
)

var dtypeInfo = []struct {
	storage string // torch.<storage>
	name    string
	size    int
}{
	dtFloat32:  {"FloatStorage", "float32", 4},
	dtFloat16:  {"HalfStorage", "float16", 2},
	dtBFloat16: {"BFloat16Storage", "bfloat16", 2},
	dtFloat64:  {"DoubleStorage", "float64", 8},
	dtInt64:    {"LongStorage", "int64", 8},
	dtInt32:    {"IntStorage", "int32", 4},
	dtInt16:    {"ShortStorage", "int16", 2},
	dtInt8:     {"CharStorage", "int8", 1},
	dtUint8:    {"ByteStorage", "uint8", 1},
	dtBool:     {"BoolStorage", "bool", 1},
}

func (d dtype) size() int      { return dtypeInfo[d].size }
func (d dtype) String() string { return dtypeInfo[d].name }

// ReadPyTorch reads a PyTorch checkpoint (zip or legacy format) holding a state dict and returns
// the tensors whose names keep accepts (all if keep is nil), converted to float32. It reads the
// bytes of the wanted tensors only. Errors for damaged files match [ErrCorrupt]; a pickle
// naming anything but what a state dict needs gives an [UnsafeClassError].
func ReadPyTorch(path string, keep func(name string) bool) (tensors map[string]Tensor, err error) {
	defer func() {
		if p := recover(); p != nil {
			tensors, err = nil, corruptf("reading crashed: %s", brief(fmt.Errorf("%v", p)))
		}
		if err != nil {
			err = fileError(weightsFile, path, err)
		}
	}()
	f, info, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var head [512]byte
	n, _ := io.ReadFull(f, head[:])
	switch {
	case n >= 4 && string(head[:4]) == "PK\x03\x04":
		return readZip(f, info.Size(), keep)
	case n >= 2 && head[0] == 0x80: // a pickle's PROTO opcode
		return readLegacy(f, info.Size(), keep)
	case n >= 262 && string(head[257:262]) == "ustar":
		return nil, fmt.Errorf("it is in PyTorch's oldest tar-based format (torch < 0.1.10), which is not supported; re-save it with a newer torch")
	case n == 0:
		return nil, corruptf("empty file")
	default:
		return nil, corruptf("not a PyTorch checkpoint (neither a zip archive nor a pickle)")
	}
}

func readZip(f *os.File, size int64, keep func(string) bool) (map[string]Tensor, error) {
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return nil, corruptf("%v", err)
	}
	entries := map[string]*zip.File{}
	var pkl *zip.File
	for _, e := range zr.File {
		// The directory's sizes are only claims; an entry's compressed bytes must fit in the file,
		// or the deflate bound below (1032 × compressed) would let a few hundred bytes ask for
		// gigabytes (issue 10, finding 4).
		if e.CompressedSize64 > uint64(size) {
			return nil, corruptf("zip entry %s claims %d compressed bytes in a file of %d", shown(e.Name), e.CompressedSize64, size)
		}
		entries[e.Name] = e
		if (e.Name == "data.pkl" || strings.HasSuffix(e.Name, "/data.pkl")) && (pkl == nil || len(e.Name) < len(pkl.Name)) {
			pkl = e
		}
	}
	if pkl == nil {
		return nil, corruptf("zip archive without data.pkl: not a PyTorch checkpoint")
	}
	dir := strings.TrimSuffix(pkl.Name, "data.pkl")
	if entries[dir+"constants.pkl"] != nil {
		return nil, fmt.Errorf("it is a TorchScript archive, not a state dict saved with torch.save")
	}
	if bo := entries[dir+"byteorder"]; bo != nil {
		if bo.UncompressedSize64 > 16 {
			return nil, corruptf("byteorder record of %d bytes", bo.UncompressedSize64)
		}
		b, err := readEntry(bo, int(bo.UncompressedSize64))
		if err != nil {
			return nil, err
		}
		if string(b) != "little" {
			return nil, fmt.Errorf("its tensors are stored %q-endian; only little-endian is supported", b)
		}
	}
	if pkl.UncompressedSize64 > maxPickleSize || (pkl.Method == zip.Store && pkl.UncompressedSize64 > uint64(size)) {
		return nil, corruptf("data.pkl is %d bytes", pkl.UncompressedSize64)
	}
	p, err := readEntry(pkl, int(pkl.UncompressedSize64))
	if err != nil {
		return nil, err
	}
	storages := map[string]*storageRef{}
	top, err := unpickle(bufio.NewReader(bytes.NewReader(p)), len(p), func(pid any) (any, error) {
		return storageFromPID(pid, storages, false)
	})
	if err != nil {
		return nil, err
	}
	refs, err := stateDict(top, keep)
	if err != nil {
		return nil, err
	}
	reach, err := plan(refs)
	if err != nil {
		return nil, err
	}
	data := map[string][]byte{}
	for _, ref := range refs {
		key := ref.storage.key
		if _, done := data[key]; done {
			continue
		}
		e := entries[dir+"data/"+key]
		if e == nil {
			return nil, corruptf("storage %s missing from the archive", shown(key))
		}
		es := uint64(ref.storage.dt.size())
		nbytes := uint64(ref.storage.numel) * es // numel ≤ maxElements: no overflow
		// Bounded by the file, or by deflate's largest ratio (1032:1) if compressed.
		if e.UncompressedSize64 < nbytes || (e.Method == zip.Store && nbytes > uint64(size)) || nbytes > 1032*e.CompressedSize64+1024 {
			return nil, corruptf("storage %s has %d bytes, want %d", shown(key), e.UncompressedSize64, nbytes)
		}
		// Only the part the kept tensors reach is read (issue 18, finding 7: a storage of deflated
		// zeros was read whole, 1 GB from a 1 MB file, however little of it a tensor used).
		need := uint64(reach[key]) * es
		if e.Method != zip.Store && need > maxInflation*e.CompressedSize64+inflationSlack {
			return nil, corruptf("storage %s: its tensors need %d bytes from %d deflated ones (estil reads storages compressed up to %d:1; torch.save does not compress them)",
				shown(key), need, e.CompressedSize64, maxInflation)
		}
		if data[key], err = readEntry(e, int(need)); err != nil {
			return nil, err
		}
	}
	return materialize(refs, data)
}

// A storage deflated inside the zip may expand at most maxInflation times (plus inflationSlack,
// for small tensors of zeros such as untrained biases), so that a file's memory stays within a
// small multiple of its size. torch.save stores storages uncompressed; a re-zipped tensor of
// trained weights shrinks by a few percent, one of zeros by deflate's 1032:1.
const (
	maxInflation   = 64
	inflationSlack = 1 << 20
)

// readEntry reads the first n bytes of a zip entry; when that is the whole entry, the zip
// reader also checks its CRC-32.
func readEntry(e *zip.File, n int) ([]byte, error) {
	rc, err := e.Open()
	if err != nil {
		return nil, corruptf("%s: %v", shown(e.Name), err)
	}
	defer rc.Close()
	b := make([]byte, n)
	if _, err := io.ReadFull(rc, b); err != nil {
		return nil, corruptf("%s: %v", shown(e.Name), err)
	}
	if uint64(n) == e.UncompressedSize64 {
		var one [1]byte
		if _, err := rc.Read(one[:]); err != io.EOF {
			if err == nil {
				err = fmt.Errorf("longer than announced")
			}
			return nil, corruptf("%s: %v", shown(e.Name), err)
		}
	}
	return b, nil
}

// legacyMagic is the first pickle of a legacy checkpoint.
var legacyMagic, _ = new(big.Int).SetString("1950a86a20f9469cfc6c", 16)

// countingReader counts the bytes read from r.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func readLegacy(f *os.File, size int64, keep func(string) bool) (map[string]Tensor, error) {
	cr := &countingReader{r: io.NewSectionReader(f, 0, size)}
	br := bufio.NewReader(cr)
	load := func(what string, pl func(any) (any, error)) (any, error) {
		// What is left of the file bounds the pickle.
		v, err := unpickle(br, int(size-(cr.n-int64(br.Buffered()))), pl)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		return v, nil
	}
	magic, err := load("magic number", nil)
	if err != nil {
		return nil, err
	}
	if m, ok := magic.(*big.Int); !ok || m.Cmp(legacyMagic) != 0 {
		return nil, corruptf("a pickle, but not a PyTorch checkpoint (no magic number)")
	}
	proto, err := load("protocol version", nil)
	if err != nil {
		return nil, err
	}
	if p, ok := toInt(proto); !ok || p != 1001 {
		return nil, fmt.Errorf("unsupported legacy protocol version %s", describe(proto))
	}
	sysInfo, err := load("system info", nil)
	if err != nil {
		return nil, err
	}
	if d, ok := sysInfo.(*types.Dict); ok {
		if le, found := d.Get("little_endian"); found && le != true {
			return nil, fmt.Errorf("it was saved on a big-endian machine; only little-endian is supported")
		}
	}
	storages := map[string]*storageRef{}
	top, err := load("state dict", func(pid any) (any, error) { return storageFromPID(pid, storages, true) })
	if err != nil {
		return nil, err
	}
	rawKeys, err := load("storage keys", nil)
	if err != nil {
		return nil, err
	}
	keyList, ok := rawKeys.(*types.List)
	if !ok {
		return nil, corruptf("storage keys are %T, not a list", rawKeys)
	}
	refs, err := stateDict(top, keep)
	if err != nil {
		return nil, err
	}

	// Walk the storages: an int64 element count, then the bytes; read only the needed ones.
	pos := cr.n - int64(br.Buffered())
	offsets := map[string]int64{}
	for _, k := range *keyList {
		key, ok := k.(string)
		if !ok {
			return nil, corruptf("a storage key is %s, not a string", describe(k))
		}
		ref := storages[key]
		if ref == nil {
			return nil, corruptf("storage %s is stored but never used", shown(key))
		}
		var hdr [8]byte
		if _, err := f.ReadAt(hdr[:], pos); err != nil {
			return nil, corruptf("storage %s: %v", shown(key), eofIsUnexpected(err))
		}
		numel := binary.LittleEndian.Uint64(hdr[:])
		if numel != uint64(ref.numel) {
			return nil, corruptf("storage %s has %d elements, the pickle says %d", shown(key), numel, ref.numel)
		}
		nbytes := int64(numel) * int64(ref.dt.size())
		if pos+8+nbytes > size {
			return nil, corruptf("storage %s ends at byte %d, past the end of the file (%d bytes)", shown(key), pos+8+nbytes, size)
		}
		offsets[key] = pos + 8
		pos += 8 + nbytes
	}
	reach, err := plan(refs)
	if err != nil {
		return nil, err
	}
	data := map[string][]byte{}
	for key, n := range reach {
		off, ok := offsets[key]
		if !ok {
			return nil, corruptf("storage %s is used but not stored", shown(key))
		}
		b := make([]byte, n*storages[key].dt.size())
		if _, err := f.ReadAt(b, off); err != nil {
			return nil, corruptf("storage %s: %v", shown(key), eofIsUnexpected(err))
		}
		data[key] = b
	}
	return materialize(refs, data)
}

func eofIsUnexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// stateDict finds the wanted tensors in the unpickled object: a dict or OrderedDict from names
// to tensors (possibly under "state_dict", and with DataParallel's "module." prefix).
func stateDict(top any, keep func(string) bool) (map[string]*tensorRef, error) {
	entries, ok := dictEntries(top)
	if !ok {
		return nil, fmt.Errorf("it holds a %T, not a state dict", top)
	}
	for _, e := range entries {
		if e.key == "state_dict" {
			if inner, ok := dictEntries(e.value); ok {
				entries = inner
				break
			}
		}
	}
	refs := map[string]*tensorRef{}
	for _, e := range entries {
		name := e.key
		if _, isTensor := e.value.(*tensorRef); isTensor {
			name = strings.TrimPrefix(name, "module.")
		}
		if keep != nil && !keep(name) {
			continue
		}
		t, ok := e.value.(*tensorRef)
		if !ok && keep == nil {
			continue // e.g. an "epoch" number next to the tensors
		}
		if !ok {
			return nil, fmt.Errorf("state dict entry %s is a %T, not a tensor", shown(name), e.value)
		}
		refs[name] = t
	}
	return refs, nil
}

type entry struct {
	key   string
	value any
}

func dictEntries(v any) ([]entry, bool) {
	var out []entry
	switch d := v.(type) {
	case *types.OrderedDict:
		for el := d.List.Front(); el != nil; el = el.Next() {
			e := el.Value.(*types.OrderedDictEntry)
			if k, ok := e.Key.(string); ok {
				out = append(out, entry{k, e.Value})
			}
		}
	case *types.Dict:
		for _, e := range *d {
			if k, ok := e.Key.(string); ok {
				out = append(out, entry{k, e.Value})
			}
		}
	default:
		return nil, false
	}
	return out, true
}

// plan checks the tensor references against their storages before any byte is read, and
// returns how many elements of each root storage they reach (by key): only those are read.
func plan(refs map[string]*tensorRef) (map[string]int, error) {
	names := sortedNames(refs)
	// A budget for the whole file: the tensors may hold at most twice the elements the file's
	// storages store (a storage may be shared by a few views), so that memory stays bounded by the
	// file's size however many tensors view the same bytes (issue 10, finding 1).
	stored, seen := 0, map[string]bool{}
	for _, r := range refs {
		if !seen[r.storage.key] {
			seen[r.storage.key] = true
			stored += r.storage.numel
		}
	}
	declared := 0
	for _, name := range names {
		declared += refs[name].elements()
		if declared > 2*stored {
			return nil, corruptf("its tensors declare more than %d elements, over twice the %d its storages store", declared, stored)
		}
	}
	reach := map[string]int{}
	for _, name := range names {
		r := refs[name]
		n, last, err := r.extent()
		if err != nil {
			return nil, fmt.Errorf("tensor %s: %w", shown(name), err)
		}
		end := 0
		if n > 0 {
			end = r.storage.viewOffset + last + 1
		}
		reach[r.storage.key] = max(reach[r.storage.key], end)
	}
	return reach, nil
}

func sortedNames(refs map[string]*tensorRef) []string {
	names := make([]string, 0, len(refs))
	for name := range refs {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// materialize turns tensor references, checked by plan, into dense float32 tensors, honouring
// sizes, strides and offsets (views, transposes and shared storages come out as independent
// dense copies). data holds the bytes of each root storage that plan said the tensors reach.
func materialize(refs map[string]*tensorRef, data map[string][]byte) (map[string]Tensor, error) {
	out := make(map[string]Tensor, len(refs))
	for _, name := range sortedNames(refs) {
		t, err := refs[name].dense(data[refs[name].storage.key])
		if err != nil {
			return nil, fmt.Errorf("tensor %s: %w", shown(name), err)
		}
		out[name] = t
	}
	return out, nil
}

// maxElements bounds a tensor's size (16 Gi elements), so that a damaged size cannot overflow.
const maxElements = 1 << 34

// elements is the number of values r declares (its sizes' product), capped just above
// maxElements; a negative size counts as 0 (extent refuses it).
func (r *tensorRef) elements() int {
	n := 1
	for _, s := range r.size {
		if s <= 0 {
			return 0
		}
		if n > (maxElements+1)/s {
			return maxElements + 1
		}
		n *= s
	}
	return n
}

// extent checks r against its storage (view) and returns the number of values it holds and the
// largest element index it reads, counted from the start of the view.
func (r *tensorRef) extent() (n, last int, err error) {
	st := r.storage
	if _, err := decoder(st.dt); err != nil {
		return 0, 0, err
	}
	n, last = 1, r.offset
	if r.offset > maxElements {
		return 0, 0, corruptf("storage offset %d too large", r.offset)
	}
	for d, s := range r.size {
		stride := r.stride[d]
		if s < 0 || stride < 0 {
			return 0, 0, corruptf("size %v / stride %v", r.size, r.stride)
		}
		if s == 0 {
			n = 0
			continue
		}
		if s > maxElements || n > maxElements/s || stride > maxElements ||
			(stride > 0 && s-1 > (maxElements-last)/stride) {
			return 0, 0, corruptf("size %v / stride %v too large", r.size, r.stride)
		}
		n *= s
		last += (s - 1) * stride
	}
	if n > 0 && last >= st.viewSize {
		return 0, 0, corruptf("size %v, stride %v and offset %d reach element %d of a storage of %d",
			r.size, r.stride, r.offset, last, st.viewSize)
	}
	// A tensor may not hold more values than its storage stores: zero or overlapping strides would
	// let a few stored bytes ask for gigabytes (issue 10, finding 1). State dicts have none.
	if n > st.viewSize {
		return 0, 0, corruptf("size %v and stride %v declare %d elements over a storage of %d (zero or overlapping strides)",
			r.size, r.stride, n, st.viewSize)
	}
	return n, last, nil
}

// dense copies r's values out of raw, the first bytes of its root storage (at least as far as r
// reaches).
func (r *tensorRef) dense(raw []byte) (Tensor, error) {
	st := r.storage
	n, last, err := r.extent()
	if err != nil {
		return Tensor{}, err
	}
	decode, _ := decoder(st.dt)
	es, base := st.dt.size(), st.viewOffset+r.offset
	if n > 0 && len(raw) < (st.viewOffset+last+1)*es {
		return Tensor{}, corruptf("storage %s: %d bytes read, the tensor reaches byte %d", shown(st.key), len(raw), (st.viewOffset+last+1)*es)
	}
	t := Tensor{Shape: append([]int{}, r.size...), Data: make([]float32, n)}
	if n == 0 {
		return t, nil
	}
	contiguous, want := true, 1
	for d := len(r.size) - 1; d >= 0; d-- {
		if r.size[d] != 1 && r.stride[d] != want {
			contiguous = false
		}
		want *= r.size[d]
	}
	if contiguous {
		if st.dt == dtFloat32 {
			src := raw[base*es : (base+n)*es]
			for i := range t.Data {
				t.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
			}
		} else {
			for i := range t.Data {
				t.Data[i] = decode(raw[(base+i)*es:])
			}
		}
		return t, nil
	}
	// General strided walk: idx is the multi-index, src the element it maps to.
	idx := make([]int, len(r.size))
	src := base
	for i := range t.Data {
		t.Data[i] = decode(raw[src*es:])
		for d := len(idx) - 1; d >= 0; d-- {
			idx[d]++
			src += r.stride[d]
			if idx[d] < r.size[d] {
				break
			}
			src -= idx[d] * r.stride[d]
			idx[d] = 0
		}
	}
	return t, nil
}

// decoder returns a function converting one little-endian element to float32.
func decoder(dt dtype) (func([]byte) float32, error) {
	switch dt {
	case dtFloat32:
		return func(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) }, nil
	case dtFloat16:
		return func(b []byte) float32 { return float16ToFloat32(binary.LittleEndian.Uint16(b)) }, nil
	case dtBFloat16:
		return func(b []byte) float32 { return math.Float32frombits(uint32(binary.LittleEndian.Uint16(b)) << 16) }, nil
	case dtFloat64:
		return func(b []byte) float32 { return float32(math.Float64frombits(binary.LittleEndian.Uint64(b))) }, nil
	}
	return nil, fmt.Errorf("it is %s; only floating-point tensors are read", dt)
}

// float16ToFloat32 converts an IEEE 754 half-precision value exactly.
func float16ToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf, NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp == 0: // zero, subnormal: frac · 2^-24
		v := float32(frac) * (1.0 / (1 << 24))
		if sign != 0 {
			v = -v
		}
		return v
	default:
		return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
	}
}
