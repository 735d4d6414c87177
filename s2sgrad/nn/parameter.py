"""``nn.Parameter``: a leaf Tensor that a Module registers as trainable.

Takes: a Tensor (its storage is shared, not copied) or nothing (an empty tensor).
Gives: a ``Tensor`` subclass that requires grad by default and prints as
``Parameter containing:`` followed by the tensor. Operations on a Parameter give plain
Tensors, as in PyTorch.
Invariant: a Parameter is always a leaf (``grad_fn`` None).
"""
from __future__ import annotations

import numpy as np

from ..runtime.tensor import Tensor

__all__ = ["Buffer", "Parameter", "zero_grads"]


class Parameter(Tensor):
    """A Tensor that is a module parameter (``requires_grad=True`` unless told otherwise)."""

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True):
        arr = np.zeros(0, np.float32) if data is None else (
            data._data if isinstance(data, Tensor) else np.asarray(data))
        p = object.__new__(cls)
        p._data = arr
        p._requires_grad = False
        p.grad_fn = None
        p._output_nr = 0
        p._grad = None
        p._vc = data._vc if isinstance(data, Tensor) else [0]
        p._accum = None
        p._is_view = False
        p._retains_grad = False
        p._inference = False
        if requires_grad:
            p.requires_grad_(True)
        return p

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True):
        pass      # everything happens in __new__ (the storage is shared, never copied)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self._data, self._requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        p = Parameter(Tensor._wrap(self._data.copy()), self._requires_grad)
        if self._grad is not None:
            p._grad = Tensor._wrap(self._grad._data.copy())
        memo[id(self)] = p
        return p


def _rebuild_parameter(data, requires_grad):
    return Parameter(Tensor._wrap(data), requires_grad)


class Buffer(Tensor):
    """Marker for ``nn.Buffer(t)``: assigning one to a Module attribute registers a buffer."""

    def __new__(cls, data: Tensor, persistent: bool = True):
        t = Tensor._wrap(data._data if isinstance(data, Tensor) else np.asarray(data))
        b = object.__new__(cls)
        for slot in ("_data", "_requires_grad", "grad_fn", "_output_nr", "_grad", "_vc",
                     "_accum", "_is_view", "_retains_grad", "_inference"):
            setattr(b, slot, getattr(t, slot))
        b.persistent = persistent
        return b

    def __init__(self, data: Tensor, persistent: bool = True):
        pass


def zero_grads(params, set_to_none: bool = True) -> None:
    """``zero_grad`` of a module or an optimizer: drop each ``.grad`` (the default), or
    zero it in place after cutting any history it carries (``create_graph``)."""
    for p in params:
        if p.grad is None:
            continue
        if set_to_none:
            p.grad = None
        else:
            g = p.grad
            if g.grad_fn is not None:
                g.detach_()
            else:
                g.requires_grad_(False)
            g.zero_()
