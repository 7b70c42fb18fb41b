package explain

import (
	"fmt"
	"html"
	"image"
	"io"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"
	"gonum.org/v1/plot/vg/vgimg"
)

// View is one explanation: a table, a grid of pictures or a chart, with its caption. HTML
// returns a self-contained HTML fragment (pictures inlined as data: URIs, no scripts, no
// external style sheets or fonts), in the current Language.
type View interface {
	HTML() string
}

// Display shows v in a GoNB notebook cell. Outside a notebook (a plain `go run`, a test) it does
// nothing and returns false: write v.HTML() to a file, or use WritePage, instead.
func Display(v View) bool {
	if !gonbui.IsNotebook {
		return false
	}
	gonbui.DisplayHTML(v.HTML())
	// Wait until GoNB has taken the HTML from its pipe: a cell whose program ends right after
	// displaying otherwise loses the display now and then (seen in 1 of 3 headless runs).
	gonbui.Sync()
	return true
}

// WritePage writes a complete HTML document with the given title and views, one after the
// other, with a small embedded style sheet: what `estil explain` writes as a handout.
func WritePage(w io.Writer, title string, views ...View) error {
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=%q>\n<head>\n<meta charset=\"utf-8\">\n<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n<h1>%s</h1>\n",
		Language(), esc(title), pageCSS, esc(title))
	for _, v := range views {
		b.WriteString(v.HTML())
		b.WriteString("\n")
	}
	b.WriteString("</body>\n</html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// pageCSS styles a standalone page; fragments carry their own inline styles so they also look
// right inside a notebook.
const pageCSS = `body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;line-height:1.45;color:#222}
h1{border-bottom:2px solid #444}h2{margin-top:2em;border-bottom:1px solid #aaa}
table{border-collapse:collapse}td,th{padding:2px 8px}`

// HTMLText is a View made of ready HTML (e.g. a paragraph of a handout).
type HTMLText string

// HTML returns the text itself.
func (h HTMLText) HTML() string { return string(h) }

// esc escapes text for HTML.
func esc(s string) string { return html.EscapeString(s) }

// pngDataURI encodes img as a PNG data: URI, for <img src=...> (GoNB's EmbedImageAsPNGSrc).
func pngDataURI(img image.Image) (string, error) {
	uri, err := gonbui.EmbedImageAsPNGSrc(img)
	if err != nil {
		return "", fmt.Errorf("explain: %w", err)
	}
	return uri, nil
}

// canvasURI encodes a canvas that plots were drawn on as a PNG data: URI: the one way every
// chart, heat map and colour bar of this package becomes a picture in the page.
func canvasURI(c *vgimg.Canvas) (string, error) { return pngDataURI(c.Image()) }

// section opens a view's fragment: a box with a title.
func section(b *strings.Builder, title string) {
	fmt.Fprintf(b, `<div class="estil-view" style="margin:1.5em 0">`+"\n"+`<h2 style="font-size:1.3em">%s</h2>`+"\n", esc(title))
}

// caption writes a paragraph of explanation (already HTML-safe text from the tables in texts.go,
// which may contain simple tags like <b> and <i>).
func caption(b *strings.Builder, text string) {
	fmt.Fprintf(b, `<p style="max-width:60em">%s</p>`+"\n", text)
}

// imgTag is an <img> of a PNG data URI with alternative text and an optional CSS width.
func imgTag(uri, alt string, width string) string {
	style := ""
	if width != "" {
		style = fmt.Sprintf(` style="width:%s;image-rendering:pixelated"`, width)
	}
	return fmt.Sprintf(`<img src="%s" alt="%s"%s>`, uri, esc(alt), style)
}

// figure writes img as a captioned figure width wide (a CSS length), its caption also its
// alternative text; an error if it cannot be encoded.
func figure(b *strings.Builder, img image.Image, caption, width string) error {
	uri, err := pngDataURI(img)
	if err != nil {
		return err
	}
	fmt.Fprintf(b, `<figure style="margin:0;text-align:center">%s<figcaption>%s</figcaption></figure>`+"\n",
		imgTag(uri, caption, width), esc(caption))
	return nil
}

// errorHTML reports a view that could not be drawn, visibly, instead of an empty space.
func errorHTML(title string, err error) string {
	return fmt.Sprintf(`<div class="estil-view" style="color:#a00"><b>%s</b>: %s</div>`, esc(title), esc(err.Error()))
}
