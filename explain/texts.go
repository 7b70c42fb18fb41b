package explain

// texts holds every explanatory text of the views, in English and in Catalan (the language of
// the original notebook). Texts are written for students; they may contain simple HTML tags and
// fmt verbs (used with trf). The layer table's texts are here; each init below adds one view's.
// TestTextsComplete checks that every text has both languages and every key used exists.
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
	"layers.col.role":   {en: "used by", ca: "usada per"},
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
			"com a sortida de conv4_2 és, de fet, la de relu4_2. Les files grises venen després de la capa de pèrdua més profunda i no " +
			"es calculen mai. Cada agrupació divideix per dos l'alçada i l'amplada, així que les capes profundes tenen menys posicions, " +
			"cadascuna de les quals veu una part més gran de la imatge, i més canals: les primeres capes reaccionen a colors i vores, i les profundes, a textures i " +
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
		"features.intro.given": {
			en: "%d of the %d channels of %s (each a %d×%d map): the channels asked for, in that order, not this picture's " +
				"most active ones, so that two pictures can be compared through the same filters. Under each map, its mean " +
				"activation on this picture.",
			ca: "%d dels %d canals de %s (cadascun és un mapa de %d×%d): els canals demanats, en aquest ordre, i no els més " +
				"actius d'aquesta imatge, de manera que es poden comparar dues imatges a través dels mateixos filtres. Sota cada " +
				"mapa, la seva activació mitjana en aquesta imatge.",
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

func init() {
	for k, v := range map[string]text{
		"gram.title": {en: "Style as a Gram matrix: %s", ca: "L'estil com a matriu de Gram: %s"},
		"gram.intro": {
			en: "With the layer's feature maps as the rows of F (one row per channel, one column per position), G = F·Fᵀ " +
				"is a %d×%d table: G[i][j] adds up, over every position of the picture, how much channel i and channel j " +
				"fire there together. Where things are is summed away; what remains is which features go together: the style.",
			ca: "Si posem els mapes de característiques de la capa com a files de F (una fila per canal, una columna per posició), " +
				"G = F·Fᵀ és una taula de %d×%d: G[i][j] suma, per a totes les posicions de la imatge, quant s'activen alhora el canal i " +
				"i el canal j. La suma fa desaparèixer on és cada cosa; el que queda és quines característiques van juntes: l'estil.",
		},
		"gram.panels.one": {
			en: "The heat map shows G itself: the cell in row i, column j is G[i][j], coloured by the bar on its right.",
			ca: "El mapa de calor mostra la mateixa G: la casella de la fila i, columna j és G[i][j], acolorida segons la barra del costat.",
		},
		"gram.panels.generated": {
			en: "The style loss of %s makes the generated image's G (middle) equal the style image's (left); the right panel " +
				"shows what is still missing (red: the generated image has too much of that pair, blue: too little).",
			ca: "La pèrdua d'estil de %s fa que la G de la imatge generada (al mig) sigui igual que la de la imatge d'estil (a l'esquerra); " +
				"el requadre de la dreta mostra el que encara falta (vermell: la imatge generada en té massa, d'aquell parell; blau: massa poc).",
		},
		"gram.panels.named": {
			en: "Left: the G of the first picture (%s). Middle: the G of the second (%s), with the same colours and the same " +
				"channel order. Right: their difference, second − first (red: the second picture has more of that pair of channels " +
				"firing together, blue: less).",
			ca: "A l'esquerra: la G de la primera imatge (%s). Al mig: la G de la segona (%s), amb els mateixos colors i el mateix " +
				"ordre de canals. A la dreta: la seva diferència, segona − primera (vermell: la segona imatge té més d'aquell parell de " +
				"canals activats junts; blau: menys).",
		},
		"gram.panels.named.gram": {
			en: "The style loss of %s compares a generated image's G with the style image's in the same way.",
			ca: "La pèrdua d'estil de %s compara de la mateixa manera la G d'una imatge generada amb la de la imatge d'estil.",
		},
		"gram.style":      {en: "style image", ca: "imatge d'estil"},
		"gram.generated":  {en: "generated image", ca: "imatge generada"},
		"gram.difference": {en: "generated − style", ca: "generada − estil"},
		"gram.axis":       {en: "channel", ca: "canal"},
		"gram.order.none": {
			en: "Channels are in the network's own order, which means nothing in particular.",
			ca: "Els canals estan en l'ordre de la xarxa, que no vol dir res en especial.",
		},
		"gram.order.energy": {
			en: "Channels are sorted by their energy in the first (left) picture, the style image unless named otherwise (G[i][i], " +
				"strongest first): the bright corner at the top left gathers the filters that dominate it. The tick labels are the " +
				"original channel numbers.",
			ca: "Els canals estan ordenats per la seva energia a la primera imatge (la de l'esquerra), la d'estil si no se n'ha donat " +
				"cap altre nom (G[i][i], primer la més forta): el racó brillant de dalt a l'esquerra aplega els filtres que hi dominen. " +
				"Les etiquetes són els números de canal originals.",
		},
		"gram.order.greedy": {
			en: "Channels are ordered so that those that fire together sit next to each other (starting from the strongest, each next " +
				"channel is the one with the largest normalised co-activation G[i][j]/√(G[i][i]·G[j][j]) with the previous, an uncentred cosine): groups of co-activating filters appear as bright blocks " +
				"along the diagonal. The tick labels are the original channel numbers.",
			ca: "Els canals estan ordenats perquè els que s'activen junts quedin l'un al costat de l'altre (es comença pel més fort i cada " +
				"canal següent és el de coactivació normalitzada G[i][j]/√(G[i][i]·G[j][j]) més gran amb l'anterior, un cosinus no centrat): els grups de filtres que s'activen alhora apareixen com a blocs " +
				"brillants al llarg de la diagonal. Les etiquetes són els números de canal originals.",
		},
		"gram.rank": {
			en: "<b>Few positions.</b> At this size %s has only h·w = %d positions for its %d channels: F is %d×h·w, so the " +
				"%d×%d matrix G = F·Fᵀ has rank at most %d. It is a sum over so few positions that it describes these few places " +
				"more than a style, and a transfer can match it with little change to the picture. Run larger (--size 256 or more) " +
				"to see what this layer's Gram matrix holds of a style.",
			ca: "<b>Poques posicions.</b> A aquesta mida, %s només té h·w = %d posicions per als seus %d canals: F és de %d×h·w, " +
				"de manera que la matriu G = F·Fᵀ, de %d×%d, té rang com a molt %d. És una suma sobre tan poques posicions que descriu " +
				"aquests pocs llocs més que no pas un estil, i una transferència la pot igualar canviant poc la imatge. Feu-ho més gran " +
				"(--size 256 o més) per veure què conté d'un estil la matriu de Gram d'aquesta capa.",
		},
		"gram.notes": {
			en: "<b>The diagonal</b> G[i][i] = Σ F[i]² is each filter's energy: how strongly (and how widely) that feature is present. " +
				"<b>Off the diagonal</b>, G[i][j] is the co-activation of two filters: large when they tend to fire at the same places, " +
				"for instance a colour together with a kind of stroke. The matrix is symmetric. Its values grow with the image's size " +
				"(they are sums over the h·w positions). The original's style loss divides the mean squared difference of two Gram " +
				"matrices by d·h·w, but squaring brings two factors of h·w and that division cancels only one: the style term still " +
				"grows with the picture's size, about 4 times when its side doubles (notebook 04 shows it in numbers). Dividing G " +
				"itself by h·w (or d·h·w) makes it an average, whose values do not depend on the size.",
			ca: "<b>La diagonal</b> G[i][i] = Σ F[i]² és l'energia de cada filtre: amb quina força (i en quina extensió) hi és present aquella " +
				"característica. <b>Fora de la diagonal</b>, G[i][j] és la coactivació de dos filtres: és gran quan solen activar-se als " +
				"mateixos llocs, per exemple un color juntament amb un tipus de pinzellada. La matriu és simètrica. Els seus valors creixen " +
				"amb la mida de la imatge (són sumes sobre les h·w posicions). La pèrdua d'estil de l'original divideix per d·h·w la " +
				"mitjana de les diferències al quadrat entre dues matrius de Gram, però en elevar al quadrat hi apareixen dos factors " +
				"h·w i aquesta divisió només en cancel·la un: el terme d'estil continua creixent amb la mida de la imatge, unes 4 " +
				"vegades quan se'n dobla el costat (el quadern 04 ho mostra amb nombres). Dividir la mateixa G per h·w (o per d·h·w) " +
				"la converteix en una mitjana, amb uns valors que no depenen de la mida.",
		},
	} {
		texts[k] = v
	}
}

func init() {
	for k, v := range map[string]text{
		"losses.title":   {en: "The losses during the run", ca: "Les pèrdues durant l'execució"},
		"losses.total":   {en: "total", ca: "total"},
		"losses.content": {en: "content (α·content)", ca: "contingut (α·contingut)"},
		"losses.x":       {en: "evaluation of the loss", ca: "avaluació de la pèrdua"},
		"losses.y":       {en: "loss (log scale)", ca: "pèrdua (escala logarítmica)"},
		"losses.notes": {
			en: "Each curve is one term of the total loss, at every evaluation the optimizer made (L-BFGS may evaluate " +
				"several times per iteration, during its line search): the content term α·content and, for each style " +
				"layer l, β·w_l·E_l, where E_l is the layer's style error: the mean squared difference between the elements of " +
				"the image's Gram matrix and the style picture's (in the original, divided by d·h·w, the layer's channels " +
				"times positions). The vertical axis is logarithmic, so equal distances are equal <i>ratios</i>: a curve " +
				"that drops one grid line has become ten times smaller. At the start the style terms dominate; the content " +
				"term starts at 0 (the image <i>is</i> the content; 0 cannot be drawn on a log axis) and grows as the style " +
				"pulls the image away from it. The run ends near a balance between the two, set by α/β and, with the " +
				"original's Gram matrix, by the picture's size (E_l grows with the number of positions).",
			ca: "Cada corba és un terme de la pèrdua total, a cada avaluació que ha fet l'optimitzador (L-BFGS pot avaluar " +
				"diverses vegades per iteració, durant la cerca lineal): el terme de contingut α·contingut i, per a cada capa " +
				"d'estil l, β·w_l·E_l, on E_l és l'error d'estil de la capa: la mitjana de les diferències al quadrat entre els " +
				"elements de la matriu de Gram de la imatge i els de la imatge d'estil (a l'original, dividida per d·h·w, els " +
				"canals per les posicions de la capa). L'eix vertical és logarítmic, de manera que distàncies iguals són " +
				"<i>quocients</i> iguals: " +
				"una corba que baixa una línia de la graella s'ha fet deu vegades més petita. Al començament dominen els termes " +
				"d'estil; el terme de contingut comença a 0 (la imatge <i>és</i> el contingut; el 0 no es pot dibuixar en un eix " +
				"logarítmic) i creix a mesura que l'estil allunya la imatge del contingut. L'execució acaba a prop d'un equilibri " +
				"entre tots dos, fixat per α/β i, amb la matriu de Gram de l'original, per la mida de la imatge (E_l creix amb " +
				"el nombre de posicions).",
		},
		"random.warning": {
			en: "⚠ RANDOM WEIGHTS: this network has learned nothing. The pictures and numbers below show how the method " +
				"works, but the result is NOT a style transfer. Use the real VGG19 weights for real results.",
			ca: "⚠ PESOS ALEATORIS: aquesta xarxa no ha après res. Les imatges i els nombres d'aquí sota mostren com funciona " +
				"el mètode, però el resultat NO és una transferència d'estil. Feu servir els pesos reals de VGG19 per obtenir " +
				"resultats reals.",
		},
	} {
		texts[k] = v
	}
}

func init() {
	for k, v := range map[string]text{
		"lbfgs.title":     {en: "L-BFGS from inside", ca: "L-BFGS per dins"},
		"lbfgs.iteration": {en: "iteration", ca: "iteració"},
		"lbfgs.col.loss":  {en: "loss", ca: "pèrdua"},
		"lbfgs.col.step":  {en: "step length t", ca: "longitud del pas t"},
		"lbfgs.col.grad":  {en: "‖g‖∞ (largest gradient entry)", ca: "‖g‖∞ (component més gran del gradient)"},
		"lbfgs.col.curv":  {en: "curvature sᵀy", ca: "curvatura sᵀy"},
		"lbfgs.col.hist":  {en: "history pairs used", ca: "parells de l'historial usats"},
		"lbfgs.col.evals": {en: "evaluations so far", ca: "avaluacions fins ara"},
		"lbfgs.intro": {
			en: "L-BFGS changes the pixels of the image, not the network. At each iteration it computes a direction d ≈ −H·g, " +
				"where g is the gradient and H an estimate of the inverse of the curvature (the Hessian) built from the last " +
				"steps s = x_new − x_old and the changes of the gradient y = g_new − g_old. Then a <i>line search</i> picks " +
				"the step length t along d. Here is what it saw, iteration by iteration.",
			ca: "L-BFGS canvia els píxels de la imatge, no la xarxa. A cada iteració calcula una direcció d ≈ −H·g, on g és el " +
				"gradient i H una estimació de la inversa de la curvatura (la hessiana) construïda amb els últims passos " +
				"s = x_nou − x_vell i els canvis del gradient y = g_nou − g_vell. Després, una <i>cerca lineal</i> tria la " +
				"longitud del pas t al llarg de d. Això és el que ha vist, iteració per iteració.",
		},
		"lbfgs.notes": {
			en: "<b>Step length</b>: a t near 1 means the curvature estimate is good (the step it proposes is already right); " +
				"the very first step is small because there is no history yet. <b>‖g‖∞</b> shrinks as the image approaches a " +
				"minimum (torch stops when it drops below 10⁻⁷). <b>sᵀy</b> > 0 says the function curves upwards along the " +
				"step: only such pairs are stored (they keep H positive definite). <b>History</b>: the number of (s, y) pairs " +
				"the two-loop recursion used, up to 100 (history_size); more pairs, a better picture of the curvature. " +
				"<b>Evaluations</b>: each costs a forward and a backward pass of VGG19; the line search sometimes needs more " +
				"than one per iteration.",
			ca: "<b>Longitud del pas</b>: una t propera a 1 vol dir que l'estimació de la curvatura és bona (el pas que proposa " +
				"ja és el correcte); el primer pas és petit perquè encara no hi ha historial. <b>‖g‖∞</b> es fa petit a mesura " +
				"que la imatge s'acosta a un mínim (torch s'atura quan baixa de 10⁻⁷). <b>sᵀy</b> > 0 diu que la funció es " +
				"corba cap amunt al llarg del pas: només es desen aquests parells (mantenen H definida positiva). " +
				"<b>Historial</b>: quants parells (s, y) ha fet servir la recursió de dos bucles, fins a 100 (history_size); " +
				"com més parells, millor imatge de la curvatura. <b>Avaluacions</b>: cadascuna costa una passada endavant i una " +
				"enrere de VGG19; la cerca lineal de vegades en necessita més d'una per iteració.",
		},
		"race.title":     {en: "L-BFGS, Adam and gradient descent on %s", ca: "L-BFGS, Adam i descens del gradient sobre %s"},
		"race.transfer":  {en: "a small style transfer", ca: "una transferència d'estil petita"},
		"race.gd":        {en: "gradient descent", ca: "descens del gradient"},
		"race.x":         {en: "function evaluations", ca: "avaluacions de la funció"},
		"race.y":         {en: "lowest loss so far (log scale)", ca: "pèrdua més baixa fins ara (escala logarítmica)"},
		"race.optimizer": {en: "optimizer", ca: "optimitzador"},
		"race.evals":     {en: "evaluations", ca: "avaluacions"},
		"race.first":     {en: "first loss", ca: "primera pèrdua"},
		"race.best":      {en: "lowest loss", ca: "pèrdua més baixa"},
		"race.intro": {
			en: "Three optimizers, the same start and the same budget of %d function evaluations (each evaluation computes the " +
				"loss and its gradient: that is what costs time). The curves show the lowest loss reached so far.",
			ca: "Tres optimitzadors, el mateix punt de partida i el mateix pressupost de %d avaluacions de la funció (cada " +
				"avaluació calcula la pèrdua i el seu gradient: això és el que costa temps). Les corbes mostren la pèrdua més " +
				"baixa assolida fins al moment.",
		},
		"race.notes": {
			en: "<b>Gradient descent</b> steps x ← x − lr·g: its learning rate must be small enough for the steepest direction, " +
				"and then it crawls along the flat ones (Rosenbrock's curved valley is the textbook case). <b>Adam</b> scales " +
				"each coordinate by a running average of its gradients' size, which helps on badly scaled problems, but it still " +
				"needs a learning rate. <b>L-BFGS</b> learns the curvature from its last steps and searches along each direction " +
				"for a good step, with no learning rate to tune: that is why the original notebook uses it. A ✗ after a name " +
				"means that run diverged (its loss became infinite) and stopped there.",
			ca: "El <b>descens del gradient</b> fa x ← x − lr·g: la seva taxa d'aprenentatge ha de ser prou petita per a la direcció " +
				"més pronunciada, i llavors avança molt a poc a poc en les direccions planes (la vall corbada de Rosenbrock n'és l'exemple " +
				"clàssic). <b>Adam</b> escala cada coordenada per una mitjana mòbil de la mida dels seus gradients, cosa que ajuda " +
				"en problemes mal escalats, però també necessita una taxa d'aprenentatge. <b>L-BFGS</b> aprèn la curvatura dels " +
				"seus últims passos i busca un bon pas al llarg de cada direcció, sense cap taxa d'aprenentatge per ajustar: per " +
				"això el fa servir el quadern original. Una ✗ després d'un nom vol dir que aquella execució ha divergit (la seva " +
				"pèrdua s'ha fet infinita) i s'ha aturat allà.",
		},
	} {
		texts[k] = v
	}
}

func init() {
	for k, v := range map[string]text{
		"handout.title":    {en: "Neural style transfer with VGG19, explained", ca: "Transferència d'estil neuronal amb VGG19, explicada"},
		"pictures.title":   {en: "The pictures", ca: "Les imatges"},
		"pictures.content": {en: "content", ca: "contingut"},
		"pictures.style":   {en: "style", ca: "estil"},
		"pictures.result":  {en: "result", ca: "resultat"},
		"pictures.intro": {
			en: "Style transfer (Gatys, Ecker and Bethge, 2016) looks for a picture whose VGG19 features at a deep layer match " +
				"those of the content picture, and whose Gram matrices at several layers match those of the style picture. " +
				"It starts from the content picture and changes its pixels with L-BFGS; here it ran %d iterations (%d evaluations " +
				"of the loss). The sections below open up each step.",
			ca: "La transferència d'estil (Gatys, Ecker i Bethge, 2016) busca una imatge que tingui, en una capa profunda de VGG19, " +
				"les mateixes característiques que la imatge de contingut, i, en diverses capes, les mateixes matrius de Gram que la " +
				"imatge d'estil. Comença per la imatge de contingut i en canvia els píxels amb L-BFGS; aquí ha fet %d iteracions " +
				"(%d avaluacions de la pèrdua). Les seccions següents obren cada pas.",
		},
	} {
		texts[k] = v
	}
}

func init() {
	for k, v := range map[string]text{
		"live.title":    {en: "The picture while L-BFGS runs", ca: "La imatge mentre treballa L-BFGS"},
		"live.starting": {en: "Starting…", ca: "Començant…"},
		"live.running": {
			en: "Iteration %d, %d evaluations so far, loss %.4g (redrawn every few iterations)",
			ca: "Iteració %d, %d avaluacions fins ara, pèrdua %.4g (es redibuixa cada poques iteracions)",
		},
		"live.done": {
			en: "Done: %d iterations, %d evaluations, final loss %.4g",
			ca: "Fet: %d iteracions, %d avaluacions, pèrdua final %.4g",
		},
		"live.picture": {en: "the picture being optimized", ca: "la imatge que s'optimitza"},
	} {
		texts[k] = v
	}
}

func init() {
	for k, v := range map[string]text{
		"method.title":   {en: "The method in formulas", ca: "El mètode en fórmules"},
		"method.content": {en: "<b>Content</b>: the target T's feature maps against the content C's", ca: "<b>Contingut</b>: els mapes de característiques de l'objectiu T contra els del contingut C"},
		"method.at":      {en: "at", ca: "a"},
		"method.gram": {
			en: "<b>Style of one layer l</b>: its Gram matrix (d channels, h·w positions) and the term E<sub>l</sub>",
			ca: "<b>Estil d'una capa l</b>: la seva matriu de Gram (d canals, h·w posicions) i el terme E<sub>l</sub>",
		},
		"method.style": {en: "<b>Style</b>: the layers' terms, weighted", ca: "<b>Estil</b>: els termes de les capes, ponderats"},
		"method.total": {en: "<b>Total</b>, minimised by L-BFGS over T's pixels", ca: "<b>Total</b>, minimitzat amb L-BFGS sobre els píxels de T"},
		"method.notes": {
			en: "F is a layer's output after its ReLU, as channels × positions; mean is over all its elements. Without " +
				"normalisation G sums over the positions, so E<sub>l</sub> grows with the picture's size: a β is tied to a size.",
			ca: "F és la sortida d'una capa després de la seva ReLU, com a canals × posicions; la mitjana és sobre tots els seus " +
				"elements. Sense normalitzar, G suma sobre les posicions, i per això E<sub>l</sub> creix amb la mida de la imatge: " +
				"una β va lligada a una mida.",
		},
		"method.references": {en: "References", ca: "Referències"},
		"method.styleloss":  {en: "<b>Style loss</b>", ca: "<b>Pèrdua d'estil</b>"},
		"method.layer": {
			en: "<b>Style of one layer l</b> (%s): the term E<sub>l</sub> (d channels, M = h·w positions)",
			ca: "<b>Estil d'una capa l</b> (%s): el terme E<sub>l</sub> (d canals, M = h·w posicions)",
		},
		"method.balance": {en: "b = %s (this loss's balance weight)", ca: "b = %s (el pes d'equilibri d'aquesta pèrdua)"},
		"method.notes.other": {
			en: "F is a layer's output after its ReLU, as channels × positions; t<sub>i</sub> and s<sub>j</sub> are the " +
				"feature vectors (columns of F) of T and of the style S at positions i and j, μ a picture's mean feature vector. " +
				"The section “Style representations” below explains what E<sub>l</sub> compares and why b is there.",
			ca: "F és la sortida d'una capa després de la seva ReLU, com a canals × posicions; t<sub>i</sub> i s<sub>j</sub> són " +
				"els vectors de característiques (columnes de F) de T i de l'estil S a les posicions i i j, i μ el vector de " +
				"característiques mitjà d'una imatge. La secció «Representacions de l'estil», més avall, explica què compara " +
				"E<sub>l</sub> i per què hi ha b.",
		},
	} {
		texts[k] = v
	}
}

func init() {
	texts["losses.notes.styleonly"] = text{
		en: "Each curve is one term of the loss at every evaluation the optimizer made: for each style layer l, β·w_l·E_l, " +
			"where E_l is the layer's style error (the mean squared difference between the elements of the picture's Gram " +
			"matrix and the style's, in the original divided by d·h·w). There is no content term: this run only matches the " +
			"style's statistics, so it paints a texture. The vertical axis is logarithmic: a curve that drops one grid line " +
			"has become ten times smaller.",
		ca: "Cada corba és un terme de la pèrdua a cada avaluació que ha fet l'optimitzador: per a cada capa d'estil l, " +
			"β·w_l·E_l, on E_l és l'error d'estil de la capa (la mitjana de les diferències al quadrat entre els elements de la " +
			"matriu de Gram de la imatge i els de l'estil, a l'original dividida per d·h·w). No hi ha terme de contingut: " +
			"aquesta execució només iguala les estadístiques de l'estil, i per això pinta una textura. L'eix vertical és " +
			"logarítmic: una corba que baixa una línia de la graella s'ha fet deu vegades més petita.",
	}
}

// Texts of the views that speak of the style loss, for runs whose style loss is not gram (the
// texts above describe the Gram loss).
func init() {
	for k, v := range map[string]text{
		"pictures.intro.other": {
			en: "Style transfer (Gatys, Ecker and Bethge, 2016) looks for a picture whose VGG19 features at a deep layer match " +
				"those of the content picture, and whose feature statistics at several layers match those of the style picture, " +
				"compared here with the <code>%s</code> style loss (%s) rather than the original's Gram loss (see “Style " +
				"representations”). It starts from the content " +
				"picture and changes its pixels with L-BFGS; here it ran %d iterations (%d evaluations of the loss). The " +
				"sections below open up each step.",
			ca: "La transferència d'estil (Gatys, Ecker i Bethge, 2016) busca una imatge que tingui, en una capa profunda de VGG19, " +
				"les mateixes característiques que la imatge de contingut, i, en diverses capes, les mateixes estadístiques de " +
				"característiques que la imatge d'estil, comparades aquí amb la pèrdua d'estil <code>%s</code> (%s) en lloc de la " +
				"pèrdua de Gram de l'original (vegeu «Representacions de l'estil»). Comença per la imatge de contingut i en canvia els píxels amb L-BFGS; aquí ha fet " +
				"%d iteracions (%d avaluacions de la pèrdua). Les seccions següents obren cada pas.",
		},
		"losses.notes.other": {
			en: "Each curve is one term of the total loss, at every evaluation the optimizer made (L-BFGS may evaluate " +
				"several times per iteration, during its line search): the content term α·content and, for each style " +
				"layer l, β·w_l·b·E_l, where E_l is the layer's style error under this run's style loss, %s, and b that " +
				"loss's balance weight (see “Style representations”). The vertical axis is logarithmic, so equal distances " +
				"are equal <i>ratios</i>: a curve that drops one grid line has become ten times smaller. The content term " +
				"starts at 0 (the image <i>is</i> the content; 0 cannot be drawn on a log axis) and grows as the style pulls " +
				"the image away from it. The run ends near a balance between the two, set by α/β.",
			ca: "Cada corba és un terme de la pèrdua total, a cada avaluació que ha fet l'optimitzador (L-BFGS pot avaluar " +
				"diverses vegades per iteració, durant la cerca lineal): el terme de contingut α·contingut i, per a cada capa " +
				"d'estil l, β·w_l·b·E_l, on E_l és l'error d'estil de la capa segons la pèrdua d'estil d'aquesta execució, %s, " +
				"i b el pes d'equilibri d'aquesta pèrdua (vegeu «Representacions de l'estil»). L'eix vertical és logarítmic, " +
				"de manera que distàncies iguals són <i>quocients</i> iguals: una corba que baixa una línia de la graella s'ha " +
				"fet deu vegades més petita. El terme de contingut comença a 0 (la imatge <i>és</i> el contingut; el 0 no es " +
				"pot dibuixar en un eix logarítmic) i creix a mesura que l'estil allunya la imatge del contingut. L'execució " +
				"acaba a prop d'un equilibri entre tots dos, fixat per α/β.",
		},
		"losses.notes.styleonly.other": {
			en: "Each curve is one term of the loss at every evaluation the optimizer made: for each style layer l, " +
				"β·w_l·b·E_l, where E_l is the layer's style error under this run's style loss, %s, and b that loss's balance " +
				"weight (see “Style representations”). There is no content term: this run only matches the style's " +
				"statistics, so it paints a texture. The vertical axis is logarithmic: a curve that drops one grid line has " +
				"become ten times smaller.",
			ca: "Cada corba és un terme de la pèrdua a cada avaluació que ha fet l'optimitzador: per a cada capa d'estil l, " +
				"β·w_l·b·E_l, on E_l és l'error d'estil de la capa segons la pèrdua d'estil d'aquesta execució, %s, i b el pes " +
				"d'equilibri d'aquesta pèrdua (vegeu «Representacions de l'estil»). No hi ha terme de contingut: aquesta " +
				"execució només iguala les estadístiques de l'estil, i per això pinta una textura. L'eix vertical és " +
				"logarítmic: una corba que baixa una línia de la graella s'ha fet deu vegades més petita.",
		},
		"gram.panels.generated.other": {
			en: "This run's style loss, %s, does not compare Gram matrices (see “Style representations”), but they remain a " +
				"good picture of a style: left, the style image's G at %s; middle, the generated image's, with the same colours; " +
				"right, what still differs (red: the generated image has too much of that pair of channels firing together, " +
				"blue: too little).",
			ca: "La pèrdua d'estil d'aquesta execució, %s, no compara matrius de Gram (vegeu «Representacions de l'estil»), però " +
				"continuen essent una bona imatge d'un estil: a l'esquerra, la G de la imatge d'estil a %s; al mig, la de la " +
				"imatge generada, amb els mateixos colors; a la dreta, el que encara és diferent (vermell: la imatge generada en " +
				"té massa, d'aquell parell de canals activats junts; blau: massa poc).",
		},
		"gram.loss.determines": {
			en: "Where this loss is zero, these Gram matrices agree too: it constrains at least what they hold.",
			ca: "Allà on aquesta pèrdua és zero, aquestes matrius de Gram també coincideixen: com a mínim, fixa el que contenen.",
		},
		"gram.loss.partial": {
			en: "This loss can be zero while these Gram matrices still differ: it does not constrain every pair of channels.",
			ca: "Aquesta pèrdua pot ser zero mentre aquestes matrius de Gram encara són diferents: no fixa tots els parells de canals.",
		},
		"gram.panels.named.other": {
			en: "(This run's style loss, %s, does not compare Gram matrices: see “Style representations”.)",
			ca: "(La pèrdua d'estil d'aquesta execució, %s, no compara matrius de Gram: vegeu «Representacions de l'estil».)",
		},
	} {
		texts[k] = v
	}
}
