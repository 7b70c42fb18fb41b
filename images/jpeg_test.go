package images

import (
	"bytes"
	"encoding/binary"
	"image/jpeg"
	"strings"
	"testing"
)

// jpegSpec describes a JPEG that craftJPEG writes: every block flat (a DC difference of 0 and no
// AC coefficient), so that its entropy-coded data is one or two bits a block and any size stays
// small. Go's encoder writes baseline 4:2:0 or grayscale only.
type jpegSpec struct {
	w, h        int
	ids         []byte // component identifiers; their number is the number of components
	hv          []byte // each component's sampling factors, horizontal<<4 | vertical
	progressive bool
	refinements int    // DC refinement scans after a progressive picture's first scan
	app14       []byte // the Adobe segment's transform byte, when there is one
}

// craftJPEG writes s as a JPEG that image/jpeg decodes.
func craftJPEG(s jpegSpec) []byte {
	seg := func(b []byte, marker byte, body ...byte) []byte {
		b = append(b, 0xFF, marker)
		b = binary.BigEndian.AppendUint16(b, uint16(len(body)+2))
		return append(b, body...)
	}
	b := []byte{0xFF, 0xD8}
	if s.app14 != nil {
		b = seg(b, 0xEE, append([]byte("Adobe\x00\x64\x00\x00\x00\x00"), s.app14[0])...)
	}
	b = seg(b, 0xDB, append([]byte{0}, bytes.Repeat([]byte{1}, 64)...)...) // quantization 1 everywhere
	sof := []byte{8, byte(s.h >> 8), byte(s.h), byte(s.w >> 8), byte(s.w), byte(len(s.ids))}
	for i, id := range s.ids {
		sof = append(sof, id, s.hv[i], 0)
	}
	b = seg(b, map[bool]byte{false: 0xC0, true: 0xC2}[s.progressive], sof...)
	// One Huffman code, "0", for DC difference category 0 and for AC end of block.
	oneCode := append([]byte{1}, make([]byte, 15)...)
	b = seg(b, 0xC4, append(append([]byte{0x00}, oneCode...), 0)...)
	b = seg(b, 0xC4, append(append([]byte{0x10}, oneCode...), 0)...)

	// Blocks a scan of all components codes: whole units of blocks, or the picture's blocks for
	// one component alone.
	blocks := (s.w + 7) / 8 * ((s.h + 7) / 8)
	if len(s.ids) > 1 {
		hmax, vmax := int(s.hv[0]>>4), int(s.hv[0]&15)
		units := (s.w + 8*hmax - 1) / (8 * hmax) * ((s.h + 8*vmax - 1) / (8 * vmax))
		blocks = 0
		for _, hv := range s.hv {
			blocks += units * int(hv>>4) * int(hv&15)
		}
	}
	scan := func(b []byte, se, ahal byte, bitsPerBlock int) []byte {
		sos := []byte{byte(len(s.ids))}
		for _, id := range s.ids {
			sos = append(sos, id, 0x00)
		}
		b = seg(b, 0xDA, append(sos, 0, se, ahal)...)
		// All bits 0, padded with 1s: no byte is 0xFF.
		bits := blocks * bitsPerBlock
		b = append(b, make([]byte, bits/8)...)
		if r := bits % 8; r > 0 {
			b = append(b, 0xFF>>r)
		}
		return b
	}
	if !s.progressive {
		b = scan(b, 63, 0x00, 2) // DC "0", end of block "0"
	} else {
		b = scan(b, 0, 0x00, 1)
		for range s.refinements {
			b = scan(b, 0, 0x10, 1) // a refinement bit for each block's DC
		}
	}
	return append(b, 0xFF, 0xD9)
}

var gray1 = jpegSpec{ids: []byte{1}, hv: []byte{0x11}}

func sized(s jpegSpec, w, h int, progressive bool) jpegSpec {
	s.w, s.h, s.progressive = w, h, progressive
	return s
}

// TestLoadRefusesManyScans: a progressive JPEG may have any number of scans, and each costs a pass
// over every block of the picture (issue 18, finding 6: a 282 KB file of 2,000 scans decoded for
// 30 s). This one is valid, and image/jpeg decodes it.
func TestLoadRefusesManyScans(t *testing.T) {
	s := sized(gray1, 8, 8, true)
	s.refinements = maxJPEGScans - 1
	if _, err := Load(writeFile(t, "ok.jpg", craftJPEG(s))); err != nil { // the most Load accepts
		t.Fatalf("%d scans: %v", maxJPEGScans, err)
	}
	s.refinements = 2000
	data := craftJPEG(s)
	if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
		t.Fatalf("the crafted JPEG is not valid: %v", err)
	}
	_, err := Load(writeFile(t, "scans.jpg", data))
	want := `scans.jpg" (JPEG, 8×8) has 2001 scans, more than the 256 estil decodes`
	if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Errorf("error %v, want one saying %q", err, want)
	}
}

// TestReadJPEGInfo walks crafted marker sequences: 0xFF 0xDA inside entropy-coded data (a stuffed
// 0xFF, a restart marker between) is not a scan, fill bytes before a marker are skipped, and the
// first EXIF segment before the first scan gives the orientation.
func TestReadJPEGInfo(t *testing.T) {
	sos := []byte{0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0}
	exif := withOrientation([]byte{0xFF, 0xD8}, 6, false)[2:]
	var b []byte
	b = append(b, 0xFF, 0xD8)
	b = append(b, exif...)
	b = append(b, 0xFF, 0xC2, 0, 11, 8, 0, 3, 0, 5, 1, 1, 0x22, 0) // 5×3 grayscale, progressive
	b = append(b, 0xFF, 0xC0, 0, 11, 8, 0, 9, 0, 9, 1, 1, 0x11, 0) // ignored: not the first
	b = append(b, sos...)
	b = append(b, 0x12, 0xFF, 0x00, 0xDA, 0xFF, 0xD3, 0xDA, 0x34) // data
	b = append(b, 0xFF, 0xFF, 0xFF)                               // fill bytes
	b = append(b, sos...)
	b = append(b, withOrientation([]byte{0xFF, 0xD8}, 3, true)[2:]...) // after a scan: ignored
	b = append(b, 0xFF, 0xD9)
	b = append(b, sos...) // after the end of the image
	got := readJPEGInfo(bytes.NewReader(b))
	if got.scans != 2 || got.orientation != 6 {
		t.Errorf("got %+v, want 2 scans and orientation 6", got)
	}
}
