"""Rules for ``torch.special`` functions NumPy lacks: lgamma, digamma, polygamma, entr,
xlog1py, i0, i1, ndtri, log_ndtr, written without SciPy.

Takes nothing; gives plain NumPy functions, their adjoints under PyTorch's node names
and their forward rules. ``digamma`` shifts the argument up by the recurrence
psi(x) = psi(x + 1) - 1/x until it is >= 10, then sums the asymptotic series (error below
1e-14); arguments below 1/2 use the reflection formula. ``polygamma`` (order n >= 1)
shifts every argument up the same way; each order's rule is the next order. ``i1`` is
the power series (all terms one sign: no cancellation), ``i0``'s rule. Poles follow
PyTorch: digamma(0) = -inf, NaN at the negative integers; lgamma is +inf at every pole.
Invariant: adjoints are template-safe; float32 in gives float32 out.
"""
import math

import numpy as np

from .registry import rule, tangent
from .torch_extra import _float_of, erfc, erfinv

SQRT_2PI = math.sqrt(2 * math.pi)
LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _lgamma1(v):
    try:
        return math.lgamma(v)
    except ValueError:              # a pole
        return math.inf


_LGAMMA = np.frompyfunc(_lgamma1, 1, 1)


def lgamma(x):
    a = np.asarray(x)
    return np.asarray(_LGAMMA(a), np.float64).astype(_float_of(a), copy=False)


def _shifted(a, step):
    """``(z >= 10, sum of step(z) over the shifts)`` for ``z = max(a, 1 - a)``-side input."""
    z, acc = a, np.zeros_like(a)
    for _ in range(10):
        low = z < 10
        acc = acc + np.where(low, step(z), 0.0)
        z = np.where(low, z + 1, z)
    return z, acc


def digamma(x):
    a = np.asarray(x, np.float64)
    with np.errstate(all="ignore"):
        refl = a < 0.5
        z, acc = _shifted(np.where(refl, 1 - a, a), lambda z: -1 / z)
        w = 1 / (z * z)
        res = np.log(z) - 0.5 / z - w * (1 / 12 - w * (1 / 120 - w * (1 / 252 - w * (
            1 / 240 - w * (1 / 132 - w * 691 / 32760))))) + acc
        res = np.where(refl, res - np.pi / np.tan(np.pi * a), res)
        res = np.where(a == 0, -np.inf, np.where((a < 0) & (a == np.floor(a)), np.nan, res))
    return res.astype(_float_of(x), copy=False)


def polygamma(n, x):
    """The n-th derivative of digamma (n >= 1): the recurrence
    psi_n(x) = psi_n(x + 1) - (-1)^n n! / x^(n+1) up to x >= 10, then the asymptotic
    series (-1)^(n+1) [(n-1)!/x^n + n!/(2 x^(n+1)) + sum B_2k (2k+n-1)!/((2k)! x^(2k+n))]."""
    a = np.asarray(x, np.float64)
    n = int(n)
    fact = math.factorial(n)
    with np.errstate(all="ignore"):
        z, acc = a, np.zeros_like(a)
        for _ in range(10 + int(max(0.0, -np.min(a, initial=0.0)))):
            low = z < 10
            acc = acc + np.where(low, (-1) ** n * fact / z ** (n + 1), 0.0)
            z = np.where(low, z + 1, z)
        series = math.factorial(n - 1) / z ** n + fact / (2 * z ** (n + 1))
        for k, b in enumerate((1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6),
                              start=1):
            series = series + b * math.factorial(2 * k + n - 1) / (
                math.factorial(2 * k) * z ** (2 * k + n))
        res = (-1) ** (n + 1) * series - acc
        res = np.where((a <= 0) & (a == np.floor(a)), np.nan, res)
    return res.astype(_float_of(x), copy=False)


@rule(polygamma, wrt=("x",), name="PolygammaBackward0")
def polygamma_adjoint(g, out, n, x):
    return g * polygamma(n + 1, x)


@tangent(polygamma)
def polygamma_jvp(out, n, x, dx):
    return dx * polygamma(n + 1, x)


@rule(lgamma, name="LgammaBackward0")
def lgamma_adjoint(g, out, x):
    return g * digamma(x)


@tangent(lgamma)
def lgamma_jvp(out, x, dx):
    return dx * digamma(x)


@rule(digamma, name="DigammaBackward0")
def digamma_adjoint(g, out, x):
    return g * polygamma(1, x)


@tangent(digamma)
def digamma_jvp(out, x, dx):
    return dx * polygamma(1, x)


def entr(x):
    """``-x log x``; 0 at 0, -inf below."""
    a = np.asarray(x)
    with np.errstate(all="ignore"):
        r = np.where(a > 0, -a * np.log(a), np.where(a == 0, 0.0, -np.inf))
    return np.where(np.isnan(a), np.nan, r).astype(_float_of(a), copy=False)


@rule(entr, name="SpecialEntrBackward0")
def entr_adjoint(g, out, x):
    return g * -(1 + np.log(x))


@tangent(entr)
def entr_jvp(out, x, dx):
    return dx * -(1 + np.log(x))


def xlog1py(x, y):
    """``x * log1p(y)``, 0 where ``x == 0`` unless ``y`` is NaN."""
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(np.asarray(x) == 0, 0.0, np.multiply(x, np.log1p(y)))
    return np.where(np.isnan(y), np.nan, r).astype(np.result_type(x, y, np.float16),
                                                   copy=False)


@rule(xlog1py, broadcast=True, name="SpecialXlog1PyBackward0")
def xlog1py_adjoint(g, out, x, y):
    return g * np.where(x == 0, 0.0, np.log1p(y)), g * x / (1 + y)


@tangent(xlog1py)
def xlog1py_jvp(out, x, y, dx, dy):
    return dx * np.where(x == 0, 0.0, np.log1p(y)) + dy * x / (1 + y)


def i0(x):
    a = np.asarray(x)
    return np.asarray(np.i0(a), np.float64).astype(_float_of(a), copy=False)


def i1(x):
    """The modified Bessel function of the first kind, order 1: sum (x/2)^(2k+1)/(k!(k+1)!)."""
    a = np.asarray(x, np.float64)
    h = a / 2
    term, total = h, h
    for k in range(1, 40 + int(np.max(np.abs(a), initial=0.0))):
        term = term * h * h / (k * (k + 1))
        total = total + term
    return total.astype(_float_of(x), copy=False)


@rule(i1, name="SpecialI1Backward0")
def i1_adjoint(g, out, x):
    # I1' = I0 - I1 / x, which is 1/2 at 0.
    return g * np.where(x == 0, 0.5, i0(x) - out / np.where(x == 0, 1.0, x))


@tangent(i1)
def i1_jvp(out, x, dx):
    return dx * np.where(x == 0, 0.5, i0(x) - out / np.where(x == 0, 1.0, x))


@rule(i0, name="I0Backward0")
def i0_adjoint(g, out, x):
    return g * i1(x)


@tangent(i0)
def i0_jvp(out, x, dx):
    return dx * i1(x)


def ndtri(p):
    """The standard normal quantile: sqrt(2) erfinv(2p - 1)."""
    a = np.asarray(p)
    return (math.sqrt(2) * np.asarray(erfinv(2 * a - 1), np.float64)).astype(
        _float_of(a), copy=False)


@rule(ndtri, name="SpecialNdtriBackward0")
def ndtri_adjoint(g, out, p):
    return g * (SQRT_2PI * np.exp(out * out / 2))


@tangent(ndtri)
def ndtri_jvp(out, p, dp):
    return dp * (SQRT_2PI * np.exp(out * out / 2))


def log_ndtr(x):
    """log Phi(x): from erfc (log1p above 0) down to x = -20, the tail's asymptotic series
    below."""
    a = np.asarray(x, np.float64)
    with np.errstate(all="ignore"):
        direct = np.log(0.5 * np.asarray(erfc(-a / math.sqrt(2)), np.float64))
        # Above 0, log(1 - Q) with Q = Phi(-x) small: log1p keeps its digits.
        upper = np.log1p(-0.5 * np.asarray(erfc(a / math.sqrt(2)), np.float64))
        direct = np.where(a > 0, upper, direct)
        w = 1 / (a * a)
        series, term = np.ones_like(a), np.ones_like(a)
        for k in range(1, 10):
            term = -term * (2 * k - 1) * w
            series = series + term
        tail = -a * a / 2 - np.log(-a) - LOG_SQRT_2PI + np.log(series)
        res = np.where(a < -20, tail, direct)
    return res.astype(_float_of(x), copy=False)


@rule(log_ndtr, name="SpecialLogNdtrBackward0")
def log_ndtr_adjoint(g, out, x):
    return g * np.exp(-x * x / 2 - out) / SQRT_2PI


@tangent(log_ndtr)
def log_ndtr_jvp(out, x, dx):
    return dx * np.exp(-x * x / 2 - out) / SQRT_2PI
