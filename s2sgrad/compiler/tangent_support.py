"""Small functions generated tangent code calls, each with its own rules.

Takes: primal values and tangents. Gives: zero tangents shaped like a value
(containers get containers of zeros), owned copies of tangents that code writes
into, tangents broadcast to an output's shape, and a gradient put in an input's
shape and kind (the functional API's convention).
Invariant: every helper here, and every helper the reverse compiler's output
calls (``support``'s accumulation, fill and metadata helpers), has an adjoint
and a tangent in the one rule table, so generated code differentiates again:
``jvp`` through a compiled gradient (forward over reverse) and through a
compiled tangent (forward over forward).
"""
from __future__ import annotations

import numpy as np

from ..rules.helpers import unbroadcast, unbroadcast_to, zeros_of
from ..rules.registry import lookup, nondifferentiable, rule, tangent
from . import support

__all__ = ["as_input_kind", "broadcast_tangent", "own_tangent", "seed_like", "zero_tangent"]


def zero_tangent(v):
    """The zero tangent of ``v``: float zeros of its shape; a container of zeros."""
    if isinstance(v, np.ndarray):
        return np.zeros(v.shape, v.dtype if v.dtype.kind in "fc" else np.float64)
    if isinstance(v, list):
        return [zero_tangent(e) for e in v]
    if isinstance(v, tuple):
        return tuple(zero_tangent(e) for e in v)
    if isinstance(v, dict):
        return {k: zero_tangent(e) for k, e in v.items()}
    if v is None:
        return None
    return 0.0


def seed_like(out):
    """Ones shaped like ``out`` (a tuple of them for a tuple): the cotangent of a sum."""
    if isinstance(out, tuple):
        return tuple(seed_like(o) for o in out)
    return np.ones_like(out) if isinstance(out, np.ndarray) else 1.0


nondifferentiable(zero_tangent, seed_like, zeros_of, support.empty_adjoint)


def own_tangent(t):
    """A writable copy of the array tangent ``t`` (code is about to write into it)."""
    if isinstance(t, np.ndarray):
        return np.array(t)
    return t


@rule(own_tangent, name="CloneBackward0")
def own_tangent_adjoint(g, out, t):
    return g


@tangent(own_tangent)
def own_tangent_jvp(out, t, dt):
    return own_tangent(dt)


def broadcast_tangent(dt, t):
    """``dt`` broadcast to the shape of ``t`` (a tangent that lost a broadcast term)."""
    return np.broadcast_to(dt, np.shape(t)) if np.shape(dt) != np.shape(t) else dt


@rule(broadcast_tangent, wrt=("dt",), name="ExpandBackward0")
def broadcast_tangent_adjoint(g, out, dt, t):
    return unbroadcast(g, dt)


@tangent(broadcast_tangent)
def broadcast_tangent_jvp(out, dt, t, ddt):
    return broadcast_tangent(ddt, t)


def as_input_kind(g, x):
    """Gradient ``g`` in the shape and kind of the input ``x`` (None is zero)."""
    if g is None:
        return zero_tangent(x)
    if isinstance(x, np.ndarray):
        return np.broadcast_to(g, x.shape).copy() if np.shape(g) != x.shape else g
    return float(np.sum(g))


@rule(as_input_kind, wrt=("g_",), name="ToCopyBackward0")
def as_input_kind_adjoint(g, out, g_, x):
    # Named g_ because g is the cotangent; the input gradient is summed or broadcast back.
    return (None if g_ is None else np.broadcast_to(g, np.shape(g_)) if np.ndim(g) == 0
            else unbroadcast_to(g, np.shape(g_)))


@tangent(as_input_kind)
def as_input_kind_jvp(out, g_, x, dg_):
    return as_input_kind(dg_, x)


# ---------------------------------------------------------------- the reverse compiler's helpers
# Their adjoints are registered here unless the table already has them.

def _rule_once(primal, **kw):
    def register(adjoint):
        return adjoint if lookup(primal) is not None else rule(primal, **kw)(adjoint)
    return register


@_rule_once(support.add, name="AddBackward0")
def add_adjoint(g, out, a, b):
    # ``add(a, b)`` with None for zero: a None operand gets no gradient.
    return (None if a is None else g), (None if b is None else g)


@tangent(support.add)
def add_jvp(out, a, b, da, db):
    return support.add(da, db)


@_rule_once(support.acc_seq, name="AddBackward0")
def acc_seq_adjoint(g, out, b, gs):
    return (None if b is None else g), g


@tangent(support.acc_seq)
def acc_seq_jvp(out, b, gs, db, dgs):
    return support.acc_seq(db, dgs)


@_rule_once(support.fill, wrt=("bt",), name="CloneBackward0")
def fill_adjoint(g, out, bt, t):
    return g


@tangent(support.fill)
def fill_jvp(out, bt, t, dbt):
    return support.fill(dbt, t)


@_rule_once(support.meta, name="CloneBackward0")
def meta_adjoint(g, out, x):
    return g


@tangent(support.meta)
def meta_jvp(out, x, dx):
    # Where only metadata is kept the values are never read, so neither is the tangent.
    return support.meta(dx)
