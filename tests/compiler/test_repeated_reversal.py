"""A tape can be reversed more than once: a pullback called twice gives the same gradient.

Undoing subscript writes and list appends must not consume the forward sweep's
arrays, or the second reversal starts from the wrong state.
"""
import numpy as np

import s2sgrad as sg
from s2sgrad.autograd.gradcheck import check_vjp


def writes(x):
    y = np.zeros(3)
    for i in range(3):
        y[i] = x[i] ** 2
    y[0] = y[1] * x[2]
    return np.sum(y * x)


def appends(x):
    hs = []
    h = x
    for _ in range(3):
        h = np.tanh(h * 1.5)
        hs.append(h)
    return np.sum(np.stack(hs) ** 2)


def test_pullback_twice_with_writes_and_appends():
    x = np.array([0.5, -1.0, 2.0])
    for f in (writes, appends):
        out, pullback = sg.vjp(f, x)
        first = pullback(1.0)[0]
        second = pullback(1.0)[0]
        np.testing.assert_array_equal(first, second)
        assert check_vjp(f, pullback, [x], [0])


def test_retain_graph_backward_twice_accumulates():
    g = sg.grad(writes)
    x = sg.tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    out = g(x)
    out.backward(retain_graph=True)
    once = x.grad.numpy().copy()
    out.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * once, rtol=1e-12)


def repeated_fancy_write(x, v):
    y = x * 1
    y[np.array([0, 0, 2])] = v
    return np.sum(y * np.arange(1, 4))


def test_repeated_fancy_write_credits_the_surviving_value():
    # NumPy keeps the last of repeated positions: the first v[0] is overwritten.
    x = np.array([0.5, -1.0, 2.0])
    v = np.array([1.0, 2.0, 3.0])
    out, pullback = sg.vjp(repeated_fancy_write, x, v)
    gx, gv = pullback(1.0)
    np.testing.assert_allclose(gv, [0.0, 1.0, 3.0])
    assert check_vjp(repeated_fancy_write, pullback, [x, v], [0, 1])
