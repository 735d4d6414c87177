"""``nn.functional``'s further activations (re-exported by ``functional``).

Takes: Tensors and PyTorch's options. Gives: one node per call, named as PyTorch names it:
a primitive of ``rules.nn.activation_more`` where PyTorch has a kernel (``hardtanh``,
``relu6``, ``hardsigmoid``, ``hardswish``, ``prelu``, ``selu``, ``celu``, ``mish``,
``softshrink``, ``hardshrink``, ``threshold``, ``logsigmoid``, ``glu``), a composition where
PyTorch composes (``softsign`` is a division, ``softmin`` a softmax of ``-x``,
``tanhshrink`` a subtraction).
"""
from __future__ import annotations

from ..rules import nn as R
from ..runtime.ops import apply, apply_inplace
from ..runtime.tensor import Tensor

__all__ = ["celu", "glu", "hardshrink", "hardsigmoid", "hardswish", "hardtanh", "hardtanh_",
           "logsigmoid", "mish", "prelu", "relu6", "selu", "softmin", "softshrink",
           "softsign", "tanhshrink", "threshold", "threshold_"]


def _run(primal, input, *args, inplace=False, name=None):
    if inplace:
        return apply_inplace(input, primal, *args, name=name)
    return apply(primal, input, *args, name=name)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _run(R.hardtanh, input, min_val, max_val, inplace=inplace,
                name="HardtanhBackward1" if inplace else "HardtanhBackward0")


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    return hardtanh(input, 0.0, 6.0, inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    return _run(R.hardsigmoid, input, inplace=inplace, name="HardsigmoidBackward0")


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    return _run(R.hardswish, input, inplace=inplace, name="HardswishBackward0")


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    return _run(R.selu, input, inplace=inplace,
                name="EluBackward1" if inplace else "EluBackward0")


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _run(R.celu, input, alpha, inplace=inplace,
                name="CeluBackward1" if inplace else "CeluBackward0")


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    return _run(R.mish, input, inplace=inplace, name="MishBackward0")


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    if lambd < 0:
        from .functional import _dtype_name
        raise RuntimeError(f"lambda must be in range [0, 3.40282e+38] for input dtype "
                           f"{_dtype_name(input._data.dtype)}, but found {lambd:g}")
    return apply(R.softshrink, input, lambd, name="SoftshrinkBackward0")


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    return apply(R.hardshrink, input, lambd, name="HardshrinkBackward0")


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    return _run(R.threshold, input, threshold, value, inplace=inplace,
                name="ThresholdBackward1" if inplace else "ThresholdBackward0")


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return globals()["threshold"](input, threshold, value, True)


def logsigmoid(input: Tensor) -> Tensor:
    return apply(R.log_sigmoid, input, name="LogSigmoidBackward0")


def glu(input: Tensor, dim: int = -1) -> Tensor:
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    n = input.shape[dim]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension "
                           f"{dim % input.dim()} is size {n}")
    return apply(R.glu, input, dim, name="GluBackward0")


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``max(0, x) + weight * min(0, x)``; a weight of C > 1 values runs along dim 1."""
    n = weight.numel()
    if input.dim() == 0:
        raise RuntimeError("Not allow zero-dim input tensor.")
    if weight.dim() > 1:
        raise RuntimeError("prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight.dim()}")
    if n != 1:
        channels = input.shape[1] if input.dim() >= 2 else input.shape[0]
        if channels != n:
            raise RuntimeError("Mismatch of parameter numbers and input channel size. Found "
                               f"parameter numbers = {n} and channel size = {channels}.")
        if input.dim() >= 2:
            weight = weight.reshape((n,) + (1,) * (input.dim() - 2))
    return apply(R.prelu, input, weight, name="PreluKernelBackward0")


def softsign(input: Tensor) -> Tensor:
    return input / (input.abs() + 1)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype=None) -> Tensor:
    from .functional import _softmax_dim, softmax
    if dim is None:
        dim = _softmax_dim("softmin", input.dim(), _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return softmax(-input, dim)


def tanhshrink(input: Tensor) -> Tensor:
    return input - input.tanh()
