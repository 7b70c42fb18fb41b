package images

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"
)

// TestLoadAppliesEXIFOrientation writes a 64×32 JPEG whose top-left quarter is red (the rest grey)
// with each of the eight EXIF orientations, in both byte orders, and checks that Load turns it
// upright: the size (swapped for 5–8) and the corner where the red ended up, from EXIF's
// definition of each orientation (issue 10, finding 11: a phone photo came out on its side).
func TestLoadAppliesEXIFOrientation(t *testing.T) {
	stored := image.NewRGBA(image.Rect(0, 0, 64, 32))
	for y := range 32 {
		for x := range 64 {
			c := color.RGBA{128, 128, 128, 255}
			if x < 32 && y < 16 {
				c = color.RGBA{230, 20, 20, 255}
			}
			stored.SetRGBA(x, y, c)
		}
	}
	var plain bytes.Buffer
	if err := jpeg.Encode(&plain, stored, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	// Where the stored top-left corner is once upright: 1 top-left, 2 top-right, 3 bottom-right,
	// 4 bottom-left, 5 top-left (transposed), 6 top-right (quarter turn clockwise), 7 bottom-right,
	// 8 bottom-left (quarter turn counter-clockwise).
	corner := map[int]string{1: "TL", 2: "TR", 3: "BR", 4: "BL", 5: "TL", 6: "TR", 7: "BR", 8: "BL"}
	dir := t.TempDir()
	for _, bigEndian := range []bool{true, false} {
		for o := 1; o <= 8; o++ {
			path := filepath.Join(dir, "photo.jpg")
			if err := os.WriteFile(path, withOrientation(plain.Bytes(), o, bigEndian), 0o644); err != nil {
				t.Fatal(err)
			}
			img, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			w, h := 64, 32
			if o >= 5 {
				w, h = 32, 64
			}
			if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
				t.Fatalf("orientation %d: %d×%d, want %d×%d", o, b.Dx(), b.Dy(), w, h)
			}
			at := map[string]image.Point{"TL": {2, 2}, "TR": {w - 3, 2}, "BR": {w - 3, h - 3}, "BL": {2, h - 3}}
			for name, p := range at {
				r, g, _, _ := img.At(img.Bounds().Min.X+p.X, img.Bounds().Min.Y+p.Y).RGBA()
				red := r>>8 > 180 && g>>8 < 80
				if red != (name == corner[o]) {
					t.Errorf("orientation %d (big endian %v): corner %s red=%v, want the red corner at %s", o, bigEndian, name, red, corner[o])
				}
			}
		}
	}
	// Without EXIF, and with a damaged EXIF segment, the picture is left as stored.
	if got := exifOrientation(bytes.NewReader(plain.Bytes())); got != 1 {
		t.Errorf("no EXIF: orientation %d", got)
	}
	damaged := withOrientation(plain.Bytes(), 6, true)
	copy(damaged[10:], "XXXX") // breaks "Exif"
	if got := exifOrientation(bytes.NewReader(damaged)); got != 1 {
		t.Errorf("damaged EXIF: orientation %d", got)
	}
}

// withOrientation inserts, after the JPEG's start marker, an APP1 EXIF segment whose first IFD
// holds only the Orientation tag.
func withOrientation(jpg []byte, o int, bigEndian bool) []byte {
	var bo binary.AppendByteOrder = binary.LittleEndian
	tiff := []byte("II")
	if bigEndian {
		bo, tiff = binary.BigEndian, []byte("MM")
	}
	tiff = bo.AppendUint16(tiff, 42)
	tiff = bo.AppendUint32(tiff, 8) // IFD0 right after the header
	tiff = bo.AppendUint16(tiff, 1) // one entry
	tiff = bo.AppendUint16(tiff, 0x0112)
	tiff = bo.AppendUint16(tiff, 3) // SHORT
	tiff = bo.AppendUint32(tiff, 1)
	tiff = bo.AppendUint16(tiff, uint16(o))
	tiff = bo.AppendUint16(tiff, 0)
	tiff = bo.AppendUint32(tiff, 0) // no next IFD
	seg := append([]byte("Exif\x00\x00"), tiff...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, 0xFF, 0xE1)
	out = binary.BigEndian.AppendUint16(out, uint16(len(seg)+2))
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}
