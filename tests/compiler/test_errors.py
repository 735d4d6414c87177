"""Every refused construct raises TransformError naming file, line and a caret."""
import numpy as np
import pytest

import s2sgrad.api as sg
from s2sgrad.compiler.errors import TransformError

X = np.arange(3.0)


def gen(x):
    yield x


def trying(x):
    try:
        y = x * 2
    except ValueError:
        y = x
    return y


def global_write(x):
    global X
    X = x
    return x


def nonlocal_write(x):
    k = 1.0

    def inner():
        nonlocal k
        k = 2.0
        return x
    return inner()


def class_inside(x):
    class K:
        pass
    return x


def lambda_inside(x):
    fs = (lambda v: v * 2,)  # a lambda as a value (one bound to a name and called works)
    return fs[0](x)


def comprehension(x):
    return sum({v * 2 for v in x})


def star_args(x, *rest):
    return x


def star_call(x):
    return np.add(*[x, x])


def walrus(x):
    if (y := x * 2) is not None:
        return y
    return x


def delete(x):
    y = x * 2
    del y
    return x


def import_inside(x):
    from math import pi  # a value, not a module or function (import math works)
    return x * pi


def with_other(x):
    with open("f"):
        pass
    return x


def recursive(x, n):
    if n == 0:
        return x
    return recursive(x * 2, n - 1)


def unknown_call(x):
    return np.frexp(x)[0]


def unknown_method(x):
    return x.conj_weird()


def attribute_write(x):
    x.foo = 1
    return x


CASES = [
    (gen, "generator"), (trying, "try"), (global_write, "global"),
    (nonlocal_write, "nonlocal"), (class_inside, "class defined inside"),
    (lambda_inside, "lambda"), (comprehension, "set comprehension"), (star_args, r"\*args"),
    (star_call, "star-unpacking"), (walrus, ":="), (delete, "del"),
    (import_inside, "import"), (with_other, "with statement"),
    (recursive, "recursion"), (unknown_call, "no gradient rule"),
    (unknown_method, "conj_weird"), (attribute_write, "attributes cannot be written"),
]


@pytest.mark.parametrize("fn,match", CASES, ids=[c[0].__name__ for c in CASES])
def test_refused(fn, match):
    n = fn.__code__.co_argcount
    args = (X, 2)[:n] if fn is not star_args else (X,)
    with pytest.raises(TransformError, match=match) as info:
        sg.gradient(fn)(*args)
    e = info.value
    assert e.filename == __file__
    assert e.lineno > fn.__code__.co_firstlineno - 1
    assert "^" in str(e) and f"line {e.lineno}" in str(e)


def test_no_rule_error_says_how_to_register():
    with pytest.raises(TransformError) as info:
        sg.gradient(unknown_call)(X)
    assert "s2sgrad.rule" in str(info.value) and "frexp" in str(info.value)


def test_lambda_itself_is_refused():
    with pytest.raises(TransformError, match="lambda"):
        sg.gradient(lambda x: x * 2)(X)


def test_builtin_without_source_is_refused():
    with pytest.raises(TransformError, match="source"):
        sg.gradient(np.frexp)(X)
