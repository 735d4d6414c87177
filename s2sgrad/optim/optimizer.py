"""``optim.Optimizer``: parameter groups, per-parameter state, zero_grad, state_dict.

Takes: an iterable of Tensors or of dicts (param groups), and the subclass's defaults.
Gives: PyTorch's Optimizer surface with its exact errors, warnings and repr; ``step`` is
the subclass's, run under ``no_grad`` (and without NumPy's floating-point warnings, which
PyTorch does not give) and writing each parameter's array in place (its version counter
goes up by one), skipping parameters whose ``grad`` is None. ``axpy`` and ``blocks`` are
``fused``'s, re-exported.
Invariant: ``state`` is keyed by the parameter object; ``state_dict`` refers to
parameters by their position across all groups, as PyTorch's does.
"""
from __future__ import annotations

import warnings
from collections import defaultdict
from typing import Any

import numpy as np

from ..runtime import grad_mode
from ..nn.parameter import zero_grads
from ..runtime.tensor import Tensor
from ._checks import scalar
from .fused import axpy, blocks

__all__ = ["Optimizer", "axpy", "blocks", "required"]


class _Required:
    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()


def _type_text(obj) -> str:
    if isinstance(obj, Tensor):
        from ..runtime.tensor import _c_type
        return f"torch.{_c_type(obj._data.dtype).capitalize()}Tensor"
    return type(obj).__name__


class Optimizer:
    """Base class: subclasses implement ``_update(group, params_with_grad)``."""

    def __init__(self, params, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {_type_text(params)}")
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            param_group["params"] = list(params)
        for p in param_group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + type(p).__name__)
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        ids = [id(p) for p in param_group["params"]]
        if len(set(ids)) != len(ids):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          UserWarning, stacklevel=3)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if seen & set(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        zero_grads((p for group in self.param_groups for p in group["params"]), set_to_none)

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with grad_mode.enable_grad():
                loss = closure()
        # PyTorch rounds to +-inf and NaN silently: NumPy's floating-point warnings are off.
        with grad_mode.no_grad(), np.errstate(all="ignore"):
            for group in self.param_groups:
                live = [p for p in group["params"] if p.grad is not None]
                if live:
                    self._update(group, live)
        return loss

    def _update(self, group: dict[str, Any], params: list[Tensor]) -> None:
        raise NotImplementedError

    @staticmethod
    def _decayed(x: np.ndarray, g: np.ndarray, lr: float, wd: float, decoupled: bool):
        """The gradient after PyTorch's weight decay: decoupled (AdamW-style) shrinks the
        parameter in place, ``param.mul_(1 - lr * wd)``; otherwise ``grad.add(param,
        alpha=wd)``."""
        if wd != 0:
            if decoupled:
                x *= x.dtype.type(1 - lr * wd)
            else:
                g = axpy(g, wd, x)
        return g

    def _counted_state(self, p: Tensor, buffers=(), scalars=()) -> dict:
        """``p``'s state with its ``step`` counted once more. Made on first use, in
        PyTorch's key order: ``step``, a scalar per ``(name, value)`` in ``scalars`` and
        a zero array like ``p`` per name in ``buffers`` (scalars in the default dtype's
        precision, as PyTorch's are)."""
        state = self.state[p]
        if not state:
            state["step"] = scalar(0.0)
            for name, value in scalars:
                state[name] = scalar(value)
            for name in buffers:
                state[name] = Tensor._wrap(np.zeros_like(p._data))
        state["step"]._data += 1
        return state

    @staticmethod
    def _write(p: Tensor, new: np.ndarray) -> None:
        """Store ``new`` into ``p``'s array in place; the version counter records it."""
        np.copyto(p._data, new, casting="unsafe")
        p._vc[0] += 1

    # -- state_dict ---------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {index[id(p)]: s for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(self.param_groups, groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        by_index = {}
        for g, saved in zip(self.param_groups, groups):
            for p, i in zip(g["params"], saved["params"]):
                by_index[i] = p
        self.state = defaultdict(dict)
        for i, s in state_dict["state"].items():
            p = by_index[i]
            self.state[p] = {k: _copy_state(v, p) for k, v in s.items()}
        for g, saved in zip(self.param_groups, groups):
            for k, v in saved.items():
                if k != "params":
                    g[k] = v

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        # Every line ends in a newline and each group starts with one more, so groups are
        # separated by a blank line, as PyTorch prints them.
        text = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            text += "".join(f"    {key}: {group[key]}\n" for key in sorted(group)
                            if key != "params")
        return text + ")"


def _copy_state(v, p: Tensor):
    if isinstance(v, Tensor):
        arr = v._data.copy()
        if arr.dtype.kind == "f" and arr.ndim and p._data.dtype.kind == "f":
            arr = arr.astype(p._data.dtype)
        return Tensor._wrap(arr)
    return v
