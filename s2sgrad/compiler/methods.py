"""Lower PyTorch/NumPy-style methods and attributes to calls of primitives.

Takes: a method name with the receiver and the call's arguments (as atoms), or
an attribute name (``x.T``, ``x.data``). Gives: ``(callee, args, kwargs)``: the
function the table knows (``np.sum``, ``np.transpose``, ...) and its arguments
in NumPy's spelling (``dim`` -> ``axis``, ``keepdim`` -> ``keepdims``), or None
when the name is not a known array method.
Invariant: a lowered call computes what the method computes on an ndarray
(and what the PyTorch method computes on a tensor), so the generated code
runs on plain arrays; ``.detach()``, ``.data`` and ``.item()`` stop gradients.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gast
import numpy as np

from ..rules import nondifferentiable, torchlike

__all__ = ["item", "lower_attribute", "lower_method", "size", "stop_gradient"]


def stop_gradient(x):
    """``x`` itself; no gradient flows through (``.detach()``, ``.data``)."""
    return x


def item(x):
    """The Python number inside a one-element array (``.item()``), no gradient."""
    return x.item() if hasattr(x, "item") else x


def size(x, dim=None):
    """PyTorch's ``x.size()`` / ``x.size(d)`` on an array."""
    shape = np.shape(x)
    return shape if dim is None else shape[dim]


nondifferentiable(stop_gradient, item, size)

_RENAME = {"dim": "axis", "keepdim": "keepdims", "exponent": "y"}

# method -> (callee, names of its positional parameters after the receiver)
_SIMPLE: dict[str, tuple[Callable, tuple[str, ...]]] = {
    "sum": (np.sum, ("axis",)), "mean": (np.mean, ("axis",)),
    "prod": (np.prod, ("axis",)), "std": (np.std, ("axis",)), "var": (np.var, ("axis",)),
    "all": (np.all, ("axis",)), "any": (np.any, ("axis",)),
    "argmax": (np.argmax, ("axis",)), "argmin": (np.argmin, ("axis",)),
    "cumsum": (np.cumsum, ("axis",)),
    "exp": (np.exp, ()), "log": (np.log, ()), "log1p": (np.log1p, ()),
    "expm1": (np.expm1, ()), "tanh": (np.tanh, ()), "sin": (np.sin, ()),
    "cos": (np.cos, ()), "tan": (np.tan, ()), "sqrt": (np.sqrt, ()), "abs": (np.abs, ()),
    "neg": (np.negative, ()), "negative": (np.negative, ()), "square": (np.square, ()),
    "reciprocal": (np.reciprocal, ()), "sign": (np.sign, ()), "floor": (np.floor, ()),
    "ceil": (np.ceil, ()), "round": (np.round, ()),
    "sigmoid": (torchlike.sigmoid, ()), "relu": (torchlike.relu, ()),
    "softmax": (torchlike.softmax, ("axis",)), "log_softmax": (torchlike.log_softmax, ("axis",)),
    "pow": (np.power, ("y",)), "add": (np.add, ("y",)), "sub": (np.subtract, ("y",)),
    "mul": (np.multiply, ("y",)), "div": (np.true_divide, ("y",)),
    "matmul": (np.matmul, ("y",)), "mm": (np.matmul, ("y",)), "dot": (np.dot, ("b",)),
    "squeeze": (np.squeeze, ("axis",)), "unsqueeze": (np.expand_dims, ("axis",)),
    "flatten": (np.ravel, ()), "ravel": (np.ravel, ()),
    "clamp": (torchlike.clamp, ("min", "max")), "clip": (np.clip, ("a_min", "a_max")),
    "norm": (torchlike.vector_norm, ("ord", "axis")),
    "detach": (stop_gradient, ()), "item": (item, ()), "clone": (torchlike.clone, ()),
    "copy": (torchlike.clone, ()), "size": (size, ("dim",)), "numel": (np.size, ()),
    "dim": (np.ndim, ()), "t": (np.transpose, ()),
}
_MAX_MIN = {"max": np.max, "min": np.min, "amax": np.max, "amin": np.min}
_SHAPED = {"reshape": np.reshape, "view": np.reshape, "transpose": np.transpose,
           "permute": np.transpose}


def lower_method(name: str, recv: Any, args: list, kwargs: dict,
                 pack: Callable[[list], Any]) -> tuple[Callable, list, dict] | None:
    """``recv.name(*args, **kwargs)`` as a call of a known function, or None.

    ``pack`` turns a list of atoms into one tuple atom (``x.reshape(2, 3)``).
    """
    if name in ("max", "min") and "dim" in kwargs:
        # PyTorch's form (NumPy has no ``dim``): (values, indices) along the dimension.
        fn = torchlike.max_dim if name == "max" else torchlike.min_dim
        extra = {"keepdims": kwargs["keepdim"]} if "keepdim" in kwargs else {}
        if args or set(kwargs) - {"dim", "keepdim"}:
            return None
        return fn, [recv, kwargs["dim"]], extra
    if name in ("std", "var") and set(kwargs) & {"dim", "keepdim", "unbiased", "correction"}:
        # PyTorch's keywords mean PyTorch's estimator: unbiased unless told otherwise.
        kwargs = dict(kwargs)
        unbiased = kwargs.pop("unbiased", None)
        correction = kwargs.pop("correction", None)
        if unbiased is not None and not isinstance(unbiased, gast.Constant):
            return None
        kwargs["ddof"] = correction if correction is not None else gast.Constant(
            value=int(unbiased.value) if unbiased is not None else 1, kind=None)
    kwargs = {_RENAME.get(k, k): v for k, v in kwargs.items()}
    if name in _SHAPED:
        fn = _SHAPED[name]
        if name == "transpose" and len(args) == 2:
            return np.swapaxes, [recv] + args, kwargs
        if len(args) > 1 or (name == "permute" and args):
            args = [pack(args)]
        key = "newshape" if fn is np.reshape else "axes"
        if key in kwargs or "shape" in kwargs:
            return fn, [recv, kwargs.pop(key, None) or kwargs.pop("shape")], kwargs
        return fn, [recv] + args, kwargs
    if name in _MAX_MIN:
        return _MAX_MIN[name], [recv] + args, kwargs
    hit = _SIMPLE.get(name)
    if hit is None:
        return None
    fn, names = hit
    if len(args) > len(names):
        return None
    for n, a in zip(names, args):
        kwargs[n] = a
    if fn in (np.power, np.add, np.subtract, np.multiply, np.true_divide, np.matmul, np.dot):
        return fn, [recv, kwargs.pop(names[0])], kwargs
    return fn, [recv], kwargs


def lower_attribute(name: str) -> Callable | None:
    """``x.T`` / ``x.data`` / ``x.mT`` as a one-argument function, or None."""
    return {"T": np.transpose, "data": stop_gradient}.get(name)
