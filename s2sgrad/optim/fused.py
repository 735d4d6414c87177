"""Exact elementwise arithmetic shared by the optimizers: PyTorch's fused CPU kernels,
rounded as PyTorch 2.13 rounds them (measured against torch on float32 and float64).

Takes: NumPy float32 or float64 arrays and Python scalars. Gives:

- ``fma(x, y, z, out=None)``: ``x * y + z`` with a single rounding, in the dtype of ``z``;
- ``axpy(a, alpha, b, out=None)``: ``a.add(b, alpha=alpha)``, which PyTorch computes as an
  FMA (float32 and float64 alike);
- ``lerp_(start, end, weight)``: ``start.lerp_(end, weight)``: ``fma(w, end - start,
  start)`` for ``|w| < 0.5``, else ``fma(start - end, 1 - w, end)``;
- ``addcmul_(t, t1, t2, value)``: ``fma(value * t1, t2, t)``, ``value * t1`` rounded first;
- ``addcdiv(t, t1, t2, value)``: ``t + (value * t1) / t2``, every operation rounded;
- ``round32(v, r, p_at, a_at)``: double sums ``p + a`` (a float32 product plus a float32
  value) rounded to float32 correctly, not twice;
- ``two_sum``, ``split``, ``round_to_odd``: the error-free transformations behind them;
- ``blocks(*arrays)``: the arrays cut into matching cache-sized flat blocks;
- ``sqrt``: the square root Adam, RMSprop and Adagrad use, looked up here at each step.

A scalar meets an array as a value of the array's dtype (PyTorch casts it to the tensor's
dtype), and every result keeps that dtype. Large arrays are processed in blocks of
``_BLOCK`` elements with per-thread work buffers, so the error terms stay in cache.

``sqrt`` is IEEE's (NumPy's, correctly rounded). PyTorch 2.13's CPU ``Tensor.sqrt`` uses a
vectorised routine that is not correctly rounded (measured on this AVX-512 machine: 17% of
float32 and 1% of float64 results are one ulp off, tails included), so the optimizers that
take a square root agree with PyTorch to a few ulp, not bit for bit. Substituting PyTorch's
own square root here (``fused.sqrt = ...``) makes them agree bit for bit: every other
operation rounds as PyTorch's does.

Limits: float64 ``fma`` is exact while ``x * y`` neither overflows nor underflows in its
splitting (``|x|``, ``|y|`` below about 1e290 and products above about 1e-290); where a
result or an error term is not finite it is the plain ``x * y + z``.
"""
from __future__ import annotations

import threading

import numpy as np

__all__ = ["addcdiv", "addcmul_", "axpy", "blocks", "fma", "lerp_", "round32", "round_to_odd",
           "split", "sqrt", "two_sum"]

sqrt = np.sqrt

_SPLIT = 134217729.0  # 2**27 + 1, Veltkamp's constant for splitting a double in halves
_LOW28 = np.uint64((1 << 28) - 1)  # the significand bits below a float32 half-ulp


def two_sum(a, b) -> tuple[np.ndarray, np.ndarray]:
    """``s = fl(a + b)`` and the exact rest ``e``: ``a + b == s + e`` (Knuth)."""
    s = a + b
    bv = s - a
    av = s - bv
    return s, (a - av) + (b - bv)


def split(x) -> tuple[np.ndarray, np.ndarray]:
    """``x == hi + lo`` with both halves 26 bits wide, so their products are exact."""
    t = _SPLIT * x
    hi = t - (t - x)
    return hi, x - hi


def round_to_odd(s: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """``s + rest`` rounded to odd, given ``s`` is its nearest double: a later rounding to a
    narrower format, or a later sum with a much larger double, is then the correct rounding
    of the exact value."""
    s = np.asarray(s, np.float64)
    inexact_even = (rest != 0) & ((s.view(np.int64) & 1) == 0)
    toward = np.nextafter(s, np.where(rest > 0, np.inf, -np.inf))
    return np.where(inexact_even, toward, s)


# ----------------------------------------------------------------------------- blocks

# Work buffers of this many elements: big enough that the per-block NumPy calls cost
# nothing, small enough to stay in cache (measured on ResNet-18's parameters: 256K
# elements ran twice as fast as the whole array at once, and faster than 64K or 128K).
_BLOCK = 1 << 18

_scratch = threading.local()


def _work(n: int, k: int = 2) -> list[np.ndarray]:
    """``k`` float64 work buffers of ``n`` (<= _BLOCK) elements, kept per thread (the same
    ones at every call: a caller holding some across calls takes others)."""
    bufs = getattr(_scratch, "bufs", None)
    if bufs is None or len(bufs) < k or bufs[0].size < n:
        size = max(n, bufs[0].size if bufs else 0)
        bufs = _scratch.bufs = [np.empty(size, np.float64)
                                for _ in range(max(k, len(bufs) if bufs else 0))]
    return [b[:n] for b in bufs[:k]]


def blocks(*arrays: np.ndarray):
    """The arrays cut into matching flat blocks of at most ``_BLOCK`` elements (one
    block, the arrays themselves, unless all are C-contiguous and of one size).

    An elementwise update run block by block reads and writes each parameter once
    from memory instead of once per operation (the blocks stay in cache)."""
    n = arrays[0].size
    if n <= _BLOCK or not all(a.flags.c_contiguous and a.size == n for a in arrays):
        return (arrays,)
    flat = [a.reshape(-1) for a in arrays]
    return [tuple(f[s:s + _BLOCK] for f in flat) for s in range(0, n, _BLOCK)]


def _flat(v: np.ndarray, shape: tuple, dtype) -> np.ndarray:
    """``v`` as a 0-d array (a scalar operand) or a flat C-contiguous array of ``shape``."""
    if v.size == 1:
        return v.reshape(()).astype(dtype, copy=False)
    if v.shape != shape or not v.flags.c_contiguous or v.dtype != dtype:
        v = np.ascontiguousarray(np.broadcast_to(v, shape), dtype)
    return v.reshape(-1)


# ----------------------------------------------------------------------------- fma

def fma(x, y, z, out: np.ndarray | None = None) -> np.ndarray:
    """``x * y + z`` with a single rounding, in the dtype of ``z`` (float32 or float64;
    ``x`` and ``y`` hold values of that dtype). ``out`` (which may be ``z``) gets it.

    float32: the product is exact in double and the double sum is rounded once; the cast
    to float32 is then the correct rounding except on a float32 rounding boundary, found
    and redone exactly (see ``_fma32_block``). float64: an exact product by Veltkamp
    splitting, an exact two-sum, the low parts rounded to odd, and one final rounding
    (Boldo and Melquiond's emulated FMA).
    """
    z = np.asarray(z)
    dtype = z.dtype
    x, y = np.asarray(x, dtype), np.asarray(y, dtype)
    shape = np.broadcast_shapes(x.shape, y.shape, z.shape)
    res = out if out is not None and out.flags.c_contiguous else np.empty(shape, dtype)
    fx, fy, fz = (_flat(v, shape, dtype) for v in (x, y, z))
    if out is not None and res is out and (np.may_share_memory(out, x)
                                           or np.may_share_memory(out, y)):
        fx, fy = fx.copy(), fy.copy()        # the result is written before a rare redo
    kernel, k = (_fma32_block, 2) if dtype == np.float32 else (_fma64_block, 8)
    fr = res.reshape(-1)
    n = fr.size
    with np.errstate(all="ignore"):      # error terms of infinities are NaN: no warnings
        work = _work(min(n, _BLOCK), k)
        for s in range(0, n, _BLOCK):
            e = min(s + _BLOCK, n)
            kernel(*(v if v.ndim == 0 else v[s:e] for v in (fx, fy, fz)), fr[s:e],
                   [w[:e - s] for w in work])
    if out is not None and res is not out:
        out[...] = res
        return out
    return res


def _fma32_block(x, y, z, r, work) -> None:
    """``r = fma(x, y, z)`` for one flat float32 block (``x`` or ``y`` may be 0-d).

    The product of two float32 values is exact in double, so the double sum ``u`` is the
    exact sum rounded once; casting ``u`` to float32 rounds a second time, which is wrong
    only when ``u`` lies exactly on a float32 rounding boundary (a midpoint between float32
    neighbours, subnormal ones included, or the overflow threshold) while the exact sum does
    not. Every such boundary has the low 28 bits of its double significand zero, so a mask
    and a minimum per block find the rare blocks holding a candidate; only there are the
    candidates recomputed exactly (two-sum, round to odd, cast).
    """
    w, v = work
    v[...] = y
    if x.ndim:
        w[...] = x
        v *= w
    else:
        v *= x                          # x * y, exact
    w[...] = z                          # z, exact
    v += w                              # the exact sum, rounded once
    round32(v, r, lambda i: np.multiply(*(f[i] if f.ndim else f for f in (x, y)),
                                        dtype=np.float64), w.__getitem__)


def round32(v: np.ndarray, r: np.ndarray, p_at, a_at) -> None:
    """``r[...] = v`` for flat float64 sums ``v = fl(p + a)`` of an exact double ``p`` (a
    product of two float32 values) and a float32 value ``a``, correctly rounded: the sums
    the cast may round wrongly (candidates: low 28 significand bits zero) are redone from
    ``p_at(idx)`` and ``a_at(idx)``, which give ``p`` and ``a`` at those positions. ``v``
    is used up (it holds the candidates' keys afterwards)."""
    r[...] = v
    key = v.view(np.uint64)
    np.bitwise_and(key, _LOW28, out=key)  # the low 28 bits of each significand
    if np.minimum.reduce(key) == 0:
        cand = key == 0
        if np.count_nonzero(cand) > r.size // 32:
            # Many candidates: sums exactly representable in float32 (a power-of-two
            # alpha, zero gradients) are no ties; drop them block-wide, not one by one.
            everything = slice(None)
            u = p_at(everything) + a_at(everything)
            cand &= r != u
        idx = np.flatnonzero(cand)
        _redo_ties(r, idx, np.broadcast_to(p_at(idx), idx.shape), a_at(idx))


def _redo_ties(r: np.ndarray, idx: np.ndarray, p: np.ndarray, a: np.ndarray) -> None:
    """``r[idx]`` = the float32 rounding of the exact ``p + a``, where their double sum
    (a candidate) is a float32 rounding boundary."""
    u = p + a
    with np.errstate(over="ignore"):
        tie = np.isfinite(u) & (u.astype(np.float32) != u)
    if tie.any():
        s, rest = two_sum(p[tie], a[tie])
        r[idx[tie]] = round_to_odd(s, rest).astype(np.float32)


def _fma64_block(x, y, z, r, work) -> None:
    """``r = fma(x, y, z)`` for one flat float64 block (``x`` or ``y`` may be 0-d), in
    place in the eight work buffers: ``r`` is written last, so it may be ``z``."""
    p, e, s, t, u, yh, yl, xh = work
    np.multiply(x, y, out=p)
    np.multiply(y, _SPLIT, out=t)                            # Veltkamp: y = yh + yl
    np.subtract(t, y, out=u)
    np.subtract(t, u, out=yh)
    np.subtract(y, yh, out=yl)
    if x.ndim:
        xl = s
        np.multiply(x, _SPLIT, out=t)
        np.subtract(t, x, out=u)
        np.subtract(t, u, out=xh)
        np.subtract(x, xh, out=xl)
    else:
        xh, xl = split(float(x))
    np.multiply(xh, yh, out=e)                               # e: x * y - p, exact (Dekker)
    e -= p
    for a, b in ((xh, yl), (xl, yh), (xl, yl)):
        np.multiply(a, b, out=t)
        e += t
    np.add(z, p, out=s)                                      # z + p == s + u (two-sum)
    np.subtract(s, z, out=t)
    np.subtract(s, t, out=u)
    np.subtract(z, u, out=u)
    np.subtract(p, t, out=t)
    u += t
    np.add(u, e, out=t)                                      # u + e == t + u (two-sum)
    np.subtract(t, u, out=p)
    np.subtract(t, p, out=yh)
    np.subtract(u, yh, out=u)
    np.subtract(e, p, out=e)
    u += e
    # t rounded to odd: one step toward its rest u where u != 0 and t is even
    tb, step, even = t.view(np.int64), yh.view(np.int64), yl.view(np.int64)
    np.bitwise_xor(tb, u.view(np.int64), out=step)
    np.right_shift(step, 63, out=step)
    np.bitwise_or(step, 1, out=step)                         # +1: away from 0, -1: toward
    np.bitwise_and(tb, 1, out=even)
    np.bitwise_xor(even, 1, out=even)
    even *= u != 0
    step *= even
    tb += step
    np.add(s, t, out=u)
    if np.isfinite(np.add.reduce(u)):
        r[...] = u
        return
    bad = ~np.isfinite(u)                                    # plain sums where not finite
    plain = np.multiply(x, y) + z
    u[bad] = plain[bad] if plain.ndim else plain
    r[...] = u


# ----------------------------------------------------------------------------- kernels

def axpy(a: np.ndarray, alpha: float, b: np.ndarray, out: np.ndarray | None = None
         ) -> np.ndarray:
    """``a.add(b, alpha=alpha)``: ``a + alpha * b`` rounded once, as PyTorch's CPU kernel
    (an FMA, for float32 and float64 alike). ``out`` (which may be ``a``) gets the result.

    With ``alpha`` = +-1 the product is exact: one plain add. Otherwise a flat block (the
    case of an optimizer's block-wise step) runs ``_fma32_block`` directly, anything else
    ``fma``.
    """
    alpha = float(a.dtype.type(alpha))
    if alpha == 1.0:
        return np.add(a, b, out=out)
    if alpha == -1.0:
        return np.subtract(a, b, out=out)
    n = a.size
    if (a.dtype == np.float32 and n <= _BLOCK and out is not None
            and a.shape == b.shape == out.shape and a.flags.c_contiguous
            and b.flags.c_contiguous and out.flags.c_contiguous
            and not np.may_share_memory(out, b)):
        with np.errstate(all="ignore"):
            _fma32_block(np.asarray(alpha, np.float32), b.reshape(-1), a.reshape(-1),
                         out.reshape(-1), _work(n))
        return out
    return fma(alpha, b, a, out=out)


def lerp_(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """``start.lerp_(end, weight)`` in place, as PyTorch's CPU kernel rounds it."""
    w = start.dtype.type(weight)
    if abs(w) < 0.5:
        return fma(w, end - start, start, out=start)
    return fma(start - end, start.dtype.type(1) - w, end, out=start)


def addcmul_(t: np.ndarray, t1: np.ndarray, t2: np.ndarray, value: float = 1) -> np.ndarray:
    """``t.addcmul_(t1, t2, value=value)`` in place: ``fma(value * t1, t2, t)``."""
    v = t.dtype.type(value)
    return fma(t1 if v == 1 else v * t1, t2, t, out=t)


def addcdiv(t: np.ndarray, t1: np.ndarray, t2: np.ndarray, value: float = 1) -> np.ndarray:
    """``t.addcdiv(t1, t2, value=value)``: ``t + (value * t1) / t2``, each step rounded."""
    v = t.dtype.type(value)
    return t + (t1 if v == 1 else v * t1) / t2
