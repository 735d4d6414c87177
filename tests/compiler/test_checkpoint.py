"""Checkpointed loops: gradients equal the plain ones, kept states stay within budget."""
from functools import lru_cache

import numpy as np
import pytest

import s2sgrad
import s2sgrad.api as sg
from s2sgrad.compiler import revolve
from s2sgrad.compiler.errors import TransformError

from .helpers import check

rng = np.random.default_rng(7)
WX = rng.standard_normal((3, 5)) * 0.5
WH = rng.standard_normal((5, 5)) * 0.5
B = rng.standard_normal(5) * 0.1
XS = rng.standard_normal((23, 2, 3))
H0 = rng.standard_normal((2, 5)) * 0.1
RNN_ARGS = (WX, WH, B, XS, H0)
BUDGETS = [1, 2, 3, 5, 8, None, 40]


def same(a, b, tol=1e-12):
    """Equal up to rounding of a different summation order (usually bitwise)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape
    assert np.max(np.abs(a - b), initial=0.0) <= tol * max(1.0, np.max(np.abs(b), initial=0.0))


def compare(f, args, wrt, budget, plain=None):
    """f checkpointed (option ``checkpoint=budget``) against ``plain`` (default: f) unchecked."""
    v1, g1 = sg.value_and_grad(f, wrt=wrt, checkpoint=budget or True)(*args)
    stats = revolve.last_stats()
    v2, g2 = sg.value_and_grad(plain or f, wrt=wrt)(*args)
    same(v1, v2)
    for a, b in zip(g1, g2):
        same(a, b)
    return stats


# -- schedules ----------------------------------------------------------------------------

@lru_cache(None)
def best_cost(n, free):
    """Fewest recomputed steps to reverse n steps (exhaustive search over first kept state)."""
    if n <= 1:
        return 0
    if free == 0:
        return n * (n - 1) // 2
    return min(m + best_cost(n - m, free - 1) + best_cost(m, free) for m in range(1, n))


@pytest.mark.parametrize("free", [1, 2, 3, 4, 6])
def test_binomial_split_is_optimal(free):
    for n in range(2, 70):
        m = revolve.split(n, free)
        assert 1 <= m < n
        assert m + best_cost(n - m, free - 1) + best_cost(m, free) == best_cost(n, free)
        assert revolve.advance_cost(n, free) == best_cost(n, free)


# -- for loops ----------------------------------------------------------------------------

def rnn(Wx, Wh, b, xs, h):
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
    return np.sum(h * h)


def rnn_marked(Wx, Wh, b, xs, h):
    with s2sgrad.checkpoint(snapshots=4):
        for t in range(xs.shape[0]):
            h = np.tanh(xs[t] @ Wx + h @ Wh + b)
    return np.sum(h * h)


@pytest.mark.parametrize("budget", BUDGETS)
def test_rnn_equals_plain_within_budget(budget):
    stats = compare(rnn, RNN_ARGS, (0, 1, 2, 3, 4), budget)
    n = XS.shape[0]
    k = budget or revolve.CheckpointedLoop.budget(
        revolve.CheckpointedLoop("x", "for", None, None, [], [], [], None), n)
    assert stats["steps"] == n and stats["snapshots"] == k
    assert 1 <= stats["peak_snapshots"] <= k
    # The forward keeps what revolve keeps first, so recomputation never exceeds revolve's.
    assert stats["recomputed_steps"] <= revolve.advance_cost(n, k - 1)


def test_with_block_equals_plain():
    v1, g1 = sg.value_and_grad(rnn_marked, wrt=(0, 1, 2, 3, 4))(*RNN_ARGS)
    assert revolve.last_stats()["peak_snapshots"] <= 4
    v2, g2 = sg.value_and_grad(rnn, wrt=(0, 1, 2, 3, 4))(*RNN_ARGS)
    same(v1, v2)
    for a, b in zip(g1, g2):
        same(a, b)
    assert rnn_marked(*RNN_ARGS) == rnn(*RNN_ARGS)     # run as plain Python: a no-op block
    assert "rnn_marked_loop1_adj" in sg.grad(rnn_marked).source


def test_with_block_against_differences():
    check(rnn_marked, WX, WH, B, XS[:6], H0)


def branchy(x, w, n):
    s = 0.0
    y = x
    for i in range(n):
        if np.sum(y) > 0:
            y = np.sin(y * w) + x
        else:
            y = np.cos(y) * w
            s = s - 1.0
        for j in range(2):
            y = y * 0.9 + j * x
        k = 0
        while k < i % 3:
            y = np.tanh(y + w)
            k += 1
        s = s + np.sum(y * y) * i
    return s + np.sum(y)


@pytest.mark.parametrize("budget", [1, 2, 4, None])
def test_nested_control_flow(budget):
    x, w = rng.standard_normal(4), rng.standard_normal(4)
    stats = compare(branchy, (x, w, 11), (0, 1), budget)
    assert stats["peak_snapshots"] <= (budget or 4)


def rows(xs, w):
    acc = w * 0
    for x in xs:
        acc = np.tanh(acc * w + x)
    return np.sum(acc)


def enumerated(xs, w):
    acc = w
    for i, x in enumerate(xs, 2):
        acc = acc * np.cos(x * i) + w
    return np.sum(acc)


def zipped(xs, ys, w):
    acc = w
    for x, y in zip(xs, ys):
        acc = np.sin(acc * x) + y
    return np.sum(acc)


@pytest.mark.parametrize("budget", [1, 3, None])
def test_sequences(budget):
    xs, ys, w = rng.standard_normal((9, 4)), rng.standard_normal((7, 4)), rng.standard_normal(4)
    compare(rows, (xs, w), (0, 1), budget)
    compare(enumerated, (xs, w), (0, 1), budget)
    compare(zipped, (xs, ys, w), (0, 1, 2), budget)


def first_set_inside(x, n):
    for i in range(n):
        if i > 0:
            # Read before set on the first pass, but only from the second on.
            z = z + last * x  # noqa: F821
        last = np.sin(x * i)
        z = last if i == 0 else z
    return np.sum(z) + np.sum(last)


def outer_loop(x, w):
    total = 0.0
    for e in range(3):
        h = x * e
        with s2sgrad.checkpoint(snapshots=2):
            for _t in range(6):
                h = np.tanh(h * w + x)
        total = total + np.sum(h)
    return total


def outer_plain(x, w):
    total = 0.0
    for e in range(3):
        h = x * e
        for _t in range(6):
            h = np.tanh(h * w + x)
        total = total + np.sum(h)
    return total


def test_state_first_set_inside_and_nested_in_a_loop():
    x, w = rng.standard_normal(3), rng.standard_normal(3)
    compare(first_set_inside, (x, 7), (0,), 2)
    v1, g1 = sg.value_and_grad(outer_loop, wrt=(0, 1))(x, w)
    v2, g2 = sg.value_and_grad(outer_plain, wrt=(0, 1))(x, w)
    same(v1, v2)
    for a, b in zip(g1, g2):
        same(a, b)


def test_zero_trips_and_pullback_twice():
    out, pull = sg.vjp(rnn_marked, *RNN_ARGS)
    g1 = pull(1.0)
    g2 = pull(2.0)          # the kept states were freed: the forward run is redone
    for a, b in zip(g1, g2):
        if a is not None:
            same(2 * a, b)
    _, g0 = sg.value_and_grad(rnn_marked, wrt=(0, 4))(WX, WH, B, XS[:0], H0)
    same(g0[0], np.zeros_like(WX))
    same(g0[1], 2 * H0)


# -- while loops --------------------------------------------------------------------------

def grow(x, w):
    h = x
    n = 0
    while np.sum(h * h) < 1e4 and n < 200:
        h = h * 1.05 + np.sin(h * w)
        n += 1
    return np.sum(h) * n


@pytest.mark.parametrize("budget", [1, 2, 3, 5, 8, None])
def test_while_equals_plain_within_budget(budget):
    x, w = np.full(3, 0.5) + rng.uniform(0, 0.1, 3), rng.standard_normal(3)
    stats = compare(grow, (x, w), (0, 1), budget)
    assert stats["steps"] > 50
    assert stats["peak_snapshots"] <= (budget or revolve.DEFAULT_WHILE_SNAPSHOTS)


def grow_marked(x, w):
    h = x
    with s2sgrad.checkpoint(snapshots=3):
        while np.sum(h * h) < 100:
            h = h * 1.1 + np.sin(h * w)
    return np.sum(h)


def test_while_against_differences():
    check(grow_marked, np.array([0.5, 0.6, 0.7]), np.array([0.1, -0.2, 0.3]))


# -- the Tensor path ----------------------------------------------------------------------

def test_tensor_backward_equals_plain():
    pytest.importorskip("s2sgrad.runtime.tensor")
    ts = [s2sgrad.tensor(a, requires_grad=True) for a in RNN_ARGS]
    sg.grad(rnn, checkpoint=3)(*ts).backward()
    ps = [s2sgrad.tensor(a, requires_grad=True) for a in RNN_ARGS]
    sg.grad(rnn)(*ps).backward()
    for a, b in zip(ts, ps):
        same(a.grad.numpy(), b.grad.numpy())


# -- refused ------------------------------------------------------------------------------

def breaks(x):
    with s2sgrad.checkpoint():
        for i in range(3):
            if i > 1:
                break
            x = x * 2
    return x


def returns(x):
    with s2sgrad.checkpoint():
        for _i in range(3):
            x = x * 2
            if np.sum(x) > 5:
                return x
    return x


def writes_outside(x):
    y = np.zeros(3)
    with s2sgrad.checkpoint():
        for i in range(3):
            y[i] = x[i] * 2
    return np.sum(y)


def maybe_set(x):
    if np.sum(x) > 0:
        z = x
    with s2sgrad.checkpoint():
        for i in range(3):
            z = x * i
    return z


def two_statements(x):
    with s2sgrad.checkpoint():
        x = x * 2
        for _i in range(3):
            x = x * 2
    return x


def with_two_items(x):
    with s2sgrad.checkpoint(), s2sgrad.no_grad():
        for _i in range(3):
            x = x * 2
    return x


@pytest.mark.parametrize("f, message", [
    (breaks, "break inside a checkpointed loop"),
    (returns, "return inside a checkpointed loop"),
    (writes_outside, "writes into 'y'"),
    (maybe_set, "'z' may or may not be set"),
    (two_statements, "exactly one for or while loop"),
    (with_two_items, "the only item"),
])
def test_refused(f, message):
    with pytest.raises(TransformError, match=message):
        sg.gradient(f)(np.ones(3))


def test_bad_budgets():
    with pytest.raises(ValueError):
        s2sgrad.checkpoint(snapshots=0)
    with pytest.raises(TransformError):
        sg.gradient(rnn, checkpoint=0)(*RNN_ARGS)
