"""Winograd minimal filtering F(2x2, 3x3) for stride-1 3x3 correlations (Lavin & Gray).

Takes: an NCHW array, the transform of a 3x3 filter (``filter_transform``), the padding
(top, left) and the output size; for the weight gradient, the output cotangent instead of
the filter. Stride 1, dilation 1, one group.
Gives: the (N, O, ho, wo) cross-correlation (``correlate3x3``) or the (O, C, 3, 3)
gradient for its filter (``weight_grad3x3``): the same numbers as im2col + BLAS up to
rounding (float32: within 1e-6 of the output's largest magnitude on ResNet's layers,
like im2col's own error). Non-finite inputs spread to whole 2x2 tiles (or 3x3 filters).
How: the output is cut into 2x2 tiles; tile (i, j) reads the 4x4 input patch at
(2i, 2j). With Y = A^T [(G g G^T) * (B^T d B)] A per patch and channel pair, a
correlation becomes 16 independent (O, C) @ (C, tiles) products, one batched matmul:
2.25 times fewer multiplications than the 9 (O, C) @ (C, pixels) products of im2col, bought
with a 4x larger input (the transformed patches) and output (before the inverse
transform). The weight gradient is the adjoint: G^T [sum over tiles of
(A h A^T) * (B^T d B)] G, 16 (O, tiles) @ (tiles, C) products. Every transform is a few
whole-array adds on slices:

* the filter transform G g G^T is one small matmul, (16, 9) @ (9, O*C), and so is its
  adjoint for the weight gradient;
* the input is first split into its four (row, column) parity planes, so patch rows
  2i + (0, 1, 2, 3) are planes (even, odd) at i and i + 1, the same for columns: the input
  transform B^T d B is three subtractions/additions over whole planes for the rows, then
  three for the columns;
* the inverse transform A^T m A runs in place on the product, rows then columns, then four
  copies put the 2x2 corners of the tiles into the NCHW output.

Layout: a chunk of ``nc`` samples is transformed at a time, samples innermost:
(C, tile row, tile column, nc). Slicing the tile-column axis then keeps runs of
``tw * nc`` contiguous numbers. When those runs are short, NumPy's per-run overhead
dominates, so then the tile grid keeps one extra ("wrapped") tile column: the column shift
is a shift of the flat array, whose extra column holds finite, unused values (see
``_wraps``). An odd output size pads the tile grid by one zero row/column and crops.

Transforms (rows of the matrices Lavin & Gray name B^T, G, A^T):
    B^T d:  (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
    G g:    (g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2, g2)
    A^T m:  (m0 + m1 + m2, m1 - m2 - m3)
"""
from __future__ import annotations

import numpy as np

from .geometry import _chunks, _scratch

# Images of at least this many tiles are transformed one at a time: the transformed
# input and the product of one 56x56 (28x28) image with 64 (128) channels already take
# 6.4 (3.4) MB, and two at a time measured 10-25% slower. Smaller images are batched up to
# _CHUNK_BYTES of both: the products need the columns (one 14x14 image has 49 tiles;
# 512 channels at 7x7 measured 15.4 ms with 8 samples per product, 22 ms one at a time).
_SAMPLE_TILES = 196
_CHUNK_BYTES = 16 << 20
# The wrapped layout (``_wraps``) is used below this many output channels times samples
# per chunk (measured on ResNet's layers: wrapped 12.6 vs 14.1 ms for 64 channels at
# 56x56, one sample per chunk; 16.9 vs 15.4 ms unwrapped for 512 channels at 7x7, eight).
_WRAP_RUN = 512

_G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])
_GG = np.kron(_G, _G)                      # (16, 9): vec(G g G^T) = _GG @ vec(g)
# G applied to a flipped filter is G with rows (0, 3) swapped: the same for (a, b) pairs.
_FLIP = np.array([4 * a + b for a in (3, 1, 2, 0) for b in (3, 1, 2, 0)])


def filter_transform(w, flip: bool = False, dtype=None) -> np.ndarray:
    """G g G^T of every (3, 3) filter of the OIHW ``w``, as a (4, 4, O, C) array of
    ``dtype`` (``w``'s by default).

    With ``flip``: the transform of the filter flipped in both spatial axes with its
    channel axes swapped (the filter of the input gradient), a (4, 4, C, O) view.
    """
    o, c = w.shape[:2]
    dt = w.dtype if dtype is None else np.dtype(dtype)
    gg = _GG[_FLIP] if flip else _GG
    # (16, 9) @ (9, O*C): BLAS reads the filters once (measured 4x faster than slicing
    # them for 512x512 filters).
    u = np.matmul(gg.astype(dt), w.reshape(o * c, 9).astype(dt, copy=False).T)
    u = u.reshape(4, 4, o, c)
    return u.transpose(0, 1, 3, 2) if flip else u


def _planes(x, top, left, th, tw, q):
    """The four parity planes of ``x`` (nc, C, H, W) padded by (top, left) with zeros:
    q[r, s, c, i, j, n] = padded x[n, c, 2i + r, 2j + s], q of shape
    (2, 2, C, th + 1, tw + 1, nc)."""
    h, w = x.shape[2:]
    q.fill(0)
    for r in range(2):
        r0 = (r - top) % 2                  # first row of x in this plane
        i0 = (r0 + top) // 2
        nr = len(range(r0, h, 2))
        for s in range(2):
            c0 = (s - left) % 2
            j0 = (c0 + left) // 2
            nw = len(range(c0, w, 2))
            q[r, s, :, i0:i0 + nr, j0:j0 + nw] = x[:, :, r0::2, c0::2].transpose(1, 2, 3, 0)


def _wraps(o, nc):
    """Whether the transformed input keeps a wrapped tile column (tw + 1 columns).

    The column transform slices the tile-column axis, leaving contiguous runs of tw*nc
    numbers, about 16*C*th of them; NumPy spends some 7 ns per run. With the extra column
    the shift is one of the whole flattened array, at the price of (tw + 1)/tw more matmul
    columns, whose cost per run grows like O*nc.
    """
    return o * nc < _WRAP_RUN


def _input_transform(q, th, tw, t, v, wrap):
    """B^T d B of every 4x4 patch, from the parity planes ``q`` (``_planes``), into ``v``
    of shape (4, 4, C, th, tw + wrap, nc); ``t`` is (2, 4, C, th, tw + 1, nc) scratch."""
    # Rows: patch rows (0, 1) are planes (0, 1) at tile row i, rows (2, 3) at i + 1.
    ta = t.transpose(1, 0, 2, 3, 4, 5)                  # (a, column parity, ...)
    np.subtract(q[:, :, :, :th], q[:, :, :, 1:], out=ta[::3])       # d0 - d2, d1 - d3
    np.add(q[1, :, :, :th], q[0, :, :, 1:], out=ta[1])               # d1 + d2
    np.subtract(q[0, :, :, 1:], q[1, :, :, :th], out=ta[2])          # d2 - d1
    # Columns, the same with column parities, on every transformed row at once.
    if wrap:
        nc = v.shape[-1]
        size = t[0, 0].size
        tf, vf = t.reshape(2, 4, size), v.reshape(4, 4, size).transpose(1, 0, 2)
        lo, hi = tf[:, :, :-nc], tf[:, :, nc:]
        vf[:, :, -nc:] = 0                              # the wrapped column of the last row
        vf = vf[:, :, :-nc]
        np.subtract(lo, hi, out=vf[::3])
        np.add(lo[1], hi[0], out=vf[1])
        np.subtract(hi[0], lo[1], out=vf[2])
    else:
        vb = v.transpose(1, 0, 2, 3, 4, 5)              # (b, a, ...)
        lo, hi = t[:, :, :, :, :tw], t[:, :, :, :, 1:]
        np.subtract(lo, hi, out=vb[::3])
        np.add(lo[1], hi[0], out=vb[1])
        np.subtract(hi[0], lo[1], out=vb[2])


def _output_transform(m, y, tw):
    """A^T m A of the (4, 4, O, th, tw', nc) products ``m`` (overwritten; only the first
    ``tw`` tile columns are used), into ``y``, an (nc, O, 2*th, 2*tw) array."""
    # Rows, in place: m[0] becomes m0 + m1 + m2, m[3] becomes m1 - m2 - m3.
    np.subtract(m[1], m[3], out=m[3])
    m[3] -= m[2]
    m[0] += m[1]
    m[0] += m[2]
    r = m[::3]                                          # (2, 4, ...): output rows 0, 1
    np.subtract(r[:, 1], r[:, 3], out=r[:, 3])
    r[:, 3] -= r[:, 2]
    r[:, 0] += r[:, 1]
    r[:, 0] += r[:, 2]
    nc, o, h2 = y.shape[:3]
    # y[n, o, 2i + a, 2j + b] = r[a, 3b, o, i, j, n], one corner (a, b) at a time: NumPy
    # runs the four copies along tile columns (measured 2-5x faster than one copy of the
    # interleaved view, whose inner loop is the length-2 corner axis).
    y6 = y.reshape(nc, o, h2 // 2, 2, tw, 2).transpose(3, 5, 1, 2, 4, 0)
    for a in range(2):
        for b in range(2):
            np.copyto(y6[a, b], r[a, 3 * b, :, :, :tw])


def _transformed_input(x4, n0, n1, top, left, th, tw, wrap, step, dt):
    """The transformed patches of samples n0:n1 of ``x4`` (``_input_transform``), of
    dtype ``dt``, in scratch buffers sized for chunks of ``step`` samples."""
    c = x4.shape[1]
    nc, tc = n1 - n0, tw + wrap
    q = _scratch("wg_planes", 4 * c * (th + 1) * (tw + 1) * step, dt)
    q = q[:4 * c * (th + 1) * (tw + 1) * nc].reshape(2, 2, c, th + 1, tw + 1, nc)
    t = _scratch("wg_rows", 8 * c * th * (tw + 1) * step, dt)
    t = t[:8 * c * th * (tw + 1) * nc].reshape(2, 4, c, th, tw + 1, nc)
    v = _scratch("wg_in", 16 * c * th * (tw + 1) * step, dt)
    v = v[:16 * c * th * tc * nc].reshape(4, 4, c, th, tc, nc)
    _planes(x4[n0:n1], top, left, th, tw, q)
    _input_transform(q, th, tw, t, v, wrap)
    return v


def _sample_chunks(n, c, o, th, tw, itemsize):
    # 16 (C + O) numbers per tile and sample: the transformed input and the products.
    budget = 0 if th * tw >= _SAMPLE_TILES else _CHUNK_BYTES
    return _chunks(n, 16 * (c + o) * th * (tw + 1) * itemsize, budget)


def correlate3x3(x4, u, top, left, ho, wo):
    """The (N, O, ho, wo) correlation of NCHW ``x4``, padded with zeros by ``top`` rows and
    ``left`` columns (the bottom and right padding follow from ``ho``, ``wo``), with the
    filter whose transform is the (4, 4, O, C) ``u`` (``filter_transform``)."""
    n, c = x4.shape[:2]
    o = u.shape[2]
    th, tw = -(-ho // 2), -(-wo // 2)
    dt = np.result_type(x4, u)          # transformed in the result's precision
    out = np.empty((n, o, ho, wo), dtype=dt)
    chunks = _sample_chunks(n, c, o, th, tw, dt.itemsize)
    step = chunks[0][1] - chunks[0][0]
    crop = (2 * th, 2 * tw) != (ho, wo)
    u16 = u.reshape(16, o, c)
    for n0, n1 in chunks:
        nc = n1 - n0
        wrap = _wraps(o, nc)
        tc = tw + wrap
        cols = th * tc * nc
        v = _transformed_input(x4, n0, n1, top, left, th, tw, wrap, step, dt)
        m = _scratch("wg_prod", 16 * o * th * (tw + 1) * step, dt)[:16 * o * cols]
        m = np.matmul(u16, v.reshape(16, c, cols), out=m.reshape(16, o, cols))
        if crop:
            y = _scratch("wg_out", step * o * 4 * th * tw, dt)[:nc * o * 4 * th * tw]
            y = y.reshape(nc, o, 2 * th, 2 * tw)
        else:
            y = out[n0:n1]
        _output_transform(m.reshape(4, 4, o, th, tc, nc), y, tw)
        if crop:
            out[n0:n1] = y[:, :, :ho, :wo]
    return out


def _grad_transform(h, th, tw, ht):
    """A' h A'^T of every 2x2 tile of the (nc, O, ho, wo) output cotangent ``h``, into
    ``ht`` of shape (4, 4, O, th, tc, nc); tiles past the output (odd sizes, the wrapped
    column) are zero. A' = (h0, h0 + h1, h0 - h1, h1) is A with its last row negated."""
    ho, wo = h.shape[2:]
    tc = ht.shape[4]
    corners = ht[::3, ::3]                              # (2, 2, O, th, tc, nc): A' rows 0, 3
    if (2 * th, 2 * tw, tw) != (ho, wo, tc):
        corners.fill(0)
    for r in range(2):
        for s in range(2):
            np.copyto(corners[r, s, :, :len(range(r, ho, 2)), :len(range(s, wo, 2))],
                      h[:, :, r::2, s::2].transpose(1, 2, 3, 0))
    np.add(corners[:, 0], corners[:, 1], out=ht[::3, 1])
    np.subtract(corners[:, 0], corners[:, 1], out=ht[::3, 2])
    np.add(ht[0], ht[3], out=ht[1])
    np.subtract(ht[0], ht[3], out=ht[2])


# The weight gradient is G^T M G with M the (4, 4) patch-wise products: with A' (the sign
# of A's last row flipped), G^T D M' D G, D = diag(1, 1, 1, -1).
_GD = _G * np.array([1.0, 1.0, 1.0, -1.0])[:, None]
_GGD = np.kron(_GD, _GD)                   # (16, 9): vec(gw) = _GGD.T @ vec(M')


def weight_grad3x3(h4, x4, top, left):
    """The (O, C, 3, 3) gradient, for the filter, of the stride-1 correlation of NCHW
    ``x4`` padded by (``top``, ``left``) whose output cotangent is ``h4`` (N, O, ho, wo)."""
    n, c = x4.shape[:2]
    o, ho, wo = h4.shape[1:]
    th, tw = -(-ho // 2), -(-wo // 2)
    dt = np.result_type(h4, x4)
    chunks = _sample_chunks(n, c, o, th, tw, dt.itemsize)
    step = chunks[0][1] - chunks[0][0]
    m = None
    for n0, n1 in chunks:
        nc = n1 - n0
        wrap = _wraps(o, nc)
        tc = tw + wrap
        cols = th * tc * nc
        v = _transformed_input(x4, n0, n1, top, left, th, tw, wrap, step, dt)
        ht = _scratch("wg_prod", 16 * o * th * (tw + 1) * step, dt)[:16 * o * cols]
        ht = ht.reshape(4, 4, o, th, tc, nc)
        _grad_transform(h4[n0:n1], th, tw, ht)
        # (16, O, tiles) @ (16, tiles, C): the reduction over samples and tiles.
        part = np.matmul(ht.reshape(16, o, cols), v.reshape(16, c, cols).transpose(0, 2, 1))
        if m is None:
            m = part
        else:
            m += part
    gw = np.matmul(m.reshape(16, o * c).T, _GGD.astype(dt))
    return gw.reshape(o, c, 3, 3)
