"""The rounding, elementwise, shape and indexing operations added for PyTorch parity.

One table of eager specs (an expression of Tensors, argument shapes including
broadcasting pairs and 0-d, an input domain) runs through
``s2sgrad.autograd.gradcheck`` in float64 and, where torch is importable, against
torch in float32: values, dtypes, ``grad_fn`` names and gradients. Then the facts
one expression cannot show: integer and bool dtypes, NaN and tie orders, half to even
rounding, PyTorch's error texts (written out, and compared with torch's when it is
there), in-place forms, ``unique``, the constants and ``torch.cuda``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.autograd import gradcheck
from s2sgrad.autograd.gradcheck import GradcheckError
from tests.torch_oracle import cases, compare_with_torch, outputs


@dataclass
class Spec:
    name: str
    fn: object
    shapes: list
    low: float = -2.0
    high: float = 2.0
    nodes: tuple = field(default_factory=tuple)     # expected grad_fn names, per output


UNARY = [(2, 3), (4,), ()]
BINARY = [((2, 3), (2, 3)), ((3, 1), (4,)), ((), (2, 2)), ((2, 3), ())]
TERNARY = [((2, 3), (3,), (2, 1)), ((), (), ()), ((3, 1), (4,), ())]


def _i(rows):
    """An int64 index tensor, written so that torch reads it too (``sg`` is swapped)."""
    return np.array(rows, dtype=np.int64)


SPECS = [
    # -- rounding: zero gradients, values and node names as PyTorch's
    Spec("sign", lambda a: sg.sign(a) * a, UNARY, nodes=("MulBackward0",)),
    Spec("sign_alone", lambda a: a.sign(), UNARY, nodes=("SignBackward0",)),
    Spec("floor", lambda a: a.floor(), UNARY, nodes=("FloorBackward0",)),
    Spec("ceil", lambda a: sg.ceil(a), UNARY, nodes=("CeilBackward0",)),
    Spec("round", lambda a: sg.round(a * 3), UNARY, nodes=("RoundBackward0",)),
    Spec("round_decimals", lambda a: a.round(decimals=1), UNARY, nodes=("RoundBackward1",)),
    Spec("round_decimals0", lambda a: sg.round(a, decimals=0), UNARY,
         nodes=("RoundBackward1",)),
    Spec("trunc", lambda a: sg.trunc(a), UNARY, nodes=("TruncBackward0",)),
    Spec("frac", lambda a: a.frac() * a, UNARY, -3.0, 3.0, nodes=("MulBackward0",)),
    Spec("frac_alone", lambda a: sg.frac(a), UNARY, -3.0, 3.0, nodes=("FracBackward0",)),
    # -- elementwise math
    Spec("tan", lambda a: a.tan(), UNARY, -1.2, 1.2, nodes=("TanBackward0",)),
    Spec("log2", lambda a: sg.log2(a), UNARY, 0.3, 3.0, nodes=("Log2Backward0",)),
    Spec("log10", lambda a: a.log10(), UNARY, 0.3, 3.0, nodes=("Log10Backward0",)),
    Spec("erf", lambda a: sg.erf(a), UNARY, -2.5, 2.5, nodes=("ErfBackward0",)),
    Spec("lerp_scalar", lambda a, b: sg.lerp(a, b, 0.3), BINARY, nodes=("LerpBackward0",)),
    Spec("lerp_scalar_far", lambda a, b: a.lerp(b, 0.8), BINARY, nodes=("LerpBackward0",)),
    Spec("lerp_tensor", lambda a, b, w: sg.lerp(a, b, w), TERNARY, -1.0, 1.5,
         nodes=("LerpBackward1",)),
    # -- splitting (views, one node per call)
    Spec("split", lambda a: a.split(2, 1), [(3, 5)], nodes=("SplitBackward0",) * 3),
    Spec("split_sizes", lambda a: sg.split(a, [1, 3], 0), [(4, 2)],
         nodes=("SplitWithSizesBackward0",) * 2),
    Spec("split_keep", lambda a: tuple(p * (k + 1.0) for k, p in enumerate(a.split(1))),
         [(3,)], nodes=("MulBackward0",) * 3),
    Spec("chunk", lambda a: sg.chunk(a, 3, -1), [(2, 7)], nodes=("SplitBackward0",) * 3),
    Spec("chunk_uneven", lambda a: a.chunk(4, 0), [(5, 2)], nodes=("SplitBackward0",) * 3),
    # -- gathering and scattering
    Spec("gather", lambda a: sg.gather(a, 1, sg.tensor(_i([[0, 1], [2, 2], [3, 0]]))),
         [(3, 4)], nodes=("GatherBackward0",)),
    Spec("gather_dim0", lambda a: a.gather(0, sg.tensor(_i([[2, 1, 0, 0]]))), [(3, 4)],
         nodes=("GatherBackward0",)),
    Spec("gather_0d_index", lambda a: sg.gather(a, 0, sg.tensor(_i(3))), [(4,)],
         nodes=("GatherBackward0",)),
    Spec("gather_0d_self", lambda a: sg.gather(a, 0, sg.tensor(_i([0, 0]))), [()],
         nodes=("GatherBackward0",)),
    Spec("scatter_src", lambda a, b: sg.scatter(a, 1, sg.tensor(_i([[0, 2], [3, 1]])), b),
         [((3, 4), (2, 2))], nodes=("ScatterBackward0",)),
    Spec("scatter_value", lambda a: a.scatter(0, sg.tensor(_i([[2, 0, 1, 0]])), 1.5),
         [(3, 4)], nodes=("ScatterBackward1",)),
    Spec("scatter_0d", lambda a, b: sg.scatter(a, 0, sg.tensor(_i(0)), b), [((), ())],
         nodes=("ScatterBackward0",)),
    Spec("index_select", lambda a: sg.index_select(a, 0, sg.tensor(_i([2, 0, 2]))), [(3, 4)],
         nodes=("IndexSelectBackward0",)),
    Spec("index_select_0d_index", lambda a: a.index_select(1, sg.tensor(_i(2))), [(2, 3)],
         nodes=("IndexSelectBackward0",)),
    Spec("index_select_0d_self", lambda a: a.index_select(0, sg.tensor(_i([0]))), [()],
         nodes=("IndexSelectBackward0",)),
    # -- sorting (values; the indices are checked below)
    Spec("topk", lambda a: sg.topk(a, 2).values, [(3, 4), (5,)], nodes=("TopkBackward0",)),
    Spec("topk_smallest_dim0", lambda a: a.topk(2, dim=0, largest=False)[0], [(3, 4)],
         nodes=("TopkBackward0",)),
    Spec("topk_0d", lambda a: a.topk(1)[0], [()], nodes=("TopkBackward0",)),
    Spec("sort", lambda a: sg.sort(a).values, [(3, 4), (5,), ()], nodes=("SortBackward0",)),
    Spec("sort_desc_dim0", lambda a: a.sort(0, True)[0], [(3, 4)], nodes=("SortBackward0",)),
    Spec("sort_stable", lambda a: sg.sort(a, descending=True, stable=True)[0], [(4, 3)],
         nodes=("SortBackward1",)),
    # -- reordering
    Spec("flip", lambda a: sg.flip(a, (0, 1)), [(2, 3)], nodes=("FlipBackward0",)),
    Spec("flip_method", lambda a: a.flip(-1), [(2, 3), (4,)], nodes=("FlipBackward0",)),
    Spec("roll_flat", lambda a: sg.roll(a, 2), [(2, 3), (4,), ()], nodes=("RollBackward0",)),
    Spec("roll_dims", lambda a: a.roll((1, -2), (0, 1)), [(3, 4)], nodes=("RollBackward0",)),
    # -- masked fill and batched matmul
    Spec("masked_fill", lambda a: sg.masked_fill(a, a > 0, 0.5), UNARY,
         nodes=("MaskedFillBackward0",)),
    Spec("masked_fill_value_tensor", lambda a, v: a.masked_fill(a > 0, v),
         [((2, 3), ()), ((), ())], nodes=("MaskedFillBackward1",)),
    Spec("masked_fill_bcast_mask", lambda a, b: sg.masked_fill(a, b > 0, 2.0),
         [((4,), (3, 4))], nodes=("MaskedFillBackward0",)),
    Spec("bmm", lambda a, b: sg.bmm(a, b), [((2, 3, 4), (2, 4, 5)), ((1, 1, 2), (1, 2, 1))],
         nodes=("BmmBackward0",)),
    # -- in-place forms on a non-leaf
    Spec("floor_", lambda a: (a * 1).floor_() + a, UNARY, nodes=("AddBackward0",)),
    Spec("round_", lambda a: (a * 2).round_(decimals=1), UNARY, nodes=("RoundBackward1",)),
    Spec("frac_", lambda a: (a * 3).frac_(), UNARY, nodes=("FracBackward0",)),
    Spec("tan_", lambda a: (a * 1).tan_(), UNARY, -1.2, 1.2, nodes=("TanBackward0",)),
    Spec("erf_", lambda a: (a * 1).erf_(), UNARY, nodes=("ErfBackward0",)),
    Spec("sign_", lambda a: (a * 1).sign_() * a, UNARY, nodes=("MulBackward0",)),
    Spec("lerp_", lambda a, b: (a * 1).lerp_(b, 0.7), [((2, 3), (3,)), ((), ())],
         nodes=("LerpBackward0",)),
    Spec("lerp_tensor_", lambda a, b, w: (a * 1).lerp_(b, w), [((2, 3), (3,), (2, 1))],
         nodes=("LerpBackward1",)),
    Spec("masked_fill_", lambda a: (a * 2).masked_fill_(a > 0.5, -1.0), UNARY,
         nodes=("MaskedFillBackward0",)),
]


def _inputs(spec, shapes, seed=0):
    rng = np.random.default_rng(seed)
    arrays = []
    for shp in shapes:
        a = rng.uniform(spec.low, spec.high, shp)
        if spec.name.startswith(("sort", "topk")):          # distinct values: no ties
            a = a + np.arange(a.size).reshape(shp) * 1e-2
        arrays.append(np.asarray(a, np.float64))
    return arrays


@pytest.mark.parametrize("spec, shapes", list(cases(SPECS)))
def test_gradcheck(spec, shapes):
    ts = [sg.tensor(a, requires_grad=True) for a in _inputs(spec, shapes)]
    assert gradcheck(spec.fn, ts, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("spec, shapes", list(cases(SPECS)))
def test_node_names(spec, shapes):
    ts = [sg.tensor(a, requires_grad=True) for a in _inputs(spec, shapes)]
    names = tuple(type(o.grad_fn).__name__ for o in outputs(spec.fn(*ts)))
    assert names == spec.nodes


@pytest.mark.parametrize("spec, shapes", list(cases(SPECS)))
def test_matches_torch(spec, shapes):
    torch = pytest.importorskip("torch")
    compare_with_torch(spec.fn, _inputs(spec, shapes, seed=1), torch, atol=1e-6,
                       grad_atol=1e-5)


def test_a_wrong_gradient_fails_the_check(monkeypatch):
    # The table can fail: lerp's rule made wrong for its weight is caught.
    from s2sgrad.rules import lookup
    from s2sgrad.rules import torchlike as tl
    r = lookup(tl.lerp)
    right = r.adjoint

    def wrong(g, out, start, end, weight):
        gs, ge, gw = right(g, out, start, end, weight)
        return gs, ge, gw * 1.01

    from s2sgrad.runtime import ops
    monkeypatch.setattr(r, "adjoint", wrong)
    monkeypatch.setattr(r, "_variants", {})
    monkeypatch.setattr(ops, "_PLANS", {})
    monkeypatch.setattr(ops, "_CALLS", {})
    ts = [sg.tensor(a, requires_grad=True) for a in _inputs(SPECS[16], TERNARY[0])]
    with pytest.raises(GradcheckError):
        gradcheck(SPECS[16].fn, ts, atol=1e-6, rtol=1e-5)


# ---------------------------------------------------------------- values and dtypes

def test_round_is_half_to_even_and_rounds_to_decimals():
    x = sg.tensor([0.5, 1.5, 2.5, -0.5, -1.5, 1.2345, 12345.678])
    assert x.round().tolist() == [0.0, 2.0, 2.0, -0.0, -2.0, 1.0, 12346.0]
    np.testing.assert_array_equal(sg.round(sg.tensor([1.2345, 0.125, 0.375]), decimals=2)
                                  .numpy(), np.float32([1.23, 0.12, 0.38]))
    assert sg.tensor([1234.5, 15.0, 25.0]).round(decimals=-1).tolist() == [1230.0, 20.0,
                                                                             20.0]


def test_sign_is_zero_at_nan_and_at_signed_zero():
    s = sg.tensor([-0.0, 0.0, math.nan, -3.0, 2.0]).sign()
    assert s.tolist() == [0.0, 0.0, 0.0, -1.0, 1.0]
    assert not np.signbit(s.numpy()[:3]).any()
    y = sg.tensor([math.nan, -2.0])
    y.sign_()
    assert y.tolist() == [0.0, -1.0]


def test_frac_keeps_the_sign():
    assert sg.tensor([-1.5, 2.25, -0.0]).frac().tolist() == [-0.5, 0.25, 0.0]


def test_integer_and_bool_inputs():
    i = sg.tensor([3, -2, 0])
    for f in ("sign", "floor", "ceil", "round", "trunc"):
        r = getattr(sg, f)(i)
        assert r.dtype == sg.int64 and r.tolist() == [3 if f != "sign" else 1, -2 if f !=
                                                      "sign" else -1, 0]
    pos = sg.tensor([3, 1, 8])
    for f, ref in (("tan", np.tan), ("log2", np.log2), ("log10", np.log10),
                   ("erf", np.vectorize(math.erf))):
        r = getattr(pos, f)()
        assert r.dtype == sg.float32
        np.testing.assert_allclose(r.numpy(), ref(np.array([3.0, 1.0, 8.0])), rtol=1e-6)
    np.testing.assert_allclose(sg.erf(i).numpy(), [math.erf(3), math.erf(-2), 0.0], rtol=1e-6)
    assert sg.tensor([1, 2], dtype=sg.float64).log2().dtype == sg.float64
    b = sg.tensor([True, False])
    assert b.sign().dtype == sg.bool and b.sign().tolist() == [True, False]
    np.testing.assert_allclose(b.erf().numpy(), [math.erf(1.0), 0.0], rtol=1e-6)
    with np.errstate(divide="ignore"):
        assert b.log2().dtype == sg.float32 and b.log2().tolist() == [0.0, -math.inf]
    i2 = sg.tensor([4, 5])
    assert i2.floor_() is i2 and i2.tolist() == [4, 5]


def test_erf_is_exact_in_float64():
    xs = np.concatenate([np.linspace(-7, 7, 2001), [0.0, 1e-300, -1e-10, 30.0, np.inf,
                                                    -np.inf]])
    got = sg.erf(sg.tensor(xs, dtype=sg.float64)).numpy()
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, [math.erf(v) for v in xs])
    assert np.isnan(sg.erf(sg.tensor([math.nan])).item())
    assert sg.erf(sg.tensor(np.float16([0.5]))).dtype == sg.float16


def test_lerp_uses_the_nearer_end():
    # PyTorch's arithmetic: from start below weight 0.5, from end at and above it.
    s, e = np.float32([1.0, 2.0, 0.1]), np.float32([3.0, 5.0, 0.7])
    near_start = s + np.float32(0.3) * (e - s)
    near_end = e - (e - s) * np.float32(1.0 - 0.9)
    np.testing.assert_array_equal(sg.lerp(sg.tensor(s), sg.tensor(e), 0.3).numpy(), near_start)
    np.testing.assert_array_equal(sg.lerp(sg.tensor(s), sg.tensor(e), 0.9).numpy(), near_end)
    w = np.float32([0.3, 0.9, 0.9])
    np.testing.assert_array_equal(sg.lerp(sg.tensor(s), sg.tensor(e), sg.tensor(w)).numpy(),
                                  np.where(w < 0.5, near_start, near_end))
    assert sg.lerp(sg.tensor(s), sg.tensor(e), sg.tensor(0.5, dtype=sg.float64)).dtype == \
        sg.float32


def test_lerp_bits_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    s, e = rng.standard_normal((2, 50)).astype(np.float32)
    for w in (0.1, 0.5, 0.75, -0.3, 1.7):
        np.testing.assert_array_equal(sg.lerp(sg.tensor(s), sg.tensor(e), w).numpy(),
                                      torch.lerp(torch.tensor(s), torch.tensor(e), w).numpy())
    wt = rng.uniform(-1, 2, 50).astype(np.float32)
    np.testing.assert_array_equal(
        sg.lerp(sg.tensor(s), sg.tensor(e), sg.tensor(wt)).numpy(),
        torch.lerp(torch.tensor(s), torch.tensor(e), torch.tensor(wt)).numpy())


def test_split_chunk_sizes():
    x = sg.arange(12.0).reshape(3, 4)
    assert [tuple(p.shape) for p in x.split(3, 1)] == [(3, 3), (3, 1)]
    assert [tuple(p.shape) for p in x.split((1, 2), 0)] == [(1, 4), (2, 4)]
    assert [tuple(p.shape) for p in sg.zeros(6).chunk(4)] == [(2,), (2,), (2,)]
    assert [tuple(p.shape) for p in sg.zeros(5).chunk(4)] == [(2,), (2,), (1,)]
    assert [tuple(p.shape) for p in sg.zeros(0).chunk(4)] == [(0,)] * 4
    assert [tuple(p.shape) for p in sg.zeros(0).split(2)] == [(0,)]
    assert [p.tolist() for p in sg.split(sg.arange(6.0), [2, 4])] == [[0.0, 1.0],
                                                                      [2.0, 3.0, 4.0, 5.0]]


def test_split_pieces_are_views():
    x = sg.arange(6.0)
    a, b = x.split(3)
    x.add_(1)
    assert a.tolist() == [1.0, 2.0, 3.0] and b._version == x._version


def test_sort_orders_nan_last_and_keeps_ties():
    x = sg.tensor([3.0, math.nan, 1.0, math.inf, 3.0])
    v, i = sg.sort(x)
    assert i.tolist() == [2, 0, 4, 3, 1] and i.dtype == sg.int64
    assert np.isnan(v.numpy()[-1]) and v.tolist()[:4] == [1.0, 3.0, 3.0, math.inf]
    v, i = x.sort(descending=True, stable=True)
    assert i.tolist() == [1, 3, 0, 4, 2]
    assert sg.argsort(sg.tensor([3.0, 1, 2, 1]), descending=True, stable=True).tolist() == \
        [0, 2, 1, 3]
    assert sg.argsort(sg.tensor([3.0, 1, 2, 1]), dim=0).tolist() == [1, 3, 2, 0]
    assert sg.tensor([[2.0, 1.0]]).argsort(1).tolist() == [[1, 0]]
    assert sg.tensor(2.0).argsort().tolist() == 0
    assert sg.sort(sg.tensor([3, 1, 2])).values.tolist() == [1, 2, 3]
    assert sg.sort(sg.tensor([True, False, True]), descending=True).indices.tolist() == \
        [0, 2, 1]


def test_sort_and_topk_are_named_tuples():
    x = sg.tensor([[1.0, 5.0, 3.0], [4.0, 0.0, 2.0]])
    r = x.topk(2)
    assert type(r).__name__ == "topk" and r.indices.tolist() == [[1, 2], [0, 2]]
    assert r.values.tolist() == [[5.0, 3.0], [4.0, 2.0]]
    v, i = sg.topk(x, 1, dim=0, largest=False)
    assert v.tolist() == [[1.0, 0.0, 2.0]] and i.tolist() == [[0, 1, 1]]
    s = sg.sort(x, 1)
    assert type(s).__name__ == "sort"
    assert repr(sg.sort(sg.tensor(2.0))) == ("torch.return_types.sort(\nvalues=tensor(2.),\n"
                                             "indices=tensor(0))")
    assert x.topk(0).values.shape == (2, 0)


def test_gather_scatter_values():
    x = sg.arange(12.0).reshape(3, 4)
    assert sg.gather(x, 1, sg.tensor([[0], [3], [1]])).tolist() == [[0.0], [7.0], [9.0]]
    assert sg.gather(x, 1, sg.tensor([[0, 1, 2, 3, 0]])).tolist() == [[0.0, 1.0, 2.0, 3.0,
                                                                      0.0]]
    assert sg.gather(sg.tensor(5.0), 0, sg.tensor([0, 0])).tolist() == [5.0, 5.0]
    src = sg.arange(100.0, 106.0).reshape(2, 3)
    assert sg.scatter(x, 1, sg.tensor([[0, 2], [1, 0]]), src).tolist() == [
        [100.0, 1.0, 101.0, 3.0], [104.0, 103.0, 6.0, 7.0], [8.0, 9.0, 10.0, 11.0]]
    assert x.scatter(1, sg.tensor([[0, 2], [1, 0]]), value=5).tolist()[0] == [5.0, 1.0, 5.0,
                                                                              3.0]
    assert sg.scatter(sg.tensor(5.0), 0, sg.tensor([0]), 9.0).tolist() == 9.0
    assert x.tolist()[0] == [0.0, 1.0, 2.0, 3.0]                 # out of place


def test_scatter_source_gradient_is_pytorchs_gather():
    # A source larger than the index gets zeros where nothing was read; a position
    # written twice sends its gradient to both writes (PyTorch's convention).
    x = sg.zeros(2, 3, requires_grad=True)
    src = sg.ones(2, 4, requires_grad=True)
    out = sg.scatter(x, 1, sg.tensor([[1, 1], [0, 2]]), src)
    out.backward(sg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    assert src.grad.tolist() == [[2.0, 2.0, 0.0, 0.0], [4.0, 6.0, 0.0, 0.0]]
    assert x.grad.tolist() == [[1.0, 0.0, 3.0], [0.0, 5.0, 0.0]]


def test_masked_fill_value_tensor_gets_the_filled_gradient():
    x = sg.tensor([[1.0, -2.0], [3.0, -4.0]], requires_grad=True)
    v = sg.tensor(2.0, requires_grad=True)
    y = x.masked_fill(x > 0, v)
    y.sum().backward()
    assert v.grad.item() == 2.0 and x.grad.tolist() == [[0.0, 1.0], [0.0, 1.0]]
    assert type(y.grad_fn).__name__ == "MaskedFillBackward1"
    assert sg.masked_fill(sg.zeros(3), sg.tensor([True, False, True]),
                          sg.tensor(2.0, dtype=sg.float64)).dtype == sg.float32
    z = sg.zeros(3, dtype=sg.int64).masked_fill(sg.tensor([True, False, True]), 2.5)
    assert z.tolist() == [2, 0, 2]


def test_in_place_forms_change_the_tensor():
    x = sg.tensor([1.5, -2.5, 0.25])
    assert x.floor_() is x and x.tolist() == [1.0, -3.0, 0.0]
    y = sg.tensor([1.26, 2.5])
    y.round_(decimals=1)
    np.testing.assert_allclose(y.numpy(), [1.3, 2.5])
    z = sg.tensor([1.0, 2.0])
    z.lerp_(sg.tensor([3.0, 5.0]), 0.5)
    assert z.tolist() == [2.0, 3.5]
    m = sg.tensor([1.0, 2.0, 3.0])
    m.masked_fill_(sg.tensor([True, False, True]), 0.0)
    assert m.tolist() == [0.0, 2.0, 0.0] and m._version == 1
    for name in ("ceil_", "trunc_", "frac_", "tan_", "log2_", "log10_", "erf_", "sign_"):
        t = sg.tensor([0.5, 1.5])
        before = t.numpy().copy()
        getattr(t, name)()
        expect = getattr(sg, name[:-1])(sg.tensor(before)).numpy()
        np.testing.assert_array_equal(t.numpy(), expect)


def test_in_place_on_a_leaf_that_requires_grad_is_refused():
    x = sg.tensor([1.5, 2.5], requires_grad=True)
    for op in (lambda: x.floor_(), lambda: x.erf_(), lambda: x.masked_fill_(x > 2, 0.0),
               lambda: x.lerp_(sg.ones(2), 0.5)):
        with pytest.raises(RuntimeError, match="^a leaf Variable that requires grad is being "
                           "used in an in-place operation.$"):
            op()


def test_flip_and_roll_copy():
    x = sg.arange(6.0).reshape(2, 3)
    f = x.flip(0)
    x.add_(100)
    assert f.tolist() == [[3.0, 4.0, 5.0], [0.0, 1.0, 2.0]]
    assert sg.flip(sg.arange(3.0), []).tolist() == [0.0, 1.0, 2.0]
    assert sg.roll(sg.arange(6.0).reshape(2, 3), 1).tolist() == [[5.0, 0.0, 1.0],
                                                                 [2.0, 3.0, 4.0]]
    assert sg.roll(sg.tensor(2.0), 1).tolist() == 2.0


def test_bmm_shapes():
    assert tuple(sg.bmm(sg.zeros(2, 3, 4), sg.zeros(2, 4, 5)).shape) == (2, 3, 5)
    assert tuple(sg.zeros(2, 3, 4).bmm(sg.zeros(2, 4, 1)).shape) == (2, 3, 1)


def test_unique():
    x = sg.tensor([3, 1, 2, 3, 1])
    assert sg.unique(x).tolist() == [1, 2, 3]
    u, inv, cnt = sg.unique(x, return_inverse=True, return_counts=True)
    assert inv.tolist() == [2, 0, 1, 2, 0] and cnt.tolist() == [2, 1, 2]
    assert u.dtype == inv.dtype == cnt.dtype == sg.int64
    u, inv = sg.unique(sg.tensor([[3, 1], [3, 2]]), return_inverse=True)
    assert inv.tolist() == [[2, 0], [2, 1]]
    u, c = x.unique(return_counts=True)
    assert c.tolist() == [2, 1, 2]
    u, inv, cnt = sg.unique(sg.tensor([[1, 2], [1, 2], [0, 5]]), dim=0, return_inverse=True,
                            return_counts=True)
    assert u.tolist() == [[0, 5], [1, 2]] and inv.tolist() == [1, 1, 0] and cnt.tolist() == \
        [1, 2]
    n = sg.unique(sg.tensor([2.0, math.nan, 1.0, math.nan]))
    assert n.tolist()[:2] == [1.0, 2.0] and np.isnan(n.numpy()[2:]).all()
    assert sg.unique(sg.tensor(3.0)).tolist() == [3.0]
    assert sg.unique(sg.tensor([True, False, True])).tolist() == [False, True]


def test_unique_of_a_tensor_that_requires_grad_has_no_derivative():
    x = sg.tensor([2.0, 1.0, 2.0], requires_grad=True)
    u = sg.unique(x)
    assert u.requires_grad and type(u.grad_fn).__name__ == "Unique2Backward0"
    with pytest.raises(NotImplementedError, match="^the derivative for '_unique2' is not "
                       "implemented.$"):
        u.sum().backward()
    d = sg.unique(x.reshape(3, 1), dim=0)
    assert type(d.grad_fn).__name__ == "UniqueDimBackward0"
    with pytest.raises(NotImplementedError, match="^the derivative for 'unique_dim' is not "
                       "implemented.$"):
        d.sum().backward()


def test_constants_and_cuda():
    assert sg.pi == math.pi and sg.e == math.e and sg.inf == math.inf and math.isnan(sg.nan)
    assert sg.cuda.is_available() is False and sg.cuda.device_count() == 0


def test_functions_on_arrays_compute_the_primal():
    a = np.array([[1.5, -0.5], [2.5, 0.25]])
    np.testing.assert_array_equal(sg.floor(a), np.floor(a))
    np.testing.assert_array_equal(sg.round(a), np.rint(a))
    np.testing.assert_array_equal(sg.erf(a), np.vectorize(math.erf)(a))
    np.testing.assert_array_equal(sg.gather(a, 1, np.array([[1], [0]])), [[-0.5], [2.5]])
    np.testing.assert_array_equal(sg.index_select(a, 1, np.array([1])), [[-0.5], [0.25]])
    np.testing.assert_array_equal(sg.argsort(a, 1), [[1, 0], [1, 0]])


_IDX = np.array([1, 0, 1])


def _mixed(x, y):
    return np.sum(sg.erf(x) * sg.lerp(x, y, 0.25) + sg.frac(x) * sg.gather(y, 0, _IDX)
                  + sg.masked_fill(y, x > 0, 2.0) * x)


def test_compiled_code_calls_the_new_primitives():
    # Inside a compiled function the top-level functions are their primitives.
    import s2sgrad.api as api
    from s2sgrad.autograd.gradcheck import numerical_vjp
    x, y = np.array([0.3, -1.2, 0.8]), np.array([1.1, 0.4, -0.6])
    gx, gy = api.gradient(_mixed, wrt=(0, 1))(x, y)
    nx, ny = numerical_vjp(_mixed, [x, y], [0, 1], 1.0)
    np.testing.assert_allclose(gx, nx, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gy, ny, rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------- PyTorch's error texts

_X = np.arange(12.0, dtype=np.float32).reshape(3, 4)

ERRORS = [
    ("split_sizes", lambda t: t.tensor(_X).split([1, 2], 1), RuntimeError,
     "split_with_sizes expects split_sizes to sum exactly to 4 (input tensor's size at "
     "dimension 1), but got split_sizes=[1, 2]"),
    ("split_zero", lambda t: t.tensor(_X).split(0, 1), RuntimeError,
     "split_size can only be 0 if dimension size is 0, but got dimension size of 4"),
    ("split_negative", lambda t: t.tensor(_X).split(-1, 1), RuntimeError,
     "split expects split_size be non-negative, but got split_size=-1"),
    ("split_0d", lambda t: t.tensor(3.0).split(1), RuntimeError,
     "split expects at least a 1-dimensional tensor"),
    ("split_dim", lambda t: t.tensor(_X).split(2, 5), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 5)"),
    ("chunk_zero", lambda t: t.tensor(_X).chunk(0), RuntimeError,
     "chunk expects `chunks` to be greater than 0, got: 0"),
    ("chunk_0d", lambda t: t.tensor(3.0).chunk(1), RuntimeError,
     "chunk expects at least a 1-dimensional tensor"),
    ("gather_bounds", lambda t: t.gather(t.tensor(_X), 1, t.tensor([[0], [5], [1]])),
     RuntimeError, "index 5 is out of bounds for dimension 1 with size 4"),
    ("gather_negative", lambda t: t.gather(t.tensor(_X), 1, t.tensor([[-1, 0]])),
     RuntimeError, "index -1 is out of bounds for dimension 1 with size 4"),
    ("gather_ndim", lambda t: t.gather(t.tensor(_X), 1, t.tensor([0, 1])), RuntimeError,
     "Index tensor must have the same number of dimensions as input tensor"),
    ("gather_dtype", lambda t: t.gather(t.tensor(_X), 1, t.tensor([[0.0, 1.0]])), RuntimeError,
     "gather(): Expected dtype int32/int64 for index"),
    ("gather_size", lambda t: t.gather(t.tensor(_X), 1, t.tensor([[0, 1]] * 4)), RuntimeError,
     "Size does not match at dimension 0 expected index [4, 2] to be no larger than self "
     "[3, 4] apart from dimension 1"),
    ("scatter_src_size", lambda t: t.scatter(t.tensor(_X), 1, t.tensor([[0], [1]]),
                                             t.ones(1, 1)), RuntimeError,
     "Expected index [2, 1] to be no larger than self [3, 4] apart from dimension 1 and to be "
     "no larger size than src [1, 1]"),
    ("scatter_dtype", lambda t: t.scatter(t.tensor(_X), 1, t.tensor([[0], [1]]),
                                          t.ones(2, 1, dtype=t.float64)), RuntimeError,
     "scatter(): Expected self.dtype to be equal to src.dtype"),
    ("scatter_bounds", lambda t: t.scatter(t.tensor(_X), 1, t.tensor([[0], [7]]), 1.0),
     RuntimeError, "index 7 is out of bounds for dimension 1 with size 4"),
    ("scatter_index_dtype", lambda t: t.scatter(t.zeros(3), 0, t.tensor([0.0]), 1.0),
     RuntimeError, "scatter(): Expected dtype int32/int64 for index"),
    ("scatter_ndim", lambda t: t.scatter(t.zeros(3), 0, t.tensor([[0]]), 1.0), RuntimeError,
     "Index tensor must have the same number of dimensions as self tensor"),
    ("index_select_matrix", lambda t: t.index_select(t.tensor(_X), 1, t.tensor([[2]])),
     IndexError, "index_select(): Index is supposed to be a vector"),
    ("index_select_bounds", lambda t: t.index_select(t.tensor(_X), 1, t.tensor([5])),
     RuntimeError, "INDICES element is out of DATA bounds, id=5 axis_dim=4"),
    ("index_select_negative", lambda t: t.index_select(t.zeros(3), 0, t.tensor([-1])),
     IndexError, "index out of range in self"),
    ("index_select_dtype", lambda t: t.index_select(t.tensor(_X), 1, t.tensor([1.0])),
     RuntimeError, "index_select(): Expected dtype int32 or int64 for index"),
    ("index_select_scalar", lambda t: t.index_select(t.tensor(5.0), 0, t.tensor([0, 0])),
     RuntimeError, "index_select(): Index to scalar can have only 1 value, got 2 value(s)"),
    ("topk_k", lambda t: t.topk(t.tensor(_X), 5), RuntimeError,
     "selected index k out of range"),
    ("topk_negative", lambda t: t.topk(t.tensor(_X), -1), RuntimeError,
     "selected index k out of range"),
    ("sort_dim", lambda t: t.sort(t.zeros(3, 2), dim=2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    ("flip_repeat", lambda t: t.flip(t.zeros(3, 2), (0, -2)), RuntimeError,
     "dim 0 appears multiple times in the list of dims"),
    ("flip_int_dims", lambda t: t.flip(t.tensor(_X), 0), TypeError,
     "flip(): argument 'dims' (position 2) must be tuple of ints, not int"),
    ("flip_dim", lambda t: t.tensor(_X).flip(2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    ("roll_align", lambda t: t.roll(t.tensor(_X), (1, 2), 0), RuntimeError,
     "shifts and dimensions must align. shifts: 2, dims:1"),
    ("roll_flat_align", lambda t: t.roll(t.tensor(_X), (1, 2)), RuntimeError,
     "shifts and dimensions must align. shifts: 2, dims:0"),
    ("roll_0d", lambda t: t.roll(t.tensor(2.0), 1, 0), IndexError,
     "Dimension specified as 0 but tensor has no dimensions"),
    ("masked_fill_long_mask", lambda t: t.masked_fill(t.tensor(_X), t.tensor([1, 0, 0, 1]),
                                                      0.0), RuntimeError,
     "masked_fill_ only supports boolean masks, but got mask with dtype long int"),
    ("masked_fill_shape", lambda t: t.masked_fill(t.tensor(_X), t.tensor([True, False]), 0.0),
     RuntimeError, "The size of tensor a (2) must match the size of tensor b (4) at "
     "non-singleton dimension 1"),
    ("masked_fill_value_dim", lambda t: t.masked_fill(t.tensor(_X), t.tensor([True] * 4),
                                                      t.tensor([1.0, 2.0])), RuntimeError,
     "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 "
     "dimension(s)."),
    ("masked_fill__shape", lambda t: t.zeros(3).masked_fill_(t.tensor([[True, False, True]]),
                                                             1.0), RuntimeError,
     "output with shape [3] doesn't match the broadcast shape [1, 3]"),
    ("bmm_batch1", lambda t: t.bmm(t.zeros(3, 4), t.zeros(4, 5)), RuntimeError,
     "batch1 must be a 3D tensor"),
    ("bmm_batch2", lambda t: t.bmm(t.zeros(2, 3, 4), t.zeros(4, 5)), RuntimeError,
     "batch2 must be a 3D tensor"),
    ("bmm_sizes", lambda t: t.bmm(t.zeros(2, 3, 4), t.zeros(3, 4, 5)), RuntimeError,
     "Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [3, 4]."),
    ("bmm_dtype", lambda t: t.bmm(t.zeros(2, 3, 4), t.zeros(2, 4, 5, dtype=t.float64)),
     RuntimeError, "expected scalar type Float but found Double"),
    ("lerp_end_dtype", lambda t: t.lerp(t.ones(2), t.ones(2, dtype=t.float64), 0.5),
     RuntimeError, "expected dtype float for `end` but got dtype double"),
    ("lerp_weight_dtype", lambda t: t.lerp(t.ones(2), t.ones(2), t.tensor([0.5, 0.2],
                                                                          dtype=t.float64)),
     RuntimeError, "expected dtype float for `weight` but got dtype double"),
    ("lerp_int", lambda t: t.lerp(t.tensor([1, 2]), t.tensor([3, 4]), 0.5),
     NotImplementedError, "\"lerp_kernel_scalar\" not implemented for 'Long'"),
    ("lerp_shape", lambda t: t.lerp(t.ones(2), t.ones(3), 0.5), RuntimeError,
     "The size of tensor a (2) must match the size of tensor b (3) at non-singleton "
     "dimension 0"),
    ("frac_int", lambda t: t.frac(t.tensor([1, 2])), NotImplementedError,
     "\"frac_cpu\" not implemented for 'Long'"),
    ("floor_bool", lambda t: t.tensor([True]).floor(), NotImplementedError,
     "\"floor_vml_cpu\" not implemented for 'Bool'"),
    ("round_bool", lambda t: t.tensor([True]).round(), NotImplementedError,
     "\"round_vml_cpu\" not implemented for 'Bool'"),
    ("round_int_decimals", lambda t: t.round(t.tensor([1, 2]), decimals=1),
     NotImplementedError, "\"round_cpu\" not implemented for 'Long'"),
    ("tan_int_inplace", lambda t: t.tensor([1, 2]).tan_(), RuntimeError,
     "result type Float can't be cast to the desired output type Long"),
]


@pytest.mark.parametrize("fn, exc, message", [e[1:] for e in ERRORS],
                         ids=[e[0] for e in ERRORS])
def test_error_texts(fn, exc, message):
    with pytest.raises(exc) as info:
        fn(sg)
    assert str(info.value) == message


@pytest.mark.parametrize("fn, exc, message", [e[1:] for e in ERRORS],
                         ids=[e[0] for e in ERRORS])
def test_error_texts_are_torchs(fn, exc, message):
    torch = pytest.importorskip("torch")
    with pytest.raises(exc) as info:
        fn(torch)
    assert str(info.value) == message
