package weights

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
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

// f32View presents a Tensor to the safetensors serializer.
type f32View struct {
	shape []uint64
	data  []byte
}

func (v f32View) DType() safetensors.DType { return safetensors.F32 }
func (v f32View) Shape() []uint64          { return v.shape }
func (v f32View) Data() []byte             { return v.data }
func (v f32View) DataLen() uint64          { return uint64(len(v.data)) }

func f32Bytes(data []float32) []byte {
	b := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

// WriteSafetensors writes tensors as float32 to a safetensors file, atomically (a temporary file
// renamed into place), with the given metadata plus a SHA-256 of the content that
// [ReadSafetensors] checks.
func WriteSafetensors(path string, tensors map[string]Tensor, metadata map[string]string) error {
	views := make(map[string]f32View, len(tensors))
	for name, t := range tensors {
		if len(t.Data) != t.Size() {
			return fmt.Errorf("writing %s: tensor %s has %d values for shape %v", path, name, len(t.Data), t.Shape)
		}
		shape := make([]uint64, len(t.Shape))
		for i, d := range t.Shape {
			shape[i] = uint64(d)
		}
		views[name] = f32View{shape: shape, data: f32Bytes(t.Data)}
	}
	meta := map[string]string{"format": "pt"}
	for k, v := range metadata {
		meta[k] = v
	}
	meta[digestKey] = contentDigest(tensors)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	err := atomicfile.Write(path, func(w io.Writer) error {
		return safetensors.SerializeToWriter(views, meta, w)
	})
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// ReadSafetensors reads the tensors of a safetensors file whose names keep accepts (all if keep
// is nil), converting F32, F16, BF16 and F64 to float32, and returns them with the file's
// metadata. If the metadata holds a content digest (files written by [WriteSafetensors]), it is
// checked. Errors for damaged files match [ErrCorrupt].
func ReadSafetensors(path string, keep func(name string) bool) (tensors map[string]Tensor, metadata map[string]string, err error) {
	defer func() {
		if p := recover(); p != nil {
			tensors, metadata, err = nil, nil, corruptf("reading crashed: %v", p)
		}
		if err != nil {
			err = fileError(weightsFile, path, err)
		}
	}()
	if err := checkSafetensorsHeader(path); err != nil {
		return nil, nil, err
	}
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	// The header is parsed once; the tensors are slices of buf after it.
	headerLen, meta, err := safetensors.ReadMetadata(buf)
	if err != nil {
		return nil, nil, corruptf("%v", err)
	}
	body := buf[8+headerLen:]
	metadata = meta.Metadata()
	tensors = map[string]Tensor{}
	for name, info := range meta.Tensors() {
		if keep != nil && !keep(name) {
			continue
		}
		t := Tensor{Shape: make([]int, len(info.Shape))}
		for i, d := range info.Shape {
			if d > maxElements {
				return nil, nil, corruptf("tensor %s has shape %v", name, info.Shape)
			}
			t.Shape[i] = int(d)
		}
		var dt dtype
		switch info.DType {
		case safetensors.F32:
			dt = dtFloat32
		case safetensors.F16:
			dt = dtFloat16
		case safetensors.BF16:
			dt = dtBFloat16
		case safetensors.F64:
			dt = dtFloat64
		default:
			return nil, nil, fmt.Errorf("tensor %s is %v; only floating-point tensors are read", name, info.DType)
		}
		decode, _ := decoder(dt)
		raw, es := body[info.DataOffsets[0]:info.DataOffsets[1]], dt.size() // ReadMetadata checked the offsets
		t.Data = make([]float32, len(raw)/es)
		for i := range t.Data {
			t.Data[i] = decode(raw[i*es:])
		}
		tensors[name] = t
	}
	if want, ok := metadata[digestKey]; ok && keep == nil {
		if got := contentDigest(tensors); got != want {
			return nil, nil, corruptf("content digest %.12s…, the header says %.12s…", got, want)
		}
	}
	return tensors, metadata, nil
}

// contentDigest is a SHA-256 over the tensors' names, shapes and float32 values, in name order;
// it does not depend on how a file lays them out.
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
		buf = append(buf[:0], name...)
		buf = append(buf, 0)
		for _, d := range t.Shape {
			buf = strconv.AppendInt(buf, int64(d), 10)
			buf = append(buf, ',')
		}
		buf = append(buf, 0)
		h.Write(buf)
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

// maxSafetensorsHeader bounds a safetensors file's JSON header: a VGG19's is about 3 KB, and the
// safetensors package itself allows 100 MB, which json.Unmarshal turns into gigabytes (issue 10,
// finding 5).
const maxSafetensorsHeader = 1 << 20

// checkSafetensorsHeader refuses a file whose header length field is over maxSafetensorsHeader,
// before the file is read.
func checkSafetensorsHeader(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var length [8]byte
	if _, err := io.ReadFull(f, length[:]); err != nil {
		return corruptf("no header length (%v)", err)
	}
	if n := binary.LittleEndian.Uint64(length[:]); n > maxSafetensorsHeader {
		return corruptf("its header claims %d bytes; estil reads headers of up to %d", n, maxSafetensorsHeader)
	}
	return nil
}
