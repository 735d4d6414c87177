"""Rules for Python's own math: the ``math`` module and the numeric builtins.

Takes: ``math.exp``, ``math.log`` ... and ``abs``, ``float``, ``max``, ``min``,
``sum`` as a compiled function calls them on floats or arrays (``max(seq)`` with one
argument is lowered to ``max_of``). Gives: their
adjoints (and forward rules) in the one table; ``len``, ``range``, ``int``,
``bool`` and rounding are declared without gradient. The ``math`` functions that
mirror a NumPy ufunc (``math.exp``, ``math.sin``, ...) share that ufunc's record in
``elementwise``, so ``math.exp(x)`` differentiates like ``np.exp(x)`` by construction.
Invariant: adjoints use only ``np`` and ``math``, so they stay templates the
compiler can inline.
"""
import builtins
import math

import numpy as np

from .registry import nondifferentiable, rule, tangent


@rule(math.log, wrt=("x",), name="LogBackward0")
def log(g, out, x, base=None):
    return g / x if base is None else g / (x * math.log(base))


@tangent(math.log)
def log_jvp(out, x, base=None, *, dx):
    return dx / x if base is None else dx / (x * math.log(base))


@rule(math.pow, name="PowBackward0")
def pow_(g, out, x, y):
    return g * y * math.pow(x, y - 1), g * out * math.log(x) if x > 0 else 0.0


@tangent(math.pow)
def pow_jvp(out, x, y, dx, dy):
    return dx * y * math.pow(x, y - 1) + (dy * out * math.log(x) if x > 0 else 0.0)


@rule(math.fabs, builtins.abs, name="AbsBackward0")
def abs_(g, out, x):
    return g * np.sign(x)


@tangent(math.fabs, builtins.abs)
def abs_jvp(out, x, dx):
    return dx * np.sign(x)


@rule(builtins.float, name="CopyBackwards")
def float_(g, out, x):
    # float() of a one-element array: the gradient takes the array's shape back.
    return np.reshape(g, np.shape(x)) if np.ndim(x) else g


@tangent(builtins.float)
def float_jvp(out, x, dx):
    return float(np.reshape(dx, ()))


@rule(builtins.max, name="MaximumBackward0")
def max_(g, out, a, b):
    return g * (a >= b), g * (a < b)


@tangent(builtins.max)
def max_jvp(out, a, b, da, db):
    return da * (a >= b) + db * (a < b)


@rule(builtins.min, name="MinimumBackward0")
def min_(g, out, a, b):
    return g * (a <= b), g * (a > b)


@tangent(builtins.min)
def min_jvp(out, a, b, da, db):
    return da * (a <= b) + db * (a > b)


def max_of(iterable):
    """``max(iterable)``: its first largest element."""
    return builtins.max(iterable)


def min_of(iterable):
    """``min(iterable)``: its first smallest element."""
    return builtins.min(iterable)


@rule(max_of, wrt=("iterable",), name="MaxBackward1")
def max_of_adjoint(g, out, iterable):
    # NumPy's argmax, like max(), picks the first of equal maxima.
    k = int(np.argmax(np.asarray(iterable)))
    return (np.where(np.arange(len(iterable)) == k, g, 0.0) if isinstance(iterable, np.ndarray)
            else [0.0] * k + [g] + [0.0] * (len(iterable) - k - 1))


@tangent(max_of)
def max_of_jvp(out, iterable, diterable):
    return diterable[int(np.argmax(np.asarray(iterable)))]


@rule(min_of, wrt=("iterable",), name="MinBackward1")
def min_of_adjoint(g, out, iterable):
    k = int(np.argmin(np.asarray(iterable)))
    return (np.where(np.arange(len(iterable)) == k, g, 0.0) if isinstance(iterable, np.ndarray)
            else [0.0] * k + [g] + [0.0] * (len(iterable) - k - 1))


@tangent(min_of)
def min_of_jvp(out, iterable, diterable):
    return diterable[int(np.argmin(np.asarray(iterable)))]


@rule(builtins.sum, wrt=("iterable",), name="SumBackward0")
def sum_(g, out, iterable, start=0):
    return (np.broadcast_to(g, np.shape(iterable)) if isinstance(iterable, np.ndarray)
            else [g] * len(iterable))


@tangent(builtins.sum)
def sum_jvp(out, iterable, start=0, *, diterable):
    return sum(diterable)


nondifferentiable(builtins.len, builtins.range, builtins.int, builtins.bool, builtins.round,
                  builtins.isinstance, math.floor, math.ceil, math.trunc, builtins.enumerate,
                  builtins.zip, builtins.print, builtins.id, builtins.type, builtins.str)
