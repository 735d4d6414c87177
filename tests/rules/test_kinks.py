"""Gradients where the derivative is undefined or ambiguous: PyTorch's choices.

Each case runs a NumPy rule's adjoint and the matching torch op's autograd on
the same float64 inputs (ties, zeros, boundaries; SEMANTICS 3.12) and demands
the same numbers. Skipped when torch is not installed.
"""
from __future__ import annotations

import numpy as np
import pytest

from s2sgrad.rules import lookup
from s2sgrad.rules.helpers import unbroadcast

torch = pytest.importorskip("torch")


def rule_grads(primal, args, kwargs=None, g=None):
    """The rule's gradients for every wrt argument (unbroadcast like the drivers do)."""
    kwargs = kwargs or {}
    r = lookup(primal)
    out = primal(*args, **kwargs)
    g = np.ones(np.shape(out)) if g is None else g
    grads = r.adjoint(g, out, *args, **kwargs)
    grads = grads if len(r.wrt) > 1 else (grads,)
    res = []
    for i, gi in zip(r.wrt_index, grads):
        if i < len(args) and gi is not None and r.broadcast:
            gi = unbroadcast(gi, args[i])
        res.append(gi)
    return res


def torch_grads(fn, *arrays, g=None):
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out = fn(*ts)
    out.backward(torch.ones_like(out) if g is None else torch.tensor(g))
    return [t.grad.numpy() if t.grad is not None else np.zeros(t.shape) for t in ts]


def same(a, b):
    np.testing.assert_allclose(np.asarray(a, np.float64), b, rtol=1e-12, atol=1e-12)


X3 = np.array([-1.0, 0.0, 2.0])


def test_abs_is_zero_at_zero():
    same(rule_grads(np.abs, [X3])[0], torch_grads(torch.abs, X3)[0])
    same(rule_grads(np.abs, [X3])[0], [-1.0, 0.0, 1.0])


def test_sqrt_is_inf_at_zero():
    x = np.array([0.0, 4.0])
    with np.errstate(divide="ignore"):
        same(rule_grads(np.sqrt, [x])[0], torch_grads(torch.sqrt, x)[0])


@pytest.mark.parametrize("primal, op", [(np.sign, torch.sign), (np.floor, torch.floor),
                                        (np.ceil, torch.ceil), (np.round, torch.round),
                                        (np.trunc, torch.trunc), (np.rint, torch.round)])
def test_steps_have_zero_gradient(primal, op):
    x = np.array([-1.5, -0.0, 0.0, 0.5, 2.0])
    same(rule_grads(primal, [x])[0], torch_grads(op, x)[0])


def test_full_max_and_min_split_ties_evenly():
    x = np.array([1.0, 3.0, 3.0])
    same(rule_grads(np.max, [x])[0], torch_grads(lambda t: t.max(), x)[0])
    same(rule_grads(np.max, [x])[0], [0.0, 0.5, 0.5])
    y = np.array([[2.0, 0.5, 0.5], [0.5, 7.0, 0.5]])
    same(rule_grads(np.min, [y])[0], torch_grads(lambda t: t.min(), y)[0])


@pytest.mark.parametrize("axis", [0, 1, (0, 1)])
def test_max_along_axes_splits_ties_like_amax(axis):
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0], [2.0, 3.0, 0.0]])
    g = np.arange(1.0, 1.0 + np.max(x, axis=axis).size).reshape(np.shape(np.max(x, axis=axis)))
    for primal, op in [(np.max, torch.amax), (np.amax, torch.amax), (np.min, torch.amin),
                       (np.amin, torch.amin)]:
        same(rule_grads(primal, [x], {"axis": axis}, g=g)[0],
             torch_grads(lambda t, op=op: op(t, dim=axis), x, g=g)[0])


@pytest.mark.parametrize("primal, op", [(np.maximum, torch.maximum),
                                        (np.minimum, torch.minimum),
                                        (np.fmax, torch.fmax), (np.fmin, torch.fmin)])
def test_binary_extremes_at_ties_and_nans(primal, op):
    x = np.array([1.0, 2.0, 3.0, np.nan, 1.0])
    y = np.array([1.0, 1.0, 4.0, 2.0, np.nan])
    ours = rule_grads(primal, [x, y])
    theirs = torch_grads(op, x, y)
    for a, b in zip(ours, theirs):
        same(a, b)


def test_clip_has_gradient_one_on_the_boundary():
    same(rule_grads(np.clip, [X3, 0.0, None])[0], [0.0, 1.0, 1.0])
    same(rule_grads(np.clip, [X3, 0.0, None])[0],
         torch_grads(lambda t: torch.clamp(t, min=0.0), X3)[0])
    x = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    same(rule_grads(np.clip, [x, -1.0, 1.0])[0],
         torch_grads(lambda t: torch.clamp(t, -1.0, 1.0), x)[0])


def test_clip_with_array_bounds_matches_clamp():
    x = np.array([-2.0, -1.0, 0.0, 1.0, 2.0, 0.5, 0.5])
    lo = np.array([-1.0, -1.0, -1.0, -1.0, -1.0, 1.0, 0.5])
    hi = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.5])      # the last two: crossed, equal
    ours = rule_grads(np.clip, [x, lo, hi])
    theirs = torch_grads(lambda a, b, c: torch.clamp(a, b, c), x, lo, hi)
    for a, b in zip(ours, theirs):
        same(a, b)


def test_norm_is_zero_at_zero():
    z = np.zeros(2)
    same(rule_grads(np.linalg.norm, [z])[0], torch_grads(torch.norm, z)[0])
    m = np.array([[0.0, 0.0], [3.0, 4.0]])
    same(rule_grads(np.linalg.norm, [m], {"axis": 1})[0],
         torch_grads(lambda t: torch.linalg.vector_norm(t, dim=1), m)[0])
    for p in (1, np.inf, 3):
        same(rule_grads(np.linalg.norm, [m], {"axis": 1, "ord": p})[0],
             torch_grads(lambda t, p=p: torch.linalg.vector_norm(t, ord=p, dim=1), m)[0])


def test_inf_norm_splits_ties():
    x = np.array([3.0, -3.0, 1.0])
    same(rule_grads(np.linalg.norm, [x], {"ord": np.inf})[0],
         torch_grads(lambda t: torch.linalg.vector_norm(t, ord=float("inf")), x)[0])


@pytest.mark.parametrize("x", [np.array([2.0, 0.0, 3.0, 4.0]), np.array([2.0, 0.0, 3.0, 0.0]),
                               np.array([0.0, 0.0, 0.0, 0.0])])
def test_prod_with_zeros(x):
    same(rule_grads(np.prod, [x])[0], torch_grads(torch.prod, x)[0])
    m = x.reshape(2, 2)
    same(rule_grads(np.prod, [m], {"axis": 1})[0],
         torch_grads(lambda t: torch.prod(t, dim=1), m)[0])


@pytest.mark.parametrize("x", [np.array([2.0, 0.0, 3.0, 4.0]), np.array([2.0, 0.0, 3.0, 0.0]),
                               np.array([0.0, 1.5, 3.0, 2.0])])
def test_cumprod_with_zeros(x):
    g = np.array([1.0, -2.0, 0.5, 3.0])
    same(rule_grads(np.cumprod, [x], g=g)[0],
         torch_grads(lambda t: torch.cumprod(t, 0), x, g=g)[0])


def test_std_of_a_constant():
    x = np.full(4, 2.0)
    same(rule_grads(np.std, [x])[0],
         torch_grads(lambda t: torch.std(t, correction=0), x)[0])


def test_var_and_std_corrections():
    x = np.array([[1.0, 2.0, 4.0], [0.5, -1.0, 3.0]])
    for primal, op in [(np.var, torch.var), (np.std, torch.std)]:
        for ddof in (0, 1):
            same(rule_grads(primal, [x], {"axis": 1, "ddof": ddof})[0],
                 torch_grads(lambda t, op=op, d=ddof: op(t, dim=1, correction=d), x)[0])


def test_sinc_at_zero():
    x = np.array([0.0, 0.5])
    same(rule_grads(np.sinc, [x])[0], torch_grads(torch.sinc, x)[0])


def test_remainder_and_fmod_gradients():
    x = np.array([5.5, -5.5, 3.0])
    y = np.array([2.0, 2.0, -1.25])
    for primal, op in [(np.remainder, torch.remainder), (np.fmod, torch.fmod)]:
        for a, b in zip(rule_grads(primal, [x, y]), torch_grads(op, x, y)):
            same(a, b)


def test_det_of_a_singular_matrix_is_its_cofactor_matrix():
    # det is a polynomial, so its gradient is the cofactor matrix even where det = 0.
    # (Measured: torch 2.13 returns zeros for this rank-2 matrix; we keep the exact value.)
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, -1.0, 2.0]])
    cof = np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(a, i, 0), j, 1))
                     for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(rule_grads(np.linalg.det, [a])[0], cof, atol=1e-12)
    assert np.abs(cof).max() > 1


def test_where_sends_gradient_to_the_chosen_side():
    c = np.array([True, False, True])
    x, y = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])
    ours = rule_grads(np.where, [c, x, y])
    theirs = torch_grads(lambda a, b: torch.where(torch.tensor(c), a, b), x, y)
    for a, b in zip(ours, theirs):
        same(a, b)
