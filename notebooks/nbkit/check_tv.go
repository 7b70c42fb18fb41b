package nbkit

import (
	"math/rand/v2"
	"os"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/estil-nst/estil/nst"
)

// CheckTotalVariation checks a student's total variation against estil's (nst.TotalVariation),
// prints pass or a hint, and returns nil or a *CheckError.
//
// tv receives a picture x [H, W, C] (float32, channels last, as estil's pictures) and returns the
// scalar sum of the squared differences between vertical neighbours, x[i+1][j] − x[i][j], plus
// those between horizontal neighbours, x[i][j+1] − x[i][j], over every channel.
func CheckTotalVariation(tv func(x *graph.Node) *graph.Node) error {
	return tvExercise().check(os.Stdout, func(in []*graph.Node) *graph.Node { return tv(in[0]) })
}

// Besides random pictures, the total variation is checked on a picture whose rows are constant
// (only vertical neighbours differ) and on one whose columns are constant (only horizontal ones
// do): there each of its two sums is seen alone, and a mean in place of a sum, or a missing
// term, shows as a ratio.
const (
	tvVertical   = "vertical"
	tvHorizontal = "horizontal"
)

func tvExercise() *exercise {
	picture := func(seed uint64, h, w, c int, kind string) probe {
		r := rand.New(rand.NewPCG(seed, 6))
		data := make([]float32, h*w*c)
		for i := range data {
			data[i] = r.Float32()
		}
		for y := range h {
			for x := range w {
				for k := range c {
					switch kind {
					case tvVertical: // every row takes its first pixel's value: dx = 0
						data[(y*w+x)*c+k] = data[(y*w)*c+k]
					case tvHorizontal: // every column takes its top pixel's value: dy = 0
						data[(y*w+x)*c+k] = data[x*c+k]
					}
				}
			}
		}
		return probe{inputs: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(data, h, w, c)}, kind: kind}
	}
	// count is the number of squared differences in the probe's only non-zero sum.
	count := func(p probe) (float64, bool) {
		h, w, c := p.inputs[0].Shape().Dim(0), p.inputs[0].Shape().Dim(1), p.inputs[0].Shape().Dim(2)
		switch p.kind {
		case tvVertical:
			return float64((h - 1) * w * c), true
		case tvHorizontal:
			return float64(h * (w - 1) * c), true
		}
		return 0, false
	}
	only := func(kind string) func(p probe) (float64, bool) {
		return func(p probe) (float64, bool) {
			if p.kind == "" {
				return 0, false
			}
			if p.kind == kind {
				return 1, true
			}
			return 0, true
		}
	}
	return &exercise{
		id:        "total-variation",
		name:      text{"the total variation", "la variació total"},
		args:      []string{"x"},
		reference: func(in []*graph.Node) *graph.Node { return nst.TotalVariation(in[0]) },
		probes:    []probe{picture(1, 4, 5, 3, ""), picture(2, 6, 3, 3, ""), picture(3, 5, 4, 3, tvVertical), picture(4, 3, 6, 3, tvHorizontal)},
		mistakes: []mistake{{
			kind: MistakeTransposed,
			hint: text{"you took the differences along the wrong axes, as if x were [C, H, W] (PyTorch's order): estil's pictures are [H, W, C], so neighbours differ along axes 0 (rows) and 1 (columns).",
				"heu pres les diferències en els eixos equivocats, com si x fos [C, H, W] (l'ordre de PyTorch): les imatges del paquet nst són [H, W, C], així que els veïns difereixen en els eixos 0 (files) i 1 (columnes)."},
			transform: func(in []*graph.Node) []*graph.Node { return []*graph.Node{graph.TransposeAllDims(in[0], 1, 2, 0)} },
		}, {
			kind: MistakeSumMean,
			hint: text{"a mean where a sum is meant: estil's total variation sums the squared differences (its weight --tv-weight was chosen for the sum).",
				"una mitjana on cal una suma: la variació total del paquet nst suma les diferències al quadrat (el seu pes --tv-weight s'ha triat per a la suma)."},
			scale: func(p probe) (float64, bool) {
				n, ok := count(p)
				return 1 / n, ok
			},
		}, {
			kind: MistakeMissingTerm,
			hint: text{"the differences between horizontal neighbours, x[i][j+1] − x[i][j], are missing: a picture whose rows are constant gives the right value, one whose columns are constant gives 0.",
				"hi falten les diferències entre veïns horitzontals, x[i][j+1] − x[i][j]: una imatge amb les files constants dona el valor correcte, una amb les columnes constants dona 0."},
			scale: only(tvVertical),
		}, {
			kind: MistakeMissingTerm,
			hint: text{"the differences between vertical neighbours, x[i+1][j] − x[i][j], are missing: a picture whose columns are constant gives the right value, one whose rows are constant gives 0.",
				"hi falten les diferències entre veïns verticals, x[i+1][j] − x[i][j]: una imatge amb les columnes constants dona el valor correcte, una amb les files constants dona 0."},
			scale: only(tvHorizontal),
		}},
	}
}
