"""The shared gradient checker: central finite differences in float64.

Takes: a function and its inputs, plus a way to get the analytic vector-Jacobian
product (a registered rule, a compiled pullback, or the eager runtime; for
``gradgradcheck``, a ``create_graph=True`` backward differentiated again).
Gives: ``True``, or a ``GradcheckError`` naming the input and the worst element.
Invariant: every numerical derivative is taken in float64, on copies, so the
caller's arrays are never changed.
"""
from __future__ import annotations

from typing import Any
from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["GradcheckError", "numerical_vjp", "assert_close", "check_vjp", "check_rule",
           "gradcheck", "gradgradcheck"]


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with central finite differences."""


def _as64(a):
    if isinstance(a, np.ndarray) and a.dtype.kind == "f":
        return a.astype(np.float64)
    if isinstance(a, (float, np.floating)):
        return float(a)
    return a


def numerical_vjp(f: Callable, args: Sequence[Any], wrt: Sequence[int], cotangent,
                  eps: float = 1e-6) -> list:
    """d<cotangent, f(*args)>/d args[i] for i in ``wrt``, by central differences.

    ``f`` returns an array, a scalar, or a tuple of them (then ``cotangent`` is a
    tuple too). Scalar inputs get scalar gradients back.
    """
    args = [_as64(a.copy() if isinstance(a, np.ndarray) else a) for a in args]

    def project(out):
        outs, cts = (out, cotangent) if isinstance(out, tuple) else ((out,), (cotangent,))
        return sum(float(np.sum(np.asarray(o, np.float64) * np.asarray(c, np.float64)))
                   for o, c in zip(outs, cts) if c is not None)

    grads = []
    for i in wrt:
        x = args[i]
        if isinstance(x, np.ndarray):
            g = np.zeros(x.shape)
            flat = x.reshape(-1)
            for k in range(flat.size):
                old = flat[k]
                flat[k] = old + eps
                up = project(f(*args))
                flat[k] = old - eps
                down = project(f(*args))
                flat[k] = old
                g.reshape(-1)[k] = (up - down) / (2 * eps)
            grads.append(g)
        else:
            lo = list(args)
            hi = list(args)
            hi[i] = x + eps
            lo[i] = x - eps
            grads.append((project(f(*hi)) - project(f(*lo))) / (2 * eps))
    return grads


def assert_close(analytic, numeric, rtol: float = 1e-5, atol: float = 1e-6,
                 what: str = "gradient") -> None:
    """Raise ``GradcheckError`` unless the two agree elementwise (shape included)."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    if a.shape != n.shape:
        raise GradcheckError(f"{what}: shape {a.shape} != expected {n.shape}")
    bad = ~np.isclose(a, n, rtol=rtol, atol=atol, equal_nan=True)
    if bad.any():
        k = int(np.argmax(np.abs(a - n) * bad))
        raise GradcheckError(
            f"{what}: analytic {a.reshape(-1)[k]!r} != numerical {n.reshape(-1)[k]!r} at flat "
            f"index {k} (of {a.size}); max abs diff {float(np.max(np.abs(a - n))):.3g}")


def _random_like(out, rng):
    if isinstance(out, tuple):
        return tuple(_random_like(o, rng) for o in out)
    return rng.standard_normal(np.shape(out))


def check_vjp(f: Callable, vjp: Callable, args: Sequence[Any], wrt: Sequence[int],
              rtol: float = 1e-5, atol: float = 1e-6, seed: int = 0, eps: float = 1e-6) -> bool:
    """Check ``vjp(cotangent) -> grads for args[wrt]`` against central differences.

    The cotangent is random (seeded), so every output element is exercised.
    """
    rng = np.random.default_rng(seed)
    args64 = [_as64(a) for a in args]
    ct = _random_like(f(*args64), rng)
    analytic = vjp(ct)
    numeric = numerical_vjp(f, args64, wrt, ct, eps=eps)
    for i, a, n in zip(wrt, analytic, numeric):
        if a is None:
            a = np.zeros(np.shape(n))
        assert_close(a, n, rtol=rtol, atol=atol, what=f"gradient of argument {i}")
        if np.shape(a) != np.shape(args[i]):
            raise GradcheckError(f"gradient of argument {i} has shape {np.shape(a)}, "
                                 f"input has {np.shape(args[i])}")
    return True


def check_rule(primal: Callable, args: Sequence[Any], kwargs: dict | None = None,
               rtol: float = 1e-5, atol: float = 1e-6, seed: int = 0) -> bool:
    """Check a registered rule's adjoint (driven as the runtime drives it)."""
    from ..rules import lookup
    from ..rules.helpers import unbroadcast

    kwargs = kwargs or {}
    r = lookup(primal)
    if r is None:
        raise KeyError(f"no rule registered for {primal!r}")
    args64 = [_as64(a) for a in args]
    wrt = [i for i in r.wrt_index if i < len(args64) and _is_float(args64[i])]

    def f(*a):
        return primal(*a, **kwargs)

    def vjp(ct):
        out = f(*args64)
        grads = r.adjoint(ct, out, *args64, **kwargs)
        grads = grads if len(r.wrt) > 1 else (grads,)
        by_pos = dict(zip(r.wrt_index, grads))
        res = []
        for i in wrt:
            gi = by_pos[i]
            if gi is not None and r.broadcast:
                gi = unbroadcast(gi, args64[i])
            res.append(gi)
        return res

    return check_vjp(f, vjp, args64, wrt, rtol=rtol, atol=atol, seed=seed)


def _is_float(a) -> bool:
    return (isinstance(a, np.ndarray) and a.dtype.kind == "f") or isinstance(a, float)


def gradcheck(func: Callable, inputs, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """PyTorch-style check of a function of Tensors through the eager runtime.

    Every input that requires grad is perturbed in float64; the analytic side is
    ``s2sgrad.autograd.grad`` with a random cotangent.
    """
    from ..runtime.tensor import Tensor
    from .functional import grad as autograd_grad

    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    wrt = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    arrays = [t.detach().numpy().astype(np.float64) if isinstance(t, Tensor) else t
              for t in inputs]

    def f_np(*a):
        ts = [Tensor(x) if isinstance(x, np.ndarray) else x for x in a]
        out = func(*ts)
        if isinstance(out, tuple):
            return tuple(o.detach().numpy() for o in out)
        return out.detach().numpy()

    def vjp(ct):
        ts = [Tensor(x, requires_grad=(i in wrt)) if isinstance(x, np.ndarray) else x
              for i, x in enumerate(arrays)]
        out = func(*ts)
        outs = out if isinstance(out, tuple) else (out,)
        cts = ct if isinstance(ct, tuple) else (ct,)
        grads = autograd_grad([o for o in outs], [ts[i] for i in wrt],
                              grad_outputs=[Tensor(np.asarray(c)) for c in cts],
                              allow_unused=True)
        return [None if g is None else g.numpy() for g in grads]

    try:
        return check_vjp(f_np, vjp, arrays, wrt, rtol=rtol, atol=atol, eps=eps)
    except GradcheckError:
        if raise_exception:
            raise
        return False


def gradgradcheck(func: Callable, inputs, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, raise_exception: bool = True, seed: int = 0) -> bool:
    """Second-order check of a function of Tensors through the eager runtime.

    With ``v`` a random cotangent of ``func``'s outputs, ``F(x, v) = d<v, func(x)>/dx``
    (a first-order backward, in float64) is checked like any function: its
    vector-Jacobian product, taken by differentiating a ``create_graph=True``
    backward, against central differences of ``F`` in both ``x`` and ``v``. So
    every Hessian-vector product ``d<w, grad <v, f>>/dx`` is compared, and the
    derivative in ``v`` checks that the recorded backward is linear in ``v``.
    """
    from ..runtime.tensor import Tensor
    from .functional import grad as autograd_grad

    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    wrt = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    arrays = [t.detach().numpy().astype(np.float64) if isinstance(t, Tensor) else t
              for t in inputs]

    def run(xs):
        ts = [Tensor(x, requires_grad=(i in wrt)) if isinstance(x, np.ndarray) else x
              for i, x in enumerate(xs)]
        out = func(*ts)
        return ts, (out if isinstance(out, tuple) else (out,))

    _, outs = run(arrays)
    rng = np.random.default_rng(seed)
    vs = [rng.standard_normal(o.shape) for o in outs]
    n_x = len(arrays)

    def grads_of(ts, outs, cts, create_graph):
        # Outputs that do not require grad (constant in x) contribute nothing.
        used = [(o, c) for o, c in zip(outs, cts) if o.requires_grad]
        if not used:
            return [None] * len(wrt)
        return autograd_grad([o for o, _ in used], [ts[i] for i in wrt],
                             grad_outputs=[c for _, c in used], create_graph=create_graph,
                             allow_unused=True)

    def first(*xv):
        ts, outs = run(xv[:n_x])
        cts = [Tensor(np.asarray(v)) for v in xv[n_x:]]
        gs = grads_of(ts, outs, cts, False)
        return tuple(np.zeros(np.shape(xv[i])) if g is None else g.detach().numpy()
                     for i, g in zip(wrt, gs))

    def vjp(ws):
        ts, outs = run(arrays)
        cts = [Tensor(v, requires_grad=True) for v in vs]
        gs = grads_of(ts, outs, cts, True)
        live = [(g, w) for g, w in zip(gs, ws) if g is not None and g.requires_grad]
        targets = [ts[i] for i in wrt] + cts
        if not live:
            return [None] * len(targets)
        res = autograd_grad([g for g, _ in live], targets,
                            grad_outputs=[Tensor(np.asarray(w)) for _, w in live],
                            allow_unused=True)
        return [None if r is None else r.detach().numpy() for r in res]

    args = arrays + vs
    try:
        return check_vjp(first, vjp, args, wrt + list(range(n_x, n_x + len(vs))),
                         rtol=rtol, atol=atol, eps=eps, seed=seed + 1)
    except GradcheckError:
        if raise_exception:
            raise
        return False
