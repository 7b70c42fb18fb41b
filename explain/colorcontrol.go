package explain

import "github.com/estil-nst/estil/images"

// How the handout speaks of the run's colour control (HandoutOptions.ColorControl): a paragraph
// under the pictures and a line in the method box, with the paper it comes from.

// colorControlKey is the text that says what a colour control did; "" for none.
func colorControlKey(c images.ColorControl) string {
	switch c {
	case images.ColorControlLuminance, images.ColorControlOriginalColors:
		return "color." + string(c)
	}
	return ""
}

// colorControlReferences are the sources of a colour control, for the method box.
func colorControlReferences(c images.ColorControl) []string {
	switch c {
	case images.ColorControlLuminance:
		return []string{gatys2017}
	case images.ColorControlOriginalColors:
		return []string{"J. Johnson. <i>neural-style</i>, Torch implementation of Gatys et al., 2015 (its <code>-original_colors</code> option).", gatys2017}
	}
	return nil
}

const gatys2017 = "L. A. Gatys, M. Bethge, A. Hertzmann, E. Shechtman. <i>Controlling Perceptual Factors in Neural Style Transfer</i>. " +
	"CVPR 2017 (§5.1, colour control: luminance-only transfer and colour-histogram matching)."

func init() {
	for k, v := range map[string]text{
		"method.color": {en: "<b>Colour control</b>: %s", ca: "<b>Control del color</b>: %s"},
		"color.none": {
			en: "none (<code>--color-control none</code>): the result takes the style's colours.",
			ca: "cap (<code>--color-control none</code>): el resultat pren els colors de l'estil.",
		},
		"color.luminance": {
			en: "<code>luminance</code>, Gatys et al.'s luminance-only transfer (2017, §5.1). The style's luminance " +
				"Y = 0.299 R + 0.587 G + 0.114 B was first matched to the content's mean and standard deviation, " +
				"Y<sub>S</sub>′ = σ<sub>C</sub>/σ<sub>S</sub>·(Y<sub>S</sub> − μ<sub>S</sub>) + μ<sub>C</sub>. The network then saw " +
				"luminance pictures only (Y in all three channels), so the strokes were optimised against the style's luminance " +
				"features and its colours never reached the network. Last, the content's colour channels (YIQ's I and Q) were put " +
				"back on the result's luminance. The feature maps, Gram matrices and races below are those of the gray pictures " +
				"the network saw.",
			ca: "<code>luminance</code>, la transferència només de luminància de Gatys et al. (2017, §5.1). Primer, la luminància " +
				"de l'estil, Y = 0,299 R + 0,587 G + 0,114 B, s'ha ajustat a la mitjana i la desviació típica de la del contingut, " +
				"Y<sub>S</sub>′ = σ<sub>C</sub>/σ<sub>S</sub>·(Y<sub>S</sub> − μ<sub>S</sub>) + μ<sub>C</sub>. Després, la xarxa només " +
				"ha vist imatges de luminància (Y als tres canals): les pinzellades s'han optimitzat contra les característiques de " +
				"luminància de l'estil, i els seus colors no han arribat mai a la xarxa. Finalment, s'han tornat a posar els canals de " +
				"color del contingut (la I i la Q de YIQ) sobre la luminància del resultat. Els mapes de característiques, les matrius " +
				"de Gram i les curses de més avall són els de les imatges grises que ha vist la xarxa.",
		},
		"color.original-colors": {
			en: "<code>original-colors</code>, neural-style's <code>-original_colors</code>. The transfer ran in colour, against " +
				"the style's colour features, and afterwards the result's colour channels were swapped for the content's (YIQ's I " +
				"and Q: out = content + Y(result) − Y(content)). This is not Gatys et al.'s luminance-only transfer " +
				"(<code>--color-control luminance</code>), where the network never sees the style's colours: here the style's " +
				"colours did shape the strokes. The views below show the network's colour result, before the swap.",
			ca: "<code>original-colors</code>, el <code>-original_colors</code> de neural-style. La transferència s'ha fet en color, " +
				"contra les característiques de color de l'estil, i després s'han substituït els canals de color del resultat pels " +
				"del contingut (la I i la Q de YIQ: sortida = contingut + Y(resultat) − Y(contingut)). No és la transferència només " +
				"de luminància de Gatys et al. (<code>--color-control luminance</code>), on la xarxa no veu mai els colors de " +
				"l'estil: aquí els colors de l'estil sí que han donat forma a les pinzellades. Les vistes de més avall mostren el " +
				"resultat en color de la xarxa, abans de la substitució.",
		},
		"pictures.network": {en: "what the network made, before the colour step", ca: "el que ha fet la xarxa, abans del pas de color"},
		"pictures.network.style": {
			en: "the style as the network saw it",
			ca: "l'estil tal com l'ha vist la xarxa",
		},
	} {
		texts[k] = v
	}
}
