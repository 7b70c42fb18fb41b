package explain

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"strings"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/nst"
	"github.com/estil-nst/estil/optim"
)

// HandoutOptions say what Handout shows. The zero value of each field picks a small default.
type HandoutOptions struct {
	// Content and Style are the pictures, already at the size to work at (small: every
	// evaluation is a forward and backward pass of VGG19).
	Content, Style image.Image
	// Loss defaults to nst.DefaultLoss(), the original's (keeping Loss.StyleLoss and
	// Loss.GramNorm when only those are set). With a StyleLoss other than gram the handout has a
	// section on it (StyleRepresentationView) and every caption that speaks of the loss names it.
	Loss nst.LossConfig
	// Iterations of L-BFGS for the transfer (default 20).
	Iterations int
	// Layers whose feature maps and Gram matrices are shown (default conv1_1, conv3_1, conv5_1).
	Layers []string
	// Channels is the number of feature maps shown per layer (default 8).
	Channels int
	// Order of the Gram matrices' channels (default OrderGreedy).
	Order Ordering
	// RaceBudget is the number of evaluations each optimizer gets in the races (default 15 for the
	// style transfer, whose pictures are shrunk to a long side of RaceSize, default 32; the
	// Rosenbrock race gets 100).
	RaceBudget, RaceSize int
	// Progress, if set, gets one line per stage.
	Progress io.Writer
	// ColorControl keeps the content's colours (none when empty): with images.ColorControlLuminance
	// the transfer, the feature maps, the Gram matrices and the race run on the luminance pictures
	// (Gatys et al.'s luminance-only transfer); with images.ColorControlOriginalColors the result's
	// chroma is swapped for the content's afterwards. The handout says which was used.
	ColorControl images.ColorControl
	// Mask, if set, is the region of the result that takes the style (a black-and-white picture
	// of Content's size), and Guide the region of Style its statistics come from (Style's size):
	// Gatys et al.'s spatial control, which a section of the handout explains (MaskView).
	Mask, Guide image.Image
}

// HandoutView is every view of the package for one pair of pictures: see Handout.
type HandoutView struct {
	Views []View
	// Result is the stylized picture, after the colour control; NetworkResult is the picture the
	// network made, before it (the same as Result without one). Evaluations and Iterations are
	// the run's history.
	Result        image.Image
	NetworkResult image.Image
	Evaluations   []nst.Evaluation
	Iterations    []optim.Iteration
	RandomWeights bool
	// Converged is why L-BFGS stopped before its iterations, if it did (nst.Result.Converged):
	// optim.StopOptimalAtStart when content and style make the starting picture optimal already.
	Converged optim.StopReason
}

// Handout runs a small style transfer of o.Content in the style of o.Style with model and
// explains it with every view: the pictures, the method's formulas (and, when o.Loss.StyleLoss is
// not gram, the style representation it used), the layer table, feature maps and Gram matrices of
// o.Layers, the losses over the run, L-BFGS from inside, and the races of L-BFGS, Adam and
// gradient descent. With random weights every part says so.
func Handout(ctx context.Context, model *nst.Model, o HandoutOptions) (*HandoutView, error) {
	if model == nil || o.Content == nil || o.Style == nil {
		return nil, errors.New("explain: handout: no model, content or style")
	}
	if o.Loss.ContentLayers == nil && o.Loss.StyleLayers == nil {
		kind, norm := o.Loss.StyleLoss, o.Loss.GramNorm
		o.Loss = nst.DefaultLoss()
		o.Loss.StyleLoss, o.Loss.GramNorm = kind, norm
	}
	if err := o.Loss.Validate(); err != nil {
		return nil, fmt.Errorf("explain: handout: %w", err)
	}
	if o.Iterations <= 0 {
		o.Iterations = 20
	}
	cc, err := images.ParseColorControl(string(o.ColorControl))
	if err != nil {
		return nil, fmt.Errorf("explain: handout: %w", err)
	}
	// What the network sees: the pictures, or with luminance-only transfer their luminance.
	content, style := o.Content, o.Style
	if cc == images.ColorControlLuminance {
		content, style = images.Luminance(o.Content), images.MatchLuminance(o.Style, o.Content)
	}
	if len(o.Layers) == 0 {
		o.Layers = []string{"conv1_1", "conv3_1", "conv5_1"}
	}
	for _, l := range o.Layers {
		if _, err := nst.LayerByName(l); err != nil {
			return nil, fmt.Errorf("explain: handout: %w", err)
		}
	}
	if o.Channels <= 0 {
		o.Channels = 8
	}
	if o.Order == "" {
		o.Order = OrderGreedy
	}
	if _, err := GramOrder(nil, o.Order); err != nil {
		return nil, err
	}
	if o.RaceBudget <= 0 {
		o.RaceBudget = 15
	}
	if o.RaceSize <= 0 {
		o.RaceSize = 32
	}
	o.RaceSize = max(o.RaceSize, nst.MinImageSide)
	say := func(format string, args ...any) {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "estil explain: "+format+"\n", args...)
		}
	}

	h := &HandoutView{RandomWeights: model.Weights.Random}
	b := o.Content.Bounds()
	table, err := LayerTable(b.Dx(), b.Dy(), o.Loss)
	if err != nil {
		return nil, err
	}

	say("style transfer, %d×%d, %d L-BFGS iterations", b.Dx(), b.Dy(), o.Iterations)
	t := nst.NewTransfer(model)
	t.Loss, t.Iterations = o.Loss, o.Iterations
	t.OnEvaluation = func(e nst.Evaluation) error { h.Evaluations = append(h.Evaluations, e); return nil }
	t.OnIteration = func(it optim.Iteration) error { h.Iterations = append(h.Iterations, it); return nil }
	res, err := t.Run(ctx, content, []nst.Style{{Image: style, Weight: 1, Mask: o.Mask, Guide: o.Guide}})
	if err != nil && (res == nil || !errors.Is(err, nst.ErrNotFinite)) {
		return nil, fmt.Errorf("explain: handout: style transfer: %w", err)
	}
	h.NetworkResult, h.Result, h.Converged = res.Image, res.Image, res.Converged
	switch cc {
	case images.ColorControlLuminance:
		h.Result = images.PutChroma(o.Content, res.Image)
	case images.ColorControlOriginalColors:
		h.Result = images.OriginalColors(o.Content, res.Image)
	}

	pv := &PicturesView{Content: o.Content, Style: o.Style, Result: h.Result, RandomWeights: h.RandomWeights,
		Iterations: res.Iterations, Evaluations: res.Evaluations, StyleLoss: o.Loss.StyleLoss, ColorControl: cc}
	if cc != images.ColorControlNone {
		pv.NetworkResult = h.NetworkResult
	}
	if cc == images.ColorControlLuminance {
		pv.NetworkStyle = style
	}
	h.Views = append(h.Views, pv, &MethodView{Loss: o.Loss, ColorControl: cc})
	if o.Mask != nil || o.Guide != nil {
		mv, err := NewMaskView(o.Mask, o.Guide, o.Loss)
		if err != nil {
			return nil, err
		}
		h.Views = append(h.Views, mv)
	}
	if !isGram(o.Loss.StyleLoss) {
		h.Views = append(h.Views, &StyleRepresentationView{Loss: o.Loss})
	}
	h.Views = append(h.Views, table)
	for _, layer := range o.Layers {
		say("feature maps of %s", layer)
		fm, err := FeatureMaps(model, content, layer, o.Channels)
		if err != nil {
			return nil, err
		}
		h.Views = append(h.Views, fm)
	}
	for _, layer := range o.Layers {
		say("Gram matrices of %s", layer)
		g, err := GramMatrices(model, style, h.NetworkResult, layer, o.Order)
		if err != nil {
			return nil, err
		}
		g.StyleLoss = o.Loss.StyleLoss
		h.Views = append(h.Views, g)
	}
	losses, err := LossHistory(h.Evaluations, o.Loss)
	if err != nil {
		return nil, err
	}
	losses.RandomWeights = h.RandomWeights
	h.Views = append(h.Views, losses)
	if len(h.Iterations) > 0 {
		it, err := LBFGSIterations(h.Iterations)
		if err != nil {
			return nil, err
		}
		h.Views = append(h.Views, it)
	}
	say("optimizers on Rosenbrock")
	rosen, err := RosenbrockRace(model.Backend, 100)
	if err != nil {
		return nil, err
	}
	say("optimizers on a %d px style transfer, %d evaluations each", o.RaceSize, o.RaceBudget)
	race, err := TransferRace(ctx, model, shrink(content, o.RaceSize), shrink(style, o.RaceSize), o.Loss, o.RaceBudget)
	if err != nil {
		return nil, err
	}
	h.Views = append(h.Views, rosen, race)
	return h, ctx.Err()
}

// shrink resizes img to a long side of side pixels, or more if its short side would be under
// VGG19's minimum.
func shrink(img image.Image, side int) image.Image {
	b := img.Bounds()
	long, short := max(b.Dx(), b.Dy()), max(1, min(b.Dx(), b.Dy()))
	side = max(side, (nst.MinImageSide*long+short-1)/short)
	if side >= long {
		return img
	}
	return images.Resize(img, side)
}

// HTML returns every view, one after the other.
func (h *HandoutView) HTML() string {
	var b strings.Builder
	for _, v := range h.Views {
		b.WriteString(v.HTML())
		b.WriteString("\n")
	}
	return b.String()
}

// WritePage writes the handout as one self-contained HTML document.
func (h *HandoutView) WritePage(w io.Writer) error {
	return WritePage(w, tr("handout.title"), h)
}

// PicturesView shows the content, the style and the result side by side.
type PicturesView struct {
	Content, Style, Result  image.Image
	RandomWeights           bool
	Iterations, Evaluations int
	// StyleLoss is the run's style loss (empty: gram), which the introduction names.
	StyleLoss nst.StyleLoss
	// ColorControl is the run's colour control (empty: none): a paragraph says what it did.
	// NetworkResult, if set, is shown too: the network's picture before the colour step; and
	// NetworkStyle: the style as the network saw it (its matched luminance).
	ColorControl                images.ColorControl
	NetworkResult, NetworkStyle image.Image
}

// HTML renders the three pictures with the introduction of a handout.
func (v *PicturesView) HTML() string {
	title := tr("pictures.title")
	var b strings.Builder
	section(&b, title)
	if v.RandomWeights {
		b.WriteString(randomWarningHTML())
	}
	if isGram(v.StyleLoss) {
		caption(&b, trf("pictures.intro", v.Iterations, v.Evaluations))
	} else {
		caption(&b, trf("pictures.intro.other", esc(string(v.StyleLoss)), tr("stylerep."+string(v.StyleLoss)+".name"), v.Iterations, v.Evaluations))
	}
	b.WriteString(`<div style="display:flex;flex-wrap:wrap;gap:12px">` + "\n")
	if k := colorControlKey(v.ColorControl); k != "" {
		caption(&b, tr(k))
	}
	for _, p := range []struct {
		img image.Image
		key string
	}{{v.Content, "pictures.content"}, {v.Style, "pictures.style"}, {v.NetworkStyle, "pictures.network.style"},
		{v.NetworkResult, "pictures.network"}, {v.Result, "pictures.result"}} {
		if p.img == nil {
			continue
		}
		if err := figure(&b, p.img, tr(p.key), "256px"); err != nil {
			return errorHTML(title, err)
		}
	}
	b.WriteString("</div>\n</div>\n")
	return b.String()
}
