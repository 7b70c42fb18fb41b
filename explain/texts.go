package explain

// texts holds every explanatory text of the views, in English and in Catalan (the language of
// the original notebook). Texts are written for students; they may contain simple HTML tags and
// fmt verbs (used with trf).
var texts = map[string]text{
	// Layer table.
	"layers.title": {
		en: "VGG19, layer by layer",
		ca: "VGG19, capa per capa",
	},
	"layers.intro": {
		en: "This is the original notebook's <code>print(vgg19)</code>, with more to read: for an input of %d×%d pixels, " +
			"each row is one entry of torchvision's <code>vgg19().features</code>, with its index (the number the original uses, " +
			"e.g. '21'), its name, what it does, the shape of its output (height × width × channels), how many numbers it learned " +
			"(its parameters), and its <i>receptive field</i>: the side of the square of input pixels that one of its outputs sees.",
		ca: "Aquest és el <code>print(vgg19)</code> del quadern original, amb més informació: per a una entrada de %d×%d píxels, " +
			"cada fila és una capa de <code>vgg19().features</code> de torchvision, amb el seu índex (el número que fa servir l'original, " +
			"per exemple '21'), el seu nom, què fa, la forma de la seva sortida (alçada × amplada × canals), quants nombres ha après " +
			"(els seus paràmetres) i el seu <i>camp receptiu</i>: el costat del quadrat de píxels de l'entrada que veu cadascuna de les seves sortides.",
	},
	"layers.col.index":  {en: "index", ca: "índex"},
	"layers.col.name":   {en: "name", ca: "nom"},
	"layers.col.kind":   {en: "kind", ca: "tipus"},
	"layers.col.shape":  {en: "output (H×W×C)", ca: "sortida (H×W×C)"},
	"layers.col.params": {en: "parameters", ca: "paràmetres"},
	"layers.col.rf":     {en: "receptive field (px)", ca: "camp receptiu (px)"},
	"layers.col.role":   {en: "used by", ca: "la fa servir"},
	"layers.role.content": {
		en: "content loss",
		ca: "pèrdua de contingut",
	},
	"layers.role.style": {
		en: "style loss (w = %g)",
		ca: "pèrdua d'estil (w = %g)",
	},
	"layers.kind.conv": {en: "3×3 convolution", ca: "convolució 3×3"},
	"layers.kind.relu": {en: "ReLU", ca: "ReLU"},
	"layers.kind.pool": {en: "2×2 pooling", ca: "agrupació (pooling) 2×2"},
	"layers.total":     {en: "total", ca: "total"},
	"layers.notes": {
		en: "Highlighted rows feed the losses. Their features are read <b>after the ReLU</b> that follows the convolution: " +
			"torchvision's ReLU works in place, so what the original stores as the output of conv4_2 is really relu4_2's. " +
			"Grey rows come after the deepest loss layer and are never computed. Every pooling halves the height and the width, " +
			"so deeper layers have fewer, bigger-seeing positions and more channels: early layers react to colours and edges, " +
			"deep ones to textures and parts of objects. The weights are frozen: style transfer changes the pixels of the image, " +
			"never these parameters.",
		ca: "Les files destacades alimenten les pèrdues. Les seves característiques es llegeixen <b>després de la ReLU</b> que segueix " +
			"la convolució: la ReLU de torchvision treballa sobre el mateix tensor (<i>in place</i>), de manera que el que l'original desa " +
			"com a sortida de conv4_2 és, de fet, la de relu4_2. Les files grises vénen després de la capa de pèrdua més profunda i no " +
			"es calculen mai. Cada agrupació divideix per dos l'alçada i l'amplada, així que les capes profundes tenen menys posicions, " +
			"cadascuna veu més imatge, i tenen més canals: les primeres capes reaccionen a colors i vores, i les profundes, a textures i " +
			"parts d'objectes. Els pesos estan congelats: la transferència d'estil canvia els píxels de la imatge, mai aquests paràmetres.",
	},
}

func init() {
	for k, v := range map[string]text{
		"features.title": {en: "What %s sees: feature maps", ca: "Què veu %s: mapes de característiques"},
		"features.intro": {
			en: "The %d most active of the %d channels of %s (each a %d×%d map), ranked by their mean activation. " +
				"Each channel is one filter that the network learned; its map shows where in the picture the filter responds.",
			ca: "Els %d canals més actius dels %d de %s (cadascun és un mapa de %d×%d), ordenats per la seva activació mitjana. " +
				"Cada canal és un filtre que la xarxa ha après; el seu mapa mostra on respon el filtre dins la imatge.",
		},
		"features.input":   {en: "input picture", ca: "imatge d'entrada"},
		"features.channel": {en: "channel %d · mean %.3g", ca: "canal %d · mitjana %.3g"},
		"features.colorbar": {
			en: "activation, normalized per channel (0 = its weakest, 1 = its strongest)",
			ca: "activació, normalitzada per canal (0 = la més feble, 1 = la més forta)",
		},
		"features.notes": {
			en: "Each map is scaled on its own, so compare <i>where</i> channels fire, not how much (that is the mean in the title). " +
				"In early layers (conv1_1, conv2_1) the maps look like the picture itself: filters for colours and edges. " +
				"Deeper (conv4_2, conv5_1) they are coarse and abstract: each position sees a large part of the image, " +
				"and filters respond to textures and parts of objects. With random weights the maps only reflect the picture's " +
				"brightness and edges, blurred: the filters have learned nothing.",
			ca: "Cada mapa s'escala per separat: compareu <i>on</i> s'activen els canals, no quant (això és la mitjana del títol). " +
				"A les primeres capes (conv1_1, conv2_1) els mapes s'assemblen a la mateixa imatge: filtres de colors i vores. " +
				"Més endins (conv4_2, conv5_1) són grollers i abstractes: cada posició veu una part gran de la imatge i " +
				"els filtres responen a textures i parts d'objectes. Amb pesos aleatoris els mapes només reflecteixen la " +
				"lluminositat i les vores de la imatge, difuminades: els filtres no han après res.",
		},
	} {
		texts[k] = v
	}
}
