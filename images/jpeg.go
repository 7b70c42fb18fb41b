package images

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
)

// Go's image/jpeg has no limits of its own. A progressive JPEG is decoded scan by scan, and each
// scan visits every 8×8 block of its components even when one code says "nothing here for the
// next 32,767 blocks": a 282 KB file of 2,000 scans took 30 s (issue 18, finding 6). Cameras
// write one scan, progressive encoders about ten. So Load walks the JPEG's markers first, which
// is cheap (no decoding; the entropy-coded data is searched for 0xFF with bytes.IndexByte: 0.07 s
// for a 293 MB file), and refuses a picture with too many scans.

// maxJPEGScans is the most scans (SOS markers) Load accepts in a JPEG. Encoders write at most a
// few dozen (libjpeg's progressive script has 10 for a colour picture). Each scan visits every
// block: a 50 MP 4:2:0 progressive JPEG of 256 scans takes 7.4 s to load, of 32 scans 2.2 s.
const maxJPEGScans = 256

// jpegInfo is what Load reads from a JPEG's markers before decoding it.
type jpegInfo struct {
	scans       int // SOS markers before the end of the image
	orientation int // EXIF Orientation of the first EXIF segment before the first scan, 1 when none
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
