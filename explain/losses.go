package explain

import (
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"strings"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/estil-nst/estil/nst"
)

// LossSeries is one curve of a loss chart: the value of one part of the loss at each evaluation.
type LossSeries struct {
	Name string
	// X[i] is the evaluation number (nst.Evaluation.N), Y[i] the value there.
	X, Y []float64
}

// LossHistoryView charts the parts of the loss over a run: see LossHistory.
type LossHistoryView struct {
	// Series are the total, the content term (α·content), each style layer's term (β·w_l·E_l,
	// named after the layer) and, when the run had one, the total-variation term, exactly as the
	// run reported them.
	Series []LossSeries
	// RandomWeights adds a warning that the network was random.
	RandomWeights bool
	// StyleOnly: the loss had no content term (texture synthesis); the caption says so.
	StyleOnly bool
	// StyleLoss is the run's style loss (empty: gram), which the caption names.
	StyleLoss nst.StyleLoss
}

// LossHistory charts the history of a run (the nst.Evaluations given to Transfer.OnEvaluation, or
// the "evaluations" of the CLI's --report) on a logarithmic axis: the total, the content term and
// each style layer's term of loss. Values ≤ 0 (the content term is exactly 0 at the start when
// the run starts from the content image) have no place on a log axis and are left out of the
// drawing, not of Series.
func LossHistory(evals []nst.Evaluation, loss nst.LossConfig) (*LossHistoryView, error) {
	if len(evals) == 0 {
		return nil, fmt.Errorf("explain: loss history: no evaluations")
	}
	nStyle := len(loss.StyleLayers)
	v := &LossHistoryView{StyleOnly: len(loss.ContentLayers) == 0 || loss.ContentWeight == 0, StyleLoss: loss.StyleLoss}
	total := LossSeries{Name: "total"}
	content := LossSeries{Name: "content"}
	tv := LossSeries{Name: "TV"}
	style := make([]LossSeries, nStyle)
	for i, l := range loss.StyleLayers {
		style[i].Name = l.Name
	}
	for _, e := range evals {
		if len(e.Style) != nStyle {
			return nil, fmt.Errorf("explain: loss history: evaluation %d has %d style terms, the loss has %d style layers", e.N, len(e.Style), nStyle)
		}
		x := float64(e.N)
		total.X, total.Y = append(total.X, x), append(total.Y, e.Total)
		content.X, content.Y = append(content.X, x), append(content.Y, e.Content)
		tv.X, tv.Y = append(tv.X, x), append(tv.Y, e.TV)
		for i, s := range e.Style {
			style[i].X, style[i].Y = append(style[i].X, x), append(style[i].Y, s)
		}
	}
	v.Series = append(v.Series, total)
	if len(loss.ContentLayers) > 0 {
		v.Series = append(v.Series, content)
	}
	v.Series = append(v.Series, style...)
	if loss.TVWeight > 0 {
		v.Series = append(v.Series, tv)
	}
	return v, nil
}

// Report is the part of `estil stylize --report` that LossHistoryFromReport reads.
type Report struct {
	Loss          nst.LossConfig   `json:"loss"`
	Evaluations   []nst.Evaluation `json:"evaluations"`
	RandomWeights bool             `json:"random_weights"`
}

// LossHistoryFromReport reads the JSON written by `estil stylize --report run.json` and charts it.
func LossHistoryFromReport(r io.Reader) (*LossHistoryView, error) {
	var rep Report
	if err := json.NewDecoder(r).Decode(&rep); err != nil {
		return nil, fmt.Errorf("explain: reading a report: %w", err)
	}
	v, err := LossHistory(rep.Evaluations, rep.Loss)
	if err != nil {
		return nil, err
	}
	v.RandomWeights = rep.RandomWeights
	return v, nil
}

// seriesColors are distinguishable colours for the curves (Tableau's 10).
var seriesColors = []color.NRGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff}, {0xd6, 0x27, 0x28, 0xff},
	{0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff}, {0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff},
	{0xbc, 0xbd, 0x22, 0xff}, {0x17, 0xbe, 0xcf, 0xff},
}

// positiveXYs keeps the points that a log axis can show.
func positiveXYs(x, y []float64) plotter.XYs {
	var xys plotter.XYs
	for i := range x {
		if y[i] > 0 {
			xys = append(xys, plotter.XY{X: x[i], Y: y[i]})
		}
	}
	return xys
}

// lines returns the curves drawn, one per series that has at least one positive value, with their
// names (in the current language for total and content).
func (v *LossHistoryView) lines() ([]*plotter.Line, []string, error) {
	var lines []*plotter.Line
	var names []string
	for i, s := range v.Series {
		xys := positiveXYs(s.X, s.Y)
		if len(xys) == 0 {
			continue
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, nil, err
		}
		l.Color = seriesColors[i%len(seriesColors)]
		l.Width = vg.Points(1.5)
		if i == 0 { // the total: black and dashed, visible where one term dominates it
			l.Color = color.Black
			l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		lines = append(lines, l)
		names = append(names, seriesName(s.Name))
	}
	return lines, names, nil
}

func seriesName(name string) string {
	switch name {
	case "total":
		return tr("losses.total")
	case "content":
		return tr("losses.content")
	}
	return name
}

// HTML renders the chart with its caption.
func (v *LossHistoryView) HTML() string {
	title := tr("losses.title")
	var b strings.Builder
	section(&b, title)
	if v.RandomWeights {
		b.WriteString(randomWarningHTML())
	}
	lines, names, err := v.lines()
	if err != nil {
		return errorHTML(title, err)
	}
	p := logChart(tr("losses.x"), tr("losses.y"), lines, names)
	uri, err := chartPNG(p, 16*vg.Centimeter, 10*vg.Centimeter)
	if err != nil {
		return errorHTML(title, err)
	}
	b.WriteString(imgTag(uri, title, "") + "\n")
	switch {
	case isGram(v.StyleLoss) && v.StyleOnly:
		caption(&b, tr("losses.notes.styleonly"))
	case isGram(v.StyleLoss):
		caption(&b, tr("losses.notes"))
	case v.StyleOnly:
		caption(&b, trf("losses.notes.styleonly.other", styleLossApposition(v.StyleLoss)))
	default:
		caption(&b, trf("losses.notes.other", styleLossApposition(v.StyleLoss)))
	}
	b.WriteString("</div>\n")
	return b.String()
}

// randomWarningHTML is the loud warning of every view computed with a random network.
func randomWarningHTML() string {
	return `<p style="background:#c00;color:#fff;font-weight:bold;padding:0.6em;font-size:1.1em">` + tr("random.warning") + "</p>\n"
}
