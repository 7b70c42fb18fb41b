package explain

import (
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// chartPNG renders a plot as a PNG data URI, w×h (gonum's vgimg canvas, with its embedded
// Liberation fonts).
func chartPNG(p *plot.Plot, w, h vg.Length) (string, error) {
	c := vgimg.New(w, h)
	p.Draw(draw.New(c))
	return canvasURI(c)
}

// viridis is matplotlib's perceptually uniform colour map (dark purple → blue → green →
// yellow), given by nine of its colours and interpolated linearly in between.
var viridisAnchors = []color.NRGBA{
	{0x44, 0x01, 0x54, 0xff}, {0x48, 0x28, 0x78, 0xff}, {0x3e, 0x49, 0x89, 0xff},
	{0x31, 0x68, 0x8e, 0xff}, {0x26, 0x82, 0x8e, 0xff}, {0x1f, 0x9e, 0x89, 0xff},
	{0x35, 0xb7, 0x79, 0xff}, {0x6e, 0xce, 0x58, 0xff}, {0xfd, 0xe7, 0x25, 0xff},
}

// viridisAt maps v in [0, 1] (clamped) to its viridis colour.
func viridisAt(v float64) color.NRGBA {
	if math.IsNaN(v) || v <= 0 {
		return viridisAnchors[0]
	}
	if v >= 1 {
		return viridisAnchors[len(viridisAnchors)-1]
	}
	x := v * float64(len(viridisAnchors)-1)
	i := int(x)
	f := x - float64(i)
	a, b := viridisAnchors[i], viridisAnchors[i+1]
	mix := func(p, q uint8) uint8 { return uint8(math.Round(float64(p) + f*(float64(q)-float64(p)))) }
	return color.NRGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 0xff}
}

// colorMap is a palette.ColorMap over a function of [0, 1], for gonum's HeatMap and ColorBar.
type colorMap struct {
	at       func(float64) color.NRGBA
	min, max float64
	alpha    float64
}

func newViridis() *colorMap { return &colorMap{at: viridisAt, max: 1, alpha: 1} }

// newDiverging is blue (negative) → white (0) → red (positive), for differences; set min = −max.
func newDiverging() *colorMap { return &colorMap{at: divergingAt, min: -1, max: 1, alpha: 1} }

func divergingAt(v float64) color.NRGBA {
	v = math.Max(0, math.Min(1, v))
	blue, white, red := [3]float64{59, 76, 192}, [3]float64{247, 247, 247}, [3]float64{180, 4, 38}
	from, to, f := blue, white, v*2
	if v > 0.5 {
		from, to, f = white, red, (v-0.5)*2
	}
	c := func(i int) uint8 { return uint8(math.Round(from[i] + f*(to[i]-from[i]))) }
	return color.NRGBA{c(0), c(1), c(2), 0xff}
}

var _ palette.ColorMap = (*colorMap)(nil)

func (m *colorMap) At(v float64) (color.Color, error) {
	if m.max <= m.min {
		return m.at(0.5), nil
	}
	if v < m.min || v > m.max {
		return nil, palette.ErrOverflow
	}
	return m.at((v - m.min) / (m.max - m.min)), nil
}
func (m *colorMap) Max() float64           { return m.max }
func (m *colorMap) Min() float64           { return m.min }
func (m *colorMap) SetMax(v float64)       { m.max = v }
func (m *colorMap) SetMin(v float64)       { m.min = v }
func (m *colorMap) Alpha() float64         { return m.alpha }
func (m *colorMap) SetAlpha(alpha float64) { m.alpha = alpha }

// Palette returns n colours evenly spaced over the map.
func (m *colorMap) Palette(n int) palette.Palette {
	cs := make([]color.Color, n)
	for i := range n {
		v := 0.5
		if n > 1 {
			v = float64(i) / float64(n-1)
		}
		cs[i] = m.at(v)
	}
	return palette.Palette(paletteColors(cs))
}

type paletteColors []color.Color

func (p paletteColors) Colors() []color.Color { return p }

// logTicks are gonum's logarithmic ticks with labels written plainly (1e-05, 0.001, 100, 1e+06)
// instead of with the rounding errors of powers of ten (9.999999999999999e-06).
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.LogTicks{Prec: -1}.Ticks(lo, hi)
	labelled := 0
	for _, t := range ticks {
		if t.Label != "" {
			labelled++
		}
	}
	every := max(1, (labelled+9)/10) // at most about 10 labels
	n := 0
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = ""
			if n%every == 0 {
				ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'g', 3, 64)
			}
			n++
		}
	}
	return ticks
}

// intTicks label whole numbers only (iterations, evaluations), at a step of 1, 2 or 5 times a
// power of ten that gives at most 8 labels.
type intTicks struct{}

func (intTicks) Ticks(min, max float64) []plot.Tick {
	lo, hi := math.Ceil(min), math.Floor(max)
	step := 1.0
	for k := 0; (hi-lo)/step > 7; k++ {
		step = []float64{1, 2, 5}[k%3] * math.Pow(10, float64(k/3))
	}
	var out []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi; v += step {
		out = append(out, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', 0, 64)})
	}
	return out
}

// keepLogAxisValid gives p's logarithmic y axis a range it can draw: gonum panics on a log axis
// whose minimum is not above 0, which is what an empty chart has (one L-BFGS iteration: no sᵀy
// yet), and draws nothing on one whose range is a single value (every loss equal).
func keepLogAxisValid(p *plot.Plot) {
	switch {
	case !(p.Y.Min > 0) || math.IsInf(p.Y.Max, 0) || math.IsNaN(p.Y.Max):
		p.Y.Min, p.Y.Max = 1, 10
	case p.Y.Max <= p.Y.Min:
		p.Y.Min, p.Y.Max = p.Y.Min/2, p.Y.Min*2
	}
}

// logChart is a plot with a logarithmic y axis whose range is widened upwards, so that a legend
// in the top right corner does not hide the curves.
func logChart(xLabel, yLabel string, lines []*plotter.Line, names []string) *plot.Plot {
	p := plot.New()
	p.X.Label.Text, p.Y.Label.Text = xLabel, yLabel
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = logTicks{}
	p.X.Tick.Marker = intTicks{}
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	for i, l := range lines {
		p.Add(l)
		if i < len(names) {
			p.Legend.Add(names[i], l)
		}
	}
	keepLogAxisValid(p)
	if len(names) > 0 {
		lo, hi := p.Y.Min, p.Y.Max
		if lo > 0 && hi > lo {
			// Each legend entry takes about 1/22 of the height: make room above the data for them.
			frac := math.Min(0.6, float64(len(names)+1)/22)
			p.Y.Max = math.Exp(math.Log(hi) + frac/(1-frac)*(math.Log(hi)-math.Log(lo)))
		}
	}
	return p
}
