package images

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/jpeg"
	"strings"
	"testing"

	"github.com/estil-nst/estil/internal/rss"
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

var (
	gray1  = jpegSpec{ids: []byte{1}, hv: []byte{0x11}}
	ycc420 = jpegSpec{ids: []byte{1, 2, 3}, hv: []byte{0x22, 0x11, 0x11}}
	ycc422 = jpegSpec{ids: []byte{1, 2, 3}, hv: []byte{0x21, 0x11, 0x11}}
	ycc444 = jpegSpec{ids: []byte{1, 2, 3}, hv: []byte{0x11, 0x11, 0x11}}
	rgb444 = jpegSpec{ids: []byte("RGB"), hv: []byte{0x11, 0x11, 0x11}}
	cmyk   = jpegSpec{ids: []byte{1, 2, 3, 4}, hv: []byte{0x11, 0x11, 0x11, 0x11}, app14: []byte{0}}
)

func sized(s jpegSpec, w, h int, progressive bool) jpegSpec {
	s.w, s.h, s.progressive = w, h, progressive
	return s
}

// TestJPEGDecodeBytes checks the estimate Load's memory guard relies on against what image/jpeg
// really allocates, for each kind of JPEG it decodes, and against what orient allocates for a
// quarter turn: within 10 % (plus the decoder's few kilobytes of tables).
func TestJPEGDecodeBytes(t *testing.T) {
	for name, s := range map[string]jpegSpec{
		"gray":                 sized(gray1, 1000, 700, false),
		"gray progressive":     sized(gray1, 1000, 700, true),
		"4:2:0":                sized(ycc420, 1000, 700, false),
		"4:2:0 progressive":    sized(ycc420, 1000, 700, true),
		"4:2:2 progressive":    sized(ycc422, 1000, 700, true),
		"4:4:4 progressive":    sized(ycc444, 1000, 700, true),
		"RGB":                  sized(rgb444, 1000, 700, false),
		"RGB progressive":      sized(rgb444, 1000, 700, true),
		"CMYK":                 sized(cmyk, 1000, 700, false),
		"odd size progressive": sized(ycc420, 999, 701, true),
	} {
		t.Run(name, func(t *testing.T) {
			data := craftJPEG(s)
			info := readJPEGInfo(bytes.NewReader(data))
			var img image.Image
			decoded := rss.Allocated(func() {
				var err error
				if img, err = jpeg.Decode(bytes.NewReader(data)); err != nil {
					t.Fatal(err)
				}
			})
			within(t, "decoding", decoded, info.decodeBytes(1))
			turned := rss.Allocated(func() { img = orient(img, 6) })
			within(t, "a quarter turn", turned, info.decodeBytes(6)-info.decodeBytes(1))
			if b := img.Bounds(); b.Dx() != s.h || b.Dy() != s.w {
				t.Errorf("turned %d×%d picture is %v", s.w, s.h, b)
			}
		})
	}
}

func within(t *testing.T, what string, got uint64, want int64) {
	t.Helper()
	if float64(got) < 0.9*float64(want) || float64(got) > 1.1*float64(want)+32<<10 {
		t.Errorf("%s allocated %d bytes, estimated %d", what, got, want)
	}
}

// TestLoadRefusesProgressiveJPEGMemory: a 4:4:4 progressive JPEG takes 15 bytes a pixel to decode
// (issue 18, finding 6: 730 MB for a 287 KB file of 50 MP). With the limit at a megapixel, one of
// a megapixel, under the pixel limit, is refused from its header, allocating next to nothing; the
// same picture as a baseline JPEG loads.
func TestLoadRefusesProgressiveJPEGMemory(t *testing.T) {
	path := writeFile(t, "prog.jpg", craftJPEG(sized(ycc444, 1000, 1000, true)))
	var err error
	if got := rss.Allocated(func() { _, err = Load(path, MaxPixels(1_000_000)) }); got > 1<<20 {
		t.Errorf("refusing allocated %d bytes", got)
	}
	want := `(progressive JPEG, 1000×1000) would take 15 MB of memory to decode, more than the 8 MB allowed with the 1.0 MP limit; re-save it as a baseline JPEG or downscale it`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want one saying %q", err, want)
	}
	if _, err := Load(path, MaxPixels(0)); err != nil {
		t.Errorf("without a limit: %v", err)
	}
	if _, err := Load(writeFile(t, "base.jpg", craftJPEG(sized(ycc444, 1000, 1000, false))), MaxPixels(1_000_000)); err != nil {
		t.Errorf("baseline: %v", err)
	}
	// At the default limit of 50 MP, 400 MB: a 4:4:4 progressive JPEG of 27 MP takes 405 MB
	// (only its header is written: the refusal comes before decoding).
	big := writeFile(t, "big.jpg", craftJPEG(sized(ycc444, 5400, 5000, true))[:300])
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), "would take 405 MB of memory to decode, more than the 400 MB allowed with the 50 MP limit") {
		t.Errorf("5400×5000 4:4:4 progressive JPEG: error %v", err)
	}
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
// 0xFF, a restart marker between) is not a scan, fill bytes before a marker are skipped, the
// first EXIF segment before the first scan gives the orientation, and the first frame header
// the size.
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
	if got.scans != 2 || got.orientation != 6 || !got.progressive || got.width != 5 || got.height != 3 ||
		got.components != 1 || got.h[0] != 1 || got.v[0] != 1 {
		t.Errorf("got %+v, want 2 scans, orientation 6, a progressive 5×3 grayscale picture of 1×1 sampling", got)
	}
}
