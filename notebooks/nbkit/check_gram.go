package nbkit

import (
	"fmt"
	"os"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/estil-nst/estil/nst"
)

// CheckGram checks a student's Gram matrix against estil's (nst.GramNorm.Gram), prints pass or a
// hint, and returns nil or a *CheckError.
//
// gram receives a layer's feature map f [d, h, w] (float32, channels first, as nst's) and returns
// the [d, d] matrix G = F·Fᵀ, F being f viewed as [d, h·w] (one row per channel), divided as norm
// says: not at all (nst.GramNormNone, the original's), by the number of positions h·w
// (nst.GramNormHW) or by d·h·w (nst.GramNormCHW).
func CheckGram(norm nst.GramNorm, gram func(f *graph.Node) *graph.Node) error {
	ex, err := gramExercise(norm)
	if err != nil {
		fmt.Printf("✘ %v\n", err)
		return err
	}
	return ex.check(os.Stdout, func(in []*graph.Node) *graph.Node { return gram(in[0]) })
}

func gramExercise(norm nst.GramNorm) (*exercise, error) {
	if norm == "" {
		norm = nst.GramNormNone
	}
	if _, err := nst.ParseGramNorm(string(norm)); err != nil {
		return nil, err
	}
	ex := &exercise{
		id:        "gram-" + string(norm),
		name:      text{"the Gram matrix", "la matriu de Gram"},
		args:      []string{"f"},
		symbols:   []string{"d", "h·w"},
		reference: func(in []*graph.Node) *graph.Node { return norm.Gram(in[0]) },
		probes: featureProbes(func(d, h, w int, seed uint64) []*tensors.Tensor {
			return []*tensors.Tensor{randomFeatures(seed, 0, 1, d, h, w)}
		}),
		mistakes: []mistake{{
			kind: MistakeTransposed,
			hint: text{"you computed Fᵀ·F, one entry per pair of positions: the Gram matrix is F·Fᵀ, [d, d], one entry per pair of channels (F is f viewed as [d, h·w]).",
				"heu calculat Fᵀ·F, un element per parell de posicions: la matriu de Gram és F·Fᵀ, [d, d], un element per parell de canals (F és f vista com a [d, h·w])."},
			shape: func(p probe) []int { return []int{int(p.sizes[1]), int(p.sizes[1])} },
		}},
	}
	divided := func(by string) text {
		return text{fmt.Sprintf("you divided by %s: the original's G = F·Fᵀ is a sum over the positions, not normalised (that is --gram-norm %s).", by, map[string]string{"h·w": "hw", "d·h·w": "chw"}[by]),
			fmt.Sprintf("heu dividit per %s: la G = F·Fᵀ de l'original és una suma sobre les posicions, sense normalitzar (això és --gram-norm %s).", by, map[string]string{"h·w": "hw", "d·h·w": "chw"}[by])}
	}
	missing := func(by string) text {
		return text{fmt.Sprintf("the division by %s is missing: with --gram-norm %s, G = F·Fᵀ/(%s).", by, norm, by),
			fmt.Sprintf("hi falta la divisió per %s: amb --gram-norm %s, G = F·Fᵀ/(%s).", by, norm, by)}
	}
	switch norm {
	case nst.GramNormNone:
		ex.factors = map[string]mistake{
			"0,-1":  {kind: MistakeFactor, hint: divided("h·w")},
			"-1,-1": {kind: MistakeFactor, hint: divided("d·h·w")},
		}
	case nst.GramNormHW:
		ex.factors = map[string]mistake{
			"0,1": {kind: MistakeFactor, hint: missing("h·w")},
			"-1,0": {kind: MistakeFactor, hint: text{"you divided by d·h·w: --gram-norm hw divides by the number of positions h·w only (the mean of f_i·f_iᵀ over the positions).",
				"heu dividit per d·h·w: --gram-norm hw divideix només pel nombre de posicions h·w (la mitjana de f_i·f_iᵀ sobre les posicions)."}},
		}
	case nst.GramNormCHW:
		ex.factors = map[string]mistake{
			"1,1": {kind: MistakeFactor, hint: missing("d·h·w")},
			"1,0": {kind: MistakeFactor, hint: text{"you divided by h·w only: --gram-norm chw divides by d·h·w.",
				"només heu dividit per h·w: --gram-norm chw divideix per d·h·w."}},
		}
	}
	return ex, nil
}

// featureProbes makes one probe per featureShapes entry, its inputs from inputs, with the sizes
// d and h·w.
func featureProbes(inputs func(d, h, w int, seed uint64) []*tensors.Tensor) []probe {
	probes := make([]probe, len(featureShapes))
	for i, s := range featureShapes {
		d, h, w := s[0], s[1], s[2]
		probes[i] = probe{inputs: inputs(d, h, w, uint64(i+1)), sizes: []float64{float64(d), float64(h * w)}}
	}
	return probes
}
