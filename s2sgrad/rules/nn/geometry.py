"""Shapes, padding and scratch memory shared by the convolution and pooling kernels.

Takes: PyTorch-style size arguments (ints or pairs) and NCHW arrays.
Gives: output-size formulas (PyTorch's floor and ceil_mode rules), padding as
(top, bottom, left, right), padded copies, strided window views, and reusable
per-thread scratch buffers.
Invariant: nothing here allocates a buffer the caller may keep: padded copies are fresh,
scratch buffers are overwritten by the next call that asks for the same slot.
"""
from __future__ import annotations

import threading

import numpy as np

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


def _pad(x, pads, value=0.0, slot: str | None = None):
    """``x`` (N, C, H, W) padded on H and W; the input itself when no padding is needed.

    With ``slot``, the padded copy lives in that scratch buffer (valid until the next call
    for the same slot) and only its border is filled: for kernels that read it at once.
    """
    t, b, left, r = pads
    if not (t or b or left or r):
        return x
    n, c, h, w = x.shape
    shape = (n, c, h + t + b, w + left + r)
    if slot is None:
        xp = np.full(shape, value, dtype=x.dtype)
    else:
        xp = _scratch(slot, n * c * shape[2] * shape[3], x.dtype).reshape(shape)
        xp[:, :, :t] = value
        xp[:, :, t + h:] = value
        xp[:, :, t:t + h, :left] = value
        xp[:, :, t:t + h, left + w:] = value
    xp[:, :, t:t + h, left:left + w] = x
    return xp


def _as4d(x):
    """Unbatched (C, H, W) input seen as a batch of one."""
    return x[None] if x.ndim == 3 else x


def _window(xp, i, j, s, d, ho, wo):
    """The (N, C, ho, wo) view of kernel offset (i, j) in every window."""
    hi, wj = i * d[0], j * d[1]
    return xp[:, :, hi:hi + s[0] * (ho - 1) + 1:s[0], wj:wj + s[1] * (wo - 1) + 1:s[1]]


def _windows(xp, kh, kw, s, d, ho, wo):
    """Read-only (N, C, kh, kw, ho, wo) view of every window of the padded ``xp``:
    element [n, c, i, j, a, b] is xp[n, c, a*s0 + i*d0, b*s1 + j*d1]."""
    sn, sc, sh, sw = xp.strides
    return np.lib.stride_tricks.as_strided(
        xp, (xp.shape[0], xp.shape[1], kh, kw, ho, wo),
        (sn, sc, d[0] * sh, d[1] * sw, s[0] * sh, s[1] * sw), writeable=False)


# Unfolded windows are built and consumed a few samples at a time, in per-thread scratch
# buffers that live across calls: the unfolded array (kh*kw times the input) never exists
# for the whole batch, and fresh multi-megabyte arrays (whose first touch costs page faults)
# are avoided. Convolution sets its own, smaller budget.
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


def _chunks(n: int, per_sample: int, budget: int, least: int = 1) -> list[tuple[int, int]]:
    """Sample ranges [n0, n1) covering n samples, each within ``budget`` bytes, but of at
    least ``least`` samples (and at least one)."""
    step = max(1, least, min(n, budget // max(per_sample, 1)))
    return [(i, min(n, i + step)) for i in range(0, n, step)]
