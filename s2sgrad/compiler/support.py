"""Small functions generated code calls for containers and zero handling.

Takes: primal values and adjoints. Gives: container adjoints (a list, or a
dict, with None for "no gradient yet") and their accumulation.
Invariant: pure functions of their arguments, so an adjoint that calls them can
itself be transformed again; none is called on the hot path of array code.
"""
from __future__ import annotations

import math

import numpy as np

from ..rules.helpers import ArrayMeta, unbroadcast, zeros_of

__all__ = ["ArrayMeta", "acc_seq", "add", "empty_adjoint", "fill", "meta", "peek", "put_back",
           "spread", "unbroadcast", "zeros_of"]


def empty_adjoint(c):
    """A fresh container adjoint for the list, tuple or dict ``c``."""
    return dict.fromkeys(c) if isinstance(c, dict) else [None] * len(c)


_ABSENT = object()     # what ``peek`` saves for a dict key that does not exist yet


def peek(c, k):
    """``c[k]`` before a container write overwrites it (a marker for a new dict key)."""
    if isinstance(c, dict) and k not in c:
        return _ABSENT
    return c[k]


def put_back(c, k, v) -> None:
    """Undo a container write: restore what ``peek`` saved (remove a key it added)."""
    if v is _ABSENT:
        del c[k]
    else:
        c[k] = v


def add(a, b):
    """``a + b`` where either may be None (no gradient)."""
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def acc_seq(b, gs):
    """Elementwise ``b + gs`` for container adjoints (None is zero)."""
    if b is None:
        return list(gs) if not isinstance(gs, dict) else dict(gs)
    keys = gs.keys() if isinstance(gs, dict) else range(len(gs))
    for k in keys:
        b[k] = add(b[k], gs[k])
    return b


def fill(bt, t):
    """A tuple adjoint with zeros where an element has no gradient (multi-output rules)."""
    return tuple(zeros_of(np.asarray(v) if not isinstance(v, float) else v) if g is None else g
                 for g, v in zip(bt, t))



def meta(x):
    """What to save of ``x`` when the adjoint needs only its metadata."""
    # Small arrays cost nothing to keep; big ones are freed as soon as the forward ends.
    return ArrayMeta(x) if type(x) is np.ndarray and x.size > 256 else x


_SPREAD_VIEW = 1 << 15


def spread(g, shape: tuple):
    """A full reduction's cotangent ``g`` seen with the reduced input's ``shape``.

    Large shapes get a read-only broadcast view (no array of that size is written);
    small ones a fresh array, because building a view costs microseconds there.
    Only arithmetic may read the result (``optimize.broadcast_views`` checks that).
    """
    if math.prod(shape) < _SPREAD_VIEW:
        return np.full(shape, g)
    return np.broadcast_to(g, shape)
