"""Rules for arithmetic, the operators a Python expression spells.

Takes: NumPy's ufuncs for ``+ - * / ** @`` and unary minus.
Gives: their adjoints and forward rules in the one table (see ``registry``).
Broadcasting is undone by the drivers, so every rule here returns full-shaped
gradients; forward rules write one term per input.
"""
import numpy as np

from .helpers import unbroadcast_to
from .registry import rule, tangent


@rule(np.add, broadcast=True, name="AddBackward0")
def add(g, out, x, y):
    return g, g


@tangent(np.add)
def add_jvp(out, x, y, dx, dy):
    return dx + dy


@rule(np.subtract, broadcast=True, name="SubBackward0")
def subtract(g, out, x, y):
    return g, -g


@tangent(np.subtract)
def subtract_jvp(out, x, y, dx, dy):
    return dx - dy


@rule(np.multiply, broadcast=True, name="MulBackward0")
def multiply(g, out, x, y):
    return g * y, g * x


@tangent(np.multiply)
def multiply_jvp(out, x, y, dx, dy):
    return dx * y + x * dy


@rule(np.divide, np.true_divide, broadcast=True, name="DivBackward0")
def divide(g, out, x, y):
    gx = g / y
    return gx, -gx * out


@tangent(np.divide, np.true_divide)
def divide_jvp(out, x, y, dx, dy):
    return dx / y - dy * out / y


@rule(np.negative, name="NegBackward0")
def negative(g, out, x):
    return -g


@tangent(np.negative)
def negative_jvp(out, x, dx):
    return -dx


@rule(np.positive, name="PositiveBackward0")
def positive(g, out, x):
    return g


@tangent(np.positive)
def positive_jvp(out, x, dx):
    return +dx


@rule(np.power, broadcast=True, name="PowBackward0")
def power(g, out, x, y):
    # d/dy x**y = out * log(x); where x == 0 the limit used by PyTorch is 0.
    gx = g * y * np.power(x, y - 1)
    gy = g * out * np.log(np.where(x > 0, x, 1))
    return gx, gy


@tangent(np.power)
def power_jvp(out, x, y, dx, dy):
    return dx * y * np.power(x, y - 1) + dy * out * np.log(np.where(x > 0, x, 1))


@rule(np.square, name="PowBackward0")
def square(g, out, x):
    return g * 2 * x


@tangent(np.square)
def square_jvp(out, x, dx):
    return dx * 2 * x


@rule(np.reciprocal, name="ReciprocalBackward0")
def reciprocal(g, out, x):
    return -g * out * out


@tangent(np.reciprocal)
def reciprocal_jvp(out, x, dx):
    return -dx * out * out


@rule(np.matmul, name="MmBackward0")
def matmul(g, out, x, y):
    # 1-D operands are promoted (x to a row, y to a column) and demoted back.
    x2 = x[None, :] if x.ndim == 1 else x
    y2 = y[:, None] if y.ndim == 1 else y
    g2 = np.expand_dims(g, -1) if y.ndim == 1 else g
    g2 = np.expand_dims(g2, -2) if x.ndim == 1 else g2
    gx = unbroadcast_to(g2 @ np.swapaxes(y2, -1, -2), x2.shape)
    gy = unbroadcast_to(np.swapaxes(x2, -1, -2) @ g2, y2.shape)
    # Reshape only when a 1-D operand was promoted: a fresh product can then be kept
    # as a leaf's .grad without a copy.
    return (gx if gx.shape == x.shape else gx.reshape(x.shape),
            gy if gy.shape == y.shape else gy.reshape(y.shape))


@tangent(np.matmul)
def matmul_jvp(out, x, y, dx, dy):
    return dx @ y + x @ dy
