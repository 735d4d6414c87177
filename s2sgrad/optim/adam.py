"""``optim.Adam`` and ``optim.AdamW`` as PyTorch's single-tensor path (SEMANTICS 4.2).

Takes: params, lr, betas, eps, weight_decay (L2 for Adam, decoupled for AdamW), amsgrad,
maximize. Gives: ``step()``; the state per parameter holds ``step`` (a float32 0-d
tensor), ``exp_avg``, ``exp_avg_sq`` and, with amsgrad, ``max_exp_avg_sq``.

Invariant: each operation rounds as PyTorch 2.13's CPU kernels do (``foreach=False``, the
CPU default), for float32 and float64 alike; the scalars (bias corrections, step size) are
Python floats computed as PyTorch computes them, and meet an array as its dtype. The one
exception is the square root, ``fused.sqrt``: IEEE's unless substituted (see ``fused``).
"""
from __future__ import annotations

import numpy as np

from ..runtime.tensor import Tensor
from . import fused as _fused
from .fused import addcdiv, addcmul_, lerp_
from .optimizer import Optimizer

__all__ = ["Adam", "AdamW"]


_ADAM = ("exp_avg", "exp_avg_sq")
_ADAM_AMSGRAD = _ADAM + ("max_exp_avg_sq",)


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
            one = x.dtype.type
            state = self._counted_state(p, _ADAM_AMSGRAD if amsgrad else _ADAM)
            g = self._decayed(x, g, lr, wd, decoupled)
            m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
            lerp_(m, g, 1 - beta1)
            v *= one(beta2)
            addcmul_(v, g, g, 1 - beta2)
            step = float(state["step"]._data)
            bias_correction1 = 1 - beta1 ** step
            bias_correction2 = 1 - beta2 ** step
            step_size = lr / bias_correction1
            bias_correction2_sqrt = bias_correction2 ** 0.5
            if amsgrad:
                vmax = state["max_exp_avg_sq"]._data
                np.maximum(vmax, v, out=vmax)
                v = vmax
            denom = _fused.sqrt(v) / one(bias_correction2_sqrt)
            denom += one(eps)
            x[...] = addcdiv(x, m, denom, -step_size)
            p._vc[0] += 1


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
