"""``nn.functional``: PyTorch's functional layer API on s2sgrad Tensors.

Takes: Tensors (and Python options) with ``torch.nn.functional``'s signatures.
Gives: Tensors whose graph nodes carry PyTorch's names: each function runs one primitive
of the rule table (``s2sgrad.rules.nn`` / ``torchlike``) through ``runtime.ops.apply``,
or composes a few, exactly where PyTorch composes (``cross_entropy`` is ``nll_loss`` of
``log_softmax``; ``linear`` is ``addmm`` of the transposed weight; dropout is a multiply).
Invariant: the functions with a primitive of the same signature are declared aliases of
it, so the compiler treats ``F.conv2d`` inside a compiled function as the primitive.
"""
from __future__ import annotations

import warnings

import numpy as np

from ..rules import alias
from ..rules import nn as R
from ..rules import torchlike as tl
from ..runtime.ops import apply, apply_inplace
from ..runtime.tensor import Tensor

__all__ = [
    "adaptive_avg_pool2d",
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy_with_logits",
    "conv2d",
    "cross_entropy",
    "dropout",
    "flatten",
    "linear",
    "log_softmax",
    "max_pool2d",
    "mse_loss",
    "nll_loss",
    "one_hot",
    "relu",
    "relu_",
    "sigmoid",
    "softmax",
    "tanh",
]


def _arr(x):
    return x._data if isinstance(x, Tensor) else x


def _dtype_name(dt) -> str:
    return {"float64": "Double", "float32": "Float", "float16": "Half", "int64": "Long",
            "int32": "Int"}.get(np.dtype(dt).name, np.dtype(dt).name)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``; 2-D input with a bias is one ``AddmmBackward0`` node."""
    x, w = _arr(input), _arr(weight)
    if x.ndim == 0 or x.shape[-1] != w.shape[-1]:
        rows = int(np.prod(x.shape[:-1])) if x.ndim > 1 else 1
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                           f"({rows}x{x.shape[-1] if x.ndim else 1} and "
                           f"{w.shape[-1]}x{w.shape[0]})")
    if x.dtype != w.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                           f"{_dtype_name(x.dtype)} and {_dtype_name(w.dtype)}")
    if x.ndim == 2 and bias is not None:
        return apply(R.addmm, bias, input, weight.t())
    out = input.matmul(weight.t())
    return out if bias is None else out + bias


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    return apply(R.conv2d, input, weight, bias, stride, padding, dilation, groups)


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False) -> Tensor:
    if return_indices:
        raise NotImplementedError("max_pool2d(return_indices=True) is not supported; the "
                                  "gradient uses the first maximum of each window")
    return apply(R.max_pool2d, input, kernel_size, stride, padding, dilation, ceil_mode)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    return apply(R.avg_pool2d, input, kernel_size, stride, padding, ceil_mode,
                 count_include_pad, divisor_override)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Adaptive average pooling; a (1, 1) output is a mean, as PyTorch computes it."""
    size = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * 2
    if tuple(size) == (1, 1):
        return input.mean(dim=(-2, -1), keepdim=True)
    return apply(R.adaptive_avg_pool2d, input, output_size)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalisation; in training the running buffers are updated in place."""
    # The buffers go in as arrays: they are inputs the primal writes, never saved values
    # whose version the backward checks (PyTorch does not save them in training either).
    return apply(R.batch_norm, input, _arr(running_mean), _arr(running_var), weight, bias,
                 training, momentum, eps)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    return apply_inplace(input, tl.relu, name="ReluBackward0") if inplace else \
        apply(tl.relu, input, name="ReluBackward0")


def relu_(input: Tensor) -> Tensor:
    return relu(input, inplace=True)


def sigmoid(input: Tensor) -> Tensor:
    return apply(tl.sigmoid, input, name="SigmoidBackward0")


def tanh(input: Tensor) -> Tensor:
    return input.tanh()


def _softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    if dim is None:
        dim = _softmax_dim("softmax", input.dim(), _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return apply(tl.softmax, input, axis=dim, name="SoftmaxBackward0")


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype=None) -> Tensor:
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim(), _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return apply(tl.log_softmax, input, axis=dim, name="LogSoftmaxBackward0")


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p).

    The mask is drawn from the global generator; the op is a multiply (``MulBackward0``),
    as in PyTorch.
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    from ..runtime import random
    # PyTorch: noise = bernoulli(1 - p) / (1 - p); out = input * noise.
    mask = np.empty(input._data.shape, input._data.dtype)
    random.default_generator.bernoulli_(mask, 1.0 - p)
    if p < 1.0:
        mask /= mask.dtype.type(1.0 - p)
    if inplace:
        input *= Tensor._wrap(mask)
        return input
    return input * Tensor._wrap(mask)


def _reduction(size_average, reduce, reduction: str) -> str:
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else ("sum" if reduce else "none")
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{ret}' instead.", UserWarning, stacklevel=3)
    return ret


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    reduction = _reduction(size_average, reduce, reduction)
    return apply(R.nll_loss, input, _arr(target), _arr(weight), ignore_index, reduction)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average=None, ignore_index: int = -100, reduce=None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """``nll_loss(log_softmax(input, 1), target)``; float targets of the input's shape are
    class probabilities."""
    reduction = _reduction(size_average, reduce, reduction)
    if label_smoothing != 0.0:
        raise NotImplementedError("cross_entropy(label_smoothing != 0) is not supported")
    dim = 0 if input.dim() == 1 else 1
    logp = log_softmax(input, dim)
    t = _arr(target)
    if t.dtype.kind == "f" and t.shape == input._data.shape:
        if weight is not None:
            raise NotImplementedError("cross_entropy with probability targets and class "
                                      "weights is not supported")
        loss = -(logp * target).sum(dim)
        if reduction == "mean":
            n = t.size // t.shape[dim] if t.ndim else 1
            return loss.sum() / n
        return loss.sum() if reduction == "sum" else loss
    return nll_loss(logp, target, weight, None, ignore_index, None, reduction)


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean") -> Tensor:
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(np.shape(_arr(target))) != tuple(input.shape):
        warnings.warn(f"Using a target size ({_size(np.shape(_arr(target)))}) that is different "
                      f"to the input size ({_size(input.shape)}). This will likely lead to "
                      "incorrect results due to broadcasting. Please ensure they have the same "
                      "size.", UserWarning, stacklevel=2)
    return apply(R.mse_loss, input, target, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight=None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight=None) -> Tensor:
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(np.shape(_arr(target))) != tuple(input.shape):
        raise ValueError(f"Target size ({_size(np.shape(_arr(target)))}) must be the same as "
                         f"input size ({_size(input.shape)})")
    return apply(R.bce_with_logits, input, target, _arr(weight), _arr(pos_weight), reduction)


def _size(shape) -> str:
    return f"torch.Size([{', '.join(str(int(s)) for s in shape)}])"


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    return input.flatten(start_dim, end_dim)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    t = _arr(tensor)
    if t.dtype.kind not in "iu":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    n = int(t.max()) + 1 if num_classes < 0 else num_classes
    return Tensor._wrap((t[..., None] == np.arange(n)).astype(np.int64))


# Inside compiled code these functions are their array primitives (same signatures).
for _f, _p in ((conv2d, R.conv2d), (avg_pool2d, R.avg_pool2d), (batch_norm, R.batch_norm),
               (max_pool2d, R.max_pool2d), (adaptive_avg_pool2d, R.adaptive_avg_pool2d),
               (relu, tl.relu), (sigmoid, tl.sigmoid), (tanh, np.tanh)):
    alias(_f, _p)
