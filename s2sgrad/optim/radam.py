"""``optim.RAdam``: Adam with a rectified adaptive learning rate (Liu et al.), as PyTorch's
single-tensor path.

Takes: params, lr, betas, eps, weight_decay (L2, or decoupled with
``decoupled_weight_decay``), maximize. Gives: ``step()``; the state holds ``step``,
``exp_avg`` and ``exp_avg_sq``. While the variance's length ``rho_t`` is at most 5 the
step is plain momentum, ``p -= lr * m / (1 - beta1^t)``; after, it is scaled by
``rect * sqrt(1 - beta2^t) / (sqrt(v) + eps)``, multiplied in PyTorch's order (the
quotient is the reciprocal of the denominator times the scalar, as ``scalar / tensor``
computes it).
"""
from __future__ import annotations

import numpy as np

from . import fused as _fused
from ._checks import check_betas, check_lr, check_nonneg
from .fused import addcmul_, lerp_
from .optimizer import Optimizer

__all__ = ["RAdam"]


class RAdam(Optimizer):
    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0,
                 decoupled_weight_decay: bool = False, *, foreach=None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        lr = check_lr(lr)
        check_nonneg(eps, "epsilon")
        check_betas(betas)
        check_nonneg(weight_decay, "weight_decay")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def _update(self, group, params) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        wd, maximize = group["weight_decay"], group["maximize"]
        decoupled = group["decoupled_weight_decay"]
        for p in params:
            x = p._data
            g = p.grad._data
            g = -g if maximize else g
            one = x.dtype.type
            state = self._counted_state(p, ("exp_avg", "exp_avg_sq"))
            step = float(state["step"]._data)
            g = self._decayed(x, g, lr, wd, decoupled)
            m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
            lerp_(m, g, 1 - beta1)
            v *= one(beta2)
            addcmul_(v, g, g, 1 - beta2)
            bias_correction1 = 1 - beta1 ** step
            bias_correction2 = 1 - beta2 ** step
            corrected = m / one(bias_correction1)
            rho_inf = 2 / (1 - beta2) - 1
            rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
            if rho_t > 5.0:
                rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                        / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                root = _fused.sqrt(v)
                root += one(eps)
                adaptive = (one(1) / root) * one(bias_correction2 ** 0.5)
                update = corrected * one(lr) * adaptive * one(rect)
            else:
                update = corrected * one(lr)
            np.subtract(x, update, out=x)                       # param.add_(u, alpha=-1)
            p._vc[0] += 1
