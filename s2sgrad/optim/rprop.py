"""``optim.Rprop``: resilient backpropagation, as PyTorch's single-tensor CPU path.

Takes: params, lr (1e-2, the first step size), etas ((0.5, 1.2): shrink and growth),
step_sizes ((1e-6, 50): the clamp), maximize. Gives: ``step()``: each element's step size
grows by ``etaplus`` while its gradient keeps its sign, shrinks by ``etaminus`` when the
sign flips (and that element then skips its update and forgets its gradient), and
``p -= sign(g) * step_size``. The state holds ``step`` (0-d), ``prev`` (the last
gradient kept) and ``step_size``.
"""
from __future__ import annotations

import numpy as np

from ..runtime.tensor import Tensor
from ._checks import check_lr, scalar
from .fused import addcmul_
from .optimizer import Optimizer

__all__ = ["Rprop"]


class Rprop(Optimizer):
    def __init__(self, params, lr: float = 1e-2, etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach=None, maximize: bool = False, differentiable: bool = False) -> None:
        lr = check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def _update(self, group, params) -> None:
        etaminus, etaplus = group["etas"]
        lo, hi = group["step_sizes"]
        maximize = group["maximize"]
        for p in params:
            x = p._data
            g = p.grad._data
            g = -g if maximize else g
            one = x.dtype.type
            state = self.state[p]
            if not state:
                state["step"] = scalar(0.0)
                state["prev"] = Tensor._wrap(np.zeros_like(x))
                state["step_size"] = Tensor._wrap(np.full_like(g, group["lr"]))
            state["step"]._data += 1
            prev, size = state["prev"]._data, state["step_size"]._data
            s = np.sign(g * prev)
            factor = np.where(s > 0, one(etaplus), np.where(s < 0, one(etaminus), one(1)))
            size *= factor
            np.clip(size, one(lo), one(hi), out=size)
            g = np.where(s < 0, one(0), g)
            addcmul_(x, np.sign(g), size, -1)                   # p.addcmul_(sign, size, -1)
            prev[...] = g
            p._vc[0] += 1
