package weights

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"

	"github.com/estil-nst/estil/internal/atomicfile"
	"github.com/nlpodyssey/safetensors"
)

// Safetensors (https://github.com/huggingface/safetensors) is the compact format the features
// are kept in: an 8-byte little-endian header length, a JSON header giving each tensor's dtype,
// shape and byte range (plus free-form string metadata under "__metadata__"), then the raw
// little-endian data. Reading it executes nothing and validates everything.

// digestKey is the metadata entry holding [contentDigest] of the tensors, so that a damaged
// compact file is noticed even when its structure is intact.
const digestKey = "estil.sha256"

// Source is a tensor to write without a copy of it: its shape, and a function that hands its
// float32 values to emit in order, in chunks of any size. [WriteSafetensorsFrom] calls it twice:
// once for the content digest, which the header holds, then to write the values.
type Source struct {
	Shape  []int
	Values func(emit func([]float32) error) error
}

// WriteSafetensors writes tensors as float32 to a safetensors file, atomically (a temporary file
// renamed into place), with the given metadata plus a SHA-256 of the content that
// [ReadSafetensors] checks.
func WriteSafetensors(path string, tensors map[string]Tensor, metadata map[string]string) error {
	sources := make(map[string]Source, len(tensors))
	for name, t := range tensors {
		if len(t.Data) != t.Size() {
			return fmt.Errorf("writing %s: tensor %s has %d values for shape %v", path, name, len(t.Data), t.Shape)
		}
		sources[name] = Source{Shape: t.Shape, Values: func(emit func([]float32) error) error { return emit(t.Data) }}
	}
	return WriteSafetensorsFrom(path, sources, metadata)
}

// WriteSafetensorsFrom is [WriteSafetensors] for tensors that stay where they are (a checkpoint's
// image and optimizer state, hundreds of MB at 512 px): their values are converted and written a
// chunk at a time, so that writing takes a fixed 256 KB beyond them, not a copy of them all.
func WriteSafetensorsFrom(path string, tensors map[string]Source, metadata map[string]string) error {
	names := slices.Sorted(maps.Keys(tensors))
	wrap := func(err error) error { return fmt.Errorf("writing %s: %w", path, err) }

	// The content digest, in name order (contentDigest's definition), and each tensor's size.
	h := sha256.New()
	var buf []byte
	toBytes := func(part []float32) []byte {
		buf = slices.Grow(buf[:0], 4*len(part))[:4*len(part)]
		for i, v := range part {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
		}
		return buf
	}
	header := map[string]any{}
	var offset int64
	for _, name := range names {
		t := tensors[name]
		size := int64(1)
		for _, d := range t.Shape {
			size *= int64(d)
		}
		digestHeader(h, name, t.Shape)
		var n int64
		err := t.Values(func(values []float32) error {
			for start := 0; start < len(values); start += chunkValues {
				h.Write(toBytes(values[start:min(start+chunkValues, len(values))]))
			}
			n += int64(len(values))
			return nil
		})
		if err != nil {
			return wrap(err)
		}
		if n != size {
			return wrap(fmt.Errorf("tensor %s has %d values for shape %v", name, n, t.Shape))
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		header[name] = map[string]any{"dtype": "F32", "shape": shape, "data_offsets": []int64{offset, offset + 4*size}}
		offset += 4 * size
	}
	meta := map[string]string{"format": "pt"}
	maps.Copy(meta, metadata)
	meta[digestKey] = hex.EncodeToString(h.Sum(nil))
	header["__metadata__"] = meta
	head, err := json.Marshal(header)
	if err != nil {
		return wrap(err)
	}
	// The format pads the header with spaces to a multiple of 8 bytes.
	head = append(head, bytes.Repeat([]byte{' '}, (8-len(head)%8)%8)...)

	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return wrap(err)
	}
	err = atomicfile.Write(path, func(w io.Writer) error {
		var length [8]byte
		binary.LittleEndian.PutUint64(length[:], uint64(len(head)))
		if _, err := w.Write(append(length[:], head...)); err != nil {
			return err
		}
		for _, name := range names {
			err := tensors[name].Values(func(values []float32) error {
				for start := 0; start < len(values); start += chunkValues {
					if _, err := w.Write(toBytes(values[start:min(start+chunkValues, len(values))])); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return wrap(err)
	}
	return nil
}

// chunkValues is how many values a streaming writer converts at a time (256 KB).
const chunkValues = 1 << 16

// ReadSafetensors reads the tensors of a safetensors file whose names keep accepts (all if keep
// is nil), converting F32, F16, BF16 and F64 to float32, and returns them with the file's
// metadata. If the metadata holds a content digest (files written by [WriteSafetensors]) and
// keep is nil, it is checked. Errors call the file a weights file; errors for damaged files
// match [ErrCorrupt]. [OpenSafetensors] reads one tensor at a time, and can require the digest.
func ReadSafetensors(path string, keep func(name string) bool) (tensors map[string]Tensor, metadata map[string]string, err error) {
	defer func() {
		if p := recover(); p != nil {
			tensors, metadata, err = nil, nil, fileError(weightsFile, path, corruptf("reading crashed: %s", brief(fmt.Errorf("%v", p))))
		}
	}()
	f, err := OpenSafetensors(path, weightsFile)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	tensors = map[string]Tensor{}
	for _, name := range f.Names() {
		if keep != nil && !keep(name) {
			continue
		}
		t := Tensor{Shape: f.Shape(name)}
		t.Data = make([]float32, t.Size())
		if err := f.ReadInto(name, t.Data); err != nil {
			return nil, nil, err
		}
		tensors[name] = t
	}
	if keep == nil {
		if err := f.Verify(false); err != nil {
			return nil, nil, err
		}
	}
	return tensors, f.Metadata(), nil
}

// SafetensorsFile is an open safetensors file whose tensors are decoded one at a time, in
// chunks, straight into memory the caller provides: reading a file takes a fixed amount of
// memory beyond the tensors themselves (resuming a checkpoint took three times its size; issue
// 18, finding 13). Its header is bounded, parsed and checked against the file's size when it is
// opened, so that no read goes past what the header declares.
type SafetensorsFile struct {
	f          *os.File
	what, path string
	dataStart  int64 // where the tensors' bytes begin: after the length field and the header
	metadata   map[string]string
	tensors    map[string]stTensor
	names      []string // sorted

	// The content digest over the tensors read so far; next is the index in names of the one
	// it expects next, ordered false once a tensor was read out of that order.
	digest  hash.Hash
	next    int
	ordered bool

	raw, out []byte // chunk buffers: bytes read, and float32 bytes to hash
}

// stTensor is one tensor of a safetensors header, checked.
type stTensor struct {
	dtype      safetensors.DType
	shape      []int
	numel      int
	begin, end int64 // byte range in the data section
}

// OpenSafetensors opens a safetensors file for [SafetensorsFile.ReadInto]; what is what the file
// is in error messages ("weights file", the default, or "checkpoint"). The file must be a regular file (a FIFO
// or a device like /dev/zero is refused) whose header is at most 1 MB and describes tensors that
// fill the rest of the file exactly. Errors for damaged files match [ErrCorrupt].
func OpenSafetensors(path, what string) (*SafetensorsFile, error) {
	if what == "" {
		what = weightsFile
	}
	f, fi, err := openRegular(path)
	if err != nil {
		return nil, fileError(what, path, err)
	}
	s := &SafetensorsFile{f: f, what: what, path: path, digest: sha256.New(), ordered: true}
	if err := s.readHeader(fi.Size()); err != nil {
		f.Close()
		return nil, fileError(what, path, err)
	}
	return s, nil
}

// maxSafetensorsHeader bounds a safetensors file's JSON header: a VGG19's is about 3 KB, and the
// safetensors package itself allows 100 MB, which json.Unmarshal turns into gigabytes (issue 10,
// finding 5).
const maxSafetensorsHeader = 1 << 20

// readHeader reads and checks the length field and the header of a file of size bytes.
func (s *SafetensorsFile) readHeader(size int64) error {
	var length [8]byte
	if _, err := io.ReadFull(s.f, length[:]); err != nil {
		return corruptf("no header length (%v)", eofIsUnexpected(err))
	}
	n := binary.LittleEndian.Uint64(length[:])
	if n > maxSafetensorsHeader {
		return corruptf("its header claims %d bytes; estil reads headers of up to %d", n, maxSafetensorsHeader)
	}
	if int64(n) > size-8 {
		return corruptf("its header claims %d bytes of a file of %d", n, size)
	}
	header := make([]byte, n)
	if _, err := io.ReadFull(s.f, header); err != nil {
		return corruptf("its header: %v", eofIsUnexpected(err))
	}
	var meta safetensors.Metadata // the safetensors package parses the JSON; the checks are here
	if err := json.Unmarshal(header, &meta); err != nil {
		return corruptf("its header: %s", brief(err))
	}
	s.dataStart = 8 + int64(n)
	s.metadata = meta.Metadata()
	s.tensors = map[string]stTensor{}
	type span struct {
		name       string
		begin, end uint64
	}
	var spans []span
	for name, info := range meta.Tensors() {
		t, err := checkTensorInfo(info)
		if err != nil {
			return corruptf("tensor %s: %v", shown(name), err)
		}
		s.tensors[name] = t
		s.names = append(s.names, name)
		spans = append(spans, span{name, info.DataOffsets[0], info.DataOffsets[1]})
	}
	sort.Strings(s.names)
	// The tensors' byte ranges must tile the data section, which must end where the file does.
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.begin, b.begin) })
	var at uint64
	for _, sp := range spans {
		if sp.begin != at || sp.end < sp.begin || sp.end > uint64(size-s.dataStart) {
			return corruptf("tensor %s: its data offsets [%d, %d] leave a gap, overlap or run past the end", shown(sp.name), sp.begin, sp.end)
		}
		if want := s.tensors[sp.name]; uint64(want.numel)*want.dtype.Size() != sp.end-sp.begin {
			return corruptf("tensor %s: its data offsets [%d, %d] do not fit its shape %v", shown(sp.name), sp.begin, sp.end, want.shape)
		}
		t := s.tensors[sp.name]
		t.begin, t.end = int64(sp.begin), int64(sp.end)
		s.tensors[sp.name] = t
		at = sp.end
	}
	if int64(at) != size-s.dataStart {
		return corruptf("its header declares %d bytes of tensors, the file holds %d", at, size-s.dataStart)
	}
	return nil
}

// checkTensorInfo checks a tensor's shape: at most maxDims dimensions and maxElements values.
func checkTensorInfo(info *safetensors.TensorInfo) (stTensor, error) {
	if len(info.Shape) > maxDims {
		return stTensor{}, fmt.Errorf("%d dimensions (estil reads tensors of up to %d)", len(info.Shape), maxDims)
	}
	t := stTensor{dtype: info.DType, shape: make([]int, len(info.Shape)), numel: 1}
	for i, d := range info.Shape {
		if d > maxElements || (d > 0 && uint64(t.numel) > maxElements/d) {
			return stTensor{}, fmt.Errorf("shape %v is too large", info.Shape)
		}
		t.shape[i] = int(d)
		t.numel *= int(d)
	}
	return t, nil
}

// Metadata returns the file's free-form string metadata.
func (s *SafetensorsFile) Metadata() map[string]string { return s.metadata }

// Names returns the names of the file's tensors, sorted: the order [SafetensorsFile.ReadInto]
// must follow for [SafetensorsFile.Verify] to check the content digest.
func (s *SafetensorsFile) Names() []string { return slices.Clone(s.names) }

// Shape returns the shape of the tensor called name (nil if there is none).
func (s *SafetensorsFile) Shape(name string) []int {
	t, ok := s.tensors[name]
	if !ok {
		return nil
	}
	return slices.Clone(t.shape)
}

// stChunk is how many bytes ReadInto reads at a time.
const stChunk = 256 << 10

// ReadInto decodes the tensor called name (F32, F16, BF16 or F64) into dst, which must hold
// exactly its values, reading the file in chunks of 256 KB. Tensors read in the order of
// [SafetensorsFile.Names] are added to the content digest as they are read.
func (s *SafetensorsFile) ReadInto(name string, dst []float32) error {
	t, ok := s.tensors[name]
	switch {
	case !ok:
		return fileError(s.what, s.path, fmt.Errorf("no tensor %s", shown(name)))
	case len(dst) != t.numel:
		return fileError(s.what, s.path, fmt.Errorf("tensor %s has %d values, not %d", shown(name), t.numel, len(dst)))
	}
	var dt dtype
	switch t.dtype {
	case safetensors.F32:
		dt = dtFloat32
	case safetensors.F16:
		dt = dtFloat16
	case safetensors.BF16:
		dt = dtBFloat16
	case safetensors.F64:
		dt = dtFloat64
	default:
		return fileError(s.what, s.path, fmt.Errorf("tensor %s is %v; only floating-point tensors are read", shown(name), t.dtype))
	}
	digest := s.ordered && s.next < len(s.names) && s.names[s.next] == name
	if digest {
		digestHeader(s.digest, name, t.shape)
		s.next++
	} else {
		s.ordered = false
	}
	decode, _ := decoder(dt)
	es := int64(dt.size())
	n := min(stChunk, t.end-t.begin) // bytes a chunk holds: a multiple of es
	if int64(len(s.raw)) < n {
		s.raw = make([]byte, n)
	}
	i := 0 // next value of dst
	for at := t.begin; at < t.end; {
		chunk := s.raw[:min(n, t.end-at)]
		if _, err := s.f.ReadAt(chunk, s.dataStart+at); err != nil {
			return fileError(s.what, s.path, corruptf("tensor %s: %v", shown(name), eofIsUnexpected(err)))
		}
		at += int64(len(chunk))
		part := dst[i : i+len(chunk)/int(es)]
		for j := range part {
			part[j] = decode(chunk[j*int(es):])
		}
		i += len(part)
		if !digest {
			continue
		}
		// The digest is over float32 values: an F32 chunk is already their bytes.
		if dt != dtFloat32 {
			if len(s.out) < 4*len(part) {
				s.out = make([]byte, 4*len(part))
			}
			chunk = s.out[:4*len(part)]
			for j, v := range part {
				binary.LittleEndian.PutUint32(chunk[4*j:], math.Float32bits(v))
			}
		}
		s.digest.Write(chunk)
	}
	return nil
}

// Verify checks the content digest of the file's metadata ([WriteSafetensors] writes it) against
// the tensors read, which must be all of them, in the order of [SafetensorsFile.Names]. A file
// without a digest passes unless requireDigest (estil writes one in every file it makes).
func (s *SafetensorsFile) Verify(requireDigest bool) error {
	want, ok := s.metadata[digestKey]
	switch {
	case !ok && requireDigest:
		return fileError(s.what, s.path, corruptf("its metadata holds no content digest (%s), which estil writes in every file it makes", digestKey))
	case !ok:
		return nil
	case !s.ordered || s.next != len(s.names):
		return fileError(s.what, s.path, fmt.Errorf("the content digest covers every tensor, read in name order; %d of %d were", s.next, len(s.names)))
	}
	if got := hex.EncodeToString(s.digest.Sum(nil)); got != want {
		return fileError(s.what, s.path, corruptf("content digest %.12s…, the header says %.12s…", got, want))
	}
	return nil
}

// Close closes the file.
func (s *SafetensorsFile) Close() error { return s.f.Close() }

// contentDigest is a SHA-256 over the tensors' names, shapes and float32 values, in name order;
// it does not depend on how a file lays them out. [SafetensorsFile] computes the same as it reads.
func contentDigest(tensors map[string]Tensor) string {
	names := make([]string, 0, len(tensors))
	for name := range tensors {
		names = append(names, name)
	}
	sort.Strings(names)
	h := sha256.New()
	var buf []byte
	for _, name := range names {
		t := tensors[name]
		digestHeader(h, name, t.Shape)
		const chunk = 1 << 14
		for start := 0; start < len(t.Data); start += chunk {
			part := t.Data[start:min(start+chunk, len(t.Data))]
			buf = slices.Grow(buf[:0], 4*len(part))[:4*len(part)]
			for i, v := range part {
				binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
			}
			h.Write(buf)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// digestHeader adds what the content digest holds of a tensor before its values: its name and
// shape.
func digestHeader(h hash.Hash, name string, shape []int) {
	buf := append([]byte(name), 0)
	for _, d := range shape {
		buf = strconv.AppendInt(buf, int64(d), 10)
		buf = append(buf, ',')
	}
	h.Write(append(buf, 0))
}
