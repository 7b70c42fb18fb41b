package images

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/estil-nst/estil/internal/rss"
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
	if got := readJPEGInfo(bytes.NewReader(plain.Bytes())).orientation; got != 1 {
		t.Errorf("no EXIF: orientation %d", got)
	}
	damaged := withOrientation(plain.Bytes(), 6, true)
	copy(damaged[10:], "XXXX") // breaks "Exif"
	if got := readJPEGInfo(bytes.NewReader(damaged)).orientation; got != 1 {
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

// TestOrientKeepsKind turns pictures of each kind image/jpeg decodes to, and some other, with
// each orientation and compares them with the orientation built from its definition: a transpose
// for 5 to 8, then mirrors. Each kind stays itself, a YCbCr picture's chroma turning with it;
// the sizes are multiples of the subsampling, where the chroma turns exactly.
func TestOrientKeepsKind(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	fill := func(p []byte) {
		for i := range p {
			p[i] = byte(r.Uint32())
		}
	}
	rect := image.Rect(0, 0, 16, 8)
	gray, rgba, cmyk, nrgba := image.NewGray(rect), image.NewRGBA(rect), image.NewCMYK(rect), image.NewNRGBA(rect)
	for _, p := range [][]byte{gray.Pix, rgba.Pix, cmyk.Pix, nrgba.Pix} {
		fill(p)
	}
	pics := map[string]image.Image{"gray": gray, "RGBA": rgba, "CMYK": cmyk, "NRGBA": nrgba}
	for _, ratio := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422,
		image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410} {
		y := image.NewYCbCr(rect, ratio)
		fill(y.Y)
		fill(y.Cb)
		fill(y.Cr)
		pics[ratio.String()] = y
	}
	// A picture whose bounds do not start at (0, 0), as a sub-picture's.
	pics["sub-picture"] = pics["YCbCrSubsampleRatio420"].(*image.YCbCr).SubImage(image.Rect(4, 2, 12, 6))

	for name, img := range pics {
		for o := 1; o <= 8; o++ {
			got, want := orient(img, o), reference(img, o)
			if o > 1 && name != "NRGBA" && fmt.Sprintf("%T", got) != fmt.Sprintf("%T", img) {
				t.Errorf("%s, orientation %d: turned into a %T", name, o, got)
			}
			if got.Bounds().Size() != want.Bounds().Size() {
				t.Fatalf("%s, orientation %d: %v, want %v", name, o, got.Bounds(), want.Bounds())
			}
			gb := got.Bounds()
			for y := range gb.Dy() {
				for x := range gb.Dx() {
					g := color.NRGBAModel.Convert(got.At(gb.Min.X+x, gb.Min.Y+y))
					if w := want.NRGBAAt(x, y); g != w {
						t.Fatalf("%s, orientation %d: pixel (%d, %d) is %v, want %v", name, o, x, y, g, w)
					}
				}
			}
		}
	}
}

// reference is img upright for EXIF orientation o, built from the definitions: orientations 5 to
// 8 transpose the stored picture, then 2, 3, 6 and 7 mirror it left-right and 3, 4, 7 and 8
// top-bottom.
func reference(img image.Image, o int) *image.NRGBA {
	b := img.Bounds()
	at := func(x, y int) color.Color { return img.At(b.Min.X+x, b.Min.Y+y) }
	w, h := b.Dx(), b.Dy()
	if o >= 5 {
		w, h = h, w
		at = func(x, y int) color.Color { return img.At(b.Min.X+y, b.Min.Y+x) }
	}
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			sx, sy := x, y
			if o == 2 || o == 3 || o == 6 || o == 7 {
				sx = w - 1 - x
			}
			if o == 3 || o == 4 || o == 7 || o == 8 {
				sy = h - 1 - y
			}
			dst.Set(x, y, at(sx, sy))
		}
	}
	return dst
}

// TestOrientOneCopy: turning a decoded photo allocates one picture of its kind and size (issue 18,
// finding 6: two RGBA copies, 1.1 GB for a 50 MP JPEG of orientation 6).
func TestOrientOneCopy(t *testing.T) {
	img, err := jpeg.Decode(bytes.NewReader(encode(t, testPattern(2000, 1500), encodeJPEG)))
	if err != nil {
		t.Fatal(err)
	}
	y := img.(*image.YCbCr)
	size := len(y.Y) + len(y.Cb) + len(y.Cr)
	if got := rss.Allocated(func() { img = orient(img, 6) }); float64(got) > 1.3*float64(size) {
		t.Errorf("a quarter turn of a %d-byte picture allocated %d bytes", size, got)
	}
	if _, ok := img.(*image.YCbCr); !ok || img.Bounds().Dx() != 1500 || img.Bounds().Dy() != 2000 {
		t.Errorf("turned into a %T of %v, want a YCbCr picture of 1500×2000", img, img.Bounds())
	}
}
