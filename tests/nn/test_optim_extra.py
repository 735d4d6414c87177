"""RMSprop, Adagrad and optim.lr_scheduler: values measured on torch 2.13, state, reprs,
errors and warnings, and long trajectories and schedules against torch when installed; the
shared exact kernels of optim.fused against exact fractions and torch's ops."""
import math
import warnings
from fractions import Fraction

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.optim import adagrad, adam, fused, optimizer, rmsprop, sgd
from s2sgrad.optim import lr_scheduler as L

# (factory, step-1 w, step-2 w) for w = [1, -2, 0.5] and loss sum(w**2) + sum(w), measured
# on torch 2.13. PyTorch's MKL square root is not correctly rounded, so a few entries differ
# from ours in the last float32 place; compared to 1e-6.
TABLE = [
    (lambda p: sg.optim.RMSprop(p, lr=0.1),
     [0.0, -1.0, -0.4999999403953552], [-0.31766048073768616, -0.6823395490646362, -0.5]),
    (lambda p: sg.optim.RMSprop(p, lr=0.1, momentum=0.9),
     [-1.4901161193847656e-08, -1.0, -0.49999991059303284],
     [-1.2176605463027954, 0.2176605463027954, -1.399999976158142]),
    (lambda p: sg.optim.RMSprop(p, lr=0.1, centered=True),
     [-0.005037903785705566, -0.9949620962142944, -0.505037784576416],
     [-0.3223418593406677, -0.6776581406593323, -0.49994969367980957]),
    (lambda p: sg.optim.RMSprop(p, lr=0.1, weight_decay=0.1, maximize=True),
     [2.0, -3.0, 1.5], [2.857062339782715, -3.860229015350342, 2.393010139465332]),
    (lambda p: sg.optim.Adagrad(p, lr=0.1),
     [0.8999999761581421, -1.899999976158142, 0.4000000059604645],
     [0.8317681550979614, -1.8317681550979614, 0.3331035375595093]),
    (lambda p: sg.optim.Adagrad(p, lr=0.1, lr_decay=0.5, weight_decay=0.1),
     [0.8999999761581421, -1.899999976158142, 0.4000000059604645],
     [0.8545401096343994, -1.854485034942627, 0.3554692566394806]),
    (lambda p: sg.optim.Adagrad(p, lr=0.1, initial_accumulator_value=1.0, maximize=True),
     [1.0948683023452759, -2.0948684215545654, 0.5894427299499512],
     [1.165884017944336, -2.165884017944336, 0.6592317223548889]),
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
        assert w._version == version + 1 and w.is_leaf and w.dtype == sg.float32
        got.append(w.tolist())
    np.testing.assert_allclose(got, [step1, step2], rtol=1e-6, atol=1e-6)


def test_state_layout_and_reprs():
    w = sg.tensor([1.0, -2.0, 0.5], requires_grad=True)
    opt = sg.optim.RMSprop([w], momentum=0.9, centered=True)
    assert repr(opt) == (
        "RMSprop (\nParameter Group 0\n    alpha: 0.99\n    capturable: False\n"
        "    centered: True\n    differentiable: False\n    eps: 1e-08\n    foreach: None\n"
        "    lr: 0.01\n    maximize: False\n    momentum: 0.9\n    weight_decay: 0\n)")
    assert opt.defaults == {"lr": 0.01, "momentum": 0.9, "alpha": 0.99, "eps": 1e-08,
                            "centered": True, "weight_decay": 0, "capturable": False,
                            "foreach": None, "maximize": False, "differentiable": False}
    (w ** 2).sum().backward()
    opt.step()
    assert repr(opt.state[w]) == (
        "{'step': tensor(1.), 'square_avg': tensor([0.0400, 0.1600, 0.0100]), "
        "'momentum_buffer': tensor([ 10.0504, -10.0504,  10.0504]), "
        "'grad_avg': tensor([ 0.0200, -0.0400,  0.0100])}")
    assert list(sg.optim.RMSprop([w]).defaults)[:3] == ["lr", "momentum", "alpha"]

    v = sg.tensor([1.0, -2.0, 0.5], requires_grad=True)
    ada = sg.optim.Adagrad([v], initial_accumulator_value=0.5)
    assert repr(ada) == (
        "Adagrad (\nParameter Group 0\n    differentiable: False\n    eps: 1e-10\n"
        "    foreach: None\n    fused: None\n    initial_accumulator_value: 0.5\n"
        "    lr: 0.01\n    lr_decay: 0\n    maximize: False\n    weight_decay: 0\n)")
    # Adagrad's state exists from construction on, as PyTorch's does.
    assert repr(ada.state[v]) == "{'step': tensor(0.), 'sum': tensor([0.5000, 0.5000, 0.5000])}"
    (v ** 2).sum().backward()
    ada.step()
    assert repr(ada.state[v]) == (
        "{'step': tensor(1.), 'sum': tensor([ 4.5000, 16.5000,  1.5000])}")
    sd = ada.state_dict()
    assert sd["param_groups"] == [{
        "lr": 0.01, "lr_decay": 0, "eps": 1e-10, "weight_decay": 0,
        "initial_accumulator_value": 0.5, "foreach": None, "maximize": False,
        "differentiable": False, "fused": None, "params": [0]}]
    assert list(sd["state"]) == [0]


def test_adagrad_group_added_later_and_skipped_params():
    a = sg.tensor([1.0], requires_grad=True)
    b = sg.tensor([2.0], requires_grad=True)
    opt = sg.optim.Adagrad([a], lr=0.1)
    opt.add_param_group({"params": [b], "lr": 0.5})
    (a * b).sum().backward()
    opt.step()
    assert a.item() == pytest.approx(0.9) and b.item() == pytest.approx(1.5)
    c = sg.tensor([3.0], requires_grad=True)
    rms = sg.optim.RMSprop([c, sg.tensor([1.0], requires_grad=True)])
    (c * 2).sum().backward()
    rms.step()
    assert len(rms.state) == 1


@pytest.mark.parametrize("cls,kwargs,msg", [
    ("RMSprop", {"lr": -1}, "Invalid learning rate: -1"),
    ("RMSprop", {"eps": -1}, "Invalid epsilon value: -1"),
    ("RMSprop", {"momentum": -1}, "Invalid momentum value: -1"),
    ("RMSprop", {"weight_decay": -1}, "Invalid weight_decay value: -1"),
    ("RMSprop", {"alpha": -1}, "Invalid alpha value: -1"),
    ("Adagrad", {"lr": -1}, "Invalid learning rate: -1"),
    ("Adagrad", {"eps": -1}, "Invalid epsilon value: -1"),
    ("Adagrad", {"lr_decay": -1}, "Invalid lr_decay value: -1"),
    ("Adagrad", {"weight_decay": -1}, "Invalid weight_decay value: -1"),
    ("Adagrad", {"initial_accumulator_value": -1},
     "Invalid initial_accumulator_value value: -1"),
])
def test_errors(cls, kwargs, msg):
    p = sg.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError) as info:
        getattr(sg.optim, cls)([p], **kwargs)
    assert str(info.value) == msg


def _nearest(exact: Fraction, dtype) -> float:
    """``exact`` correctly rounded (ties to even) to ``dtype``, overflow to +-inf included."""
    top = Fraction(2) ** int(np.finfo(dtype).maxexp)     # rounding beyond the largest finite
    with np.errstate(over="ignore"):
        guess = dtype(float(exact))
    cands = [guess, np.nextafter(guess, dtype(-np.inf)), np.nextafter(guess, dtype(np.inf))]

    def value(c):
        return (top if c > 0 else -top) if np.isinf(c) else Fraction(float(c))

    best = min(cands, key=lambda c: (abs(value(c) - exact),
                                     int(np.array(c).view(np.int32 if dtype is np.float32
                                                          else np.int64)) & 1))
    return float(best)


def _fma_cases(dtype):
    """x, y, z arrays: random ones over a wide range of scales, cancellations (z = -x*y
    rounded, so the result is the product's rounding error), and sums that are exact
    rounding boundaries or lie within a hair of one."""
    rng = np.random.default_rng(3)
    n = 400
    x = rng.standard_normal(n)
    y = rng.standard_normal(n) * 2.0 ** rng.integers(-40, 10, n)
    z = rng.standard_normal(n) * 2.0 ** rng.integers(-30, 5, n)
    x, y, z = x.astype(dtype), y.astype(dtype), z.astype(dtype)
    z[:50] = -(x[:50] * y[:50])                           # rounded in dtype
    if dtype is np.float32:
        e = 2.0 ** -23
        hard = [(1 + e, (1 - e) * 2.0 ** -24, 1 + e), (-(1 + e), (1 - e) * 2.0 ** -24, 1 + e),
                (2.0 ** -75 * (1 + e), 2.0 ** -75 * (1 - e), 2.0 ** -127 + 2.0 ** -149),
                (2.0 ** -75 * (1 + e), -2.0 ** -75 * (1 - e), 2.0 ** -148),
                (2.0 ** -75 * (1 + e), 2.0 ** -75 * (1 - e), 2.0 ** -126 - 2.0 ** -149),
                (2.0 ** 103 * (1 + e), 1 - e, 3.4028234663852886e38),
                (2.0 ** 103, 1 + e, 3.4028234663852886e38),
                (2.0 ** -24, 3.0, 1.0), (2.0 ** -24, 1.0, 1.0), (0.0, 5.0, -0.0)]
    else:
        e = 2.0 ** -52
        hard = [(2.0 ** -53 * (1 - e / 2), 1 + e, 1.0),      # the two-sum's low part is a
                (-2.0 ** -53 * (1 - e / 2), 1 + e, -1.0),    # half-ulp: round it to odd
                (1 + e, 1 - e, 1.5 * e), (1 + e, -(1 - e), -1.5 * e), (1 - e, 1 + e, 0.5 * e),
                (1 + e, 1 + e, -1.0), (3.0, 1 / 3, -1.0), (2.0 ** -53, 1.0, 1.0),
                (1 + 2 ** 26 * e, 1 + 2 ** 26 * e, 2.0 ** -500), (0.0, 5.0, -0.0)]
    hx, hy, hz = (np.array(col, dtype) for col in zip(*hard))
    return np.concatenate([x, hx]), np.concatenate([y, hy]), np.concatenate([z, hz])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fma_is_correctly_rounded(dtype):
    x, y, z = _fma_cases(dtype)
    got = fused.fma(x, y, z)
    assert got.dtype == dtype
    want = [_nearest(Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c)), dtype)
            for a, b, c in zip(x, y, z)]
    np.testing.assert_array_equal(got, np.array(want, dtype), strict=True)
    with np.errstate(over="ignore"):
        plain = (x.astype(np.float64) * y + z).astype(dtype)   # two roundings
    # float32: a double rounding goes wrong only on the engineered boundaries; float64: the
    # product's rounding alone changes many results
    assert (plain != got).sum() >= (5 if dtype is np.float32 else 30)
    assert [float(fused.fma(a, b, c)) for a, b, c in zip(x[-8:], y[-8:], z[-8:])] == want[-8:]


def test_fma_float32_avoids_double_rounding():
    # 1 + 2**-23 + 2**-24 - 2**-70 lies just below a float32 midpoint; the double sum rounds
    # onto the midpoint and a plain cast would then round up, to the even neighbour.
    x = np.array([1 + 2.0 ** -23], np.float32)
    y = np.array([(1 - 2.0 ** -23) * 2.0 ** -24], np.float32)
    z = np.array([1 + 2.0 ** -23], np.float32)
    naive = (x.astype(np.float64) * y + z).astype(np.float32)
    assert naive[0] == np.float32(1 + 2.0 ** -22)
    assert fused.fma(x, y, z)[0] == np.float32(1 + 2.0 ** -23)


def test_fma_special_values():
    inf = np.inf
    for dtype in (np.float32, np.float64):
        x = np.array([inf, 1.0, np.nan, 2.0, -inf], dtype)
        y = np.array([2.0, 3.0, 1.0, 0.5, 0.0], dtype)
        z = np.array([1.0, -inf, 1.0, inf, 1.0], dtype)
        got = fused.fma(x, y, z)
        assert got[:2].tolist() == [inf, -inf] and got[3] == inf
        assert np.isnan(got[2]) and np.isnan(got[4])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fused_kernels_match_torch_ops(dtype):
    # The kernels one by one, on 300,007 elements (vectorised body and scalar tail).
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    a, b = (rng.standard_normal(300_007).astype(dtype) for _ in range(2))
    c = rng.random(300_007).astype(dtype) + 0.1
    t = [torch.from_numpy(v.copy()) for v in (a, b, c)]
    for alpha in (0.37, -1e-3, 1.0, -1.0, 2.0 ** -10):
        np.testing.assert_array_equal(fused.axpy(a, alpha, b), t[0].add(t[1], alpha=alpha))
    for w in (0.1, 0.001, 0.4999, 0.5, 0.9, 0.999):
        np.testing.assert_array_equal(fused.lerp_(a.copy(), b, w), t[0].clone().lerp_(t[1], w))
    for v in (1.0, 0.001, -1.0, 0.37):
        np.testing.assert_array_equal(fused.addcmul_(c.copy(), a, b, v),
                                      t[2].clone().addcmul_(t[0], t[1], value=v))
        np.testing.assert_array_equal(fused.addcdiv(a, b, c, v),
                                      t[0].addcdiv(t[1], t[2], value=v))


def test_exact_arithmetic_exists_once():
    # The optimizers share fused's kernels; none keeps a copy of its own.
    names = ("fma", "two_sum", "split", "round_to_odd", "round32", "axpy", "lerp_",
             "addcmul_", "addcdiv", "blocks")
    for module in (optimizer, sgd, adam, rmsprop, adagrad):
        for name in names:
            if hasattr(module, name):
                assert getattr(module, name) is getattr(fused, name), (module, name)
        assert not hasattr(module, "sqrt") and not hasattr(module, "add_scaled")


# ----------------------------------------------------------------------------- vs torch

def _trajectory(lib, name, kwargs, w0, dtype, steps=20):
    w = lib.tensor(w0, dtype=getattr(lib, dtype), requires_grad=True)
    opt = getattr(lib.optim, name)([w], **kwargs)
    for i in range(steps):
        x = w.detach().numpy().copy()
        g = (x - 0.3) * (1 + i % 3) * 2 + 0.15 * x * x
        w.grad = lib.tensor(g.astype(x.dtype))
        opt.step()
    state = {k: v.detach().numpy().copy() for k, v in opt.state[w].items()}
    return w.detach().numpy().copy(), state


CONFIGS = [
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.4, "eps": 1e-3}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "centered": True, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "maximize": True}),
    ("RMSprop", {"lr": 0.02, "alpha": 0.3, "centered": True, "momentum": 0.9,
                 "weight_decay": 0.05}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5, "maximize": True}),
    ("Adagrad", {"lr": 0.05, "lr_decay": 0.2, "eps": 1e-3, "weight_decay": 0.01}),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kwargs", CONFIGS)
def test_bit_exact_against_torch_given_its_sqrt(monkeypatch, name, kwargs, dtype):
    # With PyTorch's own square root substituted, every other rounding must be PyTorch's:
    # parameters and state equal bit for bit after 20 steps on 1000 elements.
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(fused, "sqrt",
                        lambda a: torch.from_numpy(np.ascontiguousarray(a)).sqrt().numpy())
    w0 = np.random.default_rng(0).standard_normal(1000).tolist()
    ours, our_state = _trajectory(sg, name, kwargs, w0, dtype)
    theirs, their_state = _trajectory(torch, name, kwargs, w0, dtype)
    np.testing.assert_array_equal(ours, theirs)
    assert list(our_state) == list(their_state)
    for key in our_state:
        np.testing.assert_array_equal(our_state[key], their_state[key])


@pytest.mark.parametrize("name,kwargs", CONFIGS)
def test_close_to_torch_with_ieee_sqrt(name, kwargs):
    torch = pytest.importorskip("torch")
    w0 = np.random.default_rng(1).standard_normal(1000).tolist()
    for dtype, rtol in (("float32", 2e-5), ("float64", 1e-12)):
        ours, _ = _trajectory(sg, name, kwargs, w0, dtype)
        theirs, _ = _trajectory(torch, name, kwargs, w0, dtype)
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol)


def test_groups_and_state_dict_match_torch():
    torch = pytest.importorskip("torch")
    for name, kwargs in (("RMSprop", {"momentum": 0.9, "centered": True}),
                         ("Adagrad", {"lr_decay": 0.1})):
        dicts = []
        for lib in (sg, torch):
            a = lib.tensor([1.0, 2.0], requires_grad=True)
            b = lib.tensor([[0.5]], requires_grad=True)
            opt = getattr(lib.optim, name)([{"params": [a]}, {"params": [b], "lr": 0.5}],
                                           **kwargs)
            (a.sum() * b.sum()).backward()
            opt.step()
            sd = opt.state_dict()
            dicts.append((sd["param_groups"], {i: {k: v.tolist() for k, v in s.items()}
                                               for i, s in sd["state"].items()}))
        assert dicts[0][0] == dicts[1][0]
        np.testing.assert_equal(dicts[0][1], dicts[1][1])


# ----------------------------------------------------------------------------- schedulers

def _opt(lr=0.1, groups=1):
    params = [sg.tensor([1.0], requires_grad=True) for _ in range(groups)]
    return sg.optim.SGD([{"params": [p], "lr": lr * (i + 1)} for i, p in enumerate(params)],
                        lr=lr)


def _run(sched, opt, n):
    seq = [sched.get_last_lr()[0]]
    for _ in range(n):
        opt.step()
        sched.step()
        seq.append(sched.get_last_lr()[0])
    return seq


@pytest.mark.parametrize("make,want", [  # measured on torch 2.13
    (lambda o: L.StepLR(o, step_size=3, gamma=0.5),
     [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125, 0.0125]),
    (lambda o: L.MultiStepLR(o, milestones=[2, 5, 5], gamma=0.1),
     [0.1, 0.1] + [0.010000000000000002] * 3 + [0.00010000000000000005] * 6),
    (lambda o: L.ExponentialLR(o, gamma=0.9),
     [0.1, 0.09000000000000001, 0.08100000000000002, 0.07290000000000002,
      0.06561000000000002, 0.05904900000000002, 0.05314410000000002, 0.04782969000000002,
      0.043046721000000024, 0.03874204890000002, 0.03486784401000002]),
    (lambda o: L.CosineAnnealingLR(o, T_max=4, eta_min=0.01),
     [0.1, 0.08681980515339464, 0.05500000000000001, 0.023180194846605363, 0.01,
      0.023180194846605363, 0.05500000000000002, 0.08681980515339469, 0.10000000000000006,
      0.0868198051533947, 0.05500000000000005]),
    (lambda o: L.LambdaLR(o, lr_lambda=lambda e: 1 / (e + 1)),
     [0.1, 0.05, 0.03333333333333333, 0.025, 0.020000000000000004, 0.016666666666666666,
      0.014285714285714285, 0.0125, 0.011111111111111112, 0.010000000000000002,
      0.009090909090909092]),
])
def test_measured_schedules(make, want):
    opt = _opt()
    sched = make(opt)
    assert sched.last_epoch == 0 and opt.param_groups[0]["initial_lr"] == 0.1
    assert _run(sched, opt, 10) == want
    assert sched.last_epoch == 10 and opt.param_groups[0]["lr"] == want[-1]


def test_reduce_on_plateau_measured():
    opt = _opt(lr=1.0)
    sched = L.ReduceLROnPlateau(opt, patience=1, factor=0.5, cooldown=1, min_lr=0.1)
    assert "initial_lr" not in opt.param_groups[0]
    got = []
    for m in [5, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3, 3, 3]:
        sched.step(m)
        got.append(sched.get_last_lr()[0])
    assert got == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125, 0.125,
                   0.1]
    assert (sched.best, sched.num_bad_epochs, sched.cooldown_counter) == (3.0, 0, 1)
    assert sched.in_cooldown and sched.last_epoch == 14
    assert list(sched.state_dict()) == [
        "factor", "default_min_lr", "min_lrs", "patience", "cooldown", "eps", "last_epoch",
        "_last_lr", "mode_worse", "mode", "threshold", "threshold_mode", "best",
        "cooldown_counter", "num_bad_epochs"]
    other = L.ReduceLROnPlateau(_opt(), mode="max")
    other.load_state_dict(sched.state_dict())
    assert other.mode == "min" and other.best == 3.0 and other._is_better(2.0, 3.0)


def test_reduce_on_plateau_modes_and_errors():
    opt = _opt(lr=1.0)
    up = L.ReduceLROnPlateau(opt, mode="max", patience=0, threshold=0.5,
                             threshold_mode="abs")
    up.step(1.0)
    up.step(1.4)                 # not better by more than 0.5: reduce
    assert opt.param_groups[0]["lr"] == 0.1
    with pytest.raises(ValueError, match=r"^Factor should be < 1.0.$"):
        L.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="^mode x is unknown!$"):
        L.ReduceLROnPlateau(opt, mode="x")
    with pytest.raises(ValueError, match="^threshold mode x is unknown!$"):
        L.ReduceLROnPlateau(opt, threshold_mode="x")
    with pytest.raises(ValueError, match="^expected 1 min_lrs, got 2$"):
        L.ReduceLROnPlateau(opt, min_lr=[1, 2])
    with pytest.raises(TypeError, match="^int is not an Optimizer$"):
        L.ReduceLROnPlateau(3)
    listed = L.ReduceLROnPlateau(opt, patience=0, min_lr=[0.01])
    opt.add_param_group({"params": [sg.tensor([1.0], requires_grad=True)]})
    listed.step(1.0)
    with pytest.raises(RuntimeError, match=r"^The number of param groups in the `optimizer` "
                       r"\(2\) differs from when `ReduceLROnPlateau` was initialized \(1\)"):
        listed.step(2.0)
    single = L.ReduceLROnPlateau(opt, patience=0, min_lr=0.01)
    single.step(1.0)
    single.step(2.0)
    assert single.min_lrs == [0.01, 0.01]
    with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)`"):
        single.step(3.0, 7)
    assert single.last_epoch == 7


def test_scheduler_warnings():
    opt = _opt()
    sched = L.StepLR(opt, 2)
    with pytest.warns(UserWarning, match=r"^Detected call of `lr_scheduler.step\(\)` before "
                      r"`optimizer.step\(\)`. In PyTorch 1.1.0 and later"):
        sched.step()
    with pytest.warns(UserWarning, match=r"^To get the last learning rate computed by the "
                      r"scheduler, please use `get_last_lr\(\)`.$"):
        assert sched.get_lr() == [0.1]
    with pytest.warns(UserWarning, match=r"^The epoch parameter in `scheduler.step\(\)` was "
                      "not necessary"):
        sched.step(5)
    assert sched.get_last_lr() == [0.1 * 0.1 ** 2]          # the closed form at epoch 5
    good = _opt()
    sched = L.ExponentialLR(good, 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        good.step()
        sched.step()
        sched.step()
    assert good._opt_called and good.step._wrapped_by_lr_sched
    L.StepLR(good, 3)                                      # wraps only once
    assert good.step.__wrapped__.__name__ == "step"
    over = _opt()
    sched = L.StepLR(over, 2)
    over.step = lambda closure=None: None
    with pytest.warns(UserWarning, match=r"^Seems like `optimizer.step\(\)` has been "
                      "overridden after learning rate scheduler initialization"):
        sched.step()


def test_scheduler_construction_errors_and_resume():
    with pytest.raises(TypeError, match="^int is not an Optimizer$"):
        L.StepLR(3, 2)
    opt = _opt(groups=2)
    with pytest.raises(ValueError, match="^Expected 2 lr_lambdas, but got 1$"):
        L.LambdaLR(opt, [lambda e: 1])
    with pytest.raises(NotImplementedError):
        L.LRScheduler(_opt())
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in "
                       r"param_groups\[0\] when resuming scheduler with last_epoch >= 0"):
        L.StepLR(_opt(), 2, last_epoch=3)
    # Resuming: the initial step moves to last_epoch + 1; ExponentialLR leaves the rate,
    # StepLR applies its step at the resumed epoch (measured).
    for cls, kwargs, want in [(L.StepLR, {"step_size": 2}, [0.010000000000000002, 0.5]),
                              (L.ExponentialLR, {"gamma": 0.5}, [0.1, 1.0])]:
        opt = _opt()
        opt.param_groups[0]["initial_lr"] = 1.0
        sched = cls(opt, last_epoch=3, **kwargs)
        assert [opt.param_groups[0]["lr"], sched.base_lrs[0] * 0.5 ** 0] == [
            want[0], 1.0] and sched.last_epoch == 4


def test_scheduler_state_dict():
    opt = _opt()
    sched = L.StepLR(opt, 3, gamma=0.5)
    assert sched.state_dict() == {
        "step_size": 3, "gamma": 0.5, "base_lrs": [0.1], "last_epoch": 0, "_step_count": 1,
        "_is_initial": False, "_get_lr_called_within_step": False, "_last_lr": [0.1]}
    _run(sched, opt, 4)
    other = L.StepLR(_opt(lr=1.0), 7)
    other.load_state_dict(sched.state_dict())
    assert other.step_size == 3 and other.last_epoch == 4 and other.get_last_lr() == [0.05]

    class Scale:
        def __init__(self):
            self.k = 2

        def __call__(self, epoch):
            return self.k * epoch

    lam = L.LambdaLR(_opt(groups=2), [Scale(), lambda e: 1.0])
    sd = lam.state_dict()
    assert sd["lr_lambdas"] == [{"k": 2}, None] and "optimizer" not in sd
    sd["lr_lambdas"][0]["k"] = 5
    lam.load_state_dict(sd)
    assert lam.lr_lambdas[0].k == 5 and "lr_lambdas" in sd
    assert list(L.MultiStepLR(_opt(), [5, 2, 5]).milestones.items()) == [(5, 2), (2, 1)]


def test_optim_exports():
    assert sg.optim.lr_scheduler is L
    assert sg.optim.RMSprop is rmsprop.RMSprop
    assert {"RMSprop", "Adagrad", "lr_scheduler"} <= set(sg.optim.__all__)


SCHEDULES = [
    ("StepLR", {"step_size": 3, "gamma": 0.7}),
    ("StepLR", {"step_size": 1}),
    ("MultiStepLR", {"milestones": [3, 8, 8, 15], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.93}),
    ("CosineAnnealingLR", {"T_max": 7}),
    ("CosineAnnealingLR", {"T_max": 5, "eta_min": 0.003}),
    ("LambdaLR", {"lr_lambda": lambda e: 0.95 ** e + 0.01 * e}),
]


def _torch_and_ours(torch, name, kwargs, lr=0.1, groups=2, last_epoch=-1):
    out = []
    for lib, mod in ((sg, L), (torch, torch.optim.lr_scheduler)):
        params = [lib.tensor([1.0], requires_grad=True) for _ in range(groups)]
        opt = lib.optim.SGD([{"params": [p], "lr": lr * (i + 1)}
                             for i, p in enumerate(params)], lr=lr)
        if last_epoch != -1:
            for i, g in enumerate(opt.param_groups):
                g["initial_lr"] = 0.5 * (i + 1)
        out.append((opt, getattr(mod, name)(opt, last_epoch=last_epoch, **kwargs)))
    return out


def _assert_lrs(a, b, cosine):
    if cosine:
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    else:
        assert a == b


@pytest.mark.parametrize("last_epoch", [-1, 3, 4])
@pytest.mark.parametrize("name,kwargs", SCHEDULES)
def test_schedules_match_torch(name, kwargs, last_epoch):
    torch = pytest.importorskip("torch")
    (o1, s1), (o2, s2) = _torch_and_ours(torch, name, kwargs, last_epoch=last_epoch)
    cosine = name == "CosineAnnealingLR"
    for _ in range(30):
        _assert_lrs(s1.get_last_lr(), s2.get_last_lr(), cosine)
        _assert_lrs([g["lr"] for g in o1.param_groups], [g["lr"] for g in o2.param_groups],
                    cosine)
        assert s1.last_epoch == s2.last_epoch
        o1.step()
        o2.step()
        s1.step()
        s2.step()
    ours = s1.state_dict()
    theirs = s2.state_dict()
    if name == "LambdaLR":
        assert ours.pop("lr_lambdas") == theirs.pop("lr_lambdas")
    assert list(ours) == list(theirs)
    assert {k: v for k, v in ours.items() if k != "_last_lr"} == {
        k: v for k, v in theirs.items() if k != "_last_lr"}
    _assert_lrs(ours["_last_lr"], theirs["_last_lr"], cosine)


@pytest.mark.parametrize("name,kwargs", SCHEDULES)
def test_closed_forms_and_direct_get_lr_match_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    (o1, s1), (o2, s2) = _torch_and_ours(torch, name, kwargs)
    cosine = name == "CosineAnnealingLR"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in [2, 3, 9, 8, 20, 0, 15, 16, 7]:
            s1.step(epoch)
            s2.step(epoch)
            _assert_lrs(s1.get_last_lr(), s2.get_last_lr(), cosine)
            s1.step()
            s2.step()
            _assert_lrs(s1.get_last_lr(), s2.get_last_lr(), cosine)
        for epoch in [0, 1, 4, 6, 11]:
            for sched in (s1, s2):
                sched.last_epoch = epoch
                sched._step_count = 1
            _assert_lrs(s1.get_lr(), s2.get_lr(), cosine)


@pytest.mark.parametrize("kwargs", [
    {},
    {"mode": "max", "patience": 2, "factor": 0.5},
    {"threshold_mode": "abs", "threshold": 0.05, "patience": 1, "cooldown": 2},
    {"mode": "max", "threshold_mode": "abs", "threshold": 0.1, "patience": 0,
     "min_lr": [0.02, 0.001], "factor": 0.3},
    {"patience": 3, "cooldown": 1, "min_lr": 0.004, "eps": 1e-3},
])
def test_reduce_on_plateau_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(len(kwargs))
    metrics = np.cumsum(rng.standard_normal(60) * 0.1).tolist()
    runs = []
    for lib, mod in ((sg, L), (torch, torch.optim.lr_scheduler)):
        params = [lib.tensor([1.0], requires_grad=True) for _ in range(2)]
        opt = lib.optim.SGD([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.05}],
                            lr=0.1)
        sched = mod.ReduceLROnPlateau(opt, **kwargs)
        trace = []
        for m in metrics:
            opt.step()
            sched.step(m)
            trace.append((sched.get_last_lr(), sched.best, sched.num_bad_epochs,
                          sched.cooldown_counter, sched.last_epoch))
        runs.append((trace, sched.state_dict()))
    assert runs[0] == runs[1]


def test_cosine_recursion_tracks_closed_form_long_run():
    # 200 steps of the recursive form stay within 1e-12 of the closed form.
    opt = _opt()
    sched = L.CosineAnnealingLR(opt, T_max=50, eta_min=0.001)
    for t in range(1, 201):
        opt.step()
        sched.step()
        closed = 0.001 + (0.1 - 0.001) * (1 + math.cos(math.pi * t / 50)) / 2
        assert abs(sched.get_last_lr()[0] - closed) < 1e-12
