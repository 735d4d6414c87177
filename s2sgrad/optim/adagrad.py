"""``optim.Adagrad`` as PyTorch's single-tensor (``foreach=False``) CPU path, dense gradients.

Takes: params, lr, lr_decay, weight_decay, initial_accumulator_value, eps, maximize (and
PyTorch's ``foreach``/``differentiable``/``fused`` flags, stored in the group and otherwise
ignored). Gives: ``step()`` with PyTorch's update::

    clr = lr / (1 + (step - 1) * lr_decay)
    sum += g * g;  p -= clr * g / (sqrt(sum) + eps)

rounded as PyTorch's ``addcmul_``/``addcdiv_`` kernels round it (``fused``); the square
root is ``fused.sqrt`` (see ``fused`` for why it can differ from PyTorch's by one ulp).
Invariant: as in PyTorch, the state is created with the optimizer: ``state[p]`` holds
``step`` (a float32 0-d tensor, 0 until the first step) and ``sum`` (filled with
``initial_accumulator_value``).
"""
from __future__ import annotations

import numpy as np

from ..runtime.tensor import Tensor
from . import fused as _fused
from .fused import addcdiv, addcmul_, axpy
from .optimizer import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach=None, *,
                 maximize: bool = False, differentiable: bool = False, fused=None) -> None:
        if isinstance(lr, Tensor):
            lr = float(lr.item())
        if not lr >= 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not lr_decay >= 0.0:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not weight_decay >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not initial_accumulator_value >= 0.0:
            raise ValueError(f"Invalid initial_accumulator_value value: "
                             f"{initial_accumulator_value}")
        if not eps >= 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value,
                    "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p: Tensor, group) -> dict:
        state = self.state[p]
        if not state:
            state["step"] = Tensor._wrap(np.array(0.0, np.float32))
            state["sum"] = Tensor._wrap(
                np.full_like(p._data, group["initial_accumulator_value"]))
        return state

    def share_memory(self) -> None:
        """PyTorch moves the accumulators to shared memory; NumPy arrays stay where they are."""

    def _update(self, group, params) -> None:
        lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
        wd, maximize = group["weight_decay"], group["maximize"]
        for p in params:
            x = p._data
            g = p.grad._data
            state = self._init_state(p, group)
            state["step"]._data += 1
            step = float(state["step"]._data)
            g = -g if maximize else g
            if wd != 0:
                g = axpy(g, wd, x)                              # grad.add(p, alpha=wd)
            clr = lr / (1 + (step - 1) * lr_decay)
            acc = addcmul_(state["sum"]._data, g, g)
            std = _fused.sqrt(acc)
            std += x.dtype.type(eps)
            self._write(p, addcdiv(x, g, std, -clr))
