"""Rules for Python's own math: the ``math`` module and the numeric builtins.

Takes: ``math.exp``, ``math.log`` ... and ``abs``, ``float``, ``max``, ``min``,
``sum`` as a compiled function calls them on floats or arrays. Gives: their
adjoints (and forward rules) in the one table, so ``math.exp(x)`` differentiates like ``np.exp(x)``;
``len``, ``range``, ``int``, ``bool`` and rounding are declared without gradient.
Invariant: adjoints use only ``np`` and ``math``, so they stay templates the
compiler can inline.
"""
import builtins
import math

import numpy as np

from .registry import nondifferentiable, rule, tangent


@rule(math.exp, name="ExpBackward0")
def exp(g, out, x):
    return g * out


@tangent(math.exp)
def exp_jvp(out, x, dx):
    return dx * out


@rule(math.expm1, name="Expm1Backward0")
def expm1(g, out, x):
    return g * (out + 1)


@tangent(math.expm1)
def expm1_jvp(out, x, dx):
    return dx * (out + 1)


@rule(math.log, wrt=("x",), name="LogBackward0")
def log(g, out, x, base=None):
    return g / x if base is None else g / (x * math.log(base))


@tangent(math.log)
def log_jvp(out, x, base=None, *, dx):
    return dx / x if base is None else dx / (x * math.log(base))


@rule(math.log1p, name="Log1PBackward0")
def log1p(g, out, x):
    return g / (1 + x)


@tangent(math.log1p)
def log1p_jvp(out, x, dx):
    return dx / (1 + x)


@rule(math.log2, name="Log2Backward0")
def log2(g, out, x):
    return g / (x * math.log(2))


@tangent(math.log2)
def log2_jvp(out, x, dx):
    return dx / (x * math.log(2))


@rule(math.log10, name="Log10Backward0")
def log10(g, out, x):
    return g / (x * math.log(10))


@tangent(math.log10)
def log10_jvp(out, x, dx):
    return dx / (x * math.log(10))


@rule(math.sqrt, name="SqrtBackward0")
def sqrt(g, out, x):
    return g / (2 * out)


@tangent(math.sqrt)
def sqrt_jvp(out, x, dx):
    return dx / (2 * out)


@rule(math.sin, name="SinBackward0")
def sin(g, out, x):
    return g * math.cos(x)


@tangent(math.sin)
def sin_jvp(out, x, dx):
    return dx * math.cos(x)


@rule(math.cos, name="CosBackward0")
def cos(g, out, x):
    return -g * math.sin(x)


@tangent(math.cos)
def cos_jvp(out, x, dx):
    return -dx * math.sin(x)


@rule(math.tan, name="TanBackward0")
def tan(g, out, x):
    return g * (1 + out * out)


@tangent(math.tan)
def tan_jvp(out, x, dx):
    return dx * (1 + out * out)


@rule(math.tanh, name="TanhBackward0")
def tanh(g, out, x):
    return g * (1 - out * out)


@tangent(math.tanh)
def tanh_jvp(out, x, dx):
    return dx * (1 - out * out)


@rule(math.sinh, name="SinhBackward0")
def sinh(g, out, x):
    return g * math.cosh(x)


@tangent(math.sinh)
def sinh_jvp(out, x, dx):
    return dx * math.cosh(x)


@rule(math.cosh, name="CoshBackward0")
def cosh(g, out, x):
    return g * math.sinh(x)


@tangent(math.cosh)
def cosh_jvp(out, x, dx):
    return dx * math.sinh(x)


@rule(math.atan, name="AtanBackward0")
def atan(g, out, x):
    return g / (1 + x * x)


@tangent(math.atan)
def atan_jvp(out, x, dx):
    return dx / (1 + x * x)


@rule(math.asin, name="AsinBackward0")
def asin(g, out, x):
    return g / math.sqrt(1 - x * x)


@tangent(math.asin)
def asin_jvp(out, x, dx):
    return dx / math.sqrt(1 - x * x)


@rule(math.acos, name="AcosBackward0")
def acos(g, out, x):
    return -g / math.sqrt(1 - x * x)


@tangent(math.acos)
def acos_jvp(out, x, dx):
    return -dx / math.sqrt(1 - x * x)


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
