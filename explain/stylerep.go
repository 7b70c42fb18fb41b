package explain

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/estil-nst/estil/nst"
)

// StyleRepresentationView explains the style loss a run used (nst.LossConfig.StyleLoss): what it
// compares, its formula, its reference, what it keeps and loses against Gatys et al.'s Gram
// matrix, the balance weight the objective applies to it, and Li et al.'s identity between the
// Gram loss and a maximum mean discrepancy. The handout shows it after the method's formulas when
// the loss is not gram; it also renders for gram (without the comparison with itself).
type StyleRepresentationView struct {
	Loss nst.LossConfig
}

// isGram says whether the loss compares Gram matrices (empty or gram).
func isGram(s nst.StyleLoss) bool { return s.OrGram() == nst.StyleLossGram }

// styleLossCitations are the short citations of each style loss, as the method box shows them.
var styleLossCitations = map[nst.StyleLoss]string{
	nst.StyleLossGram:      "Gatys et al. 2016",
	nst.StyleLossMMDLinear: "Li et al. 2017",
	nst.StyleLossMMDPoly:   "Li et al. 2017",
	nst.StyleLossMMDGauss:  "Li et al. 2017",
	nst.StyleLossMeanStd:   "Li et al. 2017",
	nst.StyleLossW2:        "Mroueh 2019; crowsonkb",
	nst.StyleLossSliced:    "Heitz et al. 2021",
}

// Full references of the style losses (the Gram loss's and Li et al.'s are in references).
const (
	refMroueh    = "Y. Mroueh. <i>Wasserstein Style Transfer</i>. arXiv 1905.12828, 2019; AISTATS 2020 (the Wasserstein-2 distance between Gaussians fitted to the features)."
	refCrowsonkb = "K. Crowson (crowsonkb). <i>style-transfer-pytorch</i>, on GitHub (StyleLossW2: the W2 style loss, with Newton–Schulz matrix square roots, which estil follows)."
	refHeitz     = "E. Heitz, K. Vanhoey, T. Chambon, L. Belcour. <i>A Sliced Wasserstein Loss for Neural Texture Synthesis</i>. CVPR 2021."
)

// styleLossReferences are the papers behind each style loss.
func styleLossReferences(s nst.StyleLoss) []string {
	switch s {
	case nst.StyleLossGram:
		return []string{references[0]}
	case nst.StyleLossW2:
		return []string{refMroueh, refCrowsonkb}
	case nst.StyleLossSliced:
		return []string{refHeitz}
	}
	return []string{references[1]}
}

// styleLossFormulas are the formulas of one layer's term E_l of each loss (HTML), in the
// handout's notation: T the target (the picture being made), S the style, t_i and s_j their
// feature vectors (d numbers, one per channel) at positions i and j, M = h·w positions, μ a
// picture's mean feature vector, Ĝ = F·Fᵀ/M. They follow package styleloss's doc comments.
var styleLossFormulas = map[nst.StyleLoss][]string{
	nst.StyleLossMMDLinear: {
		"k(x, y) = xᵀy",
		"MMD² = ‖μ<sub>T</sub> − μ<sub>S</sub>‖²",
		"E<sub>l</sub> = (M/d)·‖μ<sub>T</sub> − μ<sub>S</sub>‖²",
	},
	nst.StyleLossMMDPoly: {
		"k(x, y) = (xᵀy + c)², &nbsp; c = 0",
		"E<sub>l</sub> = (M/d²)·‖Ĝ<sub>T</sub> − Ĝ<sub>S</sub>‖²<sub>F</sub>, &nbsp; Ĝ = F·Fᵀ/M",
	},
	nst.StyleLossMMDGauss: {
		"k(x, y) = exp(−‖x − y‖² / (2σ²)), &nbsp; 2σ² = mean ‖x − y‖²",
		"MMD² = mean<sub>i,j</sub> k(t<sub>i</sub>, t<sub>j</sub>) + mean<sub>i,j</sub> k(s<sub>i</sub>, s<sub>j</sub>) − 2·mean<sub>i,j</sub> k(t<sub>i</sub>, s<sub>j</sub>)",
		"E<sub>l</sub> = MMD² / (2d)",
	},
	nst.StyleLossMeanStd: {
		"μ<sub>c</sub> = mean<sub>i</sub> F[c][i], &nbsp; σ<sub>c</sub> = √(mean<sub>i</sub> (F[c][i] − μ<sub>c</sub>)² + ε)",
		"E<sub>l</sub> = (1/d)·Σ<sub>c</sub> [(μ<sub>T,c</sub> − μ<sub>S,c</sub>)² + (σ<sub>T,c</sub> − σ<sub>S,c</sub>)²]",
	},
	nst.StyleLossW2: {
		"Σ = mean<sub>i</sub> (t<sub>i</sub> − μ)(t<sub>i</sub> − μ)ᵀ + ε·I",
		"W₂² = ‖μ<sub>T</sub> − μ<sub>S</sub>‖² + tr(Σ<sub>T</sub> + Σ<sub>S</sub> − 2·(Σ<sub>S</sub><sup>½</sup> Σ<sub>T</sub> Σ<sub>S</sub><sup>½</sup>)<sup>½</sup>)",
		"E<sub>l</sub> = W₂² / d",
	},
	nst.StyleLossSliced: {
		"v<sub>1</sub> … v<sub>d</sub> ∈ ℝ<sup>d</sup>, &nbsp; ‖v<sub>k</sub>‖ = 1",
		"E<sub>l</sub> = (1/(d·M))·Σ<sub>k</sub> Σ<sub>i</sub> (sort(v<sub>k</sub>ᵀt)<sub>i</sub> − sort(v<sub>k</sub>ᵀs)<sub>i</sub>)²",
	},
}

// gramFormulas are the Gram loss's G and E_l for a normalisation.
func gramFormulas(norm nst.GramNorm) (gram, el string) {
	switch norm {
	case nst.GramNormHW:
		return "Ĝ = F·Fᵀ / (h·w)", "E<sub>l</sub> = mean((Ĝ<sub>T,l</sub> − Ĝ<sub>S,l</sub>)²)"
	case nst.GramNormCHW:
		return "Ĝ = F·Fᵀ / (d·h·w)", "E<sub>l</sub> = mean((Ĝ<sub>T,l</sub> − Ĝ<sub>S,l</sub>)²)"
	}
	return "G = F·Fᵀ", "E<sub>l</sub> = mean((G<sub>T,l</sub> − G<sub>S,l</sub>)²) / (d<sub>l</sub>·h<sub>l</sub>·w<sub>l</sub>)"
}

// styleLossFormulaLines are the formula lines of l's style loss.
func styleLossFormulaLines(l nst.LossConfig) []string {
	s := l.StyleLoss.OrGram()
	if isGram(s) {
		gram, el := gramFormulas(l.GramNorm)
		return []string{gram, el}
	}
	return styleLossFormulas[s]
}

// styleLossLabel is "name — what it is (citation)" for the method box.
func styleLossLabel(s nst.StyleLoss) string {
	return fmt.Sprintf("<code>%s</code> — %s (%s)", esc(string(s)), tr("stylerep."+string(s)+".name"), styleLossCitations[s])
}

// styleLossApposition is "<code>name</code> (what it is)", to name a style loss inside a sentence.
func styleLossApposition(s nst.StyleLoss) string {
	return fmt.Sprintf("<code>%s</code> (%s)", esc(string(s)), tr("stylerep."+string(s)+".name"))
}

// formatWeight writes a weight as the flags take it.
func formatWeight(w float64) string { return strconv.FormatFloat(w, 'g', -1, 64) }

// gramLossIdentity is Li et al.'s identity, for pictures with the same number of positions.
const gramLossIdentity = "‖G<sub>T</sub> − G<sub>S</sub>‖² = Σ<sub>i,j</sub> [k(t<sub>i</sub>, t<sub>j</sub>) + k(s<sub>i</sub>, s<sub>j</sub>) − 2·k(t<sub>i</sub>, s<sub>j</sub>)] = M²·MMD², &nbsp; k(x, y) = (xᵀy)²"

// HTML renders the style loss's explanation.
func (v *StyleRepresentationView) HTML() string {
	s := v.Loss.StyleLoss.OrGram()
	if _, ok := styleLossCitations[s]; !ok {
		return errorHTML(tr("stylerep.title"), fmt.Errorf("unknown style loss %q", s))
	}
	var b strings.Builder
	section(&b, tr("stylerep.title"))
	caption(&b, trf("stylerep.used", tr("stylerep."+string(s)+".name"), esc(string(s))))
	caption(&b, tr("stylerep.intro"))
	b.WriteString(`<div style="border:1px solid #888;background:#f6f6f0;padding:0.6em 1em;max-width:60em;line-height:1.6">` + "\n")
	fmt.Fprintf(&b, "<p><b>%s</b>: %s</p>\n", esc(string(s)), tr("stylerep."+string(s)+".compares"))
	fmt.Fprintf(&b, "<p style=\"font-family:serif\">%s</p>\n", strings.Join(styleLossFormulaLines(v.Loss), "<br>"))
	caption(&b, tr("stylerep.notation"))
	if !isGram(s) {
		fmt.Fprintf(&b, "<p>%s %s</p>\n", tr("stylerep.versus"), tr("stylerep."+string(s)+".keeps"))
		fmt.Fprintf(&b, "<p>%s</p>\n", trf("stylerep.balance", formatWeight(s.Balance())))
	}
	fmt.Fprintf(&b, "<p>%s<br><span style=\"font-family:serif\">%s</span></p>\n", tr("stylerep.identity"), gramLossIdentity)
	fmt.Fprintf(&b, "<p>%s</p>\n<ul>\n", tr("stylerep.reference"))
	for _, ref := range styleLossReferences(s) {
		fmt.Fprintf(&b, "<li>%s</li>\n", ref)
	}
	b.WriteString("</ul>\n</div>\n</div>\n")
	return b.String()
}

func init() {
	for k, v := range map[string]text{
		"stylerep.title": {en: "Style representations", ca: "Representacions de l'estil"},
		"stylerep.used": {
			en: "This run's style loss: <b>%s</b> (<code>--style-loss %s</code>).",
			ca: "La pèrdua d'estil d'aquesta execució: <b>%s</b> (<code>--style-loss %s</code>).",
		},
		"stylerep.intro": {
			en: "At a style layer, each of the M = h·w positions of a picture gives a feature vector of d numbers, one per " +
				"channel. A style representation summarises that cloud of M vectors, forgetting where each one came from, and " +
				"the style loss compares the summary of the picture being made with the style picture's. Gatys et al.'s Gram " +
				"matrix is one such summary; Li et al. (2017) showed that it is one member of a larger family (the maximum " +
				"mean discrepancy, MMD, between the two clouds of vectors), and that other members transfer a style too.",
			ca: "En una capa d'estil, cadascuna de les M = h·w posicions d'una imatge dona un vector de característiques de d " +
				"nombres, un per canal. Una representació de l'estil resumeix aquest núvol de M vectors, oblidant d'on ve " +
				"cadascun, i la pèrdua d'estil compara el resum de la imatge que s'està fent amb el de la imatge d'estil. La " +
				"matriu de Gram de Gatys et al. és un d'aquests resums; Li et al. (2017) van demostrar que és un membre d'una " +
				"família més gran (la discrepància màxima de mitjanes, MMD, entre els dos núvols de vectors) i que altres " +
				"membres de la família també transfereixen un estil.",
		},
		"stylerep.notation": {
			en: "T is the picture being made, S the style picture; F a layer's output (d channels × M positions), t<sub>i</sub> " +
				"and s<sub>j</sub> its columns (the feature vectors at positions i and j), μ a picture's mean feature vector and " +
				"mean<sub>i</sub> a mean over the positions.",
			ca: "T és la imatge que s'està fent i S la imatge d'estil; F és la sortida d'una capa (d canals × M posicions), " +
				"t<sub>i</sub> i s<sub>j</sub> en són les columnes (els vectors de característiques de les posicions i i j), μ el " +
				"vector de característiques mitjà d'una imatge i mean<sub>i</sub> una mitjana sobre les posicions.",
		},
		"stylerep.versus": {en: "<b>Compared with the Gram matrix</b>:", ca: "<b>Comparada amb la matriu de Gram</b>:"},
		"stylerep.balance": {
			en: "<b>Balance weight</b>: the objective adds β·w<sub>l</sub>·%s·E<sub>l</sub> for each style layer l. Each loss's " +
				"E<sub>l</sub> has its own scale; this factor brings it to about the Gram loss's at the start of a run, so that " +
				"the same β weighs every style loss about equally. It was measured on the built-in pictures with random weights, " +
				"so with the real network it is only roughly right.",
			ca: "<b>Pes d'equilibri</b>: l'objectiu suma β·w<sub>l</sub>·%s·E<sub>l</sub> per a cada capa d'estil l. L'" +
				"E<sub>l</sub> de cada pèrdua té la seva pròpia escala; aquest factor la porta a prop de la de la pèrdua de Gram " +
				"a l'inici d'una execució, de manera que una mateixa β pesa aproximadament igual totes les pèrdues d'estil. Es va " +
				"mesurar amb les imatges incorporades i pesos aleatoris, així que amb la xarxa real només és aproximat.",
		},
		"stylerep.identity": {
			en: "<b>Gram loss = MMD²</b> (Li et al.): for two pictures with the same number of positions, the Gram loss is, up " +
				"to a factor that depends on the layer's N and M (so not the same across layers or sizes), the squared MMD with the kernel k(x, y) = (xᵀy)²:",
			ca: "<b>Pèrdua de Gram = MMD²</b> (Li et al.): per a dues imatges amb el mateix nombre de posicions, la pèrdua de " +
				"Gram és, llevat d'un factor que depèn de l'N i l'M de la capa (i que, per tant, canvia d'una capa o d'una mida a una altra), la MMD al quadrat amb el nucli k(x, y) = (xᵀy)²:",
		},
		"stylerep.reference": {en: "<b>Reference</b>:", ca: "<b>Referència</b>:"},

		"stylerep.gram.name": {en: "Gram matrices", ca: "matrius de Gram"},
		"stylerep.gram.compares": {
			en: "Gatys et al.'s Gram matrix G = F·Fᵀ: for every pair of channels, how much they fire together, summed over " +
				"the positions. It holds the second moments of the feature vectors.",
			ca: "La matriu de Gram de Gatys et al., G = F·Fᵀ: per a cada parell de canals, quant s'activen junts, sumat sobre " +
				"les posicions. Conté els moments de segon ordre dels vectors de característiques.",
		},

		"stylerep.mmd-linear.name": {en: "MMD with a linear kernel", ca: "MMD amb un nucli lineal"},
		"stylerep.mmd-linear.compares": {
			en: "The maximum mean discrepancy between the two clouds of feature vectors with the linear kernel k(x, y) = xᵀy. " +
				"With this kernel the MMD is simply the distance between the two mean feature vectors: only how strongly each " +
				"channel fires on average is matched.",
			ca: "La discrepància màxima de mitjanes entre els dos núvols de vectors de característiques amb el nucli lineal " +
				"k(x, y) = xᵀy. Amb aquest nucli, la MMD és simplement la distància entre els dos vectors de característiques " +
				"mitjans: només s'iguala la força amb què s'activa cada canal, de mitjana.",
		},
		"stylerep.mmd-linear.keeps": {
			en: "It keeps much less: one mean per channel, d numbers instead of a d×d matrix. It loses how the features vary " +
				"and which of them fire together (all of G's co-activations), so it matches little of a texture.",
			ca: "En conserva molt menys: una mitjana per canal, d nombres en lloc d'una matriu de d×d. Perd com varien les " +
				"característiques i quines s'activen juntes (totes les coactivacions de G), i per això reprodueix poca cosa " +
				"d'una textura.",
		},

		"stylerep.mmd-poly.name": {en: "MMD with a polynomial kernel", ca: "MMD amb un nucli polinòmic"},
		"stylerep.mmd-poly.compares": {
			en: "The MMD with the quadratic kernel k(x, y) = (xᵀy + c)², with c = 0 as Li et al. use it. With c = 0 it <i>is</i> " +
				"the Gram loss (the identity below): it compares the second moments Ĝ = F·Fᵀ/M, pair of channels by pair of channels.",
			ca: "La MMD amb el nucli quadràtic k(x, y) = (xᵀy + c)², amb c = 0, com la fan servir Li et al. Amb c = 0 <i>és</i> " +
				"la pèrdua de Gram (vegeu la identitat de més avall): compara els moments de segon ordre Ĝ = F·Fᵀ/M, parell de " +
				"canals per parell de canals.",
		},
		"stylerep.mmd-poly.keeps": {
			en: "It keeps and loses exactly what the Gram matrix does. Only the scale differs: each layer's E<sub>l</sub> is d " +
				"times the Gram loss's, so layers with more channels weigh more (conv5_1, with 512, 8 times more against " +
				"conv1_1, with 64, than with the Gram loss).",
			ca: "Conserva i perd exactament el mateix que la matriu de Gram. Només canvia l'escala: l'E<sub>l</sub> de cada capa " +
				"és d vegades la de la pèrdua de Gram, de manera que les capes amb més canals pesen més (conv5_1, amb 512, pesa " +
				"8 vegades més respecte de conv1_1, amb 64, que amb la pèrdua de Gram).",
		},

		"stylerep.mmd-gauss.name": {en: "MMD with a Gaussian kernel", ca: "MMD amb un nucli gaussià"},
		"stylerep.mmd-gauss.compares": {
			en: "The MMD with the Gaussian kernel k(x, y) = exp(−‖x − y‖²/(2σ²)): how alike the vectors are within the picture " +
				"being made, plus within the style, minus twice across the two. It is zero only when the two clouds of vectors " +
				"have the same distribution. σ comes from the data (2σ² is the mean squared distance between the vectors " +
				"compared); on large layers (over 4096² pairs) the means are taken within random blocks of 128 positions.",
			ca: "La MMD amb el nucli gaussià k(x, y) = exp(−‖x − y‖²/(2σ²)): quant s'assemblen els vectors dins de la imatge " +
				"que s'està fent, més dins de l'estil, menys dues vegades entre totes dues. Només és zero quan els dos núvols de " +
				"vectors tenen la mateixa distribució. La σ surt de les dades (2σ² és la distància mitjana al quadrat entre els " +
				"vectors comparats); a les capes grans (més de 4096² parells) les mitjanes es prenen dins de blocs aleatoris de " +
				"128 posicions.",
		},
		"stylerep.mmd-gauss.keeps": {
			en: "It keeps more: over all pairs it compares the whole distributions, not only their second moments, so it also sees how the " +
				"values are spread (e.g. rare, strong activations against frequent, weak ones). But the kernel's width σ sets " +
				"the scale of differences it is most sensitive to, and it costs far more: it compares pairs of positions, " +
				"not d×d matrices.",
			ca: "En conserva més: sobre tots els parells compara les distribucions senceres, no només els seus moments de segon ordre, i per això també " +
				"veu com es reparteixen els valors (per exemple, activacions rares i fortes enfront de freqüents i febles). Però " +
				"l'amplada σ del nucli fixa l'escala de les diferències a què és més sensible, i costa molt més: compara parells " +
				"de posicions, no matrius de d×d.",
		},

		"stylerep.mean-std.name": {en: "channel means and standard deviations", ca: "mitjanes i desviacions típiques dels canals"},
		"stylerep.mean-std.compares": {
			en: "For each channel on its own, its mean and its standard deviation over the positions: the statistics that batch " +
				"normalisation computes (Li et al.'s BN loss; AdaIN, by Huang and Belongie 2017, transfers the same statistics).",
			ca: "Per a cada canal per separat, la seva mitjana i la seva desviació típica sobre les posicions: les estadístiques " +
				"que calcula la normalització per lots (<i>batch normalisation</i>; la pèrdua BN de Li et al.; AdaIN, de Huang i " +
				"Belongie 2017, transfereix aquestes mateixes estadístiques).",
		},
		"stylerep.mean-std.keeps": {
			en: "It keeps each channel's level and spread (G's diagonal, Σ<sub>i</sub> F[c][i]², mixes the two into one number), " +
				"but loses all of G's off-diagonal entries: which channels fire together. 2d numbers instead of d×d.",
			ca: "Conserva el nivell i la dispersió de cada canal (la diagonal de G, Σ<sub>i</sub> F[c][i]², barreja totes dues " +
				"coses en un sol nombre), però perd tots els elements de G fora de la diagonal: quins canals s'activen junts. " +
				"2d nombres en lloc de d×d.",
		},

		"stylerep.w2.name": {en: "Wasserstein-2 distance between fitted Gaussians", ca: "distància de Wasserstein-2 entre gaussianes ajustades"},
		"stylerep.w2.compares": {
			en: "A Gaussian (a mean vector μ and a covariance matrix Σ) is fitted to each cloud of feature vectors, and the loss " +
				"is the squared Wasserstein-2 distance between the two Gaussians: the least mean squared distance by which the " +
				"points of one must move to become the other. Between Gaussians it has a closed form, with matrix square roots " +
				"(computed by Newton–Schulz iterations).",
			ca: "S'ajusta una gaussiana (un vector mitjà μ i una matriu de covariància Σ) a cada núvol de vectors de " +
				"característiques, i la pèrdua és la distància de Wasserstein-2 al quadrat entre les dues gaussianes: la mínima " +
				"distància al quadrat, de mitjana, que s'han de desplaçar els punts d'una perquè esdevingui l'altra. Entre gaussianes " +
				"té una fórmula tancada, amb arrels quadrades de matrius (calculades amb iteracions de Newton–Schulz).",
		},
		"stylerep.w2.keeps": {
			en: "It keeps what the Gram matrix keeps and a little more: matching μ and Σ matches Ĝ = Σ + μμᵀ, but not the other " +
				"way round. It measures the difference as a transport distance, which grows with the square of the features " +
				"rather than the fourth power, as ‖G<sub>T</sub> − G<sub>S</sub>‖² does, so strong channels dominate less. Like " +
				"the Gram matrix, it sees nothing beyond second moments: it treats each cloud as a Gaussian.",
			ca: "Conserva el que conserva la matriu de Gram i una mica més: igualar μ i Σ iguala Ĝ = Σ + μμᵀ, però no a la " +
				"inversa. Mesura la diferència com una distància de transport, que creix amb el quadrat de les característiques " +
				"i no amb la quarta potència, com ‖G<sub>T</sub> − G<sub>S</sub>‖², de manera que els canals forts dominen menys. " +
				"Com la matriu de Gram, no veu res més enllà dels moments de segon ordre: tracta cada núvol com una gaussiana.",
		},

		"stylerep.sliced.name": {en: "sliced Wasserstein distance", ca: "distància de Wasserstein per projeccions"},
		"stylerep.sliced.compares": {
			en: "The feature vectors are projected on d fixed random directions; along each direction, the M values of the " +
				"picture being made and the style's are sorted (sort(·)<sub>i</sub> is the i-th smallest) and compared rank by rank. Sorted values are a distribution's " +
				"quantiles: along each direction this is the squared Wasserstein distance between the two projected " +
				"distributions, whole histograms and not only their mean and spread.",
			ca: "Els vectors de característiques es projecten sobre d direccions aleatòries fixes; al llarg de cada direcció, " +
				"els M valors de la imatge que s'està fent i els de l'estil s'ordenen (sort(·)<sub>i</sub> és el valor i-èsim més petit) i es comparen posició a posició. Els valors " +
				"ordenats són els quantils d'una distribució: al llarg de cada direcció, això és la distància de Wasserstein al " +
				"quadrat entre les dues distribucions projectades, histogrames sencers i no només la seva mitjana i dispersió.",
		},
		"stylerep.sliced.keeps": {
			en: "It keeps more than second moments: along each direction it matches the whole distribution (its shape, its skew, " +
				"how sparse it is), which a Gram matrix cannot see. But it looks along d directions only, drawn once for the run " +
				"(Heitz et al. draw new ones as they go), so dependencies between channels along other directions are only " +
				"partly matched.",
			ca: "Conserva més que els moments de segon ordre: al llarg de cada direcció iguala la distribució sencera (la seva " +
				"forma, la seva asimetria, si és dispersa o no), cosa que una matriu de Gram no pot veure. Però només mira al llarg de d " +
				"direccions, triades un cop per a tota l'execució (Heitz et al. en trien de noves sobre la marxa), de manera " +
				"que les dependències entre canals al llarg d'altres direccions només s'igualen en part.",
		},
	} {
		texts[k] = v
	}
}
