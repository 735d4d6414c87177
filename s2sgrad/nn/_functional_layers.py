"""``nn.functional``'s further layer functions (re-exported by ``functional``).

Takes: Tensors and PyTorch's options. Gives: ``conv1d`` (``conv2d`` over a unit height),
``conv_transpose2d`` (the ``rules.nn.resample`` primitive), ``interpolate``/``upsample``
(nearest, nearest-exact, area, (bi)linear and bicubic, by size or scale factor, with
``align_corners``),
``pixel_shuffle``/``pixel_unshuffle`` (reshapes and a permute), ``group_norm`` (layer norm
over each group, then the per-channel affine), ``instance_norm`` (batch norm of the
(1, N*C, ...) view, as PyTorch computes it) and ``dropout1d``/``dropout2d`` (whole channels).
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ..rules import nn as R
from ..runtime.ops import apply
from ..runtime.tensor import Tensor

__all__ = ["conv1d", "conv_transpose2d", "dropout1d", "dropout2d", "group_norm",
           "instance_norm", "interpolate", "pixel_shuffle", "pixel_unshuffle", "upsample"]


def _single(v) -> tuple:
    return (v,) if isinstance(v, int) else tuple(v)


def _pair(v) -> tuple:
    return (v, v) if isinstance(v, int) else tuple(v)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """1-D cross-correlation of (N, C, L) (or (C, L)) with (O, C/groups, K)."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2D (unbatched) or 3D (batched) input to conv1d, but got "
                           f"input of size: {list(input.shape)}")
    if input.dim() == 2:
        return conv1d(input.unsqueeze(0), weight, bias, stride, padding, dilation,
                      groups).squeeze(0)
    c, n = input.shape[1], input.shape[2]
    if weight.dim() == 3 and weight.shape[1] * groups != c:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, "
                           f"expected input{list(input.shape)} to have "
                           f"{weight.shape[1] * groups} channels, but got {c} channels instead")
    if weight.dim() == 3 and not isinstance(padding, str):
        padded = n + 2 * _single(padding)[0]
        k = _single(dilation)[0] * (weight.shape[2] - 1) + 1
        if padded < k:
            raise RuntimeError(f"Calculated padded input size per channel: ({padded}). Kernel "
                               f"size: ({k}). Kernel size can't be greater than actual input "
                               "size")
    pad = padding if isinstance(padding, str) else (0, _single(padding)[0])
    return apply(R.conv1d, input, weight, bias, (1, _single(stride)[0]), pad,
                 (1, _single(dilation)[0]), groups, name="ConvolutionBackward0")


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """The transpose (adjoint) of ``conv2d``; ``weight`` is (C_in, C_out/groups, kH, kW)."""
    if input.dim() not in (3, 4):
        raise RuntimeError(f"Expected 3D (unbatched) or 4D (batched) input to "
                           f"conv_transpose2d, but got input of size: {list(input.shape)}")
    c = input.shape[-3]
    if weight.shape[0] != c:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"input{list(input.shape)} to have {weight.shape[0]} channels, but "
                           f"got {c} channels instead")
    if input.dim() == 3:
        return conv_transpose2d(input.unsqueeze(0), weight, bias, stride, padding,
                                output_padding, groups, dilation).squeeze(0)
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{list(weight.shape)}] "
                           "instead")
    s, op, d = _pair(stride), _pair(output_padding), _pair(dilation)
    if any(o >= max(a, b) for o, a, b in zip(op, s, d)):
        raise RuntimeError(f"output padding must be smaller than either stride or dilation, "
                           f"but got output_padding_height: {op[0]} output_padding_width: "
                           f"{op[1]} stride_height: {s[0]} stride_width: {s[1]} "
                           f"dilation_height: {d[0]} dilation_width: {d[1]}")
    if any(o >= a for o, a in zip(op, s)):
        raise NotImplementedError("conv_transpose2d with output_padding >= stride (allowed by "
                                  "a larger dilation) is not supported")
    return apply(R.conv_transpose2d, input, weight, bias, s, _pair(padding), op, groups, d,
                 name="ConvolutionBackward0")


# ---------------------------------------------------------------- interpolation

_MODES = {"nearest": 1, "nearest-exact": 1, "area": 1, "linear": 1, "bilinear": 2,
          "bicubic": 2}


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize the trailing 1 (``linear``, ``nearest``/``nearest-exact`` on 3-D input) or 2
    (``bilinear``, ``bicubic``, ``nearest``/``nearest-exact``, ``area`` on 4-D input)
    dimensions."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    if mode not in _MODES:
        raise NotImplementedError(f"interpolate(mode='{mode}') is not supported; nearest, "
                                  "nearest-exact, area, linear, bilinear and bicubic are")
    if antialias:
        raise NotImplementedError("interpolate(antialias=True) is not supported")
    dim = input.dim() - 2
    if dim < 1 or (mode == "bicubic" and dim != 2):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported "
                                  f"(got {input.dim()}D) for the modes: nearest | linear | "
                                  "bilinear | bicubic | trilinear | lanczos | area | "
                                  f"nearest-exact (got {mode})")
    if mode == "linear" and dim != 1:
        raise NotImplementedError(f"Got {input.dim()}D input, but linear mode needs 3D input")
    if mode == "bilinear" and dim != 2:
        raise NotImplementedError(f"Got {input.dim()}D input, but bilinear mode needs 4D input")
    if dim > 2 or (mode == "area" and dim != 2):
        raise NotImplementedError(f"interpolate(mode='{mode}') on {input.dim()}-D input is not "
                                  "supported")
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        out = list(size) if isinstance(size, (list, tuple)) else [size] * dim
        if len(out) != dim:
            raise ValueError(f"Input and output must have the same number of spatial "
                             f"dimensions, but got input with spatial dimensions of "
                             f"{list(input.shape[2:])} and output size of {size}. Please "
                             "provide input tensor in (N, C, d1, d2, ...,dK) format and output "
                             "size in (o1, o2, ...,oK) format.")
        scales = [None] * dim
    elif scale_factor is not None:
        scales = (list(scale_factor) if isinstance(scale_factor, (list, tuple))
                  else [scale_factor] * dim)
        if len(scales) != dim:
            raise ValueError(f"Input and scale_factor must have the same number of spatial "
                             f"dimensions, but got input with spatial dimensions of "
                             f"{list(input.shape[2:])} and scale_factor of shape "
                             f"{scale_factor}. Please provide input tensor in (N, C, d1, "
                             "d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
        out = [math.floor(float(input.shape[i + 2] * s)) for i, s in enumerate(scales)]
        if recompute_scale_factor:
            scales = [None] * dim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if mode == "area":
        from .functional import adaptive_avg_pool2d
        return adaptive_avg_pool2d(input, out)
    dt = input._data.dtype
    ac = bool(align_corners)
    kind = (mode if mode.startswith("nearest") else "cubic" if mode == "bicubic"
            else "linear")
    mats = [R.interp_matrix(input.shape[i + 2], out[i], kind, ac, scales[i], dt)
            for i in range(dim)]
    node = {"nearest": f"UpsampleNearest{dim}DBackward0",
            "nearest-exact": f"UpsampleNearestExact{dim}DBackward0",
            "linear": "UpsampleLinear1DBackward0", "bilinear": "UpsampleBilinear2DBackward0",
            "bicubic": "UpsampleBicubic2DBackward0"}[mode]
    if dim == 1:
        return apply(R.resample1d, input, mats[0], name=node)
    return apply(R.resample2d, input, mats[0], mats[1], name=node)


def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:
    return interpolate(input, size, scale_factor, mode, align_corners)


# ---------------------------------------------------------------- pixel shuffle

def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C r^2, H, W) -> (*, C, H r, W r)."""
    if input.dim() < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.dim()} dimension(s)")
    r = upscale_factor
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c}"
                           f" is not divisible by {r * r}")
    nl = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    perm = list(range(nl)) + [nl, nl + 3, nl + 1, nl + 4, nl + 2]
    return x.permute(*perm).reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H r, W r) -> (*, C r^2, H, W)."""
    if input.dim() < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.dim()} dimension(s)")
    r = downscale_factor
    *lead, c, h, w = input.shape
    if h % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by "
                           f"downscale_factor, but input.size(-2)={h} is not divisible by {r}")
    if w % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by "
                           f"downscale_factor, but input.size(-1)={w} is not divisible by {r}")
    nl = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    perm = list(range(nl)) + [nl, nl + 2, nl + 4, nl + 1, nl + 3]
    return x.permute(*perm).reshape(*lead, c * r * r, h // r, w // r)


# ---------------------------------------------------------------- group / instance norm

def _affine(y: Tensor, weight, bias, ndim: int) -> Tensor:
    shape = (-1,) + (1,) * (ndim - 2)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise each of ``num_groups`` channel groups of each sample, then scale and shift
    each channel."""
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.dim()}")
    n, c = input.shape[0], input.shape[1]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(input.shape)} and "
                           f"num_groups={num_groups}")
    size = [n * c // num_groups, num_groups] + list(input.shape[2:])
    if size[0] * int(np.prod(size[2:])) == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {size}")
    rest = (c // num_groups) * int(np.prod(input.shape[2:]))
    x = input.reshape(n, num_groups, rest)
    y = apply(R.layer_norm, x, (rest,), None, None, eps, name="NativeLayerNormBackward0")
    return _affine(y.reshape(tuple(input.shape)), weight, bias, input.dim())


def _size(shape) -> str:
    return f"torch.Size([{', '.join(str(int(s)) for s in shape)}])"


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel of each sample over its spatial dims (batch norm of the
    (1, N*C, ...) view); running statistics, when given, are updated with the mean over
    the batch of the per-sample updates, as PyTorch's ``instance_norm`` does."""
    if use_input_stats and int(np.prod(input.shape[2:])) == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"{_size(input.shape)}")
    n, c = input.shape[0], input.shape[1]
    x = input.reshape(1, n * c, *input.shape[2:])
    rm = rv = None
    if running_mean is not None:
        rm = np.tile(running_mean._data, n)
    if running_var is not None:
        rv = np.tile(running_var._data, n)
    y = apply(R.batch_norm, x, rm, rv, None, None, use_input_stats, momentum, eps,
              name="NativeBatchNormBackward0")
    if use_input_stats:
        if running_mean is not None:
            running_mean._data[...] = rm.reshape(n, c).mean(0)
            running_mean._vc[0] += 1
        if running_var is not None:
            running_var._data[...] = rv.reshape(n, c).mean(0)
            running_var._vc[0] += 1
    return _affine(y.reshape(tuple(input.shape)), weight, bias, input.dim())


# ---------------------------------------------------------------- channel dropout

def _channel_dropout(input: Tensor, p: float, training: bool, inplace: bool) -> Tensor:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    from ..runtime import random
    shape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2)
    mask = np.empty(shape, input._data.dtype)
    random.default_generator.bernoulli_(mask, 1.0 - p)
    if p < 1.0:
        mask /= mask.dtype.type(1.0 - p)
    if inplace:
        input *= Tensor._wrap(mask)
        return input
    return input * Tensor._wrap(mask)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) (or (C, H, W)) with probability ``p``."""
    nd = input.dim()
    if nd not in (3, 4):
        warnings.warn(f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated "
                      "and will result in an error in a future release. To retain the behavior "
                      "and silence this warning, please use dropout instead. Note that "
                      "dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension "
                      "(i.e. 3D or 4D inputs).", stacklevel=2)
    if nd == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that "
                      "channel-wise 1D dropout behavior is desired - input is interpreted as "
                      "shape (N, C, L), where C is the channel dim. This behavior will change "
                      "in a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout "
                      "behavior, please switch to using dropout1d instead.", stacklevel=2)
    return _channel_dropout(input, p, training, inplace)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) (or (C, L)) with probability ``p``."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a "
                           f"{input.dim()}D input. Note that dropout1d exists to provide "
                           "channel-wise dropout on inputs with 1 spatial dimension, a channel "
                           "dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    if input.dim() == 2:
        return _channel_dropout(input.unsqueeze(0), p, training, False).squeeze(0)
    return _channel_dropout(input, p, training, inplace)
