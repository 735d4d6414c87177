"""Shared checks for compiler tests: compiled gradients against finite differences.

``check(f, *args)`` differentiates ``f`` with respect to every float argument
through the functional path (``vjp``) and, when the eager runtime is there,
through the Tensor path (``grad(f)`` on Tensors, one graph node), both against
central differences from the shared checker.
"""
from __future__ import annotations

import numpy as np
import pytest

from s2sgrad.api import grad, vjp
from s2sgrad.autograd.gradcheck import assert_close, check_vjp

try:
    from s2sgrad.runtime import ops as _ops
    HAVE_RUNTIME = hasattr(_ops, "apply_custom")
except ImportError:  # pragma: no cover
    HAVE_RUNTIME = False

needs_runtime = pytest.mark.skipif(not HAVE_RUNTIME, reason="runtime lacks apply_custom")


def is_float(a) -> bool:
    return (isinstance(a, np.ndarray) and a.dtype.kind == "f") or isinstance(a, float)


def check(f, *args, rtol=1e-5, atol=1e-6, tensor=True, eps=1e-6):
    wrt = [i for i, a in enumerate(args) if is_float(a)]
    compiled = grad(f)

    def value(*a):
        return compiled(*a)

    out, pullback = vjp(f, *args)
    ref = value(*args)
    if isinstance(out, tuple):
        for o, r in zip(out, ref):
            assert_close(o, r, what="value")
    else:
        assert_close(out, ref, what="value")

    def analytic(ct):
        grads = pullback(ct)
        for i in wrt:
            g, a = grads[i], args[i]
            assert type(g) is type(a) or (isinstance(a, float) and isinstance(g, float)), \
                f"gradient kind {type(g)} for input {type(a)}"
        return [grads[i] for i in wrt]

    check_vjp(value, analytic, args, wrt, rtol=rtol, atol=atol, eps=eps)
    if tensor and HAVE_RUNTIME:
        check_tensor(compiled, args, rtol=rtol, atol=atol, eps=eps)


def check_tensor(compiled, args, rtol=1e-5, atol=1e-6, eps=1e-6):
    """The Tensor path: one node whose backward is the generated adjoint."""
    from s2sgrad.runtime.tensor import Tensor

    wrt = [i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    if not wrt:
        return

    def f_np(*a):
        return compiled(*a)

    def analytic(ct):
        ts = [Tensor(a, requires_grad=True) if i in wrt else a for i, a in enumerate(args)]
        out = compiled(*ts)
        outs = out if isinstance(out, tuple) else (out,)
        cts = ct if isinstance(ct, tuple) else (ct,)
        assert outs[0].grad_fn is not None
        assert type(outs[0].grad_fn).__name__.endswith("Backward")
        total = None
        for o, c in zip(outs, cts):
            term = (o * Tensor(np.asarray(c, dtype=np.float64))).sum()
            total = term if total is None else total + term
        total.backward()
        return [ts[i].grad.numpy() if ts[i].grad is not None else np.zeros(args[i].shape)
                for i in wrt]

    check_vjp(f_np, analytic, list(args), wrt, rtol=rtol, atol=atol, eps=eps)
