"""Losses: ``nll_loss``, ``mse_loss``, ``bce_with_logits`` and their adjoints.

Takes: inputs and targets in PyTorch's layouts (class axis 1), PyTorch's reduction names.
Gives: what ``torch.nn.functional`` computes and gradients for the input (and the target
where PyTorch gives one). softmax and log_softmax live with the other PyTorch-style
primitives in ``torchlike``.
Invariant: the result keeps the input's floating dtype.
"""
from __future__ import annotations

import numpy as np

from ..registry import rule, tangent

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


@tangent(nll_loss)
def nll_loss_jvp(out, input, target, weight=None, ignore_index=-100, reduction="mean", *,
                 dinput):
    # Linear in the log-probabilities (the mean divides by the same weights).
    return nll_loss(dinput, target, weight, ignore_index, reduction)


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


@tangent(mse_loss)
def mse_loss_jvp(out, input, target, reduction="mean", *, dinput, dtarget):
    return (_reduce(2 * np.subtract(input, target) * dinput, reduction)
            - _reduce(2 * np.subtract(input, target) * dtarget, reduction))


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


def _bce_tangent(dx, dy, x, y, weight, pos_weight, reduction):
    """The directional derivative of ``bce_with_logits`` along (dx, dy)."""
    pw1 = 0 if pos_weight is None else pos_weight - 1
    t = dx * ((1 - y) - (1 + pw1 * y) * _sigmoid(-x)) + dy * (pw1 * _softplus_neg(x) - x)
    t = t if weight is None else t * weight
    return np.asarray(_reduce(t, reduction))


@tangent(bce_with_logits)
def bce_with_logits_jvp(out, input, target, weight=None, pos_weight=None, reduction="mean", *,
                        dinput, dtarget):
    return _bce_tangent(dinput, dtarget, input, target, weight, pos_weight, reduction)


# ---------------------------------------------------------------- probabilities and robust losses

_BCE_EPS = 1e-12


def _log_or_ninf(x):
    """``log(x)``, and -inf at 0 without a divide-by-zero warning."""
    pos = x > 0
    return np.where(pos, np.log(np.where(pos, x, 1.0)), -np.inf)


def _log1m_or_ninf(x):
    """``log(1 - x)`` (as ``log1p(-x)``), and -inf at 1 without a warning."""
    below = x < 1
    return np.where(below, np.log1p(-np.where(below, x, 0.0)), -np.inf)


def _bce_logs(x):
    """``(log x, log(1 - x))``, each clamped below at -100 as PyTorch clamps them."""
    return np.maximum(_log_or_ninf(x), -100.0), np.maximum(_log1m_or_ninf(x), -100.0)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """``F.binary_cross_entropy`` of probabilities ``input`` in [0, 1]:
    ``-w [y log x + (1 - y) log(1 - x)]`` with each log clamped at -100."""
    logs = _bce_logs(input)
    loss = -(target * logs[0] + (1.0 - target) * logs[1])
    loss = loss if weight is None else loss * weight
    return np.asarray(_reduce(loss, reduction), dtype=np.result_type(input, target))


def _bce_prob_grads(g, x, y, weight, reduction):
    """PyTorch's gradients of ``binary_cross_entropy``: ``(x - y) / max(x (1 - x), 1e-12)``
    for the input, ``log(1 - x) - log(x)`` (not clamped) for the target."""
    gl = g / np.size(x) if reduction == "mean" else g
    gl = gl if weight is None else gl * np.asarray(weight).astype(x.dtype)
    gx = gl * (x - y) / np.maximum((1.0 - x) * x, _BCE_EPS)
    gy = gl * (_log1m_or_ninf(x) - _log_or_ninf(x))
    return gx, gy


@rule(binary_cross_entropy, wrt=("input", "target"), name="BinaryCrossEntropyBackward0")
def binary_cross_entropy_adjoint(g, out, input, target, weight=None, reduction="mean"):
    grads = _bce_prob_grads(g, input, target, weight, reduction)
    return grads[0], grads[1]


@tangent(binary_cross_entropy)
def binary_cross_entropy_jvp(out, input, target, weight=None, reduction="mean", *, dinput,
                             dtarget):
    grads = _bce_prob_grads(1.0, input, target, weight, "none")
    return _reduce(dinput * grads[0], reduction) + _reduce(dtarget * grads[1], reduction)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """``F.smooth_l1_loss`` (``beta > 0``): ``d^2 / (2 beta)`` where ``|d| < beta``, else
    ``|d| - beta / 2``, with ``d = input - target``."""
    d = np.subtract(input, target)
    ad = np.abs(d)
    return np.asarray(_reduce(np.where(ad < beta, 0.5 * d * d / beta, ad - 0.5 * beta),
                              reduction))


def _robust_slope(d, beta, scale):
    """``d * scale / beta`` inside ``|d| < beta``, ``scale * sign(d)`` outside: the slope of
    smooth L1 (scale 1) and of Huber (scale = beta = delta)."""
    return np.where(np.abs(d) < beta, d * (scale / beta), np.sign(d) * scale)


@rule(smooth_l1_loss, wrt=("input", "target"), broadcast=True, name="SmoothL1LossBackward0")
def smooth_l1_loss_adjoint(g, out, input, target, reduction="mean", beta=1.0):
    d = np.subtract(input, target)
    gx = (g / d.size if reduction == "mean" else g) * _robust_slope(d, beta, 1.0)
    return gx, -gx


@tangent(smooth_l1_loss)
def smooth_l1_loss_jvp(out, input, target, reduction="mean", beta=1.0, *, dinput, dtarget):
    return (_reduce(dinput * _robust_slope(np.subtract(input, target), beta, 1.0), reduction)
            - _reduce(dtarget * _robust_slope(np.subtract(input, target), beta, 1.0), reduction))


def huber_loss(input, target, reduction="mean", delta=1.0):
    """``F.huber_loss``: ``d^2 / 2`` where ``|d| < delta``, else ``delta (|d| - delta / 2)``."""
    d = np.subtract(input, target)
    ad = np.abs(d)
    return np.asarray(_reduce(np.where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta)),
                              reduction))


@rule(huber_loss, wrt=("input", "target"), broadcast=True, name="HuberLossBackward0")
def huber_loss_adjoint(g, out, input, target, reduction="mean", delta=1.0):
    d = np.subtract(input, target)
    gx = (g / d.size if reduction == "mean" else g) * _robust_slope(d, delta, delta)
    return gx, -gx


@tangent(huber_loss)
def huber_loss_jvp(out, input, target, reduction="mean", delta=1.0, *, dinput, dtarget):
    return (_reduce(dinput * _robust_slope(np.subtract(input, target), delta, delta), reduction)
            - _reduce(dtarget * _robust_slope(np.subtract(input, target), delta, delta),
                      reduction))
