package nbkit

import (
	"fmt"
	"html"
	"image"
	"strings"

	"github.com/estil-nst/estil/images"
	"github.com/janpfeifer/gonb/gonbui"
)

// Pictures draws the built-in content and style pictures (a lighthouse by the sea, and
// swirling brush strokes), both size×(3/4·size) pixels: the style gets the content's size, as
// in the original, so that their Gram matrices sum over as many positions.
func Pictures(size int) (content, style image.Image) {
	return images.Lighthouse(size, size*3/4), images.Swirls(size, size*3/4)
}

// Picture is one picture with a caption, for Row.
type Picture struct {
	Caption string
	Image   image.Image
}

// Row is a row of captioned pictures. It is an explain.View: show it with explain.Display.
// Pictures are drawn at least 160 px wide, with square pixels (no blurring), so that a 40 px
// tiny run is still visible.
type Row []Picture

// HTML returns the row as a self-contained HTML fragment with the pictures inlined as PNG.
func (r Row) HTML() string {
	var b strings.Builder
	b.WriteString(`<div style="display:flex;flex-wrap:wrap;gap:12px;align-items:flex-end">`)
	for _, p := range r {
		src, err := PNGDataURI(p.Image)
		if err != nil {
			fmt.Fprintf(&b, `<p>%s: %s</p>`, html.EscapeString(p.Caption), html.EscapeString(err.Error()))
			continue
		}
		w := p.Image.Bounds().Dx()
		shown := max(w, 160)
		fmt.Fprintf(&b, `<figure style="margin:0;text-align:center"><img src="%s" width="%d" style="image-rendering:pixelated" alt="%s"><figcaption style="font-size:smaller">%s</figcaption></figure>`,
			src, shown, html.EscapeString(p.Caption), html.EscapeString(p.Caption))
	}
	b.WriteString(`</div>`)
	return b.String()
}

// PNGDataURI encodes img as a PNG data: URI (GoNB's EmbedImageAsPNGSrc), refusing an empty picture.
func PNGDataURI(img image.Image) (string, error) {
	if img == nil || img.Bounds().Empty() {
		return "", fmt.Errorf("no picture")
	}
	return gonbui.EmbedImageAsPNGSrc(img)
}
