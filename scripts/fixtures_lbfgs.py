#!/usr/bin/env python3
"""Reference fixtures for package optim (github.com/estil-nst/estil/optim).

Runs torch.optim.LBFGS -- the implementation package optim reproduces -- on small problems and records,
for every call of step(closure):

  - "x":          the parameters after the step,
  - "loss":       what step() returned (the loss at the parameters on entry, torch's orig_loss),
  - "evals":      the loss of every closure evaluation made during the step, in order,
  - "n_iter", "func_evals": torch's cumulative state counters after the step.

Everything is computed in float64 (torch.float64 tensors, Python floats for the scalars), so that the Go
side, running the same algorithm in float64, can be compared with a tight tolerance (1e-4 is asked; the
actual agreement is ~1e-12 unless a line-search branch flips).

Problems:
  - quadratic: f(x) = 0.5 x^T A x - b^T x, n = 10, with a fixed symmetric positive definite A
    (eigenvalues from 1 to 50, so L-BFGS needs a few dozen iterations),
  - rosenbrock: f(x) = sum_i 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2, in 2 and 10 dimensions.

Each with line_search_fn=None (fixed step lr) and "strong_wolfe", history_size=5 so that the history ring
wraps around, and several step() calls so that the state carried between calls is exercised.

Also torch.optim.Adam on the quadratic and 2-D Rosenbrock (adam_*.json): "x" after each group of
step() calls and the loss of every evaluation (one per step()), for optim.Adam.

Usage: /usr/bin/python3 scripts/fixtures_lbfgs.py            (writes lbfgs/testdata/*.json)
       or, from another script: import fixtures_lbfgs; fixtures_lbfgs.main("lbfgs/testdata")
"""

import json
import math
import os

import torch


def _quadratic_problem(n=10):
    """A fixed SPD matrix A = Q diag(lambda) Q^T with Q from a Householder reflection (exact, no RNG)."""
    lam = [1.0 + 49.0 * i / (n - 1) for i in range(n)]  # eigenvalues 1 .. 50
    v = torch.tensor([math.sin(1.0 + 0.7 * i) for i in range(n)], dtype=torch.float64)
    v = v / v.norm()
    q = torch.eye(n, dtype=torch.float64) - 2.0 * torch.outer(v, v)
    a = q @ torch.diag(torch.tensor(lam, dtype=torch.float64)) @ q.T
    a = 0.5 * (a + a.T)  # exactly symmetric
    b = torch.tensor([math.cos(0.3 * i) for i in range(n)], dtype=torch.float64)
    x0 = torch.tensor([0.5 * math.sin(2.0 * i + 0.5) for i in range(n)], dtype=torch.float64)

    def f(x):
        return 0.5 * x @ (a @ x) - b @ x

    return f, x0, {"A": a.tolist(), "b": b.tolist()}


def _rosenbrock_problem(n):
    if n == 2:
        x0 = torch.tensor([-1.5, 2.0], dtype=torch.float64)
    else:
        x0 = torch.tensor([-1.2 if i % 2 == 0 else 1.0 for i in range(n)], dtype=torch.float64)

    def f(x):
        return (100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2).sum()

    return f, x0, {}


def _closure(opt, f, x, evals):
    """The closure torch's optimizers call: loss and gradient at x, each loss recorded in evals."""
    def closure():
        opt.zero_grad()
        loss = f(x)
        loss.backward()
        evals.append(loss.item())
        return loss
    return closure


def _run(name, problem, f, x0, extra, options, steps):
    x = x0.clone().requires_grad_(True)
    opt = torch.optim.LBFGS([x], **options)
    evals = []
    closure = _closure(opt, f, x, evals)

    records = []
    for _ in range(steps):
        evals.clear()
        loss = opt.step(closure)
        state = opt.state[opt._params[0]]
        records.append({
            "x": x.detach().tolist(),
            "loss": float(loss),
            "evals": list(evals),
            "n_iter": state["n_iter"],
            "func_evals": state["func_evals"],
        })
    # max_eval is filled by torch when None: record the effective value.
    opts = dict(options)
    opts["max_eval"] = opt.param_groups[0]["max_eval"]
    out = {
        "name": name,
        "problem": problem,
        "dtype": "float64",
        "torch_version": torch.__version__,
        "x0": x0.tolist(),
        "options": opts,
        "steps": records,
    }
    out.update(extra)
    return out


def _cases():
    qf, qx0, qextra = _quadratic_problem()
    r2f, r2x0, _ = _rosenbrock_problem(2)
    r10f, r10x0, _ = _rosenbrock_problem(10)
    base = dict(tolerance_grad=1e-7, tolerance_change=1e-9, history_size=5)
    return [
        ("quadratic10_none", "quadratic", qf, qx0, qextra,
         dict(base, lr=1.0, max_iter=4, line_search_fn=None), 6),
        ("quadratic10_wolfe", "quadratic", qf, qx0, qextra,
         dict(base, lr=1.0, max_iter=4, line_search_fn="strong_wolfe"), 6),
        # Converges: later steps stop at once on tolerance_grad (1 evaluation, no iteration).
        ("quadratic10_wolfe_converge", "quadratic", qf, qx0, qextra,
         dict(base, lr=1.0, max_iter=20, tolerance_grad=1e-4, line_search_fn="strong_wolfe"), 3),
        ("rosenbrock2_none", "rosenbrock", r2f, r2x0, {},
         dict(base, lr=0.1, max_iter=10, line_search_fn=None), 5),
        ("rosenbrock2_wolfe", "rosenbrock", r2f, r2x0, {},
         dict(base, lr=1.0, max_iter=10, line_search_fn="strong_wolfe"), 5),
        ("rosenbrock10_wolfe", "rosenbrock", r10f, r10x0, {},
         dict(base, lr=1.0, max_iter=15, line_search_fn="strong_wolfe"), 4),
        ("rosenbrock10_none", "rosenbrock", r10f, r10x0, {},
         dict(base, lr=0.05, max_iter=10, line_search_fn=None), 4),
    ]


def _run_adam(name, problem, f, x0, extra, options, calls, iters_per_call):
    """torch.optim.Adam, iters_per_call step() calls per recorded "step" (lbfgs.Adam.Step(x, n))."""
    x = x0.clone().requires_grad_(True)
    opt = torch.optim.Adam([x], **options)
    evals = []
    closure = _closure(opt, f, x, evals)

    records = []
    for _ in range(calls):
        evals.clear()
        for _ in range(iters_per_call):
            opt.step(closure)
        records.append({"x": x.detach().tolist(), "evals": list(evals)})
    out = {
        "name": name,
        "problem": problem,
        "dtype": "float64",
        "torch_version": torch.__version__,
        "x0": x0.tolist(),
        "options": dict(options, iterations_per_step=iters_per_call),
        "steps": records,
    }
    out.update(extra)
    return out


def _adam_cases():
    qf, qx0, qextra = _quadratic_problem()
    r2f, r2x0, _ = _rosenbrock_problem(2)
    return [
        ("adam_quadratic10", "quadratic", qf, qx0, qextra, dict(lr=0.05, betas=(0.9, 0.999), eps=1e-8), 3, 20),
        ("adam_rosenbrock2", "rosenbrock", r2f, r2x0, {}, dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6), 3, 25),
    ]


def main(outdir):
    """Writes the fixtures to outdir. Restores torch's default dtype and thread count afterwards, so that
    it can be called from another fixture script."""
    prev_dtype, prev_threads = torch.get_default_dtype(), torch.get_num_threads()
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)  # deterministic reductions
    try:
        _write_all(outdir)
    finally:
        torch.set_default_dtype(prev_dtype)
        torch.set_num_threads(prev_threads)


def _write_all(outdir):
    os.makedirs(outdir, exist_ok=True)
    for name, problem, f, x0, extra, options, steps in _cases():
        data = _run(name, problem, f, x0, extra, options, steps)
        path = os.path.join(outdir, name + ".json")
        with open(path, "w") as fh:
            json.dump(data, fh, indent=1)
            fh.write("\n")
        last = data["steps"][-1]
        print(f"{path}: {len(data['steps'])} steps, n_iter={last['n_iter']}, "
              f"func_evals={last['func_evals']}, final loss={last['evals'][-1] if last['evals'] else None}")
    for name, problem, f, x0, extra, options, calls, iters in _adam_cases():
        data = _run_adam(name, problem, f, x0, extra, options, calls, iters)
        path = os.path.join(outdir, name + ".json")
        with open(path, "w") as fh:
            json.dump(data, fh, indent=1)
            fh.write("\n")
        print(f"{path}: {calls} x {iters} Adam steps, final loss={data['steps'][-1]['evals'][-1]}")


if __name__ == "__main__":
    main("lbfgs/testdata")
