"""``conv2d`` and its adjoint (``ConvolutionBackward0``).

Takes: NCHW input, OIHW weight, optional bias, PyTorch's stride/padding/dilation/groups.
Gives: the cross-correlation ``F.conv2d`` computes, by im2col + one BLAS matmul per chunk
of samples, and its adjoint.
Invariant: the column matrix is built and consumed a few samples at a time in a reused
scratch buffer; the backward rebuilds it rather than keeping it, so a layer holds on to its
input only (what PyTorch saves too).
"""
from __future__ import annotations

import numpy as np

from ..registry import rule
from .geometry import _CHUNK_BYTES, _as4d, _conv_pads, _pad, _pair, _scratch, _window

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
