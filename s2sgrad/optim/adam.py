"""``optim.Adam`` and ``optim.AdamW`` as PyTorch's single-tensor path (SEMANTICS 4.2).

Takes: params, lr, betas, eps, weight_decay (L2 for Adam, decoupled for AdamW), amsgrad,
maximize. Gives: ``step()``; the state per parameter holds ``step`` (a float32 0-d
tensor), ``exp_avg``, ``exp_avg_sq`` and, with amsgrad, ``max_exp_avg_sq``.
"""
from __future__ import annotations

import math

import numpy as np

from ..runtime.tensor import Tensor
from .optimizer import Optimizer, axpy

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach=None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused=None,
                 decoupled_weight_decay: bool = False) -> None:
        if isinstance(lr, Tensor):
            lr = float(lr.item())
        if not lr >= 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not eps >= 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not weight_decay >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable,
                    "fused": fused, "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def _update(self, group, params) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        wd, amsgrad, maximize = group["weight_decay"], group["amsgrad"], group["maximize"]
        decoupled = group["decoupled_weight_decay"]
        for p in params:
            x = p._data
            g = p.grad._data
            g = -g if maximize else g
            state = self.state[p]
            if not state:
                state["step"] = Tensor._wrap(np.array(0.0, np.float32))
                state["exp_avg"] = Tensor._wrap(np.zeros_like(x))
                state["exp_avg_sq"] = Tensor._wrap(np.zeros_like(x))
                if amsgrad:
                    state["max_exp_avg_sq"] = Tensor._wrap(np.zeros_like(x))
            state["step"]._data += 1
            t = float(state["step"]._data)
            if wd != 0:
                if decoupled:
                    x *= 1 - lr * wd
                else:
                    g = axpy(g, wd, x)
            m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
            m += (g - m) * (1 - beta1)           # lerp, as PyTorch writes it
            v *= beta2
            v += (1 - beta2) * (g * g)
            bc1 = 1 - beta1 ** t
            bc2 = 1 - beta2 ** t
            if amsgrad:
                vmax = state["max_exp_avg_sq"]._data
                np.maximum(vmax, v, out=vmax)
                v = vmax
            denom = np.sqrt(v) / math.sqrt(bc2) + eps
            self._write(p, x - (lr / bc1) * (m / denom))


class AdamW(Adam):
    """Adam with decoupled weight decay (``p *= 1 - lr * weight_decay`` before the step)."""

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach=None, capturable: bool = False,
                 differentiable: bool = False, fused=None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
