"""Control flow: branches on data, loops of every kind, jumps, nesting."""
import numpy as np
import pytest

import s2sgrad.api as sg

from .helpers import check

rng = np.random.default_rng(1)
A = rng.standard_normal((3, 4))
V = rng.standard_normal(4)
W = rng.standard_normal((4, 4)) * 0.5


def branches(x, y):
    if np.sum(x) > 0:
        z = x * y
    elif np.sum(y) > 0:
        z = np.tanh(y) + x
    else:
        z = x - 1
    if np.max(z) > 100:
        z = z * 0
    return z * 2


def branch_reassign(x):
    y = x
    if np.sum(x) > -100:
        y = y * 3
        y = np.sin(y)
    return y


def for_range(x, n):
    acc = x * 0
    for i in range(n):
        acc = acc + np.tanh(x * i)
    return acc


def for_range_step(x):
    acc = 1.0
    for i in range(1, 7, 2):
        acc = acc * x + i
    return acc


def for_rows(x):
    total = 0.0
    for row in x:
        total = total + np.sum(row * row)
    return total


def for_list(x, y):
    total = x
    for v in [x, y, x * y]:
        total = total * v
    return total


def for_enumerate_zip(x, y):
    out = 0.0
    for i, (a, b) in enumerate(zip(x, y)):
        out = out + i * a * b
    return out


def while_data(x):
    y = x * 2
    while np.sum(y * y) < 1000:
        y = y * 1.5
    return y


def loop_break_continue(x):
    acc = x
    for i in range(10):
        if i % 3 == 0:
            continue
        acc = np.sin(acc) + x
        if np.sum(acc) > 3:
            break
        acc = acc * 1.1
    return acc


def early_return(x):
    if np.sum(x) > 0:
        return x * 2
    y = x * x
    for _ in range(3):
        y = y + x
        if np.sum(y) > 5:
            return y * 3
    return y


def nested(x):
    total = x * 0
    for i in range(3):
        y = x * (i + 1)
        k = 0
        while k < 5:
            k = k + 1
            if np.sum(y) > 4:
                y = y * 0.5
                break
            y = y + np.cos(y)
        total = total + y
    return total


def rnn(w, h):
    for t in range(4):
        h = np.tanh(h @ w + 0.1 * t)
    return np.sum(h * h)


def accumulate_in_loop(w, xs):
    loss = 0.0
    for t in range(3):
        loss = loss + np.sum(np.tanh(xs[t] @ w))
    return loss


def test_branches():
    check(branches, A, A)
    check(branches, -A - 5, A + 5)
    check(branches, -A - 5, -A - 5)


def test_branch_reassign():
    check(branch_reassign, A)


@pytest.mark.parametrize("n", [0, 1, 4])
def test_for_range(n):
    check(for_range, A, n)


def test_for_range_step():
    check(for_range_step, 0.9)
    check(for_range_step, A)


def test_for_rows_list_enumerate_zip():
    check(for_rows, A)
    check(for_list, A, A * 0.5)
    check(for_enumerate_zip, V, V * 2)


def test_while_data_dependent():
    check(while_data, np.array([0.1, 0.2, 0.3]))
    check(while_data, np.array([30.0, 1.0]))


def test_break_continue():
    check(loop_break_continue, A * 0.1)
    check(loop_break_continue, A + 2)


def test_early_return():
    check(early_return, np.abs(A))
    check(early_return, -np.abs(A) * 0.1)
    check(early_return, -np.abs(A))


def test_nested_break_in_while_in_for_with_branch():
    check(nested, A * 0.1)
    check(nested, np.abs(A))


def test_rnn_loop_carried():
    check(rnn, W, A)
    check(accumulate_in_loop, W, rng.standard_normal((3, 2, 4)))


def test_seed_while_doubling_functional():
    v = np.array([0.1, 1.0, 0.0001])
    x = np.array([0.1, 0.2, 0.3])
    _out, pb = sg.vjp(_double, x)
    k = 1
    y = x * 2
    while np.linalg.norm(y) < 1000:
        y = y * 2
        k += 1
    assert np.allclose(pb(v)[0], v * 2 ** k)


def _double(x):
    y = x * 2
    while y.data.norm() < 1000:
        y = y * 2
    return y


def test_values_never_overwritten_are_not_pushed():
    src = sg.grad(rnn).source
    fwd = src[src.index("def rnn_fwd"):src.index("def rnn_adj")]
    assert "_stack.append(h)" in fwd
    assert "_stack.append(w)" not in fwd


def comprehensions(x, w):
    v = 10.0
    ys = [np.tanh(v * w) for v in x]                  # v is the comprehension's own
    pairs = sum(np.sum(a * b) for a in x for b in ys if np.sum(b) > -1e9)
    scaled = np.stack([r * i for i, r in enumerate(x) if i != 1])
    nested = np.stack([[r[0] * r[1] for _ in range(2)][1] for r in x])
    return pairs + np.sum(scaled ** 2) + np.sum(nested) * v + np.sum(np.stack([x for x in x]))


def test_list_comprehensions_and_generator_expressions():
    rng = np.random.default_rng(5)
    check(comprehensions, rng.standard_normal((3, 4)), rng.standard_normal(4))
