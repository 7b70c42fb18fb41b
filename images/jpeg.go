package images

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
)

// Go's image/jpeg has no limits of its own, and two kinds of small JPEG make it work far more
// than the file's size suggests (issue 18, finding 6):
//
//   - a progressive JPEG is decoded scan by scan, and each scan visits every 8×8 block of its
//     components even when one code says "nothing here for the next 32,767 blocks": a 282 KB
//     file of 2,000 scans took 30 s. Cameras write one scan, progressive encoders about ten.
//   - a progressive JPEG keeps every block's 64 coefficients as int32 until its last scan: four
//     bytes for each sample of each component, on top of the picture itself. A 287 KB file of
//     50 MP took 730 MB.
//
// So Load walks the JPEG's markers first, which is cheap (no decoding; the entropy-coded data is
// searched for 0xFF with bytes.IndexByte: 0.07 s for a 293 MB file), counts the scans and reads
// the frame header, and refuses a picture with too many scans or whose decoding would take too
// much memory.

// maxJPEGScans is the most scans (SOS markers) Load accepts in a JPEG. Encoders write at most a
// few dozen (libjpeg's progressive script has 10 for a colour picture). Each scan visits every
// block: a 50 MP 4:2:0 progressive JPEG of 256 scans takes 7.4 s to load, of 32 scans 2.2 s.
const maxJPEGScans = 256

// jpegInfo is what Load reads from a JPEG's markers before decoding it.
type jpegInfo struct {
	scans       int // SOS markers before the end of the image
	orientation int // EXIF Orientation of the first EXIF segment before the first scan, 1 when none

	// From the first frame header (SOF0, SOF1 or SOF2), which is the one image/jpeg decodes;
	// components is 0 when there is none.
	progressive   bool
	width, height int
	components    int
	id, h, v      [4]int // each component's identifier and sampling factors

	// What image/jpeg looks at to tell an RGB JPEG from a YCbCr one (decoder.isRGB).
	jfif, adobe    bool
	adobeTransform byte
}

// readJPEGInfo walks the marker segments of the JPEG stream r the way image/jpeg's decoder does,
// and returns what it found. It stops at the end of the image or at the first error (the decoder
// reports those), so it reads the whole file: far quicker than decoding it. Between markers it
// skips every byte that is not 0xFF followed by a marker: the entropy-coded data of a scan, in
// which a 0xFF data byte is written 0xFF 0x00 and restart markers are 0xFF 0xD0 to 0xD7, and the
// junk the decoder also skips.
func readJPEGInfo(r io.Reader) jpegInfo {
	info := jpegInfo{orientation: 1}
	br := bufio.NewReaderSize(r, 64<<10)
	var soi [2]byte
	if _, err := io.ReadFull(br, soi[:]); err != nil || soi != [2]byte{0xFF, 0xD8} {
		return info
	}
	exifSeen := false
	for {
		if !skipPast(br, 0xFF) {
			return info
		}
		marker, err := br.ReadByte()
		for err == nil && marker == 0xFF { // fill bytes
			marker, err = br.ReadByte()
		}
		switch {
		case err != nil:
			return info
		case marker == 0x00, 0xD0 <= marker && marker <= 0xD7: // a data byte 0xFF, a restart marker
			continue
		case marker == 0xD9: // end of image
			return info
		}
		var l [2]byte
		if _, err := io.ReadFull(br, l[:]); err != nil {
			return info
		}
		n := int(binary.BigEndian.Uint16(l[:])) - 2
		if n < 0 {
			return info
		}
		// seg is the segment's first k bytes (all of them when k > n), read without copying: the
		// buffer holds a whole segment. It stays valid until the next read.
		seg := func(k int) ([]byte, bool) {
			b, err := br.Peek(min(k, n))
			return b, err == nil
		}
		switch marker {
		case 0xDA: // start of scan
			info.scans++
		case 0xC0, 0xC1, 0xC2: // baseline, extended sequential, progressive frame
			b, ok := seg(6 + 3*4)
			if !ok {
				return info
			}
			// image/jpeg decodes the first frame header, and refuses any other length.
			if k := (n - 6) / 3; info.components == 0 && n >= 6 && n == 6+3*k && (k == 1 || k == 3 || k == 4) {
				info.progressive = marker == 0xC2
				info.height = int(binary.BigEndian.Uint16(b[1:]))
				info.width = int(binary.BigEndian.Uint16(b[3:]))
				info.components = k
				for i := range k {
					info.id[i] = int(b[6+3*i])
					info.h[i], info.v[i] = max(1, int(b[7+3*i]>>4)), max(1, int(b[7+3*i]&0x0F))
				}
				if k == 1 { // a grayscale picture is one block a unit, whatever its factors say
					info.h[0], info.v[0] = 1, 1
				}
			}
		case 0xE0: // APP0; the decoder keeps the last one's verdict
			if n >= 5 {
				b, ok := seg(5)
				if !ok {
					return info
				}
				info.jfif = string(b) == "JFIF\x00"
			}
		case 0xEE: // APP14
			if n >= 12 {
				b, ok := seg(12)
				if !ok {
					return info
				}
				if string(b[:5]) == "Adobe" {
					info.adobe, info.adobeTransform = true, b[11]
				}
			}
		case 0xE1: // APP1: EXIF, XMP, …
			if !exifSeen && info.scans == 0 {
				b, ok := seg(n)
				if !ok {
					return info
				}
				if rest, ok := bytes.CutPrefix(b, []byte("Exif\x00\x00")); ok {
					exifSeen = true
					info.orientation = tiffOrientation(rest)
				}
			}
		}
		if _, err := br.Discard(n); err != nil {
			return info
		}
	}
}

// skipPast reads br up to and including the next byte c, and reports whether it found one.
func skipPast(br *bufio.Reader, c byte) bool {
	for {
		_, err := br.ReadSlice(c)
		if err == nil {
			return true
		}
		if err != bufio.ErrBufferFull {
			return false
		}
	}
}

// rgb reports whether image/jpeg decodes the picture as RGB rather than YCbCr (decoder.isRGB):
// a 3-component picture without JFIF marker whose Adobe segment says "unknown" or whose
// components are named R, G and B.
func (j *jpegInfo) rgb() bool {
	if j.components != 3 || j.jfif {
		return false
	}
	return j.adobe && j.adobeTransform == 0 || j.id[0] == 'R' && j.id[1] == 'G' && j.id[2] == 'B'
}

// decodeBytes is what image/jpeg allocates to decode the picture, in bytes, and what turning it
// upright for EXIF orientation o then adds (see orient). The decoder allocates one byte a sample of
// every component for whole units of 8×8 blocks times the sampling factors (the YCbCr, Gray or
// CMYK planes); four more bytes a sample for a progressive JPEG's coefficients; and a 4-byte RGBA
// copy for an RGB or 4-component (CMYK) picture. The coefficients are garbage once the picture is
// decoded, but a collection need not run before the turned copy is allocated, so both count.
func (j *jpegInfo) decodeBytes(o int) int64 {
	if j.components == 0 {
		return 0
	}
	w, h := int64(j.width), int64(j.height)
	mx := ceilDiv(w, 8*int64(j.h[0])) // units of blocks across and down
	my := ceilDiv(h, 8*int64(j.v[0]))
	var planes int64
	for i := range j.components {
		planes += 64 * mx * my * int64(j.h[i]*j.v[i])
	}
	total := planes
	if j.progressive {
		total += 4 * planes
	}
	rgba := j.components == 4 || j.rgb()
	if rgba {
		total += 4 * w * h
	}
	if o < 2 || o > 8 {
		return total
	}
	// The turned copy has the decoded picture's kind: Gray, RGBA (or CMYK), or YCbCr whose
	// chroma planes are subsampled by the luma's factors over the chroma's.
	switch {
	case j.components == 1:
		return total + w*h
	case rgba:
		return total + 4*w*h
	}
	xs, ys := orientedSubsampling(j.h[0]/j.h[1], j.v[0]/j.v[1], o)
	if o >= 5 {
		w, h = h, w
	}
	return total + w*h + 2*ceilDiv(w, int64(xs))*ceilDiv(h, int64(ys))
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }
