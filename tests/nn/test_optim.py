"""Optimizers: PyTorch's measured float32 trajectories (SEMANTICS 4), state, reprs, errors,
and 3-step trajectories against torch itself when it is installed."""
import numpy as np
import pytest

import s2sgrad as sg

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


@pytest.mark.parametrize("make,step1,step2", TABLE)
def test_measured_trajectories(make, step1, step2):
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
    if step1 is not None:
        assert got[0] == step1
    assert got[1] == step2


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


@pytest.mark.parametrize("kwargs", [
    {"lr": 0.05, "momentum": 0.9},
    {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 1e-2},
    {"lr": 0.05, "momentum": 0.9, "nesterov": True, "maximize": True},
    {"lr": 0.05},
])
def test_sgd_float32_bit_exact_across_blocks(kwargs):
    # 600,001 elements: the update runs in several cache-sized blocks and a ragged tail;
    # every float32 result must still equal PyTorch's fused single-rounding kernels.
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    w0 = rng.standard_normal(600_001).astype(np.float32)
    ours = sg.tensor(w0, requires_grad=True)
    theirs = torch.tensor(w0, requires_grad=True)
    o1, o2 = sg.optim.SGD([ours], **kwargs), torch.optim.SGD([theirs], **kwargs)
    for _ in range(3):
        g = rng.standard_normal(w0.shape).astype(np.float32)
        ours.grad, theirs.grad = sg.tensor(g), torch.tensor(g)
        o1.step()
        o2.step()
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
