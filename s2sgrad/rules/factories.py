"""Rules for array factories whose values depend on float arguments.

Takes: ``full``, ``full_like``, ``linspace``, ``logspace``, ``geomspace`` and
``arange``. Gives: gradients and forward rules for their float arguments (a fill value, the ends
of a range, its step), so ``np.linspace(0, x, 5)`` inside differentiated code
is exact rather than a silent constant. Factories whose values depend on no
float argument (``zeros``, ``ones``, ``eye``, ``*_like`` of an array's shape)
are declared non-differentiable in ``nondiff``.

Invariant: the helpers below are this module's globals, so templates may call
them; ``arange``'s length depends on its arguments but, between jumps, its
values move with ``start`` (all of them) and ``step`` (the k-th by k).
"""
from __future__ import annotations

import numpy as np

from .helpers import unbroadcast_to
from .registry import rule, tangent

__all__ = ["arange_grads", "arange_tangent", "geomspace_grads", "linspace_grads",
           "logspace_base_tangent", "logspace_grads", "logspace_tangent"]


def _fractions(num: int, endpoint: bool, like):
    """t_j of sample j, in ``like``'s float dtype (float32 gradients stay float32)."""
    div = (num - 1) if endpoint else num
    t = np.arange(num) / div if div > 0 else np.zeros(num)
    return t.astype(np.result_type(like, np.float32))


def linspace_grads(g, start, stop, num: int, endpoint: bool, retstep: bool, axis: int) -> tuple:
    """Gradients of ``linspace`` for start and stop: sample j is start + t_j (stop - start)."""
    gstep = None
    if retstep:
        g, gstep = g
    g = np.asarray(g)
    t = _fractions(num, endpoint, g)
    gm = np.moveaxis(g, axis, -1)
    gb = gm @ t
    ga = np.sum(gm, axis=-1) - gb
    if gstep is not None:
        div = (num - 1) if endpoint else num
        ga = ga - gstep / div
        gb = gb + gstep / div
    return unbroadcast_to(ga, np.shape(start)), unbroadcast_to(gb, np.shape(stop))


def logspace_grads(g, out, start, stop, num: int, endpoint: bool, base, axis: int) -> tuple:
    """Gradients of ``logspace`` (base ** linspace(start, stop)) for start, stop, base."""
    gy = g * out
    gbase = None
    if np.ndim(base) == 0 and not isinstance(base, np.ndarray):
        gstart, gstop = linspace_grads(gy * np.log(base), start, stop, num, endpoint, False,
                                       axis)
    else:
        b = np.expand_dims(np.asarray(base), axis)
        gstart, gstop = linspace_grads(gy * np.log(b), start, stop, num, endpoint, False, axis)
        y = np.log(out) / np.log(b)
        gbase = unbroadcast_to(np.sum(gy * y / b, axis=axis), np.shape(base))
    return gstart, gstop, gbase


def geomspace_grads(g, out, start, stop, num: int, endpoint: bool, axis: int) -> tuple:
    """Gradients of ``geomspace``: sample j is start (stop / start) ** t_j."""
    gm = np.moveaxis(np.asarray(g * out), axis, -1)
    t = _fractions(num, endpoint, gm)
    gb = gm @ t
    ga = np.sum(gm, axis=-1) - gb
    return (unbroadcast_to(ga / start, np.shape(start)),
            unbroadcast_to(gb / stop, np.shape(stop)))


def arange_grads(g, start, stop, step) -> tuple:
    """Gradients of ``arange`` for start, stop, step (``arange(n)`` depends on n by jumps)."""
    if stop is None:
        return 0.0, None, None
    total = np.sum(g)
    gstep = None if step is None else np.sum(np.arange(np.size(g)) * g)
    return total, 0.0, gstep


def logspace_tangent(dstart, dstop, out, num: int, endpoint: bool, base, axis: int):
    """The part of ``logspace``'s tangent that start and stop move: out ln(base) dy."""
    lb = np.log(base) if np.ndim(base) == 0 else np.expand_dims(np.log(base), axis)
    return out * lb * np.linspace(dstart, dstop, num=num, endpoint=endpoint, axis=axis)


def logspace_base_tangent(dbase, out, start, stop, num: int, endpoint: bool, base, axis: int):
    """The part of ``logspace``'s tangent that the base moves: out y dbase / base."""
    y = np.linspace(start, stop, num=num, endpoint=endpoint, axis=axis)
    if np.ndim(base) == 0:
        return out * y * (dbase / base)
    return out * y * np.expand_dims(np.divide(dbase, base), axis)


def arange_tangent(dstart, dstep, out, stop, step):
    """Tangent of ``arange``: sample k moves with start (all) and step (by k)."""
    if stop is None:
        return np.zeros(np.shape(out))
    res = np.full(np.shape(out), dstart, dtype=np.float64)
    if step is not None:
        res = res + np.arange(np.size(out)) * dstep
    return res


@rule(np.full, wrt=("fill_value",), broadcast=True, name="FullBackward0")
def full(g, out, shape, fill_value, dtype=None, order="C", device=None, like=None):
    return g


@tangent(np.full)
def full_jvp(out, shape, fill_value, dtype=None, order="C", device=None, like=None, *,
             dfill_value):
    return np.full(np.shape(out), dfill_value, dtype=out.dtype)


@rule(np.full_like, wrt=("fill_value",), broadcast=True, name="FullLikeBackward0")
def full_like(g, out, a, fill_value, dtype=None, order="K", subok=True, shape=None,
              device=None):
    return g


@tangent(np.full_like)
def full_like_jvp(out, a, fill_value, dtype=None, order="K", subok=True, shape=None,
                  device=None, *, dfill_value):
    return np.full(np.shape(out), dfill_value, dtype=out.dtype)


@rule(np.linspace, wrt=("start", "stop"), name="LinspaceBackward0")
def linspace(g, out, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0,
             device=None):
    grads = linspace_grads(g, start, stop, num, endpoint, retstep, axis)
    return grads[0], grads[1]


@tangent(np.linspace)
def linspace_jvp(out, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0,
                 device=None, *, dstart, dstop):
    # linspace is linear in (start, stop).
    return np.linspace(dstart, dstop, num=num, endpoint=endpoint, retstep=retstep, axis=axis)


@rule(np.logspace, wrt=("start", "stop", "base"), name="LogspaceBackward0")
def logspace(g, out, start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    grads = logspace_grads(g, out, start, stop, num, endpoint, base, axis)
    return grads[0], grads[1], grads[2]


@tangent(np.logspace)
def logspace_jvp(out, start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0, *,
                 dstart, dstop, dbase):
    return (logspace_tangent(dstart, dstop, out, num, endpoint, base, axis)
            + logspace_base_tangent(dbase, out, start, stop, num, endpoint, base, axis))


@rule(np.geomspace, wrt=("start", "stop"), name="GeomspaceBackward0")
def geomspace(g, out, start, stop, num=50, endpoint=True, dtype=None, axis=0):
    grads = geomspace_grads(g, out, start, stop, num, endpoint, axis)
    return grads[0], grads[1]


@tangent(np.geomspace)
def geomspace_jvp(out, start, stop, num=50, endpoint=True, dtype=None, axis=0, *, dstart,
                  dstop):
    # log|out| = linspace(log|start|, log|stop|), so d out = out * linspace(dstart/start, ...).
    return out * np.linspace(np.divide(dstart, start), np.divide(dstop, stop), num=num,
                             endpoint=endpoint, axis=axis)


@rule(np.arange, wrt=("start", "stop", "step"), name="ArangeBackward0")
def arange(g, out, start, stop=None, step=None, dtype=None, device=None, like=None):
    grads = arange_grads(g, start, stop, step)
    return grads[0], grads[1], grads[2]


@tangent(np.arange)
def arange_jvp(out, start, stop=None, step=None, dtype=None, device=None, like=None, *, dstart,
               dstop, dstep):
    return arange_tangent(dstart, dstep, out, stop, step)
