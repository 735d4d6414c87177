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
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "conv2d",
    "cross_entropy",
    "dropout",
    "elu",
    "elu_",
    "embedding",
    "flatten",
    "gelu",
    "huber_loss",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "leaky_relu_",
    "linear",
    "log_softmax",
    "max_pool2d",
    "mse_loss",
    "nll_loss",
    "one_hot",
    "pad",
    "relu",
    "relu_",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "softmax",
    "softplus",
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
    """int64 indicator vectors along a new last axis, ``num_classes`` long (by default one
    more than the largest class)."""
    t = _arr(tensor)
    if t.dtype.kind not in "iu":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes < 0 and t.size == 0:
        raise RuntimeError("Can not infer total number of classes from empty tensor.")
    if t.size and t.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    n = int(t.max()) + 1 if num_classes < 0 else num_classes
    if t.size and t.max() >= n:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return Tensor._wrap((t[..., None] == np.arange(n)).astype(np.int64))


# ---------------------------------------------------------------- more losses

def _check_size(input: Tensor, target) -> None:
    if tuple(np.shape(_arr(target))) != tuple(input.shape):
        warnings.warn(f"Using a target size ({_size(np.shape(_arr(target)))}) that is different "
                      f"to the input size ({_size(input.shape)}). This will likely lead to "
                      "incorrect results due to broadcasting. Please ensure they have the same "
                      "size.", UserWarning, stacklevel=3)


def _check_reduction(reduction: str) -> None:
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _check_weight(weight, input: Tensor) -> None:
    if weight is not None and tuple(np.shape(_arr(weight))) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean (or sum) absolute error, composed as PyTorch composes it: ``abs(input - target)``
    then ``mean``/``sum``; with ``weight``, the weighted sum over the sum of the weights."""
    _check_size(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _check_weight(weight, input)
    loss = (input - target).abs()
    if weight is not None:
        loss = loss * weight
        if reduction == "mean":
            return loss.sum() / weight.sum()
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Cross entropy of probabilities in [0, 1]; each log is clamped at -100 (PyTorch's
    ``BinaryCrossEntropyBackward0``, with a gradient for the target too)."""
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(np.shape(_arr(target))) != tuple(input.shape):
        raise ValueError(f"Using a target size ({_size(np.shape(_arr(target)))}) that is "
                         f"different to the input size ({_size(input.shape)}) is deprecated. "
                         "Please ensure they have the same size.")
    _check_reduction(reduction)
    x, y = input._data, _arr(target)
    if y.dtype != x.dtype:
        raise RuntimeError(f"Found dtype {_dtype_name(y.dtype)} but expected "
                           f"{_dtype_name(x.dtype)}")
    if not np.all((x >= 0) & (x <= 1)):
        raise RuntimeError("all elements of input should be between 0 and 1")
    if not np.all((y >= 0) & (y <= 1)):
        raise RuntimeError("all elements of target should be between 0 and 1")
    return apply(R.binary_cross_entropy, input, target, _arr(weight), reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Squared error below ``beta``, absolute error above; ``beta == 0`` is ``l1_loss``."""
    _check_size(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        loss = (input - target).abs()
        return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" \
            else loss
    return apply(R.smooth_l1_loss, input, target, reduction, float(beta))


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """Squared error below ``delta``, ``delta``-scaled absolute error above; a ``weight``
    scales the unreduced loss before the reduction (as PyTorch does)."""
    _check_size(input, target)
    _check_reduction(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is None:
        return apply(R.huber_loss, input, target, reduction, float(delta))
    _check_weight(weight, input)
    loss = apply(R.huber_loss, input, target, "none", float(delta)) * weight
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


# ---------------------------------------------------------------- more activations

def _float_kernel(input: Tensor, kernel: str) -> None:
    dt = input._data.dtype
    if dt.kind not in "fc":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_dtype_name(dt)}\'')


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    _float_kernel(input, "leaky_relu_cpu")
    if inplace:
        return apply_inplace(input, R.leaky_relu, negative_slope, name="LeakyReluBackward1")
    return apply(R.leaky_relu, input, negative_slope, name="LeakyReluBackward0")


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``x * Phi(x)`` with the exact error function, or its tanh approximation."""
    R.activation._check_approximate(approximate)
    _float_kernel(input, "GeluKernelImpl")
    return apply(R.gelu, input, approximate, name="GeluBackward0")


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    _float_kernel(input, "silu_cpu")
    if inplace:
        return apply_inplace(input, R.silu, name="SiluBackward0")
    return apply(R.silu, input, name="SiluBackward0")


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    _float_kernel(input, "elu_cpu")
    if inplace:
        return apply_inplace(input, R.elu, alpha, name="EluBackward1")
    return apply(R.elu, input, alpha, name="EluBackward0")


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    _float_kernel(input, "softplus_cpu")
    return apply(R.softplus, input, beta, threshold, name="SoftplusBackward0")


# ---------------------------------------------------------------- layer norm, embedding, pad

def _shape_list(shape) -> str:
    return f"[{', '.join(map(str, shape))}]"


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` axes (one node,
    ``NativeLayerNormBackward0``, with gradients for input, weight and bias)."""
    if not isinstance(normalized_shape, (tuple, list)):
        raise TypeError("layer_norm(): argument 'normalized_shape' (position 2) must be tuple "
                        f"of ints, not {type(normalized_shape).__name__}")
    ns = tuple(int(n) for n in normalized_shape)
    if not ns:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                           "containing at least one element, but got normalized_shape = []")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(np.shape(_arr(p))) != ns:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but "
                               f"got {name} of shape {_shape_list(np.shape(_arr(p)))} and "
                               f"normalized_shape = {_shape_list(ns)}")
    shape = tuple(input.shape)
    if len(shape) < len(ns) or shape[len(shape) - len(ns):] != ns:
        raise RuntimeError(f"Given normalized_shape={_shape_list(ns)}, expected input with "
                           f"shape {_shape_list(('*',) + ns)}, but got input of size"
                           f"{_shape_list(shape)}")
    return apply(R.layer_norm, input, ns, weight, bias, eps, name="NativeLayerNormBackward0")


def _embedding_renorm(weight: Tensor, idx, max_norm: float, norm_type: float) -> None:
    """Rows ``idx`` of ``weight`` rescaled in place to norm at most ``max_norm`` (no graph)."""
    w = weight._data
    rows = np.unique(idx)
    norms = np.linalg.norm(w[rows].astype(np.float64), ord=norm_type, axis=1)
    big = norms > max_norm
    if big.any():
        scale = max_norm / (norms[big] + 1e-7)
        w[rows[big]] = (w[rows[big]] * scale[:, None]).astype(w.dtype)
        weight._vc[0] += 1


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """The rows of ``weight`` at the integer ``input`` (``EmbeddingBackward0``); the
    ``padding_idx`` row gets no gradient; ``max_norm`` renormalises the rows it reads, in
    place, first."""
    idx = _arr(input)
    idx = np.asarray(idx)
    w = _arr(weight)
    if idx.dtype.kind not in "iu":
        from ..runtime.printing_names import tensor_type_name
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the "
                           "following scalar types: Long, Int; but got "
                           f"{tensor_type_name(idx.dtype)} instead (while checking arguments "
                           "for embedding)")
    if np.ndim(w) != 2:
        raise RuntimeError("'weight' must be 2-D")
    n = w.shape[0]
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = padding_idx % n
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError("index out of range in self")
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding(scale_grad_by_freq=True or sparse=True) is not "
                                  "supported")
    if max_norm is not None:
        _embedding_renorm(weight, idx, max_norm, norm_type)
    return apply(R.embedding, idx, weight, padding_idx, name="EmbeddingBackward0")


_PAD_MODES = {"reflect": ("reflect", "ReflectionPad{}DBackward0"),
              "replicate": ("edge", "ReplicationPad{}DBackward0"),
              "circular": ("wrap", "CopySlices")}


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """``pad`` lists (before, after) amounts from the last dimension backwards. Constant
    mode may crop (negative amounts); reflect, replicate and circular pad the last 1-3
    dimensions of a batched (or unbatched) input, as PyTorch allows."""
    pad = [int(p) for p in pad]
    nd = input.dim()
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > nd:
        raise RuntimeError("Padding length should be less than or equal to two times the "
                           f"input dimension but got padding length {len(pad)} and input of "
                           f"dimension {nd}")
    width = [(0, 0)] * nd
    for k in range(len(pad) // 2):
        width[nd - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    if mode == "constant":
        x = input
        if any(a < 0 or b < 0 for a, b in width):
            shape = input.shape
            if any(n + min(a, 0) + min(b, 0) < 0 for n, (a, b) in zip(shape, width)):
                raise RuntimeError("narrow(): length must be non-negative.")
            x = input[tuple(slice(-min(a, 0), n + min(b, 0)) for n, (a, b) in
                            zip(shape, width))]
            width = [(max(a, 0), max(b, 0)) for a, b in width]
        return apply(np.pad, x, tuple(width), "constant",
                     constant_values=0 if value is None else value,
                     name="ConstantPadNdBackward0")
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    k = len(pad) // 2
    if k not in (1, 2, 3) or nd not in (k + 1, k + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {nd}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    np_mode, node = _PAD_MODES[mode]
    if mode == "reflect":
        for d in range(nd - k, nd):
            a, b = width[d]
            if a >= input.shape[d] or b >= input.shape[d]:
                raise RuntimeError(f"Argument #4: Padding size should be less than the "
                                   f"corresponding input dimension, but got: padding ({a}, "
                                   f"{b}) at dimension {d} of input "
                                   f"{_shape_list(input.shape)}")
    return apply(np.pad, input, tuple(width), np_mode, name=node.format(k))


# Inside compiled code these functions are their array primitives (same signatures).
for _f, _p in ((conv2d, R.conv2d), (avg_pool2d, R.avg_pool2d), (batch_norm, R.batch_norm),
               (max_pool2d, R.max_pool2d), (adaptive_avg_pool2d, R.adaptive_avg_pool2d),
               (relu, tl.relu), (sigmoid, tl.sigmoid), (tanh, np.tanh),
               (gelu, R.gelu), (softplus, R.softplus), (silu, R.silu)):
    alias(_f, _p)


# The further activations, layers and losses live in their own modules (kept small); they
# are part of this namespace, as in PyTorch.
from . import _functional_act, _functional_attention, _functional_layers  # noqa: E402
from . import _functional_grid, _functional_loss, _functional_sparse  # noqa: E402
from ._functional_act import *  # noqa: E402,F401,F403
from ._functional_attention import *  # noqa: E402,F401,F403
from ._functional_attention import _as_float_mask, _dtype_or_none  # noqa: E402,F401
from ._functional_sparse import *  # noqa: E402,F401,F403
from ._functional_grid import *  # noqa: E402,F401,F403
from ._functional_layers import *  # noqa: E402,F401,F403
from ._functional_loss import *  # noqa: E402,F401,F403

__all__ += (_functional_act.__all__ + _functional_layers.__all__  # noqa: PLE0605
            + _functional_loss.__all__ + _functional_attention.__all__
            + _functional_sparse.__all__ + _functional_grid.__all__)

# Inside compiled code these are their array primitives too (same leading parameters).
for _f, _p in ((_functional_act.hardtanh, R.hardtanh), (_functional_act.hardsigmoid,
                                                          R.hardsigmoid),
               (_functional_act.hardswish, R.hardswish), (_functional_act.selu, R.selu),
               (_functional_act.celu, R.celu), (_functional_act.mish, R.mish),
               (_functional_act.softshrink, R.softshrink),
               (_functional_act.hardshrink, R.hardshrink),
               (_functional_act.threshold, R.threshold), (_functional_act.logsigmoid,
                                                          R.log_sigmoid),
               (_functional_act.glu, R.glu),
               (_functional_layers.conv_transpose2d, R.conv_transpose2d)):
    alias(_f, _p)
