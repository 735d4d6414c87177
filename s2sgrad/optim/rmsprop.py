"""``optim.RMSprop`` as PyTorch's single-tensor (``foreach=False``) CPU path.

Takes: params, lr, alpha, eps, weight_decay, momentum, centered, maximize (and PyTorch's
``capturable``/``foreach``/``differentiable`` flags, stored in the group and otherwise
ignored). Gives: ``step()``; the state per parameter holds ``step`` (a float32 0-d tensor),
``square_avg``, ``momentum_buffer`` when momentum > 0 and ``grad_avg`` when centered.

Invariant: every array keeps the parameter's dtype, and every operation rounds as
PyTorch's does (``fused``: ``addcmul_``, ``lerp_``, ``addcdiv``, ``axpy``), for float32 and
float64 alike, except the square root: ``fused.sqrt``, IEEE's unless substituted (see
``fused`` for why PyTorch's differs by one ulp at times).
"""
from __future__ import annotations


from ..runtime.tensor import Tensor
from . import fused as _fused
from .fused import addcdiv, addcmul_, axpy, lerp_
from .optimizer import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach=None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        if isinstance(lr, Tensor):
            lr = float(lr.item())
        if not lr >= 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not eps >= 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not momentum >= 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not weight_decay >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not alpha >= 0.0:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay,
                    "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def _update(self, group, params) -> None:
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        wd, momentum = group["weight_decay"], group["momentum"]
        centered, maximize = group["centered"], group["maximize"]
        for p in params:
            x = p._data
            g = p.grad._data
            g = -g if maximize else g
            state = self._counted_state(p, ("square_avg",)
                                        + (("momentum_buffer",) if momentum > 0 else ())
                                        + (("grad_avg",) if centered else ()))
            if wd != 0:
                g = axpy(g, wd, x)                              # grad.add(p, alpha=wd)
            one = x.dtype.type
            sq = state["square_avg"]._data
            sq *= one(alpha)
            addcmul_(sq, g, g, 1 - alpha)
            if centered:
                ga = lerp_(state["grad_avg"]._data, g, 1 - alpha)
                avg = addcmul_(sq.copy(), ga, ga, -1)           # sq.addcmul(ga, ga, value=-1)
                avg = _fused.sqrt(avg)
            else:
                avg = _fused.sqrt(sq)
            avg += one(eps)
            if momentum > 0:
                buf = state["momentum_buffer"]._data
                buf *= one(momentum)
                buf[...] = addcdiv(buf, g, avg)
                axpy(x, -lr, buf, out=x)                        # p.add_(buf, alpha=-lr)
            else:
                x[...] = addcdiv(x, g, avg, -lr)
            p._vc[0] += 1
