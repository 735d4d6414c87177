"""Rules for linear algebra: dot, inner, outer, tensordot, einsum, trace, kron, inv, det, ...

Takes: NumPy's products and ``np.linalg`` matrix functions (batched over
leading axes where NumPy batches them). Gives: their adjoints and forward rules in the one table;
contractions share one einsum-gradient routine (``linalg_helpers``).

Conventions:
* ``einsum(subscripts, *operands)``: ``operands`` is a var-positional
  parameter; its gradient is a tuple with one entry per operand, in order (the
  same convention as a sequence parameter). Explicit and implicit outputs,
  repeated labels (``'ii->i'``, ``'ii'``), ellipses and size-1 broadcasting are
  supported; the interleaved (operand, sublist) form raises.
* ``slogdet`` is multi-output ``(sign, logabsdet)``; only ``logabsdet`` carries
  a gradient (the sign is locally constant).
* ``det`` is exact at singular matrices (cofactors from the SVD); ``inv``,
  ``slogdet`` and ``solve`` raise NumPy's ``LinAlgError`` there.
"""
import numpy as np

from .linalg_helpers import (
    cholesky_grad,
    cholesky_tangent,
    det_grad,
    dot_grad,
    einsum_grad,
    einsum_grads,
    einsum_tangent,
    inner_subscripts,
    kron_grads,
    slogdet_grad,
    solve_a_tangent,
    solve_grads,
    tensordot_subscripts,
)
from .registry import rule, tangent
from .shape_helpers import trace_grad


@rule(np.dot, wrt=("a", "b"), name="DotBackward0")
def dot(g, out, a, b, out_=None):
    return dot_grad(g, a, b, 0), dot_grad(g, a, b, 1)


@tangent(np.dot)
def dot_jvp(out, a, b, out_=None, *, da, db):
    return np.dot(da, b) + np.dot(a, db)


@rule(np.vdot, name="DotBackward0")
def vdot(g, out, a, b):
    return np.reshape(g * np.ravel(b), a.shape), np.reshape(g * np.ravel(a), b.shape)


@tangent(np.vdot)
def vdot_jvp(out, a, b, da, db):
    return np.vdot(da, b) + np.vdot(a, db)


@rule(np.inner, name="InnerBackward0")
def inner(g, out, a, b):
    subs = inner_subscripts(np.ndim(a), np.ndim(b))
    return einsum_grad(g, subs, (a, b), 0), einsum_grad(g, subs, (a, b), 1)


@tangent(np.inner)
def inner_jvp(out, a, b, da, db):
    return np.inner(da, b) + np.inner(a, db)


@rule(np.outer, wrt=("a", "b"), name="MulBackward0")
def outer(g, out, a, b, out_=None):
    return (np.reshape(np.dot(g, np.ravel(b)), a.shape),
            np.reshape(np.dot(np.ravel(a), g), b.shape))


@tangent(np.outer)
def outer_jvp(out, a, b, out_=None, *, da, db):
    return np.outer(da, b) + np.outer(a, db)


@rule(np.tensordot, wrt=("a", "b"), name="TensordotBackward0")
def tensordot(g, out, a, b, axes=2):
    subs = tensordot_subscripts(np.ndim(a), np.ndim(b), axes)
    return einsum_grad(g, subs, (a, b), 0), einsum_grad(g, subs, (a, b), 1)


@tangent(np.tensordot)
def tensordot_jvp(out, a, b, axes=2, *, da, db):
    return np.tensordot(da, b, axes) + np.tensordot(a, db, axes)


@rule(np.einsum, wrt=("operands",), name="EinsumBackward0")
def einsum(g, out, subscripts, *operands, optimize=False):
    return einsum_grads(g, subscripts, operands)


@tangent(np.einsum)
def einsum_jvp(out, subscripts, *operands, optimize=False, doperands):
    return einsum_tangent(subscripts, operands, doperands, optimize)


@rule(np.vecdot, np.linalg.vecdot, broadcast=True, name="VecdotBackward0")
def vecdot(g, out, x1, x2, out_=None, axis=-1):
    ge = np.expand_dims(g, axis)
    return ge * x2, ge * x1


@tangent(np.vecdot, np.linalg.vecdot)
def vecdot_jvp(out, x1, x2, out_=None, axis=-1, *, dx1, dx2):
    return np.vecdot(dx1, x2, axis=axis) + np.vecdot(x1, dx2, axis=axis)


@rule(np.kron, name="KronBackward0")
def kron(g, out, a, b):
    grads = kron_grads(g, a, b)
    return grads[0], grads[1]


@tangent(np.kron)
def kron_jvp(out, a, b, da, db):
    return np.kron(da, b) + np.kron(a, db)


@rule(np.trace, name="TraceBackward0")
def trace(g, out, a, offset=0, axis1=0, axis2=1, dtype=None, out_=None):
    return trace_grad(g, a.shape, offset, axis1, axis2)


@tangent(np.trace)
def trace_jvp(out, a, offset=0, axis1=0, axis2=1, dtype=None, out_=None, *, da):
    return np.trace(da, offset, axis1, axis2)


@rule(np.matrix_transpose, np.linalg.matrix_transpose, name="TransposeBackward0")
def matrix_transpose(g, out, x):
    return np.swapaxes(g, -1, -2)


@tangent(np.matrix_transpose, np.linalg.matrix_transpose)
def matrix_transpose_jvp(out, x, dx):
    return np.swapaxes(dx, -1, -2)


@rule(np.linalg.inv, name="LinalgInvExBackward0")
def inv(g, out, a):
    out_t = np.swapaxes(out, -1, -2)
    return -(out_t @ g @ out_t)


@tangent(np.linalg.inv)
def inv_jvp(out, a, da):
    return -(out @ da @ out)


@rule(np.linalg.det, name="LinalgDetBackward0")
def det(g, out, a):
    return det_grad(g, a, out)


@tangent(np.linalg.det)
def det_jvp(out, a, da):
    # The cofactors (exact at singular matrices) contracted with the tangent.
    return np.sum(det_grad(np.ones(np.shape(out)), a, out) * da, axis=(-2, -1))


@rule(np.linalg.slogdet, name="LinalgSlogdetBackward0")
def slogdet(g, out, a):
    return slogdet_grad(g, a)


@tangent(np.linalg.slogdet)
def slogdet_jvp(out, a, da):
    glog = slogdet_grad((None, np.ones(np.shape(out[1]))), a)
    return np.zeros(np.shape(out[0])), np.sum(glog * da, axis=(-2, -1))


@rule(np.linalg.solve, name="LinalgSolveExBackward0")
def solve(g, out, a, b):
    grads = solve_grads(g, a, b, out)
    return grads[0], grads[1]


@tangent(np.linalg.solve)
def solve_jvp(out, a, b, da, db):
    return np.linalg.solve(a, db) + solve_a_tangent(da, a, b, out)


@rule(np.linalg.cholesky, wrt=("a",), name="LinalgCholeskyExBackward0")
def cholesky(g, out, a, upper=False):
    return cholesky_grad(g, out, upper)


@tangent(np.linalg.cholesky)
def cholesky_jvp(out, a, upper=False, *, da):
    return cholesky_tangent(da, out, upper)
