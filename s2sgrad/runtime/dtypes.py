"""PyTorch-style dtype objects over NumPy dtypes.

Gives: ``float32``/``float``, ``float64``/``double``, ``int64``/``long``, ``int32``,
``bool``, ... each printing as ``torch.float32``; ``to_numpy(dtype)`` and
``from_numpy(np_dtype)``. Invariant: one object per NumPy dtype, so ``is`` works.
"""
from __future__ import annotations

import numpy as np

__all__ = ["dtype", "to_numpy", "from_numpy", "get_default_dtype", "set_default_dtype"]


class dtype:
    """A tensor element type; compares equal to itself only."""

    __slots__ = ("np", "name", "is_floating_point", "is_complex", "itemsize")

    def __init__(self, np_dtype, name: str):
        self.np = np.dtype(np_dtype)
        self.name = name
        self.is_floating_point = self.np.kind == "f"
        self.is_complex = self.np.kind == "c"
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self):
        return (from_numpy, (self.np,))


_BY_NP: dict = {}


def _make(np_dtype, name):
    d = dtype(np_dtype, name)
    _BY_NP[d.np] = d
    return d


float32 = _make(np.float32, "float32")
float64 = _make(np.float64, "float64")
float16 = _make(np.float16, "float16")
int64 = _make(np.int64, "int64")
int32 = _make(np.int32, "int32")
int16 = _make(np.int16, "int16")
int8 = _make(np.int8, "int8")
uint8 = _make(np.uint8, "uint8")
bool_ = _make(np.bool_, "bool")
complex64 = _make(np.complex64, "complex64")
complex128 = _make(np.complex128, "complex128")

_default = [float32]


def from_numpy(np_dtype) -> dtype:
    d = _BY_NP.get(np.dtype(np_dtype))
    if d is None:
        d = _make(np_dtype, np.dtype(np_dtype).name)
    return d


def to_numpy(d):
    """A NumPy dtype from a torch-style dtype, a NumPy dtype, or a Python type."""
    if d is None:
        return None
    if isinstance(d, dtype):
        return d.np
    if d is float:
        return np.dtype(np.float64)
    if d is int:
        return np.dtype(np.int64)
    if d is bool:
        return np.dtype(np.bool_)
    return np.dtype(d)


def get_default_dtype() -> dtype:
    return _default[0]


def set_default_dtype(d) -> None:
    _default[0] = from_numpy(to_numpy(d))
