package nbkit

import (
	"os"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/estil-nst/estil/nst/styleloss"
)

// CheckMMDLinear checks a student's mmd-linear style term against estil's
// (styleloss.MMDLinearLayerLoss), prints pass or a hint, and returns nil or a *CheckError.
//
// loss receives the target's and the style's feature maps at one layer, target and style, both
// [d, h, w] (float32): N = d channels, M = h·w positions, f_i and s_i the feature vectors at
// position i (columns of F and S, the maps viewed as [N, M]). It returns Li et al.'s
//
//	E_l = (1/(N·M))·Σ_ij [k(f_i, f_j) + k(s_i, s_j) − 2·k(f_i, s_j)],   k(x, y) = xᵀy
//
// the sum over all M² pairs of positions. estil computes it from the means alone, as
// (M/N)·‖μ_F − μ_S‖² (Σ_ij k = ‖Σ_i f_i − Σ_j s_j‖² = M²·‖μ_F − μ_S‖²): a student's version
// from the formula that passes has shown the identity on random inputs.
func CheckMMDLinear(loss func(target, style *graph.Node) *graph.Node) error {
	return mmdExercise().check(os.Stdout, func(in []*graph.Node) *graph.Node { return loss(in[0], in[1]) })
}

func mmdExercise() *exercise {
	// flatT views a feature map [N, h, w] transposed, as [M, 1, N]: its positions as channels.
	flatT := func(f *graph.Node) *graph.Node {
		n, m := f.Shape().Dim(0), f.Shape().Dim(1)*f.Shape().Dim(2)
		return graph.Reshape(graph.Transpose(graph.Reshape(f, n, m), 0, 1), m, 1, n)
	}
	return &exercise{
		id:      "mmd-linear",
		name:    text{"mmd-linear", "mmd-linear"},
		args:    []string{"target", "style"},
		symbols: []string{"N", "M"},
		reference: func(in []*graph.Node) *graph.Node {
			s := in[1]
			n, m := s.Shape().Dim(0), s.Shape().Dim(1)*s.Shape().Dim(2)
			return styleloss.MMDLinearLayerLoss(in[0], graph.ReduceMean(graph.Reshape(s, n, m), 1)) // μ_S
		},
		// The style's features are larger on average, so that μ_F − μ_S is not small against the
		// means (the formula's sums then cancel little in float32).
		probes: featureProbes(func(d, h, w int, seed uint64) []*tensors.Tensor {
			return []*tensors.Tensor{randomFeatures(seed, 0, 1, d, h, w), randomFeatures(seed+300, 0, 1.5, d, h, w)}
		}),
		mistakes: []mistake{{
			kind: MistakeTransposed,
			hint: text{"you summed k over pairs of channels (F·Fᵀ, N×N) instead of pairs of positions (Fᵀ·F, M×M): the kernel compares feature vectors f_i, the columns of F [N, M].",
				"heu sumat k sobre parells de canals (F·Fᵀ, N×N) en lloc de parells de posicions (Fᵀ·F, M×M): el nucli compara vectors de característiques f_i, les columnes de F [N, M]."},
			transform: func(in []*graph.Node) []*graph.Node { return []*graph.Node{flatT(in[0]), flatT(in[1])} },
		}, {
			kind: MistakeSign,
			hint: text{"the cross term has the wrong sign: Σ_ij [k(f_i, f_j) + k(s_i, s_j) − 2·k(f_i, s_j)] subtracts it.",
				"el terme creuat té el signe canviat: Σ_ij [k(f_i, f_j) + k(s_i, s_j) − 2·k(f_i, s_j)] el resta."},
			transform: func(in []*graph.Node) []*graph.Node { return []*graph.Node{in[0], graph.Neg(in[1])} },
		}},
		factors: map[string]mistake{
			"1,1": {kind: MistakeFactor, hint: text{"the 1/(N·M) is missing: E_l = (1/(N·M))·Σ_ij […] (Li et al.'s normalisation Z = N·M).",
				"hi falta l'1/(N·M): E_l = (1/(N·M))·Σ_ij […] (la normalització Z = N·M de Li et al.)."}},
			"1,-1": {kind: MistakeSumMean, hint: text{"you computed MMD² = (1/M²)·Σ_ij […] = ‖μ_F − μ_S‖², a mean over the M² pairs; E_l is their sum divided by N·M, i.e. (M/N)·MMD².",
				"heu calculat MMD² = (1/M²)·Σ_ij […] = ‖μ_F − μ_S‖², una mitjana sobre els M² parells; E_l és la seva suma dividida per N·M, és a dir (M/N)·MMD²."}},
			"0,-2": {kind: MistakeSumMean, hint: text{"a mean over the M² pairs where a sum is meant: E_l = (1/(N·M))·Σ_ij […].",
				"una mitjana sobre els M² parells on cal una suma: E_l = (1/(N·M))·Σ_ij […]."}},
		},
		passNote: text{" Your sum over the M² pairs equals estil's (M/N)·‖μ_F − μ_S‖², computed from the means alone: Σ_ij k(…) = M²·‖μ_F − μ_S‖².",
			" La vostra suma sobre els M² parells és igual a la (M/N)·‖μ_F − μ_S‖² d'estil, calculada només amb les mitjanes: Σ_ij k(…) = M²·‖μ_F − μ_S‖²."},
	}
}
