"""Resampling rules: ``conv1d``, ``conv_transpose2d`` and separable interpolation
(``resample1d``, ``resample2d``).

Takes: NCHW (or unbatched CHW) arrays. ``conv_transpose2d`` takes a filter shaped
(C_in, C_out / groups, kH, kW), as PyTorch's; ``resample2d`` takes two interpolation
matrices ``ah`` (H_out, H_in) and ``aw`` (W_out, W_in) built by ``interp_matrix``.
Gives: ``conv_transpose2d`` is the input-gradient of ``conv2d`` (``conv._conv_input_grad``)
plus a bias, so its adjoint is ``conv2d`` itself (for the input) and ``conv2d``'s weight
gradient (for the filter); ``resample2d(x) = ah @ x @ aw^T``, whose adjoint is
``ah^T @ g @ aw``. Nearest, (bi)linear and bicubic interpolation, with or without aligned
corners, are such matrices: each output row reads one, two or four input rows. ``conv1d``
is ``conv2d`` over a unit height, its adjoint ``conv2d``'s gradients of the same view.
Invariant: ``output_padding`` is below ``stride`` (so the convolution of the output has
exactly the input's size); adjoints are template-safe and call only ruled primitives.
"""
from __future__ import annotations

import numpy as np

from ..registry import nondifferentiable, rule
from .conv import _conv_input_grad, _conv_weight_grad, conv2d
from .geometry import _as4d, _pair


def conv_transpose_output_size(xshape, wshape, stride=1, padding=0, output_padding=0,
                               groups=1, dilation=1):
    """The (N, C_out, H_out, W_out) (or unbatched) shape ``conv_transpose2d`` gives."""
    s, p, op, d = _pair(stride), _pair(padding), _pair(output_padding), _pair(dilation)
    k = wshape[2:]
    hw = tuple((xshape[-2 + i] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + op[i] + 1
               for i in range(2))
    return tuple(xshape[:-3]) + (wshape[1] * groups,) + hw


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """``F.conv_transpose2d``: the adjoint of ``conv2d`` applied to ``input``, plus bias."""
    shape = conv_transpose_output_size(input.shape, weight.shape, stride, padding,
                                       output_padding, groups, dilation)
    out = _conv_input_grad(input, weight, shape, stride, padding, dilation, groups)
    if bias is not None:
        out = out + bias.reshape(-1, 1, 1).astype(out.dtype, copy=False)
    return out


@rule(conv_transpose2d, wrt=("input", "weight", "bias"), name="ConvolutionBackward0")
def conv_transpose2d_adjoint(g, out, input, weight, bias=None, stride=1, padding=0,
                             output_padding=0, groups=1, dilation=1):
    gx = conv2d(g, weight, None, stride, padding, dilation, groups)
    gw = _conv_weight_grad(input, g, weight.shape, stride, padding, dilation, groups)
    gb = _as4d(g).sum(axis=(0, 2, 3)) if bias is not None else None
    return gx, gw, gb


CUBIC_A = -0.75


def _cubic_near(x):
    """Keys' kernel on |x| <= 1."""
    return ((CUBIC_A + 2) * x - (CUBIC_A + 3)) * x * x + 1


def _cubic_far(x):
    """Keys' kernel on 1 < |x| < 2."""
    return ((CUBIC_A * x - 5 * CUBIC_A) * x + 8 * CUBIC_A) * x - 4 * CUBIC_A


def interp_matrix(n_in, n_out, mode, align_corners=None, scale=None, dtype=np.float64):
    """The (n_out, n_in) matrix of one axis of PyTorch's ``nearest``, ``nearest-exact``,
    ``linear`` or ``cubic`` interpolation; ``scale`` is the user's scale factor (PyTorch
    then maps output coordinates with 1/scale rather than n_in/n_out)."""
    dst = np.arange(n_out, dtype=np.float64)
    a = np.zeros((n_out, n_in), dtype=np.float64)
    rows = np.arange(n_out)
    if mode in ("nearest", "nearest-exact"):
        ratio = 1.0 / scale if scale else n_in / n_out
        # PyTorch computes the source index in float32: floor(dst * ratio), or
        # floor((dst + 0.5) * ratio) for nearest-exact.
        shift = np.float32(0.5 if mode == "nearest-exact" else 0.0)
        idx = np.floor((dst.astype(np.float32) + shift) * np.float32(ratio)).astype(np.int64)
        src = np.minimum(idx, n_in - 1)
        a[rows, src] = 1.0
        return a.astype(dtype)
    if align_corners:
        ratio = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        src = dst * ratio
    else:
        ratio = 1.0 / scale if scale else n_in / n_out
        src = (dst + 0.5) * ratio - 0.5
        if mode != "cubic":
            src = np.maximum(src, 0.0)
    if mode == "cubic":
        # Keys' cubic convolution (A = -0.75) over taps i0-1 .. i0+2, clamped at the edges.
        i0 = np.floor(src).astype(np.int64)
        t = src - i0
        taps = (_cubic_far(t + 1), _cubic_near(t), _cubic_near(1 - t), _cubic_far(2 - t))
        for k, w in enumerate(taps):
            np.add.at(a, (rows, np.clip(i0 - 1 + k, 0, n_in - 1)), w)
        return a.astype(dtype)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    lam = src - i0
    np.add.at(a, (rows, i0), 1.0 - lam)
    np.add.at(a, (rows, i1), lam)
    return a.astype(dtype)


def resample2d(input, ah, aw):
    """``ah @ input @ aw^T`` over the last two axes: separable 2-D interpolation."""
    return np.matmul(np.matmul(ah, input), np.swapaxes(aw, -1, -2))


@rule(resample2d, wrt=("input",), name="UpsampleBilinear2DBackward0")
def resample2d_adjoint(g, out, input, ah, aw):
    return np.matmul(np.matmul(np.swapaxes(ah, -1, -2), g), aw)


def resample1d(input, aw):
    """``input @ aw^T`` over the last axis: 1-D interpolation."""
    return np.matmul(input, np.swapaxes(aw, -1, -2))


@rule(resample1d, wrt=("input",), name="UpsampleLinear1DBackward0")
def resample1d_adjoint(g, out, input, aw):
    return np.matmul(g, aw)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """``F.conv1d`` on (N, C, L): ``conv2d`` over a unit height (``stride`` etc. are the
    2-D pairs ``(1, s)``, ``(0, p)`` or a padding string, ``(1, d)``)."""
    out = conv2d(np.expand_dims(input, -2), np.expand_dims(weight, -2), bias, stride, padding,
                 dilation, groups)
    return np.squeeze(out, -2)


@rule(conv1d, wrt=("input", "weight", "bias"), name="ConvolutionBackward0")
def conv1d_adjoint(g, out, input, weight, bias=None, stride=1, padding=0, dilation=1,
                   groups=1):
    x4 = np.expand_dims(input, -2)
    w4 = np.expand_dims(weight, -2)
    g4 = np.expand_dims(g, -2)
    gx = np.squeeze(_conv_input_grad(g4, w4, x4.shape, stride, padding, dilation, groups), -2)
    gw = np.squeeze(_conv_weight_grad(g4, x4, w4.shape, stride, padding, dilation, groups), -2)
    gb = _as4d(g4).sum(axis=(0, 2, 3)) if bias is not None else None
    return gx, gw, gb


nondifferentiable(conv_transpose_output_size, interp_matrix)

__all__ = ["conv1d", "conv_transpose2d", "conv_transpose_output_size", "interp_matrix",
           "resample1d", "resample2d"]
