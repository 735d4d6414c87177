"""Activations: ``leaky_relu``, ``gelu``, ``silu``, ``elu``, ``softplus`` and their adjoints.

Takes: an input array and PyTorch's options (slope, ``approximate``, ``alpha``,
``beta``/``threshold``). Gives: what ``torch.nn.functional`` computes, in the input's
float dtype, and gradients with PyTorch's choices at the kinks: ``leaky_relu`` and
``elu`` take their negative branch at 0 (slope ``negative_slope``, ``alpha``);
``softplus`` is the identity (slope 1) where ``beta * x > threshold``.
Invariant: no branch is evaluated where it could overflow (``elu`` and ``softplus``
exponentiate only non-positive or thresholded arguments).
"""
from __future__ import annotations

import math

import numpy as np

from ..registry import rule, tangent
from ..torchlike import erf, sigmoid

SQRT1_2 = math.sqrt(0.5)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
TANH_K = math.sqrt(2.0 / math.pi)
TANH_C = 0.044715


def leaky_relu(input, negative_slope=0.01):
    """``x`` where ``x > 0``, else ``negative_slope * x``."""
    return np.where(input > 0, input, input * negative_slope)


@rule(leaky_relu, wrt=("input",), name="LeakyReluBackward0")
def leaky_relu_adjoint(g, out, input, negative_slope=0.01):
    return np.where(input > 0, g, g * negative_slope)


@tangent(leaky_relu)
def leaky_relu_jvp(out, input, negative_slope=0.01, *, dinput):
    return np.where(input > 0, dinput, dinput * negative_slope)


def _check_approximate(approximate):
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")


def gelu(input, approximate="none"):
    """``x * Phi(x)`` (``approximate='none'``, with the exact error function) or its tanh
    approximation ``x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``."""
    _check_approximate(approximate)
    if approximate == "tanh":
        inner = TANH_K * (input + TANH_C * input * input * input)
        return 0.5 * input * (1.0 + np.tanh(inner))
    return input * 0.5 * (1.0 + erf(input * SQRT1_2))


def gelu_slope(x, approximate):
    """d gelu / dx at ``x``."""
    if approximate == "tanh":
        t = np.tanh(TANH_K * (x + TANH_C * x * x * x))
        return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * TANH_K * (1.0 + 3.0 * TANH_C * x * x)
    return 0.5 * (1.0 + erf(x * SQRT1_2)) + x * INV_SQRT_2PI * np.exp(-0.5 * x * x)


@rule(gelu, wrt=("input",), name="GeluBackward0")
def gelu_adjoint(g, out, input, approximate="none"):
    return g * gelu_slope(input, approximate)


@tangent(gelu)
def gelu_jvp(out, input, approximate="none", *, dinput):
    return dinput * gelu_slope(input, approximate)


def silu(input):
    """``x * sigmoid(x)``."""
    return input * sigmoid(input)


@rule(silu, name="SiluBackward0")
def silu_adjoint(g, out, input):
    s = sigmoid(input)
    return g * (s * (1.0 + input * (1.0 - s)))


@tangent(silu)
def silu_jvp(out, input, dinput):
    s = sigmoid(input)
    return dinput * (s * (1.0 + input * (1.0 - s)))


def elu(input, alpha=1.0):
    """``x`` where ``x > 0``, else ``alpha * (exp(x) - 1)``."""
    return np.where(input > 0, input, alpha * np.expm1(np.minimum(input, 0)))


@rule(elu, wrt=("input",), name="EluBackward0")
def elu_adjoint(g, out, input, alpha=1.0):
    return np.where(input > 0, g, g * (alpha * np.exp(np.minimum(input, 0))))


@tangent(elu)
def elu_jvp(out, input, alpha=1.0, *, dinput):
    return np.where(input > 0, dinput, dinput * (alpha * np.exp(np.minimum(input, 0))))


def softplus(input, beta=1.0, threshold=20.0):
    """``log(1 + exp(beta x)) / beta``, and ``x`` itself where ``beta * x > threshold``."""
    bx = input * beta
    return np.where(bx > threshold, input, np.log1p(np.exp(np.minimum(bx, threshold))) / beta)


@rule(softplus, wrt=("input",), name="SoftplusBackward0")
def softplus_adjoint(g, out, input, beta=1.0, threshold=20.0):
    return np.where(input * beta > threshold, g, g * sigmoid(input * beta))


@tangent(softplus)
def softplus_jvp(out, input, beta=1.0, threshold=20.0, *, dinput):
    return np.where(input * beta > threshold, dinput, dinput * sigmoid(input * beta))
