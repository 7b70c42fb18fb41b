package images

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"math"
	"os"

	"golang.org/x/image/webp"
)

// DefaultMaxPixels is the largest image, in pixels (width × height), that
// [Load] decodes unless told otherwise with [MaxPixels]: 50 megapixels, a
// little more than the largest camera pictures.
const DefaultMaxPixels = 50_000_000

// decodeBytesPerPixel is the memory [Load] lets decoding take for each pixel
// the limit allows: 400 MB with [DefaultMaxPixels]. That is enough for any
// baseline JPEG, PNG, WebP or GIF of the limit's size, turned upright too
// (a YCbCr JPEG takes 1.5 to 3 bytes a pixel, and as much again turned;
// an RGBA PNG 4, or 8 at 16 bits; WebP and GIF at most 8). It stops the
// pictures whose decoding takes far more than their size: a progressive JPEG
// keeps 4 bytes of coefficients for each sample (15 bytes a pixel without
// subsampling), and an interlaced PNG is decoded pass by pass beside the
// whole picture.
const decodeBytesPerPixel = 8

// supportedFormats is how errors name the formats [Load] reads.
const supportedFormats = "JPEG, PNG, WebP or GIF"

// A LoadOption changes how [Load] reads a picture.
type LoadOption func(*loadConfig)

type loadConfig struct {
	maxPixels int64
}

// MaxPixels sets the largest width × height [Load] accepts, and so the memory
// decoding may take (8 bytes for each pixel of the limit); n <= 0 removes
// both. The limits are checked against the header, before any pixel is
// decoded, so that a small file claiming a huge picture (a "decompression
// bomb") is refused without allocating memory for it.
func MaxPixels(n int) LoadOption {
	return func(c *loadConfig) { c.maxPixels = int64(n) }
}

// format is one of the picture formats Load reads.
type format struct {
	name         string
	decodeConfig func(io.Reader) (image.Config, error)
	decode       func(io.Reader) (image.Image, error)
}

var (
	formatPNG  = format{"PNG", png.DecodeConfig, png.Decode}
	formatJPEG = format{"JPEG", jpeg.DecodeConfig, jpeg.Decode}
	formatGIF  = format{"GIF", gif.DecodeConfig, gif.Decode} // gif.Decode returns the first frame.
	formatWebP = format{"WebP", webp.DecodeConfig, webp.Decode}
)

// Load reads the picture at path. It reads JPEG, PNG, WebP and GIF (the first
// frame of an animation), whatever the file's extension.
//
// Before decoding, Load reads the picture's header and refuses pictures of
// zero size, with more than [DefaultMaxPixels] pixels, or whose decoding
// would take more than 8 bytes for each of those pixels (see [MaxPixels]),
// and JPEGs of more than 256 scans. A JPEG is turned upright as its EXIF
// Orientation says (phone photos).
//
// Errors are one line naming path, what is wrong and what to do. Those for a
// missing or unreadable file wrap [fs.ErrNotExist] or [fs.ErrPermission], and
// those for a file in an unknown format wrap [image.ErrFormat].
func Load(path string, opts ...LoadOption) (image.Image, error) {
	cfg := loadConfig{maxPixels: DefaultMaxPixels}
	for _, o := range opts {
		o(&cfg)
	}

	f, err := openImage(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()

	var head [32]byte
	n, err := io.ReadFull(f, head[:])
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, fmt.Errorf("image %q: cannot read file: %v", path, err)
	}
	fm, ok := sniff(head[:n])
	if !ok {
		what := "is not"
		if kind := sniffUnsupported(head[:n]); kind != "" {
			what = "looks like " + kind + ", not"
		}
		return nil, &wrapError{
			msg: fmt.Sprintf("image %q %s a picture in a format estil reads (%s); convert it to PNG or JPEG",
				path, what, supportedFormats),
			err: image.ErrFormat,
		}
	}

	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("image %q: cannot read file: %v", path, err)
	}
	c, err := fm.decodeConfig(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("image %q starts like a %s file but its header is damaged (%v); the file is corrupt or truncated, re-export or re-download it",
			path, fm.name, err)
	}
	if c.Width <= 0 || c.Height <= 0 {
		return nil, fmt.Errorf("image %q has zero size (%d×%d pixels); re-export it with some pixels in it",
			path, c.Width, c.Height)
	}
	if pixels := int64(c.Width) * int64(c.Height); cfg.maxPixels > 0 && pixels > cfg.maxPixels {
		return nil, fmt.Errorf("image %q claims %d×%d pixels (%s), more than the %s limit; downscale it first, or raise the limit if it is genuine",
			path, c.Width, c.Height, formatPixels(pixels), formatPixels(cfg.maxPixels))
	}

	// What decoding takes, as read from the header: the memory, and a JPEG's scans.
	var jpg jpegInfo
	var need int64
	kind, remedy := fm.name, "downscale it"
	switch fm.name {
	case formatJPEG.name:
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, fmt.Errorf("image %q: cannot read file: %v", path, err)
		}
		jpg = readJPEGInfo(f)
		if jpg.scans > maxJPEGScans {
			return nil, fmt.Errorf("image %q (JPEG, %d×%d) has %d scans, more than the %d estil decodes (each scan takes a pass over the whole picture; encoders write at most a few dozen); re-save it as a baseline JPEG or a PNG",
				path, c.Width, c.Height, jpg.scans, maxJPEGScans)
		}
		need = jpg.decodeBytes(jpg.orientation)
		if jpg.progressive {
			kind, remedy = "progressive JPEG", "re-save it as a baseline JPEG or downscale it"
		}
	case formatPNG.name:
		var interlaced bool
		if need, interlaced = pngDecodeBytes(head[:n], c); interlaced {
			kind, remedy = "interlaced PNG", "re-save it without interlacing or downscale it"
		}
	}
	// A pixel limit whose budget would overflow is no limit at all.
	budgeted := cfg.maxPixels > 0 && cfg.maxPixels <= math.MaxInt64/decodeBytesPerPixel
	if limit := cfg.maxPixels * decodeBytesPerPixel; budgeted && need > limit {
		return nil, fmt.Errorf("image %q (%s, %d×%d) would take %s of memory to decode, more than the %s allowed with the %s limit; %s, or raise the limit if it is genuine",
			path, kind, c.Width, c.Height, formatBytes(need), formatBytes(limit), formatPixels(cfg.maxPixels), remedy)
	}

	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("image %q: cannot read file: %v", path, err)
	}
	img, err := fm.decode(bufio.NewReader(f))
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("image %q (%s, %d×%d) is corrupt or truncated: %v; re-export or re-download it",
			path, fm.name, c.Width, c.Height, err)
	}
	if fm.name == formatJPEG.name {
		img = orient(img, jpg.orientation)
	}
	return img, nil
}

// pngDecodeBytes is about what image/png allocates to decode the picture whose header is head
// and config c, and whether it is interlaced: 1 byte a pixel for a paletted picture, else up to 4
// (8 at 16 bits), since a transparency chunk after the header can turn Gray into NRGBA; twice
// that for an interlaced picture, whose seven passes are decoded into pictures of their own
// beside the whole one.
func pngDecodeBytes(head []byte, c image.Config) (need int64, interlaced bool) {
	if len(head) < 29 { // image/png reads IHDR first: this is a damaged file it will refuse
		return 0, false
	}
	depth, colorType := head[24], head[25]
	interlaced = head[28] == 1
	perPixel := int64(4)
	switch {
	case colorType == 3:
		perPixel = 1
	case depth == 16:
		perPixel = 8
	}
	if interlaced {
		perPixel *= 2
	}
	return perPixel * int64(c.Width) * int64(c.Height), interlaced
}

// openImage opens path for reading, explaining the usual ways that fails.
func openImage(path string) (*os.File, error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("image %q: %w; check the path", path, fs.ErrNotExist)
	case errors.Is(err, fs.ErrPermission):
		return nil, fmt.Errorf("image %q cannot be reached: %w; check the permissions of the folders above it", path, fs.ErrPermission)
	case err != nil:
		return nil, fmt.Errorf("image %q: %v", path, err)
	case fi.IsDir():
		return nil, fmt.Errorf("image %q is a directory, not a file; give the path of a picture (%s)", path, supportedFormats)
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("image %q is not a regular file (%v); give the path of a picture file", path, fi.Mode().Type())
	case fi.Size() == 0:
		return nil, fmt.Errorf("image %q is an empty file (0 bytes); re-export or re-download it", path)
	}
	f, err := os.Open(path)
	switch {
	case errors.Is(err, fs.ErrPermission):
		return nil, fmt.Errorf("image %q cannot be read: %w; check the file's permissions", path, fs.ErrPermission)
	case err != nil:
		return nil, fmt.Errorf("image %q cannot be opened: %v", path, err)
	}
	return f, nil
}

// sniff recognizes the formats Load reads from the first bytes of a file.
func sniff(b []byte) (format, bool) {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return formatPNG, true
	case bytes.HasPrefix(b, []byte("\xff\xd8\xff")):
		return formatJPEG, true
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return formatGIF, true
	case len(b) >= 12 && string(b[0:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return formatWebP, true
	}
	return format{}, false
}

// sniffUnsupported names, for a clearer error, some kinds of file people
// mistake for supported pictures; it returns "" for anything else.
func sniffUnsupported(b []byte) string {
	if len(b) >= 12 && string(b[4:8]) == "ftyp" {
		switch string(b[8:12]) {
		case "avif", "avis":
			return "an AVIF picture"
		case "heic", "heix", "hevc", "heim", "heis", "mif1", "msf1":
			return "a HEIC/HEIF picture"
		default:
			return "an MP4/QuickTime video"
		}
	}
	t := bytes.ToLower(bytes.TrimLeft(b, " \t\r\n\ufeff"))
	switch {
	case bytes.HasPrefix(b, []byte("BM")):
		return "a BMP picture"
	case bytes.HasPrefix(b, []byte("II*\x00")), bytes.HasPrefix(b, []byte("MM\x00*")):
		return "a TIFF picture"
	case bytes.HasPrefix(b, []byte("8BPS")):
		return "a Photoshop document"
	case bytes.HasPrefix(b, []byte("%PDF")):
		return "a PDF document"
	case bytes.HasPrefix(t, []byte("<!doctype html")), bytes.HasPrefix(t, []byte("<html")):
		return "an HTML page (a download that saved a web page instead of the picture?)"
	case bytes.HasPrefix(t, []byte("<svg")), bytes.HasPrefix(t, []byte("<?xml")):
		return "an SVG or other XML file"
	}
	return ""
}

// formatPixels writes a pixel count the way people speak of picture sizes.
func formatPixels(n int64) string {
	switch {
	case n >= 10_000_000:
		return fmt.Sprintf("%d MP", (n+500_000)/1_000_000)
	case n >= 100_000:
		return fmt.Sprintf("%.1f MP", float64(n)/1e6)
	}
	return fmt.Sprintf("%d pixels", n)
}

// formatBytes writes a size in bytes as megabytes (10⁶ bytes).
func formatBytes(n int64) string {
	return fmt.Sprintf("%d MB", (n+500_000)/1_000_000)
}

// wrapError is an error whose message says all that matters, wrapping err
// for errors.Is without repeating its text.
type wrapError struct {
	msg string
	err error
}

func (e *wrapError) Error() string { return e.msg }
func (e *wrapError) Unwrap() error { return e.err }
