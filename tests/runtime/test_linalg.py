"""``torch.linalg``: every differentiable function against differences and against torch.

One table of specs (an expression of the module, Tensors of given shapes including
batches, conditioned inside the expression: SPD matrices for cholesky/eigh, ``A + 3I``
for inverses) runs through ``s2sgrad.autograd.gradcheck`` in float64 and, where torch is
importable, against torch in float64: values, dtypes, ``grad_fn`` names (where one
primitive makes the result) and gradients. Eigenvectors and singular vectors are only
determined up to sign, so their specs return sign-free quantities (``V * V``). Then
result types, printing, float32, and PyTorch's error texts.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.autograd import gradcheck

INF = float("inf")


@dataclass
class Spec:
    name: str
    fn: object                  # fn(module, *tensors) -> Tensor or tuple of Tensors
    shapes: list                # one tuple of argument shapes per case
    nodes: tuple | None = None  # grad_fn names per output; None: a composition, not checked


def _spd(m, a):
    n = a.shape[-1]
    return a @ a.mT + n * m.eye(n, dtype=a.dtype)


def _wc(m, a):
    return a + 3 * m.eye(a.shape[-1], dtype=a.dtype)


def _vector_norm(o):
    return lambda m, a: m.linalg.vector_norm(a, o, dim=(0, 2))


def _matrix_norm(o, **kw):
    return lambda m, a: m.linalg.matrix_norm(a, o, **kw)


SQ = [((3, 3),), ((2, 3, 3),)]
RECT = [((3, 4),), ((4, 2),), ((2, 2, 3),)]
L = "LinalgVectorNormBackward0"

SPECS = [
    Spec("det", lambda m, a: m.linalg.det(a), SQ + [((1, 1),)], ("LinalgDetBackward0",)),
    Spec("slogdet", lambda m, a: tuple(m.linalg.slogdet(_wc(m, a))), SQ,
         ("LinalgSlogdetBackward0",) * 2),
    Spec("inv", lambda m, a: m.linalg.inv(_wc(m, a)), SQ, ("LinalgInvExBackward0",)),
    Spec("solve", lambda m, a, b: m.linalg.solve(_wc(m, a), b),
         [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 1))],
         ("LinalgSolveExBackward0",)),
    Spec("solve_batched_vector", lambda m, a, b: m.linalg.solve(_wc(m, a), b),
         [((2, 3, 3), (2, 3))]),
    Spec("solve_right", lambda m, a, b: m.linalg.solve(_wc(m, a), b, left=False),
         [((3, 3), (2, 3))]),
    Spec("cholesky", lambda m, a: m.linalg.cholesky(_spd(m, a)), SQ,
         ("LinalgCholeskyExBackward0",)),
    Spec("cholesky_upper", lambda m, a: m.linalg.cholesky(_spd(m, a), upper=True), SQ,
         ("LinalgCholeskyExBackward0",)),
    Spec("qr", lambda m, a: tuple(m.linalg.qr(_wc(m, a))), SQ, ("LinalgQrBackward0",) * 2),
    Spec("qr_tall", lambda m, a: tuple(m.linalg.qr(a)), [((4, 3),), ((2, 5, 2),)],
         ("LinalgQrBackward0",) * 2),
    Spec("qr_wide", lambda m, a: tuple(m.linalg.qr(a)), [((2, 4),)]),
    Spec("eigh", lambda m, a: (lambda r: (r.eigenvalues, r.eigenvectors ** 2))(
        m.linalg.eigh(_spd(m, a))), SQ, ("LinalgEighBackward0", "PowBackward0")),
    Spec("eigh_upper", lambda m, a: (lambda r: (r[0], r[1] ** 2))(
        m.linalg.eigh(_spd(m, a), UPLO="U")), SQ, ("LinalgEighBackward0", "PowBackward0")),
    Spec("eigvalsh", lambda m, a: m.linalg.eigvalsh(_spd(m, a)), SQ,
         ("LinalgEighBackward0",)),
    Spec("svd", lambda m, a: (lambda r: (r.S, r.U ** 2, r.Vh ** 2))(
        m.linalg.svd(a, full_matrices=False)), SQ + RECT,
         ("LinalgSvdBackward0", "PowBackward0", "PowBackward0")),
    Spec("svd_full_square", lambda m, a: (lambda r: (r.S, r.U ** 2))(m.linalg.svd(a)),
         [((3, 3),)], ("LinalgSvdBackward0", "PowBackward0")),
    Spec("svd_full_S", lambda m, a: m.linalg.svd(a).S, [((2, 4),)], ("LinalgSvdBackward0",)),
    Spec("svdvals", lambda m, a: m.linalg.svdvals(a), SQ + RECT, ("LinalgSvdBackward0",)),
    Spec("pinv", lambda m, a: m.linalg.pinv(a), RECT + [((3, 3),)]),
    Spec("lstsq", lambda m, a, b: m.linalg.lstsq(a, b).solution,
         [((4, 2), (4, 1)), ((2, 4, 3), (2, 4, 2))]),
    Spec("cross", lambda m, a, b: m.linalg.cross(a, b), [((3,), (3,)), ((2, 3), (2, 3))],
         ("LinalgCrossBackward0",)),
    Spec("multi_dot", lambda m, a, b, c: m.linalg.multi_dot([a, b, c]),
         [((2, 3), (3, 4), (4, 2)), ((3,), (3, 4), (4,)), ((3,), (3, 2), (2, 2))],
         ("ViewBackward0",)),
    Spec("matrix_power", lambda m, a: m.linalg.matrix_power(a, 3), SQ, None),
    Spec("matrix_power_neg", lambda m, a: m.linalg.matrix_power(_wc(m, a), -2), [((3, 3),)],
         ("MmBackward0",)),
    Spec("vecdot", lambda m, a, b: m.linalg.vecdot(a, b), [((2, 3), (3,)), ((3, 1), (4,))],
         ("SumBackward1",)),
    Spec("vecdot_1d", lambda m, a, b: m.linalg.vecdot(a, b), [((4,), (4,))],
         ("VdotBackward0",)),
    Spec("diagonal", lambda m, a: m.linalg.diagonal(a, offset=1), [((3, 4),), ((2, 3, 3),)],
         ("DiagonalBackward0",)),
    Spec("vector_norm", lambda m, a: m.linalg.vector_norm(a), [((2, 3),), ((4,),), ((),)],
         (L,)),
    *[Spec(f"vector_norm_{o}", _vector_norm(o), [((2, 3, 4),)], (L,)) for o in (1, INF, 3, -1.5)],
    Spec("vector_norm_keepdim", lambda m, a: m.linalg.vector_norm(a, 2, -1, True),
         [((2, 3),)], (L,)),
    Spec("vector_norm_0", lambda m, a: m.linalg.vector_norm(a, 0, dim=1), [((2, 3),)]),
    Spec("vector_norm_-inf", lambda m, a: m.linalg.vector_norm(a, -INF), [((2, 3),)]),
    *[Spec(f"matrix_norm_{o}", _matrix_norm(o), [((3, 4),), ((2, 3, 3),)], (n,))
      for o, n in (("fro", L), ("nuc", "SumBackward1"), (2, "AmaxBackward0"),
                   (-2, "AminBackward0"), (1, "AmaxBackward0"), (-1, "AminBackward0"),
                   (INF, "AmaxBackward0"), (-INF, "AminBackward0"))],
    *[Spec(f"matrix_norm_{o}_dims", _matrix_norm(o, dim=(2, 0), keepdim=True), [((3, 2, 4),)])
      for o in ("fro", "nuc", 1, INF)],
    Spec("norm", lambda m, a: m.linalg.norm(a), [((2, 3),), ((2, 3, 4),)], (L,)),
    Spec("norm_ord2", lambda m, a: m.linalg.norm(a, 2), [((3, 4),)], ("AmaxBackward0",)),
    Spec("norm_vector_ord", lambda m, a: m.linalg.norm(a, 3), [((4,),)], (L,)),
    Spec("norm_dim", lambda m, a: m.linalg.norm(a, dim=1), [((2, 3, 4),)], (L,)),
    Spec("norm_dims", lambda m, a: m.linalg.norm(a, "nuc", dim=(0, 1)), [((3, 4, 2),)],
         None),
]


def _cases():
    for s in SPECS:
        for shapes in s.shapes:
            tag = "|".join("x".join(map(str, t)) or "0d" for t in shapes)
            yield pytest.param(s, shapes, id=f"{s.name}-{tag}")


def _arrays(shapes, seed):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1.0, 1.0, shp) for shp in shapes]


def _outs(o):
    return o if isinstance(o, tuple) else (o,)


@pytest.mark.parametrize("spec, shapes", list(_cases()))
def test_gradcheck(spec, shapes):
    ts = [sg.tensor(a, requires_grad=True) for a in _arrays(shapes, 0)]
    assert gradcheck(lambda *xs: spec.fn(sg, *xs), ts, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("spec, shapes", list(_cases()))
def test_matches_torch(spec, shapes):
    torch = pytest.importorskip("torch")
    arrays = _arrays(shapes, 1)
    ours = [sg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    o, t = _outs(spec.fn(sg, *ours)), _outs(spec.fn(torch, *theirs))
    assert len(o) == len(t)
    rng = np.random.default_rng(2)
    cts = []
    for k, (a, b) in enumerate(zip(o, t)):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-9, atol=1e-9)
        assert repr(a.dtype) == repr(b.dtype)
        if spec.nodes is not None:
            assert type(a.grad_fn).__name__ == b.grad_fn.name().split("::")[-1] \
                == spec.nodes[k]
        cts.append(rng.standard_normal(tuple(b.shape)))
    sg.autograd.backward(list(o), [sg.tensor(c) for c in cts])
    torch.autograd.backward(list(t), [torch.tensor(c) for c in cts])
    for a, b in zip(ours, theirs):
        # torch leaves no gradient where it is zero by definition (vector_norm of order 0).
        want = np.zeros(a.shape) if b.grad is None else b.grad.numpy()
        np.testing.assert_allclose(a.grad.numpy(), want, rtol=1e-7, atol=1e-8)


# ---------------------------------------------------------------- results as torch gives them

def _torch_or_none():
    try:
        import torch
    except ImportError:
        return None
    return torch


def test_result_types_and_printing():
    r = sg.linalg.slogdet(sg.eye(2))
    assert repr(r) == ("torch.return_types.linalg_slogdet(\nsign=tensor(1.),\n"
                       "logabsdet=tensor(0.))")
    assert r.sign is r[0] and r.logabsdet is r[1]
    e = sg.linalg.eigh(sg.eye(2))
    assert type(e).__name__ == "linalg_eigh" and e.eigenvalues.shape == (2,)
    s = sg.linalg.svd(sg.ones(2, 3))
    assert (s.U.shape, s.S.shape, s.Vh.shape) == ((2, 2), (2,), (3, 3))
    q = sg.linalg.qr(sg.ones(3, 2))
    assert (q.Q.shape, q.R.shape) == ((3, 2), (2, 2))
    x = sg.linalg.lstsq(sg.ones(3, 2), sg.ones(3, 1))
    assert x.rank.dtype == sg.int64 and x.residuals.shape == (0,)
    torch = _torch_or_none()
    if torch is not None:
        assert repr(r) == repr(torch.linalg.slogdet(torch.eye(2)))
        assert repr(e) == repr(torch.linalg.eigh(torch.eye(2)))


def test_float32_stays_float32():
    a = sg.tensor(np.random.default_rng(3).uniform(-1, 1, (3, 3)).astype(np.float32))
    spd = a @ a.mT + 3 * sg.eye(3)
    for out in (sg.linalg.det(a), sg.linalg.inv(spd), sg.linalg.cholesky(spd),
                *sg.linalg.eigh(spd), *sg.linalg.svd(a), *sg.linalg.qr(a), sg.linalg.pinv(a),
                sg.linalg.matrix_norm(a, "nuc"), sg.linalg.vector_norm(a, 3)):
        assert out.dtype == sg.float32


def test_full_svd_completes_orthonormal_bases():
    a = np.random.default_rng(4).uniform(-1, 1, (2, 4))
    u, s, vh = sg.linalg.svd(sg.tensor(a))
    assert vh.shape == (4, 4)
    np.testing.assert_allclose(vh.numpy() @ vh.numpy().T, np.eye(4), atol=1e-12)
    np.testing.assert_allclose((u.numpy() * s.numpy()) @ vh.numpy()[:2], a, atol=1e-12)


def test_eigh_and_svd_vectors_agree_with_torch_up_to_sign():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(5).uniform(-1, 1, (2, 4, 4))
    spd = a @ np.swapaxes(a, -1, -2) + 4 * np.eye(4)
    ours, theirs = sg.linalg.eigh(sg.tensor(spd)), torch.linalg.eigh(torch.tensor(spd))
    dots = np.sum(ours.eigenvectors.numpy() * theirs.eigenvectors.numpy(), axis=-2)
    np.testing.assert_allclose(np.abs(dots), 1, atol=1e-10)
    ours, theirs = sg.linalg.svd(sg.tensor(a[0, :3])), torch.linalg.svd(torch.tensor(a[0, :3]))
    np.testing.assert_allclose(np.abs(np.sum(ours.U.numpy() * theirs.U.numpy(), axis=0)), 1,
                               atol=1e-10)


def test_matrix_rank_and_rank_deficient_pinv():
    u = np.random.default_rng(6).uniform(-1, 1, (4, 2))
    a = u @ u.T                                      # rank 2 of 4
    assert sg.linalg.matrix_rank(sg.tensor(a)).item() == 2
    assert sg.linalg.matrix_rank(sg.tensor(a), atol=1e9).item() == 0
    p = sg.linalg.pinv(sg.tensor(a)).numpy()
    np.testing.assert_allclose(a @ p @ a, a, atol=1e-10)
    torch = _torch_or_none()
    if torch is not None:
        np.testing.assert_allclose(p, torch.linalg.pinv(torch.tensor(a)).numpy(), atol=1e-10)
        assert sg.linalg.matrix_rank(sg.tensor(a), hermitian=True).item() == \
            torch.linalg.matrix_rank(torch.tensor(a), hermitian=True).item()


def test_cholesky_gradient_is_torchs_symmetric_one():
    # On a leaf (no symmetrising expression) PyTorch returns the symmetric gradient.
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(7).uniform(-1, 1, (3, 3))
    spd = a @ a.T + 3 * np.eye(3)
    ct = np.random.default_rng(8).standard_normal((3, 3))
    for f in (lambda m, x: m.linalg.cholesky(x), lambda m, x: m.linalg.eigh(x)[1] ** 2):
        x, y = sg.tensor(spd, requires_grad=True), torch.tensor(spd, requires_grad=True)
        f(sg, x).backward(sg.tensor(ct))
        f(torch, y).backward(torch.tensor(ct))
        np.testing.assert_allclose(x.grad.numpy(), y.grad.numpy(), atol=1e-10)


# ---------------------------------------------------------------- errors

ERRORS = [
    lambda m: m.linalg.inv(m.zeros(2, 2)),
    lambda m: m.linalg.inv(m.tensor([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])),
    lambda m: m.linalg.inv(m.zeros(2, 2, 2)),
    lambda m: m.linalg.inv(m.ones(2, 3)),
    lambda m: m.linalg.inv(m.ones(2, 2, dtype=m.int64)),
    lambda m: m.linalg.det(m.ones(2, 3)),
    lambda m: m.linalg.det(m.ones(3)),
    lambda m: m.linalg.slogdet(m.ones(2, 3)),
    lambda m: m.linalg.solve(m.zeros(2, 2), m.ones(2)),
    lambda m: m.linalg.solve(m.ones(2, 3), m.ones(3)),
    lambda m: m.linalg.solve(m.eye(2), m.ones(3)),
    lambda m: m.linalg.cholesky(-m.eye(2)),
    lambda m: m.linalg.cholesky(m.tensor([[1.0, 0.0], [0.0, -1.0]])),
    lambda m: m.linalg.cholesky(m.zeros(2, 2, 2)),
    lambda m: m.linalg.cholesky(m.ones(2, 3)),
    lambda m: m.linalg.eigh(m.ones(2, 3)),
    lambda m: m.linalg.eigvalsh(m.ones(2, 3)),
    lambda m: m.linalg.qr(m.ones(3)),
    lambda m: m.linalg.svd(m.ones(3)),
    lambda m: m.linalg.svdvals(m.ones(3)),
    lambda m: m.linalg.matrix_norm(m.ones(3)),
    lambda m: m.linalg.matrix_norm(m.ones(2, 3), 3),
    lambda m: m.linalg.vector_norm(m.ones(2, dtype=m.int64)),
    lambda m: m.linalg.norm(m.ones(2, 2, 2), 2),
    lambda m: m.linalg.multi_dot([m.ones(3)]),
    lambda m: m.linalg.matrix_power(m.ones(2, 3), 2),
    lambda m: m.linalg.pinv(m.ones(3)),
    lambda m: m.linalg.lstsq(m.ones(2, 3), m.ones(3, 1)),
]

# The texts, written out so that they are checked without torch too.
_SINGULAR = ("linalg.inv: The diagonal element {} is zero, the inversion could not be "
             "completed because the input matrix is singular.")
_SQUARE = "{}: A must be batches of square matrices, but they are 2 by 3 matrices"
_PD = ("linalg.cholesky: The factorization could not be completed because the input is not "
       "positive-definite (the leading minor of order {} is not positive-definite).")
TEXTS = {0: _SINGULAR.format(1), 1: _SINGULAR.format(3), 3: _SQUARE.format("linalg.inv"),
         8: "torch.linalg.solve: The solver failed because the input matrix is singular.",
         11: _PD.format(1), 12: _PD.format(2), 15: _SQUARE.format("linalg.eigh"),
         17: "linalg.qr: The input tensor A must have at least 2 dimensions.",
         21: "linalg.matrix_norm: Order 3 not supported."}


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_error_texts(k):
    with pytest.raises(RuntimeError) as ours:
        ERRORS[k](sg)
    if k in TEXTS:
        assert str(ours.value) == TEXTS[k]
    torch = _torch_or_none()
    if torch is not None:
        with pytest.raises(RuntimeError) as theirs:
            ERRORS[k](torch)
        assert str(ours.value) == str(theirs.value)
        assert type(ours.value).__name__ == type(theirs.value).__name__


def test_linalg_error_is_a_runtime_error():
    assert issubclass(sg.linalg.LinAlgError, RuntimeError)
    with pytest.raises(sg.linalg.LinAlgError):
        sg.linalg.cholesky(-sg.eye(3))
