"""The backward engine's order: a node runs once every consumer's gradient is in.

With one root the engine counts a node's recorded consumers (``Node.uses``) instead
of walking the graph first; consumers that this backward never reaches (another
loss, a dead branch, the part of the graph above an intermediate root) stall that
count, and the engine then walks what is left. These tests build such graphs and
check the gradients: analytically, by finite differences (``gradcheck``), and
against PyTorch on random graphs when torch is importable.
"""
from __future__ import annotations

import random
import weakref

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.autograd import gradcheck
from s2sgrad.runtime import graph


def test_consumer_outside_the_backward_does_not_hold_it_up():
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    z = y * y            # a second consumer of y, not on the path to the root
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    del z


def test_dead_consumer_does_not_hold_it_up():
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    y = x.sin()
    _ = y * 2            # recorded, then dropped at once
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.sin([1.0, 2.0]) * np.cos([1.0, 2.0]),
                               rtol=1e-6)


def test_backward_from_an_intermediate_then_from_the_end():
    x = sg.tensor([0.5, -1.0, 2.0], requires_grad=True, dtype=sg.float64)
    a = x * x
    b = a.sin()
    c = a * b + x
    b.sum().backward(retain_graph=True)
    xv = x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), np.cos(xv ** 2) * 2 * xv)
    x.grad = None
    c.sum().backward()
    expect = 2 * xv * np.sin(xv ** 2) + xv ** 2 * np.cos(xv ** 2) * 2 * xv + 1
    np.testing.assert_allclose(x.grad.numpy(), expect)


def test_several_stalls_in_one_backward():
    x = sg.tensor(np.linspace(-1, 1, 5), requires_grad=True)
    h = x
    side = []
    for _ in range(4):
        h = h.tanh() * 1.5
        side.append(h * 7)          # each level has a consumer outside the backward
    calls = []
    real = graph._unstall

    def counting(deps):
        ready = real(deps)
        calls.append(len(ready))
        return ready

    graph._unstall = counting
    try:
        h.sum().backward()
    finally:
        graph._unstall = real
    assert sum(1 for c in calls if c) >= 1
    assert gradcheck(lambda t: _tower(t).sum(), [x.detach().double().requires_grad_()])
    ref = x.detach().double().requires_grad_()
    _tower(ref).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), ref.grad.numpy(), rtol=1e-5)


def _tower(x):
    for _ in range(4):
        x = x.tanh() * 1.5
    return x


def test_a_leaf_used_many_times_gets_the_sum():
    x = sg.tensor(2.0, requires_grad=True)
    y = x * x * x + x
    y.backward()
    assert x.grad.item() == 13.0


def test_autograd_grad_of_an_intermediate_with_outside_consumers():
    x = sg.tensor([1.0, 2.0], requires_grad=True, dtype=sg.float64)
    y = x.exp()
    _ = y * 5
    z = (y * y).sum()
    gy, gx = sg.autograd.grad(z, [y, x])
    np.testing.assert_allclose(gy.numpy(), 2 * np.exp([1.0, 2.0]))
    np.testing.assert_allclose(gx.numpy(), 2 * np.exp([2.0, 4.0]))


_OPS = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b, "sin": lambda a, b: a.sin(),
        "mulc": lambda a, b: a * 1.5, "square": lambda a, b: a * a,
        "outer": lambda a, b: (a * b).sum() * a, "detach": lambda a, b: a.detach() * b}


_ALL = tuple(sorted(_OPS))


def _random_program(rnd, leaves, ops=_ALL):
    """Every value of a random program on ``leaves`` (shared, reused, detached values)."""
    vals = list(leaves)
    for _ in range(rnd.randint(3, 20)):
        op = rnd.choice(ops)
        vals.append(_OPS[op](rnd.choice(vals), rnd.choice(vals)))
    return vals


def _gradients(lib, seed, arrays):
    rnd = random.Random(seed)
    xs = [lib.tensor(a, requires_grad=True) for a in arrays]
    cand = [v for v in _random_program(rnd, xs) if v.grad_fn is not None]
    if not cand:
        return None
    out = []
    rnd.choice(cand).sum().backward(retain_graph=True)       # an intermediate root first
    out.append([None if x.grad is None else x.grad.numpy().copy() for x in xs])
    cand[-1].backward(lib.ones_like(cand[-1]), retain_graph=True)
    out.append([None if x.grad is None else x.grad.numpy().copy() for x in xs])
    mid = rnd.choice(cand)
    gs = lib.autograd.grad(cand[-1].sum(), [mid, xs[0]], allow_unused=True)
    out.append([None if g is None else g.numpy().copy() for g in gs])
    return out


@pytest.mark.parametrize("seed", range(60))
def test_random_graphs_match_torch(seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((2, 3)) for _ in range(3)]
    ours, ref = _gradients(sg, seed, arrays), _gradients(torch, seed, arrays)
    assert (ours is None) == (ref is None)
    for a, b in zip(ours or [], ref or []):
        for u, v in zip(a, b):
            assert (u is None) == (v is None)
            if u is not None:
                np.testing.assert_allclose(u, v, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seed", range(20))
def test_random_graphs_match_finite_differences(seed):
    rng = np.random.default_rng(100 + seed)
    xs = [sg.tensor(rng.uniform(-0.8, 0.8, (2, 3)), requires_grad=True) for _ in range(3)]

    smooth = tuple(op for op in sorted(_OPS) if op != "detach")  # FD sees through detach

    def program(*leaves):
        vals = _random_program(random.Random(seed), leaves, smooth)
        # every leaf takes part, so none is reported unused
        return vals[-1] + sum(v.sum() * 0.0 for v in leaves)

    assert gradcheck(program, xs)


def test_an_unshared_gradient_becomes_grad_without_a_copy():
    # As PyTorch: the fresh array an adjoint returns is handed over as .grad, not copied.
    w = sg.tensor(np.ones((3, 4)), requires_grad=True)
    y = w * 2.0
    made = []

    def adjoint(g, out, *args):
        r = g * 2.0
        made.append(weakref.ref(r))
        return r, None              # one gradient per edge: w, then the constant

    y.grad_fn.fn = adjoint
    y.backward(sg.ones(3, 4, dtype=sg.float64))
    assert made[0]() is w.grad._data
    assert w.grad.tolist() == [[2.0] * 4] * 3


class _OneTuple(sg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return (x * 2,)

    @staticmethod
    def backward(ctx, g):
        return g * 2


@pytest.mark.parametrize("make, k", [
    (lambda t: t.unbind(0)[0], 1.0),
    (lambda t: t.split(1, dim=0)[0], 1.0),
    (lambda t: t.chunk(1, dim=0)[0], 1.0),
    (lambda t: _OneTuple.apply(t)[0], 2.0),
], ids=["unbind", "split", "chunk", "function"])
def test_a_sequence_of_one_output_gets_the_whole_gradient(make, k):
    # A primal returning a one-element sequence (its values are k * x): its adjoint still
    # gets a list, so the gradient is neither sliced into rows nor reshaped.
    xv = np.arange(6.0).reshape(1, 2, 3) / 6
    x = sg.tensor(xv, requires_grad=True)
    (make(x) ** 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * k * k * xv)
    assert gradcheck(lambda t: make(t).sin(), [sg.tensor(xv, requires_grad=True)])
    (g,) = sg.autograd.grad(make(x).sin().sum(), x, create_graph=True)
    (gg,) = sg.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), -k * k * np.sin(k * xv), rtol=1e-6)
