"""``optim.ASGD``: averaged stochastic gradient descent, as PyTorch's single-tensor path.

Takes: params, lr (1e-2), lambd (1e-4), alpha (0.75), t0 (1e6), weight_decay, maximize.
Gives: ``step()``::

    p *= 1 - lambd * eta;  p -= eta * g
    ax += mu (p - ax)   (ax = p while mu is 1)
    eta = lr / (1 + lambd lr t)^alpha;  mu = 1 / max(1, t - t0)

with the state ``step``, ``eta``, ``mu`` (0-d tensors: ``eta`` is read back rounded to
their dtype, as PyTorch reads it) and ``ax``, the running average of the parameter.
"""
from __future__ import annotations


from ._checks import check_lr, check_nonneg
from .fused import axpy
from .optimizer import Optimizer

__all__ = ["ASGD"]


class ASGD(Optimizer):
    def __init__(self, params, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0, foreach=None,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        lr = check_lr(lr)
        check_nonneg(weight_decay, "weight_decay")
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def _update(self, group, params) -> None:
        lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
        wd, maximize = group["weight_decay"], group["maximize"]
        for p in params:
            x = p._data
            g = p.grad._data
            g = -g if maximize else g
            one = x.dtype.type
            state = self._counted_state(p, ("ax",), (("eta", lr), ("mu", 1.0)))
            if wd != 0:
                g = axpy(g, wd, x)
            eta = float(state["eta"]._data)
            x *= one(1 - lambd * eta)                           # decay term
            axpy(x, -eta, g, out=x)                             # param.add_(g, alpha=-eta)
            ax, mu = state["ax"]._data, state["mu"]._data
            if float(mu) != 1:
                ax += (x - ax) * one(mu)
            else:
                ax[...] = x
            step = float(state["step"]._data)
            state["eta"]._data[...] = lr / ((1 + lambd * lr * step) ** alpha)
            state["mu"]._data[...] = 1 / max(1, step - t0)
            p._vc[0] += 1
