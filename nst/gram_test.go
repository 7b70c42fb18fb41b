package nst

import (
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
)

func TestGramMatrixByHand(t *testing.T) {
	// A 1×3 feature map with 2 channels: channel 0 = (1, 2, 3), channel 1 = (4, 5, 6), stored [d, h, w].
	f := tensors.FromValue([][][]float32{{{1, 2, 3}}, {{4, 5, 6}}})
	got := eval(t, func(in []*Node) []*Node { return []*Node{GramMatrix(in[0])} }, f)[0]
	// G = F·Fᵀ: [1·1+2·2+3·3, 1·4+2·5+3·6; ·, 4·4+5·5+6·6]
	want := []float32{14, 32, 32, 77}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Gram = %v, want %v", got, want)
		}
	}
}
