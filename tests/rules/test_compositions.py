"""Rules composed: logsumexp, softmax, attention, normalisation, joins, chained by hand.

A small tape records primal calls and runs their adjoints in reverse (the
drivers' job: unbroadcast, accumulate, one gradient per sequence element), so a
composite's gradient comes from the rules alone; the shared checker compares
it with central differences. ``out`` reuse, keepdims and broadcasting across
rules are what these exercise.
"""
from __future__ import annotations

import inspect

import numpy as np
import pytest

from s2sgrad.autograd.gradcheck import check_vjp
from s2sgrad.rules import lookup
from s2sgrad.rules.helpers import unbroadcast


def _var_index(r) -> int:
    """Position of the adjoint's var-positional parameter among the primal's (-1 if none)."""
    params = list(inspect.signature(r.adjoint).parameters.values())[2:]
    return next((k for k, p in enumerate(params) if p.kind is p.VAR_POSITIONAL), -1)


class Tape:
    """Records ``primal(*args, **kwargs)`` calls; ``pullback`` runs their rules backwards."""

    def __init__(self):
        self.calls = []

    def __call__(self, primal, *args, **kwargs):
        out = primal(*args, **kwargs)
        self.calls.append((primal, args, kwargs, out))
        return out

    def pullback(self, result, ct, inputs):
        cot = {id(result): ct}
        for primal, args, kwargs, out in reversed(self.calls):
            outs = tuple(out) if isinstance(out, (list, tuple)) else None
            if outs is not None:
                g = tuple(cot.get(id(o)) for o in outs)
                if all(x is None for x in g):
                    continue
                out = outs
            else:
                g = cot.get(id(out))
                if g is None:
                    continue
            r = lookup(primal)
            grads = r.adjoint(g, out, *args, **kwargs)
            grads = grads if len(r.wrt) > 1 else (grads,)
            for i, gi in zip(r.wrt_index, grads):
                if i >= len(args) or gi is None:
                    continue
                # A sequence argument, or a var-positional one (einsum's operands),
                # gets one gradient per element.
                a = args[i:] if i == _var_index(r) else args[i]
                pairs = zip(a, gi) if isinstance(a, (list, tuple)) else [(a, gi)]
                for x, gx in pairs:
                    if isinstance(x, (np.ndarray, np.generic)):
                        gx = unbroadcast(gx, x) if r.broadcast else gx
                        cot[id(x)] = gx + cot[id(x)] if id(x) in cot else gx
        return [cot.get(id(x), np.zeros(x.shape)) for x in inputs]


def logsumexp(t, x):
    return t(np.log, t(np.sum, t(np.exp, x), axis=1))


def stable_logsumexp(t, x):
    m = t(np.max, x, axis=-1, keepdims=True)
    s = t(np.sum, t(np.exp, t(np.subtract, x, m)), axis=-1, keepdims=True)
    return t(np.add, m, t(np.log, s))


def softmax(t, x, axis=-1):
    e = t(np.exp, t(np.subtract, x, t(np.max, x, axis=axis, keepdims=True)))
    return t(np.divide, e, t(np.sum, e, axis=axis, keepdims=True))


def attention(t, q, k, v):
    s = t(np.divide, t(np.einsum, "id,jd->ij", q, k), np.sqrt(q.shape[-1]))
    return t(np.matmul, softmax(t, s), v)


def normalise(t, x):
    return t(np.divide, x, t(np.linalg.norm, x, axis=-1, keepdims=True))


def mse_tanh(t, x, w, y):
    h = t(np.tanh, t(np.matmul, x, w))
    return t(np.mean, t(np.power, t(np.subtract, h, y), 2.0))


def variance_by_hand(t, x):
    d = t(np.subtract, x, t(np.mean, x, axis=0))
    return t(np.mean, t(np.multiply, d, d), axis=0)


def joins(t, a, b):
    c = t(np.concatenate, [a, b, a], axis=1)
    parts = t(np.split, c, [2, 3], axis=1)
    s = t(np.stack, [parts[0], t(np.sin, parts[2])])
    return t(np.sum, t(np.multiply, s, s), axis=(0, 2))


def cross_entropy(t, logits, onehot):
    logp = t(np.subtract, logits, stable_logsumexp(t, logits))
    return t(np.negative, t(np.mean, t(np.sum, t(np.where, onehot, logp, 0.0), axis=1)))


def gated(t, x, y):
    return t(np.clip, t(np.maximum, t(np.multiply, x, y), t(np.cumsum, x, axis=0)), -1.0, 1.5)


CASES = [
    (logsumexp, [(3, 4)]),
    (stable_logsumexp, [(2, 3, 4)]),
    (softmax, [(3, 5)]),
    (attention, [(3, 4), (5, 4), (5, 2)]),
    (normalise, [(3, 4)]),
    (mse_tanh, [(5, 3), (3, 2), (5, 1)]),
    (variance_by_hand, [(6, 2)]),
    (joins, [(2, 2), (2, 1)]),
    (gated, [(4, 3), (3,)]),
]


@pytest.mark.parametrize("fn, shapes", CASES, ids=[c[0].__name__ for c in CASES])
def test_composite_gradient(fn, shapes):
    rng = np.random.default_rng(7)
    xs = [rng.uniform(-1.5, 1.5, s) for s in shapes]

    def f(*arrays):
        return fn(lambda p, *a, **k: p(*a, **k), *arrays)

    def vjp(ct):
        t = Tape()
        return t.pullback(fn(t, *xs), ct, xs)

    assert check_vjp(f, vjp, xs, list(range(len(xs))))


def test_cross_entropy_with_a_boolean_mask():
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((4, 3))
    onehot = np.eye(3, dtype=bool)[[0, 2, 1, 2]]

    def vjp(ct):
        t = Tape()
        return t.pullback(cross_entropy(t, logits, onehot), ct, [logits])

    assert check_vjp(lambda x: cross_entropy(lambda p, *a, **k: p(*a, **k), x, onehot), vjp,
                     [logits], [0])
