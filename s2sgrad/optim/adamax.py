"""``optim.Adamax``: Adam with the infinity norm, as PyTorch's single-tensor CPU path.

Takes: params, lr (2e-3), betas, eps, weight_decay, maximize. Gives: ``step()``::

    m = lerp(m, g, 1 - beta1);  u = max(beta2 * u, |g| + eps)
    p -= lr / (1 - beta1^t) * m / u

with the state ``step`` (0-d), ``exp_avg`` and ``exp_inf``, rounded as PyTorch's kernels
round (``fused``).
"""
from __future__ import annotations

import numpy as np

from ._checks import check_betas, check_lr, check_nonneg
from .fused import addcdiv, axpy, lerp_
from .optimizer import Optimizer

__all__ = ["Adamax"]


class Adamax(Optimizer):
    def __init__(self, params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, foreach=None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        lr = check_lr(lr)
        check_nonneg(eps, "epsilon")
        check_betas(betas)
        check_nonneg(weight_decay, "weight_decay")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def _update(self, group, params) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        wd, maximize = group["weight_decay"], group["maximize"]
        for p in params:
            x = p._data
            g = p.grad._data
            g = -g if maximize else g
            one = x.dtype.type
            state = self._counted_state(p, ("exp_avg", "exp_inf"))
            if wd != 0:
                g = axpy(g, wd, x)                              # grad.add(p, alpha=wd)
            m, u = state["exp_avg"]._data, state["exp_inf"]._data
            lerp_(m, g, 1 - beta1)
            u *= one(beta2)
            np.maximum(u, np.abs(g) + one(eps), out=u)
            clr = lr / (1 - beta1 ** float(state["step"]._data))
            self._write(p, addcdiv(x, m, u, -clr))
