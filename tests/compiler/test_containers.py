"""Containers and writes: lists, tuples, dicts, subscripts, stop-gradient blocks."""
import numpy as np
import pytest

import s2sgrad.api as sg
from s2sgrad.compiler.errors import TransformError
from s2sgrad.runtime.grad_mode import no_grad

from .helpers import check

rng = np.random.default_rng(2)
A = rng.standard_normal((3, 4))
B = rng.standard_normal((3, 4))


def list_ops(x, y):
    xs = [x, y]
    xs.append(x * y)
    total = xs[0] * len(xs)
    for v in xs:
        total = total + np.sin(v)
    return total + xs[-1] + xs[1]


def list_stack(x):
    hs = []
    h = x[0]
    for t in range(3):
        h = np.tanh(h + x[t])
        hs.append(h)
    return np.sum(np.stack(hs) ** 2) + sum(hs).sum()


def tuples(x, y):
    t = (x, y * 2)
    a, b = t
    u = t[1] * a
    return u + b


def dicts(x, y):
    d = {"a": x, "b": y * 3}
    d2 = {"c": d["a"] * d["b"]}
    return d2["c"] + d["a"]


def subscripts(x):
    a = x[0]
    b = x[1:3, ::2]
    c = x[:, None, 1]
    d = x[..., -1]
    e = x[np.array([0, 0, 2])]
    f = x[x > 0]
    return np.sum(a) + np.sum(b * b) + np.sum(c) + np.sum(d) + np.sum(e ** 2) + np.sum(f)


def writes(x, y):
    z = np.zeros((3, 4))
    z[0] = x[0] * 2
    z[1:, :2] = y[1:, :2] ** 2
    z[2, 3] += x[2, 3] * y[2, 3]
    z[1] += np.tanh(x[1])
    z[0] = z[0] * x[0]
    return z


def writes_in_loop(x):
    z = np.zeros((4,))
    for i in range(4):
        z[i] = np.sum(x[:, i] ** 2)
        z[i] += z[i - 1] * x[0, i] if i > 0 else 0.0
    return z


def write_broadcast(x, s):
    z = np.ones((3, 4))
    z[1] = s
    z[:, 0] = x[:, 0]
    return z * x


def no_grad_block(x):
    y = x * 2
    with no_grad():
        k = np.sum(y)
    return y * k


def test_lists():
    check(list_ops, A, B)
    check(list_stack, A)


def test_tuples_and_dicts():
    check(tuples, A, B)
    check(dicts, A, B)


def test_subscript_reads():
    check(subscripts, A)


def test_subscript_writes_restore_overwritten_values():
    check(writes, A, B)
    check(writes_in_loop, A)
    check(write_broadcast, A, 0.3)


def test_with_no_grad_stops_gradient():
    g = sg.gradient(no_grad_block)(A)
    assert np.allclose(g, 2 * 2 * np.sum(A))


def writes_argument(x):
    x[0] = 1.0
    return x * 2


def test_writing_into_an_argument_is_refused():
    with pytest.raises(TransformError, match="argument"):
        sg.gradient(writes_argument)(A.copy())


def test_returned_written_array_is_not_changed_by_backward():
    out, pb = sg.vjp(writes, A, B)
    keep = out.copy()
    pb(np.ones_like(out))
    assert np.array_equal(out, keep)


def dict_iteration(x, y):
    d = {"a": x, "bb": x * y}
    total = 0.0
    for k in d:                                   # keys of a dict display
        total = total + np.sum(d[k] ** 2)
    for k, v in d.items():
        total = total + np.sum(np.sin(v)) * len(k)
    for v in d.values():
        total = total + np.sum(v * y)
    for k in d.keys():  # noqa: SIM118  (the .keys() form is what is tested)
        total = total + np.sum(d[k]) * len(k)
    return total


def dict_built_by_writes(x, y):
    d = {}
    d["a"] = x * 2                                # new keys, then an overwrite
    d["b"] = np.tanh(y)
    d["a"] = d["a"] * d["b"]
    total = 0.0
    for k in d:
        total = total + np.sum(d[k] ** 2)
    return total


def test_dict_iteration_and_new_keys():
    check(dict_iteration, A, B)
    check(dict_built_by_writes, A, B)
    # The dict's keys are restored too: a second reversal of the same tape agrees.
    out, pullback = sg.vjp(dict_built_by_writes, A, B)
    first, second = pullback(1.0), pullback(1.0)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
