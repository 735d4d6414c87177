"""Optimizers: PyTorch's measured float32 trajectories (SEMANTICS 4), state, reprs, errors,
and trajectories against torch itself when it is installed: SGD bit for bit, Adam and AdamW
bit for bit given PyTorch's square root, float32 and float64, over 20 steps on parameters
of several cache blocks."""
import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.optim import fused


def _torch_sqrt(torch):
    """PyTorch's own (not correctly rounded) square root, to substitute for fused.sqrt."""
    return lambda a: torch.from_numpy(np.ascontiguousarray(a)).sqrt().numpy()

TABLE = [  # (factory, step-1 w, step-2 w), measured on torch 2.13
    (lambda p: sg.optim.SGD(p, lr=0.1),
     [0.699999988079071, -1.7000000476837158, 0.30000001192092896],
     [0.4599999785423279, -1.4600000381469727, 0.14000000059604645]),
    (lambda p: sg.optim.SGD(p, lr=0.1, momentum=0.9), None,
     [0.18999998271465302, -1.190000057220459, -0.04000000283122063]),
    (lambda p: sg.optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1), None,
     [0.21400001645088196, -1.2140001058578491, -0.02399999462068081]),
    (lambda p: sg.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
     [0.4300000071525574, -1.4300000667572021, 0.11999999731779099],
     [-0.1663999706506729, -0.8336001038551331, -0.2775999903678894]),
    (lambda p: sg.optim.SGD(p, lr=0.1, weight_decay=0.1),
     [0.6899999976158142, -1.6799999475479126, 0.29499998688697815],
     [0.44509997963905334, -1.4271999597549438, 0.13304999470710754]),
    (lambda p: sg.optim.SGD(p, lr=0.1, maximize=True),
     [1.2999999523162842, -2.299999952316284, 0.699999988079071],
     [1.659999966621399, -2.6599998474121094, 0.9399999976158142]),
    (lambda p: sg.optim.Adam(p, lr=0.1),
     [0.8999999761581421, -1.899999976158142, 0.4000000059604645],
     [0.8002390265464783, -1.800239086151123, 0.30041223764419556]),
    (lambda p: sg.optim.Adam(p, lr=0.1, weight_decay=0.1), None,
     [0.8002440333366394, -1.8002341985702515, 0.3004264235496521]),
    (lambda p: sg.optim.AdamW(p, lr=0.1),
     [0.8990000486373901, -1.8980000019073486, 0.3995000123977661],
     [0.7983431816101074, -1.7963473796844482, 0.29951563477516174]),
    (lambda p: sg.optim.AdamW(p, lr=0.1, weight_decay=0.1),
     [0.8899999856948853, -1.8799999952316284, 0.39500001072883606],
     [0.7813706398010254, -1.7615036964416504, 0.2914915978908539]),
]


@pytest.mark.parametrize("sqrt", ["ieee", "torch"])
@pytest.mark.parametrize("make,step1,step2", TABLE)
def test_measured_trajectories(make, step1, step2, sqrt, monkeypatch):
    # Adam's square root is IEEE's here and PyTorch's is not always correctly rounded (its
    # sqrt(0.009f) is one ulp high): with PyTorch's substituted every value is equal; with
    # IEEE's, Adam's values may be one float32 ulp away, SGD's are equal.
    if sqrt == "torch":
        monkeypatch.setattr(fused, "sqrt", _torch_sqrt(pytest.importorskip("torch")))
    w = sg.tensor([1.0, -2.0, 0.5], requires_grad=True)
    opt = make([w])
    got = []
    for _ in range(2):
        opt.zero_grad()
        ((w ** 2).sum() + w.sum()).backward()
        version = w._version
        assert opt.step() is None
        assert w._version == version + 1 and w.is_leaf and w.grad_fn is None
        got.append(w.tolist())
    pairs = [(got[1], step2)] + ([(got[0], step1)] if step1 is not None else [])
    for have, want in pairs:
        if sqrt == "torch" or not isinstance(opt, sg.optim.Adam):
            assert have == want
        else:
            np.testing.assert_array_max_ulp(np.float32(have), np.float32(want), maxulp=1)


def test_state_and_skipping():
    w = sg.tensor([1.0, -2.0], requires_grad=True)
    v = sg.tensor([1.0, 2.0], requires_grad=True)
    opt = sg.optim.Adam([w, v], lr=0.1)
    (w ** 2).sum().backward()
    opt.step()
    assert v.tolist() == [1.0, 2.0] and v not in opt.state
    st = opt.state[w]
    assert repr(st["step"]) == "tensor(1.)"
    assert repr(st["exp_avg"]) == "tensor([ 0.2000, -0.4000])"
    assert repr(st["exp_avg_sq"]) == "tensor([0.0040, 0.0160])"
    assert repr(w) == "tensor([ 0.9000, -1.9000], requires_grad=True)"
    sgd = sg.optim.SGD([v], lr=0.01, momentum=0.9)
    sgd.step()
    assert sgd.state == {} and v.tolist() == [1.0, 2.0]


def test_zero_grad_and_groups_and_closure():
    a = sg.tensor([1.0, 2.0], requires_grad=True)
    b = sg.tensor([1.0], requires_grad=True)
    opt = sg.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    loss = opt.step(lambda: (a * b).sum())
    assert repr(loss) == "tensor(3., grad_fn=<SumBackward0>)"
    (a.sum() * 2).backward()
    opt.zero_grad(set_to_none=False)
    assert repr(a.grad) == "tensor([0., 0.])"
    opt.zero_grad()
    assert a.grad is None
    sd = opt.state_dict()
    assert sd["param_groups"][1]["params"] == [1] and sd["param_groups"][1]["lr"] == 0.5


def test_reprs_and_defaults():
    p = sg.tensor([1.0], requires_grad=True)
    assert repr(sg.optim.SGD([p], lr=0.01, momentum=0.9)) == (
        "SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n"
        "    foreach: None\n    fused: None\n    lr: 0.01\n    maximize: False\n"
        "    momentum: 0.9\n    nesterov: False\n    weight_decay: 0\n)")
    assert repr(sg.optim.Adam([p])) == (
        "Adam (\nParameter Group 0\n    amsgrad: False\n    betas: (0.9, 0.999)\n"
        "    capturable: False\n    decoupled_weight_decay: False\n    differentiable: False\n"
        "    eps: 1e-08\n    foreach: None\n    fused: None\n    lr: 0.001\n"
        "    maximize: False\n    weight_decay: 0\n)")
    a, b = sg.tensor([1.0], requires_grad=True), sg.tensor([2.0], requires_grad=True)
    two = sg.optim.SGD([{"params": [p]}, {"params": [a, b], "lr": 0.5, "tag": [1, 2]}],
                       lr=0.1, momentum=0.9)
    assert repr(two) == (  # measured on torch 2.13: a blank line between groups
        "SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n"
        "    foreach: None\n    fused: None\n    lr: 0.1\n    maximize: False\n"
        "    momentum: 0.9\n    nesterov: False\n    weight_decay: 0\n\n"
        "Parameter Group 1\n    dampening: 0\n    differentiable: False\n    foreach: None\n"
        "    fused: None\n    lr: 0.5\n    maximize: False\n    momentum: 0.9\n"
        "    nesterov: False\n    tag: [1, 2]\n    weight_decay: 0\n)")

    class Bare(sg.optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {})

    assert repr(Bare([{"params": [a]}, {"params": [b]}])) == (
        "Bare (\nParameter Group 0\n\nParameter Group 1\n)")
    assert sg.optim.SGD([p]).defaults == {
        "lr": 0.001, "momentum": 0, "dampening": 0, "weight_decay": 0, "nesterov": False,
        "maximize": False, "foreach": None, "differentiable": False, "fused": None}
    assert sg.optim.AdamW([p]).defaults["weight_decay"] == 0.01


@pytest.mark.parametrize("kwargs,exc,msg", [
    ({"lr": -1}, ValueError, "Invalid learning rate: -1"),
    ({"lr": 0.1, "momentum": -1}, ValueError, "Invalid momentum value: -1"),
    ({"lr": 0.1, "weight_decay": -1}, ValueError, "Invalid weight_decay value: -1"),
    ({"lr": 0.1, "nesterov": True}, ValueError,
     "Nesterov momentum requires a momentum and zero dampening"),
])
def test_sgd_errors(kwargs, exc, msg):
    p = sg.tensor([1.0], requires_grad=True)
    with pytest.raises(exc) as info:
        sg.optim.SGD([p], **kwargs)
    assert str(info.value) == msg


def test_param_errors():
    p = sg.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="^optimizer got an empty parameter list$"):
        sg.optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="^params argument given to the optimizer should be an "
                       "iterable of Tensors or dicts, but got torch.FloatTensor$"):
        sg.optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="^can't optimize a non-leaf Tensor$"):
        sg.optim.SGD([p * 2], lr=0.1)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        sg.optim.SGD([p, p], lr=0.1)


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", {"lr": 0.05, "momentum": 0.9, "weight_decay": 1e-3}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1, "maximize": True}),
])
def test_three_steps_match_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((3, 4))
    x = rng.standard_normal((5, 3))
    ours = sg.tensor(w0, requires_grad=True)
    theirs = torch.tensor(w0, requires_grad=True)
    o1 = getattr(sg.optim, name)([ours], **kwargs)
    o2 = getattr(torch.optim, name)([theirs], **kwargs)
    for _ in range(3):
        for w, opt, lib in ((ours, o1, sg), (theirs, o2, torch)):
            opt.zero_grad()
            (lib.tensor(x) @ w).tanh().pow(2).sum().backward()
            opt.step()
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12,
                               atol=1e-14)


def test_reprs_of_several_groups_match_torch():
    torch = pytest.importorskip("torch")
    texts = []
    for lib in (sg, torch):
        a, b, c = (lib.tensor([1.0], requires_grad=True) for _ in range(3))
        groups = [{"params": [a]}, {"params": [b], "lr": 0.5, "betas": (0.8, 0.9)},
                  {"params": [c], "amsgrad": True, "note": "x"}]
        texts.append([repr(lib.optim.Adam(groups, lr=0.1)),
                      repr(lib.optim.AdamW([a, b], weight_decay=0.5)),
                      repr(lib.optim.SGD([{"params": [a]}, {"params": [b, c]}], lr=0.1))])
    assert texts[0] == texts[1]


# ----------------------------------------------------------------- long runs against torch

N = 300_001  # two full cache blocks of fused._BLOCK (2**18) elements and a ragged tail


def _grad(x, i):
    return (x - 0.3) * (1 + i % 3) * 2 + 0.15 * x * x


def _run(lib, name, kwargs, w0, steps=20):
    """``steps`` steps of ``lib.optim.<name>`` from ``w0``: the parameter and its state
    (the gradient is negated under maximize, so every run converges)."""
    w = lib.tensor(w0.copy(), requires_grad=True)
    opt = getattr(lib.optim, name)([w], **kwargs)
    sign = -1 if kwargs.get("maximize") else 1
    for i in range(steps):
        w.grad = lib.tensor(sign * _grad(w.detach().numpy(), i))
        opt.step()
    return w.detach().numpy().copy(), {k: v.detach().numpy().copy()
                                       for k, v in opt.state[w].items()}


def _assert_same_run(ours, theirs):
    np.testing.assert_array_equal(ours[0], theirs[0], strict=True)
    assert list(ours[1]) == list(theirs[1])
    for key in ours[1]:
        np.testing.assert_array_equal(ours[1][key], theirs[1][key], strict=True)


SGD_CONFIGS = [
    {"lr": 0.05},
    {"lr": 0.05, "momentum": 0.9},
    {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 1e-2},
    {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1, "maximize": True},
    {"lr": 0.02, "weight_decay": 0.3, "maximize": True},
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kwargs", SGD_CONFIGS)
def test_sgd_bit_exact_against_torch(kwargs, dtype):
    # Every add(..., alpha=...) is PyTorch's FMA: float32 through the block-wise double
    # path (ties included), float64 through the emulated FMA. 20 steps, 300,001 elements.
    torch = pytest.importorskip("torch")
    w0 = np.random.default_rng(1).standard_normal(N).astype(dtype)
    _assert_same_run(_run(sg, "SGD", kwargs, w0), _run(torch, "SGD", kwargs, w0))


ADAM_CONFIGS = [
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.95), "eps": 1e-3, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "maximize": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.02, "weight_decay": 0.3, "amsgrad": True}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1, "maximize": True, "amsgrad": True}),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,kwargs", ADAM_CONFIGS)
def test_adam_bit_exact_against_torch_given_its_sqrt(monkeypatch, name, kwargs, dtype):
    # With PyTorch's own square root substituted, every other rounding (lerp_, mul_ and
    # addcmul_, the bias corrections, the division, add_(eps), addcdiv_, maximum, the
    # decoupled decay) is PyTorch's: parameters and state equal after 20 steps.
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(fused, "sqrt", _torch_sqrt(torch))
    w0 = np.random.default_rng(2).standard_normal(N).astype(dtype)
    _assert_same_run(_run(sg, name, kwargs, w0), _run(torch, name, kwargs, w0))


@pytest.mark.parametrize("name,kwargs", ADAM_CONFIGS)
def test_adam_close_to_torch_with_ieee_sqrt(name, kwargs):
    # PyTorch's sqrt is one ulp off for about 17% of float32 (1% of float64) inputs; those
    # differences alone separate the trajectories, by a few ulp of the parameters' scale.
    torch = pytest.importorskip("torch")
    for dtype, atol in ((np.float32, 1e-6), (np.float64, 2e-15)):
        w0 = np.random.default_rng(3).standard_normal(20_001).astype(dtype)
        ours, _ = _run(sg, name, kwargs, w0)
        theirs, _ = _run(torch, name, kwargs, w0)
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=atol)


# Float32 sums a + alpha * b whose double rounding lands exactly on a float32 midpoint
# while the exact sum does not (x, alpha, b, correctly rounded result), and one exact tie.
TIES = [
    (1 + 2.0 ** -23, (1 - 2.0 ** -23) * 2.0 ** -24, 1 + 2.0 ** -23, 1 + 2.0 ** -23),
    (-(1 + 2.0 ** -23), (1 - 2.0 ** -23) * 2.0 ** -24, -(1 + 2.0 ** -23), -(1 + 2.0 ** -23)),
    (2.0 ** -127 + 2.0 ** -149, 2.0 ** -75 * (1 + 2.0 ** -23), 2.0 ** -75 * (1 - 2.0 ** -23),
     2.0 ** -127 + 2.0 ** -149),                                  # subnormal result
    (2.0 ** -126 - 2.0 ** -149, 2.0 ** -75 * (1 + 2.0 ** -23), 2.0 ** -75 * (1 - 2.0 ** -23),
     2.0 ** -126 - 2.0 ** -149),                                  # just below the normals
    (3.4028234663852886e38, 2.0 ** 103 * (1 + 2.0 ** -23), 1 - 2.0 ** -23,
     3.4028234663852886e38),                                      # at the overflow threshold
    (1.0, 2.0 ** -24, 3.0, 1 + 2.0 ** -22),                       # an exact tie: to even
]


@pytest.mark.parametrize("where", [5, 2 ** 18 + 7, N - 1])
@pytest.mark.parametrize("x,alpha,b,want", TIES)
def test_axpy_float32_is_correctly_rounded_at_ties(x, alpha, b, want, where):
    a = np.full(N, np.float32(0.75))
    bb = np.full(N, np.float32(-0.5))
    a[where], bb[where] = x, b
    with np.errstate(over="ignore"):
        naive = np.float32(np.float64(np.float32(x)) + alpha * np.float64(np.float32(b)))
    for out in ("new", "a", "b"):
        aa, bcopy = a.copy(), bb.copy()
        target = {"new": None, "a": aa, "b": bcopy}[out]
        got = fused.axpy(aa, alpha, bcopy, out=target)
        assert got[where] == np.float32(want) and (out != "a" or got is aa)
        assert got[0] == np.float32(0.75 - alpha * 0.5)
    if alpha != 2.0 ** -24:
        assert naive != np.float32(want)         # plain double rounding gets these wrong


@pytest.mark.parametrize("x,alpha,b,want", TIES)
def test_torch_agrees_on_the_ties(x, alpha, b, want):
    torch = pytest.importorskip("torch")
    a = torch.full((N,), 0.75)
    a[N - 1] = x
    bb = torch.full((N,), -0.5)
    bb[N - 1] = b
    assert a.add(bb, alpha=alpha)[N - 1].item() == want


def test_sgd_step_is_correctly_rounded_at_a_tie():
    # x - lr * g with the tie of TIES[0] in every element: PyTorch's FMA result.
    x, alpha, b, want = TIES[0]
    w = sg.tensor(np.full(N, x, np.float32), requires_grad=True)
    w.grad = sg.tensor(np.full(N, -b, np.float32))
    sg.optim.SGD([w], lr=alpha).step()
    assert (w.detach().numpy() == np.float32(want)).all()
