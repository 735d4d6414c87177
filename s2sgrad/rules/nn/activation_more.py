"""More activations: ``hardtanh``, ``hardsigmoid``, ``hardswish``, ``mish``, ``softshrink``,
``hardshrink``, ``threshold``, ``log_sigmoid``, ``glu``, ``selu``, ``celu``, ``prelu``.

Takes: an input array and PyTorch's options. Gives: what ``torch.nn.functional`` computes,
and adjoints named like PyTorch's nodes, with PyTorch's choices at the kinks: the clamp
activations pass the gradient only strictly inside their linear range (``hardtanh`` at
``min_val``/``max_val``, ``hardsigmoid`` at +-3 give 0), the shrinks give 0 on the closed
band ``[-lambd, lambd]``, ``threshold`` passes it only where ``x > threshold``,
``hardswish`` takes slope ``x/3 + 1/2`` on ``[-3, 3]``; the ELU family takes its negative
branch at 0. ``prelu`` gets its weight already shaped to broadcast against the input.
Invariant: nothing is exponentiated where it could overflow (ELU family: only
non-positive arguments; ``log_sigmoid``: only ``-|x|``).
"""
from __future__ import annotations

import numpy as np

from ..registry import rule
from ..torchlike import sigmoid
from .activation import softplus

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def hardtanh(input, min_val=-1.0, max_val=1.0):
    """``input`` clamped to ``[min_val, max_val]``."""
    return np.minimum(np.maximum(input, min_val), max_val)


@rule(hardtanh, wrt=("input",), name="HardtanhBackward0")
def hardtanh_adjoint(g, out, input, min_val=-1.0, max_val=1.0):
    return np.where(input > min_val, np.where(input < max_val, g, 0.0), 0.0)


def hardsigmoid(input):
    """``relu6(x + 3) / 6``."""
    return np.minimum(np.maximum(input + 3.0, 0.0), 6.0) / 6.0


@rule(hardsigmoid, name="HardsigmoidBackward0")
def hardsigmoid_adjoint(g, out, input):
    return np.where(input > -3.0, np.where(input < 3.0, g / 6.0, 0.0), 0.0)


def hardswish(input):
    """``x * relu6(x + 3) / 6``."""
    return input * (np.minimum(np.maximum(input + 3.0, 0.0), 6.0) / 6.0)


@rule(hardswish, name="HardswishBackward0")
def hardswish_adjoint(g, out, input):
    return np.where(input < -3.0, 0.0, np.where(input <= 3.0, g * (input / 3.0 + 0.5), g))


def mish(input):
    """``x * tanh(softplus(x))``."""
    return input * np.tanh(softplus(input))


@rule(mish, name="MishBackward0")
def mish_adjoint(g, out, input):
    t = np.tanh(softplus(input))
    return g * (t + input * sigmoid(input) * (1.0 - t * t))


def softshrink(input, lambd=0.5):
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0."""
    return np.where(input > lambd, input - lambd, np.where(input < -lambd, input + lambd,
                                                           0.0 * input))


@rule(softshrink, wrt=("input",), name="SoftshrinkBackward0")
def softshrink_adjoint(g, out, input, lambd=0.5):
    return np.where(input > lambd, g, np.where(input < -lambd, g, 0.0))


def hardshrink(input, lambd=0.5):
    """``x`` where ``|x| > lambd``, else 0."""
    return np.where(input > lambd, input, np.where(input < -lambd, input, 0.0 * input))


@rule(hardshrink, wrt=("input",), name="HardshrinkBackward0")
def hardshrink_adjoint(g, out, input, lambd=0.5):
    return np.where(input > lambd, g, np.where(input < -lambd, g, 0.0))


def threshold(input, threshold, value):
    """``x`` where ``x > threshold``, else ``value``."""
    return np.where(input > threshold, input, np.asarray(value, input.dtype))


@rule(threshold, wrt=("input",), name="ThresholdBackward0")
def threshold_adjoint(g, out, input, threshold, value):
    return np.where(input > threshold, g, 0.0)


def log_sigmoid(input):
    """``log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|))``."""
    return np.minimum(input, 0.0) - np.log1p(np.exp(-np.abs(input)))


@rule(log_sigmoid, name="LogSigmoidBackward0")
def log_sigmoid_adjoint(g, out, input):
    return g * sigmoid(-input)


def glu(input, dim=-1):
    """``a * sigmoid(b)`` for the two halves ``a``, ``b`` of ``input`` along ``dim``."""
    a, b = np.split(input, 2, axis=dim)
    return a * sigmoid(b)


@rule(glu, wrt=("input",), name="GluBackward0")
def glu_adjoint(g, out, input, dim=-1):
    a, b = np.split(input, 2, axis=dim)
    s = sigmoid(b)
    return np.concatenate([g * s, g * a * s * (1.0 - s)], axis=dim)


def selu(input):
    """``scale * (x if x > 0 else alpha * (exp(x) - 1))`` with PyTorch's constants."""
    return np.where(input > 0, SELU_SCALE * input,
                    (SELU_SCALE * SELU_ALPHA) * np.expm1(np.minimum(input, 0.0)))


@rule(selu, name="EluBackward0")
def selu_adjoint(g, out, input):
    return np.where(input > 0, g * SELU_SCALE,
                    g * ((SELU_SCALE * SELU_ALPHA) * np.exp(np.minimum(input, 0.0))))


def celu(input, alpha=1.0):
    """``x`` where ``x > 0``, else ``alpha * (exp(x / alpha) - 1)``."""
    return np.where(input > 0, input, alpha * np.expm1(np.minimum(input, 0.0) / alpha))


@rule(celu, wrt=("input",), name="CeluBackward0")
def celu_adjoint(g, out, input, alpha=1.0):
    return np.where(input > 0, g, g * np.exp(np.minimum(input, 0.0) / alpha))


def prelu(input, weight):
    """``x`` where ``x > 0``, else ``weight * x`` (``weight`` broadcast against ``x``)."""
    return np.where(input > 0, input, weight * input)


@rule(prelu, wrt=("input", "weight"), broadcast=True, name="PreluKernelBackward0")
def prelu_adjoint(g, out, input, weight):
    return np.where(input > 0, g, g * weight), np.where(input > 0, 0.0, g * input)


__all__ = ["celu", "glu", "hardshrink", "hardsigmoid", "hardswish", "hardtanh",
           "log_sigmoid", "mish", "prelu", "selu", "softshrink", "threshold"]
