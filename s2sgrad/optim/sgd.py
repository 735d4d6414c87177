"""``optim.SGD``: stochastic gradient descent with momentum, dampening, Nesterov,
weight decay and maximize, exactly as PyTorch's single-tensor path (SEMANTICS 4.1).

Takes: params and hyper-parameters. Gives: ``step()`` updating parameters in place;
the momentum buffer lives in ``state[p]['momentum_buffer']`` (only when momentum != 0).
"""
from __future__ import annotations

import numpy as np

from ..runtime.tensor import Tensor
from .optimizer import Optimizer, axpy, blocks

__all__ = ["SGD"]


class SGD(Optimizer):
    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach=None, differentiable: bool = False, fused=None) -> None:
        if isinstance(lr, Tensor):
            lr = float(lr.item())
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)

    def _update(self, group, params) -> None:
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        wd, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
        for p in params:
            x, g = p._data, p.grad._data
            first, b = False, None
            if momentum != 0:
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is None:
                    first = True
                    buf = state["momentum_buffer"] = Tensor._wrap(np.empty_like(x))
                b = buf._data
            for xb, gb, bb in blocks(x, g, x if b is None else b):
                self._step(xb, gb, bb if momentum != 0 else None, first, lr, momentum,
                           dampening, wd, nesterov, maximize)
            p._vc[0] += 1

    @staticmethod
    def _step(x, g, b, first, lr, momentum, dampening, wd, nesterov, maximize) -> None:
        """One block of PyTorch's single-tensor SGD, in place on ``x`` (and ``b``)."""
        g = -g if maximize else g
        if wd != 0:
            g = axpy(g, wd, x)
        if b is not None:
            if first:
                b[...] = g                     # the buffer starts as a copy of the gradient
            else:
                b *= momentum
                axpy(b, 1 - dampening, g, out=b)
            g = axpy(g, momentum, b) if nesterov else b
        axpy(x, -lr, g, out=x)
