"""``optim.Adadelta`` (Zeiler), as PyTorch's single-tensor CPU path.

Takes: params, lr (1.0), rho (0.9), eps (1e-6), weight_decay, maximize. Gives: ``step()``::

    v = rho v + (1 - rho) g^2
    delta = sqrt(u + eps) / sqrt(v + eps) * g
    u = rho u + (1 - rho) delta^2;  p -= lr * delta

with the state ``step`` (0-d), ``square_avg`` and ``acc_delta``.
"""
from __future__ import annotations


from . import fused as _fused
from ._checks import check_lr, check_nonneg
from .fused import addcmul_, axpy
from .optimizer import Optimizer

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach=None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False) -> None:
        lr = check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_nonneg(eps, "epsilon")
        check_nonneg(weight_decay, "weight_decay")
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def _update(self, group, params) -> None:
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        wd, maximize = group["weight_decay"], group["maximize"]
        for p in params:
            x = p._data
            g = p.grad._data
            one = x.dtype.type
            state = self._counted_state(p, ("square_avg", "acc_delta"))
            g = -g if maximize else g
            if wd != 0:
                g = axpy(g, wd, x)
            sq, acc = state["square_avg"]._data, state["acc_delta"]._data
            sq *= one(rho)
            addcmul_(sq, g, g, 1 - rho)
            std = _fused.sqrt(sq + one(eps))
            delta = _fused.sqrt(acc + one(eps))
            delta /= std
            delta *= g
            acc *= one(rho)
            addcmul_(acc, delta, delta, 1 - rho)
            axpy(x, -lr, delta, out=x)                          # param.add_(delta, alpha=-lr)
            p._vc[0] += 1
