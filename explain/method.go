package explain

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/estil-nst/estil/images"
	"github.com/estil-nst/estil/nst"
)

// MethodView is the method in one box: the formulas of the loss with this run's α, β, layers and
// weights, which style loss it used (nst.LossConfig.StyleLoss, gram when empty) and its balance
// weight, and the papers it comes from. The handout shows it after the pictures.
type MethodView struct {
	Loss nst.LossConfig
	// ColorControl is how the run kept the content's colours (empty: none); a line says which,
	// and its paper joins the references.
	ColorControl images.ColorControl
}

// HTML renders the formulas (plain text and HTML: a handout has no scripts or fonts to typeset
// TeX) and the references.
func (v *MethodView) HTML() string {
	l := v.Loss
	var b strings.Builder
	section(&b, tr("method.title"))
	b.WriteString(`<div style="border:1px solid #888;background:#f6f6f0;padding:0.6em 1em;max-width:60em;font-family:serif;line-height:1.8">` + "\n")
	content := strings.Join(l.ContentLayers, ", ")
	var weights []string
	for _, s := range l.StyleLayers {
		weights = append(weights, fmt.Sprintf("w<sub>%s</sub> = %s", esc(s.Name), strconv.FormatFloat(s.Weight, 'g', -1, 64)))
	}
	fmt.Fprintf(&b, "<p>%s<br>content = mean((F<sub>T</sub> − F<sub>C</sub>)²) %s <code>%s</code></p>\n", tr("method.content"), tr("method.at"), esc(content))
	sl := l.StyleLoss.OrGram()
	fmt.Fprintf(&b, "<p>%s: %s</p>\n", tr("method.styleloss"), styleLossLabel(sl))
	if isGram(sl) {
		gram, el := gramFormulas(l.GramNorm)
		fmt.Fprintf(&b, "<p>%s<br>%s, &nbsp; %s</p>\n", tr("method.gram"), gram, el)
		fmt.Fprintf(&b, "<p>%s<br>style = Σ<sub>l</sub> w<sub>l</sub>·E<sub>l</sub>, &nbsp; %s</p>\n", tr("method.style"), strings.Join(weights, ", "))
	} else {
		fmt.Fprintf(&b, "<p>%s<br>%s</p>\n", trf("method.layer", tr("stylerep."+string(sl)+".name")),
			strings.Join(styleLossFormulaLines(l), "<br>"))
		fmt.Fprintf(&b, "<p>%s<br>style = Σ<sub>l</sub> w<sub>l</sub>·b·E<sub>l</sub>, &nbsp; %s, &nbsp; %s</p>\n", tr("method.style"),
			strings.Join(weights, ", "), trf("method.balance", formatWeight(sl.Balance())))
	}
	fmt.Fprintf(&b, "<p>%s<br>total = α·content + β·style, &nbsp; α = %s, β = %s</p>\n", tr("method.total"),
		formatWeight(l.ContentWeight), formatWeight(l.StyleWeight))
	cc := v.ColorControl
	if cc == "" {
		cc = images.ColorControlNone
	}
	if k := colorControlKey(cc); k != "" {
		fmt.Fprintf(&b, "<p>%s</p>\n", trf("method.color", tr(k)))
	} else {
		fmt.Fprintf(&b, "<p>%s</p>\n", trf("method.color", tr("color.none")))
	}
	if isGram(sl) {
		caption(&b, tr("method.notes"))
	} else {
		caption(&b, tr("method.notes.other"))
	}
	b.WriteString("</div>\n")
	fmt.Fprintf(&b, "<h3 style=\"font-size:1.1em\">%s</h3>\n<ol style=\"max-width:60em\">\n", tr("method.references"))
	refs := references
	if sl == nst.StyleLossW2 || sl == nst.StyleLossSliced {
		refs = append(append([]string{}, refs...), styleLossReferences(sl)...)
	}
	if cr := colorControlReferences(cc); cr != nil {
		refs = append(append([]string{}, refs...), cr...)
	}
	for _, ref := range refs {
		fmt.Fprintf(&b, "<li>%s</li>\n", ref)
	}
	b.WriteString("</ol>\n</div>\n")
	return b.String()
}

// references are the papers behind the method, as the original notebook cites them.
var references = []string{
	"L. A. Gatys, A. S. Ecker, M. Bethge. <i>Image Style Transfer Using Convolutional Neural Networks</i>. CVPR 2016.",
	"Y. Li, N. Wang, J. Liu, X. Hou. <i>Demystifying Neural Style Transfer</i>. IJCAI 2017 (matching Gram matrices is minimising a maximum mean discrepancy between the two pictures' feature distributions).",
	"K. Simonyan, A. Zisserman. <i>Very Deep Convolutional Networks for Large-Scale Image Recognition</i>. ICLR 2015 (VGG19).",
	"D. C. Liu, J. Nocedal. <i>On the limited memory BFGS method for large scale optimization</i>. Mathematical Programming 45, 1989 (L-BFGS).",
}
