"""Rules for matrix decompositions as ``torch.linalg`` defines them: eigh, svd, qr.

Takes: real (batched) matrices. Gives: PyTorch-shaped primitives (``eigh_sym``,
``svd_reduced``, ``svdvals``, ``qr_reduced``, ``cholesky_sym``), their adjoints under
PyTorch's node names and their forward rules, in the one table.

Invariant: each primal is differentiable exactly as written, so finite differences
confirm its rule. ``eigh_sym`` and ``cholesky_sym`` read the symmetric part
``(A + A^T) / 2``: their gradients are then the symmetric ones PyTorch returns (on a
symmetric input the values are PyTorch's too; PyTorch reads one triangle of a
non-symmetric input instead). The adjoints follow PyTorch's ``FunctionsManual``;
unused outputs arrive as ``None`` cotangents and count as zero.
"""
from __future__ import annotations

import numpy as np

from .helper_rules import composite
from .linalg_helpers import cholesky_grad, cholesky_tangent
from .registry import rule, tangent


def _mT(x):
    return np.swapaxes(x, -1, -2)


def _sym(x):
    return (x + _mT(x)) / 2


def _zero_or(g, like):
    return np.zeros(np.shape(like), np.result_type(like, np.float32)) if g is None else g


def _gaps(w):
    """E[i, j] = w[j] - w[i], with ones on the diagonal (it is divided by)."""
    e = w[..., None, :] - w[..., :, None]
    return e + np.eye(w.shape[-1], dtype=e.dtype)


def _offdiag(x):
    return x * (1 - np.eye(x.shape[-1], dtype=x.dtype))


# -- eigh ----------------------------------------------------------------------------------------
def eigh_sym(a, upper=False):
    """``(eigenvalues ascending, eigenvectors)`` of the symmetric part of ``a``."""
    w, v = np.linalg.eigh(_sym(a), UPLO="U" if upper else "L")
    return w, v


def eigh_grad(g, w, v):
    # gA = V (skew(V^T gV) / E + diag(gw)) V^T, E[i, j] = w[j] - w[i].
    gw = _zero_or(g[0], w)
    gv = _zero_or(g[1], v)
    vtg = _mT(v) @ gv
    inner = (vtg - _mT(vtg)) / 2 / _gaps(w)
    inner = _offdiag(inner) + gw[..., None] * np.eye(w.shape[-1], dtype=w.dtype)
    return v @ inner @ _mT(v)


def eigh_tangent(da, w, v):
    p = _mT(v) @ _sym(da) @ v
    dw = np.diagonal(p, 0, -2, -1).copy()
    return dw, v @ _offdiag(p / _gaps(w))


@rule(eigh_sym, wrt=("a",), name="LinalgEighBackward0")
def eigh_adjoint(g, out, a, upper=False):
    return eigh_grad(g, out[0], out[1])


@tangent(eigh_sym)
def eigh_jvp(out, a, upper=False, *, da):
    return eigh_tangent(da, out[0], out[1])


# -- svd -----------------------------------------------------------------------------------------
def svd_reduced(a):
    """``(U, S, Vh)`` with ``full_matrices=False``."""
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return u, s, vh


def svdvals(a):
    return np.linalg.svd(a, compute_uv=False)


def svd_grad(g, u, s, vh):
    """PyTorch's ``svd_backward`` for real inputs (distinct, non-zero singular values when
    U or Vh carry a cotangent)."""
    gs = _zero_or(g[1], s)
    core = gs[..., None] * np.eye(s.shape[-1], dtype=s.dtype)
    if g[0] is None and g[2] is None:
        return u @ core @ vh
    gu, gvh = _zero_or(g[0], u), _zero_or(g[2], vh)
    e = _gaps(s * s)
    uhgu = _mT(u) @ gu
    vhgv = vh @ _mT(gvh)
    inner = ((uhgu - _mT(uhgu)) * s[..., None, :] + s[..., :, None] * (vhgv - _mT(vhgv))) / e
    inner = _offdiag(inner) + core
    ga = u @ inner @ vh
    # The parts of gU, gV outside the spans of U, V (non-square inputs).
    ga = ga + ((gu - u @ uhgu) / s[..., None, :]) @ vh
    ga = ga + (u / s[..., None, :]) @ (gvh - _mT(vhgv) @ vh)
    return ga


def svd_tangent(da, u, s, vh):
    v = _mT(vh)
    dp = _mT(u) @ da @ v
    ds = np.diagonal(dp, 0, -2, -1).copy()
    f = _offdiag(1 / _gaps(s * s))
    sm = s[..., None, :]
    du = u @ (f * (dp * sm + s[..., :, None] * _mT(dp)))
    du = du + (da @ v - u @ dp) / sm
    dv = v @ (f * (s[..., :, None] * dp + _mT(dp) * sm))
    dv = dv + (_mT(da) @ u - v @ _mT(dp)) / sm
    return du, ds, _mT(dv)


@rule(svd_reduced, name="LinalgSvdBackward0")
def svd_adjoint(g, out, a):
    return svd_grad(g, out[0], out[1], out[2])


@tangent(svd_reduced)
def svd_jvp(out, a, da):
    return svd_tangent(da, out[0], out[1], out[2])


@rule(svdvals, name="LinalgSvdBackward0")
def svdvals_adjoint(g, out, a):
    u, s, vh = svd_reduced(a)
    return (u * g[..., None, :]) @ vh


@tangent(svdvals)
def svdvals_jvp(out, a, da):
    u, s, vh = svd_reduced(a)
    return np.diagonal(_mT(u) @ da @ _mT(vh), 0, -2, -1).copy()


# -- qr ------------------------------------------------------------------------------------------
def qr_reduced(a):
    """``(Q, R)`` with ``mode='reduced'`` (the gradient needs rows >= columns)."""
    q, r = np.linalg.qr(a)
    return q, r


def qr_grad(g, q, r):
    # m >= n: M = R gR^T - gQ^T Q, b = gQ + Q copyltu(M), gA = b R^-T.
    gq, gr = _zero_or(g[0], q), _zero_or(g[1], r)
    m = r @ _mT(gr) - _mT(gq) @ q
    low = np.tril(m, -1)
    b = gq + q @ (low + _mT(low) + np.diagonal(m, 0, -2, -1)[..., None]
                  * np.eye(m.shape[-1], dtype=m.dtype))
    return _mT(np.linalg.solve(r, _mT(b)))


def qr_tangent(da, q, r):
    rinv = np.linalg.inv(r)
    c = _mT(q) @ da @ rinv
    low = np.tril(c, -1)
    up = c - low + _mT(low)               # upper triangular: Q^T dQ + dR R^-1 split
    return da @ rinv - q @ up, up @ r


@rule(qr_reduced, name="LinalgQrBackward0")
def qr_adjoint(g, out, a):
    return qr_grad(g, out[0], out[1])


@tangent(qr_reduced)
def qr_jvp(out, a, da):
    return qr_tangent(da, out[0], out[1])


# -- cholesky (PyTorch's symmetric gradient) -----------------------------------------------------
def cholesky_sym(a, upper=False):
    return np.linalg.cholesky(_sym(a), upper=upper)


@rule(cholesky_sym, wrt=("a",), name="LinalgCholeskyExBackward0")
def cholesky_sym_adjoint(g, out, a, upper=False):
    return _sym(cholesky_grad(g, out, upper))


@tangent(cholesky_sym)
def cholesky_sym_jvp(out, a, upper=False, *, da):
    return cholesky_tangent(_sym(da), out, upper)


# The helpers write into no array: each is its own composite form (gradients of any order).
for _helper in (_mT, _sym, _zero_or, _gaps, _offdiag, eigh_grad, svd_grad, qr_grad):
    composite(_helper)(_helper)
