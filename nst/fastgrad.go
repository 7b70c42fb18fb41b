package nst

import (
	"sync"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// The gradient of a matrix product, written as matrix products.
//
// For Y = A·B (A [i, j], B [j, k]) and an upstream gradient V = ∂L/∂Y [i, k]:
//
//	∂L/∂A = V·Bᵀ      ∂L/∂B = Aᵀ·V
//
// GoMLX v0.26 builds this gradient as broadcast → multiply → sum over an [i, j, k] tensor. XLA fuses
// that back into a matrix product, but GoMLX's pure-Go backend does not fuse: it materializes the
// [i, j, k] tensor (measured: 27× slower than the two products for a 4096×576·576×64 convolution, and
// 1.3 GB of memory). Every convolution of the im2col lowering and every Gram matrix is such a
// product, so estil registers the textbook formula above for GoMLX's 2-D Dot. It is the same
// mathematics (a test compares it with GoMLX's own); other node types are untouched.
var installFastDotGradient = sync.OnceFunc(func() {
	original := VJPRegistration[NodeTypeDot]
	originalDotVJP = original
	VJPRegistration[NodeTypeDot] = func(node *Node, v []*Node, outputShape shapes.Shape) []*Node {
		a, b := node.Inputs()[0], node.Inputs()[1]
		if a.Rank() != 2 || b.Rank() != 2 {
			return original(node, v, outputShape)
		}
		return []*Node{
			Dot(v[0], Transpose(b, 0, 1)), // ∂L/∂A = V·Bᵀ
			Dot(Transpose(a, 0, 1), v[0]), // ∂L/∂B = Aᵀ·V
		}
	}
})

func init() { installFastDotGradient() }

// originalDotVJP is GoMLX's own gradient of Dot, kept for the test that compares the two.
var originalDotVJP VJP
