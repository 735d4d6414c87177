"""``nn.utils.rnn`` (padding and packing) and ``PackedSequence`` input to ``nn.RNN``,
``nn.LSTM`` and ``nn.GRU`` against finite differences and PyTorch.

Packing and unpacking are one primitive each (every adjoint is the other primal): float64
``gradcheck`` through them and through whole packed recurrent layers; then, against torch,
the packed data, batch sizes, index permutations, reprs, outputs, final states and the
gradients of the input, the initial states and every parameter (``enforce_sorted`` True and
False, ``batch_first``), and the error texts.
"""
from __future__ import annotations

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad import nn
from s2sgrad.autograd import gradcheck
from s2sgrad.nn.utils import rnn as U


def _rand(shape, seed, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [out]


PACKS = [((5, 3, 2), [5, 3, 2], True, False), ((5, 3, 2), [3, 5, 2], False, False),
         ((3, 4, 2), [2, 3, 3, 1], False, True), ((4, 1), [4], True, False),
         ((2, 6), [2, 2, 1, 2, 1, 2], False, True)]


@pytest.mark.parametrize("shape, lengths, enforce, bf", PACKS)
def test_pack_pad_gradcheck(shape, lengths, enforce, bf):
    full = (shape[0], len(lengths)) + shape[2:] if not bf else \
        (len(lengths), shape[0]) + shape[2:]
    x = sg.tensor(_rand(full, 0), requires_grad=True)

    def f(x):
        p = U.pack_padded_sequence(x, lengths, batch_first=bf, enforce_sorted=enforce)
        out, _ = U.pad_packed_sequence(p, batch_first=bf, padding_value=-2.0,
                                       total_length=max(lengths) + 1)
        return p.data.sum() * 0.5 + out
    assert gradcheck(f, [x], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("shape, lengths, enforce, bf", PACKS)
def test_pack_pad_match_torch(shape, lengths, enforce, bf):
    torch = pytest.importorskip("torch")
    full = (shape[0], len(lengths)) + shape[2:] if not bf else \
        (len(lengths), shape[0]) + shape[2:]
    res = []
    for ns in (sg, torch):
        R = ns.nn.utils.rnn
        x = ns.tensor(_rand(full, 0, np.float32), requires_grad=True)
        p = R.pack_padded_sequence(x, ns.tensor(lengths), batch_first=bf,
                                   enforce_sorted=enforce)
        out, lens = R.pad_packed_sequence(p, batch_first=bf, padding_value=7.0)
        (out * ns.tensor(_rand(out.shape, 1, np.float32))).sum().backward()
        res.append((repr(p), p, out, lens, x.grad))
    (r1, p1, o1, l1, g1), (r2, p2, o2, l2, g2) = res
    assert r1 == r2
    for a, b in zip(list(p1) + [o1, l1, g1], list(p2) + [o2, l2, g2]):
        if a is None:
            assert b is None
            continue
        assert a.dtype.__repr__() == b.dtype.__repr__()
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_pad_sequence_pack_sequence_and_inverses_match_torch():
    torch = pytest.importorskip("torch")
    seqs = [_rand((n, 2), n, np.float32) for n in (2, 4, 3)]
    got = []
    for ns in (sg, torch):
        R = ns.nn.utils.rnn
        ts = [ns.tensor(s, requires_grad=True) for s in seqs]
        outs = [R.pad_sequence(ts), R.pad_sequence(ts, batch_first=True, padding_value=-1.0),
                R.pad_sequence(ts, padding_side="left")]
        packed = R.pack_sequence(ts, enforce_sorted=False)
        outs += [packed.data, packed.batch_sizes, packed.sorted_indices]
        outs += R.unpack_sequence(packed)
        outs += R.unpad_sequence(R.pad_sequence(ts), ns.tensor([2, 4, 3]))
        sum((o.float() * (k + 1)).sum() for k, o in enumerate(outs)).backward()
        got.append(outs + [t.grad for t in ts])
    for a, b in zip(*got):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6)


def test_errors_match_torch():
    torch = pytest.importorskip("torch")
    calls = [
        lambda ns, R: R.pack_padded_sequence(ns.zeros(4, 3, 2), [4, 2, 3]),
        lambda ns, R: R.pack_padded_sequence(ns.zeros(4, 3, 2), [4, 0, 3],
                                             enforce_sorted=False),
        lambda ns, R: R.pack_padded_sequence(ns.zeros(4, 3, 2), [4, 2]),
        lambda ns, R: R.pad_packed_sequence(
            R.pack_padded_sequence(ns.zeros(4, 2, 2), [4, 2]), total_length=3),
        lambda ns, R: R.pad_sequence(3),
        lambda ns, R: ns.nn.GRU(2, 3)(R.pack_padded_sequence(ns.zeros(4, 2, 2), [4, 2]),
                                      ns.zeros(1, 3, 3)),
        lambda ns, R: ns.nn.RNN(3, 3)(R.pack_padded_sequence(ns.zeros(4, 2, 2), [4, 2])),
    ]
    for call in calls:
        errs = []
        for ns in (sg, torch):
            try:
                call(ns, ns.nn.utils.rnn)
            except Exception as e:                               # noqa: BLE001
                errs.append((type(e).__name__, str(e)))
        assert len(errs) == 2 and errs[0] == errs[1]


# ---------------------------------------------------------------- recurrent layers

CONFIGS = [("RNN", {}), ("RNN", {"nonlinearity": "relu", "bidirectional": True}),
           ("GRU", {"num_layers": 2}), ("GRU", {"bidirectional": True, "batch_first": True}),
           ("LSTM", {}), ("LSTM", {"num_layers": 2, "bidirectional": True}),
           ("LSTM", {"proj_size": 2, "bidirectional": True, "batch_first": True}),
           ("LSTM", {"bias": False, "batch_first": True})]
LENGTHS = [([5, 3, 3, 1], True), ([2, 5, 1, 4], False), ([1, 1, 1, 1], False)]


def _ids(cases):
    return [f"{k}-{'-'.join(f'{a}={b}' for a, b in kw.items()) or 'default'}"
            for k, kw in cases]


def _hx(kind, kw, ns, dtype, batch=4):
    layers = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    h = ns.tensor(_rand((layers, batch, kw.get("proj_size") or 3), 4, dtype),
                  requires_grad=True)
    if kind != "LSTM":
        return h
    return h, ns.tensor(_rand((layers, batch, 3), 5, dtype), requires_grad=True)


@pytest.mark.parametrize("kind, kw", CONFIGS, ids=_ids(CONFIGS))
@pytest.mark.parametrize("lengths, enforce", LENGTHS)
@pytest.mark.parametrize("with_state", [False, True])
def test_packed_recurrent_matches_torch(kind, kw, lengths, enforce, with_state):
    torch = pytest.importorskip("torch")
    bf = kw.get("batch_first", False)
    x = _rand((4, 5, 2) if bf else (5, 4, 2), 0, np.float32)
    res = []
    for ns in (sg, torch):
        ns.manual_seed(0)
        m = getattr(ns.nn, kind)(2, 3, **kw)
        R = ns.nn.utils.rnn
        xt = ns.tensor(x, requires_grad=True)
        hx = _hx(kind, kw, ns, np.float32) if with_state else None
        packed = R.pack_padded_sequence(xt, lengths, batch_first=bf, enforce_sorted=enforce)
        out, h_n = m(packed, hx)
        assert type(out).__name__ == "PackedSequence"
        padded, lens = R.pad_packed_sequence(out, batch_first=bf)
        outs = [out.data, padded, lens] + _flat(h_n)
        sum((o.float() * ns.tensor(_rand(o.shape, k, np.float32))).sum()
            for k, o in enumerate(outs)).backward()
        leaves = [xt] + ([] if hx is None else _flat(hx))
        res.append(outs + [t.grad for t in leaves] + [p.grad for p in m.parameters()])
    assert len(res[0]) == len(res[1])
    for a, b in zip(*res):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-4,
                                   atol=1e-5)


@pytest.mark.parametrize("kind, kw", [("RNN", {"num_layers": 2}),
                                      ("GRU", {"bidirectional": True}),
                                      ("LSTM", {"proj_size": 2, "bidirectional": True})],
                         ids=["rnn2", "gru-bi", "lstm-proj-bi"])
def test_packed_recurrent_gradcheck(kind, kw):
    sg.manual_seed(0)
    m = getattr(nn, kind)(2, 3, dtype=sg.float64, **kw)
    x = sg.tensor(_rand((4, 3, 2), 0), requires_grad=True)
    hx = _hx(kind, kw, sg, np.float64, batch=3)

    def f(x, *h):
        packed = U.pack_padded_sequence(x, [2, 4, 1], enforce_sorted=False)
        out, h_n = m(packed, h[0] if kind != "LSTM" else h)
        return U.pad_packed_sequence(out)[0].sum() + sum(t.sum() for t in _flat(h_n)) * 0.5
    assert gradcheck(f, [x] + _flat(hx), atol=1e-6, rtol=1e-5)
