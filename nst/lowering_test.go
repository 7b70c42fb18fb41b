package nst

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/estil-nst/estil/internal/testutil"
)

// TestLoweringsAgree checks that the im2col lowering (Gather + MatMul) and the native one
// (Convolve: on the Go backend, estil's im2col fast path in compute) compute the same features,
// also for odd sizes and average pooling.
func TestLoweringsAgree(t *testing.T) {
	img := randomImage(37, 50, 3)
	layers := []string{"conv1_1", "conv2_1", "conv3_1", "conv4_2", "conv5_1", "pool5"}
	for _, pooling := range []Pooling{MaxPooling, AveragePooling} {
		a, b := tinyModel(t, Im2colLowering), tinyModel(t, NativeLowering)
		a.Pooling, b.Pooling = pooling, pooling
		fa, err := a.Features(img, layers...)
		if err != nil {
			t.Fatal(err)
		}
		fb, err := b.Features(img, layers...)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range layers {
			compareTensors(t, pooling.String()+" "+name, fa[name], fb[name], 1e-4)
		}
	}
}

// TestLoweringsAgreeOnGradient checks that both lowerings give the same gradient of the loss with
// respect to the image on the Go backend: the native lowering's comes from GoMLX's Convolve
// gradient (another Convolve, on estil's im2col fast path), the im2col lowering's from the
// gradients of Gather and MatMul. So the gradient XLA would use is checked in every CI run.
func TestLoweringsAgreeOnGradient(t *testing.T) {
	gradient := func(lowering Lowering) *tensors.Tensor {
		objective, rest := originalLoss(t, tinyModel(t, lowering), randomImage(37, 26, 1), randomImage(30, 34, 2))
		e, err := NewExec(goBackend(), func(in []*Node) []*Node {
			loss, _ := objective(in[0], in[1:])
			return []*Node{Gradient(loss, in[0])[0]}
		})
		if err != nil {
			t.Fatal(err)
		}
		return e.MustExec(append([]any{randomImage(37, 26, 3)}, rest...)...)[0]
	}
	native, im2col := gradient(NativeLowering), gradient(Im2colLowering)
	a, b := tensors.MustCopyFlatData[float32](native), tensors.MustCopyFlatData[float32](im2col)
	var largest float64
	for _, v := range b {
		largest = math.Max(largest, math.Abs(float64(v)))
	}
	if largest == 0 {
		t.Fatal("the im2col lowering's gradient is all zeros")
	}
	for i := range a {
		if d := math.Abs(float64(a[i] - b[i])); d > 1e-4*largest {
			t.Fatalf("∂loss/∂x[%d]: native %v, im2col %v (largest component %v)", i, a[i], b[i], largest)
		}
	}
}

// TestLoweringsAgreeOnXLA compares the pure-Go backend's features with XLA's. It needs an XLA
// PJRT plugin, which cannot be installed on machines without network access to its release site
// (this project's CI among them).
func TestLoweringsAgreeOnXLA(t *testing.T) {
	lowering := NativeLowering // what every backend runs (backend.Open)
	xla := testutil.OpenXLA(t, "the XLA half of the lowering check")
	w := tinyModel(t, NativeLowering).Weights
	onXLA, err := NewModel(xla, w, lowering)
	if err != nil {
		t.Fatal(err)
	}
	img := randomImage(40, 33, 5)
	layers := []string{"conv1_1", "conv2_1", "conv3_1", "conv4_2", "conv5_1"}
	fa, err := tinyModel(t, NativeLowering).Features(img, layers...)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := onXLA.Features(img, layers...)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range layers {
		compareTensors(t, name, fa[name], fb[name], 1e-4)
	}
}

// TestMaxPoolingGradientPicksOnePixel: max pooling's gradient goes, in each 2×2 window, to the
// window's first largest pixel (in row-major order), as PyTorch's max_pool2d does; on a tie the
// other pixels get nothing. An odd last row and column belong to no window. (torch 1.13's
// max_pool2d(x, 2, 2) gives this gradient for this x, checked by hand.)
func TestMaxPoolingGradientPicksOnePixel(t *testing.T) {
	x := []float32{ // [1, 5, 5]: a tie of four, a tie of two, a single maximum, a negative window
		0, 0, 1, 3, 9,
		0, 0, 3, 2, 9,
		5, -1, -4, -2, 9,
		2, 4, -3, -2, 9,
		9, 9, 9, 9, 9,
	}
	want := []float32{ // the pooled outputs' weights are 1, 2, 3, 4
		1, 0, 0, 2, 0,
		0, 0, 0, 0, 0,
		3, 0, 0, 4, 0,
		0, 0, 0, 0, 0,
		0, 0, 0, 0, 0,
	}
	e, err := NewExec(goBackend(), func(x *Node) *Node {
		weights := Const(x.Graph(), [][][]float32{{{1, 2}, {3, 4}}})
		return Gradient(ReduceAllSum(Mul(pool2x2(x, MaxPooling), weights)), x)[0]
	})
	if err != nil {
		t.Fatal(err)
	}
	got := tensors.MustCopyFlatData[float32](e.MustExec(tensors.FromFlatDataAndDimensions(x, 1, 5, 5))[0])
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("gradient of max pooling:\n got %v\nwant %v", got, want)
		}
	}
}
