"""Helpers the linear-algebra adjoints call: einsum gradients and matrix functions.

Takes: the operands and cotangent of a contraction or a matrix function.
Gives: each operand's gradient, shaped like that operand.

The einsum gradient is itself an einsum: the cotangent (labelled with the
output subscripts) contracted with the other operands, producing the labels of
the operand asked for. Three things keep that exact for every subscript NumPy
accepts: labels only that operand sums over are broadcast back, labels it has
with size 1 against a larger size elsewhere are summed back (broadcasting), and
a label repeated within it (``'ii->i'``, traces) puts the gradient on that
diagonal. ``dot``, ``inner``, ``tensordot`` are written as einsum subscripts and
reuse it (with BLAS-backed fast paths for plain matrix shapes).
Invariant: pure functions of their arguments.
"""
from __future__ import annotations

import string
from collections import Counter

import numpy as np

from .helpers import unbroadcast_to
from .reduce_helpers import exclusive_products

__all__ = [
    "cholesky_grad",
    "cholesky_tangent",
    "det_grad",
    "dot_grad",
    "dot_subscripts",
    "einsum_grad",
    "einsum_grads",
    "einsum_labels",
    "einsum_tangent",
    "inner_subscripts",
    "kron_grads",
    "slogdet_grad",
    "solve_a_tangent",
    "solve_grads",
    "tensordot_subscripts",
]

_LETTERS = string.ascii_letters


def einsum_labels(subscripts, shapes: list) -> tuple[list[str], str]:
    """Per-operand labels and the output labels of an einsum, ellipses spelled out.

    Ellipsis dimensions get fresh letters, right-aligned across operands as
    NumPy broadcasts them; implicit mode sorts the once-only labels after them.
    """
    if not isinstance(subscripts, str):
        raise NotImplementedError("np.einsum in the interleaved (operand, sublist) form has no "
                                  "gradient rule; pass a subscripts string")
    s = subscripts.replace(" ", "")
    ins, arrow, outs = s.partition("->")
    terms = ins.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: {len(terms)} subscript terms for {len(shapes)} operands")
    fresh = [c for c in _LETTERS if c not in s]
    widths = [len(shp) - (len(t) - 3) if "..." in t else 0 for t, shp in zip(terms, shapes)]
    n_ell = max(widths, default=0)
    ell = "".join(fresh[:n_ell])
    labels = [t.replace("...", ell[n_ell - w:] if w else "") for t, w in zip(terms, widths)]
    if arrow:
        out = outs.replace("...", ell)
    else:
        counts = Counter("".join(t.replace("...", "") for t in terms))
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1))
    return labels, out


def _embed_diagonal(gk, uniq: str, labels: str, shape: tuple):
    """Zeros of ``shape`` with ``gk`` (axes ``uniq``) on the diagonal ``labels`` repeats."""
    res = np.zeros(shape, np.result_type(gk, np.float32))
    pos = {c: q for q, c in enumerate(uniq)}
    index = tuple(np.arange(shape[i]).reshape([-1 if q == pos[c] else 1
                                               for q in range(len(uniq))])
                  for i, c in enumerate(labels))
    res[index] = gk
    return res


def einsum_grad(g, subscripts, operands, k: int):
    """Gradient of ``np.einsum(subscripts, *operands)`` for operand ``k``."""
    shapes = [np.shape(o) for o in operands]
    labels, out = einsum_labels(subscripts, shapes)
    lab, shape = labels[k], shapes[k]
    own = {}
    for c, n in zip(lab, shape):
        own[c] = n
    others = [j for j in range(len(operands)) if j != k]
    avail = set(out).union(*(labels[j] for j in others))
    uniq = "".join(own)
    keep = "".join(c for c in uniq if c in avail)
    expr = ",".join([out] + [labels[j] for j in others]) + "->" + keep
    gk = np.einsum(expr, g, *[operands[j] for j in others], optimize=bool(others))
    if len(keep) < len(uniq):
        # Labels only this operand sums over: every element got the same cotangent.
        gk = np.reshape(gk, [np.shape(gk)[keep.index(c)] if c in keep else 1 for c in uniq])
        gk = np.broadcast_to(gk, [own[c] if c not in keep else np.shape(gk)[i]
                                  for i, c in enumerate(uniq)])
    target = tuple(own[c] for c in uniq)
    if np.shape(gk) != target:
        gk = unbroadcast_to(gk, target)
    if len(uniq) < len(lab):
        return _embed_diagonal(gk, uniq, lab, shape)
    return gk


def einsum_grads(g, subscripts, operands) -> tuple:
    """Gradients of ``np.einsum(subscripts, *operands)`` for every operand."""
    return tuple(einsum_grad(g, subscripts, operands, k) for k in range(len(operands)))


def dot_subscripts(na: int, nb: int) -> str:
    """``np.dot`` of an na-D and an nb-D array as einsum subscripts."""
    if na == 0 or nb == 0:
        a, b = _LETTERS[:na], _LETTERS[na:na + nb]
        return f"{a},{b}->{a}{b}"
    # "Z" is the contracted axis, "Y" b's last axis; the others come from the front.
    a = _LETTERS[:na - 1]
    if nb == 1:
        return f"{a}Z,Z->{a}"
    b = _LETTERS[na - 1:na + nb - 3]
    return f"{a}Z,{b}ZY->{a}{b}Y"


def dot_grad(g, a, b, k: int):
    """Gradient of ``np.dot(a, b)`` for ``a`` (k=0) or ``b`` (k=1)."""
    na, nb = np.ndim(a), np.ndim(b)
    if na == 2 and nb == 2:
        return g @ np.transpose(b) if k == 0 else np.transpose(a) @ g
    if na == 1 and nb == 1:
        return g * b if k == 0 else g * a
    if na == 2 and nb == 1:
        return np.outer(g, b) if k == 0 else np.transpose(a) @ g
    if na == 1 and nb == 2:
        return b @ g if k == 0 else np.outer(a, g)
    return einsum_grad(g, dot_subscripts(na, nb), (a, b), k)


def inner_subscripts(na: int, nb: int) -> str:
    """``np.inner`` (a product over the last axes; a plain product with a 0-d side)."""
    if na == 0 or nb == 0:
        return dot_subscripts(na, nb)
    a, b = _LETTERS[:na - 1], _LETTERS[na - 1:na + nb - 2]
    return f"{a}Z,{b}Z->{a}{b}"


def tensordot_subscripts(na: int, nb: int, axes) -> str:
    """``np.tensordot(a, b, axes)`` (an int, or a pair of axis lists) as einsum subscripts."""
    if np.ndim(axes) == 0:
        n = int(axes)
        ax_a, ax_b = list(range(na - n, na)), list(range(n))
    else:
        ax_a, ax_b = axes
        ax_a = [int(ax_a)] if np.ndim(ax_a) == 0 else [int(i) for i in ax_a]
        ax_b = [int(ax_b)] if np.ndim(ax_b) == 0 else [int(i) for i in ax_b]
    ax_a = [i % na for i in ax_a]
    ax_b = [i % nb for i in ax_b]
    la = list(_LETTERS[:na])
    lb = list(_LETTERS[na:na + nb])
    for i, j in zip(ax_a, ax_b):
        lb[j] = la[i]
    out = [c for i, c in enumerate(la) if i not in ax_a] + \
          [c for j, c in enumerate(lb) if j not in ax_b]
    return "".join(la) + "," + "".join(lb) + "->" + "".join(out)


def kron_grads(g, a, b) -> tuple:
    """Gradients of ``np.kron(a, b)``: view the output as interleaved (a_i, b_i) axes."""
    a_, b_ = np.asarray(a), np.asarray(b)
    nd = max(a_.ndim, b_.ndim)
    sa = (1,) * (nd - a_.ndim) + a_.shape
    sb = (1,) * (nd - b_.ndim) + b_.shape
    gi = np.reshape(g, tuple(n for pair in zip(sa, sb) for n in pair))
    ga = np.tensordot(gi, b_.reshape(sb), axes=(list(range(1, 2 * nd, 2)), list(range(nd))))
    gb = np.tensordot(gi, a_.reshape(sa), axes=(list(range(0, 2 * nd, 2)), list(range(nd))))
    return ga.reshape(a_.shape), gb.reshape(b_.shape)


def _mT(x):
    return np.swapaxes(x, -1, -2)


def det_grad(g, a, out):
    """Gradient of ``det``: g times the cofactor matrix.

    det(A) A^-T when A is invertible; for a singular A the cofactors come from the
    SVD, A = U S V^T: cof(A) = det(U) det(V) U diag(prod_{j != i} s_j) V^T, which is
    exact (and nonzero at rank n-1, where det(A) A^-T is undefined).
    """
    a = np.asarray(a)
    ge = np.asarray(g * out)[..., None, None]
    if np.all(out != 0):
        try:
            return ge * _mT(np.linalg.inv(a))
        except np.linalg.LinAlgError:
            pass
    u, s, vh = np.linalg.svd(a)
    sign = np.linalg.det(u) * np.linalg.det(vh)
    cof = (sign[..., None, None] * (u * exclusive_products(s, -1)[..., None, :])) @ vh
    return np.asarray(g)[..., None, None] * cof


def slogdet_grad(g, a):
    """Gradient of ``slogdet`` (sign, logabsdet): the sign is locally constant, and
    d log|det A| = A^-T."""
    glog = g[1]
    if glog is None:
        return np.zeros(np.shape(a), np.result_type(a, np.float32))
    return np.asarray(glog)[..., None, None] * _mT(np.linalg.inv(a))


def solve_grads(g, a, b, out) -> tuple:
    """Gradients of ``x = solve(a, b)``: gb = solve(a^T, g), ga = -gb x^T.

    ``b`` is a vector only when it is 1-D (NumPy 2); batch axes broadcast and are
    summed back.
    """
    vec = np.ndim(b) == 1
    x = out[..., None] if vec else out
    gm = np.asarray(g)[..., None] if vec else g
    gb = np.linalg.solve(_mT(np.asarray(a)), gm)
    ga = unbroadcast_to(-(gb @ _mT(x)), np.shape(a))
    gb = unbroadcast_to(gb[..., 0] if vec else gb, np.shape(b))
    return ga, gb


def cholesky_grad(g, out, upper: bool):
    """Gradient of ``cholesky`` as NumPy computes it: only one triangle is read.

    With P = Phi(L^T gL) (lower triangle, diagonal halved) and S = L^-T P L^-1,
    the symmetric gradient is (S + S^T) / 2. NumPy reads the lower triangle (the
    upper with ``upper=True``), so that triangle gets both off-diagonal halves.
    """
    L = _mT(out) if upper else out
    gL = _mT(g) if upper else g
    n = L.shape[-1]
    half = 1.0 - 0.5 * np.eye(n, dtype=L.dtype)
    P = np.tril(_mT(L) @ gL) * half
    Linv = np.linalg.inv(L)
    S = _mT(Linv) @ P @ Linv
    res = np.tril(S + _mT(S)) * half
    return _mT(res) if upper else res


def einsum_tangent(subscripts, operands, doperands, optimize=False):
    """Tangent of ``np.einsum(subscripts, *operands)``: one term per operand's tangent."""
    total = None
    for k, d in enumerate(doperands):
        ops = list(operands)
        ops[k] = d
        term = np.einsum(subscripts, *ops, optimize=optimize)
        total = term if total is None else total + term
    return total


def solve_a_tangent(da, a, b, out):
    """The part of ``solve(a, b)``'s tangent that ``da`` moves: -a^-1 da x."""
    if np.ndim(b) == 1:
        return -np.linalg.solve(a, da @ out[..., None])[..., 0]
    return -np.linalg.solve(a, da @ out)


def cholesky_tangent(da, out, upper: bool):
    """Tangent of ``cholesky``: dL = L Phi(L^-1 dA L^-T), dA read from NumPy's triangle.

    NumPy reads the lower triangle (the upper with ``upper=True``), so the
    symmetric matrix it factors moves with that triangle mirrored.
    """
    da = np.asarray(da)
    if upper:
        sym = np.triu(da) + _mT(np.triu(da, 1))
        L = _mT(out)
    else:
        sym = np.tril(da) + _mT(np.tril(da, -1))
        L = out
    n = L.shape[-1]
    half = 1.0 - 0.5 * np.eye(n, dtype=L.dtype)
    Linv = np.linalg.inv(L)
    dL = L @ (np.tril(Linv @ sym @ _mT(Linv)) * half)
    return _mT(dL) if upper else dL
