package explain

import (
	"fmt"
	"strings"

	"github.com/estil-nst/estil/nst"
)

// LayerRow is one row of the layer table: one entry of torchvision's `vgg19().features`.
type LayerRow struct {
	nst.Layer
	// Height, Width, Channels: the shape of this layer's output for the table's input size.
	Height, Width, Channels int
	// Params counts the layer's weights and biases (3·3·C_in·C_out + C_out for a convolution, 0 otherwise).
	Params int
	// ReceptiveField is the side, in input pixels, of the square that one output value sees.
	ReceptiveField int
	// Content is true for the layers of the content loss; StyleWeight is the weight w_l of a style
	// layer (0 when the layer is not in the style loss).
	Content     bool
	StyleWeight float64
	// Computed is false for the layers after the deepest loss layer: the transfer never runs them.
	Computed bool
}

// LayerTableView is the original's `print(vgg19)`, with more columns: see LayerTable.
type LayerTableView struct {
	InputHeight, InputWidth int
	Rows                    []LayerRow
	// TotalParams is the sum of Params over all rows (20,024,384 for VGG19's features).
	TotalParams int
}

// LayerTable describes VGG19's `features` for an input of width×height pixels: for each of the 37
// layers its torchvision index and name, its kind, its output shape, its number of parameters,
// its receptive field, and whether it feeds the content or the style loss of loss (as names like
// conv4_2 or indices like "21"). Unknown layer names in loss are an error.
func LayerTable(width, height int, loss nst.LossConfig) (*LayerTableView, error) {
	if height < 1 || width < 1 {
		return nil, fmt.Errorf("explain: layer table: the input size must be positive, got %d×%d", width, height)
	}
	content := map[int]bool{}
	style := map[int]float64{}
	deepest := -1
	for _, name := range loss.ContentLayers {
		l, err := nst.LayerByName(name)
		if err != nil {
			return nil, fmt.Errorf("explain: layer table: content layer: %w", err)
		}
		content[l.Index] = true
		deepest = max(deepest, l.Index)
	}
	for _, s := range loss.StyleLayers {
		l, err := nst.LayerByName(s.Name)
		if err != nil {
			return nil, fmt.Errorf("explain: layer table: style layer: %w", err)
		}
		style[l.Index] = s.Weight
		deepest = max(deepest, l.Index)
	}

	v := &LayerTableView{InputHeight: height, InputWidth: width}
	h, w, c := height, width, 3
	// Receptive field: each 3×3 convolution (stride 1) widens it by 2·jump, each 2×2 pooling
	// (stride 2) by jump and doubles the jump (the distance, in input pixels, between neighbours).
	rf, jump, conv := 1, 1, 0
	layers := nst.VGG19Layers()
	for _, l := range layers {
		row := LayerRow{Layer: l}
		switch l.Kind {
		case nst.Conv:
			out := nst.VGG19Channels()[conv]
			row.Params = 3*3*c*out + out
			c = out
			conv++
			rf += 2 * jump
		case nst.Pool:
			h, w = h/2, w/2
			rf += jump
			jump *= 2
		}
		row.Height, row.Width, row.Channels, row.ReceptiveField = h, w, c, rf
		// A loss layer named after its convolution is read after the ReLU (see nst.Model.Features),
		// so the role is shown on the conv row, where the names in the loss point.
		row.Content = content[l.Index]
		row.StyleWeight = style[l.Index]
		// The ReLU right after the deepest loss conv is still computed: that is what is read.
		row.Computed = l.Index <= deepest || (l.Kind == nst.ReLU && l.Index == deepest+1 && layers[deepest].Kind == nst.Conv)
		v.TotalParams += row.Params
		v.Rows = append(v.Rows, row)
	}
	return v, nil
}

// Row returns the row of the layer with the given name ("conv4_2") or index ("21").
func (v *LayerTableView) Row(name string) (LayerRow, bool) {
	l, err := nst.LayerByName(name)
	if err != nil {
		return LayerRow{}, false
	}
	return v.Rows[l.Index], true
}

// HTML renders the table with its caption.
func (v *LayerTableView) HTML() string {
	var b strings.Builder
	section(&b, tr("layers.title"))
	caption(&b, trf("layers.intro", v.InputWidth, v.InputHeight))
	b.WriteString(`<table style="border-collapse:collapse;font-size:0.9em;font-family:monospace">` + "\n")
	fmt.Fprintf(&b, `<tr style="background:#ddd"><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>`+"\n",
		tr("layers.col.index"), tr("layers.col.name"), tr("layers.col.kind"), tr("layers.col.shape"),
		tr("layers.col.params"), tr("layers.col.rf"), tr("layers.col.role"))
	for _, r := range v.Rows {
		var role []string
		if r.Content {
			role = append(role, tr("layers.role.content"))
		}
		if r.StyleWeight != 0 {
			role = append(role, trf("layers.role.style", r.StyleWeight))
		}
		style := ""
		switch {
		case len(role) > 0:
			style = "background:#fff3c4;font-weight:bold"
		case !r.Computed:
			style = "color:#999"
		case r.Kind == nst.Pool:
			style = "background:#eef"
		}
		params := ""
		if r.Params > 0 {
			params = groupDigits(r.Params)
		}
		fmt.Fprintf(&b, `<tr style="%s"><td style="text-align:right">%d</td><td>%s</td><td>%s</td><td>%d×%d×%d</td><td style="text-align:right">%s</td><td style="text-align:right">%d</td><td>%s</td></tr>`+"\n",
			style, r.Index, esc(r.Name), esc(kindName(r.Kind)), r.Height, r.Width, r.Channels, params, r.ReceptiveField, esc(strings.Join(role, ", ")))
	}
	fmt.Fprintf(&b, `<tr style="border-top:1px solid #444"><td></td><td colspan="3">%s</td><td style="text-align:right">%s</td><td></td><td></td></tr>`+"\n",
		tr("layers.total"), groupDigits(v.TotalParams))
	b.WriteString("</table>\n")
	caption(&b, tr("layers.notes"))
	b.WriteString("</div>\n")
	return b.String()
}

func kindName(k nst.LayerKind) string {
	switch k {
	case nst.Conv:
		return tr("layers.kind.conv")
	case nst.ReLU:
		return tr("layers.kind.relu")
	}
	return tr("layers.kind.pool")
}

// groupDigits writes n with thin spaces between groups of three digits (1 792, 20 024 384),
// readable in both languages.
func groupDigits(n int) string {
	s := fmt.Sprint(n)
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, "\u202f"...)
		}
		out = append(out, s[i])
	}
	return string(out)
}
