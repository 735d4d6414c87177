"""``nn.init``: in-place weight initialisers with PyTorch's formulas and defaults.

Takes: a Tensor (usually a Parameter) and the initialiser's options.
``orthogonal_``, ``dirac_`` and ``eye_`` follow PyTorch's recipes; the old names without the
underscore (``uniform``, ``xavier_normal``, ...) are PyTorch's deprecated aliases.
Gives: the same Tensor, filled in place without recording a graph (its version counter
goes up by one). Random draws come from the PyTorch-compatible global generator, so after
``manual_seed(s)`` the values equal PyTorch's (bit-exact for uniform draws in float32).
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ..runtime.tensor import Tensor

__all__ = [
    "calculate_gain",
    "constant",
    "constant_",
    "dirac",
    "dirac_",
    "eye",
    "eye_",
    "kaiming_normal",
    "kaiming_normal_",
    "kaiming_uniform",
    "kaiming_uniform_",
    "normal",
    "normal_",
    "ones_",
    "orthogonal",
    "orthogonal_",
    "trunc_normal_",
    "uniform",
    "uniform_",
    "xavier_normal",
    "xavier_normal_",
    "xavier_uniform",
    "xavier_uniform_",
    "zeros_",
]


def _generator(generator=None):
    from ..runtime import random
    return generator if generator is not None else random.default_generator


def _done(tensor: Tensor) -> Tensor:
    tensor._vc[0] += 1
    return tensor


def _no_op(tensor: Tensor) -> bool:
    if tensor._data.size == 0:
        warnings.warn("Initializing zero-element tensors is a no-op", UserWarning, stacklevel=3)
        return True
    return False


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for ``nonlinearity`` (PyTorch's table)."""
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d")
    if nonlinearity in linear or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _fill_uniform(arr: np.ndarray, a: float, b: float, generator=None) -> None:
    gen = _generator(generator)
    if hasattr(gen, "uniform_"):
        gen.uniform_(arr, a, b)
        return
    # PyTorch's float rule: u * (b - a) + a in double, from one 24-bit uniform per element.
    u = gen.rand(arr.shape, np.dtype(np.float32)).astype(np.float64)
    lo, hi = float(np.float32(a)), float(np.float32(b))
    arr[...] = (u * (hi - lo) + lo).astype(arr.dtype)


def _fill_normal(arr: np.ndarray, mean: float, std: float, generator=None) -> None:
    gen = _generator(generator)
    if hasattr(gen, "normal_"):
        gen.normal_(arr, mean, std)
        return
    arr[...] = gen.randn(arr.shape, arr.dtype) * std + mean


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    if _no_op(tensor):
        return tensor
    _fill_uniform(tensor._data, a, b, generator)
    return _done(tensor)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    if _no_op(tensor):
        return tensor
    _fill_normal(tensor._data, mean, std, generator)
    return _done(tensor)


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator=None) -> Tensor:
    """Normal values redrawn until they fall in [a, b] (the distribution PyTorch samples)."""
    arr = tensor._data
    out = np.empty(arr.shape, np.float64)
    _fill_normal(out, mean, std, generator)
    bad = (out < a) | (out > b)
    while bad.any():
        fresh = np.empty(int(bad.sum()), np.float64)
        _fill_normal(fresh, mean, std, generator)
        out[bad] = fresh
        bad = (out < a) | (out > b)
    arr[...] = out
    return _done(tensor)


def constant_(tensor: Tensor, val: float) -> Tensor:
    tensor._data[...] = val
    return _done(tensor)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 0.0)


def eye_(tensor: Tensor) -> Tensor:
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    tensor._data[...] = np.eye(*tensor._data.shape)
    return _done(tensor)


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    shape = tensor._data.shape
    if len(shape) < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         "dimensions")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    if _no_op(tensor):
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    if _no_op(tensor):
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std, generator)


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """The identity of a 3-, 4- or 5-D convolution filter: a centred 1 on the (d, d)
    in/out channel pairs of each of ``groups`` groups, zeros elsewhere."""
    nd = tensor.dim()
    if nd not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor._data.shape
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    per_group = sizes[0] // groups
    arr = tensor._data
    arr[...] = 0
    centre = tuple(n // 2 for n in sizes[2:])
    for g in range(groups):
        for d in range(min(per_group, sizes[1])):
            arr[(g * per_group + d, d) + centre] = 1
    return _done(tensor)


def orthogonal_(tensor: Tensor, gain: float = 1, generator=None) -> Tensor:
    """A (semi-)orthogonal matrix from the QR decomposition of a normal draw, with the signs
    of R's diagonal taken out (PyTorch's recipe, so the same seed gives the same matrix);
    dimensions after the first are flattened."""
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor._data.size == 0:
        return tensor
    rows = tensor._data.shape[0]
    cols = tensor._data.size // rows
    flat = np.empty((rows, cols), tensor._data.dtype)
    _fill_normal(flat, 0.0, 1.0, generator)
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    tensor._data[...] = (q * gain).reshape(tensor._data.shape)
    return _done(tensor)


def _make_deprecate(meth):
    new_name = meth.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args, **kwargs):
        warnings.warn(f"`nn.init.{old_name}` is now deprecated in favor of "
                      f"`nn.init.{new_name}`.", FutureWarning, stacklevel=2)
        return meth(*args, **kwargs)

    deprecated_init.__name__ = old_name
    deprecated_init.__doc__ = f"Deprecated alias of ``{new_name}``."
    return deprecated_init


uniform = _make_deprecate(uniform_)
normal = _make_deprecate(normal_)
constant = _make_deprecate(constant_)
eye = _make_deprecate(eye_)
dirac = _make_deprecate(dirac_)
xavier_uniform = _make_deprecate(xavier_uniform_)
xavier_normal = _make_deprecate(xavier_normal_)
kaiming_uniform = _make_deprecate(kaiming_uniform_)
kaiming_normal = _make_deprecate(kaiming_normal_)
orthogonal = _make_deprecate(orthogonal_)
