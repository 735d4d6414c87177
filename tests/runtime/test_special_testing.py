"""``torch.special`` and ``torch.testing``.

``torch.special``: one table of specs (an expression, argument shapes including
broadcasting pairs and 0-d, an input domain) runs through ``s2sgrad.autograd.gradcheck``
in float64 and, where torch is importable, against torch in float64 and float32: values,
dtypes, ``grad_fn`` names and gradients; then poles and tails.
``torch.testing``: ``assert_close`` passes and fails as torch's does, with its texts
(written out here, and compared with torch's when it is there); ``make_tensor``.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.autograd import gradcheck

UNARY = [((2, 3),), ((4,),), ((),)]
BINARY = [((2, 3), (2, 3)), ((3, 1), (4,)), ((), (2, 2))]


@dataclass
class Spec:
    name: str
    fn: object                      # fn(module, *tensors)
    shapes: list
    low: float = -2.0
    high: float = 2.0
    node: str = ""


def _u(name, low=-2.0, high=2.0, node="", shapes=UNARY):
    return Spec(name, lambda m, a: getattr(m.special, name)(a), shapes, low, high, node)


SPECS = [
    _u("expit", node="SigmoidBackward0"),
    _u("logit", 0.1, 0.9, "LogitBackward0"),
    Spec("logit_eps", lambda m, a: m.special.logit(a, eps=0.2), UNARY, 0.25, 0.75,
         "LogitBackward0"),
    _u("erf", node="ErfBackward0"),
    _u("erfc", node="ErfcBackward0"),
    _u("erfinv", -0.9, 0.9, "ErfinvBackward0"),
    _u("exp2", node="Exp2Backward0"),
    _u("expm1", node="Expm1Backward0"),
    _u("log1p", -0.5, 2.0, "Log1PBackward0"),
    _u("gammaln", 0.2, 6.0, "LgammaBackward0"),
    Spec("gammaln_negative", lambda m, a: m.special.gammaln(a), UNARY, -2.9, -2.1,
         "LgammaBackward0"),
    _u("digamma", 0.2, 12.0, "DigammaBackward0"),
    Spec("digamma_negative", lambda m, a: m.special.digamma(a), UNARY, -1.9, -1.1,
         "DigammaBackward0"),
    _u("psi", 0.5, 3.0, "DigammaBackward0"),
    _u("entr", 0.1, 3.0, "SpecialEntrBackward0"),
    _u("sinc", node="SincBackward0"),
    Spec("round", lambda m, a: m.special.round(a * 3), UNARY, node="RoundBackward1"),
    Spec("round_decimals", lambda m, a: m.special.round(a, decimals=1), UNARY,
         node="RoundBackward1"),
    Spec("softmax", lambda m, a: m.special.softmax(a, -1), UNARY[:2], node="SoftmaxBackward0"),
    Spec("log_softmax", lambda m, a: m.special.log_softmax(a, 0), UNARY[:2],
         node="LogSoftmaxBackward0"),
    Spec("logsumexp", lambda m, a: m.special.logsumexp(a, 0, True), UNARY[:2],
         node="LogsumexpBackward0"),
    _u("i0", -4.0, 4.0, "I0Backward0"),
    _u("i1", -4.0, 4.0, "SpecialI1Backward0"),
    Spec("polygamma", lambda m, a: m.special.polygamma(2, a), UNARY, 0.3, 5.0,
         "PolygammaBackward0"),
    Spec("polygamma_0", lambda m, a: m.special.polygamma(0, a), UNARY, 0.3, 5.0,
         "PolygammaBackward0"),
    _u("ndtr", -3.0, 3.0, "MulBackward1"),
    _u("ndtri", 0.05, 0.95, "SpecialNdtriBackward0"),
    _u("log_ndtr", -6.0, 4.0, "SpecialLogNdtrBackward0"),
    Spec("log_ndtr_tail", lambda m, a: m.special.log_ndtr(a), [((3,),)], -30.0, -21.0,
         "SpecialLogNdtrBackward0"),
    Spec("xlogy", lambda m, a, b: m.special.xlogy(a, b + 2.5), BINARY, node="XlogyBackward0"),
    Spec("xlogy_number", lambda m, a: m.special.xlogy(2.0, a + 2.5), UNARY,
         node="XlogyBackward1"),
    Spec("xlog1py", lambda m, a, b: m.special.xlog1py(a, b + 1.5), BINARY,
         node="SpecialXlog1PyBackward0"),
    Spec("xlog1py_number", lambda m, a: m.special.xlog1py(a, 3), UNARY,
         node="SpecialXlog1PyBackward2"),
]


def _cases():
    for s in SPECS:
        for shapes in s.shapes:
            tag = "|".join("x".join(map(str, t)) or "0d" for t in shapes)
            yield pytest.param(s, shapes, id=f"{s.name}-{tag}")


def _arrays(spec, shapes, seed):
    rng = np.random.default_rng(seed)
    return [rng.uniform(spec.low, spec.high, shp) for shp in shapes]


@pytest.mark.parametrize("spec, shapes", list(_cases()))
def test_gradcheck(spec, shapes):
    ts = [sg.tensor(a, requires_grad=True) for a in _arrays(spec, shapes, 0)]
    assert gradcheck(lambda *xs: spec.fn(sg, *xs), ts, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("dtype, tol", [("float64", 1e-10), ("float32", 1e-5)])
@pytest.mark.parametrize("spec, shapes", list(_cases()))
def test_matches_torch(spec, shapes, dtype, tol):
    torch = pytest.importorskip("torch")
    arrays = [a.astype(dtype) for a in _arrays(spec, shapes, 1)]
    ours = [sg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    o, t = spec.fn(sg, *ours), spec.fn(torch, *theirs)
    np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)
    assert repr(o.dtype) == repr(t.dtype)
    assert type(o.grad_fn).__name__ == t.grad_fn.name() == spec.node
    ct = np.random.default_rng(2).standard_normal(tuple(t.shape)).astype(dtype)
    o.backward(sg.tensor(ct))
    t.backward(torch.tensor(ct))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=10 * tol, atol=10 * tol)


def test_poles_and_edges_as_torch():
    x = sg.tensor([0.0, -1.0, -2.5, 1e-8, 40.0])
    assert sg.special.digamma(x)[:2].tolist()[0] == -float("inf")
    assert np.isnan(sg.special.digamma(x)[1].item())
    assert sg.special.gammaln(sg.tensor([0.0, -2.0])).tolist() == [float("inf")] * 2
    assert sg.special.entr(sg.tensor([0.0, -1.0])).tolist() == [0.0, -float("inf")]
    assert sg.special.ndtri(sg.tensor([0.0, 1.0])).tolist() == [-float("inf"), float("inf")]
    torch = pytest.importorskip("torch")
    vals = [0.0, -1.0, -2.5, 1e-8, 40.0, -40.0, 7.5]
    for name in ("digamma", "gammaln", "entr", "i0", "log_ndtr", "ndtr", "expit", "erfc"):
        ours = getattr(sg.special, name)(sg.tensor(vals, dtype=sg.float64)).numpy()
        theirs = getattr(torch.special, name)(torch.tensor(vals, dtype=torch.float64)).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, equal_nan=True, err_msg=name)


def test_softmax_dtype_argument():
    r = sg.special.softmax(sg.tensor([1, 2]), 0, dtype=sg.float64)
    assert r.dtype == sg.float64
    np.testing.assert_allclose(r.numpy(), [1 / (1 + np.e), np.e / (1 + np.e)])


# ---------------------------------------------------------------- torch.testing

def _torch_or_none():
    try:
        import torch
    except ImportError:
        return None
    return torch


_CLOSE = "Tensor-likes are not close!\n\nMismatched elements: "
CASES = [  # (call, torch's text or None for a pass)
    (lambda m: m.testing.assert_close(m.ones(2, 3), m.ones(3, 2)),
     "The values for attribute 'shape' do not match: torch.Size([2, 3]) != "
     "torch.Size([3, 2])."),
    (lambda m: m.testing.assert_close(m.ones(2), m.ones(2, dtype=m.float64)),
     "The values for attribute 'dtype' do not match: torch.float32 != torch.float64."),
    (lambda m: m.testing.assert_close(m.tensor([1.0, 2.0, 3.0]), m.tensor([1.0, 2.5, 3.0])),
     _CLOSE + "1 / 3 (33.3%)\nGreatest absolute difference: 0.5 at index (1,) (up to 1e-05 "
     "allowed)\nGreatest relative difference: 0.20000000298023224 at index (1,) (up to "
     "1.3e-06 allowed)"),
    (lambda m: m.testing.assert_close(m.tensor([[1.0, 2.0], [3.0, 4.0]]),
                                      m.tensor([[1.1, 2.0], [3.0, 4.4]])),
     _CLOSE + "2 / 4 (50.0%)\nGreatest absolute difference: 0.40000009536743164 at index "
     "(1, 1) (up to 1e-05 allowed)\nGreatest relative difference: 0.09090910851955414 at "
     "index (0, 0) (up to 1.3e-06 allowed)"),
    (lambda m: m.testing.assert_close(m.tensor(1.0), m.tensor(1.5)),
     "Scalars are not close!\n\nExpected 1.5 but got 1.0.\nAbsolute difference: 0.5 (up to "
     "1e-05 allowed)\nRelative difference: 0.3333333333333333 (up to 1.3e-06 allowed)"),
    (lambda m: m.testing.assert_close(m.tensor([1, 2, 3]), m.tensor([1, 2, 4])),
     "Tensor-likes are not equal!\n\nMismatched elements: 1 / 3 (33.3%)\nGreatest absolute "
     "difference: 1 at index (2,)\nGreatest relative difference: 0.25 at index (2,)"),
    (lambda m: m.testing.assert_close(m.tensor([1.0, float("nan")]),
                                      m.tensor([1.0, float("nan")])),
     _CLOSE + "1 / 2 (50.0%)\nGreatest absolute difference: nan at index (1,) (up to 1e-05 "
     "allowed)\nGreatest relative difference: nan at index (1,) (up to 1.3e-06 allowed)"),
    (lambda m: m.testing.assert_close(m.tensor([1.0, float("nan")]),
                                      m.tensor([1.0, float("nan")]), equal_nan=True), None),
    (lambda m: m.testing.assert_close(m.tensor([0.0, 1.0]), m.tensor([1e-9, 1.0])), None),
    (lambda m: m.testing.assert_close(m.tensor([1.0, 2.0]), m.tensor([1.0, 3.0]), msg="custom"),
     "custom"),
    (lambda m: m.testing.assert_close(m.tensor([1.0, 2.0]), m.tensor([1.0, 3.0]), rtol=0.1,
                                      atol=0.2),
     _CLOSE + "1 / 2 (50.0%)\nGreatest absolute difference: 1.0 at index (1,) (up to 0.2 "
     "allowed)\nGreatest relative difference: 0.3333333432674408 at index (1,) (up to 0.1 "
     "allowed)"),
    (lambda m: m.testing.assert_close(m.tensor([True]), m.tensor([False])),
     "Tensor-likes are not equal!\n\nMismatched elements: 1 / 1 (100.0%)\nGreatest absolute "
     "difference: 1 at index (0,)\nGreatest relative difference: inf at index (0,)"),
    (lambda m: m.testing.assert_close(m.ones(2), m.ones(2, dtype=m.float64),
                                      check_dtype=False), None),
    (lambda m: m.testing.assert_close(1.0, 1.5),
     "Scalars are not close!\n\nExpected 1.5 but got 1.0.\nAbsolute difference: 0.5 (up to "
     "1e-07 allowed)\nRelative difference: 0.3333333333333333 (up to 1e-07 allowed)"),
    (lambda m: m.testing.assert_close(1, 2),
     "Scalars are not equal!\n\nExpected 2 but got 1.\nAbsolute difference: 1\nRelative "
     "difference: 0.5"),
    (lambda m: m.testing.assert_close([m.ones(2)], [m.zeros(2)]),
     _CLOSE + "2 / 2 (100.0%)\nGreatest absolute difference: 1.0 at index (0,) (up to 1e-05 "
     "allowed)\nGreatest relative difference: inf at index (0,) (up to 1.3e-06 allowed)\n\n"
     "The failure occurred for item [0]"),
    (lambda m: m.testing.assert_close([m.ones(2)] * 2, [m.ones(2)]),
     "The length of the sequences mismatch: 2 != 1"),
    (lambda m: m.testing.assert_close(m.tensor([1.0, 2.0], dtype=m.float64),
                                      m.tensor([1.0, 2.0000001], dtype=m.float64)), None),
    (lambda m: m.testing.assert_close(m.tensor([1.0, 2.0]), m.tensor([1.0, 2.1]),
                                      msg=lambda s: "X" + s[:10]), "XTensor-lik"),
    (lambda m: m.testing.assert_close(m.ones(2, 3, requires_grad=True) * 2, m.ones(2, 3)),
     _CLOSE + "6 / 6 (100.0%)\nGreatest absolute difference: 1.0 at index (0, 0) (up to "
     "1e-05 allowed)\nGreatest relative difference: 1.0 at index (0, 0) (up to 1.3e-06 "
     "allowed)"),
    (lambda m: m.testing.assert_allclose(m.tensor([1.0, 2.0]), [1.0, 2.00001]), None),
]


@pytest.mark.parametrize("k", range(len(CASES)))
def test_assert_close_texts(k):
    call, text = CASES[k]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        if text is None:
            call(sg)
        else:
            with pytest.raises(AssertionError) as ours:
                call(sg)
            assert str(ours.value) == text
        torch = _torch_or_none()
        if torch is not None:
            if text is None:
                call(torch)
            else:
                with pytest.raises(AssertionError) as theirs:
                    call(torch)
                assert str(theirs.value) == text


def test_assert_close_refuses_mixed_types_and_half_tolerances():
    with pytest.raises(TypeError, match="No comparison pair was able to handle inputs of "
                       "type <class 'torch.Tensor'> and <class 'list'>."):
        sg.testing.assert_close(sg.ones(2), [1.0, 1.0])
    with pytest.raises(ValueError, match="Both 'rtol' and 'atol' must be either specified or "
                       "omitted, but got no atol."):
        sg.testing.assert_close(sg.ones(2), sg.ones(2), rtol=0.1)


def test_assert_allclose_warns_and_uses_its_own_tolerances():
    with pytest.warns(FutureWarning, match="assert_allclose\\(\\)` is deprecated"):
        sg.testing.assert_allclose(sg.tensor([1.0]), [1.00005])     # rtol 1e-4 for float32
    with pytest.warns(FutureWarning), pytest.raises(AssertionError):
        sg.testing.assert_allclose(sg.tensor([1.0]), [1.001])


def test_make_tensor():
    sg.manual_seed(0)
    f = sg.testing.make_tensor(3, 4, dtype=sg.float32, low=-1, high=1, requires_grad=True)
    assert f.shape == (3, 4) and f.dtype == sg.float32 and f.requires_grad
    assert (f.abs() <= 1).all()
    i = sg.testing.make_tensor((50,), dtype=sg.int64, exclude_zero=True)
    assert i.dtype == sg.int64 and (i != 0).all() and ((i >= -9) & (i < 10)).all()
    assert sg.testing.make_tensor(2, dtype=sg.bool).dtype == sg.bool
