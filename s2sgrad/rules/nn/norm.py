"""``batch_norm`` (``F.batch_norm``) and its adjoint (``NativeBatchNormBackward0``).

Takes: input (N, C, *), optional running buffers, affine weight and bias, training flag.
Gives: the normalised output; in training the running buffers are updated in place
(unbiased variance) and the output is normalised with the biased batch variance.
Invariant: the adjoint recomputes the batch statistics from ``x`` instead of saving them.
"""
from __future__ import annotations

import numpy as np

from ..registry import rule, tangent

def _bn_axes(x) -> tuple:
    return (0,) + tuple(range(2, x.ndim))


def _bn_shape(x) -> tuple:
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _channel_dot(a, b):
    """Per-channel sum of ``a * b`` over every axis but 1, without a full-size temporary."""
    n, c = a.shape[:2]
    return np.einsum("ncl,ncl->c", a.reshape(n, c, -1), b.reshape(n, c, -1))


def _channel_sum(a):
    """Per-channel sum over every axis but 1 (einsum: measured twice as fast as ``sum``
    over axes (0, 2, 3))."""
    n, c = a.shape[:2]
    return np.einsum("ncl->c", a.reshape(n, c, -1))


@rule(_channel_sum, name="SumBackward1")
def channel_sum_adjoint(g, out, a):
    # A fresh array (not a broadcast view): the drivers may accumulate into it.
    return np.reshape(g, _bn_shape(a)) * np.ones_like(a)


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
        m = x.size // x.shape[1]
        mean = _channel_sum(x) / m
        # The centred input becomes the output in place: one full-size array, not three.
        out = x - mean.astype(x.dtype).reshape(shape)
        var = _channel_dot(out, out) / m
        if running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += momentum * mean
            running_var *= 1 - momentum
            running_var += (momentum * m / (m - 1)) * var
        invstd = 1.0 / np.sqrt(var + eps)
        scale = invstd if weight is None else weight * invstd
        out *= scale.astype(x.dtype).reshape(shape)
        if bias is not None:
            out += bias.astype(x.dtype).reshape(shape)
        return out
    mean, var = running_mean, running_var
    invstd = 1.0 / np.sqrt(var + eps)
    scale = invstd if weight is None else weight * invstd
    shift = -mean * scale if bias is None else bias - mean * scale
    out = x * scale.astype(x.dtype).reshape(shape)
    out += shift.astype(x.dtype).reshape(shape)
    return out


def _bn_grads(g, x, weight, running_mean, running_var, training, eps):
    """(grad x, grad weight, grad bias) of ``batch_norm`` for the output cotangent ``g``.

    With xc = x - mean, a = weight * invstd and m values per channel:
    gb = sum g, gw = invstd * sum(g * xc), and in training
    gx = a * (g - gb/m - xc * invstd * gw/m), else gx = a * g.
    Runs on Tensors too (operators only; nothing modified in place after an operation has
    read it); on arrays it reuses the centred input for the result.
    """
    shape = _bn_shape(x)
    m = x.size // x.shape[1]
    fast = type(x) is np.ndarray and type(g) is np.ndarray
    mean = (_channel_sum(x) / m if fast else x.mean(axis=_bn_axes(x))) if training \
        else running_mean
    xc = x - mean.astype(x.dtype).reshape(shape)
    var = _channel_dot(xc, xc) / m if training else running_var
    invstd = (1.0 / np.sqrt(var + eps)).astype(x.dtype)
    gb = _channel_sum(g) if fast else g.sum(axis=_bn_axes(x))
    gw = _channel_dot(g, xc) * invstd
    a = invstd if weight is None else weight * invstd
    if not training:
        return g * a.reshape(shape), gw, gb
    coef = (invstd * gw / -m).reshape(shape)
    # Arrays: the centred input becomes the gradient in place (no second full-size array).
    # Tensors: a fresh product, since the dot above saved xc for its own backward.
    if fast:
        xc *= coef
        gx = xc
    else:
        gx = xc * coef
    gx += g
    gx -= (gb / m).reshape(shape)
    gx *= a.reshape(shape)
    return gx, gw, gb


@rule(batch_norm, wrt=("input", "weight", "bias"), name="NativeBatchNormBackward0")
def batch_norm_adjoint(g, out, input, running_mean=None, running_var=None, weight=None,
                       bias=None, training=False, momentum=0.1, eps=1e-5):
    gx, gw, gb = _bn_grads(g, input, weight, running_mean, running_var, training, eps)
    return gx, (gw if weight is not None else None), (gb if bias is not None else None)


def _bn_tangent(dx, dw, db, x, weight, running_mean, running_var, training, eps):
    """The directional derivative of ``batch_norm``'s output along (dx, dw, db).

    With xhat = (x - mean) * invstd: in training the statistics move with x, so
    dxhat = invstd * (dx - mean(dx) - xhat * mean(dx * xhat)) per channel; in eval
    dxhat = invstd * dx. Then dy = weight * dxhat + xhat * dw + db.
    """
    shape = _bn_shape(x)
    axes = _bn_axes(x)
    mean = x.mean(axis=axes) if training else running_mean
    xc = x - np.reshape(mean, shape)
    var = (xc * xc).mean(axis=axes) if training else running_var
    invstd = np.reshape(1.0 / np.sqrt(var + eps), shape)
    xhat = xc * invstd
    if training:
        dxhat = invstd * (dx - np.reshape(np.mean(dx, axis=axes), shape)
                          - xhat * np.reshape(np.mean(dx * xhat, axis=axes), shape))
    else:
        dxhat = invstd * dx
    t = dxhat if weight is None else dxhat * np.reshape(weight, shape)
    if dw is not None:
        t = t + xhat * np.reshape(dw, shape)
    if db is not None:
        t = t + np.reshape(db, shape)
    return t.astype(x.dtype)


@tangent(batch_norm)
def batch_norm_jvp(out, input, running_mean=None, running_var=None, weight=None, bias=None,
                   training=False, momentum=0.1, eps=1e-5, *, dinput, dweight, dbias):
    return _bn_tangent(dinput, dweight if weight is not None else None,
                       dbias if bias is not None else None, input, weight, running_mean,
                       running_var, training, eps)


# ---------------------------------------------------------------- layer normalisation

def _ln_axes(x, normalized_shape) -> tuple:
    """The trailing axes ``normalized_shape`` covers."""
    nd = len(normalized_shape)
    return tuple(range(np.ndim(x) - nd, np.ndim(x)))


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """``F.layer_norm``: each slice over the trailing ``normalized_shape`` axes normalised
    with its mean and biased variance, then scaled by ``weight`` and shifted by ``bias``
    (both of ``normalized_shape``)."""
    axes = _ln_axes(input, normalized_shape)
    xc = input - np.mean(input, axis=axes, keepdims=True)
    rstd = 1.0 / np.sqrt(np.mean(xc * xc, axis=axes, keepdims=True) + eps)
    out = xc * rstd
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def _ln_grads(g, x, normalized_shape, weight, eps):
    """(grad x, grad weight, grad bias) of ``layer_norm`` for the output cotangent ``g``.

    With xhat = (x - mean) * rstd over the normalised axes and gh = g * weight:
    gx = rstd * (gh - mean(gh) - xhat * mean(gh * xhat)), gw = sum(g * xhat) and
    gb = sum(g) over the leading axes. Operators only, so it runs on Tensors too.
    """
    axes = _ln_axes(x, normalized_shape)
    lead = tuple(range(np.ndim(x) - len(normalized_shape)))
    xc = x - np.mean(x, axis=axes, keepdims=True)
    rstd = 1.0 / np.sqrt(np.mean(xc * xc, axis=axes, keepdims=True) + eps)
    xhat = xc * rstd
    gh = g if weight is None else g * weight
    gx = rstd * (gh - np.mean(gh, axis=axes, keepdims=True)
                 - xhat * np.mean(gh * xhat, axis=axes, keepdims=True))
    return gx, np.sum(g * xhat, axis=lead), np.sum(g, axis=lead)


@rule(layer_norm, wrt=("input", "weight", "bias"), name="NativeLayerNormBackward0")
def layer_norm_adjoint(g, out, input, normalized_shape, weight=None, bias=None, eps=1e-5):
    grads = _ln_grads(g, input, normalized_shape, weight, eps)
    return grads[0], (grads[1] if weight is not None else None), (
        grads[2] if bias is not None else None)


@tangent(layer_norm)
def layer_norm_jvp(out, input, normalized_shape, weight=None, bias=None, eps=1e-5, *, dinput,
                   dweight, dbias):
    return _ln_tangent(dinput, dweight if weight is not None else None,
                       dbias if bias is not None else None, input, normalized_shape, weight,
                       eps)


def _ln_tangent(dx, dw, db, x, normalized_shape, weight, eps):
    """The directional derivative of ``layer_norm`` along (dx, dw, db)."""
    axes = _ln_axes(x, normalized_shape)
    xc = x - np.mean(x, axis=axes, keepdims=True)
    rstd = 1.0 / np.sqrt(np.mean(xc * xc, axis=axes, keepdims=True) + eps)
    xhat = xc * rstd
    dxhat = rstd * (dx - np.mean(dx, axis=axes, keepdims=True)
                    - xhat * np.mean(dx * xhat, axis=axes, keepdims=True))
    t = dxhat if weight is None else dxhat * weight
    if dw is not None:
        t = t + xhat * dw
    if db is not None:
        t = t + db
    return t
