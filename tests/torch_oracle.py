"""One harness for the eager spec tables that run an expression on s2sgrad and on torch.

Takes: specs with ``name``, ``fn`` (an expression of Tensors written with ``sg``) and
``shapes`` (one shape per argument, or a tuple of them). Gives: ``cases`` (pytest params,
one per shape set), ``torchify`` (the expression with ``sg`` bound to torch) and
``compare_with_torch`` (values, shapes, dtypes, node names and gradients of every
argument under one random cotangent per output).
"""
from __future__ import annotations

import types

import numpy as np
import pytest

import s2sgrad as sg


def cases(specs):
    for s in specs:
        for shp in s.shapes:
            shapes = shp if shp and isinstance(shp[0], tuple) else (shp,)
            tag = "|".join("x".join(map(str, t)) or "0d" for t in shapes)
            yield pytest.param(s, shapes, id=f"{s.name}-{tag}")


def outputs(o) -> tuple:
    return o if isinstance(o, tuple) else (o,)


def torchify(fn, torch):
    """The same expression with ``sg`` bound to torch."""
    g = dict(fn.__globals__)
    g["sg"] = torch
    return types.FunctionType(fn.__code__, g, fn.__name__, fn.__defaults__, fn.__closure__)


def compare_with_torch(fn, arrays, torch, *, rtol=1e-5, atol, grad_rtol=1e-4, grad_atol,
                       node=True) -> None:
    """``fn`` on float32 copies of ``arrays`` in s2sgrad and in torch must agree.

    ``node``: True compares the outputs' node names with torch's, a string requires both
    to be that name, None skips the comparison.
    """
    arrays = [a.astype(np.float32) for a in arrays]
    ours = [sg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    o, t = outputs(fn(*ours)), outputs(torchify(fn, torch)(*theirs))
    assert len(o) == len(t)
    rng = np.random.default_rng(2)
    cts = []
    for a, b in zip(o, t):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol,
                                   atol=atol)
        assert repr(a.dtype) == repr(b.dtype)
        if node is True:
            assert type(a.grad_fn).__name__ == b.grad_fn.name().split("::")[-1]
        elif node is not None:
            assert type(a.grad_fn).__name__ == b.grad_fn.name().split("::")[-1] == node
        cts.append(rng.standard_normal(tuple(b.shape)).astype(np.float32))
    sg.autograd.backward(list(o), [sg.tensor(c) for c in cts])
    torch.autograd.backward(list(t), [torch.tensor(c) for c in cts])
    for a, b in zip(ours, theirs):
        assert (a.grad is None) == (b.grad is None)
        if b.grad is not None:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=grad_rtol,
                                       atol=grad_atol)
