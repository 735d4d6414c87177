"""``optim.SGD``: stochastic gradient descent with momentum, dampening, Nesterov,
weight decay and maximize, exactly as PyTorch's single-tensor path (SEMANTICS 4.1).

Takes: params and hyper-parameters. Gives: ``step()`` updating parameters in place;
the momentum buffer lives in ``state[p]['momentum_buffer']`` (only when momentum != 0).
Invariant: every ``add(..., alpha=...)`` is PyTorch's FMA (``fused``), every other
operation a float op of the parameter's dtype, so float32 and float64 trajectories equal
PyTorch's bit for bit. A float32 parameter is updated block by block with its values
widened to double once per block, for the weight decay and the update alike.
"""
from __future__ import annotations

import numpy as np

from ..runtime.tensor import Tensor
from .fused import _work, axpy, blocks, round32
from .optimizer import Optimizer

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
            fast = all(a.dtype == np.float32 and a.flags.c_contiguous and a.shape == x.shape
                       for a in (x, g, x if b is None else b))
            step = self._step32 if fast else self._step
            for xb, gb, bb in blocks(x, g, x if b is None else b):
                if fast:
                    xb, gb, bb = xb.reshape(-1), gb.reshape(-1), bb.reshape(-1)
                step(xb, gb, bb if momentum != 0 else None, first, lr, momentum, dampening,
                     wd, nesterov, maximize)
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

    @staticmethod
    def _step32(x, g, b, first, lr, momentum, dampening, wd, nesterov, maximize) -> None:
        """``_step`` for one flat float32 block: ``x`` is widened to double once and serves
        the weight decay ``g + wd * x`` and the update ``x - lr * g`` (both PyTorch FMAs,
        rounded by ``fused.round32``)."""
        xd, v, gd = _work(x.size, 5)[2:]                 # axpy below uses the first two
        xd[...] = x                                      # x, exact
        if wd != 0:
            wd32 = float(np.float32(wd))
            np.multiply(xd, wd32, out=v)                 # wd * x, exact
            gd[...] = g
            if maximize:
                np.subtract(v, gd, out=v)                # -g + wd * x, rounded once
            else:
                v += gd
            g = np.empty_like(x)
            sign = -1.0 if maximize else 1.0
            round32(v, g, lambda i: wd32 * xd[i], lambda i: sign * gd[i])
        elif maximize:
            g = -g
        if b is not None:
            if first:
                b[...] = g                               # the buffer starts as the gradient
            else:
                b *= momentum
                axpy(b, 1 - dampening, g, out=b)
            g = axpy(g, momentum, b) if nesterov else b
        alpha = float(np.float32(-lr))
        v[...] = g
        v *= alpha                                       # -lr * g, exact
        v += xd                                          # x - lr * g, rounded once
        round32(v, x, lambda i: alpha * g[i].astype(np.float64), xd.__getitem__)
