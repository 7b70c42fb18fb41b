package optim

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// history is the L-BFGS memory: torch's old_stps (s), old_dirs (y) and ro (1/ys), oldest first.
// The pairs are device tensors; the host only holds their handles and the scalars sᵢᵀyᵢ.
type history struct {
	s, y []*tensors.Tensor
	ys   []float64
}

func (h *history) len() int { return len(h.s) }

// push appends a pair, first dropping the oldest ones so that at most size pairs remain (torch drops
// one when len == history_size). Dropped tensors are left to the arena, which frees them.
func (h *history) push(s, y *tensors.Tensor, ys float64, size int) {
	for len(h.s) > 0 && len(h.s) >= size {
		h.s, h.y, h.ys = h.s[1:], h.y[1:], h.ys[1:]
	}
	h.s = append(h.s, s)
	h.y = append(h.y, y)
	h.ys = append(h.ys, ys)
}

func (h *history) clear() { h.s, h.y, h.ys = nil, nil, nil }

// tensors lists the device tensors held by the history (for the arena's keep list).
func (h *history) tensors() []*tensors.Tensor {
	out := make([]*tensors.Tensor, 0, 2*len(h.s))
	out = append(out, h.s...)
	return append(out, h.y...)
}

// twoLoop runs the graphs of the L-BFGS update; they belong to the optimizer's Graphs.
type twoLoop struct {
	pairExec *graph.Exec // (g, g_prev, d, t) → s, y, {sᵀy, yᵀy}
	dirExec  *graph.Exec // (g, γ, [ys, s_0…s_{K-1}, y_0…y_{K-1}]) → d, {gᵀd, ‖d‖∞}; pairs newest first
	l1Exec   *graph.Exec // (g) → ‖g‖₁ in float64
}

func newTwoLoop(g *Graphs) (*twoLoop, error) {
	tl := &twoLoop{}
	var err error
	if tl.pairExec, err = g.exec("optim_pair", func(a []*graph.Node) []*graph.Node {
		s, y, scalars := buildPair(a[0], a[1], a[2], a[3])
		return []*graph.Node{s, y, scalars}
	}); err != nil {
		return nil, err
	}
	if tl.dirExec, err = g.exec("optim_two_loop", buildDirection); err != nil {
		return nil, err
	}
	// One graph per padded history length (15 for m = 100) and per shape of x: no cache limit.
	tl.dirExec.SetMaxCache(-1)
	if tl.l1Exec, err = g.exec("optim_l1", func(a []*graph.Node) []*graph.Node {
		return []*graph.Node{packScalars(graph.ReduceAllSum(graph.Abs(graph.ConvertDType(a[0], dtypes.Float64))))}
	}); err != nil {
		return nil, err
	}
	return tl, nil
}

// buildPair computes torch's
//
//	y = flat_grad.sub(prev_flat_grad);  s = d.mul(t);  ys = y.dot(s);  yy = y.dot(y)
func buildPair(g, gPrev, d, t *graph.Node) (s, y, scalars *graph.Node) {
	y = graph.Sub(g, gPrev)
	s = graph.Mul(d, t)
	return s, y, packScalars(dot(y, s), dot(y, y))
}

// buildDirection is the two-loop recursion, unrolled over the K pairs it is given, newest first
// (args = g, γ, ys[K], s_0 … s_{K-1}, y_0 … y_{K-1}; K = 0 means args = g, γ). It mirrors torch:
//
//	q = flat_grad.neg()
//	for i in range(num_old - 1, -1, -1):          # newest → oldest
//	    al[i] = old_stps[i].dot(q) * ro[i]
//	    q.add_(old_dirs[i], alpha=-al[i])
//	d = r = torch.mul(q, H_diag)
//	for i in range(num_old):                      # oldest → newest
//	    be_i = old_dirs[i].dot(r) * ro[i]
//	    r.add_(old_stps[i], alpha=al[i] - be_i)
//
// Padding slots carry s = y = 0 and ys = 0, for which ρ is set to 0: then α = β = 0 and q, r are left
// unchanged (q + (−0)·0 = q), so padding is exact.
func buildDirection(args []*graph.Node) []*graph.Node {
	g, hDiag := args[0], args[1]
	var k int
	var ys *graph.Node
	var s, y []*graph.Node
	if len(args) > 2 {
		ys = args[2]
		k = ys.Shape().Dimensions[0]
		if len(args) != 3+2*k {
			panic(fmt.Errorf("optim: two-loop graph got %d arguments for %d pairs", len(args), k))
		}
		s, y = args[3:3+k], args[3+k:3+2*k]
	}
	var rho []*graph.Node
	if k > 0 {
		zero := graph.ZerosLike(ys)
		used := graph.NotEqual(ys, zero)
		safe := graph.Where(used, ys, graph.OnesLike(ys))
		rhoVec := graph.Where(used, graph.Div(graph.OnesLike(ys), safe), zero) // torch: ro = 1. / ys
		rho = make([]*graph.Node, k)
		for j := range k {
			rho[j] = graph.Reshape(graph.Slice(rhoVec, graph.AxisElem(j)))
		}
	}
	q := graph.Neg(g)
	al := make([]*graph.Node, k)
	for j := 0; j < k; j++ { // newest → oldest
		al[j] = graph.Mul(dot(s[j], q), rho[j])
		q = graph.Add(q, graph.Mul(graph.Neg(al[j]), y[j]))
	}
	r := graph.Mul(q, hDiag)
	for j := k - 1; j >= 0; j-- { // oldest → newest
		be := graph.Mul(dot(y[j], r), rho[j])
		r = graph.Add(r, graph.Mul(graph.Sub(al[j], be), s[j]))
	}
	return []*graph.Node{r, packScalars(dot(g, r), maxAbs(r))}
}

// pair computes s = t·d, y = g − g_prev and returns them with sᵀy and yᵀy.
func (tl *twoLoop) pair(g, gPrev, d *tensors.Tensor, t float64) (s, y *tensors.Tensor, ys, yy float64, err error) {
	outs, err := tl.pairExec.Exec(g, gPrev, d, scalarOf(t, g.DType()))
	if err != nil {
		return nil, nil, 0, 0, fmt.Errorf("optim: computing the (s, y) pair: %w", err)
	}
	scal, err := readScalars(outs[2])
	if err != nil {
		_ = outs[0].FinalizeAll()
		_ = outs[1].FinalizeAll()
		return nil, nil, 0, 0, err
	}
	return outs[0], outs[1], scal[0], scal[1], nil
}

// direction runs the two-loop recursion on g with the given history and initial scaling γ = hDiag.
// zeros is a zero tensor shaped like g, used to pad the history to 2ᵏ or 3·2ᵏ⁻¹ pairs (paddedPairs).
func (tl *twoLoop) direction(g *tensors.Tensor, h *history, hDiag float64, zeros *tensors.Tensor,
	maxPairs int) (d *tensors.Tensor, gtd, dInf float64, err error) {
	n := h.len()
	k := paddedPairs(n, maxPairs)
	args := make([]any, 0, 3+2*k)
	args = append(args, g, scalarOf(hDiag, g.DType()))
	if k > 0 {
		ys := make([]float64, k)
		s := make([]any, k)
		y := make([]any, k)
		for j := range k {
			if j < n { // newest first
				i := n - 1 - j
				ys[j], s[j], y[j] = h.ys[i], h.s[i], h.y[i]
			} else {
				s[j], y[j] = zeros, zeros
			}
		}
		args = append(args, vectorOf(ys, g.DType()))
		args = append(args, s...)
		args = append(args, y...)
	}
	outs, err := tl.dirExec.Exec(args...)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("optim: two-loop recursion with %d pairs: %w", n, err)
	}
	scal, err := readScalars(outs[1])
	if err != nil {
		_ = outs[0].FinalizeAll()
		return nil, 0, 0, err
	}
	return outs[0], scal[0], scal[1], nil
}

// l1 returns ‖g‖₁ (accumulated in float64).
func (tl *twoLoop) l1(g *tensors.Tensor) (float64, error) {
	out, err := tl.l1Exec.Exec1(g)
	if err != nil {
		return 0, fmt.Errorf("optim: computing ‖g‖₁: %w", err)
	}
	v, err := readScalars(out)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

// paddedPairs rounds the number of pairs n up to the next value of 1, 2, 3, 4, 6, 8, 12, 16, 24, …
// (2ᵏ and 3·2ᵏ⁻¹), capped at maxPairs (and at least n), so that few two-loop graphs get compiled (15
// for m = 100) while padding wastes at most a third of the work.
func paddedPairs(n, maxPairs int) int {
	if n == 0 {
		return 0
	}
	k := 1
	for k < n {
		if k >= 2 && k&(k-1) == 0 { // power of two ≥ 2: next is 1.5·k
			k += k / 2
		} else if k == 1 {
			k = 2
		} else { // 3·2ʲ: next is 4·2ʲ
			k = k / 3 * 4
		}
	}
	return max(min(k, maxPairs), n)
}
