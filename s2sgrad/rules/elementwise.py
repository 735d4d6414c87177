"""Rules for elementwise math: exp, log, trigonometry, maximum, where, clip, ...

Takes: NumPy's elementwise ufuncs and functions (one input, or two that
broadcast). Gives: their adjoints in the one table, named like PyTorch's graph
nodes. Binary ones are declared ``broadcast=True``: they return gradients of
the broadcast shape and the drivers sum them back to each input's shape.

Invariants:
* Each adjoint reads the output where that is cheaper than recomputing
  (``exp``, ``tanh``, ``sqrt``), so the runtime saves only what it reads.
* Constants are Python floats (weak under NumPy's promotion rules), so a
  float32 gradient stays float32.
* Kinks follow PyTorch (SEMANTICS 3.12): ``abs`` has gradient 0 at 0,
  ``clip`` gradient 1 on its boundary, ``maximum``/``minimum`` split ties
  evenly, ``fmax``/``fmin`` send a tie to their first argument.
* Piecewise-constant functions (``sign``, ``floor``, ``ceil``, ``round``,
  ``rint``, ``trunc``, ``fix``) are rules with a zero gradient, as in PyTorch
  (``x.round()`` has ``grad_fn=<RoundBackward0>``), not non-differentiable
  declarations: their outputs keep requiring grad.
"""
import math

import numpy as np

from .elementwise_helpers import clip_grads, sinc_slope
from .registry import rule, tangent

LN2 = math.log(2.0)
LN10 = math.log(10.0)
DEG = math.pi / 180.0


# ---------------------------------------------------------------- exponentials and logs

@rule(np.exp, math.exp, name="ExpBackward0")
def exp(g, out, x):
    return g * out


@tangent(np.exp, math.exp)
def exp_jvp(out, x, dx):
    return dx * out


@rule(np.exp2, name="Exp2Backward0")
def exp2(g, out, x):
    return g * out * LN2


@tangent(np.exp2)
def exp2_jvp(out, x, dx):
    return dx * out * LN2


@rule(np.expm1, math.expm1, name="Expm1Backward0")
def expm1(g, out, x):
    return g * (out + 1.0)


@tangent(np.expm1, math.expm1)
def expm1_jvp(out, x, dx):
    return dx * (out + 1.0)


@rule(np.log, name="LogBackward0")
def log(g, out, x):
    return g / x


@tangent(np.log)
def log_jvp(out, x, dx):
    return dx / x


@rule(np.log2, math.log2, name="Log2Backward0")
def log2(g, out, x):
    return g / (x * LN2)


@tangent(np.log2, math.log2)
def log2_jvp(out, x, dx):
    return dx / (x * LN2)


@rule(np.log10, math.log10, name="Log10Backward0")
def log10(g, out, x):
    return g / (x * LN10)


@tangent(np.log10, math.log10)
def log10_jvp(out, x, dx):
    return dx / (x * LN10)


@rule(np.log1p, math.log1p, name="Log1PBackward0")
def log1p(g, out, x):
    return g / (x + 1.0)


@tangent(np.log1p, math.log1p)
def log1p_jvp(out, x, dx):
    return dx / (x + 1.0)


@rule(np.sqrt, math.sqrt, name="SqrtBackward0")
def sqrt(g, out, x):
    # inf at 0, as PyTorch measures.
    return g / (2 * out)


@tangent(np.sqrt, math.sqrt)
def sqrt_jvp(out, x, dx):
    return dx / (2 * out)


@rule(np.cbrt, name="CbrtBackward0")
def cbrt(g, out, x):
    return g / (3.0 * out * out)


@tangent(np.cbrt)
def cbrt_jvp(out, x, dx):
    return dx / (3.0 * out * out)


# ---------------------------------------------------------------- trigonometric

@rule(np.sin, math.sin, name="SinBackward0")
def sin(g, out, x):
    return g * np.cos(x)


@tangent(np.sin, math.sin)
def sin_jvp(out, x, dx):
    return dx * np.cos(x)


@rule(np.cos, math.cos, name="CosBackward0")
def cos(g, out, x):
    return -g * np.sin(x)


@tangent(np.cos, math.cos)
def cos_jvp(out, x, dx):
    return -dx * np.sin(x)


@rule(np.tan, math.tan, name="TanBackward0")
def tan(g, out, x):
    return g * (1.0 + out * out)


@tangent(np.tan, math.tan)
def tan_jvp(out, x, dx):
    return dx * (1.0 + out * out)


@rule(np.arcsin, math.asin, name="AsinBackward0")
def arcsin(g, out, x):
    return g / np.sqrt(1.0 - x * x)


@tangent(np.arcsin, math.asin)
def arcsin_jvp(out, x, dx):
    return dx / np.sqrt(1.0 - x * x)


@rule(np.arccos, math.acos, name="AcosBackward0")
def arccos(g, out, x):
    return -g / np.sqrt(1.0 - x * x)


@tangent(np.arccos, math.acos)
def arccos_jvp(out, x, dx):
    return -dx / np.sqrt(1.0 - x * x)


@rule(np.arctan, math.atan, name="AtanBackward0")
def arctan(g, out, x):
    return g / (1.0 + x * x)


@tangent(np.arctan, math.atan)
def arctan_jvp(out, x, dx):
    return dx / (1.0 + x * x)


@rule(np.arctan2, broadcast=True, name="Atan2Backward0")
def arctan2(g, out, y, x):
    s = g / (x * x + y * y)
    return s * x, -s * y


@tangent(np.arctan2)
def arctan2_jvp(out, y, x, dy, dx):
    return dy * x / (x * x + y * y) - dx * y / (x * x + y * y)


@rule(np.hypot, broadcast=True, name="HypotBackward0")
def hypot(g, out, x, y):
    s = g / out
    return s * x, s * y


@tangent(np.hypot)
def hypot_jvp(out, x, y, dx, dy):
    return dx * x / out + dy * y / out


@rule(np.sinc, name="SincBackward0")
def sinc(g, out, x):
    return g * sinc_slope(x, out)


@tangent(np.sinc)
def sinc_jvp(out, x, dx):
    return dx * sinc_slope(x, out)


@rule(np.deg2rad, np.radians, name="Deg2RadBackward0")
def deg2rad(g, out, x):
    return g * DEG


@tangent(np.deg2rad, np.radians)
def deg2rad_jvp(out, x, dx):
    return dx * DEG


@rule(np.rad2deg, np.degrees, name="Rad2DegBackward0")
def rad2deg(g, out, x):
    return g / DEG


@tangent(np.rad2deg, np.degrees)
def rad2deg_jvp(out, x, dx):
    return dx / DEG


# ---------------------------------------------------------------- hyperbolic

@rule(np.sinh, math.sinh, name="SinhBackward0")
def sinh(g, out, x):
    return g * np.cosh(x)


@tangent(np.sinh, math.sinh)
def sinh_jvp(out, x, dx):
    return dx * np.cosh(x)


@rule(np.cosh, math.cosh, name="CoshBackward0")
def cosh(g, out, x):
    return g * np.sinh(x)


@tangent(np.cosh, math.cosh)
def cosh_jvp(out, x, dx):
    return dx * np.sinh(x)


@rule(np.tanh, math.tanh, name="TanhBackward0")
def tanh(g, out, x):
    return g * (1 - out * out)


@tangent(np.tanh, math.tanh)
def tanh_jvp(out, x, dx):
    return dx * (1 - out * out)


@rule(np.arcsinh, name="AsinhBackward0")
def arcsinh(g, out, x):
    return g / np.sqrt(x * x + 1.0)


@tangent(np.arcsinh)
def arcsinh_jvp(out, x, dx):
    return dx / np.sqrt(x * x + 1.0)


@rule(np.arccosh, name="AcoshBackward0")
def arccosh(g, out, x):
    return g / np.sqrt(x * x - 1.0)


@tangent(np.arccosh)
def arccosh_jvp(out, x, dx):
    return dx / np.sqrt(x * x - 1.0)


@rule(np.arctanh, name="AtanhBackward0")
def arctanh(g, out, x):
    return g / (1.0 - x * x)


@tangent(np.arctanh)
def arctanh_jvp(out, x, dx):
    return dx / (1.0 - x * x)


# ---------------------------------------------------------------- kinks and steps

@rule(np.abs, np.absolute, name="AbsBackward0")
def abs_(g, out, x):
    return g * np.sign(x)


@tangent(np.abs, np.absolute)
def abs_jvp(out, x, dx):
    return dx * np.sign(x)


@rule(np.sign, name="SignBackward0")
def sign(g, out, x):
    return np.zeros_like(g)


@tangent(np.sign)
def sign_jvp(out, x, dx):
    return np.zeros_like(dx)


@rule(np.floor, name="FloorBackward0")
def floor(g, out, x):
    return np.zeros_like(g)


@tangent(np.floor)
def floor_jvp(out, x, dx):
    return np.zeros_like(dx)


@rule(np.ceil, name="CeilBackward0")
def ceil(g, out, x):
    return np.zeros_like(g)


@tangent(np.ceil)
def ceil_jvp(out, x, dx):
    return np.zeros_like(dx)


@rule(np.trunc, np.fix, name="TruncBackward0")
def trunc(g, out, x):
    return np.zeros_like(g)


@tangent(np.trunc, np.fix)
def trunc_jvp(out, x, dx):
    return np.zeros_like(dx)


@rule(np.rint, name="RoundBackward0")
def rint(g, out, x):
    return np.zeros_like(g)


@tangent(np.rint)
def rint_jvp(out, x, dx):
    return np.zeros_like(dx)


@rule(np.round, np.around, wrt=("a",), name="RoundBackward0")
def round_(g, out, a, decimals=0, out_=None):
    return np.zeros_like(g)


@tangent(np.round, np.around)
def round_jvp(out, a, decimals=0, out_=None, *, da):
    return np.zeros_like(da)


@rule(np.maximum, broadcast=True, name="MaximumBackward0")
def maximum(g, out, x, y):
    # A tie sends half the gradient to each side (PyTorch's maximum).
    half = np.where(x == y, g * 0.5, g)
    return np.where(x < y, 0.0, half), np.where(x > y, 0.0, half)


@tangent(np.maximum)
def maximum_jvp(out, x, y, dx, dy):
    return (np.where(x < y, 0.0, np.where(x == y, dx * 0.5, dx))
            + np.where(x > y, 0.0, np.where(x == y, dy * 0.5, dy)))


@rule(np.minimum, broadcast=True, name="MinimumBackward0")
def minimum(g, out, x, y):
    half = np.where(x == y, g * 0.5, g)
    return np.where(x > y, 0.0, half), np.where(x < y, 0.0, half)


@tangent(np.minimum)
def minimum_jvp(out, x, y, dx, dy):
    return (np.where(x > y, 0.0, np.where(x == y, dx * 0.5, dx))
            + np.where(x < y, 0.0, np.where(x == y, dy * 0.5, dy)))


@rule(np.fmax, broadcast=True, name="FmaxBackward0")
def fmax(g, out, x, y):
    # The first argument wins ties and NaNs in the second (PyTorch's fmax).
    first = (x >= y) | np.isnan(y)
    return np.where(first, g, 0.0), np.where(first, 0.0, g)


@tangent(np.fmax)
def fmax_jvp(out, x, y, dx, dy):
    return np.where((x >= y) | np.isnan(y), dx, 0.0) + np.where((x >= y) | np.isnan(y), 0.0, dy)


@rule(np.fmin, broadcast=True, name="FminBackward0")
def fmin(g, out, x, y):
    first = (x <= y) | np.isnan(y)
    return np.where(first, g, 0.0), np.where(first, 0.0, g)


@tangent(np.fmin)
def fmin_jvp(out, x, y, dx, dy):
    return np.where((x <= y) | np.isnan(y), dx, 0.0) + np.where((x <= y) | np.isnan(y), 0.0, dy)


@rule(np.clip, wrt=("a", "a_min", "a_max", "min", "max"), broadcast=True,
      name="ClampBackward1")
def clip(g, out, a, a_min=None, a_max=None, out_=None, min=None, max=None):
    # Gradient 1 on the boundary itself (PyTorch's clamp); array bounds get the rest.
    grads = clip_grads(g, a, min if a_min is None else a_min, max if a_max is None else a_max)
    return (grads[0], None if a_min is None else grads[1], None if a_max is None else grads[2],
            None if min is None else grads[1], None if max is None else grads[2])


@tangent(np.clip)
def clip_jvp(out, a, a_min=None, a_max=None, out_=None, min=None, max=None, *, da, da_min,
             da_max, dmin, dmax):
    lo = min if a_min is None else a_min
    hi = max if a_max is None else a_max
    return (clip_grads(da, a, lo, hi)[0] + clip_grads(da_min, a, lo, hi)[1]
            + clip_grads(da_max, a, lo, hi)[2] + clip_grads(dmin, a, lo, hi)[1]
            + clip_grads(dmax, a, lo, hi)[2])


@rule(np.where, wrt=("x", "y"), broadcast=True, name="WhereBackward0")
def where(g, out, condition, x=None, y=None):
    return np.where(condition, g, 0.0), np.where(condition, 0.0, g)


@tangent(np.where)
def where_jvp(out, condition, x=None, y=None, *, dx, dy):
    return np.where(condition, dx, 0.0) + np.where(condition, 0.0, dy)


# ---------------------------------------------------------------- binary arithmetic

@rule(np.logaddexp, broadcast=True, name="LogaddexpBackward0")
def logaddexp(g, out, x, y):
    return g * np.exp(x - out), g * np.exp(y - out)


@tangent(np.logaddexp)
def logaddexp_jvp(out, x, y, dx, dy):
    return dx * np.exp(x - out) + dy * np.exp(y - out)


@rule(np.logaddexp2, broadcast=True, name="Logaddexp2Backward0")
def logaddexp2(g, out, x, y):
    return g * np.exp2(x - out), g * np.exp2(y - out)


@tangent(np.logaddexp2)
def logaddexp2_jvp(out, x, y, dx, dy):
    return dx * np.exp2(x - out) + dy * np.exp2(y - out)


@rule(np.float_power, broadcast=True, name="PowBackward1")
def float_power(g, out, x, y):
    # Same as power, computed in float64 as float_power is; d/dy is 0 where x == 0.
    gx = g * y * np.float_power(x, y - 1)
    gy = g * out * np.log(np.where(x > 0, x, 1.0))
    return gx, gy


@tangent(np.float_power)
def float_power_jvp(out, x, y, dx, dy):
    return dx * y * np.float_power(x, y - 1) + dy * out * np.log(np.where(x > 0, x, 1.0))


@rule(np.fmod, broadcast=True, name="FmodBackward1")
def fmod(g, out, x, y):
    # fmod(x, y) = x - trunc(x / y) * y, piecewise linear in both arguments.
    return g, -g * np.trunc(x / y)


@tangent(np.fmod)
def fmod_jvp(out, x, y, dx, dy):
    return dx - dy * np.trunc(x / y)


@rule(np.remainder, name="RemainderBackward1", broadcast=True)
def remainder(g, out, x, y):
    # remainder(x, y) = x - floor(x / y) * y (np.mod is the same ufunc).
    return g, -g * np.floor(x / y)



@tangent(np.remainder)
def remainder_jvp(out, x, y, dx, dy):
    return dx - dy * np.floor(x / y)
