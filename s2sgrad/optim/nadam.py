"""``optim.NAdam``: Adam with Nesterov momentum (Dozat), as PyTorch's single-tensor path.

Takes: params, lr (2e-3), betas, eps, weight_decay (L2, or decoupled with
``decoupled_weight_decay``), momentum_decay (4e-3), maximize. Gives: ``step()``; the
state holds ``step`` and ``mu_product`` (0-d), ``exp_avg`` and ``exp_avg_sq``. With
``mu_t = beta1 (1 - 0.96^(t psi) / 2)``::

    p -= lr (1 - mu_t) / (1 - prod mu) * g / d + lr mu_{t+1} / (1 - prod mu * mu_{t+1}) * m / d
    d = sqrt(v / (1 - beta2^t)) + eps

``mu_product`` is multiplied in its own (0-d) dtype, as PyTorch's tensor is.
"""
from __future__ import annotations


from . import fused as _fused
from ._checks import check_betas, check_lr, check_nonneg
from .fused import addcdiv, addcmul_, lerp_
from .optimizer import Optimizer

__all__ = ["NAdam"]


class NAdam(Optimizer):
    def __init__(self, params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach=None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        lr = check_lr(lr)
        check_nonneg(eps, "epsilon")
        check_betas(betas)
        check_nonneg(weight_decay, "weight_decay")
        check_nonneg(momentum_decay, "momentum_decay")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def _update(self, group, params) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        wd, psi, maximize = group["weight_decay"], group["momentum_decay"], group["maximize"]
        decoupled = group["decoupled_weight_decay"]
        for p in params:
            x = p._data
            g = p.grad._data
            g = -g if maximize else g
            one = x.dtype.type
            state = self._counted_state(p, ("exp_avg", "exp_avg_sq"), (("mu_product", 1.0),))
            step = float(state["step"]._data)
            bias_correction2 = 1 - beta2 ** step
            g = self._decayed(x, g, lr, wd, decoupled)
            mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * psi)))
            mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * psi)))
            mp = state["mu_product"]._data
            mp *= mp.dtype.type(mu)
            m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
            lerp_(m, g, 1 - beta1)
            v *= one(beta2)
            addcmul_(v, g, g, 1 - beta2)
            denom = _fused.sqrt(v / one(bias_correction2))
            mu_product = float(mp)
            mu_product_next = mu_product * mu_next
            denom += one(eps)
            x[...] = addcdiv(x, g, denom, -lr * (1.0 - mu) / (1.0 - mu_product))
            x[...] = addcdiv(x, m, denom, (-lr * mu_next) / (1.0 - mu_product_next))
            p._vc[0] += 1
