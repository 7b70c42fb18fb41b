package nbkit

import (
	"os"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/estil-nst/estil/nst"
)

// CheckContentLoss checks a student's content loss against estil's (nst.ContentLoss), prints
// pass or a hint, and returns nil or a *CheckError.
//
// loss receives the target's and the content's feature maps at one layer, both [d, h, w]
// (float32), and returns the scalar mean((T − C)²) over all d·h·w elements: the original's
// content_loss.
func CheckContentLoss(loss func(target, content *graph.Node) *graph.Node) error {
	return contentExercise().check(os.Stdout, func(in []*graph.Node) *graph.Node { return loss(in[0], in[1]) })
}

func contentExercise() *exercise {
	return &exercise{
		id:        "content-loss",
		name:      text{"the content loss", "la pèrdua de contingut"},
		args:      []string{"target", "content"},
		symbols:   []string{"d", "h·w"},
		reference: func(in []*graph.Node) *graph.Node { return nst.ContentLoss(in[0], in[1]) },
		probes: featureProbes(func(d, h, w int, seed uint64) []*tensors.Tensor {
			return []*tensors.Tensor{randomFeatures(seed, 0, 1, d, h, w), randomFeatures(seed+100, 0, 1, d, h, w)}
		}),
		mistakes: []mistake{{
			kind: MistakeTransposed,
			hint: text{"one feature map is transposed ([d, w, h]): target and content are both [d, h, w]; compare them element by element, as they are.",
				"un dels mapes està transposat ([d, w, h]): target i content són tots dos [d, h, w]; compareu-los element a element, tal com són."},
			panicShape: func(p probe) []int {
				d, h, w := p.inputs[0].Shape().Dim(0), p.inputs[0].Shape().Dim(1), p.inputs[0].Shape().Dim(2)
				return []int{d, w, h}
			},
		}, {
			kind: MistakeShape,
			hint: text{"your loss is a tensor of squared differences: the loss is one number, their mean.",
				"la vostra pèrdua és un tensor de diferències al quadrat: la pèrdua és un sol nombre, la seva mitjana."},
			shape: func(p probe) []int { return p.inputs[0].Shape().Dimensions },
		}},
		factors: map[string]mistake{
			"1,1": {kind: MistakeSumMean, hint: text{"a sum where a mean is meant: the original's content loss is mean((T − C)²), the sum divided by the d·h·w elements.",
				"una suma on cal una mitjana: la pèrdua de contingut de l'original és mean((T − C)²), la suma dividida pels d·h·w elements."}},
			"1,1 0.5": {kind: MistakeSumMean, hint: text{"that is Gatys et al.'s L_content = ½·Σ(F − P)²; the original notebook (and estil) takes the mean, mean((T − C)²), with no ½.",
				"això és la L_content de Gatys et al., ½·Σ(F − P)²; el quadern original (i el paquet nst) en pren la mitjana, mean((T − C)²), sense el ½."}},
		},
	}
}
