package nbkit

import (
	"os"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/estil-nst/estil/nst"
)

// CheckStyleLayerLoss checks a student's style term of one layer against estil's
// (nst.StyleLayerLoss, the original's), prints pass or a hint, and returns nil or a *CheckError.
//
// loss receives the target's feature map at the layer, target [d, h, w], and the style's Gram
// matrix there, styleGram [d, d] (unnormalised, F·Fᵀ), and returns the scalar
// E_l = mean((G_T − G_S)²)/(d·h·w), G_T being the target's Gram matrix.
func CheckStyleLayerLoss(loss func(target, styleGram *graph.Node) *graph.Node) error {
	return styleExercise().check(os.Stdout, func(in []*graph.Node) *graph.Node { return loss(in[0], in[1]) })
}

func styleExercise() *exercise {
	return &exercise{
		id:        "style-layer-loss",
		name:      text{"the style loss E_l of one layer", "la pèrdua d'estil E_l d'una capa"},
		args:      []string{"target", "styleGram"},
		symbols:   []string{"d", "h·w"},
		reference: func(in []*graph.Node) *graph.Node { return nst.StyleLayerLoss(in[0], in[1]) },
		probes: featureProbes(func(d, h, w int, seed uint64) []*tensors.Tensor {
			// The style picture has another size: its Gram matrix is [d, d] all the same.
			style := run(func(in []*graph.Node) *graph.Node { return nst.GramMatrix(in[0]) }, []*tensors.Tensor{randomFeatures(seed+200, 0, 1, d, h+1, w)})
			if style.panicked != "" {
				panic("nbkit: " + style.panicked)
			}
			gram := make([]float32, len(style.values))
			for i, v := range style.values {
				gram[i] = float32(v)
			}
			return []*tensors.Tensor{randomFeatures(seed, 0, 1, d, h, w), tensors.FromFlatDataAndDimensions(gram, d, d)}
		}),
		mistakes: []mistake{{
			kind: MistakeTransposed,
			hint: text{"the target's Gram matrix came out [h·w, h·w]: you computed Fᵀ·F; it is F·Fᵀ, [d, d] like styleGram.",
				"la matriu de Gram del target ha sortit [h·w, h·w]: heu calculat Fᵀ·F; és F·Fᵀ, [d, d] com styleGram."},
			panicShape: func(p probe) []int { return []int{int(p.sizes[1]), int(p.sizes[1])} },
		}},
		factors: map[string]mistake{
			"1,1": {kind: MistakeFactor, hint: text{"the division by d·h·w is missing: E_l = mean((G_T − G_S)²)/(d·h·w).",
				"hi falta la divisió per d·h·w: E_l = mean((G_T − G_S)²)/(d·h·w)."}},
			"2,0": {kind: MistakeSumMean, hint: text{"a sum where a mean is meant: mean((G_T − G_S)²) averages over the d·d elements of the Gram matrices.",
				"una suma on cal una mitjana: mean((G_T − G_S)²) fa la mitjana sobre els d·d elements de les matrius de Gram."}},
			"3,1": {kind: MistakeSumMean, hint: text{"a sum where a mean is meant (over the d·d elements of G_T − G_S), and the division by d·h·w is missing.",
				"una suma on cal una mitjana (sobre els d·d elements de G_T − G_S), i hi falta la divisió per d·h·w."}},
		},
	}
}
