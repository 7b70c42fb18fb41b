package explain

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"math"
	"strings"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/estil-nst/estil/nst"
)

// PipelineDiagram writes, as an SVG, the diagram of the whole method in lang ("en" or "ca"), drawn
// after Gatys et al. 2016's figure 2: the content picture C, the style picture S and the target T
// (which starts as noise or as a copy of C) go through the same frozen VGG19, whose five blocks
// are drawn with every convolution named; at conv4_2 the content loss mean((T − C)²); at
// conv1_1 … conv5_1 the Gram matrices G = F·Fᵀ and the style errors E_l with the weights w_l of
// nst.DefaultLoss; the total L = α·content + β·style; its gradient back to T's pixels, which L-BFGS
// updates. The layers, their blocks and the weights are read from nst (nst.VGG19Layers,
// nst.DefaultLoss), so the diagram says what the code does.
//
// The text is drawn in Liberation Sans (gonum's embedded font, which measures it), and the SVG
// names Arial, Helvetica and sans-serif after it, which have the same metrics, for viewers that
// lack it. `go generate ./notebooks` writes the teacher's guide's copies,
// notebooks/guide/pipeline.en.svg and pipeline.ca.svg.
func PipelineDiagram(w io.Writer, lang string) error {
	if lang != English && lang != Catalan {
		return fmt.Errorf("explain: pipeline diagram: unknown language %q: use %q or %q", lang, English, Catalan)
	}
	d, err := newDiagram(lang)
	if err != nil {
		return err
	}
	d.draw()
	var buf bytes.Buffer
	if _, err := d.c.WriteTo(&buf); err != nil {
		return fmt.Errorf("explain: pipeline diagram: %w", err)
	}
	// gonum names only the embedded font's family; a viewer without Liberation Sans would fall back
	// to its default font, often a serif one, with other widths. Arial and Helvetica have
	// Liberation Sans's metrics.
	out := strings.ReplaceAll(buf.String(), "font-family:Liberation Sans;",
		"font-family:'Liberation Sans',Arial,Helvetica,sans-serif;")
	if _, err := io.WriteString(w, out); err != nil {
		return fmt.Errorf("explain: pipeline diagram: %w", err)
	}
	return nil
}

func init() {
	for k, v := range map[string]text{
		"pipeline.title": {
			en: "Neural style transfer as the nst package computes it (after Gatys et al. 2016, fig. 2)",
			ca: "La transferència neuronal d'estil tal com la calcula el paquet nst (segons Gatys et al. 2016, fig. 2)",
		},
		"pipeline.content":       {en: "content C", ca: "contingut C"},
		"pipeline.style":         {en: "style S", ca: "estil S"},
		"pipeline.target":        {en: "target T", ca: "objectiu T"},
		"pipeline.target.start":  {en: "starts as noise", ca: "comença com a soroll"},
		"pipeline.target.start2": {en: "or as a copy of C", ca: "o com a còpia de C"},
		"pipeline.vgg": {
			en: "VGG19, frozen: the same network looks at C, S and T",
			ca: "VGG19, congelada: la mateixa xarxa mira C, S i T",
		},
		"pipeline.block":    {en: "block %d", ca: "bloc %d"},
		"pipeline.channels": {en: "%d channels", ca: "%d canals"},
		"pipeline.pool":     {en: "pool", ca: "pool"},
		"pipeline.pool.what": {
			en: "pool: 2×2 max pooling, which halves the height and the width",
			ca: "pool: agrupació màxima (pooling) 2×2, que divideix per dos l'alçada i l'amplada",
		},
		"pipeline.unused":        {en: "not computed", ca: "no es calcula"},
		"pipeline.content.title": {en: "content loss, at %s", ca: "pèrdua de contingut, a %s"},
		"pipeline.content.loss":  {en: "content = mean((T − C)²)", ca: "contingut = mitjana((T − C)²)"},
		"pipeline.content.what": {
			en: "T, C: the feature maps of T and of C at %s",
			ca: "T, C: els mapes de característiques de T i de C a %s",
		},
		"pipeline.style.weight": {en: "w_l = %s", ca: "w_l = %s"},
		"pipeline.style.title":  {en: "style loss, at %s", ca: "pèrdua d'estil, a %s"},
		"pipeline.style.loss":   {en: "E_l = mean((G_T − G_S)²) / (d·h·w)", ca: "E_l = mitjana((G_T − G_S)²) / (d·h·w)"},
		"pipeline.style.sum":    {en: "style = Σ_l w_l·E_l", ca: "estil = Σ_l w_l·E_l"},
		"pipeline.style.what": {
			en: "F: the layer's d maps as rows (d × h·w); G: d × d, which channels fire together",
			ca: "F: els d mapes de la capa com a files (d × h·w); G: d × d, quins canals s'activen junts",
		},
		"pipeline.total.title": {en: "total loss", ca: "pèrdua total"},
		"pipeline.total":       {en: "L = α·content + β·style", ca: "L = α·contingut + β·estil"},
		"pipeline.total.ab":    {en: "α = %g, β = 10⁶", ca: "α = %g, β = 10⁶"},
		"pipeline.gradient": {
			en: "∂L/∂T: the gradient flows back through VGG19 to T's pixels",
			ca: "∂L/∂T: el gradient torna enrere a través de VGG19 fins als píxels de T",
		},
		"pipeline.lbfgs": {
			en: "L-BFGS updates T's pixels and goes round again; VGG19's weights never change",
			ca: "L-BFGS actualitza els píxels de T i torna a començar; els pesos de VGG19 no canvien mai",
		},
	} {
		texts[k] = v
	}
}

// The diagram's size, in points, and its colours.
const (
	diagramW = 1030
	diagramH = 510
)

var (
	inkColor     = color.NRGBA{0x22, 0x22, 0x22, 0xff}
	greyColor    = color.NRGBA{0x99, 0x99, 0x99, 0xff}
	contentColor = color.NRGBA{0x21, 0x66, 0xac, 0xff} // blue
	styleColor   = color.NRGBA{0xd9, 0x5f, 0x02, 0xff} // orange
	targetColor  = color.NRGBA{0x1b, 0x9e, 0x77, 0xff} // green
	totalColor   = color.NRGBA{0x6a, 0x3d, 0x9a, 0xff} // purple
	gradColor    = color.NRGBA{0xc0, 0x1c, 0x28, 0xff} // red
	blockFill    = color.NRGBA{0xf0, 0xf0, 0xf0, 0xff}
)

// tint mixes c with white: f = 0 is white, 1 is c.
func tint(c color.NRGBA, f float64) color.NRGBA {
	mix := func(v uint8) uint8 { return uint8(255 - f*(255-float64(v)) + 0.5) }
	return color.NRGBA{mix(c.R), mix(c.G), mix(c.B), 0xff}
}

// diagram draws on an SVG canvas in points, with y measured down from the top (the canvas's own
// y goes up).
type diagram struct {
	lang string
	c    *vgsvg.Canvas
	loss nst.LossConfig
}

func newDiagram(lang string) (*diagram, error) {
	loss := nst.DefaultLoss()
	if err := loss.Validate(); err != nil {
		return nil, fmt.Errorf("explain: pipeline diagram: %w", err)
	}
	_ = plot.DefaultTextHandler // plot's init adds the Liberation fonts to font.DefaultCache
	return &diagram{lang: lang, c: vgsvg.New(diagramW, diagramH), loss: loss}, nil
}

// t is tr in the diagram's language (not the package's current one).
func (d *diagram) t(key string, args ...any) string {
	tx, ok := texts[key]
	if !ok {
		return "[[" + key + "]]"
	}
	s := tx.en
	if d.lang == Catalan {
		s = tx.ca
	}
	if len(args) > 0 {
		s = fmt.Sprintf(s, args...)
	}
	return s
}

// decimal writes v as the diagram's language writes numbers: 0.75 or 0,75.
func (d *diagram) decimal(v float64) string {
	s := fmt.Sprintf("%g", v)
	if d.lang == Catalan {
		s = strings.ReplaceAll(s, ".", ",")
	}
	return s
}

func (d *diagram) pt(x, y float64) vg.Point {
	return vg.Point{X: vg.Length(x), Y: vg.Length(diagramH - y)}
}

func face(size float64, bold, italic bool) font.Face {
	f := font.Font{Typeface: "Liberation", Variant: "Sans"}
	if bold {
		f.Weight = xfont.WeightBold
	}
	if italic {
		f.Style = xfont.StyleItalic
	}
	return font.DefaultCache.Lookup(f, vg.Length(size))
}

// textStyle is how a string is drawn.
type textStyle struct {
	size         float64
	bold, italic bool
	color        color.Color
	anchor       float64 // 0: x is the left end; 0.5: the middle; 1: the right end
}

var (
	plain    = textStyle{size: 11, color: inkColor}
	small    = textStyle{size: 9.5, color: inkColor}
	centered = textStyle{size: 11, color: inkColor, anchor: 0.5}
)

func (s textStyle) with(f func(*textStyle)) textStyle { f(&s); return s }

// width is the width of str in style s, in points.
func (s textStyle) width(str string) float64 {
	f := face(s.size, s.bold, s.italic)
	return float64(f.Width(str))
}

// text draws str with its baseline at y.
func (d *diagram) text(x, y float64, str string, s textStyle) {
	f := face(s.size, s.bold, s.italic)
	d.c.SetColor(s.color)
	d.c.FillString(f, d.pt(x-s.anchor*float64(f.Width(str)), y), str)
}

// box draws a rectangle with rounded corners (radius r), filled and outlined (nil: not drawn).
func (d *diagram) box(x, y, w, h, r float64, fill, stroke color.Color, lineWidth float64) {
	var p vg.Path
	const quarter = math.Pi / 2
	p.Move(d.pt(x+r, y))
	p.Line(d.pt(x+w-r, y))
	p.Arc(d.pt(x+w-r, y+r), vg.Length(r), quarter, -quarter)
	p.Line(d.pt(x+w, y+h-r))
	p.Arc(d.pt(x+w-r, y+h-r), vg.Length(r), 0, -quarter)
	p.Line(d.pt(x+r, y+h))
	p.Arc(d.pt(x+r, y+h-r), vg.Length(r), -quarter, -quarter)
	p.Line(d.pt(x, y+r))
	p.Arc(d.pt(x+r, y+r), vg.Length(r), 2*quarter, -quarter)
	p.Close()
	if fill != nil {
		d.c.SetColor(fill)
		d.c.Fill(p)
	}
	if stroke != nil {
		d.c.SetColor(stroke)
		d.c.SetLineWidth(vg.Length(lineWidth))
		d.c.Stroke(p)
	}
}

// rect fills an axis-aligned rectangle.
func (d *diagram) rect(x, y, w, h float64, fill color.Color) {
	d.polygon(fill, x, y, x+w, y, x+w, y+h, x, y+h)
}

// polygon fills the polygon through the points (x0, y0, x1, y1, …).
func (d *diagram) polygon(fill color.Color, xy ...float64) {
	var p vg.Path
	p.Move(d.pt(xy[0], xy[1]))
	for i := 2; i+1 < len(xy); i += 2 {
		p.Line(d.pt(xy[i], xy[i+1]))
	}
	p.Close()
	d.c.SetColor(fill)
	d.c.Fill(p)
}

// arrow draws a polyline through the points (x0, y0, x1, y1, …) with an arrowhead at its end.
func (d *diagram) arrow(c color.Color, lineWidth float64, xy ...float64) {
	n := len(xy)
	ex, ey := xy[n-2], xy[n-1]
	px, py := xy[n-4], xy[n-3]
	// Unit vector along the last segment, and the head's size.
	dx, dy := ex-px, ey-py
	l := math.Hypot(dx, dy)
	dx, dy = dx/l, dy/l
	head := 4 + 2*lineWidth
	var p vg.Path
	p.Move(d.pt(xy[0], xy[1]))
	for i := 2; i+1 < n-2; i += 2 {
		p.Line(d.pt(xy[i], xy[i+1]))
	}
	p.Line(d.pt(ex-dx*head*0.8, ey-dy*head*0.8)) // stop inside the head, so that it stays sharp
	d.c.SetColor(c)
	d.c.SetLineWidth(vg.Length(lineWidth))
	d.c.Stroke(p)
	d.polygon(c, ex, ey,
		ex-dx*head*1.6-dy*head*0.7, ey-dy*head*1.6+dx*head*0.7,
		ex-dx*head*1.6+dy*head*0.7, ey-dy*head*1.6-dx*head*0.7)
}

// line draws a polyline through the points (x0, y0, x1, y1, …).
func (d *diagram) line(c color.Color, lineWidth float64, xy ...float64) {
	var p vg.Path
	p.Move(d.pt(xy[0], xy[1]))
	for i := 2; i+1 < len(xy); i += 2 {
		p.Line(d.pt(xy[i], xy[i+1]))
	}
	d.c.SetColor(c)
	d.c.SetLineWidth(vg.Length(lineWidth))
	d.c.Stroke(p)
}

// Where the parts go (top-left corner of each, in points).
const (
	picX, picW, picH = 20.0, 120.0, 90.0
	contentPicY      = 60.0
	stylePicY        = 190.0
	targetPicY       = 330.0

	blockX0, blockW, blockGap = 200.0, 100.0, 28.0
	netMid                    = 210.0 // the blocks are centred on this height
	rowH, blockHead           = 15.0, 32.0

	styleBoxY, styleBoxH = 300.0, 52.0
	styleBandY           = 364.0
	loopY                = 476.0
	totalX, totalY       = 822.0, 172.0
	totalW, totalH       = 200.0, 86.0
)

func blockX(b int) float64 { return blockX0 + float64(b-1)*(blockW+blockGap) }

func (d *diagram) draw() {
	d.rect(0, 0, diagramW, diagramH, color.White)
	d.text(diagramW/2, 24, d.t("pipeline.title"), centered.with(func(s *textStyle) { s.size, s.bold = 14, true }))

	d.pictures()
	rows := d.network()
	d.contentLoss(rows)
	d.styleLoss(rows)
	d.total()
	d.loop()
}

// pictures draws C, S and T at the left, each with its arrow into VGG19.
func (d *diagram) pictures() {
	// C: a lighthouse on a cliff by the sea, at dusk.
	x, y := picX, contentPicY
	d.rect(x, y, picW, picH*0.62, color.NRGBA{0x9e, 0xc9, 0xe8, 0xff})
	d.rect(x, y+picH*0.62, picW, picH*0.38, color.NRGBA{0x2c, 0x5f, 0x8a, 0xff})
	d.polygon(color.NRGBA{0x7a, 0x5c, 0x3a, 0xff}, x+60, y+picH, x+72, y+62, x+100, y+56, x+picW, y+58, x+picW, y+picH)
	tx := x + 82.0
	d.rect(tx, y+22, 11, 36, color.White)
	for _, sy := range []float64{28, 40, 52} {
		d.rect(tx, y+sy, 11, 5, color.NRGBA{0xc0, 0x1c, 0x28, 0xff})
	}
	d.rect(tx+2, y+15, 7, 7, color.NRGBA{0xff, 0xd9, 0x2f, 0xff})
	d.polygon(color.NRGBA{0x33, 0x33, 0x33, 0xff}, tx-1, y+15, tx+5.5, y+9, tx+12, y+15)
	d.box(x, y, picW, picH, 0, nil, contentColor, 2)
	d.text(x+picW/2, y+picH+14, d.t("pipeline.content"), centered.with(func(s *textStyle) { s.bold, s.color = true, contentColor }))

	// S: swirls of yellow and light blue on a night blue, with a moon.
	x, y = picX, stylePicY
	d.rect(x, y, picW, picH, color.NRGBA{0x1d, 0x2f, 0x6f, 0xff})
	swirl := func(cx, cy float64, c color.Color) {
		for i, r := range []float64{6, 11, 16} {
			var p vg.Path
			start := float64(i) * 0.9
			p.Move(d.pt(cx+r*math.Cos(start), cy-r*math.Sin(start)))
			p.Arc(d.pt(cx, cy), vg.Length(r), start, 4.2)
			d.c.SetColor(c)
			d.c.SetLineWidth(2.5)
			d.c.Stroke(p)
		}
	}
	swirl(x+34, y+32, color.NRGBA{0xf2, 0xc9, 0x4c, 0xff})
	swirl(x+78, y+58, color.NRGBA{0x8f, 0xc1, 0xe3, 0xff})
	d.line(color.NRGBA{0xf2, 0xc9, 0x4c, 0xff}, 2.5, x+8, y+80, x+30, y+72, x+52, y+82, x+74, y+76)
	var moon vg.Path
	moon.Move(d.pt(x+108, y+16))
	moon.Arc(d.pt(x+101, y+16), 7, 0, 2*math.Pi)
	moon.Close()
	d.c.SetColor(color.NRGBA{0xff, 0xe0, 0x66, 0xff})
	d.c.Fill(moon)
	d.box(x, y, picW, picH, 0, nil, styleColor, 2)
	d.text(x+picW/2, y+picH+14, d.t("pipeline.style"), centered.with(func(s *textStyle) { s.bold, s.color = true, styleColor }))

	// T: noise (a fixed pseudo-random grid, so that the file is the same on every run).
	x, y = picX, targetPicY
	const nx, ny = 12, 9
	seed := uint32(20160627)
	next := func() uint8 {
		seed = seed*1664525 + 1013904223
		return uint8(seed >> 24)
	}
	for j := range ny {
		for i := range nx {
			d.rect(x+float64(i)*picW/nx, y+float64(j)*picH/ny, picW/nx+0.3, picH/ny+0.3,
				color.NRGBA{next(), next(), next(), 0xff})
		}
	}
	d.box(x, y, picW, picH, 0, nil, targetColor, 2)
	d.text(x+picW/2, y+picH+14, d.t("pipeline.target"), centered.with(func(s *textStyle) { s.bold, s.color = true, targetColor }))
	d.text(x+picW/2, y+picH+27, d.t("pipeline.target.start"), small.with(func(s *textStyle) { s.anchor = 0.5 }))
	d.text(x+picW/2, y+picH+39, d.t("pipeline.target.start2"), small.with(func(s *textStyle) { s.anchor = 0.5 }))

	// Into VGG19: three passes through the same network.
	b1 := blockHeight(1)
	top := netMid - b1/2
	for i, c := range []struct {
		y   float64
		col color.Color
	}{{contentPicY + picH/2, contentColor}, {stylePicY + picH/2, styleColor}, {targetPicY + picH/2, targetColor}} {
		ey := top + blockHead + 4 + float64(i)*(b1-blockHead-8)/2
		d.arrow(c.col, 1.8, picX+picW+2, c.y, picX+picW+26, c.y, blockX0-24, ey, blockX0-1, ey)
	}
}

// convs lists the convolutions of VGG19 by block.
func convs() map[int][]nst.Layer {
	out := map[int][]nst.Layer{}
	for _, l := range nst.VGG19Layers() {
		if l.Kind == nst.Conv {
			out[l.Block] = append(out[l.Block], l)
		}
	}
	return out
}

func blockHeight(b int) float64 { return blockHead + float64(len(convs()[b]))*rowH + 8 }

// layerRow is where a convolution's row is drawn.
type layerRow struct{ x, y, w, top, bottom float64 }

// A highlighted row's box spans rowInset … blockW−rowInset−8 of its block: the content layer's line
// leaves it on the left, at contentLineX, the style layers' on the right, at styleLineX, so that
// no line crosses another row.
const (
	rowInset     = 12.0
	contentLineX = 6.0
	styleLineX   = 90.0
)

// network draws VGG19's five blocks, each convolution a row: the content layers in blue, the style
// layers in orange, those after the deepest loss layer in grey. It returns each row's place.
func (d *diagram) network() map[string]layerRow {
	capY := netMid - blockHeight(3)/2 - 31
	d.text(blockX0, capY, d.t("pipeline.vgg"), plain.with(func(s *textStyle) { s.bold = true }))
	d.text(blockX0, capY+15, d.t("pipeline.pool.what"), small.with(func(s *textStyle) { s.color = greyColor }))
	content := map[string]bool{}
	for _, n := range d.loss.ContentLayers {
		content[n] = true
	}
	style := map[string]bool{}
	deepest := 0
	for _, s := range d.loss.StyleLayers {
		style[s.Name] = true
	}
	for _, l := range nst.VGG19Layers() {
		if content[l.Name] || style[l.Name] {
			deepest = max(deepest, l.Index)
		}
	}
	channels := nst.VGG19Channels()
	rows := map[string]layerRow{}
	conv := 0
	byBlock := convs()
	for b := 1; b <= 5; b++ {
		x, h := blockX(b), blockHeight(b)
		top := netMid - h/2
		d.box(x, top, blockW, h, 6, blockFill, greyColor, 1)
		d.text(x+blockW/2, top+14, d.t("pipeline.block", b), centered.with(func(s *textStyle) { s.bold = true }))
		d.text(x+blockW/2, top+26, d.t("pipeline.channels", channels[conv]), small.with(func(s *textStyle) { s.anchor, s.color = 0.5, greyColor }))
		for i, l := range byBlock[b] {
			ry := top + blockHead + float64(i)*rowH
			r := layerRow{x: x + rowInset, y: ry, w: blockW - 2*rowInset - 8, top: top, bottom: top + h}
			rows[l.Name] = r
			st := plain.with(func(s *textStyle) { s.anchor, s.size = 0.5, 10.5 })
			switch {
			case content[l.Name]:
				d.box(r.x, ry, r.w, rowH-2, 3, tint(contentColor, 0.25), contentColor, 1)
				st.bold, st.color = true, contentColor
			case style[l.Name]:
				d.box(r.x, ry, r.w, rowH-2, 3, tint(styleColor, 0.25), styleColor, 1)
				st.bold, st.color = true, styleColor
			case l.Index > deepest:
				st.color = greyColor
			}
			d.text(r.x+r.w/2, ry+rowH-5, l.Name, st)
			conv++
		}
		if b < 5 {
			d.arrow(inkColor, 1.2, x+blockW+3, netMid, x+blockW+blockGap-3, netMid)
			d.text(x+blockW+blockGap/2, netMid-5, d.t("pipeline.pool"), small.with(func(s *textStyle) { s.anchor, s.color, s.size = 0.5, greyColor, 8 }))
		}
	}
	// The convolutions after the deepest loss layer are never run.
	last := byBlock[5][len(byBlock[5])-1]
	if last.Index > deepest {
		r := rows[last.Name]
		d.text(r.x+r.w/2, r.bottom+11, d.t("pipeline.unused"), small.with(func(s *textStyle) { s.anchor, s.color, s.italic = 0.5, greyColor, true }))
	}
	return rows
}

// contentLoss draws the content loss above block 4, fed by the content layer's row.
func (d *diagram) contentLoss(rows map[string]layerRow) {
	name := d.loss.ContentLayers[0]
	r := rows[name]
	x, y, w, h := 470.0, 42.0, 330.0, 62.0
	d.box(x, y, w, h, 8, tint(contentColor, 0.12), contentColor, 1.5)
	d.text(x+10, y+16, d.t("pipeline.content.title", name), plain.with(func(s *textStyle) { s.bold, s.color = true, contentColor }))
	d.text(x+10, y+36, d.t("pipeline.content.loss"), plain.with(func(s *textStyle) { s.size = 13 }))
	d.text(x+10, y+53, d.t("pipeline.content.what", name), small)
	lx := blockX(blockOf(name)) + contentLineX
	d.arrow(contentColor, 1.5, r.x, r.y+rowH/2-1, lx, r.y+rowH/2-1, lx, y+h+1)
	// On to the total.
	d.arrow(contentColor, 1.5, x+w, y+h/2, totalX+totalW/2, y+h/2, totalX+totalW/2, totalY-1)
}

// styleLoss draws one box per style layer under its block, and the formulas under them.
func (d *diagram) styleLoss(rows map[string]layerRow) {
	var names []string
	for _, s := range d.loss.StyleLayers {
		r := rows[s.Name]
		names = append(names, s.Name)
		bx := blockX(blockOf(s.Name))
		// From the right of the layer's row, down through the bottom of its block, to its box.
		lx := bx + styleLineX
		d.arrow(styleColor, 1.5, r.x+r.w, r.y+rowH/2-1, lx, r.y+rowH/2-1, lx, styleBoxY-1)
		d.box(bx, styleBoxY, blockW, styleBoxH, 6, tint(styleColor, 0.12), styleColor, 1.2)
		d.text(bx+blockW/2, styleBoxY+15, s.Name, centered.with(func(t *textStyle) { t.bold, t.color, t.size = true, styleColor, 10.5 }))
		d.text(bx+blockW/2, styleBoxY+30, "G = F·Fᵀ", centered)
		d.text(bx+blockW/2, styleBoxY+45, d.t("pipeline.style.weight", d.decimal(s.Weight)), centered.with(func(t *textStyle) { t.size = 10.5 }))
	}
	x0, x1 := blockX0, blockX(5)+blockW
	y, h := styleBandY, 62.0
	d.box(x0, y, x1-x0, h, 8, tint(styleColor, 0.12), styleColor, 1.5)
	for b := 1; b <= 5; b++ {
		cx := blockX(b) + blockW/2
		d.arrow(styleColor, 1.2, cx, styleBoxY+styleBoxH+1, cx, y-1)
	}
	first, last := names[0], names[len(names)-1]
	d.text(x0+10, y+16, d.t("pipeline.style.title", first+" … "+last), plain.with(func(s *textStyle) { s.bold, s.color = true, styleColor }))
	d.text(x0+10, y+36, d.t("pipeline.style.loss"), plain.with(func(s *textStyle) { s.size = 13 }))
	sum := d.t("pipeline.style.sum")
	d.text(x0+400, y+36, sum, plain.with(func(s *textStyle) { s.size = 13 }))
	d.text(x0+10, y+53, d.t("pipeline.style.what"), small)
	// On to the total.
	d.arrow(styleColor, 1.5, x1, y+h/2, totalX+totalW/2, y+h/2, totalX+totalW/2, totalY+totalH+1)
}

func blockOf(name string) int {
	l, err := nst.LayerByName(name)
	if err != nil {
		panic(err) // the loss was validated
	}
	return l.Block
}

// total draws the total loss at the right.
func (d *diagram) total() {
	d.box(totalX, totalY, totalW, totalH, 8, tint(totalColor, 0.12), totalColor, 1.8)
	cx := totalX + totalW/2
	d.text(cx, totalY+18, d.t("pipeline.total.title"), centered.with(func(s *textStyle) { s.bold, s.color = true, totalColor }))
	d.text(cx, totalY+42, d.t("pipeline.total"), centered.with(func(s *textStyle) { s.size = 12.5 }))
	d.text(cx, totalY+64, d.t("pipeline.total.ab", d.loss.ContentWeight), centered.with(func(s *textStyle) { s.size = 11 }))
}

// loop draws the gradient's way back from the total to T's pixels.
func (d *diagram) loop() {
	cx := totalX + totalW/2
	// Down from the total, along the bottom and into T from the left.
	d.arrow(gradColor, 2.2, cx+50, totalY+totalH+1, cx+50, loopY, 8, loopY, 8, targetPicY+picH/2, picX-2, targetPicY+picH/2)
	d.text(blockX0, loopY-8, d.t("pipeline.gradient"), plain.with(func(s *textStyle) { s.bold, s.color = true, gradColor }))
	d.text(blockX0, loopY+16, d.t("pipeline.lbfgs"), plain.with(func(s *textStyle) { s.color = gradColor }))
}
