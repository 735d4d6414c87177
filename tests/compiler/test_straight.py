"""Straight-line programs: operators, calls, methods, user functions, constants."""
import math

import numpy as np
import pytest
from numpy import tanh

import s2sgrad as torch
import s2sgrad.api as sg
from s2sgrad.rules import rule

from .helpers import check

rng = np.random.default_rng(0)
A = rng.standard_normal((3, 4))
B = rng.standard_normal((3, 4))
ROW = rng.standard_normal(4)
M = rng.standard_normal((4, 2))
SCALE = 1.5


def arith(x, y):
    a = x + y
    b = x - y
    c = x * y
    d = x / (y * y + 1)
    e = -x
    f = +y
    return a * b + c - d * e + f ** 2


def powers(x, y):
    return np.sum(x ** 2 + (y * y + 1) ** 0.5 + 2 ** x)


def matmul(x, m):
    return np.tanh(x @ m)


def unpacking(x, y):
    a, b = x * 2, y + 1
    c = d = a * b
    e, (f, g) = c, (d, x)
    return e + f * g


def augmented(x, y):
    z = x * 1.0
    z += y
    z *= x
    z -= 1
    z /= 2
    z **= 2
    return z


def compare_bool(x, y):
    c = x > y
    both = (np.sum(x) > 0) and (np.sum(y) > -100)
    k = 2.0 if both else 3.0
    return np.where(c, x, y) * k


def cond_expr(x, y):
    return x * 2 if np.sum(x) > np.sum(y) else y * 3


def kwargs(x):
    return np.sum(x * x, axis=1, keepdims=True) + np.mean(x, axis=0)


def spellings(x):
    import_free = tanh(x)
    return np.tanh(x) + import_free + np.exp(x * 0.1)


def math_fns(s):
    return math.exp(s) + math.log(s + 3) * math.sin(s) + math.sqrt(s * s + 1) + math.cos(s)


def more_math_fns(s):
    # Every math function that shares its NumPy ufunc's rule record.
    return (math.tan(s) + math.tanh(s) * math.sinh(s) + math.cosh(s) + math.atan(s)
            + math.asin(s / 2) * math.acos(s / 3) + math.expm1(s) + math.log1p(s)
            + math.log2(s + 1) + math.log10(s + 2))


def builtins_fns(x, s):
    return (abs(s) + float(np.sum(x)) + max(s, 2 * s) + min(s, 2 * s) + len(x) * s
            + max(x[0]) * min(x[1]) + max([s * s, np.sum(x[2]), 0.5])
            - min(np.tanh(v) for v in x[0]))


def methods_np(x):
    return x.sum(axis=1) * x.mean() + x.reshape(12).sum() + x.T.dot(ROW[:3]).sum()


def methods_torch_plain(x):
    y = x.exp().pow(2).sum(dim=1, keepdim=True)
    z = x.tanh().mean(dim=0)
    return y + z + x.norm() + x.view(4, 3).sum(0).sum() + x.clone().abs().sum()


def helper(u, v=2.0, *, w=1.0):
    return u * v + w, u - v


def calls_user(x, y):
    a, b = helper(x, y)
    c, _ = helper(a, w=3.0)
    return a * b + c


def calls_nested_user(x):
    return calls_user(x, x * 2) + SCALE * x


def constants(x):
    return x * SCALE + np.pi + np.sum(A * x)


def test_arith():
    check(arith, A, B)


def test_arith_broadcast():
    check(arith, A, ROW)
    check(arith, np.array(1.3), A)


def test_arith_scalars():
    check(arith, 0.7, 1.9)
    check(arith, 0.7, A)


def test_powers():
    check(powers, A, B)


def test_matmul():
    check(matmul, A, M)


def test_unpacking_and_multiple_targets():
    check(unpacking, A, B)


def test_augmented_assignment():
    check(augmented, A, B)
    check(augmented, A, ROW)


def test_comparisons_and_bool_ops():
    check(compare_bool, A, B)


def test_conditional_expression():
    check(cond_expr, A, B)
    check(cond_expr, B, A)


def test_keyword_arguments():
    check(kwargs, A)


def test_spellings_resolve_to_one_rule():
    check(spellings, A)


def test_math_functions():
    check(math_fns, 0.8)
    check(more_math_fns, 0.8)
    check(more_math_fns, 0.3)


def test_builtins():
    check(builtins_fns, A, 0.8)
    check(builtins_fns, A, -0.8)


def test_numpy_methods():
    check(methods_np, A)


def test_torch_methods():
    check(methods_torch_plain, A)


def test_user_functions_keywords_defaults_tuples():
    check(calls_user, A, B)
    check(calls_nested_user, A)


def test_globals_and_closures():
    k = np.array([1.0, 2.0, 3.0, 4.0])

    check(constants, A)
    check(_closure(k), A)


def _closure(k):
    def f(x):
        return np.sum(np.tanh(x * k))
    return f


def my_op(x):
    return np.sinh(x) if hasattr(np, "sinh") else x


@rule(my_op, name="MyOpBackward0")
def _my_op_adjoint(g, out, x):
    return g * np.cosh(x)


def uses_custom(x):
    return my_op(x * 2).sum()


def test_user_rule_is_a_primitive():
    check(uses_custom, A)
    src = sg.grad(uses_custom).source
    assert "np.cosh" in src and "my_op(" in src


def test_value_and_grad_and_gradient_kinds():
    v, g = sg.value_and_grad(arith, wrt=(0, 1))(A, B)
    assert np.allclose(v, arith(A, B))
    assert g[0].shape == A.shape and g[1].shape == B.shape
    gs = sg.gradient(math_fns)(0.8)
    assert isinstance(gs, float)
    assert np.isclose(gs, (math_fns(0.8 + 1e-6) - math_fns(0.8 - 1e-6)) / 2e-6)


def test_vjp_non_float_arguments_get_none():
    _out, pb = sg.vjp(_mul_n, A, 3)
    gx, gn = pb(np.ones_like(A))
    assert gn is None and np.allclose(gx, 3)


def _mul_n(x, n):
    return x * n


def test_tuple_outputs_take_tuple_cotangents():
    _out, pb = sg.vjp(helper, A, B)
    gu, gv = pb((np.ones_like(A), None))
    assert np.allclose(gu, B) and np.allclose(gv, A)


def test_unused_input_gets_zeros():
    g = sg.gradient(_first, wrt=(0, 1))(A, B)
    assert np.all(g[1] == 0) and g[1].shape == B.shape


def _first(x, y):
    return np.sum(x)


@pytest.mark.parametrize("shape", [(), (5,), (2, 3)])
def test_shapes_incl_0d(shape):
    x = rng.standard_normal(shape)
    check(_shape_fn, np.asarray(x, dtype=np.float64))


def _shape_fn(x):
    return np.sum(np.exp(x) * x - np.sqrt(x * x + 1))


def stop_gradients(x):
    c = x.detach().sum() + x.data.sum() + x.sum().item()
    return c * x


def test_detach_data_item_stop_gradient():
    g = sg.gradient(stop_gradients)(A)
    assert np.allclose(g, 3 * np.sum(A))


def torch_style_max_min(x):
    v, i = x.max(dim=1)                      # PyTorch's (values, indices), not NumPy's max
    w, j = torch.min(x, 0, keepdim=True)
    full = torch.max(x) + torch.min(x, x * 0.5).sum()
    return np.sum(v * 2) + np.sum(w * i[0]) + full + x.max(1).sum() + np.sum(j)


def torch_style_std_var(x):
    # dim= is PyTorch's keyword, so PyTorch's unbiased estimator; x.std() stays NumPy's.
    return (np.sum(x.std(dim=1)) + np.sum(x.var(dim=0, unbiased=False))
            + np.sum(x.var(dim=1, correction=0) * 2) + x.std())


def test_torch_style_std_var_are_unbiased():
    x = np.array([[0.3, 1.2, -0.5], [2.0, 0.1, 0.7]])
    expect = (np.sum(np.std(x, axis=1, ddof=1)) + np.sum(np.var(x, axis=0))
              + np.sum(np.var(x, axis=1) * 2) + np.std(x))
    np.testing.assert_allclose(sg.grad(torch_style_std_var)(x), expect, rtol=1e-12)
    check(torch_style_std_var, x)


def test_torch_style_max_and_min_compile_with_torch_meaning():
    check(torch_style_max_min, np.array([[0.3, 1.2, -0.5], [2.0, 0.1, 0.7]]), tensor=False)
