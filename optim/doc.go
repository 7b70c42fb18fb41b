// Package optim holds estil's optimizers, as torch.optim does PyTorch's: L-BFGS ([LBFGS]) with the
// exact semantics of torch.optim.LBFGS (including its optional strong-Wolfe line search), the one the
// original uses, and, to compare it with, torch.optim.Adam ([Adam]) and plain gradient descent
// ([GradientDescent]). All three minimise the same objective type ([Function]), implement one
// interface ([Optimizer]: Step(x, iterations), the one way to give a budget) and are made by name
// with [New], which the CLI, package nst and the teaching views all use. An optimizer compiles its
// graphs on its first Step; optimizers made by one [Graphs] share them instead ([Graphs.New]), so
// that a batch of pictures of one size compiles once ([Graphs.Compilations] counts).
//
// # L-BFGS in one page
//
// Newton's method minimises f by stepping x ← x − H·∇f(x), where H is the inverse Hessian. For an image
// with n = 3·512² pixels H has n² entries, so quasi-Newton methods build an approximation of H from what
// they observe: after a step s_k = x_{k+1} − x_k the gradient changes by y_k = g_{k+1} − g_k, and a good
// H must satisfy the secant equation H·y_k = s_k. BFGS updates a dense H so that it does:
//
//	H_{k+1} = (I − ρ_k s_k y_kᵀ) H_k (I − ρ_k y_k s_kᵀ) + ρ_k s_k s_kᵀ,   ρ_k = 1 / (y_kᵀ s_k).
//
// L-BFGS ("limited memory") never forms H. It keeps only the last m pairs (s_i, y_i) and an initial
// scaling H⁰ = γ·I with γ = s_{k}ᵀy_{k} / y_{k}ᵀy_{k}, and applies the product of the m updates above to
// the gradient with the "two-loop recursion" (Nocedal 1980), which costs 4·m·n flops:
//
//	q ← −g
//	for i = newest … oldest:   α_i ← ρ_i · s_iᵀq;   q ← q − α_i · y_i
//	r ← γ · q
//	for i = oldest … newest:   β_i ← ρ_i · y_iᵀr;   r ← r + (α_i − β_i) · s_i
//	d ← r                      (the search direction, ≈ −H·g)
//
// A pair is stored only when the curvature condition y_kᵀs_k > 1e-10 holds (which keeps H positive
// definite); when the memory is full the oldest pair is dropped. The step x ← x + t·d uses t = lr
// ("fixed step", torch's line_search_fn=None; the very first iteration uses t = min(1, 1/‖g‖₁)·lr), or a
// t found by a strong-Wolfe line search: sufficient decrease f(x+td) ≤ f(x) + c₁·t·gᵀd and curvature
// |g(x+td)ᵀd| ≤ c₂·|gᵀd|, with c₁ = 1e-4, c₂ = 0.9, bracketing then zooming with cubic interpolation,
// exactly as torch's _strong_wolfe and _cubic_interpolate.
//
// # Where the data lives
//
// An image-sized x (n ≈ 10⁶) and a history of m = 100 pairs is 2·m·n floats (800 MB in float32): it
// must stay on the accelerator. The package therefore splits the work as torch's code does, but along
// the device boundary:
//
//   - Device (compiled GoMLX graphs, cached per shape): the objective and its gradient, g·d, ‖g‖∞,
//     x + t·d, s = t·d, y = g − g_prev, sᵀy, yᵀy and the whole two-loop recursion (twoloop.go).
//   - Host (Go code): torch's control flow, which needs only scalars: tolerance tests, the iteration and
//     evaluation counters, the line-search bracketing and zoom (linesearch.go).
//
// x, g, d, g_prev and every s_i, y_i are *tensors.Tensor values returned by one Exec and passed as
// arguments to the next; nothing in this package calls Value(), CopyFlatData or ConstFlatData on them.
// Per function evaluation exactly one small float64 vector comes back to the host ({loss, ‖g‖∞} or
// {loss, ‖g‖∞, gᵀd}, plus the Function's scalar extras when an observer wants them); per iteration one
// more ({gᵀd, ‖d‖∞} from the direction graph, {sᵀy, yᵀy} from the pair graph). Going the other way, the
// host sends only scalars (t, γ) and the m values sᵢᵀyᵢ.
//
// The history is a host-side list of device tensor handles, oldest first, like torch's old_dirs and
// old_stps lists: dropping the oldest pair and appending a new one moves handles, never data (a ring
// buffer in one [m, n] device tensor would instead rewrite the buffer, or need DynamicUpdateSlice, which
// the pure-Go backend lacks). The two-loop graph takes the pairs as separate parameters, newest first,
// unrolled; to avoid compiling a graph per history length, the number of pairs is rounded up to the next
// of 1, 2, 3, 4, 6, 8, 12, 16, 24, … (capped at m) and the extra slots are filled with a shared zero
// tensor whose ρ is 0, which leaves q and r bit-for-bit unchanged. So about 2·log₂ m direction graphs
// are compiled per shape of x (15 for m = 100), and padding costs at most a third more work.
//
// The only ops used are element-wise arithmetic, DotGeneral, ReduceMax, ReduceSum, Reshape, Slice of
// a small vector, Concatenate of scalars and ConvertDType: all available in the pure-Go backend
// (GOMLX_BACKEND=go), which lacks Pad, Reverse, DynamicSlice and DynamicUpdateSlice.
//
// # Precision
//
// The big tensors use x's dtype (float32 or float64). Host scalars are float64; where torch compares a
// float32 tensor with a Python number, the constant is first rounded to float32, as torch does. With
// float64 tensors the algorithm follows torch's float64 arithmetic operation by operation (tests compare
// iterates with torch's to 1e-4; they agree to ~1e-12); with float32 the line search's scalar arithmetic
// runs in float64 where torch mixes float32 tensors and Python floats, which can differ in the last bits.
//
// # Pure-Go backend
//
// GoMLX v0.26's pure-Go backend ("go", then package simplego, now compute/gobackend) deadlocked
// when it ran graph nodes in parallel (its default when a single graph executes) and several small
// Dot/DotGeneral nodes were ready at the same time: each Dot node held one of the 2·NumCPU worker
// slots while it waited for a slot for its own sub-task. On a 2-CPU machine four such nodes sufficed;
// a Function with independent matmuls (Gram matrices, quadratic forms) could hit it. Whether v0.28
// still does was not re-checked: this package's tests, and estil, create the backend with
// gobackend.New("ops_sequential") (or GOMLX_BACKEND="go:ops_sequential"). The graphs built by this
// package itself have at most two independent Dots.
//
// # Usage
//
//	opt, err := optim.New(optim.LBFGSName, backend, optim.Autodiff(styleLoss), optim.Options{
//		Inputs:       weights,
//		StrongWolfe:  true,
//		OnEvaluation: func(e optim.Evaluation) error { log.Println(e.N, e.Loss); return nil },
//	})
//	for range 50 {
//		res, err := opt.Step(x, 20) // torch's max_iter 20 per step(closure)
//		if err != nil { ... }  // res.X is still the last x with a finite loss
//		x = res.X
//	}
package optim
