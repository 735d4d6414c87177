"""Writes through aliases are refused, never differentiated as if no alias existed.

Each function below differentiates wrongly if the compiler treated its arrays as
independent; each must raise ``TransformError`` naming the write.
"""
import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.compiler.errors import TransformError

from .helpers import check


def sort_in_place(x):
    y = x * 2
    y.sort()
    return np.sum(y * np.arange(3))


def fill_in_place(x):
    y = x * 1
    y.fill(3.0)
    return np.sum(y * x)


def out_argument(x):
    y = np.empty(3)
    np.multiply(x, 2, out=y)
    return np.sum(y ** 2)


def augmented_through_reference(x):
    y = x * 1
    z = y
    z += 1
    return np.sum(y * x)


def write_through_slice_view(x):
    y = x * 1
    v = y[1:]
    v[0] = 10.0
    return np.sum(y * x)


def write_through_reshape_view(x):
    y = x * 1
    v = y.reshape(3, 1)
    v[0, 0] = 10.0
    return np.sum(y * x)


def write_through_loop_row(x):
    m = np.outer(x, x)
    for row in m:
        row[0] = 0.0
    return np.sum(m)


def write_into_argument_view(x):
    v = x[1:]
    v[0] = 1.0
    return np.sum(x ** 2)


@pytest.mark.parametrize("f, word", [
    (sort_in_place, ".sort()"), (fill_in_place, ".fill()"), (out_argument, "out="),
    (augmented_through_reference, "'z'"), (write_through_slice_view, "'v'"),
    (write_through_reshape_view, "'v'"), (write_through_loop_row, "'row'"),
    (write_into_argument_view, "'v'")])
def test_alias_writes_are_refused(f, word):
    with pytest.raises(TransformError) as info:
        sg.gradient(f)(np.array([0.5, -1.0, 2.0]))
    msg = str(info.value)
    assert word in msg and "test_aliasing.py" in msg


def independent_copy(x):
    y = x * 1
    v = y[1:].copy()
    v[0] = 10.0
    acc = np.zeros(3)
    acc[0] = x[0] * 2
    acc += x
    return np.sum(y * x) + np.sum(v) + np.sum(acc * x)


def test_independent_arrays_still_compile():
    x = np.array([0.5, -1.0, 2.0])
    g = sg.gradient(independent_copy)(x)
    # sum(x*x) + (10 + x2) + (3 x0^2 + x1^2 + x2^2)
    np.testing.assert_allclose(g, [8 * x[0], 4 * x[1], 4 * x[2] + 1], rtol=1e-12)


def module_functions_named_like_methods(x):
    s = np.sort(x * np.array([1.0, -2.0, 3.0]))       # np.sort returns a new array
    return np.sum(s * np.arange(3.0))


def test_module_functions_named_like_in_place_methods_compile():
    check(module_functions_named_like_methods, np.array([0.5, -1.0, 2.0]))


def write_through_enumerated_row(x):
    m = np.outer(x, x)
    for _i, row in enumerate(m):
        row[0] = 0.0
    return np.sum(m)


def write_through_dict_value(x):
    d = {"a": x * 1, "b": x * 2}
    for _k, v in d.items():
        v[0] = 0.0
    return np.sum(d["a"] * x)


def write_through_comprehension_element(x):
    m = np.outer(x, x)
    rows = [r for r in m]
    rows[0][0] = 0.0
    return np.sum(m)


@pytest.mark.parametrize("f", [write_through_enumerated_row, write_through_dict_value,
                               write_through_comprehension_element])
def test_writes_through_loop_bindings_are_refused(f):
    with pytest.raises(TransformError, match="may share memory"):
        sg.gradient(f)(np.array([0.5, -1.0, 2.0]))
