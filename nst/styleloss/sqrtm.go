package styleloss

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
)

// SqrtmNewtonSchulz is the square root of a symmetric positive (semi)definite matrix A by the
// coupled Newton–Schulz iteration (crowsonkb's sqrtm.py, sqrtm_ns; Higham, "Functions of
// Matrices", 6.3):
//
//	Y₀ = A/‖A‖_F,  Z₀ = I
//	T = (3I − Z·Y)/2,  Y ← Y·T,  Z ← T·Z        (iterations times)
//	A^½ ≈ Y·√‖A‖_F
//
// Y converges to (A/‖A‖_F)^½ and Z to its inverse, quadratically once close; for an eigenvalue λ
// of A/‖A‖_F far below 1, the matching eigenvalue of Z·Y (which tends to 1) first grows by about
// 2.25 per iteration (Y's by 1.5), so 20 iterations resolve
// eigenvalues down to about 10⁻⁷ of ‖A‖_F (smaller ones, whose roots are small, come out
// smaller still). Only matrix products: differentiable, and on every backend.
func SqrtmNewtonSchulz(a *Node, iterations int) *Node {
	n := a.Shape().Dim(0)
	norm := Sqrt(ReduceAllSum(Square(a)))
	y := Div(a, norm)
	z := identityMatrix(a, n, 1)
	three := identityMatrix(a, n, 3)
	for range iterations {
		t := DivScalar(Sub(three, MatMul(z, y)), 2)
		y, z = MatMul(y, t), MatMul(t, z)
	}
	return Mul(y, Sqrt(norm))
}
