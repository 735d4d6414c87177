"""Rules for elementwise math: exp, log, tanh and friends.

Each adjoint reads the output where that is cheaper than recomputing
(``exp``, ``tanh``, ``sqrt``), so the runtime saves only what it reads.
"""
import numpy as np

from .registry import rule


@rule(np.exp, name="ExpBackward0")
def exp(g, out, x):
    return g * out


@rule(np.log, name="LogBackward0")
def log(g, out, x):
    return g / x


@rule(np.tanh, name="TanhBackward0")
def tanh(g, out, x):
    return g * (1 - out * out)


@rule(np.sqrt, name="SqrtBackward0")
def sqrt(g, out, x):
    return g / (2 * out)


@rule(np.sin, name="SinBackward0")
def sin(g, out, x):
    return g * np.cos(x)


@rule(np.cos, name="CosBackward0")
def cos(g, out, x):
    return -g * np.sin(x)


@rule(np.abs, np.absolute, name="AbsBackward0")
def abs_(g, out, x):
    return g * np.sign(x)
