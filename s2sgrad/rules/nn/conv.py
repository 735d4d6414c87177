"""``conv2d`` and its adjoint (``ConvolutionBackward0``).

Takes: NCHW input, OIHW weight, optional bias, PyTorch's stride/padding/dilation/groups.
Gives: the cross-correlation ``F.conv2d`` computes, and its adjoint as two separate
statements (input gradient, weight gradient), so a node that needs only one of them (the
first layer of a network needs no input gradient) computes only that one.

How: im2col + BLAS. A chunk of samples is unfolded into a reused scratch buffer (one copy
of a strided view of every window; one copy per kernel offset for the (K, nc*L) layout),
then multiplied by the (O, C*kh*kw) filter matrix:

* per-sample layout (nc, K, L) when the image is large: ``W @ cols`` writes (nc, O, L),
  which IS the NCHW output, so no transpose follows;
* one (K, nc*L) matrix when the image is small (L = ho*wo below ``_WIDE``): one wide BLAS
  call beats nc narrow ones there, and the (O, nc, L) result is tiny to transpose;
* a 1x1, unpadded, unstrided convolution is a plain matmul of the input itself.

The input gradient of a stride-1 convolution is the correlation of the output gradient,
padded by ``d*(k-1) - p``, with the flipped and transposed filter: the same im2col path,
with no col2im scatter. Strided convolutions scatter the columns back (col2im).
The weight gradient unfolds the input again (columns are never kept between the passes:
a layer holds on to its input only, as PyTorch does) and reduces over N*L in one BLAS call
per chunk.

3x3, stride-1, undilated, ungrouped convolutions with enough channels and pixels (see
``_use_winograd``) take Winograd F(2x2, 3x3) instead (``winograd.py``) for all three: the
forward correlation, the input gradient (the same correlation, with the transform of the
flipped filter read off the filter itself) and the weight gradient.
"""
from __future__ import annotations

import numpy as np

from ..registry import rule, tangent
from . import winograd
from .geometry import (_as4d, _chunks, _conv_pads, _pad, _pair, _scratch,
                       _window, _windows)

# Below this many output pixels per image the (K, N*L) layout is used (measured on
# ResNet-18's 7x7 and 14x14 layers: one wide matmul is up to 25% faster than N narrow ones).
_WIDE = 256
# The input gradient flips the filter unless it has this many times more entries than the
# output gradient (see ``_conv_input_grad``).
_FLIP_MAX = 64
# Columns are unfolded a few samples at a time: a chunk small enough to stay in cache
# between the copy that writes it and the matmul that reads it (measured: up to 10% faster
# on ResNet's 224x224 and 56x56 layers, and far less scratch memory), but wide enough to
# keep BLAS efficient on small images.
_CHUNK_BYTES = 2 << 20
_MIN_COLS = 1024
# 3x3, stride-1, undilated, ungrouped convolutions (forward, input and weight gradients)
# run by Winograd F(2x2, 3x3) (``winograd.py``): None picks by geometry as below,
# True/False forces it on/off for every eligible one.
_WINOGRAD = None
# Where it measured faster (float32, batch 1-16, 1 and 2 threads; each pass within 0.9-1.1x
# of im2col or faster at the edges of the rules, 1.3-1.9x on ResNet-18's layers):
# * at least this many channels in and out: the 2.25x fewer multiplications must pay for
#   transforms that run on one core (32 channels at 32x32: 1.23x on one thread, 0.8x on
#   two; 16 input channels or fewer: slower everywhere);
_WINO_CHANNELS = 64
# * at least this many multiply-adds of im2col (N*ho*wo*C*O), against a fixed cost of
#   some 40 NumPy calls (64 channels at 16x16, one image: 0.8x on two threads);
_WINO_WORK = 1 << 21
# * at least max(C, O) * itemsize / _WINO_TILE_BYTES 2x2 output tiles over the batch: the
#   transformed filter (16*O*C numbers, 16/9 the filter) is computed and read once per call
#   and needs that many matmul columns to pay off (float32, batch 8: 512 channels at 2x2,
#   8 tiles, 0.65x; at 4x4, 32 tiles, 1.0x; at 7x7, 128 tiles, 1.3x; 256 channels at 4x4,
#   32 tiles, 1.4x; 1024 at 4x4, 32 tiles, 0.7-1.0x).
_WINO_TILE_BYTES = 32


def _conv_geometry(xshape, wshape, stride, padding, dilation):
    """(stride, dilation, pads (top, bottom, left, right), ho, wo) from the two shapes."""
    s, d = _pair(stride), _pair(dilation)
    kh, kw = wshape[2], wshape[3]
    pads = _conv_pads(padding, xshape[-2:], (kh, kw), d, s)
    ho = (xshape[-2] + pads[0] + pads[1] - d[0] * (kh - 1) - 1) // s[0] + 1
    wo = (xshape[-1] + pads[2] + pads[3] - d[1] * (kw - 1) - 1) // s[1] + 1
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


def _is_pointwise(kh, kw, s, pads):
    return kh == 1 and kw == 1 and s == (1, 1) and not any(pads)


def _im2col(xp, n0, n1, kh, kw, s, d, ho, wo, buf, per_sample):
    """Columns of samples n0:n1 of the padded NCHW input ``xp``, rows ordered (c, i, j)
    like a flattened OIHW filter: (nc, C*kh*kw, ho*wo) if ``per_sample`` else
    (C*kh*kw, nc*ho*wo), written into ``buf``."""
    nc, c = n1 - n0, xp.shape[1]
    size = c * kh * kw * nc * ho * wo
    if per_sample or nc == 1:   # for one sample the two layouts are the same
        # One copy of the (nc, C, kh, kw, ho, wo) window view: NumPy orders that copy
        # itself, measured twice as fast as one copy per kernel offset.
        cols = buf[:size].reshape(nc, c, kh, kw, ho, wo)
        np.copyto(cols, _windows(xp[n0:n1], kh, kw, s, d, ho, wo))
        return cols.reshape((nc, c * kh * kw, ho * wo) if per_sample
                            else (c * kh * kw, ho * wo))
    cols = buf[:size].reshape(c, kh, kw, nc, ho, wo)
    src = xp[n0:n1].transpose(1, 0, 2, 3)
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j] = _window(src, i, j, s, d, ho, wo)
    return cols.reshape(c * kh * kw, nc * ho * wo)


def _use_winograd(n, c, o, ho, wo, kshape, s, d, groups, dtype):
    """Whether the correlation of N (C, ., .) images into (O, ho, wo) ones (or one of its
    gradients) runs by Winograd."""
    if kshape != (3, 3) or s != (1, 1) or d != (1, 1) or groups != 1:
        return False
    if _WINOGRAD is not None:
        return _WINOGRAD
    tiles = n * ((ho + 1) // 2) * ((wo + 1) // 2)
    return (min(c, o) >= _WINO_CHANNELS and n * ho * wo * c * o >= _WINO_WORK
            and tiles * _WINO_TILE_BYTES >= max(c, o) * np.dtype(dtype).itemsize)


def _correlate(x4, w, pads, s, d, ho, wo, groups):
    """The (N, O, ho, wo) cross-correlation of NCHW ``x4`` with OIHW ``w`` (no bias)."""
    n, c = x4.shape[:2]
    o, cg, kh, kw = w.shape
    npix, kg = ho * wo, cg * kh * kw
    dt = np.result_type(x4, w)
    if _use_winograd(n, c, o, ho, wo, (kh, kw), s, d, groups, dt):
        u = winograd.filter_transform(w, dtype=dt)
        return winograd.correlate3x3(x4, u, pads[0], pads[2], ho, wo)
    out = np.empty((n, o, ho, wo), dtype=dt)
    if groups == 1 and _is_pointwise(kh, kw, s, pads):
        np.matmul(w.reshape(o, c), x4.reshape(n, c, npix), out=out.reshape(n, o, npix))
        return out
    xp = _pad(x4, pads, slot="xpad")
    per_sample = groups == 1 and npix >= _WIDE
    chunks = _chunks(n, kg * groups * npix * x4.itemsize, _CHUNK_BYTES, -(-_MIN_COLS // npix))
    buf = _scratch("cols", kg * groups * npix * (chunks[0][1] - chunks[0][0]), x4.dtype)
    wm = w.reshape(groups, o // groups, kg)
    for n0, n1 in chunks:
        nc = n1 - n0
        cols = _im2col(xp, n0, n1, kh, kw, s, d, ho, wo, buf, per_sample)
        if per_sample:
            np.matmul(wm[0], cols, out=out[n0:n1].reshape(nc, o, npix))
        else:
            y = _gmatmul(wm, cols.reshape(groups, kg, nc * npix))
            out[n0:n1] = y.reshape(o, nc, ho, wo).transpose(1, 0, 2, 3)
    return out


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """``F.conv2d``: cross-correlation of NCHW ``input`` with OIHW ``weight``, plus ``bias``."""
    x, w, b = input, weight, bias
    s, d, pads, ho, wo = _conv_geometry(x.shape, w.shape, stride, padding, dilation)
    _check_conv(x, w, groups, ho, wo)
    out = _correlate(_as4d(x), w, pads, s, d, ho, wo, groups)
    if b is not None:
        out += b.reshape(-1, 1, 1).astype(out.dtype, copy=False)
    return out[0] if x.ndim == 3 else out


def _col2im_add(gxp, cols, kh, kw, s, d, ho, wo):
    """Adjoint of ``_im2col``: add (A, kh, kw, B, ho, wo) columns into (A, B, Hp, Wp)."""
    for i in range(kh):
        for j in range(kw):
            dst = _window(gxp, i, j, s, d, ho, wo)
            dst += cols[:, i, j]


def _conv_input_grad(h, w, xshape, stride=1, padding=0, dilation=1, groups=1):
    """Gradient of ``conv2d`` for its input, shaped ``xshape``, given the output cotangent
    ``h``; linear in ``h`` and in ``w``."""
    xs = (1,) + tuple(xshape) if len(xshape) == 3 else tuple(xshape)
    s, d, pads, ho, wo = _conv_geometry(xs, w.shape, stride, padding, dilation)
    h4 = _as4d(h)
    n, c, hh, ww = xs
    o, cg, kh, kw = w.shape
    full = (d[0] * (kh - 1), d[0] * (kh - 1), d[1] * (kw - 1), d[1] * (kw - 1))
    flippable = groups == 1 and s == (1, 1) and all(p <= f for p, f in zip(pads, full))
    gp = tuple(f - p for p, f in zip(pads, full))
    dt = np.result_type(h, w)
    if flippable and _use_winograd(n, o, c, hh, ww, (kh, kw), s, d, groups, dt):
        # The correlation below, with the flipped filter's transform read off ``w``.
        u = winograd.filter_transform(w, flip=True, dtype=dt)
        return winograd.correlate3x3(h4, u, gp[0], gp[2], hh, ww).reshape(xshape)
    if flippable and w.size <= _FLIP_MAX * h4.size:
        # Stride 1: a correlation of h, padded to the full size, with the flipped filter
        # whose in/out channels are swapped; (d*(k-1) - p) keeps exactly the input's size.
        # Flipping copies the filter, which costs more than the col2im scatter it saves
        # only when the filter dwarfs the images (measured: 512 channels on 2x2 images).
        wf = np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
        gx = _correlate(h4, wf, gp, s, d, hh, ww, 1)
        return gx.reshape(xshape)
    npix, kg = ho * wo, cg * kh * kw
    hp, wp = hh + pads[0] + pads[1], ww + pads[2] + pads[3]
    gx = np.empty(xs, dtype=dt)
    per_sample = groups == 1 and npix >= _WIDE
    chunks = _chunks(n, kg * groups * npix * np.dtype(dt).itemsize, _CHUNK_BYTES,
                     -(-_MIN_COLS // npix))
    step = chunks[0][1] - chunks[0][0]
    gbuf = _scratch("gcols", kg * groups * npix * step, dt)
    pbuf = _scratch("gxpad", c * step * hp * wp, dt)
    wt = w.reshape(groups, o // groups, kg).transpose(0, 2, 1)
    t, left = pads[0], pads[2]
    for n0, n1 in chunks:
        nc = n1 - n0
        gxp = pbuf[:nc * c * hp * wp].reshape(nc, c, hp, wp)
        gxp.fill(0)
        gsize = kg * groups * nc * npix
        if per_sample:
            # (K, O) @ (nc, O, L) -> (nc, K, L), scattered sample-major.
            gcols = np.matmul(wt[0], h4[n0:n1].reshape(nc, o, npix),
                              out=gbuf[:gsize].reshape(nc, kg, npix))
            cols = gcols.reshape(nc, c, kh, kw, ho, wo).transpose(1, 2, 3, 0, 4, 5)
        else:
            h2 = np.ascontiguousarray(h4[n0:n1].reshape(nc, o, npix).transpose(1, 0, 2))
            h2 = h2.reshape(groups, o // groups, nc * npix)
            gcols = _gmatmul(wt, h2, gbuf[:gsize].reshape(groups, kg, nc * npix))
            cols = gcols.reshape(c, kh, kw, nc, ho, wo)
        _col2im_add(gxp.transpose(1, 0, 2, 3), cols, kh, kw, s, d, ho, wo)
        gx[n0:n1] = gxp[:, :, t:t + hh, left:left + ww]
    return gx.reshape(xshape)


def _conv_weight_grad(h, x, wshape, stride=1, padding=0, dilation=1, groups=1):
    """Gradient of ``conv2d`` for its weight, shaped ``wshape``, given the output cotangent
    ``h`` and the input ``x``; linear in ``h`` and in ``x``."""
    o, cg, kh, kw = wshape
    s, d, pads, ho, wo = _conv_geometry(x.shape, wshape, stride, padding, dilation)
    x4, h4 = _as4d(x), _as4d(h)
    n = x4.shape[0]
    npix, kg = ho * wo, cg * kh * kw
    dt = np.result_type(h, x)
    if _use_winograd(n, cg, o, ho, wo, (kh, kw), s, d, groups, dt):
        return winograd.weight_grad3x3(h4, x4, pads[0], pads[2]).reshape(wshape)
    xp = _pad(x4, pads, slot="xpad")
    gw = None
    chunks = _chunks(n, kg * groups * npix * x4.itemsize, _CHUNK_BYTES, -(-_MIN_COLS // npix))
    buf = _scratch("cols", kg * groups * npix * (chunks[0][1] - chunks[0][0]), x4.dtype)
    # The (O, K) product is computed in that order: the gradient must end up C-contiguous
    # (a parameter's .grad is), and transposing a (K, O) product costs more than BLAS
    # gains from the other order (measured: 10 ms for ResNet's 512x4608 filters).
    for n0, n1 in chunks:
        nc = n1 - n0
        # (nc, O, L) -> (G, O/G, nc*L): the reduction over samples and pixels is one axis.
        h2 = np.ascontiguousarray(h4[n0:n1].reshape(nc, o, npix).transpose(1, 0, 2))
        h2 = h2.reshape(groups, o // groups, nc * npix)
        cols = _im2col(xp, n0, n1, kh, kw, s, d, ho, wo, buf, False)
        cols = cols.reshape(groups, kg, nc * npix)
        part = _gmatmul(h2, cols.transpose(0, 2, 1))
        if gw is None:
            gw = part
        else:
            gw += part
    gw = gw.astype(dt, copy=False)
    return gw.reshape(wshape)


def _conv_grads(g, x, w, stride, padding, dilation, groups):
    """(grad x, grad w) of ``conv2d`` for the output cotangent ``g``."""
    return (_conv_input_grad(g, w, x.shape, stride, padding, dilation, groups),
            _conv_weight_grad(g, x, w.shape, stride, padding, dilation, groups))


@rule(conv2d, wrt=("input", "weight", "bias"), name="ConvolutionBackward0")
def conv2d_adjoint(g, out, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    gx = _conv_input_grad(g, weight, input.shape, stride, padding, dilation, groups)
    gw = _conv_weight_grad(g, input, weight.shape, stride, padding, dilation, groups)
    gb = _as4d(g).sum(axis=(0, 2, 3)) if bias is not None else None
    return gx, gw, gb


@tangent(conv2d)
def conv2d_jvp(out, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *,
               dinput, dweight, dbias):
    # Bilinear in (input, weight), affine in bias: one convolution per moving operand.
    return (conv2d(dinput, weight, None, stride, padding, dilation, groups)
            + conv2d(input, dweight, None, stride, padding, dilation, groups)
            + np.broadcast_to(np.reshape(dbias, (-1, 1, 1)), out.shape))


# The two gradients are bilinear, so their own adjoints are convolutions again (what a
# gradient of a gradient runs): <u, gx(h, w)> = <conv2d(u, w), h> and
# <v, gw(h, x)> = <conv2d(x, v), h>.

@rule(_conv_input_grad, wrt=("h", "w"), name="ConvolutionBackwardBackward0")
def conv_input_grad_adjoint(g, out, h, w, xshape, stride=1, padding=0, dilation=1, groups=1):
    gh = conv2d(g, w, None, stride, padding, dilation, groups)
    gw = _conv_weight_grad(h, g, w.shape, stride, padding, dilation, groups)
    return gh, gw


@rule(_conv_weight_grad, wrt=("h", "x"), name="ConvolutionBackwardBackward0")
def conv_weight_grad_adjoint(g, out, h, x, wshape, stride=1, padding=0, dilation=1,
                             groups=1):
    gh = conv2d(x, g, None, stride, padding, dilation, groups)
    gx = _conv_input_grad(h, g, x.shape, stride, padding, dilation, groups)
    return gh, gx
