"""``optim.RMSprop`` as PyTorch's single-tensor (``foreach=False``) CPU path.

Takes: params, lr, alpha, eps, weight_decay, momentum, centered, maximize (and PyTorch's
``capturable``/``foreach``/``differentiable`` flags, stored in the group and otherwise
ignored). Gives: ``step()``; the state per parameter holds ``step`` (a float32 0-d tensor),
``square_avg``, ``momentum_buffer`` when momentum > 0 and ``grad_avg`` when centered.

Also gives ``fma(x, y, z)``, the once-rounded ``x * y + z`` that PyTorch's CPU kernels
compute (measured on torch 2.13): ``a.add(b, alpha=s)`` is ``fma(s, b, a)``
(``add_scaled``); ``addcmul(t1, t2, value=v)`` is ``fma(v * t1, t2, self)`` with ``v * t1``
rounded first; ``lerp`` with weight ``|w| < 0.5`` is ``fma(w, end - self, self)``, otherwise
``fma(self - end, 1 - w, end)`` (``lerp_``); ``addcdiv`` is ``self + (v * t1) / t2`` with
every operation rounded.

Invariant: every array keeps the parameter's dtype, and every operation but the square root
rounds as PyTorch's does, for float32 and float64 alike. The square root here is IEEE's
(NumPy's, correctly rounded); PyTorch 2.13's CPU build computes ``Tensor.sqrt`` with a
vectorised routine that is not correctly rounded (measured on an AVX-512 machine: 17% of
float32 and 1% of float64 results differ by one ulp), so trajectories agree to a few ulp
rather than bit for bit. ``sqrt`` is looked up in this module at each step, so a caller can
substitute another: with torch's substituted, the tests match PyTorch bit for bit.
"""
from __future__ import annotations

import numpy as np

from ..runtime.tensor import Tensor
from .optimizer import Optimizer, axpy

__all__ = ["RMSprop", "add_scaled", "fma", "lerp_"]

sqrt = np.sqrt
_SPLIT = 134217729.0  # 2**27 + 1, Veltkamp's constant for splitting a double in halves


def _two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``s = fl(a + b)`` and the exact rest ``e`` with ``a + b == s + e`` (Knuth)."""
    s = a + b
    bv = s - a
    av = s - bv
    return s, (a - av) + (b - bv)


def _round_to_odd(s: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """``s + rest`` rounded to odd, given ``s`` is its nearest double: a later rounding to
    a narrower format from this value is the correct rounding of the exact sum."""
    s = np.asarray(s, np.float64)
    inexact_even = (rest != 0) & ((s.view(np.int64) & 1) == 0)
    toward = np.nextafter(s, np.where(rest > 0, np.inf, -np.inf))
    return np.where(inexact_even, toward, s)


def _split(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t = _SPLIT * x
    hi = t - (t - x)
    return hi, x - hi


def fma(x, y, z) -> np.ndarray:
    """``x * y + z`` with a single rounding, in the dtype of ``z`` (float32 or float64).

    float32: the product of two float32 values is exact in double, and the double sum is
    rounded to odd before the cast, so the result is the correctly rounded one. float64:
    an exact product by Veltkamp splitting, then an exact two-sum and one final rounding.
    """
    z = np.asarray(z)
    x64 = np.asarray(x, np.float64)
    y64 = np.asarray(y, np.float64)
    z64 = z.astype(np.float64, copy=False)
    if z.dtype == np.float32:
        s, rest = _two_sum(x64 * y64, z64)
        return _round_to_odd(s, rest).astype(np.float32)
    p = x64 * y64
    xh, xl = _split(x64)
    yh, yl = _split(y64)
    p_rest = ((xh * yh - p) + xh * yl + xl * yh) + xl * yl
    hi, lo = _two_sum(z64, p)
    mid, mid_rest = _two_sum(lo, p_rest)
    return (hi + _round_to_odd(mid, mid_rest)).astype(z.dtype, copy=False)


def add_scaled(a: np.ndarray, alpha: float, b: np.ndarray) -> np.ndarray:
    """``a.add(b, alpha=alpha)``: fused on CPU for float32 and float64 alike (measured)."""
    if a.dtype == np.float32:
        return axpy(a, alpha, b)
    return fma(a.dtype.type(alpha), b, a)


def lerp_(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """``start.lerp_(end, weight)`` in place, as PyTorch's CPU kernel rounds it."""
    w = start.dtype.type(weight)
    if abs(w) < 0.5:
        start[...] = fma(w, end - start, start)
    else:
        start[...] = fma(start - end, start.dtype.type(1) - w, end)
    return start


class RMSprop(Optimizer):
    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach=None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        if isinstance(lr, Tensor):
            lr = float(lr.item())
        if not lr >= 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not eps >= 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not momentum >= 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not weight_decay >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not alpha >= 0.0:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay,
                    "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def _update(self, group, params) -> None:
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        wd, momentum = group["weight_decay"], group["momentum"]
        centered, maximize = group["centered"], group["maximize"]
        for p in params:
            x = p._data
            g = p.grad._data
            g = -g if maximize else g
            state = self.state[p]
            if not state:
                state["step"] = Tensor._wrap(np.array(0.0, np.float32))
                state["square_avg"] = Tensor._wrap(np.zeros_like(x))
                if momentum > 0:
                    state["momentum_buffer"] = Tensor._wrap(np.zeros_like(x))
                if centered:
                    state["grad_avg"] = Tensor._wrap(np.zeros_like(x))
            state["step"]._data += 1
            if wd != 0:
                g = add_scaled(g, wd, x)
            one = x.dtype.type
            sq = state["square_avg"]._data
            sq *= one(alpha)
            sq[...] = fma(one(1 - alpha) * g, g, sq)          # addcmul_(g, g, 1 - alpha)
            if centered:
                ga = lerp_(state["grad_avg"]._data, g, 1 - alpha)
                avg = sqrt(fma(-ga, ga, sq))                    # addcmul(ga, ga, -1)
            else:
                avg = sqrt(sq)
            avg += one(eps)
            if momentum > 0:
                buf = state["momentum_buffer"]._data
                buf *= one(momentum)
                buf += g / avg                                  # addcdiv_(g, avg)
                self._write(p, add_scaled(x, -lr, buf))
            else:
                self._write(p, x + (one(-lr) * g) / avg)        # addcdiv_(g, avg, -lr)
