package nst

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/estil-nst/estil/nst/backend"
	"github.com/estil-nst/estil/weights"
)

// goBackend is GoMLX's pure-Go backend, shared by the tests (it is what CI has).
// $ESTIL_TEST_GO_BACKEND may give it options, e.g. "go:ops_sequential".
var goBackend = sync.OnceValue(func() compute.Backend {
	spec := os.Getenv("ESTIL_TEST_GO_BACKEND")
	if spec == "" {
		spec = backend.Go
	}
	b, err := backend.Open(spec, nil)
	if err != nil {
		panic(err)
	}
	return b
})

// identityInput makes a model read its input as is, like the PyTorch fixtures (no normalization).
var identityInput = weights.Preprocessing{Scale: 1, Std: [3]float64{1, 1, 1}}

// tinyModel is a VGG19 with few channels and random weights: the real structure, fast to run.
func tinyModel(t testing.TB, lowering Lowering) *Model {
	t.Helper()
	return tinyModelWith(t, lowering, 7)
}

// tinyModelSeed is tinyModel with other random weights.
func tinyModelSeed(t testing.TB, seed int64) *Model {
	t.Helper()
	return tinyModelWith(t, NativeLowering, seed)
}

func tinyModelWith(t testing.TB, lowering Lowering, seed int64) *Model {
	t.Helper()
	m, err := NewModel(goBackend(), tinyWeights(t, seed), lowering)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// tinyWeights are tinyModel's weights: VGG19's layers with 4 to 16 channels, random.
func tinyWeights(t testing.TB, seed int64) *weights.Set {
	t.Helper()
	layout, err := weights.LayoutWithChannels([]int{4, 4, 8, 8, 8, 8, 8, 8, 16, 16, 16, 16, 16, 16, 16, 16})
	if err != nil {
		t.Fatal(err)
	}
	w, err := weights.RandomLayout(weights.VGG19, layout, seed)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func randomImage(h, w int, seed uint64) *tensors.Tensor {
	r := rand.New(rand.NewPCG(seed, 1))
	data := make([]float32, h*w*3)
	for i := range data {
		data[i] = r.Float32()
	}
	return tensors.FromFlatDataAndDimensions(data, h, w, 3)
}

// eval runs a small graph function on the Go backend and returns its float32 outputs.
func eval(t testing.TB, fn func([]*Node) []*Node, args ...any) [][]float32 {
	t.Helper()
	e, err := NewExec(goBackend(), fn)
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.Exec(args...)
	if err != nil {
		t.Fatal(err)
	}
	res := make([][]float32, len(out))
	for i, o := range out {
		res[i] = tensors.MustCopyFlatData[float32](o)
	}
	return res
}

func closeTo(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// originalLoss sets up the original's loss (a Transfer's defaults) on m for a content and a style
// image: the objective, and the tensors that follow the image in its inputs (the network's
// parameters, then the content and style targets).
func originalLoss(t testing.TB, m *Model, content, style *tensors.Tensor) (func(x *Node, inputs []*Node) (*Node, []*Node), []any) {
	t.Helper()
	return lossOf(t, NewTransfer(m), content, style)
}

func randomMatrix(rows, cols int, seed uint64) *tensors.Tensor {
	r := rand.New(rand.NewPCG(seed, 9))
	data := make([]float32, rows*cols)
	for i := range data {
		data[i] = float32(r.NormFloat64())
	}
	return tensors.FromFlatDataAndDimensions(data, rows, cols)
}

// finiteDifferences calls check(i, (f(x + eps·e_i) − f(x − eps·e_i))/(2·eps)), the central
// difference of f at base along component i, for n components i drawn with a fixed seed.
func finiteDifferences(f func([]float64) float64, base []float64, eps float64, n int, check func(i int, fd float64)) {
	r := rand.New(rand.NewPCG(4, 4))
	for range n {
		i := r.IntN(len(base))
		plus, minus := append([]float64{}, base...), append([]float64{}, base...)
		plus[i] += eps
		minus[i] -= eps
		check(i, (f(plus)-f(minus))/(2*eps))
	}
}

// toFloat64 converts a float32 tensor to float64, with its shape.
func toFloat64(t *tensors.Tensor) *tensors.Tensor {
	v := tensors.MustCopyFlatData[float32](t)
	w := make([]float64, len(v))
	for i, x := range v {
		w[i] = float64(x)
	}
	return tensors.FromFlatDataAndDimensions(w, t.Shape().Dimensions...)
}

func compareTensors(t *testing.T, what string, a, b *tensors.Tensor, tol float64) {
	t.Helper()
	if !a.Shape().Equal(b.Shape()) {
		t.Fatalf("%s: shapes %s and %s", what, a.Shape(), b.Shape())
	}
	av, bv := tensors.MustCopyFlatData[float32](a), tensors.MustCopyFlatData[float32](b)
	for i := range av {
		if !closeTo(float64(av[i]), float64(bv[i]), tol) {
			t.Fatalf("%s[%d]: %v vs %v", what, i, av[i], bv[i])
		}
	}
}

// grainy returns img with a little deterministic noise (±8 per channel) on every pixel, so that
// it has no flat regions. On a flat region the tiny networks' features tie inside max-pooling
// windows, where the gradient (like PyTorch's) goes to one of the tied pixels: a kink on which
// L-BFGS without its line search can take a wild step and stop early.
func grainy(img image.Image, seed uint64) image.Image {
	r := rand.New(rand.NewPCG(seed, 2))
	b := img.Bounds()
	out := image.NewNRGBA(b)
	noisy := func(v uint32) uint8 { return uint8(min(255, max(0, int(v>>8)+r.IntN(17)-8))) }
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			out.SetNRGBA(x, y, color.NRGBA{noisy(cr), noisy(cg), noisy(cb), 255})
		}
	}
	return out
}
