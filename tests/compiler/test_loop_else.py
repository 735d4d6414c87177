"""``for ... else`` and ``while ... else``: the else body runs when the loop ends without
``break`` (nor ``return``); gradients of every path match finite differences."""
import numpy as np
import pytest

import s2sgrad.api as sg

from .helpers import check

SHAPES = [(), (3,), (2, 3)]


def _x(shape, seed=0):
    return np.random.default_rng(seed).uniform(0.2, 0.9, shape)


def for_else_no_break(x):
    s = x * 0.0
    for i in range(3):
        s = s + x * i
    else:
        s = np.sin(s) * x
    return np.sum(s)


def for_else_break_taken(x):
    s = x * 1.0
    for i in range(5):
        s = s * x
        if i == 2:
            break
    else:
        s = s + 100.0 * x
    return np.sum(s)


def for_else_break_data(x, limit):
    s = x * 1.0
    for _ in range(4):
        s = s * 1.5 + x
        if np.sum(s) > limit:
            break
    else:
        s = np.tanh(s)
    return np.sum(s * x)


def while_else(x, limit):
    s = x * 1.0
    k = 0
    while k < 4:
        k = k + 1
        s = s * x + 0.1
        if np.sum(s) > limit:
            break
    else:
        s = s * 3.0
    return np.sum(s)


def nested_else(x):
    total = x * 0.0
    for i in range(3):
        for j in range(3):
            if j > i:
                break
            total = total + x * j
        else:
            total = total * x
    else:
        total = total + np.exp(x)
    return np.sum(total)


def else_with_return(x, limit):
    s = x * 1.0
    for _ in range(3):
        s = s * x
        if np.sum(s) > limit:
            return np.sum(s * 2.0)
    else:
        s = s + np.cos(x)
    return np.sum(s)


def else_over_array(x):
    acc = 0.0
    for v in x:
        acc = acc + v * v
    else:
        acc = acc * 2.0
    return acc


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("fn", [for_else_no_break, for_else_break_taken, nested_else],
                         ids=lambda f: f.__name__)
def test_loop_else_matches_finite_differences(fn, shape):
    check(fn, _x(shape))


@pytest.mark.parametrize("limit", [-10.0, 1e6], ids=["breaks", "runs_else"])
@pytest.mark.parametrize("fn", [for_else_break_data, while_else, else_with_return],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(), (3,)], ids=str)
def test_loop_else_both_paths(fn, limit, shape):
    check(fn, _x(shape), limit)


def test_else_over_array_elements():
    check(else_over_array, _x((4,)))


def test_else_body_runs_only_without_break():
    x = np.array([0.5, 0.6])
    # Values follow Python: the else body runs exactly when no break happened.
    for limit in (-10.0, 1e6):
        assert np.isclose(sg.grad(for_else_break_data)(x, limit),
                          for_else_break_data(x, limit))
        assert np.isclose(sg.grad(while_else)(x, limit), while_else(x, limit))
        assert np.isclose(sg.grad(else_with_return)(x, limit), else_with_return(x, limit))


def test_loop_else_source_is_readable():
    src = sg.grad(for_else_break_data).source
    assert "_brk" in src and "np.tanh" in src


def checkpointed_else(x):
    import s2sgrad
    with s2sgrad.checkpoint():
        for _ in range(3):
            x = np.sin(x)
        else:
            x = x * 2.0
    return np.sum(x)


def test_else_on_a_checkpointed_loop_is_refused():
    from s2sgrad.compiler.errors import TransformError
    with pytest.raises(TransformError, match="else clause on a checkpointed loop") as info:
        sg.gradient(checkpointed_else)(_x((3,)))
    assert info.value.filename == __file__ and "for" in info.value.line
