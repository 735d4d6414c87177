"""Pooling: ``max_pool2d``, ``avg_pool2d``, ``adaptive_avg_pool2d`` and their adjoints.

Takes: NCHW (or unbatched CHW) arrays and PyTorch's pooling options.
Gives: what ``torch.nn.functional`` computes, on strided views of a padded copy, looping
over kernel offsets (never over pixels). Max pooling first copies every window of a chunk
of samples into one contiguous scratch array, so each offset's pass reads contiguous
memory.
Invariant: max pooling sends each window's gradient to its FIRST maximum in row-major
order, and overlapping windows add up; average pooling divides as PyTorch does
(``count_include_pad``, ``divisor_override``, ceil-mode windows clipped to the padding).
"""
from __future__ import annotations

import functools

import numpy as np

from ..registry import rule, tangent
from .geometry import (_CHUNK_BYTES, _as4d, _chunks, _pad, _pair, _scratch, _window,
                       _windows, pool_output_size)

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


def _pool_windows(xp, n0, n1, k, s, d, ho, wo):
    """Samples n0:n1 of every window of ``xp`` copied to a contiguous scratch array
    (nc, C, kh*kw, ho*wo): the per-offset slabs the kernels below read are then contiguous
    (one copy, measured 2-5x faster than a strided pass per offset)."""
    nc, c = n1 - n0, xp.shape[1]
    kk, npix = k[0] * k[1], ho * wo
    win = _scratch("pool", nc * c * kk * npix, xp.dtype).reshape(nc, c, k[0], k[1], ho, wo)
    np.copyto(win, _windows(xp[n0:n1], k[0], k[1], s, d, ho, wo))
    return win.reshape(nc, c, kk, npix)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """``F.max_pool2d``; padding counts as -inf so it never wins."""
    x = input
    k, s, _p, d, pads, ho, wo = _pool_geometry(x, kernel_size, stride, padding, dilation,
                                              ceil_mode)
    xp = _pad(_as4d(x), pads, -np.inf, slot="xpad")
    n, c = xp.shape[:2]
    out = np.empty((n, c, ho * wo), dtype=x.dtype)
    for n0, n1 in _chunks(n, c * k[0] * k[1] * ho * wo * x.itemsize, _CHUNK_BYTES):
        np.max(_pool_windows(xp, n0, n1, k, s, d, ho, wo), axis=2, out=out[n0:n1])
    out = out.reshape(n, c, ho, wo)
    return out[0] if x.ndim == 3 else out


def _max_pool_grad(g, out, x, kernel_size, stride, padding, dilation, ceil_mode):
    k, s, _p, d, pads, ho, wo = _pool_geometry(x, kernel_size, stride, padding, dilation,
                                              ceil_mode)
    x4 = _as4d(x)
    xp = _pad(x4, pads, -np.inf, slot="xpad")
    n, c = xp.shape[:2]
    kk, npix = k[0] * k[1], ho * wo
    out3 = _as4d(out).reshape(n, c, npix)
    dt = np.result_type(g, x4)
    # Gradients are gathered per stride phase (the pixels at rows a::s0, columns b::s1 of
    # the padded input), where every kernel offset is a shifted slice with unit inner
    # stride, then interleaved once: measured 1.4x faster than adding into strided views.
    phases = {}
    for i in range(k[0]):
        for j in range(k[1]):
            key = ((i * d[0]) % s[0], (j * d[1]) % s[1])
            if key not in phases:
                rows = -(-(xp.shape[2] - key[0]) // s[0])
                cols = -(-(xp.shape[3] - key[1]) // s[1])
                phases[key] = np.zeros((n, c, rows, cols), dtype=dt)
    # Each window's gradient goes to its FIRST maximum in row-major order: scan the offsets
    # in that order, routing what is still unrouted (``rest``) to the pixels equal to the
    # maximum, then clearing it there. A window with no match (a NaN maximum) ends at its
    # last offset. Plain arithmetic on preallocated arrays: ufuncs with ``where=`` measured
    # five times slower.
    rest = np.array(_as4d(g), dtype=dt).reshape(n, c, npix)
    for n0, n1 in _chunks(n, c * kk * npix * x.itemsize, _CHUNK_BYTES):
        win = _pool_windows(xp, n0, n1, k, s, d, ho, wo)
        r, o = rest[n0:n1], out3[n0:n1]
        hit = np.empty(r.shape, dtype=bool)
        part = np.empty(r.shape, dtype=dt)
        for q in range(kk):
            ri, rj = (q // k[1]) * d[0], (q % k[1]) * d[1]
            ph = phases[(ri % s[0], rj % s[1])]
            dst = ph[n0:n1, :, ri // s[0]:ri // s[0] + ho, rj // s[1]:rj // s[1] + wo]
            if q == kk - 1:
                dst += r.reshape(dst.shape)
                break
            np.equal(win[:, :, q], o, out=hit)
            np.multiply(r, hit, out=part)
            dst += part.reshape(dst.shape)
            r -= part
    if len(phases) == 1 and (0, 0) in phases and s == (1, 1):
        gxp = phases[(0, 0)]
    else:
        gxp = (np.empty if len(phases) == s[0] * s[1] else np.zeros)(xp.shape, dtype=dt)
        for (a, b), ph in phases.items():
            gxp[:, :, a::s[0], b::s[1]] = ph
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


@tangent(avg_pool2d)
def avg_pool2d_jvp(out, input, kernel_size, stride=None, padding=0, ceil_mode=False,
                   count_include_pad=True, divisor_override=None, *, dinput):
    return avg_pool2d(dinput, kernel_size, stride, padding, ceil_mode, count_include_pad,
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


@tangent(adaptive_avg_pool2d)
def adaptive_avg_pool2d_jvp(out, input, output_size, dinput):
    return adaptive_avg_pool2d(dinput, output_size)


def _max_pool_tangent(dinput, input, kernel_size, stride, padding, dilation, ceil_mode):
    """The tangent of each window's maximum: ``dinput`` at the window's first maximum."""
    x = input
    k, s, _p, d, pads, ho, wo = _pool_geometry(x, kernel_size, stride, padding, dilation,
                                              ceil_mode)
    xp = _pad(_as4d(x), pads, -np.inf)
    dp = _pad(_as4d(np.broadcast_to(dinput, x.shape)), pads, 0.0)
    n, c = xp.shape[:2]
    # Window views (no scratch buffers: both inputs are read at once).
    win = _windows(xp, k[0], k[1], s, d, ho, wo).reshape(n, c, k[0] * k[1], ho * wo)
    dwin = _windows(dp, k[0], k[1], s, d, ho, wo).reshape(n, c, k[0] * k[1], ho * wo)
    first = np.argmax(win, axis=2)[:, :, None]
    t = np.take_along_axis(dwin, first, axis=2).reshape(n, c, ho, wo)
    return t[0] if x.ndim == 3 else t


@tangent(max_pool2d)
def max_pool2d_jvp(out, input, kernel_size, stride=None, padding=0, dilation=1,
                   ceil_mode=False, *, dinput):
    return _max_pool_tangent(dinput, input, kernel_size, stride, padding, dilation, ceil_mode)
