"""Rules for the heavy neural-network layers: convolution, pooling, batch norm, losses.

Takes: NumPy arrays in PyTorch's layouts (NCHW images, OIHW filters, (N, C, ...) logits).
Gives: primal functions computing what ``torch.nn.functional`` computes, and their adjoints
in the one rule table, named like PyTorch's graph nodes (``ConvolutionBackward0``, ...).

Invariants:
* Convolution is im2col + one BLAS matmul (batched over groups) per chunk of samples,
  chunks sized so the column matrix fits a reused 32 MB scratch buffer (one chunk for
  small images); its adjoint is two matmuls and a col2im per chunk, looping over the kh*kw
  kernel offsets only. The columns are rebuilt in the backward rather than kept, so a
  layer holds on to its input only (what PyTorch saves too).
* Pooling works on strided views of a padded copy, looping over kernel offsets (never
  over pixels); max pooling sends each window's gradient to its FIRST maximum in
  row-major order, and overlapping windows add up.
* ``batch_norm`` is ``F.batch_norm``: in training it updates the running buffers it is
  given in place (unbiased variance) and normalises with the biased batch variance.
  Its adjoint recomputes the batch statistics from ``x`` instead of saving them.
* Every adjoint is template-safe: assignments and one final return, calling the private
  kernels of this module for the work.
"""
from __future__ import annotations

import functools
import threading

import numpy as np

from .registry import nondifferentiable, rule

__all__ = [
    "adaptive_avg_pool2d",
    "addmm",
    "avg_pool2d",
    "batch_norm",
    "bce_with_logits",
    "conv2d",
    "conv_output_size",
    "max_pool2d",
    "mse_loss",
    "nll_loss",
    "pool_output_size",
]


# ---------------------------------------------------------------- geometry helpers

def _pair(v) -> tuple:
    if isinstance(v, (int, np.integer)):
        return (int(v), int(v))
    v = tuple(int(a) for a in v)
    return v * 2 if len(v) == 1 else v


def conv_output_size(size: int, k: int, s: int, p: int, d: int) -> int:
    """Output length of a convolution along one axis (PyTorch's floor formula)."""
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def pool_output_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """Output length of a pooling window along one axis, with PyTorch's ceil_mode rule.

    In ceil mode the last window must start inside the input or the left padding.
    """
    span = size + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _conv_pads(padding, hw, kernel, dilation, stride) -> tuple:
    """Padding as (top, bottom, left, right); strings 'valid'/'same' as in PyTorch."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding != "same":
            raise ValueError(f"Invalid padding string '{padding}', should be one of "
                             "{'valid', 'same'}")
        if stride != (1, 1):
            raise ValueError("padding='same' is not supported for strided convolutions")
        pads = []
        for k, d in zip(kernel, dilation):
            total = d * (k - 1)
            pads += [total // 2, total - total // 2]
        return tuple(pads)
    ph, pw = _pair(padding)
    return (ph, ph, pw, pw)


def _pad(x, pads, value=0.0):
    """``x`` (N, C, H, W) padded on H and W; the input itself when no padding is needed."""
    t, b, left, r = pads
    if not (t or b or left or r):
        return x
    n, c, h, w = x.shape
    xp = np.full((n, c, h + t + b, w + left + r), value, dtype=x.dtype)
    xp[:, :, t:t + h, left:left + w] = x
    return xp


def _as4d(x):
    """Unbatched (C, H, W) input seen as a batch of one."""
    return x[None] if x.ndim == 3 else x


# ---------------------------------------------------------------- convolution

def _conv_geometry(x, w, stride, padding, dilation, groups):
    s, d = _pair(stride), _pair(dilation)
    kh, kw = w.shape[2], w.shape[3]
    pads = _conv_pads(padding, x.shape[-2:], (kh, kw), d, s)
    ho = (x.shape[-2] + pads[0] + pads[1] - d[0] * (kh - 1) - 1) // s[0] + 1
    wo = (x.shape[-1] + pads[2] + pads[3] - d[1] * (kw - 1) - 1) // s[1] + 1
    return s, d, pads, ho, wo


def _check_conv(x, w, groups, ho, wo):
    if x.ndim not in (3, 4):
        raise RuntimeError(f"Expected 3D (unbatched) or 4D (batched) input to conv2d, but got "
                           f"input of size: [{', '.join(map(str, x.shape))}]")
    c = x.shape[-3]
    if c != w.shape[1] * groups:
        batch = x.shape if x.ndim == 4 else (1,) + x.shape
        raise RuntimeError(
            f"Given groups={groups}, weight of size [{', '.join(map(str, w.shape))}], expected "
            f"input[{', '.join(map(str, batch))}] to have {w.shape[1] * groups} channels, but "
            f"got {c} channels instead")
    if ho <= 0 or wo <= 0:
        raise RuntimeError(f"Calculated output size: ({w.shape[0]}x{ho}x{wo}). "
                           "Output size is too small")


# Columns are built and consumed a few samples at a time, in per-thread scratch buffers that
# live across calls: the column matrix (kh*kw times the input) never exists for the whole
# batch, and fresh multi-megabyte arrays (whose first touch costs page faults) are avoided.
_CHUNK_BYTES = 32 << 20
_SCRATCH = threading.local()


def _scratch(slot: str, size: int, dtype) -> np.ndarray:
    """A reusable 1-D buffer of at least ``size`` elements (contents undefined)."""
    key = (slot, np.dtype(dtype).str)
    store = _SCRATCH.__dict__
    buf = store.get(key)
    if buf is None or buf.size < size:
        buf = store[key] = np.empty(size, dtype)
    return buf[:size]


def _gmatmul(a, b, out=None):
    """Matmul of (G, m, k) by (G, k, n); a plain 2-D BLAS call when there is one group."""
    if a.shape[0] == 1:
        return np.matmul(a[0], b[0], out=None if out is None else out[0])[None]
    return np.matmul(a, b, out=out)


def _chunks(n: int, per_sample: int):
    step = max(1, min(n, _CHUNK_BYTES // max(per_sample, 1)))
    return [(i, min(n, i + step)) for i in range(0, n, step)]


def _im2col(xpt, n0, n1, kh, kw, s, d, ho, wo, buf):
    """Columns (C*kh*kw, nc*ho*wo) of samples n0:n1 of the padded input seen as (C, N, H, W).

    Rows are ordered (c, i, j) like a flattened OIHW filter; one strided copy per kernel
    offset fills ``buf``.
    """
    c = xpt.shape[0]
    nc = n1 - n0
    cols = buf[:c * kh * kw * nc * ho * wo].reshape(c, kh, kw, nc, ho, wo)
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j] = _window(xpt[:, n0:n1], i, j, s, d, ho, wo)
    return cols.reshape(c * kh * kw, nc * ho * wo)


def _col2im_add(gxpt, cols, kh, kw, s, d, ho, wo):
    """Adjoint of ``_im2col``: add every column entry back into the (C, nc, H, W) pixels."""
    c, nc = gxpt.shape[:2]
    cols = cols.reshape(c, kh, kw, nc, ho, wo)
    for i in range(kh):
        for j in range(kw):
            dst = _window(gxpt, i, j, s, d, ho, wo)
            dst += cols[:, i, j]


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """``F.conv2d``: cross-correlation of NCHW ``input`` with OIHW ``weight``, plus ``bias``."""
    x, w, b = input, weight, bias
    s, d, pads, ho, wo = _conv_geometry(x, w, stride, padding, dilation, groups)
    _check_conv(x, w, groups, ho, wo)
    x4 = _as4d(x)
    n, npix = x4.shape[0], ho * wo
    o, cg, kh, kw = w.shape
    kg = cg * kh * kw
    xpt = _pad(x4, pads).transpose(1, 0, 2, 3)
    wm = w.reshape(groups, o // groups, kg)
    out = np.empty((n, o, ho, wo), dtype=np.result_type(x, w))
    chunks = _chunks(n, kg * groups * npix * x.itemsize)
    buf = _scratch("cols", kg * groups * npix * (chunks[0][1] - chunks[0][0]), x.dtype)
    for n0, n1 in chunks:
        cols = _im2col(xpt, n0, n1, kh, kw, s, d, ho, wo, buf)
        nc = n1 - n0
        if groups == 1 and nc * npix >= o:
            # BLAS runs markedly faster with the larger output dimension first.
            y = np.matmul(cols.T, wm[0].T).reshape(nc, ho, wo, o).transpose(3, 0, 1, 2)
        else:
            y = _gmatmul(wm, cols.reshape(groups, kg, -1)).reshape(o, nc, ho, wo)
        dst = out[n0:n1].transpose(1, 0, 2, 3)
        if b is None:
            np.copyto(dst, y)
        else:
            np.add(y, b.reshape(o, 1, 1, 1), out=dst)
    return out[0] if x.ndim == 3 else out


def _conv_grads(g, x, w, stride, padding, dilation, groups):
    """(grad x, grad w) of ``conv2d`` for the output cotangent ``g``."""
    s, d, pads, ho, wo = _conv_geometry(x, w, stride, padding, dilation, groups)
    x4, g4 = _as4d(x), _as4d(g)
    n, c, h, wd = x4.shape
    npix = ho * wo
    o, cg, kh, kw = w.shape
    kg = cg * kh * kw
    dt = np.result_type(g, x, w)
    xpt = _pad(x4, pads).transpose(1, 0, 2, 3)
    wt = w.reshape(groups, o // groups, kg).transpose(0, 2, 1)
    gw = np.zeros((groups, o // groups, kg), dtype=dt)
    gx = np.empty(x4.shape, dtype=dt)
    t, left = pads[0], pads[2]
    chunks = _chunks(n, kg * groups * npix * x.itemsize)
    step = chunks[0][1] - chunks[0][0]
    buf = _scratch("cols", kg * groups * npix * step, x.dtype)
    gbuf = _scratch("gcols", kg * groups * npix * step, dt)
    pbuf = _scratch("gxpad", c * step * xpt.shape[2] * xpt.shape[3], dt)
    for n0, n1 in chunks:
        nc = n1 - n0
        # (nc, O, L) -> (G, O/G, nc*L): the one copy of g both matmuls share.
        g2 = np.ascontiguousarray(g4[n0:n1].reshape(nc, o, npix).transpose(1, 0, 2))
        g2 = g2.reshape(groups, o // groups, nc * npix)
        cols = _im2col(xpt, n0, n1, kh, kw, s, d, ho, wo, buf).reshape(groups, kg, nc * npix)
        # With a long reduction (N*L), BLAS is far faster (measured: up to 10x) when the
        # larger of the two output dimensions comes first, so pick the orientation.
        if kg >= o // groups:
            gw += _gmatmul(cols, g2.transpose(0, 2, 1)).transpose(0, 2, 1)
        else:
            gw += _gmatmul(g2, cols.transpose(0, 2, 1))
        gcols = _gmatmul(wt, g2, gbuf[:kg * groups * nc * npix].reshape(groups, kg, nc * npix))
        gxpt = pbuf[:c * nc * xpt.shape[2] * xpt.shape[3]].reshape((c, nc) + xpt.shape[2:])
        gxpt.fill(0)
        _col2im_add(gxpt, gcols, kh, kw, s, d, ho, wo)
        gx[n0:n1] = gxpt[:, :, t:t + h, left:left + wd].transpose(1, 0, 2, 3)
    return gx.reshape(x.shape), gw.reshape(w.shape)


@rule(conv2d, wrt=("input", "weight", "bias"), name="ConvolutionBackward0")
def conv2d_adjoint(g, out, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    gx, gw = _conv_grads(g, input, weight, stride, padding, dilation, groups)
    gb = _as4d(g).sum(axis=(0, 2, 3)) if bias is not None else None
    return gx, gw, gb


# ---------------------------------------------------------------- pooling

def _pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode):
    k = _pair(kernel_size)
    s = _pair(stride) if stride is not None and stride != [] and stride != () else k
    p, d = _pair(padding), _pair(dilation)
    if x.ndim not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    if p[0] > (d[0] * (k[0] - 1) + 1) // 2 or p[1] > (d[1] * (k[1] - 1) + 1) // 2:
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                           f"pad={p[0] if p[0] > (d[0] * (k[0] - 1) + 1) // 2 else p[1]}, "
                           f"kernel_size={k[0]} and dilation={d[0]}")
    h, w = x.shape[-2:]
    ho = pool_output_size(h, k[0], s[0], p[0], d[0], ceil_mode)
    wo = pool_output_size(w, k[1], s[1], p[1], d[1], ceil_mode)
    if ho <= 0 or wo <= 0:
        raise RuntimeError(f"Given input size: ({x.shape[-3]}x{h}x{w}). Calculated output size: "
                           f"({x.shape[-3]}x{max(ho, 0)}x{max(wo, 0)}). Output size is too small")
    # Right/bottom padding large enough for every (ceil-mode) window to stay in bounds.
    pb = max(p[0], (ho - 1) * s[0] + d[0] * (k[0] - 1) + 1 - h - p[0])
    pr = max(p[1], (wo - 1) * s[1] + d[1] * (k[1] - 1) + 1 - w - p[1])
    return k, s, p, d, (p[0], pb, p[1], pr), ho, wo


def _window(xp, i, j, s, d, ho, wo):
    """The (N, C, ho, wo) view of kernel offset (i, j) in every window."""
    hi, wj = i * d[0], j * d[1]
    return xp[:, :, hi:hi + s[0] * (ho - 1) + 1:s[0], wj:wj + s[1] * (wo - 1) + 1:s[1]]


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """``F.max_pool2d``; padding counts as -inf so it never wins."""
    x = input
    k, s, _p, d, pads, ho, wo = _pool_geometry(x, kernel_size, stride, padding, dilation,
                                              ceil_mode)
    xp = _pad(_as4d(x), pads, -np.inf)
    out = np.array(_window(xp, 0, 0, s, d, ho, wo))
    for i in range(k[0]):
        for j in range(k[1]):
            if i or j:
                np.maximum(out, _window(xp, i, j, s, d, ho, wo), out=out)
    return out[0] if x.ndim == 3 else out


def _max_pool_grad(g, out, x, kernel_size, stride, padding, dilation, ceil_mode):
    k, s, _p, d, pads, ho, wo = _pool_geometry(x, kernel_size, stride, padding, dilation,
                                              ceil_mode)
    x4 = _as4d(x)
    xp = _pad(x4, pads, -np.inf)
    out4, g4 = _as4d(out), _as4d(g)
    # Index of each window's FIRST maximum in row-major order: scan the offsets backwards
    # so the earliest offset equal to the max is written last.
    kk = k[0] * k[1]
    idx = np.full(out4.shape, kk - 1, dtype=np.int16)
    for q in range(kk - 2, -1, -1):
        v = _window(xp, q // k[1], q % k[1], s, d, ho, wo)
        idx = np.where(v == out4, np.int16(q), idx)
    gxp = np.zeros(xp.shape, dtype=np.result_type(g4, x4))
    for q in range(kk):
        dst = _window(gxp, q // k[1], q % k[1], s, d, ho, wo)
        dst += g4 * (idx == q)
    t, _, left, _ = pads
    gx = gxp[:, :, t:t + x4.shape[2], left:left + x4.shape[3]]
    return gx.reshape(x.shape)


@rule(max_pool2d, wrt=("input",), name="MaxPool2DWithIndicesBackward0")
def max_pool2d_adjoint(g, out, input, kernel_size, stride=None, padding=0, dilation=1,
                       ceil_mode=False):
    return _max_pool_grad(g, out, input, kernel_size, stride, padding, dilation, ceil_mode)


@functools.lru_cache(maxsize=256)
def _avg_divisor(size, k, s, p, n_out, count_include_pad):
    """Per-output-position window size along one axis (PyTorch's avg_pool2d rule)."""
    start = np.arange(n_out) * s - p
    end = np.minimum(start + k, size + p)
    full = end - start
    clipped = np.minimum(end, size) - np.maximum(start, 0)
    return (full if count_include_pad else clipped).astype(np.float64)


def _avg_setup(x, kernel_size, stride, padding, ceil_mode, count_include_pad,
               divisor_override):
    k, s, p, d, pads, ho, wo = _pool_geometry(x, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override:
        div = np.full((ho, wo), float(divisor_override))
    else:
        h, w = x.shape[-2:]
        div = np.outer(_avg_divisor(h, k[0], s[0], p[0], ho, count_include_pad),
                       _avg_divisor(w, k[1], s[1], p[1], wo, count_include_pad))
    return k, s, d, pads, ho, wo, div


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """``F.avg_pool2d`` (zero padding; the divisor follows ``count_include_pad``)."""
    x = input
    k, s, d, pads, ho, wo, div = _avg_setup(x, kernel_size, stride, padding, ceil_mode,
                                            count_include_pad, divisor_override)
    xp = _pad(_as4d(x), pads)
    acc = np.array(_window(xp, 0, 0, s, d, ho, wo))
    for i in range(k[0]):
        for j in range(k[1]):
            if i or j:
                acc += _window(xp, i, j, s, d, ho, wo)
    acc /= div.astype(acc.dtype)
    return acc[0] if x.ndim == 3 else acc


def _avg_pool_grad(g, x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                   divisor_override):
    k, s, d, pads, ho, wo, div = _avg_setup(x, kernel_size, stride, padding, ceil_mode,
                                            count_include_pad, divisor_override)
    x4 = _as4d(x)
    gs = _as4d(g) / div.astype(g.dtype)
    n, c, h, w = x4.shape
    gxp = np.zeros((n, c, h + pads[0] + pads[1], w + pads[2] + pads[3]), dtype=gs.dtype)
    for i in range(k[0]):
        for j in range(k[1]):
            dst = _window(gxp, i, j, s, d, ho, wo)
            dst += gs
    return gxp[:, :, pads[0]:pads[0] + h, pads[2]:pads[2] + w].reshape(x.shape)


@rule(avg_pool2d, wrt=("input",), name="AvgPool2DBackward0")
def avg_pool2d_adjoint(g, out, input, kernel_size, stride=None, padding=0, ceil_mode=False,
                       count_include_pad=True, divisor_override=None):
    return _avg_pool_grad(g, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                          divisor_override)


@functools.lru_cache(maxsize=256)
def _adaptive_bins(size: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """(n_out, size) 0/1 bin matrix (bin i covers [floor(i*size/n), ceil((i+1)*size/n)))
    and the bin lengths; sums first, then one division, as PyTorch averages."""
    m = np.zeros((n_out, size))
    for i in range(n_out):
        m[i, (i * size) // n_out:-(-((i + 1) * size) // n_out)] = 1.0
    m.flags.writeable = False
    return m, m.sum(axis=1)


def _adaptive_sizes(x, output_size):
    oh, ow = _pair(output_size) if not isinstance(output_size, (tuple, list)) else output_size
    return (x.shape[-2] if oh is None else int(oh)), (x.shape[-1] if ow is None else int(ow))


def _adaptive_counts(h, w, oh, ow, dtype):
    (mh, ch), (mw, cw) = _adaptive_bins(h, oh), _adaptive_bins(w, ow)
    return mh.astype(dtype), mw.astype(dtype), np.outer(ch, cw).astype(dtype)


def adaptive_avg_pool2d(input, output_size):
    """``F.adaptive_avg_pool2d`` as two small matmuls with per-shape bin matrices."""
    x = input
    oh, ow = _adaptive_sizes(x, output_size)
    mh, mw, count = _adaptive_counts(x.shape[-2], x.shape[-1], oh, ow, x.dtype)
    return np.matmul(mh, np.matmul(x, mw.T)) / count


def _adaptive_grad(g, x):
    mh, mw, count = _adaptive_counts(x.shape[-2], x.shape[-1], g.shape[-2], g.shape[-1],
                                     g.dtype)
    return np.matmul(mh.T, np.matmul(g / count, mw))


@rule(adaptive_avg_pool2d, wrt=("input",), name="AdaptiveAvgPool2DBackward0")
def adaptive_avg_pool2d_adjoint(g, out, input, output_size):
    return _adaptive_grad(g, input)


# ---------------------------------------------------------------- batch norm

def _bn_axes(x) -> tuple:
    return (0,) + tuple(range(2, x.ndim))


def _bn_shape(x) -> tuple:
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _channel_dot(a, b):
    """Per-channel sum of ``a * b`` over every axis but 1, without a full-size temporary."""
    n, c = a.shape[:2]
    return np.einsum("ncl,ncl->c", a.reshape(n, c, -1), b.reshape(n, c, -1))


def _batch_stats(x):
    """Per-channel mean and biased variance over every axis but 1."""
    axes = _bn_axes(x)
    mean = x.mean(axis=axes)
    xc = x - mean.reshape(_bn_shape(x))
    var = _channel_dot(xc, xc) / (x.size // x.shape[1])
    return mean, var


def _check_bn(x, training):
    if x.ndim < 2:
        raise ValueError(f"expected 2D or 3D input (got {x.ndim}D input)")
    if training and x.size // x.shape[1] <= 1:
        raise ValueError("Expected more than 1 value per channel when training, got input "
                         f"size torch.Size([{', '.join(map(str, x.shape))}])")


def batch_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
               training=False, momentum=0.1, eps=1e-5):
    """``F.batch_norm`` over axis 1 of ``input`` (N, C, *).

    Training: normalise with the batch mean and biased variance, and blend the batch mean
    and UNBIASED variance into ``running_mean``/``running_var`` in place (when given)
    with factor ``momentum``. Eval: normalise with the running statistics.
    """
    x = input
    _check_bn(x, training)
    if not training and running_mean is None:
        raise RuntimeError("running_mean must be defined in evaluation mode")
    shape = _bn_shape(x)
    if training:
        mean, var = _batch_stats(x)
        if running_mean is not None:
            n = x.size // x.shape[1]
            running_mean *= 1 - momentum
            running_mean += momentum * mean
            running_var *= 1 - momentum
            running_var += (momentum * n / (n - 1)) * var
    else:
        mean, var = running_mean, running_var
    invstd = 1.0 / np.sqrt(var + eps)
    scale = invstd if weight is None else weight * invstd
    shift = -mean * scale if bias is None else bias - mean * scale
    out = x * scale.astype(x.dtype).reshape(shape)
    out += shift.astype(x.dtype).reshape(shape)
    return out


def _bn_grads(g, x, weight, running_mean, running_var, training, eps):
    shape = _bn_shape(x)
    axes = _bn_axes(x)
    mean, var = _batch_stats(x) if training else (running_mean, running_var)
    invstd = (1.0 / np.sqrt(var + eps)).astype(x.dtype)
    xhat = x - mean.astype(x.dtype).reshape(shape)
    xhat *= invstd.reshape(shape)
    gb = g.sum(axis=axes)
    gw = _channel_dot(g, xhat)
    w = invstd if weight is None else weight * invstd
    if training:
        m = x.size // x.shape[1]
        xhat *= (gw / m).reshape(shape)
        gx = g - xhat
        gx -= (gb / m).reshape(shape)
        gx *= w.reshape(shape)
    else:
        gx = g * w.reshape(shape)
    return gx, gw, gb


@rule(batch_norm, wrt=("input", "weight", "bias"), name="NativeBatchNormBackward0")
def batch_norm_adjoint(g, out, input, running_mean=None, running_var=None, weight=None,
                       bias=None, training=False, momentum=0.1, eps=1e-5):
    gx, gw, gb = _bn_grads(g, input, weight, running_mean, running_var, training, eps)
    return gx, (gw if weight is not None else None), (gb if bias is not None else None)


# ---------------------------------------------------------------- losses
# (softmax and log_softmax live with the other PyTorch-style primitives in ``torchlike``.)

def _nll_parts(x, target, weight, ignore_index):
    """Class axis moved last and flattened: (logp rows (M, C), targets (M,), weights (M,))."""
    if target.dtype.kind not in "iub":
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{_TORCH_DTYPE.get(target.dtype.name, target.dtype.name)}")
    c = x.shape[0] if x.ndim == 1 else x.shape[1]
    xr = x.reshape(1, c) if x.ndim == 1 else np.moveaxis(x, 1, -1).reshape(-1, c)
    t = target.reshape(-1).astype(np.int64)
    valid = t != ignore_index
    bad = valid & ((t < 0) | (t >= c))
    if bad.any():
        raise IndexError(f"Target {int(t[np.argmax(bad)])} is out of bounds.")
    ts = np.where(valid, t, 0)
    wt = valid.astype(x.dtype) if weight is None else np.where(valid, weight[ts], 0)
    return xr, ts, wt.astype(x.dtype)


_TORCH_DTYPE = {"float32": "Float", "float64": "Double", "float16": "Half"}


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """``F.nll_loss`` of log-probabilities ``input`` (N, C, *) or (C,), int ``target``."""
    x = input
    xr, ts, wt = _nll_parts(x, target, weight, ignore_index)
    picked = -xr[np.arange(xr.shape[0]), ts] * wt
    if reduction == "none":
        return picked.reshape(target.shape)
    total = picked.sum()
    if reduction == "sum":
        return np.asarray(total, dtype=x.dtype)
    if reduction != "mean":
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return np.asarray(total / wt.sum(), dtype=x.dtype)


def _nll_grad(g, x, target, weight, ignore_index, reduction):
    xr, ts, wt = _nll_parts(x, target, weight, ignore_index)
    scale = (np.asarray(g, x.dtype).reshape(-1) if reduction == "none"
             else np.asarray(g, x.dtype) / (wt.sum() if reduction == "mean" else 1))
    gr = np.zeros(xr.shape, dtype=x.dtype)
    gr[np.arange(xr.shape[0]), ts] = -wt * scale
    if x.ndim == 1:
        return gr.reshape(x.shape)
    moved = gr.reshape((x.shape[0],) + x.shape[2:] + (x.shape[1],))
    return np.moveaxis(moved, -1, 1)


@rule(nll_loss, wrt=("input",), name="NllLossBackward0")
def nll_loss_adjoint(g, out, input, target, weight=None, ignore_index=-100, reduction="mean"):
    return _nll_grad(g, input, target, weight, ignore_index, reduction)


def _reduce(v, reduction):
    if reduction == "mean":
        return v.mean()
    if reduction == "sum":
        return v.sum()
    if reduction == "none":
        return v
    raise ValueError(f"{reduction} is not a valid value for reduction")


def mse_loss(input, target, reduction="mean"):
    """``F.mse_loss``: squared error, reduced by mean (default), sum or none."""
    d = input - target
    return np.asarray(_reduce(d * d, reduction))


@rule(mse_loss, wrt=("input", "target"), broadcast=True, name="MseLossBackward0")
def mse_loss_adjoint(g, out, input, target, reduction="mean"):
    d = np.subtract(input, target)
    gx = 2 * (d * (g / d.size if reduction == "mean" else g))
    return gx, -gx


def _softplus_neg(x):
    """log(1 + exp(-x)), stable for every x."""
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(-x, 0)


def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def bce_with_logits(input, target, weight=None, pos_weight=None, reduction="mean"):
    """``F.binary_cross_entropy_with_logits``: ``-w [p y log s(x) + (1 - y) log(1 - s(x))]``."""
    scale = 1 if pos_weight is None else 1 + (pos_weight - 1) * target
    loss = (1 - target) * input + scale * _softplus_neg(input)
    loss = loss if weight is None else loss * weight
    return np.asarray(_reduce(loss, reduction), dtype=np.result_type(input, target))


def _bce_grads(g, x, y, weight, pos_weight, reduction):
    gl = g / np.size(np.broadcast_to(x, np.broadcast_shapes(np.shape(x), np.shape(y)))) \
        if reduction == "mean" else g
    gl = gl if weight is None else gl * weight
    pw1 = 0 if pos_weight is None else pos_weight - 1
    gx = gl * ((1 - y) - (1 + pw1 * y) * _sigmoid(-x))
    gy = gl * (pw1 * _softplus_neg(x) - x)
    return gx, gy


@rule(bce_with_logits, wrt=("input", "target"), broadcast=True,
      name="BinaryCrossEntropyWithLogitsBackward0")
def bce_with_logits_adjoint(g, out, input, target, weight=None, pos_weight=None,
                            reduction="mean"):
    gx, gy = _bce_grads(g, input, target, weight, pos_weight, reduction)
    return gx, gy


def addmm(input, mat1, mat2):
    """``torch.addmm``: ``input + mat1 @ mat2`` (how ``F.linear`` runs for 2-D input and a bias)."""
    return np.matmul(mat1, mat2) + input


@rule(addmm, broadcast=True, name="AddmmBackward0")
def addmm_adjoint(g, out, input, mat1, mat2):
    return g, g @ mat2.T, mat1.T @ g


nondifferentiable(conv_output_size, pool_output_size)
