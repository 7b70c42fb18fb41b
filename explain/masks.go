package explain

import (
	"fmt"
	"image"
	"strings"

	"github.com/estil-nst/estil/nst"
)

// MaskView explains spatial control (Gatys et al. 2017, §4), when the handout's transfer had a
// mask: the result's mask and the style's guide as the network used them, the guided Gram
// matrix's formula, and a table of the mask at each style layer's resolution, with the share of
// positions wholly inside the region and the share on its boundary (partly inside), which grows
// with depth as the poolings average the mask.
type MaskView struct {
	// Mask is the region of the result that took the style (nil: all of it); Guide the region of
	// the style picture its statistics came from (nil: all of it). At least one is set.
	Mask, Guide image.Image
	// Levels are Mask (or, without one, Guide) at each style layer's resolution.
	Levels []MaskLevelStats
}

// MaskLevelStats is one row of MaskView's table.
type MaskLevelStats struct {
	Layer         string
	Width, Height int
	// Inside is the share of the layer's positions with T = 1, Boundary the share with 0 < T < 1.
	Inside, Boundary float64
}

// NewMaskView measures mask and guide (either may be nil, not both) at the style layers of loss.
func NewMaskView(mask, guide image.Image, loss nst.LossConfig) (*MaskView, error) {
	shown := mask
	if shown == nil {
		shown = guide
	}
	if shown == nil {
		return nil, fmt.Errorf("explain: masks: no mask or guide")
	}
	names := make([]string, len(loss.StyleLayers))
	for i, l := range loss.StyleLayers {
		names[i] = l.Name
	}
	levels, err := nst.MaskLevels(shown, names...)
	if err != nil {
		return nil, fmt.Errorf("explain: masks: %w", err)
	}
	v := &MaskView{Mask: mask, Guide: guide}
	for _, l := range levels {
		var inside, boundary int
		for _, t := range l.Values {
			switch {
			case t == 1:
				inside++
			case t > 0:
				boundary++
			}
		}
		n := float64(len(l.Values))
		v.Levels = append(v.Levels, MaskLevelStats{Layer: l.Layer, Width: l.Width, Height: l.Height,
			Inside: float64(inside) / n, Boundary: float64(boundary) / n})
	}
	return v, nil
}

// HTML renders the masks, the formulas and the table.
func (v *MaskView) HTML() string {
	title := tr("mask.title")
	var b strings.Builder
	section(&b, title)
	caption(&b, tr("mask.intro"))
	b.WriteString(`<div style="display:flex;flex-wrap:wrap;gap:12px">` + "\n")
	for _, p := range []struct {
		img image.Image
		key string
	}{{v.Mask, "mask.result"}, {v.Guide, "mask.guide"}} {
		if p.img == nil {
			continue
		}
		if err := figure(&b, p.img, tr(p.key), "192px"); err != nil {
			return errorHTML(title, err)
		}
	}
	b.WriteString("</div>\n")
	b.WriteString(`<div style="border:1px solid #888;background:#f6f6f0;padding:0.6em 1em;max-width:60em;font-family:serif;line-height:1.8">` + "\n")
	fmt.Fprintf(&b, "<p>%s<br>G<sup>r</sup><sub>l</sub> = (h·w / Σ<sub>p</sub> T<sub>p</sub>²) · (F<sub>l</sub>∘T<sup>r</sup><sub>l</sub>)(F<sub>l</sub>∘T<sup>r</sup><sub>l</sub>)ᵀ"+
		"<br>E<sub>l</sub> = Σ<sub>r</sub> w<sub>r</sub>·E<sub>l</sub><sup>r</sup></p>\n", tr("mask.formula"))
	b.WriteString("</div>\n")
	fmt.Fprintf(&b, "<table style=\"border-collapse:collapse;margin:0.6em 0\">\n<tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>\n",
		esc(tr("mask.col.layer")), esc(tr("mask.col.size")), esc(tr("mask.col.inside")), esc(tr("mask.col.boundary")))
	for _, l := range v.Levels {
		fmt.Fprintf(&b, "<tr><td>%s</td><td>%d×%d</td><td>%.0f%%</td><td>%.0f%%</td></tr>\n", esc(l.Layer), l.Width, l.Height, 100*l.Inside, 100*l.Boundary)
	}
	b.WriteString("</table>\n")
	caption(&b, tr("mask.notes"))
	b.WriteString("</div>\n")
	return b.String()
}

func init() {
	for k, v := range map[string]text{
		"mask.title": {en: "Spatial control: masks", ca: "Control espacial: màscares"},
		"mask.intro": {
			en: "This transfer had a mask (Gatys et al. 2017, §4, <i>Controlling Perceptual Factors in Neural Style Transfer</i>): " +
				"white is the region that takes the style, black is left alone. Pixels in no region feel only the content loss, " +
				"so they stay close to the content. With a guide, the style's statistics were taken from the white part of the " +
				"style picture only.",
			ca: "Aquesta transferència tenia una màscara (Gatys et al. 2017, §4, <i>Controlling Perceptual Factors in Neural Style Transfer</i>): " +
				"el blanc és la regió que pren l'estil, i el negre es deixa tal com és. Els píxels que no són de cap regió només senten " +
				"la pèrdua de contingut, i per tant es queden a prop del contingut. Amb una guia, les estadístiques de l'estil s'han pres " +
				"només de la part blanca de la imatge d'estil.",
		},
		"mask.result": {en: "mask: the region of the result", ca: "màscara: la regió del resultat"},
		"mask.guide":  {en: "guide: the region of the style picture", ca: "guia: la regió de la imatge d'estil"},
		"mask.formula": {
			en: "The <b>guided Gram matrix</b> of region r at layer l: the feature maps F<sub>l</sub> are multiplied by the region's " +
				"guidance channel T<sup>r</sup><sub>l</sub> (the mask at the layer's resolution) before the Gram matrix is taken, and " +
				"divided by the region's size, so that a small region and a whole picture are compared on one scale (with a mask of " +
				"all ones it is the plain Gram matrix). Each region has its own style term E<sub>l</sub><sup>r</sup>, the usual one " +
				"with guided Gram matrices, and the layer's term sums them with the regions' weights:",
			ca: "La <b>matriu de Gram guiada</b> de la regió r a la capa l: els mapes de característiques F<sub>l</sub> es multipliquen " +
				"pel canal guia de la regió T<sup>r</sup><sub>l</sub> (la màscara a la resolució de la capa) abans de calcular la matriu " +
				"de Gram, i es divideix per la mida de la regió, de manera que una regió petita i una imatge sencera es comparen a la " +
				"mateixa escala (amb una màscara tota d'uns és la matriu de Gram de sempre). Cada regió té el seu propi terme d'estil " +
				"E<sub>l</sub><sup>r</sup>, l'habitual amb matrius de Gram guiades, i el terme de la capa els suma amb els pesos de les regions:",
		},
		"mask.col.layer":    {en: "layer", ca: "capa"},
		"mask.col.size":     {en: "mask at the layer (W×H)", ca: "màscara a la capa (W×H)"},
		"mask.col.inside":   {en: "positions inside (T = 1)", ca: "posicions dins (T = 1)"},
		"mask.col.boundary": {en: "positions on the boundary (0 < T < 1)", ca: "posicions a la vora (0 < T < 1)"},
		"mask.notes": {
			en: "Each layer sees the picture at its own resolution, so the mask is downsampled for it: at every 2×2 pooling it is " +
				"averaged over the same 2×2 blocks (Gatys et al.'s simple downsampling; their other variant erodes the region so " +
				"that only positions whose whole receptive field is inside count). Deep layers have few positions, each seeing " +
				"a large part of the picture, so more of them sit on the boundary and mix both sides: that is why the edge of a " +
				"region is never perfectly sharp. The feature maps, Gram matrices and races below are of the whole pictures, " +
				"without the mask.",
			ca: "Cada capa veu la imatge a la seva pròpia resolució, i per això la màscara s'hi redueix: a cada agrupació 2×2 se'n fa " +
				"la mitjana sobre els mateixos blocs 2×2 (la reducció simple de Gatys et al.; la seva altra variant erosiona la regió " +
				"perquè només hi comptin les posicions amb tot el camp receptiu a dins). Les capes profundes tenen poques posicions, " +
				"cadascuna de les quals veu una part gran de la imatge, i per tant n'hi ha més a la vora, barrejant tots dos costats: " +
				"per això la vora d'una regió no és mai perfectament nítida. Els mapes de característiques, les matrius de Gram i les " +
				"curses de més avall són de les imatges senceres, sense la màscara.",
		},
	} {
		texts[k] = v
	}
}
