package nbkit

import (
	"math/rand/v2"
	"os"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/estil-nst/estil/nst"
)

// CheckGuidedGram checks a student's guided Gram matrix against estil's (nst.GuidedGram), prints
// pass or a hint, and returns nil or a *CheckError.
//
// gram receives a layer's feature map f [d, h, w] (float32) and a guidance channel t [h, w] at the
// layer's resolution (1 inside the region, 0 outside, in between on a downsampled boundary), and
// returns Gatys et al.'s (2017) guided Gram matrix [d, d]
//
//	G^r = (h·w / Σ_p t_p²) · (F∘T)(F∘T)ᵀ
//
// F being f viewed as [d, h·w] and F∘T each of its rows multiplied by t. The probes' guides take
// values between 0 and 1 and have zeros, so that masking only one of the two F's ((F∘T)·Fᵀ, equal
// for a strictly 0/1 guide) shows.
func CheckGuidedGram(gram func(f, t *graph.Node) *graph.Node) error {
	return guidedGramExercise().check(os.Stdout, func(in []*graph.Node) *graph.Node { return gram(in[0], in[1]) })
}

func guidedGramExercise() *exercise {
	var probes []probe
	for i, s := range featureShapes {
		d, h, w := s[0], s[1], s[2]
		seed := uint64(i + 1)
		guide, sum1, sum2 := randomGuide(seed+100, h, w)
		probes = append(probes, probe{
			inputs: []*tensors.Tensor{randomFeatures(seed, 0, 1, d, h, w), guide},
			// d, h·w and the region's size Σ_p t_p², for the factor hints; Σ_p t_p for the scale
			// of the one-sided mistake.
			sizes: []float64{float64(d), float64(h * w), sum2, sum1},
		})
	}
	ones := func(in []*graph.Node) []*graph.Node {
		return []*graph.Node{in[0], graph.OnesLike(in[1])}
	}
	return &exercise{
		id:        "guided-gram",
		name:      text{"the guided Gram matrix", "la matriu de Gram guiada"},
		args:      []string{"f", "t"},
		symbols:   []string{"d", "h·w", "Σ_p t_p²"},
		reference: func(in []*graph.Node) *graph.Node { return nst.GuidedGram(in[0], in[1]) },
		probes:    probes,
		mistakes: []mistake{{
			kind: MistakeTransposed,
			hint: text{"you computed (F∘T)ᵀ·(F∘T), one entry per pair of positions: the guided Gram matrix is [d, d], one entry per pair of channels, as G = F·Fᵀ.",
				"heu calculat (F∘T)ᵀ·(F∘T), un element per parell de posicions: la matriu de Gram guiada és [d, d], un element per parell de canals, com G = F·Fᵀ."},
			shape: func(p probe) []int { return []int{int(p.sizes[1]), int(p.sizes[1])} },
		}, {
			kind: MistakeMissingTerm,
			hint: text{"the guide is missing: this is the plain Gram matrix of the whole layer. Multiply f by t (broadcast over the channels) before F·Fᵀ, so that only the region's positions count.",
				"hi falta la guia: això és la matriu de Gram normal de tota la capa. Multipliqueu f per t (estès a tots els canals) abans de F·Fᵀ, perquè només hi comptin les posicions de la regió."},
			transform: ones,
		}, {
			kind: MistakeMissingTerm,
			hint: text{"you multiplied the guide in only once, (F∘T)·Fᵀ: both factors are the guided maps, (F∘T)(F∘T)ᵀ, so each position counts with t_p². (For a strictly 0/1 guide the two agree; on a downsampled boundary they do not.)",
				"només heu multiplicat la guia una vegada, (F∘T)·Fᵀ: tots dos factors són els mapes guiats, (F∘T)(F∘T)ᵀ, de manera que cada posició compta amb t_p². (Amb una guia estrictament de 0 i 1 coincideixen; en una frontera reduïda, no.)"},
			// (F∘√T)(F∘√T)ᵀ = (F∘T)·Fᵀ: estil's with √t, rescaled from its h·w/Σt to h·w/Σt².
			transform: func(in []*graph.Node) []*graph.Node { return []*graph.Node{in[0], graph.Sqrt(in[1])} },
			scale:     func(p probe) (float64, bool) { return p.sizes[3] / p.sizes[2], true },
		}},
		factors: map[string]mistake{
			"0,-1,1": {kind: MistakeFactor, hint: text{"the normalisation h·w/Σ_p t_p² is missing: without it a small region gives a small Gram matrix, and a region of the style and one of the result of different sizes cannot be compared.",
				"hi falta la normalització h·w/Σ_p t_p²: sense ella una regió petita dona una matriu de Gram petita, i no es poden comparar una regió de l'estil i una del resultat de mides diferents."}},
			"0,-1,0": {kind: MistakeFactor, hint: text{"you divided by Σ_p t_p² but did not multiply by h·w: G^r = (h·w/Σ_p t_p²)·(F∘T)(F∘T)ᵀ, which is the plain G when t is all ones.",
				"heu dividit per Σ_p t_p² però no heu multiplicat per h·w: G^r = (h·w/Σ_p t_p²)·(F∘T)(F∘T)ᵀ, que és la G normal quan t és tot uns."}},
		},
		passNote: text{" With t all ones it is the plain G = F·Fᵀ: the normalisation makes a region's Gram matrix the one a whole layer of its texture would have.",
			" Amb t tot uns és la G = F·Fᵀ normal: la normalització fa que la matriu de Gram d'una regió sigui la que tindria una capa sencera de la seva textura."},
	}
}

// randomGuide is a guidance channel [h, w] as a downsampled mask looks: a third of its positions
// 0 (outside), a third 1 (inside), a third ¼, ½ or ¾ (a boundary's 2×2 blocks), never all zeros. It returns
// Σ_p t_p and Σ_p t_p² too.
func randomGuide(seed uint64, h, w int) (guide *tensors.Tensor, sum, sumSquares float64) {
	r := rand.New(rand.NewPCG(seed, 21))
	data := make([]float32, h*w)
	for i := range data {
		switch i % 3 {
		case 0:
			data[i] = 0
		case 1:
			data[i] = 1
		default: // a quarter, a half or three quarters of a 2×2 block inside
			data[i] = float32(1+r.IntN(3)) / 4
		}
	}
	r.Shuffle(len(data), func(i, j int) { data[i], data[j] = data[j], data[i] })
	for _, v := range data {
		sum += float64(v)
		sumSquares += float64(v) * float64(v)
	}
	return tensors.FromFlatDataAndDimensions(data, h, w), sum, sumSquares
}
