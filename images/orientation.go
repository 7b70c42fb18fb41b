package images

import (
	"encoding/binary"
	"image"
)

// Phones store a photo as the sensor saw it and write in its EXIF metadata how to turn it
// upright (the Orientation tag, 1 to 8). Load applies it to JPEG pictures, so that a portrait taken
// with a phone is not styled lying on its side. Only that one tag is read: a small reader here
// rather than a dependency on an EXIF library (the one served here has been unmaintained since
// 2019).

// tiffOrientation reads tag 0x0112 of the first IFD of the TIFF structure t (EXIF's layout).
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	if bo.Uint16(t[2:]) != 42 {
		return 1
	}
	off := int(bo.Uint32(t[4:]))
	if off < 8 || off+2 > len(t) {
		return 1
	}
	entries := int(bo.Uint16(t[off:]))
	for i := range entries {
		e := off + 2 + 12*i
		if e+12 > len(t) {
			return 1
		}
		if bo.Uint16(t[e:]) != 0x0112 {
			continue
		}
		if bo.Uint16(t[e+2:]) != 3 { // SHORT
			return 1
		}
		if v := int(bo.Uint16(t[e+8:])); v >= 1 && v <= 8 {
			return v
		}
		return 1
	}
	return 1
}

// orient returns img turned upright for EXIF orientation o: 2 mirrored left-right, 3 turned half a
// turn, 4 mirrored top-bottom, 5 transposed, 6 turned a quarter clockwise, 7 transversed, 8 turned a
// quarter counter-clockwise. 1 (and anything else) is img itself.
//
// It makes one new picture of img's kind, copying each sample straight from img, so that turning a
// 50 MP photo takes one more copy of its size and no more (issue 18, finding 6: a detour through
// two NRGBA copies took 8 bytes a pixel, 400 MB at 50 MP). A YCbCr picture stays YCbCr: its chroma planes turn with it,
// their subsampling turned too where image.YCbCr has that ratio (4:2:2 becomes 4:4:0); each chroma
// sample is taken from under the stored pixel its first pixel comes from, which is exact when the
// size is a multiple of the subsampling and off by a pixel at the edge otherwise.
func orient(img image.Image, o int) image.Image {
	if o < 2 || o > 8 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dr := image.Rect(0, 0, dw, dh)
	// stored maps a pixel of the upright picture to the stored one, both counted from the corner.
	stored := func(x, y int) (int, int) {
		switch o {
		case 2:
			return w - 1 - x, y
		case 3:
			return w - 1 - x, h - 1 - y
		case 4:
			return x, h - 1 - y
		case 5:
			return y, x
		case 6:
			return y, h - 1 - x
		case 7:
			return w - 1 - y, h - 1 - x
		}
		return w - 1 - y, x // 8
	}
	// turn fills a plane of the upright picture, rows×cols samples of n bytes, rows stride bytes
	// apart, each covering xs×ys pixels; off is where the stored pixel (x, y)'s sample starts. It
	// goes tile by tile: a quarter turn reads the stored plane down its columns, and a tile's
	// columns stay in the cache.
	turn := func(dst []byte, stride, cols, rows, n, xs, ys int, src []byte, off func(x, y int) int) {
		const tile = 64
		for r0 := 0; r0 < rows; r0 += tile {
			for c0 := 0; c0 < cols; c0 += tile {
				for r := r0; r < min(r0+tile, rows); r++ {
					row := dst[r*stride:]
					for c := c0; c < min(c0+tile, cols); c++ {
						x, y := stored(c*xs, r*ys)
						i := off(b.Min.X+x, b.Min.Y+y)
						copy(row[c*n:c*n+n], src[i:i+n])
					}
				}
			}
		}
	}
	switch src := img.(type) {
	case *image.Gray:
		dst := image.NewGray(dr)
		turn(dst.Pix, dst.Stride, dw, dh, 1, 1, 1, src.Pix, src.PixOffset)
		return dst
	case *image.RGBA:
		dst := image.NewRGBA(dr)
		turn(dst.Pix, dst.Stride, dw, dh, 4, 1, 1, src.Pix, src.PixOffset)
		return dst
	case *image.CMYK:
		dst := image.NewCMYK(dr)
		turn(dst.Pix, dst.Stride, dw, dh, 4, 1, 1, src.Pix, src.PixOffset)
		return dst
	case *image.YCbCr:
		sxs, sys := subsampling(src.SubsampleRatio)
		xs, ys := orientedSubsampling(sxs, sys, o)
		dst := image.NewYCbCr(dr, ycbcrRatio(xs, ys))
		turn(dst.Y, dst.YStride, dw, dh, 1, 1, 1, src.Y, src.YOffset)
		cols, rows := (dw+xs-1)/xs, (dh+ys-1)/ys
		turn(dst.Cb, dst.CStride, cols, rows, 1, xs, ys, src.Cb, src.COffset)
		turn(dst.Cr, dst.CStride, cols, rows, 1, xs, ys, src.Cr, src.COffset)
		return dst
	}
	// image/jpeg decodes to the kinds above; any other picture goes through NRGBA.
	dst := image.NewNRGBA(dr)
	for y := range dh {
		for x := range dw {
			sx, sy := stored(x, y)
			dst.Set(x, y, img.At(b.Min.X+sx, b.Min.Y+sy))
		}
	}
	return dst
}

// subsampling returns how many pixels across and down share a chroma sample in a YCbCr picture
// of ratio r.
func subsampling(r image.YCbCrSubsampleRatio) (xs, ys int) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return 2, 1
	case image.YCbCrSubsampleRatio420:
		return 2, 2
	case image.YCbCrSubsampleRatio440:
		return 1, 2
	case image.YCbCrSubsampleRatio411:
		return 4, 1
	case image.YCbCrSubsampleRatio410:
		return 4, 2
	}
	return 1, 1
}

// ycbcrRatio is the ratio whose subsampling is xs×ys (see subsampling); 4:4:4 for one
// image.YCbCr has not.
func ycbcrRatio(xs, ys int) image.YCbCrSubsampleRatio {
	for _, r := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410} {
		if x, y := subsampling(r); x == xs && y == ys {
			return r
		}
	}
	return image.YCbCrSubsampleRatio444
}

// orientedSubsampling is the subsampling orient gives the upright picture of a YCbCr picture
// subsampled xs×ys and stored with orientation o: the same for a mirror or a half turn, swapped
// for orientations that swap width and height, and none (1×1) where image.YCbCr has no such
// ratio (4:1:1 and 4:1:0 turned).
func orientedSubsampling(xs, ys, o int) (int, int) {
	if o < 5 {
		return xs, ys
	}
	if ycbcrRatio(ys, xs) == image.YCbCrSubsampleRatio444 {
		return 1, 1
	}
	return ys, xs
}
