"""``Adamax``, ``NAdam``, ``RAdam``, ``Adadelta``, ``ASGD`` and ``Rprop`` against PyTorch,
and the ``nn.init`` additions (``orthogonal_``, ``dirac_``, ``eye_`` and the deprecated
aliases).

The optimizers get the same gradients as torch's at every step (drawn once, copied to
both), so any difference is the update's own: parameters and every state entry are compared
after each of 25 steps in float32 and float64, over hyperparameters that switch each
branch (weight decay, decoupled decay, maximize, RAdam's rectification, ASGD's averaging
after ``t0``, Rprop's sign flips). Then reprs, state_dict layout, load_state_dict and the
constructor errors.
"""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad import nn, optim

CASES = [
    ("Adamax", {}), ("Adamax", {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1}),
    ("Adamax", {"maximize": True, "eps": 1e-3}),
    ("NAdam", {}), ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "momentum_decay": 0.01}),
    ("NAdam", {"weight_decay": 0.05, "decoupled_weight_decay": True, "maximize": True}),
    ("RAdam", {}), ("RAdam", {"lr": 0.05, "betas": (0.5, 0.7), "weight_decay": 0.1}),
    ("RAdam", {"betas": (0.9, 0.6), "decoupled_weight_decay": True, "weight_decay": 0.2,
               "maximize": True}),
    ("Adadelta", {}), ("Adadelta", {"lr": 0.5, "rho": 0.5, "eps": 1e-4, "weight_decay": 0.1}),
    ("Adadelta", {"maximize": True}),
    ("ASGD", {}), ("ASGD", {"lr": 0.05, "lambd": 0.01, "alpha": 0.5, "t0": 5,
                            "weight_decay": 0.1}),
    ("ASGD", {"t0": 0, "maximize": True}),
    ("Rprop", {}), ("Rprop", {"lr": 0.1, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.2)}),
    ("Rprop", {"maximize": True}),
]
STEPS = 25


def _ids(cases):
    return [f"{k}-{'-'.join(f'{a}={b}' for a, b in kw.items()) or 'default'}"
            for k, kw in cases]


def _grads(shapes, dtype, steps):
    rng = np.random.default_rng(7)
    out = []
    for t in range(steps):
        # Keep some signs for a few steps so Rprop both grows and shrinks its steps.
        base = [rng.standard_normal(s) for s in shapes]
        if t % 3:
            base = [np.abs(b) * np.sign(prev) for b, prev in zip(base, out[-1])]
        out.append([b.astype(dtype) for b in base])
    return out


@pytest.mark.parametrize("name, kw", CASES, ids=_ids(CASES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_steps_match_torch(name, kw, dtype):
    torch = pytest.importorskip("torch")
    shapes = [(3, 4), (4,), ()]
    rng = np.random.default_rng(0)
    init = [rng.standard_normal(s).astype(dtype) for s in shapes]
    ours = [sg.tensor(a.copy(), requires_grad=True) for a in init]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in init]
    opt_s = getattr(optim, name)(ours, **kw)
    opt_t = getattr(torch.optim, name)(theirs, **kw)
    tol = {"rtol": 2e-6, "atol": 1e-7} if dtype == np.float32 else {"rtol": 1e-13,
                                                                     "atol": 1e-15}
    for grads in _grads(shapes, dtype, STEPS):
        for p, q, g in zip(ours, theirs, grads):
            p.grad = sg.tensor(g.copy())
            q.grad = torch.tensor(g.copy())
        opt_s.step()
        opt_t.step()
        for p, q in zip(ours, theirs):
            np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), **tol)
    for p, q in zip(ours, theirs):
        s, t = opt_s.state[p], opt_t.state[q]
        assert list(s) == list(t)
        for k in s:
            a, b = s[k], t[k]
            assert a.dtype.__repr__() == b.dtype.__repr__(), k
            assert tuple(a.shape) == tuple(b.shape), k
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-7,
                                       err_msg=k)


@pytest.mark.parametrize("name, kw", CASES[::3], ids=_ids(CASES[::3]))
def test_repr_and_state_dict_match_torch(name, kw):
    torch = pytest.importorskip("torch")
    ours = [sg.ones(2, requires_grad=True)]
    theirs = [torch.ones(2, requires_grad=True)]
    opt_s = getattr(optim, name)(ours, **kw)
    opt_t = getattr(torch.optim, name)(theirs, **kw)
    assert repr(opt_s) == repr(opt_t)
    ours[0].grad = sg.ones(2)
    theirs[0].grad = torch.ones(2)
    opt_s.step()
    opt_t.step()
    sd_s, sd_t = opt_s.state_dict(), opt_t.state_dict()
    assert sd_s["param_groups"] == sd_t["param_groups"]
    assert {k: list(v) for k, v in sd_s["state"].items()} == \
        {k: list(v) for k, v in sd_t["state"].items()}


@pytest.mark.parametrize("name, kw", CASES[::3], ids=_ids(CASES[::3]))
def test_load_state_dict_resumes_the_same_sequence(name, kw):
    sg.manual_seed(0)
    model = nn.Linear(3, 2)
    x = sg.randn(5, 3)

    def run(opt, steps):
        for _ in range(steps):
            opt.zero_grad()
            (model(x) ** 2).mean().backward()
            opt.step()

    opt = getattr(optim, name)(model.parameters(), **kw)
    run(opt, 3)
    saved = copy.deepcopy(opt.state_dict())      # state_dict refers to the live state
    weights = [p.detach().clone() for p in model.parameters()]
    run(opt, 3)
    after = [p.detach().numpy().copy() for p in model.parameters()]
    with sg.no_grad():
        for p, w in zip(model.parameters(), weights):
            p.copy_(w)
    opt2 = getattr(optim, name)(model.parameters(), **kw)
    opt2.load_state_dict(saved)
    run(opt2, 3)
    for p, a in zip(model.parameters(), after):
        np.testing.assert_array_equal(p.detach().numpy(), a)


ERRORS = [
    ("Adamax", {"lr": -1.0}), ("Adamax", {"betas": (1.0, 0.9)}), ("Adamax", {"eps": -1.0}),
    ("NAdam", {"momentum_decay": -1.0}), ("NAdam", {"betas": (0.9, 1.5)}),
    ("RAdam", {"weight_decay": -0.1}), ("Adadelta", {"rho": 1.5}),
    ("Adadelta", {"eps": -1}), ("ASGD", {"lr": -0.1}), ("ASGD", {"weight_decay": -1}),
    ("Rprop", {"etas": (1.2, 0.5)}), ("Rprop", {"lr": -1e-3}),
]


@pytest.mark.parametrize("name, kw", ERRORS, ids=_ids(ERRORS))
def test_constructor_errors_match_torch(name, kw):
    with pytest.raises(ValueError) as ours:
        getattr(optim, name)([sg.ones(1, requires_grad=True)], **kw)
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError) as theirs:
        getattr(torch.optim, name)([torch.ones(1, requires_grad=True)], **kw)
    assert str(ours.value) == str(theirs.value)


def test_rprop_shrinks_on_a_sign_flip_and_skips_that_update():
    p = sg.tensor([1.0], requires_grad=True)
    opt = optim.Rprop([p], lr=0.1)
    for g, want in [(1.0, 0.9), (1.0, 0.9 - 0.12), (-1.0, 0.9 - 0.12)]:
        p.grad = sg.tensor([g])
        opt.step()
        assert p.item() == pytest.approx(want, rel=1e-6)
    assert opt.state[p]["step_size"].item() == pytest.approx(0.06, rel=1e-6)
    assert opt.state[p]["prev"].item() == 0.0


# ---------------------------------------------------------------- nn.init additions

def test_orthogonal_gives_orthonormal_rows_or_columns():
    sg.manual_seed(0)
    for shape in [(3, 5), (5, 3), (4, 4), (2, 3, 2)]:
        w = sg.empty(*shape)
        nn.init.orthogonal_(w, gain=2.0)
        m = w.numpy().reshape(shape[0], -1)
        small = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
        np.testing.assert_allclose(small, 4 * np.eye(small.shape[0]), atol=1e-5)


def test_orthogonal_matches_torch_after_the_same_seed():
    torch = pytest.importorskip("torch")
    for shape in [(3, 5), (5, 3), (4, 2, 2)]:
        sg.manual_seed(3)
        torch.manual_seed(3)
        a = nn.init.orthogonal_(sg.empty(*shape))
        b = torch.nn.init.orthogonal_(torch.empty(*shape))
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("shape, groups", [((4, 2, 3), 1), ((6, 3, 3, 3), 1),
                                           ((4, 2, 3, 3), 2), ((2, 4, 1, 1, 1), 1)])
def test_dirac_and_eye_match_torch(shape, groups):
    torch = pytest.importorskip("torch")
    a = nn.init.dirac_(sg.empty(*shape), groups)
    b = torch.nn.init.dirac_(torch.empty(*shape), groups)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_array_equal(nn.init.eye_(sg.empty(3, 5)).numpy(),
                                  torch.nn.init.eye_(torch.empty(3, 5)).numpy())


def test_init_errors_match_torch():
    torch = pytest.importorskip("torch")
    for make in [lambda ns: ns.nn.init.orthogonal_(ns.empty(3)),
                 lambda ns: ns.nn.init.dirac_(ns.empty(3, 3)),
                 lambda ns: ns.nn.init.dirac_(ns.empty(3, 2, 2), 2),
                 lambda ns: ns.nn.init.eye_(ns.empty(3, 3, 3))]:
        with pytest.raises(ValueError) as ours:
            make(sg)
        with pytest.raises(ValueError) as theirs:
            make(torch)
        assert str(ours.value) == str(theirs.value)


def test_deprecated_aliases_warn_and_fill():
    torch = pytest.importorskip("torch")
    for name, args in [("uniform", ()), ("normal", ()), ("constant", (0.5,)),
                       ("xavier_uniform", ()), ("xavier_normal", ()), ("kaiming_uniform", ()),
                       ("kaiming_normal", ()), ("orthogonal", ())]:
        sg.manual_seed(0)
        torch.manual_seed(0)
        with pytest.warns(FutureWarning) as ours:
            a = getattr(nn.init, name)(sg.empty(3, 4), *args)
        with pytest.warns(FutureWarning) as theirs:
            b = getattr(torch.nn.init, name)(torch.empty(3, 4), *args)
        assert str(ours[0].message) == str(theirs[0].message)
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-6)
    assert math.isclose(nn.init.calculate_gain("selu"), 0.75)
