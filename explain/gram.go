package explain

import (
	"cmp"
	"fmt"
	"image"
	"math"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/core/tensors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/estil-nst/estil/nst"
)

// Ordering is a channel order for the Gram heatmaps. A Gram matrix's rows and columns are in the
// network's channel order, which means nothing: reordering both the same way changes nothing in
// the matrix but can make its structure visible.
type Ordering string

const (
	// OrderNone keeps the network's channel order.
	OrderNone Ordering = "none"
	// OrderEnergy sorts channels by their energy G[i][i] in the style image, strongest first.
	OrderEnergy Ordering = "energy"
	// OrderGreedy starts from the strongest channel and repeatedly appends the remaining channel
	// that co-activates most with the last one (by the correlation G[i][j] / √(G[i][i]·G[j][j])),
	// so that channels that fire together end up next to each other: blocks along the diagonal.
	OrderGreedy Ordering = "greedy"
)

// Which Gram heatmap of a GramView.
const (
	GramStyle      = "style"
	GramGenerated  = "generated"
	GramDifference = "difference" // generated − style
)

// GramView shows the Gram matrices of one layer: the style image's, the generated image's and
// their difference, with the same channel order. See GramMatrices.
type GramView struct {
	Layer string
	// Style and Generated are the Gram matrices G = F·Fᵀ in the network's channel order
	// (Generated is nil when only the style is shown).
	Style, Generated [][]float64
	// OrderName is the ordering used, and Order the permutation: the i-th row (and column) shown
	// is channel Order[i].
	OrderName Ordering
	Order     []int
	// RandomWeights adds a warning that the network was random (set by GramMatrices).
	RandomWeights bool
	// StyleName and GeneratedName are how the panels and the caption name the two pictures; when
	// empty, they are "style image" and "generated image" (in the current language). Set them
	// with Named when the pictures are something else, e.g. a content picture.
	StyleName, GeneratedName string
	// Positions is the number h·w of the layer's positions in the style picture (0 if unknown,
	// as for GramOf): with fewer positions than channels, G = F·Fᵀ has rank at most h·w, and the
	// caption says so (at the handout's 64 px, conv5_1 has 12 positions for 512 channels).
	Positions int
	// StyleLoss is the style loss of the run whose pictures are shown (empty: gram). With another
	// one the captions say that the loss does not compare these matrices, and whether it makes
	// them agree anyway (the handout sets it).
	StyleLoss nst.StyleLoss
}

// Named names the two pictures whose Gram matrices v shows, for when they are not a style image
// and a generated image: the panels are then titled first, second and "second − first", and the
// caption speaks of them, not of a generated image. It returns v, to be displayed at once:
//
//	view, err := GramMatrices(model, style, content, "conv1_1", OrderGreedy)
//	...
//	Display(view.Named("style picture", "content picture"))
func (v *GramView) Named(first, second string) *GramView {
	v.StyleName, v.GeneratedName = first, second
	return v
}

// named reports whether the caller named the pictures.
func (v *GramView) named() bool { return v.StyleName != "" || v.GeneratedName != "" }

// panelTitle returns the title of the heat map which.
func (v *GramView) panelTitle(which string) string {
	first, second := v.StyleName, v.GeneratedName
	if first == "" {
		first = tr("gram." + GramStyle)
	}
	if second == "" {
		second = tr("gram." + GramGenerated)
	}
	switch which {
	case GramStyle:
		return first
	case GramGenerated:
		return second
	}
	if !v.named() {
		return tr("gram." + GramDifference)
	}
	return second + " − " + first
}

// GramMatrices computes the Gram matrices of layer for the style picture and the generated one
// (which may be nil, to show only the style) and shows them as heatmaps, with channels ordered by
// order (OrderNone, OrderEnergy or OrderGreedy). Any two pictures can be compared this way; when
// they are not a style image and a generated one, say what they are with Named.
func GramMatrices(model *nst.Model, style, generated image.Image, layer string, order Ordering) (*GramView, error) {
	if model == nil || style == nil {
		return nil, fmt.Errorf("explain: Gram matrices: no model or no style image")
	}
	positions := 0
	gram := func(img image.Image) (*tensors.Tensor, error) {
		f, err := model.Features(nst.ImageTensor(img), layer)
		if err != nil {
			return nil, fmt.Errorf("explain: Gram matrix of %s: %w", layer, err)
		}
		if shape := f[layer].Shape(); positions == 0 && shape.Rank() == 3 {
			positions = shape.Dim(1) * shape.Dim(2) // [d, h, w]
		}
		return model.Gram(f[layer])
	}
	s, err := gram(style)
	if err != nil {
		return nil, err
	}
	var g *tensors.Tensor
	if generated != nil {
		if g, err = gram(generated); err != nil {
			return nil, err
		}
	}
	v, err := GramOf(layer, s, g, order)
	if err != nil {
		return nil, err
	}
	v.RandomWeights = model.Weights != nil && model.Weights.Random
	v.Positions = positions
	return v, nil
}

// GramOf is GramMatrices on Gram matrices already computed ([C, C] float32 tensors, as returned
// by nst.Model.Gram); generated may be nil.
func GramOf(layer string, style, generated *tensors.Tensor, order Ordering) (*GramView, error) {
	s, err := squareMatrix(style)
	if err != nil {
		return nil, fmt.Errorf("explain: style Gram matrix of %s: %w", layer, err)
	}
	v := &GramView{Layer: layer, Style: s, OrderName: order}
	if generated != nil {
		if v.Generated, err = squareMatrix(generated); err != nil {
			return nil, fmt.Errorf("explain: generated Gram matrix of %s: %w", layer, err)
		}
		if len(v.Generated) != len(s) {
			return nil, fmt.Errorf("explain: Gram matrices of %s: style is %d×%d, generated %d×%d", layer, len(s), len(s), len(v.Generated), len(v.Generated))
		}
	}
	if v.Order, err = GramOrder(s, order); err != nil {
		return nil, err
	}
	return v, nil
}

func squareMatrix(t *tensors.Tensor) ([][]float64, error) {
	if t == nil || t.Rank() != 2 || t.Shape().Dim(0) != t.Shape().Dim(1) {
		return nil, fmt.Errorf("want a [C, C] tensor, got %s", shapeOf(t))
	}
	data, err := tensors.CopyFlatData[float32](t)
	if err != nil {
		return nil, err
	}
	n := t.Shape().Dim(0)
	m := make([][]float64, n)
	for i := range n {
		m[i] = make([]float64, n)
		for j := range n {
			m[i][j] = float64(data[i*n+j])
		}
	}
	return m, nil
}

// GramOrder returns the permutation of the channels of the Gram matrix g given by order
// (OrderNone, OrderEnergy or OrderGreedy; "" means OrderNone). Ties keep the lower channel first.
func GramOrder(g [][]float64, order Ordering) ([]int, error) {
	n := len(g)
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	byEnergy := func(a, b int) int { return cmp.Compare(g[b][b], g[a][a]) }
	switch order {
	case OrderNone, "":
	case OrderEnergy:
		slices.SortStableFunc(perm, byEnergy)
	case OrderGreedy:
		if n == 0 {
			break
		}
		slices.SortStableFunc(perm, byEnergy) // perm[0] is the strongest channel
		corr := func(i, j int) float64 {
			d := math.Sqrt(g[i][i] * g[j][j])
			if d == 0 {
				return 0
			}
			return g[i][j] / d
		}
		used := make([]bool, n)
		out := []int{perm[0]}
		used[perm[0]] = true
		for len(out) < n {
			last, best, bestC := out[len(out)-1], -1, math.Inf(-1)
			for _, j := range perm { // in energy order, so ties go to the stronger channel
				if !used[j] && corr(last, j) > bestC {
					best, bestC = j, corr(last, j)
				}
			}
			out = append(out, best)
			used[best] = true
		}
		perm = out
	default:
		return nil, fmt.Errorf("explain: unknown channel order %q: use %s, %s or %s", order, OrderNone, OrderEnergy, OrderGreedy)
	}
	return perm, nil
}

// Matrix returns the matrix shown in a heatmap (GramStyle, GramGenerated or GramDifference),
// with its rows and columns permuted by Order: Matrix(w)[i][j] = M[Order[i]][Order[j]].
func (v *GramView) Matrix(which string) ([][]float64, error) {
	var at func(i, j int) float64
	switch which {
	case GramStyle:
		at = func(i, j int) float64 { return v.Style[i][j] }
	case GramGenerated, GramDifference:
		if v.Generated == nil {
			return nil, fmt.Errorf("explain: no generated image's Gram matrix")
		}
		at = func(i, j int) float64 { return v.Generated[i][j] }
		if which == GramDifference {
			at = func(i, j int) float64 { return v.Generated[i][j] - v.Style[i][j] }
		}
	default:
		return nil, fmt.Errorf("explain: unknown Gram heatmap %q", which)
	}
	n := len(v.Order)
	m := make([][]float64, n)
	for i := range n {
		m[i] = make([]float64, n)
		for j := range n {
			m[i][j] = at(v.Order[i], v.Order[j])
		}
	}
	return m, nil
}

// matrixGrid shows a matrix as a gonum GridXYZ the way matrices are read: row 0 at the top.
// (Gonum's grids put row 0 at the bottom, so grid row r is matrix row n−1−r.)
type matrixGrid [][]float64

func (m matrixGrid) Dims() (c, r int)   { return len(m), len(m) }
func (m matrixGrid) Z(c, r int) float64 { return m[len(m)-1-r][c] }
func (m matrixGrid) X(c int) float64    { return float64(c) }
func (m matrixGrid) Y(r int) float64    { return float64(r) }

// HeatMap returns the gonum heat map drawn for which (GramStyle, GramGenerated or
// GramDifference): its GridXYZ holds the actual values of Matrix(which), matrix row i at grid row
// n−1−i. Style and generated share one colour range, so that they can be compared; the difference
// uses a blue–white–red map centred on 0.
func (v *GramView) HeatMap(which string) (*plotter.HeatMap, error) {
	hm, _, err := v.heatMap(which)
	return hm, err
}

// heatMap is HeatMap with the colour map it uses, for the colour bar.
func (v *GramView) heatMap(which string) (*plotter.HeatMap, *colorMap, error) {
	m, err := v.Matrix(which)
	if err != nil {
		return nil, nil, err
	}
	var cm *colorMap
	if which == GramDifference {
		a := 0.0
		for _, row := range m {
			for _, x := range row {
				a = math.Max(a, math.Abs(x))
			}
		}
		cm = newDiverging()
		cm.SetMin(-a)
		cm.SetMax(a)
	} else {
		lo, hi := matrixRange(v.Style)
		if v.Generated != nil {
			l2, h2 := matrixRange(v.Generated)
			lo, hi = math.Min(lo, l2), math.Max(hi, h2)
		}
		cm = newViridis()
		cm.SetMin(lo)
		cm.SetMax(hi)
	}
	if cm.Max() <= cm.Min() { // a constant matrix: give the palette some room
		cm.SetMin(cm.Min() - 1)
		cm.SetMax(cm.Max() + 1)
	}
	hm := plotter.NewHeatMap(matrixGrid(m), cm.Palette(255))
	hm.Min, hm.Max = cm.Min(), cm.Max()
	return hm, cm, nil
}

// upscaledGrid repeats each cell of a grid k×k times, so that gonum's rasterized heat map (one
// image, smoothed when scaled to the plot) keeps sharp cell edges. Cell (c, r) of the original
// covers the same plot coordinates as before.
type upscaledGrid struct {
	g plotter.GridXYZ
	k int
}

func (u upscaledGrid) Dims() (c, r int) {
	c, r = u.g.Dims()
	return c * u.k, r * u.k
}
func (u upscaledGrid) Z(c, r int) float64 { return u.g.Z(c/u.k, r/u.k) }
func (u upscaledGrid) X(c int) float64    { return (float64(c)+0.5)/float64(u.k) - 0.5 }
func (u upscaledGrid) Y(r int) float64    { return (float64(r)+0.5)/float64(u.k) - 0.5 }

func matrixRange(m [][]float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, row := range m {
		for _, x := range row {
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
	}
	return lo, hi
}

// heatmapPNG draws a heat map with axis ticks naming the channels and a vertical colour bar on its
// right.
func (v *GramView) heatmapPNG(which, title string) (string, error) {
	hm, cm, err := v.heatMap(which)
	if err != nil {
		return "", err
	}
	n := len(v.Order)
	p := plot.New()
	p.Title.Text = title
	// Drawn as one image (C² rectangles would show seams between them, and be slow at C = 512),
	// at about 512 pixels across.
	drawn := *hm
	drawn.GridXYZ = upscaledGrid{hm.GridXYZ, max(1, (512+n-1)/n)}
	drawn.Rasterized = true
	p.Add(&drawn)
	p.X.Label.Text, p.Y.Label.Text = tr("gram.axis"), tr("gram.axis")
	var xt, yt []plot.Tick
	step := max(1, n/8)
	for i := 0; i < n; i += step {
		label := fmt.Sprint(v.Order[i])
		xt = append(xt, plot.Tick{Value: float64(i), Label: label})
		yt = append(yt, plot.Tick{Value: float64(n - 1 - i), Label: label})
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.ConstantTicks(xt), plot.ConstantTicks(yt)

	bar := plot.New()
	bar.HideX()
	bar.Y.Padding = 0
	bar.Add(&plotter.ColorBar{ColorMap: cm, Vertical: true})

	const w, h, bw = 9.5 * vg.Centimeter, 8.5 * vg.Centimeter, 2.4 * vg.Centimeter
	c := vgimg.New(w, h)
	dc := draw.New(c)
	p.Draw(draw.Crop(dc, 0, -bw, 0, 0))
	bar.Draw(draw.Crop(dc, w-bw+0.2*vg.Centimeter, 0, 1.1*vg.Centimeter, -0.9*vg.Centimeter))
	return canvasURI(c)
}

// HTML renders the heatmaps side by side with the caption.
func (v *GramView) HTML() string {
	title := trf("gram.title", v.Layer)
	var b strings.Builder
	section(&b, title)
	if v.RandomWeights {
		b.WriteString(randomWarningHTML())
	}
	caption(&b, trf("gram.intro", len(v.Style), len(v.Style)))
	switch {
	case v.Generated == nil:
		caption(&b, tr("gram.panels.one"))
	case v.named():
		text := trf("gram.panels.named", esc(v.panelTitle(GramStyle)), esc(v.panelTitle(GramGenerated)))
		if comparesGram(v.StyleLoss) {
			text += " " + trf("gram.panels.named.gram", v.Layer)
		} else {
			text += " " + trf("gram.panels.named.other", esc(string(v.StyleLoss)))
		}
		caption(&b, text)
	case comparesGram(v.StyleLoss):
		caption(&b, trf("gram.panels.generated", v.Layer))
	default:
		caption(&b, trf("gram.panels.generated.other", esc(string(v.StyleLoss)), v.Layer)+" "+tr(gramAgreementKey(v.StyleLoss)))
	}
	b.WriteString(`<div style="display:flex;flex-wrap:wrap;gap:8px">` + "\n")
	panels := []string{GramStyle}
	if v.Generated != nil {
		panels = append(panels, GramGenerated, GramDifference)
	}
	for _, which := range panels {
		t := v.panelTitle(which)
		uri, err := v.heatmapPNG(which, t)
		if err != nil {
			return errorHTML(title, err)
		}
		b.WriteString(imgTag(uri, t+" — "+v.Layer, "") + "\n")
	}
	b.WriteString("</div>\n")
	caption(&b, tr("gram.order."+orderKey(v.OrderName)))
	caption(&b, tr("gram.notes"))
	if d := len(v.Style); v.Positions > 0 && v.Positions < d {
		caption(&b, trf("gram.rank", v.Layer, v.Positions, d, d, d, d, v.Positions))
	}
	b.WriteString("</div>\n")
	return b.String()
}

func orderKey(o Ordering) string {
	if o == "" {
		return string(OrderNone)
	}
	return string(o)
}

// comparesGram says whether a style loss compares Gram matrices: gram, and the polynomial MMD,
// which with c = 0 is the Gram loss up to a factor d per layer.
func comparesGram(s nst.StyleLoss) bool { return isGram(s) || s == nst.StyleLossMMDPoly }

// gramAgreementKey is the text saying whether a style loss that does not compare Gram matrices,
// at zero, makes them agree anyway: the Gaussian MMD (equal distributions) and W2 (equal means
// and covariances, so equal second moments Ĝ = Σ + μμᵀ) do; the linear MMD (means), mean-std
// (per-channel statistics) and sliced Wasserstein (d directions, where a second-moment matrix
// has d(d+1)/2 entries) do not.
func gramAgreementKey(s nst.StyleLoss) string {
	switch s {
	case nst.StyleLossMMDGauss, nst.StyleLossW2:
		return "gram.loss.determines"
	}
	return "gram.loss.partial"
}
