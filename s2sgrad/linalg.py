"""``torch.linalg``: norms, determinants, solvers and decompositions on Tensors.

Takes Tensors (batched over leading dimensions as PyTorch batches them). Gives the
functions of ``torch.linalg`` with PyTorch's values, dtypes, result types and, where
one primitive computes the result, its ``grad_fn`` name; checks raise PyTorch's texts.
Invariant: no gradient is computed here. Every node comes from ``ops.apply`` on a rule
of ``rules/linalg.py`` or ``rules/decompositions.py``, or from composing Tensor methods
(``pinv``, ``lstsq`` and the spectral matrix norms go through the SVD).

Known differences: ``eigh``/``eigvalsh``/``cholesky`` read the symmetric part of the
input (PyTorch reads one triangle; both agree on symmetric inputs, gradients included);
``pinv``, ``lstsq``, ``qr`` with more columns than rows, ``svd(full_matrices=True)`` of a
non-square input and ``vector_norm`` of order 0 or -inf are compositions, so their
``grad_fn`` names are those of the last step.
"""
from __future__ import annotations

import builtins
import operator

import numpy as np

from .rules import decompositions as D
from .rules import torchlike as tl
from .runtime import functions_extra as fx
from .runtime.grad_mode import is_grad_enabled
from .runtime.ops import apply
from .runtime.printing_names import scalar_type_name
from .runtime.tensor import Tensor, _wrap_dim

__all__ = ["LinAlgError", "cholesky", "cross", "det", "diagonal", "eigh", "eigvalsh", "inv",
           "lstsq", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv",
           "qr", "slogdet", "solve", "svd", "svdvals", "vecdot", "vector_norm"]


class _LinAlgError(RuntimeError):
    """PyTorch's ``torch.linalg.LinAlgError`` (a ``RuntimeError``)."""


LinAlgError = _LinAlgError


# -- result types ------------------------------------------------------
class _Named(tuple):
    _kind = ""
    _fields: tuple = ()

    def __new__(cls, *values):
        return super().__new__(cls, values)

    def __repr__(self) -> str:
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"torch.return_types.{self._kind}(\n{body})"


def _named(kind: str, *fields: str) -> type:
    ns = {"_kind": kind, "_fields": fields, "__slots__": ()}
    ns.update({f: property(operator.itemgetter(i)) for i, f in enumerate(fields)})
    return type(kind, (_Named,), ns)


_SlogdetRT = _named("linalg_slogdet", "sign", "logabsdet")
_EighRT = _named("linalg_eigh", "eigenvalues", "eigenvectors")
_SvdRT = _named("linalg_svd", "U", "S", "Vh")
_QrRT = _named("linalg_qr", "Q", "R")
_LstsqRT = _named("linalg_lstsq", "solution", "residuals", "rank", "singular_values")


# -- checks ------------------------------------------------------
def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _check(x: Tensor, fn: str, square: bool = True) -> Tensor:
    x = _t(x)
    if x.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor A must have at least 2 dimensions.")
    if square and x.shape[-1] != x.shape[-2]:
        raise RuntimeError(f"{fn}: A must be batches of square matrices, but they are "
                           f"{x.shape[-2]} by {x.shape[-1]} matrices")
    if x._data.dtype.kind not in "fc":
        raise RuntimeError(f"{fn}: Expected a floating point or complex tensor as input. "
                           f"Got {scalar_type_name(x._data.dtype)}")
    return x


def _first_failure(a: np.ndarray, test) -> tuple[str, int]:
    """``("(Batch element b): ", k)`` for the first matrix of a batch ``test`` rejects."""
    mats = a.reshape(-1, *a.shape[-2:])
    for b, m in enumerate(mats):
        k = test(m)
        if k:
            return (f"(Batch element {b}): " if a.ndim > 2 else ""), k
    return "", 1


def _zero_pivot(m: np.ndarray) -> int:
    # LAPACK's getrf: partial pivoting; the first exactly zero pivot (1-based), else 0.
    u = np.array(m, np.float64)
    n = u.shape[0]
    for j in range(n):
        p = j + int(np.argmax(np.abs(u[j:, j])))
        if u[p, j] == 0:
            return j + 1
        u[[j, p]] = u[[p, j]]
        u[j + 1:, j:] -= np.outer(u[j + 1:, j] / u[j, j], u[j, j:])
    return 0


def _bad_minor(m: np.ndarray) -> int:
    for k in range(1, m.shape[0] + 1):
        try:
            np.linalg.cholesky(m[:k, :k])
        except np.linalg.LinAlgError:
            return k
    return 0


# -- determinants, inverses, solvers ---------------------------------------------------------
def det(A) -> Tensor:
    return apply(np.linalg.det, _check(A, "linalg.det"), name="LinalgDetBackward0")


def slogdet(A):
    sign, logabs = apply(np.linalg.slogdet, _check(A, "linalg.slogdet"),
                         name="LinalgSlogdetBackward0")
    return _SlogdetRT(sign, logabs)


def inv(A) -> Tensor:
    a = _check(A, "linalg.inv")
    try:
        return apply(np.linalg.inv, a, name="LinalgInvExBackward0")
    except np.linalg.LinAlgError:
        where, k = _first_failure(a._data, _zero_pivot)
        raise _LinAlgError(f"linalg.inv: {where}The diagonal element {k} is zero, the inversion "
                           "could not be completed because the input matrix is singular."
                           ) from None


def solve(A, B, *, left: bool = True) -> Tensor:
    a, b = _check(A, "linalg.solve"), _t(B)
    if not left:
        return solve(a.mT, b.mT).mT
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and tuple(b.shape) == tuple(a.shape[:-1]))
    rows = b.shape[-1] if vector else b.shape[-2] if b.ndim >= 2 else 1
    if rows != a.shape[-1]:
        cols = 1 if vector else b.shape[-1]
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"AX = B ({a.shape[-2]}x{a.shape[-1]} and {rows}x{cols})")
    try:
        if vector and b.ndim > 1:       # a batch of vectors: NumPy 2 reads only 1-D as one
            return apply(np.linalg.solve, a, b.unsqueeze(-1),
                         name="LinalgSolveExBackward0").squeeze(-1)
        return apply(np.linalg.solve, a, b, name="LinalgSolveExBackward0")
    except np.linalg.LinAlgError:
        raise _LinAlgError("torch.linalg.solve: The solver failed because the input matrix is "
                           "singular.") from None


def cholesky(A, *, upper: bool = False) -> Tensor:
    a = _check(A, "linalg.cholesky")
    try:
        return apply(D.cholesky_sym, a, upper, name="LinalgCholeskyExBackward0")
    except np.linalg.LinAlgError:
        where, k = _first_failure(np.tril(a._data) + np.swapaxes(np.tril(a._data, -1), -1, -2),
                                  _bad_minor)
        raise _LinAlgError(f"linalg.cholesky: {where}The factorization could not be completed "
                           f"because the input is not positive-definite (the leading minor of "
                           f"order {k} is not positive-definite).") from None


# -- decompositions ------------------------------------------------------
def eigh(A, UPLO: str = "L"):
    w, v = apply(D.eigh_sym, _check(A, "linalg.eigh"), UPLO == "U", name="LinalgEighBackward0")
    return _EighRT(w, v)


def eigvalsh(A, UPLO: str = "L") -> Tensor:
    return eigh(A, UPLO)[0]


def _no_grad_part(a: Tensor, what: str) -> None:
    if a.requires_grad and is_grad_enabled():
        raise RuntimeError(f"{what} is not differentiable here; use the reduced form")


def svd(A, full_matrices: bool = True):
    a = _check(A, "linalg.svd", square=False)
    u, s, vh = apply(D.svd_reduced, a, name="LinalgSvdBackward0")
    m, n = a.shape[-2:]
    if full_matrices and m != n:
        # PyTorch's gradient ignores the completing columns (it narrows gU, gVh to k).
        uf, _, vhf = np.linalg.svd(a._data, full_matrices=True)
        k = builtins.min(m, n)
        u = fx._cat([u, Tensor._wrap(np.ascontiguousarray(uf[..., k:]))], -1)
        vh = fx._cat([vh, Tensor._wrap(np.ascontiguousarray(vhf[..., k:, :]))], -2)
    return _SvdRT(u, s, vh)


def svdvals(A) -> Tensor:
    return apply(D.svdvals, _check(A, "linalg.svd", square=False), name="LinalgSvdBackward0")


def qr(A, mode: str = "reduced"):
    a = _check(A, "linalg.qr", square=False)
    m, n = a.shape[-2:]
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    if mode == "complete" and m > n:
        _no_grad_part(a, "linalg.qr(mode='complete') with more rows than columns")
        q, r = np.linalg.qr(a._data, mode="complete")
        return _QrRT(Tensor._wrap(q), Tensor._wrap(r))
    if m >= n:
        q, r = apply(D.qr_reduced, a, name="LinalgQrBackward0")
    else:
        # Q depends on the first m columns only; R's remaining columns are Q^T Y.
        q, rx = apply(D.qr_reduced, a[..., :m], name="LinalgQrBackward0")
        r = fx._cat([rx, q.mT @ a[..., m:]], -1)
    if mode == "r":
        q = Tensor._wrap(np.zeros((0,), a._data.dtype))
    return _QrRT(q, r)


# -- norms ------------------------------------------------------
def _dims(dim):
    return tuple(dim) if isinstance(dim, list) else dim


def vector_norm(x, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    x = _t(x)
    if x._data.dtype.kind not in "fc":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {scalar_type_name(x._data.dtype)}")
    if dtype is not None:
        x = x.to(dtype)
    dim = _dims(dim)
    if ord == 0:
        count = Tensor._wrap(np.asarray(np.count_nonzero(x._data, axis=dim),
                                        x._data.dtype))
        count = count if not keepdim else Tensor._wrap(np.asarray(np.sum(
            x._data != 0, axis=dim, keepdims=True), x._data.dtype))
        return (x.abs() * 0).sum(dim if dim is not None else tuple(range(x.ndim)),
                                 keepdim) + count
    if ord == -np.inf:
        return x.abs().amin(dim if dim is not None else tuple(range(x.ndim)), keepdim)
    ord = np.inf if ord == np.inf else ord
    return apply(tl.vector_norm, x, ord, dim, keepdim, name="LinalgVectorNormBackward0")


def _spectral(a: Tensor, d0: int, d1: int) -> Tensor:
    return svdvals(a.movedim((d0, d1), (-2, -1)))


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None) -> Tensor:
    a = _t(A)
    if a.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    if dtype is not None:
        a = a.to(dtype)
    d0, d1 = (_wrap_dim(d, a.ndim) for d in dim)
    if ord == "fro":
        return vector_norm(a, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        s = _spectral(a, d0, d1)
        r = s.sum(-1) if ord == "nuc" else s.amax(-1) if ord == 2 else s.amin(-1)
        return r.unsqueeze(builtins.min(d0, d1)).unsqueeze(builtins.max(d0, d1)) \
            if keepdim else r
    if ord in (1, -1, np.inf, -np.inf):
        inner, outer = (d0, d1) if ord in (1, -1) else (d1, d0)
        s = a.abs().sum(inner, keepdim)
        outer = outer if keepdim or outer < inner else outer - 1
        return s.amax(outer, keepdim) if ord > 0 else s.amin(outer, keepdim)
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    a = _t(A)
    if dim is None and ord is not None:
        if a.ndim not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input "
                               f"must be 1D or 2D. Got {a.ndim}D.")
        dim = (-2, -1) if a.ndim == 2 else None
    if isinstance(dim, (tuple, list)) and len(dim) == 2:
        return matrix_norm(a, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    return vector_norm(a, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


# -- built from the above ------------------------------------------------------
def _cutoff(s: np.ndarray, shape, atol, rtol):
    atol_v = 0.0 if atol is None else float(atol)
    if rtol is None:
        rtol = np.finfo(s.dtype).eps * builtins.max(shape[-2:]) if atol is None or atol <= 0 \
            else 0.0
    smax = s.max(-1, initial=0.0) if s.size else np.zeros(s.shape[:-1], s.dtype)
    return np.maximum(atol_v, float(rtol) * smax)


def pinv(A, *, atol=None, rtol=None, hermitian: bool = False) -> Tensor:
    a = _t(A)
    if a.ndim < 2 or a._data.dtype.kind not in "fc":
        raise RuntimeError(f"linalg.pinv({scalar_type_name(a._data.dtype)}{{{list(a.shape)}}})"
                           f": expected a tensor with 2 or more dimensions of float, double, "
                           f"cfloat or cdouble types")
    u, s, vh = apply(D.svd_reduced, a, name="LinalgSvdBackward0")
    keep = s._data > _cutoff(s._data, a.shape, atol, rtol)[..., None]
    mask = Tensor._wrap(keep)
    one = Tensor._wrap(np.ones((), s._data.dtype))
    sinv = (one / s.where(mask, one)).where(mask, one * 0)
    return (vh.mT * sinv.unsqueeze(-2)) @ u.mT


def matrix_rank(A, *, atol=None, rtol=None, hermitian: bool = False, tol=None) -> Tensor:
    a = _t(A)
    if tol is not None:
        atol, rtol = tol, 0.0
    s = np.linalg.svd(a._data, compute_uv=False)
    return Tensor._wrap(np.asarray(np.sum(s > _cutoff(s, a.shape, atol, rtol)[..., None],
                                          axis=-1), np.int64))


def lstsq(A, B, rcond=None, *, driver=None):
    a, b = _t(A), _t(B)
    if a.shape[-2] != b.shape[-2 if b.ndim >= 2 else -1]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    vector = b.ndim == a.ndim - 1
    x = pinv(a, rtol=rcond) @ (b.unsqueeze(-1) if vector else b)
    empty = Tensor._wrap(np.zeros((0,), a._data.dtype))
    return _LstsqRT(x.squeeze(-1) if vector else x, empty,
                    matrix_rank(a, rtol=rcond), Tensor._wrap(np.zeros((0,), a._data.dtype)))


def cross(input, other, *, dim: int = -1) -> Tensor:
    return fx.cross(input, other, dim=dim)


def multi_dot(tensors) -> Tensor:
    ts = [_t(t) for t in tensors]
    if len(ts) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(ts)}")
    shape = ([ts[0].shape[0]] if ts[0].ndim == 2 else []) + \
        ([ts[-1].shape[-1]] if ts[-1].ndim == 2 else [])
    first = ts[0].unsqueeze(0) if ts[0].ndim == 1 else ts[0]
    last = ts[-1].unsqueeze(-1) if ts[-1].ndim == 1 else ts[-1]
    out = first
    for t in [*ts[1:-1], last]:
        out = out @ t
    return out.view(*shape) if shape else out.view(())


def matrix_power(A, n: int) -> Tensor:
    return fx.matrix_power(_check(A, "linalg.matrix_power"), n)


def vecdot(x, y, *, dim: int = -1) -> Tensor:
    x, y = _t(x), _t(y)
    if x.ndim == y.ndim == 1:           # PyTorch's vdot, node name included
        return fx.vdot(x, y)
    return (x * y).sum(dim)


def diagonal(A, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    return _t(A).diagonal(offset, dim1, dim2)

