"""``nn.Embedding``'s options (padding_idx, max_norm, from_pretrained, freeze) and
``nn.EmbeddingBag`` / ``F.embedding_bag`` against finite differences and PyTorch.

``embedding_bag`` is a composition (``embedding`` then a weighting matrix product, or a
``gather`` of the first maxima), so the checks are: float64 ``gradcheck`` over the modes,
offsets, 2-D input, per-sample weights and padding; then, against torch, initial weights
after ``manual_seed``, reprs, state_dict keys, outputs, the gradients of the weight and of
the per-sample weights, and the error texts.
"""
from __future__ import annotations

import numpy as np
import pytest

import s2sgrad as sg

from s2sgrad.autograd import gradcheck
from s2sgrad.nn import functional as F

IDX = [4, 2, 4, 5, 1, 3, 2, 9]
BAGS = [
    ({"mode": "sum"}, IDX, [0, 3, 3, 6]),
    ({"mode": "mean"}, IDX, [0, 3, 3, 6]),
    ({"mode": "max"}, IDX, [0, 3, 3, 6]),
    ({"mode": "mean", "padding_idx": 2}, IDX, [0, 2, 5]),
    ({"mode": "max", "padding_idx": 4}, IDX, [0, 2, 5]),
    ({"mode": "sum", "include_last_offset": True}, IDX, [0, 3, 5, 8]),
    ({"mode": "sum", "psw": True}, IDX, [0, 1, 4]),
    ({"mode": "mean"}, [[1, 2, 3], [3, 3, 0]], None),
    ({"mode": "max"}, [[1, 2, 3], [7, 3, 0]], None),
    ({"mode": "sum", "psw": True, "padding_idx": 3}, [[1, 2, 3], [3, 3, 0]], None),
]


def _args(kw, idx, offsets, ns, dtype):
    kw = dict(kw)
    psw = kw.pop("psw", False)
    x = ns.tensor(np.array(idx))
    o = None if offsets is None else ns.tensor(np.array(offsets))
    w = None
    if psw:
        w = ns.tensor(np.linspace(-1.0, 2.0, x.numel()).reshape(x.shape).astype(dtype),
                      requires_grad=True)
    return kw, x, o, w


@pytest.mark.parametrize("kw, idx, offsets", BAGS)
def test_embedding_bag_gradcheck(kw, idx, offsets):
    kw, x, o, w = _args(kw, idx, offsets, sg, np.float64)
    table = np.random.default_rng(0).standard_normal((10, 3))
    weight = sg.tensor(table, requires_grad=True)
    leaves = [weight] + ([] if w is None else [w])

    def f(weight, *w_):
        return F.embedding_bag(x, weight, o, per_sample_weights=w_[0] if w_ else None, **kw)
    assert gradcheck(f, leaves, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("kw, idx, offsets", BAGS)
def test_embedding_bag_module_matches_torch(kw, idx, offsets):
    torch = pytest.importorskip("torch")
    res = []
    for ns in (sg, torch):
        ns.manual_seed(0)
        kw_, x, o, w = _args(kw, idx, offsets, ns, np.float32)
        m = ns.nn.EmbeddingBag(10, 3, **kw_)
        out = m(x, o, per_sample_weights=w)
        (out * ns.tensor(np.arange(out.numel(), dtype=np.float32).reshape(out.shape))
         ).sum().backward()
        res.append((repr(m), list(m.state_dict()), out, m.weight.grad,
                    None if w is None else w.grad))
    (r1, k1, *t1), (r2, k2, *t2) = res
    assert r1 == r2 and k1 == k2
    for a, b in zip(t1, t2):
        if a is None:
            assert b is None
            continue
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)


def test_embedding_bag_from_pretrained_and_max_norm_match_torch():
    torch = pytest.importorskip("torch")
    table = np.random.default_rng(1).standard_normal((6, 4)).astype(np.float32) * 2
    res = []
    for ns in (sg, torch):
        frozen = ns.nn.EmbeddingBag.from_pretrained(ns.tensor(table), mode="sum")
        free = ns.nn.EmbeddingBag.from_pretrained(ns.tensor(table), freeze=False,
                                                  max_norm=1.5)
        x, o = ns.tensor([0, 1, 2, 5, 5]), ns.tensor([0, 2])
        out = free(x, o)
        out.sum().backward()
        res.append((repr(frozen), repr(free), frozen.weight.requires_grad, frozen(x, o), out,
                    free.weight.detach(), free.weight.grad))
    (r1, q1, f1, *t1), (r2, q2, f2, *t2) = res
    assert (r1, q1, f1) == (r2, q2, f2)
    for a, b in zip(t1, t2):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)


def test_embedding_bag_errors_match_torch():
    torch = pytest.importorskip("torch")
    calls = [
        lambda ns: ns.nn.EmbeddingBag(3, 2, padding_idx=-4),
        lambda ns: ns.nn.EmbeddingBag(3, 2, padding_idx=3),
        lambda ns: ns.nn.EmbeddingBag.from_pretrained(ns.ones(3)),
        lambda ns: ns.nn.functional.embedding_bag(ns.tensor([[1, 2]]), ns.ones(3, 2),
                                                  ns.tensor([0])),
        lambda ns: ns.nn.functional.embedding_bag(ns.tensor([1, 2]), ns.ones(3, 2)),
        lambda ns: ns.nn.functional.embedding_bag(ns.tensor([1, 2]), ns.ones(3, 2),
                                                  ns.tensor([0]), mode="max",
                                                  per_sample_weights=ns.ones(2)),
        lambda ns: ns.nn.functional.embedding_bag(ns.tensor([1, 2]), ns.ones(3, 2),
                                                  ns.tensor([0]), mode="foo"),
        lambda ns: ns.nn.functional.embedding_bag(ns.tensor([1, 2]), ns.ones(3, 2),
                                                  ns.tensor([0]), per_sample_weights=ns.ones(3)),
        lambda ns: ns.nn.functional.embedding_bag(ns.tensor([1, 2]), ns.ones(3),
                                                  ns.tensor([0])),
        lambda ns: ns.nn.functional.embedding_bag(ns.tensor([[[1]]]), ns.ones(3, 2)),
    ]
    for call in calls:
        errs = []
        for ns in (sg, torch):
            try:
                call(ns)
            except Exception as e:                               # noqa: BLE001
                errs.append((type(e).__name__, str(e)))
        assert len(errs) == 2 and errs[0] == errs[1]


# ---------------------------------------------------------------- Embedding's options

def test_embedding_options_match_torch():
    torch = pytest.importorskip("torch")
    res = []
    for ns in (sg, torch):
        ns.manual_seed(0)
        e = ns.nn.Embedding(6, 3, padding_idx=1, max_norm=1.0)
        x = ns.tensor([[0, 1, 1, 3], [5, 3, 1, 0]])
        y = e(x)
        (y * ns.tensor(np.arange(24, dtype=np.float32).reshape(2, 4, 3))).sum().backward()
        pre = ns.tensor(np.arange(12, dtype=np.float32).reshape(4, 3))
        frozen = ns.nn.Embedding.from_pretrained(pre)
        free = ns.nn.Embedding.from_pretrained(pre, freeze=False, padding_idx=-1)
        z = free(ns.tensor([3, 2, 3]))
        z.sum().backward()
        res.append(([repr(e), repr(frozen), repr(free), frozen.weight.requires_grad,
                     free.weight.requires_grad, list(e.state_dict())],
                    [y, e.weight.detach(), e.weight.grad, frozen(ns.tensor([1])), z,
                     free.weight.grad]))
    (s1, t1), (s2, t2) = res
    assert s1 == s2
    for a, b in zip(t1, t2):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)


@pytest.mark.parametrize("padding_idx", [None, 0, -2])
def test_embedding_gradcheck_with_padding(padding_idx):
    w = sg.tensor(np.random.default_rng(0).standard_normal((5, 2)), requires_grad=True)
    x = sg.tensor([[0, 3, 3], [4, 0, 1]])
    assert gradcheck(lambda w: F.embedding(x, w) * 1.5, [w])
    # The padding row gets no gradient (PyTorch's rule, not the finite difference); every
    # other row gets what it gets without padding_idx.
    F.embedding(x, w, padding_idx).sum().backward()
    padded = w.grad.numpy().copy()
    w.grad = None
    F.embedding(x, w).sum().backward()
    plain = w.grad.numpy()
    if padding_idx is not None:
        assert np.all(padded[padding_idx] == 0)
        plain[padding_idx] = 0
    np.testing.assert_array_equal(padded, plain)


def test_embedding_errors_match_torch():
    torch = pytest.importorskip("torch")
    calls = [lambda ns: ns.nn.Embedding(3, 2, padding_idx=3),
             lambda ns: ns.nn.Embedding.from_pretrained(ns.ones(3)),
             lambda ns: ns.nn.Embedding(3, 2)(ns.tensor([3])),
             lambda ns: ns.nn.Embedding(3, 2)(ns.tensor([1.0]))]
    for call in calls:
        errs = []
        for ns in (sg, torch):
            try:
                call(ns)
            except Exception as e:                               # noqa: BLE001
                errs.append((type(e).__name__, str(e)))
        assert len(errs) == 2 and errs[0] == errs[1]
