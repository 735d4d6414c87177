"""``nn.RNN``, ``nn.LSTM``, ``nn.GRU`` and their cells against PyTorch.

The layers are compositions of existing Tensor ops, so the checks are: finite differences
(float64 ``gradcheck`` through whole sequences, initial states included); PyTorch's
parameter names, shapes, initial values after ``manual_seed`` (bit for bit), reprs and
state_dict keys; outputs and gradients of the input, the initial states and every parameter
against torch in float32 over the options (layers, bidirectional, batch_first, bias,
nonlinearity, proj_size, unbatched input); and the error texts.
"""
from __future__ import annotations

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad import nn
from s2sgrad.autograd import gradcheck

CONFIGS = [
    ("RNN", {}), ("RNN", {"nonlinearity": "relu", "num_layers": 2}),
    ("RNN", {"bidirectional": True, "batch_first": True}), ("RNN", {"bias": False}),
    ("GRU", {}), ("GRU", {"num_layers": 2, "bidirectional": True}),
    ("GRU", {"batch_first": True, "bias": False}), ("GRU", {"num_layers": 3}),
    ("LSTM", {}), ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"batch_first": True, "bias": False}), ("LSTM", {"proj_size": 2}),
    ("LSTM", {"proj_size": 2, "num_layers": 2, "bidirectional": True, "batch_first": True}),
]
CELLS = [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu", "bias": False}),
         ("GRUCell", {}), ("GRUCell", {"bias": False}), ("LSTMCell", {}),
         ("LSTMCell", {"bias": False})]


def _ids(cases):
    return [f"{k}-{'-'.join(f'{a}={b}' for a, b in kw.items()) or 'default'}"
            for k, kw in cases]


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [out]


def _states(kind, kw, batch, ns, dtype, rng, unbatched=False):
    layers = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    hidden = kw.get("proj_size") or 3
    shape = (layers, hidden) if unbatched else (layers, batch, hidden)
    h = ns.tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)
    if kind != "LSTM":
        return h
    cshape = (layers, 3) if unbatched else (layers, batch, 3)
    return h, ns.tensor(rng.standard_normal(cshape).astype(dtype), requires_grad=True)


def _leaves(x, hx):
    return [x] + ([] if hx is None else _flat(hx))


@pytest.mark.parametrize("kind, kw", CONFIGS, ids=_ids(CONFIGS))
@pytest.mark.parametrize("with_state", [False, True])
def test_matches_torch(kind, kw, with_state):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    sg.manual_seed(0)
    theirs = getattr(torch.nn, kind)(4, 3, **kw)
    ours = getattr(nn, kind)(4, 3, **kw)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (n1, p1), (n2, p2) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert n1 == n2
        np.testing.assert_array_equal(p1.detach().numpy(), p2.detach().numpy())
    shape = (2, 5, 4) if kw.get("batch_first") else (5, 2, 4)
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(np.float32)
    results = []
    for ns, m in ((sg, ours), (torch, theirs)):
        xt = ns.tensor(x, requires_grad=True)
        hx = (_states(kind, kw, 2, ns, np.float32, np.random.default_rng(2)) if with_state
              else None)
        outs = _flat(m(xt, hx))
        sum((o * (k + 1)).sum() for k, o in enumerate(outs)).backward()
        grads = [t.grad for t in _leaves(xt, hx)] + [p.grad for p in m.parameters()]
        results.append((outs, grads))
    (o1, g1), (o2, g2) = results
    for a, b in zip(o1, o2):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)
    assert len(g1) == len(g2)
    for a, b in zip(g1, g2):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_unbatched_input_matches_torch(kind):
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    sg.manual_seed(1)
    theirs, ours = getattr(torch.nn, kind)(4, 3, 2), getattr(nn, kind)(4, 3, 2)
    x = np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32)
    hs = _states(kind, {"num_layers": 2}, 0, sg, np.float32, np.random.default_rng(3), True)
    ht = _states(kind, {"num_layers": 2}, 0, torch, np.float32, np.random.default_rng(3), True)
    for a, b in zip(_flat(ours(sg.tensor(x), hs)), _flat(theirs(torch.tensor(x), ht))):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)


@pytest.mark.parametrize("kind, kw", CELLS, ids=_ids(CELLS))
@pytest.mark.parametrize("batched", [True, False])
def test_cells_match_torch(kind, kw, batched):
    torch = pytest.importorskip("torch")
    torch.manual_seed(2)
    sg.manual_seed(2)
    theirs, ours = getattr(torch.nn, kind)(4, 3, **kw), getattr(nn, kind)(4, 3, **kw)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for p1, p2 in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_array_equal(p1.detach().numpy(), p2.detach().numpy())
    shape = (2, 4) if batched else (4,)
    hshape = (2, 3) if batched else (3,)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    h = np.random.default_rng(1).standard_normal(hshape).astype(np.float32)
    results = []
    for ns, m in ((sg, ours), (torch, theirs)):
        xt = ns.tensor(x, requires_grad=True)
        ht = ns.tensor(h, requires_grad=True)
        hx = (ht, ht * 2) if kind == "LSTMCell" else ht
        outs = _flat(m(xt, hx))
        outs += _flat(m(xt))                       # default zero state
        sum((o * (k + 1)).sum() for k, o in enumerate(outs)).backward()
        results.append((outs, [xt.grad, ht.grad] + [p.grad for p in m.parameters()]))
    (o1, g1), (o2, g2) = results
    for a, b in zip(o1, o2):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)
    for a, b in zip(g1, g2):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- finite differences

@pytest.mark.parametrize("kind, kw", [
    ("RNN", {"num_layers": 2}), ("GRU", {"bidirectional": True}),
    ("LSTM", {"batch_first": True}), ("LSTM", {"proj_size": 2, "bidirectional": True})],
    ids=["rnn2", "gru-bi", "lstm-bf", "lstm-proj-bi"])
def test_gradcheck_through_a_sequence(kind, kw):
    sg.manual_seed(0)
    m = getattr(nn, kind)(3, 3, dtype=sg.float64, **kw)
    rng = np.random.default_rng(0)
    shape = (2, 3, 3) if kw.get("batch_first") else (3, 2, 3)
    x = sg.tensor(rng.standard_normal(shape), requires_grad=True)
    hx = _states(kind, kw, 2, sg, np.float64, rng)
    params = list(m.parameters())

    def f(x, *rest):
        h = rest[0] if kind != "LSTM" else (rest[0], rest[1])
        out = m(x, h)
        return _flat(out)[0].sum() + _flat(out)[-1].sum() * 0.5

    leaves = [x] + _flat(hx)
    assert gradcheck(f, leaves, atol=1e-6, rtol=1e-5)
    w = params[0]
    assert gradcheck(lambda w_: _param_loss(m, w, w_, x, hx), [w.detach().requires_grad_()],
                     atol=1e-6, rtol=1e-5)


def _param_loss(m, w, w_, x, hx):
    # Swap the first weight for w_ (a leaf gradcheck can perturb) for one call.
    name = m._flat_weights_names[0]
    saved = getattr(m, name)
    m._parameters[name] = w_
    try:
        return _flat(m(x, hx))[0].sum()
    finally:
        m._parameters[name] = saved


@pytest.mark.parametrize("kind", ["RNNCell", "GRUCell", "LSTMCell"])
def test_gradcheck_cells(kind):
    sg.manual_seed(0)
    m = getattr(nn, kind)(3, 2, dtype=sg.float64)
    rng = np.random.default_rng(0)
    x = sg.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    h = sg.tensor(rng.standard_normal((4, 2)), requires_grad=True)
    if kind == "LSTMCell":
        assert gradcheck(lambda x, h: sum(o.sum() for o in m(x, (h, h * 0.5))), [x, h])
    else:
        assert gradcheck(lambda x, h: m(x, h), [x, h])


# ---------------------------------------------------------------- dropout, init, errors

def test_dropout_between_layers_only_in_training():
    sg.manual_seed(0)
    m = nn.GRU(4, 5, num_layers=2, dropout=0.5)
    x = sg.randn(3, 2, 4)
    m.eval()
    a, b = m(x)[0].detach(), m(x)[0].detach()
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    m.train()
    c = m(x)[0]
    assert not np.allclose(a.numpy(), c.detach().numpy())


def test_dropout_between_layers_matches_torch_after_the_same_seed():
    torch = pytest.importorskip("torch")
    torch.manual_seed(5)
    sg.manual_seed(5)
    theirs, ours = torch.nn.GRU(3, 4, 3, dropout=0.5), nn.GRU(3, 4, 3, dropout=0.5)
    x = np.random.default_rng(0).standard_normal((5, 2, 3)).astype(np.float32)
    a, b = theirs(torch.tensor(x))[0], ours(sg.tensor(x))[0]
    np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_init_is_uniform_in_one_over_sqrt_hidden():
    sg.manual_seed(0)
    m = nn.LSTM(10, 16, num_layers=2)
    for p in m.parameters():
        assert np.abs(p.detach().numpy()).max() <= 0.25
    assert [n for n, _ in m.named_parameters()] == [
        "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
        "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"]
    assert tuple(m.weight_ih_l1.shape) == (64, 16)
    assert len(m.all_weights) == 2


ERRORS = [
    (lambda ns: ns.nn.RNN(4, 3)(ns.ones(2, 3, 5)), RuntimeError),
    (lambda ns: ns.nn.RNN(4, 3)(ns.ones(2, 3, 4), ns.ones(2, 3, 3)), RuntimeError),
    (lambda ns: ns.nn.GRU(4, 3)(ns.ones(2, 3, 4), ns.ones(3, 3)), RuntimeError),
    (lambda ns: ns.nn.LSTM(4, 3)(ns.ones(2, 3, 4), (ns.ones(1, 3, 3), ns.ones(1, 2, 3))),
     RuntimeError),
    (lambda ns: ns.nn.LSTM(4, 3)(ns.ones(4)), ValueError),
    (lambda ns: ns.nn.RNN(4, 3)(ns.ones(2, 2, 2, 4)), ValueError),
    (lambda ns: ns.nn.RNN(4, 3, nonlinearity="gelu"), ValueError),
    (lambda ns: ns.nn.GRU(4, 3, proj_size=2), ValueError),
    (lambda ns: ns.nn.LSTM(4, 3, proj_size=3), ValueError),
    (lambda ns: ns.nn.RNN(4, 3, dropout=1.5), ValueError),
    (lambda ns: ns.nn.RNN(4, 0), ValueError),
    (lambda ns: ns.nn.RNN(4, 3, bias=1), TypeError),
    (lambda ns: ns.nn.RNN(4, 3)(ns.ones(2, 3, 4, dtype=ns.float64)), ValueError),
    (lambda ns: ns.nn.RNNCell(4, 3)(ns.ones(2, 2, 4)), ValueError),
    (lambda ns: ns.nn.LSTMCell(4, 3)(ns.ones(2, 4), (ns.ones(1, 1, 3), ns.ones(2, 3))),
     ValueError),
    (lambda ns: ns.nn.GRUCell(4, 3)(ns.ones(2, 4), ns.ones(1, 2, 3)), ValueError),
    (lambda ns: ns.nn.RNNCell(3, 4)(ns.ones(2, 5)), RuntimeError),
    (lambda ns: ns.nn.GRUCell(3, 4)(ns.ones(2, 3), ns.ones(3, 4)), RuntimeError),
    (lambda ns: ns.nn.GRUCell(3, 4)(ns.ones(2, 3), ns.ones(2, 5)), RuntimeError),
    (lambda ns: ns.nn.LSTMCell(3, 4)(ns.ones(2, 3), (ns.ones(2, 4), ns.ones(3, 4))),
     RuntimeError),
    (lambda ns: ns.nn.LSTMCell(3, 4)(ns.ones(3), (ns.ones(4), ns.ones(5))), RuntimeError),
]


@pytest.mark.parametrize("make, exc", ERRORS, ids=[str(i) for i in range(len(ERRORS))])
def test_errors_match_torch(make, exc):
    with pytest.raises(exc) as ours:
        make(sg)
    torch = pytest.importorskip("torch")
    with pytest.raises(exc) as theirs:
        make(torch)
    assert str(ours.value) == str(theirs.value)


def test_dropout_with_one_layer_warns():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.2)
