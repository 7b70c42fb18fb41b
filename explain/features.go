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

// FeatureMapsView is a grid of the most active channels of one layer, or of channels chosen by
// the caller: see FeatureMaps and ChannelMaps.
type FeatureMapsView struct {
	Layer string
	// Input is the picture the network looked at (nil when the view was built from a tensor).
	Input image.Image
	// Height, Width and NumChannels are the shape of the layer's feature map.
	Height, Width, NumChannels int
	// Channels are the indices of the chosen channels, most active first (or in the order given to
	// ChannelMaps); Activity[i] is the mean activation of Channels[i] over all positions of this
	// picture, the quantity FeatureMaps ranks them by.
	Channels []int
	Activity []float64
	// Min and Max are each chosen channel's smallest and largest value: Maps[i] shows
	// (value − Min[i]) / (Max[i] − Min[i]) with the viridis colour map (all dark when Max = Min).
	Min, Max []float64
	Maps     []*image.NRGBA
	// RandomWeights adds a warning that the network was random (set by FeatureMaps).
	RandomWeights bool
	// Given says the channels were chosen by the caller (ChannelMaps, ChannelMapsOf) rather than
	// ranked by their activity on this picture: the caption then says so.
	Given bool
}

// FeatureMaps runs model on img up to layer ("conv1_1", "conv4_2", or an index like "21") and
// shows the n channels with the highest mean activation, each normalized to [0, 1] on its own
// and coloured with the viridis map (dark purple = weakest, yellow = strongest). Each picture gets
// its own top channels: to show another picture through the same filters, pass the view's
// Channels to ChannelMaps.
func FeatureMaps(model *nst.Model, img image.Image, layer string, n int) (*FeatureMapsView, error) {
	return runFeatureMaps(model, img, layer, func(f *tensors.Tensor) (*FeatureMapsView, error) { return FeatureMapsOf(layer, f, n) })
}

// runFeatureMaps runs model on img up to layer and makes the view with of.
func runFeatureMaps(model *nst.Model, img image.Image, layer string, of func(*tensors.Tensor) (*FeatureMapsView, error)) (*FeatureMapsView, error) {
	if model == nil || img == nil {
		return nil, fmt.Errorf("explain: feature maps: no model or no image")
	}
	feats, err := model.Features(nst.ImageTensor(img), layer)
	if err != nil {
		return nil, fmt.Errorf("explain: feature maps of %s: %w", layer, err)
	}
	v, err := of(feats[layer])
	if err != nil {
		return nil, err
	}
	v.Input, v.RandomWeights = img, model.Weights != nil && model.Weights.Random
	return v, nil
}

// ChannelMaps is FeatureMaps showing the given channels, in the given order, instead of
// this picture's most active ones. To compare two pictures through the same filters, choose the
// channels on one picture and pass them for the other:
//
//	a, _ := FeatureMaps(model, content, "conv4_2", 8)
//	b, _ := ChannelMaps(model, style, "conv4_2", a.Channels)
//
// Activity[i] is then the mean of Channels[i] on this picture.
func ChannelMaps(model *nst.Model, img image.Image, layer string, channels []int) (*FeatureMapsView, error) {
	return runFeatureMaps(model, img, layer, func(f *tensors.Tensor) (*FeatureMapsView, error) { return ChannelMapsOf(layer, f, channels) })
}

// ChannelMapsOf is ChannelMaps on a feature map already computed ([C, H, W] float32): it shows
// exactly channels, in that order.
func ChannelMapsOf(layer string, feature *tensors.Tensor, channels []int) (*FeatureMapsView, error) {
	if len(channels) == 0 {
		return nil, fmt.Errorf("explain: feature maps of %s: no channels given", layer)
	}
	v, err := featureMaps(layer, feature, func(mean []float64) ([]int, error) {
		for _, ch := range channels {
			if ch < 0 || ch >= len(mean) {
				return nil, fmt.Errorf("explain: feature maps of %s: no channel %d (it has %d)", layer, ch, len(mean))
			}
		}
		return channels, nil
	})
	if err != nil {
		return nil, err
	}
	v.Given = true
	return v, nil
}

// FeatureMapsOf is FeatureMaps on a feature map already computed: feature is [C, H, W] float32
// (as returned by nst.Model.Features). Ties in activity keep the lower channel first.
func FeatureMapsOf(layer string, feature *tensors.Tensor, n int) (*FeatureMapsView, error) {
	if n < 1 {
		return nil, fmt.Errorf("explain: feature maps: the number of channels must be at least 1, got %d", n)
	}
	return featureMaps(layer, feature, func(mean []float64) ([]int, error) {
		order := make([]int, len(mean))
		for ch := range order {
			order[ch] = ch
		}
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(mean[b], mean[a]) })
		return order[:min(n, len(mean))], nil
	})
}

// featureMaps draws the channels that choose picks, given every channel's mean activation.
func featureMaps(layer string, feature *tensors.Tensor, choose func(mean []float64) ([]int, error)) (*FeatureMapsView, error) {
	if feature == nil || feature.Rank() != 3 {
		return nil, fmt.Errorf("explain: feature maps of %s: want a [C, H, W] tensor, got %v", layer, shapeOf(feature))
	}
	data, err := tensors.CopyFlatData[float32](feature)
	if err != nil {
		return nil, fmt.Errorf("explain: feature maps of %s: %w", layer, err)
	}
	c, h, w := feature.Shape().Dim(0), feature.Shape().Dim(1), feature.Shape().Dim(2)
	mean := make([]float64, c)
	for i, x := range data {
		mean[i/(h*w)] += float64(x)
	}
	for ch := range c {
		mean[ch] /= float64(h * w)
	}
	chosen, err := choose(mean)
	if err != nil {
		return nil, err
	}

	v := &FeatureMapsView{Layer: layer, Height: h, Width: w, NumChannels: c}
	for _, ch := range chosen {
		lo, hi := math.Inf(1), math.Inf(-1)
		plane := data[ch*h*w:][:h*w]
		for _, x := range plane {
			lo, hi = math.Min(lo, float64(x)), math.Max(hi, float64(x))
		}
		m := image.NewNRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				val := 0.0
				if hi > lo {
					val = (float64(plane[y*w+x]) - lo) / (hi - lo)
				}
				m.SetNRGBA(x, y, viridisAt(val))
			}
		}
		v.Channels = append(v.Channels, ch)
		v.Activity = append(v.Activity, mean[ch])
		v.Min, v.Max = append(v.Min, lo), append(v.Max, hi)
		v.Maps = append(v.Maps, m)
	}
	return v, nil
}

func shapeOf(t *tensors.Tensor) string {
	if t == nil {
		return "nothing"
	}
	return t.Shape().String()
}

// HTML renders the grid, a colour bar and the caption.
func (v *FeatureMapsView) HTML() string {
	title := trf("features.title", v.Layer)
	var b strings.Builder
	section(&b, title)
	if v.RandomWeights {
		b.WriteString(randomWarningHTML())
	}
	intro := "features.intro"
	if v.Given {
		intro = "features.intro.given"
	}
	caption(&b, trf(intro, len(v.Channels), v.NumChannels, v.Layer, v.Height, v.Width))
	// Show every map 140 px across, whatever the layer's resolution.
	const width = "140px"
	b.WriteString(`<div style="display:flex;flex-wrap:wrap;gap:8px;align-items:flex-start">` + "\n")
	if v.Input != nil {
		uri, err := pngDataURI(v.Input)
		if err != nil {
			return errorHTML(title, err)
		}
		fmt.Fprintf(&b, `<figure style="margin:0;text-align:center">%s<figcaption style="font-size:0.8em">%s</figcaption></figure>`+"\n",
			imgTag(uri, tr("features.input"), width), tr("features.input"))
	}
	for i, m := range v.Maps {
		uri, err := pngDataURI(m)
		if err != nil {
			return errorHTML(title, err)
		}
		label := trf("features.channel", v.Channels[i], v.Activity[i])
		fmt.Fprintf(&b, `<figure style="margin:0;text-align:center">%s<figcaption style="font-size:0.8em">%s</figcaption></figure>`+"\n",
			imgTag(uri, label, width), esc(label))
	}
	b.WriteString("</div>\n")
	bar, err := colorBar(newViridis(), tr("features.colorbar"))
	if err != nil {
		return errorHTML(title, err)
	}
	b.WriteString(imgTag(bar, tr("features.colorbar"), "") + "\n")
	caption(&b, tr("features.notes"))
	b.WriteString("</div>\n")
	return b.String()
}

// colorBar draws a horizontal colour bar of cm from cm.Min() to cm.Max(), with a label.
func colorBar(cm *colorMap, label string) (string, error) {
	p := plot.New()
	p.HideY()
	p.X.Padding = 0
	p.X.Label.Text = label
	p.Add(&plotter.ColorBar{ColorMap: cm})
	// Margins left and right, so that the end labels (0.0, 1.0) are not cut in half.
	const w, h, margin = 14 * vg.Centimeter, 2.2 * vg.Centimeter, 0.6 * vg.Centimeter
	c := vgimg.New(w, h)
	p.Draw(draw.Crop(draw.New(c), margin, -margin, 0, 0))
	return canvasURI(c)
}
