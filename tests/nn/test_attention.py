"""``F.scaled_dot_product_attention``, ``nn.MultiheadAttention`` and the Transformer
modules against finite differences and PyTorch.

The layers are compositions of existing Tensor ops, so the checks are: float64 ``gradcheck``
of attention over several shapes and masks; PyTorch's parameter names, shapes, initial
values after ``manual_seed`` (bit for bit), reprs and state_dict keys; outputs and the
gradients of the inputs and of every parameter against torch in float32 with copied weights
(train mode with dropout 0 and eval mode); and the error texts.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad import nn
from s2sgrad.autograd import gradcheck
from s2sgrad.nn import functional as F


def _rand(shape, seed, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _mask(kind, shape, ns):
    """A boolean or float mask of ``shape`` with one fully masked query row (bool only)."""
    rng = np.random.default_rng(7)
    allowed = rng.random(shape) > 0.3
    allowed[..., 0] = True
    if kind == "bool":
        return ns.tensor(allowed)
    return ns.tensor(np.where(allowed, 0.0, -1e9) + rng.standard_normal(shape) * 0.1)


# ---------------------------------------------------------------- scaled dot-product

SDPA = [
    ((2, 3, 4), (2, 5, 4), (2, 5, 3), {}),
    ((1, 2, 3, 4), (1, 2, 3, 4), (1, 2, 3, 4), {"is_causal": True}),
    ((2, 2, 4, 3), (2, 2, 5, 3), (2, 2, 5, 2), {"is_causal": True}),
    ((2, 1, 3, 4), (2, 1, 5, 4), (2, 1, 5, 4), {"mask": "bool"}),
    ((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4), {"mask": "float"}),
    ((3, 4), (5, 4), (5, 2), {"scale": 0.3}),
]


@pytest.mark.parametrize("qs, ks, vs, kw", SDPA)
def test_sdpa_gradcheck(qs, ks, vs, kw):
    kw = dict(kw)
    mk = kw.pop("mask", None)
    mask = _mask(mk, (qs[-2], ks[-2]), sg) if mk else None
    leaves = [sg.tensor(_rand(s, i), requires_grad=True) for i, s in enumerate((qs, ks, vs))]
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, mask, **kw),
                     leaves, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("qs, ks, vs, kw", SDPA)
def test_sdpa_matches_torch(qs, ks, vs, kw):
    torch = pytest.importorskip("torch")
    kw = dict(kw)
    mk = kw.pop("mask", None)
    results = []
    for ns in (sg, torch):
        mask = _mask(mk, (qs[-2], ks[-2]), ns) if mk else None
        if mask is not None and mk == "float":
            mask = mask.float()
        leaves = [ns.tensor(_rand(s, i, np.float32), requires_grad=True)
                  for i, s in enumerate((qs, ks, vs))]
        out = ns.nn.functional.scaled_dot_product_attention(*leaves, attn_mask=mask, **kw)
        (out * ns.tensor(_rand(out.shape, 9, np.float32))).sum().backward()
        results.append([out] + [t.grad for t in leaves])
    for a, b in zip(*results):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-4,
                                   atol=1e-5)


def test_sdpa_fully_masked_row_gives_zeros_like_torch():
    q = sg.tensor(_rand((1, 3, 4), 0), requires_grad=True)
    k, v = sg.tensor(_rand((1, 5, 4), 1)), sg.tensor(_rand((1, 5, 4), 2))
    mask = np.ones((3, 5), bool)
    mask[1] = False
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=sg.tensor(mask))
    out.sum().backward()
    assert np.all(out.detach().numpy()[0, 1] == 0) and np.all(q.grad.numpy()[0, 1] == 0)
    assert np.isfinite(q.grad.numpy()).all()


def test_sdpa_mask_with_is_causal_matches_torch():
    torch = pytest.importorskip("torch")
    for shape in ((1, 3, 4), (1, 2, 3, 4)):
        res = []
        for ns in (sg, torch):
            q = ns.tensor(_rand(shape, 0, np.float32))
            kv = ns.tensor(_rand(shape[:-2] + (5, 4), 1, np.float32))
            mask = ns.tensor(_rand((3, 5), 2) > -0.5)
            try:
                res.append(ns.nn.functional.scaled_dot_product_attention(
                    q, kv, kv, attn_mask=mask, is_causal=True).numpy())
            except RuntimeError as e:
                res.append(str(e))
        if isinstance(res[0], str):
            assert res[0] == res[1]
        else:
            np.testing.assert_allclose(res[0], res[1], rtol=1e-5, atol=1e-6)


def test_sdpa_dropout():
    sg.manual_seed(0)
    q = sg.ones(1, 4, 8)
    v = sg.tensor(np.eye(4, dtype=np.float32)[None])
    out = F.scaled_dot_product_attention(q, q, v, dropout_p=0.5)
    vals = set(np.round(out.numpy().ravel(), 6).tolist())
    assert vals == {0.0, 0.5}                    # each weight 1/4 is dropped or doubled
    full = F.scaled_dot_product_attention(q, q, v, dropout_p=1.0)
    assert np.all(full.numpy() == 0)


# ---------------------------------------------------------------- multi-head attention

MHA = [
    ({}, {}),
    ({"bias": False}, {"need_weights": False}),
    ({"batch_first": True}, {"average_attn_weights": False}),
    ({"kdim": 3, "vdim": 5}, {}),
    ({"kdim": 3, "vdim": 5, "batch_first": True}, {"need_weights": False}),
    ({}, {"attn_mask": "bool2d"}),
    ({}, {"attn_mask": "float3d", "need_weights": False}),
    ({}, {"key_padding_mask": "bool", "need_weights": False}),
    ({"batch_first": True}, {"key_padding_mask": "bool", "attn_mask": "bool2d"}),
    ({}, {"attn_mask": "causal", "is_causal": True, "need_weights": False}),
    ({"add_bias_kv": True}, {"key_padding_mask": "bool"}),
    ({"add_zero_attn": True}, {"attn_mask": "bool2d"}),
]
E, H, L, S, N = 8, 2, 3, 4, 2


def _mha_masks(call, ns):
    call = dict(call)
    rng = np.random.default_rng(3)
    kind = call.get("attn_mask")
    if kind == "bool2d":
        m = rng.random((L, S)) < 0.3
        m[:, 0] = False
        call["attn_mask"] = ns.tensor(m)
    elif kind == "float3d":
        call["attn_mask"] = ns.tensor(rng.standard_normal((N * H, L, S)).astype(np.float32))
    elif kind == "causal":
        call["attn_mask"] = ns.tensor(np.triu(np.full((L, S), -np.inf, np.float32), 1))
    if call.get("key_padding_mask") == "bool":
        call["key_padding_mask"] = ns.tensor(np.array([[False] * S, [False, False, True,
                                                                      True]]))
    return call


def _mha_inputs(kw, ns, self_attn=False):
    kd, vd = kw.get("kdim", E), kw.get("vdim", E)
    bf = kw.get("batch_first", False)

    def shape(length, d):
        return (N, length, d) if bf else (length, N, d)
    q = ns.tensor(_rand(shape(L, E), 1, np.float32), requires_grad=True)
    if self_attn:
        return [q]
    k = ns.tensor(_rand(shape(S, kd), 2, np.float32), requires_grad=True)
    v = ns.tensor(_rand(shape(S, vd), 3, np.float32), requires_grad=True)
    return [q, k, v]


def _check_same_module(ours, theirs):
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (n1, p1), (n2, p2) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert n1 == n2
        np.testing.assert_array_equal(p1.detach().numpy(), p2.detach().numpy())


def _compare(results, rtol=1e-4, atol=2e-5):
    (o1, g1), (o2, g2) = results
    assert len(o1) == len(o2) and len(g1) == len(g2)
    for a, b in zip(o1 + g1, o2 + g2):
        if a is None or b is None:
            assert a is None and b is None
            continue
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol,
                                   atol=atol)


@pytest.mark.parametrize("kw, call", MHA)
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_mha_matches_torch(kw, call, mode):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    sg.manual_seed(0)
    theirs, ours = torch.nn.MultiheadAttention(E, H, **kw), nn.MultiheadAttention(E, H, **kw)
    _check_same_module(ours, theirs)
    results = []
    for ns, m in ((sg, ours), (torch, theirs)):
        getattr(m, mode)()
        xs = _mha_inputs(kw, ns)
        out, w = m(*xs, **_mha_masks(call, ns))
        loss = (out * ns.tensor(_rand(out.shape, 5, np.float32))).sum()
        if w is not None:
            loss = loss + (w * ns.tensor(_rand(w.shape, 6, np.float32))).sum()
        loss.backward()
        results.append(([out, w], [x.grad for x in xs] + [p.grad for p in m.parameters()]))
    _compare(results)


def test_mha_self_attention_unbatched_matches_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    sg.manual_seed(1)
    theirs, ours = torch.nn.MultiheadAttention(E, 4), nn.MultiheadAttention(E, 4)
    results = []
    for ns, m in ((sg, ours), (torch, theirs)):
        x = ns.tensor(_rand((L, E), 0, np.float32), requires_grad=True)
        kpm = ns.tensor(np.array([False, False, True]))
        out, w = m(x, x, x, key_padding_mask=kpm)
        (out.sum() + (w * 2).sum()).backward()
        results.append(([out, w], [x.grad] + [p.grad for p in m.parameters()]))
    _compare(results)


def test_mha_gradcheck():
    sg.manual_seed(0)
    m = nn.MultiheadAttention(4, 2, kdim=3, dtype=sg.float64)
    q = sg.tensor(_rand((3, 2, 4), 0), requires_grad=True)
    k = sg.tensor(_rand((5, 2, 3), 1), requires_grad=True)
    v = sg.tensor(_rand((5, 2, 4), 2), requires_grad=True)
    kpm = sg.tensor(np.array([[False] * 5, [False, True, False, False, True]]))

    def f(q, k, v):
        out, w = m(q, k, v, key_padding_mask=kpm)
        return out.sum() + (w * w).sum()
    assert gradcheck(f, [q, k, v], atol=1e-6, rtol=1e-5)
    assert gradcheck(lambda q, k, v: m(q, k, v, need_weights=False)[0], [q, k, v],
                     atol=1e-6, rtol=1e-5)


def test_mha_errors_match_torch():
    torch = pytest.importorskip("torch")
    cases = [
        (lambda ns: ns.nn.MultiheadAttention(6, 4), None),
        (lambda ns: ns.nn.MultiheadAttention(0, 2), None),
        (None, lambda ns, m: m(ns.zeros(3, 8), ns.zeros(3, 2, 8), ns.zeros(3, 2, 8))),
        (None, lambda ns, m: m(ns.zeros(3, 2, 8), ns.zeros(4, 2, 8), ns.zeros(5, 2, 8))),
        (None, lambda ns, m: m(ns.zeros(3, 2, 6), ns.zeros(4, 2, 6), ns.zeros(4, 2, 6))),
        (None, lambda ns, m: m(ns.zeros(3, 2, 8), ns.zeros(4, 2, 8), ns.zeros(4, 2, 8),
                               attn_mask=ns.zeros(3, 3))),
        (None, lambda ns, m: m(ns.zeros(3, 2, 8), ns.zeros(4, 2, 8), ns.zeros(4, 2, 8),
                               attn_mask=ns.zeros(2, 3, 4))),
        (None, lambda ns, m: m(ns.zeros(3, 2, 8), ns.zeros(4, 2, 8), ns.zeros(4, 2, 8),
                               key_padding_mask=ns.zeros(2, 3, dtype=ns.bool))),
        (None, lambda ns, m: m(ns.zeros(3, 2, 8), ns.zeros(4, 2, 8), ns.zeros(4, 2, 8),
                               attn_mask=ns.zeros(3, 4, dtype=ns.int64))),
        (None, lambda ns, m: m(ns.zeros(3, 2, 8), ns.zeros(4, 2, 8), ns.zeros(4, 2, 8),
                               is_causal=True)),
    ]
    for make, call in cases:
        errs = []
        for ns in (sg, torch):
            try:
                if make is not None:
                    make(ns)
                else:
                    call(ns, ns.nn.MultiheadAttention(8, 2))
            except Exception as e:                               # noqa: BLE001
                errs.append((type(e).__name__, str(e)))
            else:
                errs.append(None)
        assert errs[0] == errs[1]
        assert errs[0] is not None


# ---------------------------------------------------------------- the Transformer modules

def _layer_cases():
    return [
        {}, {"norm_first": True}, {"batch_first": True, "activation": "gelu"},
        {"activation": "gelu", "norm_first": True, "layer_norm_eps": 1e-3},
        {"bias": False},
    ]


def _masks_for(ns, kind, length, batch):
    if kind == "causal":
        return {"mask": ns.nn.Transformer.generate_square_subsequent_mask(length)}
    if kind == "padding":
        pad = np.zeros((batch, length), bool)
        pad[1, -2:] = True
        return {"src_key_padding_mask": ns.tensor(pad)}
    return {}


@pytest.mark.parametrize("kw", _layer_cases())
@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("masks", [None, "causal", "padding"])
def test_encoder_matches_torch(kw, mode, masks):
    torch = pytest.importorskip("torch")
    results = []
    for ns in (sg, torch):
        ns.manual_seed(0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            layer = ns.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, **kw)
            enc = ns.nn.TransformerEncoder(layer, 2, norm=ns.nn.LayerNorm(8))
        getattr(enc, mode)()
        shape = (2, 5, 8) if kw.get("batch_first") else (5, 2, 8)
        x = ns.tensor(_rand(shape, 0, np.float32), requires_grad=True)
        out = enc(x, **_masks_for(ns, masks, 5, 2))
        (out * ns.tensor(_rand(shape, 1, np.float32))).sum().backward()
        results.append(([out], [x.grad] + [p.grad for p in enc.parameters()],
                        [str(w.message) for w in caught], enc))
    (o1, g1, w1, m1), (o2, g2, w2, m2) = results
    _check_same_module(m1, m2)
    assert w1 == w2
    _compare([(o1, g1), (o2, g2)], rtol=2e-4, atol=5e-5)


@pytest.mark.parametrize("kw", _layer_cases())
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_transformer_matches_torch(kw, mode):
    torch = pytest.importorskip("torch")
    results = []
    for ns in (sg, torch):
        ns.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = ns.nn.Transformer(8, 2, 2, 2, 16, dropout=0.0, **kw)
        getattr(m, mode)()
        bf = kw.get("batch_first")
        src = ns.tensor(_rand((2, 5, 8) if bf else (5, 2, 8), 0, np.float32),
                        requires_grad=True)
        tgt = ns.tensor(_rand((2, 4, 8) if bf else (4, 2, 8), 1, np.float32),
                        requires_grad=True)
        tmask = m.generate_square_subsequent_mask(4)
        pad = np.zeros((2, 5), bool)
        pad[0, -1] = True
        out = m(src, tgt, tgt_mask=tmask, src_key_padding_mask=ns.tensor(pad),
                memory_key_padding_mask=ns.tensor(pad))
        (out * ns.tensor(_rand(out.shape, 2, np.float32))).sum().backward()
        results.append(([out], [src.grad, tgt.grad] + [p.grad for p in m.parameters()], m))
    (o1, g1, m1), (o2, g2, m2) = results
    _check_same_module(m1, m2)
    _compare([(o1, g1), (o2, g2)], rtol=2e-4, atol=5e-5)


def test_decoder_layer_custom_activation_matches_torch():
    torch = pytest.importorskip("torch")
    results = []
    for ns in (sg, torch):
        ns.manual_seed(3)
        layer = ns.nn.TransformerDecoderLayer(8, 4, 12, dropout=0.0,
                                              activation=ns.nn.functional.silu)
        dec = ns.nn.TransformerDecoder(layer, 2)
        tgt = ns.tensor(_rand((3, 2, 8), 0, np.float32), requires_grad=True)
        mem = ns.tensor(_rand((5, 2, 8), 1, np.float32), requires_grad=True)
        out = dec(tgt, mem, memory_mask=ns.tensor(np.triu(np.ones((3, 5), bool), 3)))
        out.sum().backward()
        results.append(([out], [tgt.grad, mem.grad] + [p.grad for p in dec.parameters()], dec))
    (o1, g1, m1), (o2, g2, m2) = results
    _check_same_module(m1, m2)
    _compare([(o1, g1), (o2, g2)], rtol=2e-4, atol=5e-5)


def test_transformer_gradcheck():
    sg.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = nn.Transformer(4, 2, 1, 1, 6, dropout=0.0, dtype=sg.float64)
    src = sg.tensor(_rand((3, 2, 4), 0), requires_grad=True)
    tgt = sg.tensor(_rand((2, 2, 4), 1), requires_grad=True)
    mask = m.generate_square_subsequent_mask(2, dtype=sg.float64)
    assert gradcheck(lambda s, t: m(s, t, tgt_mask=mask), [src, tgt], atol=1e-6, rtol=1e-5)


def test_square_subsequent_mask_and_errors_match_torch():
    torch = pytest.importorskip("torch")
    assert repr(nn.Transformer.generate_square_subsequent_mask(3)) == \
        repr(torch.nn.Transformer.generate_square_subsequent_mask(3))
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(4, 2, activation="tanh")
    errs = []
    for ns in (sg, torch):
        ns.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = ns.nn.Transformer(4, 2, 1, 1, 6)
        for src, tgt in (((3, 2, 4), (3, 3, 4)), ((3, 2, 4), (3, 2, 5))):
            try:
                m(ns.zeros(*src), ns.zeros(*tgt))
            except RuntimeError as e:
                errs.append(str(e))
    assert errs[:2] == errs[2:] and len(errs) == 4
