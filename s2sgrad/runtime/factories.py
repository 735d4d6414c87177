"""Tensor factories: ``tensor``, ``ones``, ``randn``, ... as in PyTorch.

Takes: sizes as varargs, a tuple or a list; ``dtype``; ``requires_grad``.
Gives: new leaf Tensors (float32 unless told otherwise). Random factories draw
from the PyTorch-compatible generator in ``runtime.random``, so a seed gives
PyTorch's numbers.
"""
from __future__ import annotations

import warnings

import numpy as np

from . import dtypes
from .tensor import Tensor

__all__ = ["tensor", "as_tensor", "from_numpy", "ones", "zeros", "full", "empty", "eye",
           "arange", "linspace", "ones_like", "zeros_like", "full_like", "empty_like", "rand",
           "randn", "randint", "rand_like", "randn_like", "randperm", "manual_seed",
           "initial_seed", "seed", "get_rng_state", "set_rng_state", "bernoulli"]


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    return tuple(map(int, size))


def _dt(dtype, default=None):
    if dtype is None and default is None:
        return dtypes.get_default_dtype().np
    npdt = dtypes.to_numpy(dtype)
    return npdt if npdt is not None else (default or dtypes.get_default_dtype().np)


def _leaf(arr, requires_grad) -> Tensor:
    t = Tensor._wrap(arr)
    if requires_grad:
        t.requires_grad_(True, _factory=True)
    return t


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.detach().clone() or sourceTensor.detach().clone()."
                      "requires_grad_(True), rather than torch.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
    from .tensor import _to_array
    t = Tensor._wrap(_to_array(data, dtype))
    if requires_grad:
        t.requires_grad_(True, _factory=True)
    return t


def as_tensor(data, dtype=None, device=None) -> Tensor:
    if isinstance(data, Tensor) and dtype is None:
        return data
    if isinstance(data, np.ndarray) and dtype is None:
        return Tensor._wrap(data)
    from .tensor import _to_array
    return Tensor._wrap(_to_array(data, dtype))


def from_numpy(arr: np.ndarray) -> Tensor:
    """A Tensor sharing memory with ``arr``."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(arr).__name__})")
    return Tensor._wrap(arr)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    arr = np.empty(_size(size), _dt(dtype))
    arr.fill(1)
    return _leaf(arr, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _leaf(np.zeros(_size(size), _dt(dtype)), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _leaf(np.zeros(_size(size), _dt(dtype)), requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    if dtype is None:
        dtype = (dtypes.bool_ if isinstance(fill_value, bool) else
                 dtypes.int64 if isinstance(fill_value, int) else None)
    return _leaf(np.full(_size((size,)), fill_value, _dt(dtype)), requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _leaf(np.eye(n, m, dtype=_dt(dtype)), requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None,
           requires_grad: bool = False) -> Tensor:
    if end is None:
        start, end = 0, start
    vals = (start, end, step)
    isfloat = any(isinstance(v, float) for v in vals)
    default = dtypes.get_default_dtype().np if isfloat else np.dtype(np.int64)
    return _leaf(np.arange(start, end, step).astype(_dt(dtype, default)), requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _leaf(np.linspace(start, end, steps).astype(_dt(dtype)), requires_grad)


def _like(t: Tensor, dtype):
    return t._data.shape, _dt(dtype, t._data.dtype)


def ones_like(t, dtype=None, requires_grad: bool = False, **_) -> Tensor:
    return _leaf(np.ones(*_like(t, dtype)), requires_grad)


def zeros_like(t, dtype=None, requires_grad: bool = False, **_) -> Tensor:
    return _leaf(np.zeros(*_like(t, dtype)), requires_grad)


def empty_like(t, dtype=None, requires_grad: bool = False, **_) -> Tensor:
    return _leaf(np.zeros(*_like(t, dtype)), requires_grad)


def full_like(t, fill_value, dtype=None, requires_grad: bool = False, **_) -> Tensor:
    shape, dt = _like(t, dtype)
    return _leaf(np.full(shape, fill_value, dt), requires_grad)


def _gen(generator):
    from . import random
    return generator if generator is not None else random.default_generator


def rand(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _leaf(_gen(generator).rand(_size(size), _dt(dtype)), requires_grad)


def randn(*size, generator=None, dtype=None, device=None,
          requires_grad: bool = False) -> Tensor:
    return _leaf(_gen(generator).randn(_size(size), _dt(dtype)), requires_grad)


def rand_like(t, dtype=None, requires_grad: bool = False, **_) -> Tensor:
    return rand(*t._data.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def randn_like(t, dtype=None, requires_grad: bool = False, **_) -> Tensor:
    return randn(*t._data.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def randint(low, high=None, size=None, generator=None, dtype=None, device=None,
            requires_grad: bool = False) -> Tensor:
    if size is None:
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    arr = _gen(generator).randint(low, high, _size((size,)))
    return _leaf(arr.astype(_dt(dtype, np.dtype(np.int64))), requires_grad)


def randperm(n, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    arr = _gen(generator).randperm(n)
    return _leaf(arr.astype(_dt(dtype, np.dtype(np.int64))), requires_grad)


def manual_seed(s):
    from . import random
    return random.manual_seed(s)


def initial_seed() -> int:
    from . import random
    return random.initial_seed()


def seed() -> int:
    from . import random
    return random.seed()


def get_rng_state() -> Tensor:
    from . import random
    return Tensor._wrap(np.asarray(random.get_rng_state()))


def set_rng_state(state) -> None:
    from . import random
    random.set_rng_state(state._data if isinstance(state, Tensor) else state)


def bernoulli(probs: Tensor, generator=None) -> Tensor:
    out = np.empty(probs._data.shape, probs._data.dtype)
    _gen(generator).bernoulli_(out, probs._data)
    return Tensor._wrap(out)


def _fill_method(kernel):
    def method(self, *args, generator=None, **kwargs):
        from .ops import check_inplace
        check_inplace(self)
        getattr(_gen(generator), kernel)(self._data, *args, **kwargs)
        self._vc[0] += 1
        return self
    method.__name__ = kernel
    return method


for _k in ("uniform_", "normal_", "bernoulli_", "random_"):
    setattr(Tensor, _k, _fill_method(_k))
