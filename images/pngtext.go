package images

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"os"

	"github.com/estil-nst/estil/internal/atomicfile"
)

// pngSignature opens every PNG file.
const pngSignature = "\x89PNG\r\n\x1a\n"

// SavePNGText is SavePNG with a tEXt chunk key = value after the header: a note that travels
// with the picture (estil's batches record there the digest of the settings and inputs that
// made it, so that a resumed batch knows which frames are done; see PNGText). key is 1 to 79
// printable Latin-1 characters, value any text without a NUL.
func SavePNGText(path string, img image.Image, key, value string) error {
	chunk, err := textChunk(key, value)
	if err != nil {
		return fmt.Errorf("image %q: %w", path, err)
	}
	// The encoder writes the whole file at once; the chunk goes in after IHDR, so the picture is
	// encoded to memory first (its compressed size, less than the pixels it was made from).
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("image %q: cannot encode PNG: %w", path, err)
	}
	encoded := buf.Bytes()
	headerEnd := len(pngSignature) + 8 + 13 + 4 // the signature and IHDR (13 bytes of data)
	err = atomicfile.Write(path, func(w io.Writer) error {
		for _, part := range [][]byte{encoded[:headerEnd], chunk, encoded[headerEnd:]} {
			if _, err := w.Write(part); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("image %q cannot be written: %w", path, explainCreate(err))
	}
	return nil
}

// textChunk is a PNG tEXt chunk: length, type, key NUL value, CRC of type and data.
func textChunk(key, value string) ([]byte, error) {
	if len(key) < 1 || len(key) > 79 {
		return nil, fmt.Errorf("a PNG text key has 1 to 79 characters, got %d", len(key))
	}
	if bytes.IndexByte([]byte(key+value), 0) >= 0 {
		return nil, errors.New("a PNG text key or value cannot hold a NUL")
	}
	data := append(append([]byte("tEXt"+key), 0), value...)
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(data)-4))
	chunk = append(chunk, data...)
	return binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(data)), nil
}

// PNGText reads the PNG at path, decodes the whole picture (so that a truncated or damaged file
// is an error, not a picture), and returns the text of its tEXt chunk key ("" and no error when
// it has none). It reads at most maxBytes.
func PNGText(path, key string, maxBytes int64) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxBytes+1))
	if err != nil {
		return "", fmt.Errorf("reading %q: %w", path, err)
	}
	if int64(len(data)) > maxBytes {
		return "", fmt.Errorf("%q is larger than %d bytes", path, maxBytes)
	}
	if _, err := png.Decode(bytes.NewReader(data)); err != nil { // checks every chunk's CRC
		return "", fmt.Errorf("%q is not a whole PNG: %w", path, err)
	}
	for rest := data[len(pngSignature):]; len(rest) >= 12; {
		n := int(binary.BigEndian.Uint32(rest))
		if n > len(rest)-12 {
			break
		}
		typ, body := string(rest[4:8]), rest[8:8+n]
		if typ == "tEXt" {
			if k, v, ok := bytes.Cut(body, []byte{0}); ok && string(k) == key {
				return string(v), nil
			}
		}
		rest = rest[12+n:]
	}
	return "", nil
}
