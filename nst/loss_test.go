package nst

import (
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
)

func TestContentAndStyleLossByHand(t *testing.T) {
	target := tensors.FromValue([][][]float32{{{1, 2, 3}}, {{4, 5, 6}}}) // [2, 1, 3]
	content := tensors.FromValue([][][]float32{{{0, 2, 3}}, {{4, 3, 6}}})
	styleGram := tensors.FromValue([][]float32{{10, 30}, {30, 80}})
	got := eval(t, func(in []*Node) []*Node {
		return []*Node{ContentLoss(in[0], in[1]), StyleLayerLoss(in[0], in[2])}
	}, target, content, styleGram)
	// content: differences 1, 0, 0, 2, 0, 0 → mean of squares = 5/6.
	if !closeTo(float64(got[0][0]), 5.0/6, 1e-6) {
		t.Errorf("ContentLoss = %v, want %v", got[0][0], 5.0/6)
	}
	// style: G_T = [14 32; 32 77]; G_T − G_S = [4 2; 2 −3] → mean of squares = (16+4+4+9)/4 = 8.25,
	// divided by d·h·w = 2·1·3 = 6.
	if !closeTo(float64(got[1][0]), 8.25/6, 1e-6) {
		t.Errorf("StyleLayerLoss = %v, want %v", got[1][0], 8.25/6)
	}
}

func TestTotalVariationByHand(t *testing.T) {
	x := tensors.FromValue([][][]float32{{{0}, {1}}, {{3}, {5}}}) // 2×2, one channel
	got := eval(t, func(in []*Node) []*Node { return []*Node{TotalVariation(in[0])} }, x)[0][0]
	// vertical: (3−0)² + (5−1)² = 25; horizontal: (1−0)² + (5−3)² = 5.
	if got != 30 {
		t.Errorf("TotalVariation = %v, want 30", got)
	}
}

// TestLossGradientMatchesFiniteDifferences checks the gradient the optimizer gets (autodiff
// through each lowering, pooling and the Gram matrices) against central finite differences of the
// loss, on a tiny network.
func TestLossGradientMatchesFiniteDifferences(t *testing.T) {
	for _, lowering := range []Lowering{NativeLowering, Im2colLowering} {
		t.Run(lowering.String(), func(t *testing.T) { checkGradientByFiniteDifferences(t, lowering) })
	}
}

func checkGradientByFiniteDifferences(t *testing.T, lowering Lowering) {
	contentImg, _ := TensorImage(randomImage(20, 18, 1))
	objective, rest := originalLoss(t, tinyModel(t, lowering), ImageTensor(contentImg), randomImage(22, 16, 2))
	x := randomImage(20, 18, 3) // the point where the gradient is taken
	args := append([]any{x}, rest...)
	e, err := NewExec(goBackend(), func(in []*Node) []*Node {
		loss, _ := objective(in[0], in[1:])
		return []*Node{loss, Gradient(loss, in[0])[0]}
	})
	if err != nil {
		t.Fatal(err)
	}
	out := e.MustExec(args...)
	grad := tensors.MustCopyFlatData[float32](out[1])

	// The finite differences are taken in float64, on the same graph fed float64 tensors. In
	// float32 they cannot check this gradient: the loss here is ~1.2·10⁸, whose float32 spacing is
	// 8, so a central difference with eps 10⁻² moves in steps of 8/(2·eps) = 400, ~2 % of the
	// derivative (seen: −17600 against −18221.5, and −18000 or −18667 with other eps).
	args64 := make([]any, len(args))
	for k, a := range args {
		args64[k] = toFloat64(a.(*tensors.Tensor))
	}
	e64, err := NewExec(goBackend(), func(in []*Node) []*Node {
		loss, _ := objective(in[0], in[1:])
		return []*Node{loss}
	})
	if err != nil {
		t.Fatal(err)
	}
	lossAt := func(v []float64) float64 {
		args64[0] = tensors.FromFlatDataAndDimensions(v, 20, 18, 3)
		return tensors.MustCopyFlatData[float64](e64.MustExec(args64...)[0])[0]
	}
	base := tensors.MustCopyFlatData[float64](args64[0].(*tensors.Tensor))
	finiteDifferences(lossAt, base, 1e-3, 8, func(i int, fd float64) {
		if !closeTo(fd, float64(grad[i]), 1e-3) {
			t.Errorf("∂loss/∂x[%d]: autodiff %v, finite differences %v", i, grad[i], fd)
		}
	})
}
