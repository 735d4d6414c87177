"""Forward mode by source transformation, and higher order through it.

jvp against central differences (straight-line code, broadcasting, 0-d and
Python floats, control flow, containers, user calls); <v, J u> by jvp and by
``s2sgrad.vjp`` agree; Hessians are symmetric and equal finite differences of
``s2sgrad.gradient``; hvp against ``torch.func``; gradients of gradients; the
readable tangent source; errors.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import s2sgrad
from s2sgrad.autograd.gradcheck import assert_close, numerical_vjp
from s2sgrad.compiler.errors import TransformError
from s2sgrad.forward_api import (gradient, hessian, hvp, jacobian, jvp, jvp_function,
                                 jvp_source)

EPS = 1e-6


def _fd_jvp(f, primals, tangents):
    up = f(*[p + EPS * t if t is not None else p for p, t in zip(primals, tangents)])
    down = f(*[p - EPS * t if t is not None else p for p, t in zip(primals, tangents)])
    if isinstance(up, tuple):
        return tuple((np.asarray(u) - np.asarray(d)) / (2 * EPS) for u, d in zip(up, down))
    return (np.asarray(up) - np.asarray(down)) / (2 * EPS)


def _rand(*shape, seed=0, lo=-1.0, hi=1.0):
    if shape == ("s",):
        return float(np.random.default_rng(seed).uniform(lo, hi))
    return np.random.default_rng(seed).uniform(lo, hi, shape)


def _check_jvp(f, primals, tangents, rtol=1e-5, atol=1e-6):
    out, t = jvp(f, primals, tangents)
    f = s2sgrad.grad(f)            # the compiled primal: PyTorch-style methods run on arrays
    want_out = f(*primals)
    num = _fd_jvp(f, primals, tangents)
    if isinstance(want_out, tuple):
        for o, w, a, n in zip(out, want_out, t, num):
            np.testing.assert_allclose(o, w)
            assert np.shape(a) == np.shape(w)
            assert_close(a, n, rtol, atol)
    else:
        np.testing.assert_allclose(out, want_out)
        assert np.shape(t) == np.shape(want_out)
        assert_close(t, num, rtol, atol)
    return t


# ---------------------------------------------------------------- straight-line code

def mlp(w1, b1, w2, x):
    h = np.tanh(x @ w1 + b1)
    return np.mean(np.exp(h @ w2) / (1.0 + h * h).sum())


def broadcasting(x, y):
    z = x * y - x / (y + 3.0)
    return np.sum(z ** 2, axis=0) + np.maximum(x, 0.1)


def pytorch_style(x):
    y = x.exp().sum(axis=1) + x.T.mean()
    return y.reshape(-1, 1) * x


def floats_and_math(x, y):
    return math.sin(x) * y + x ** 2 / (1.0 + abs(y))


@pytest.mark.parametrize("shapes", [((3, 4), (4,), (4, 2), (5, 3)), ((2, 2), (1, 2), (2, 1),
                                                                      (1, 2))])
def test_jvp_straight_line_all_and_each_input(shapes):
    primals = [_rand(*s, seed=i) for i, s in enumerate(shapes)]
    tangents = [_rand(*s, seed=10 + i) for i, s in enumerate(shapes)]
    _check_jvp(mlp, primals, tangents)
    for k in range(len(primals)):
        only = [t if i == k else None for i, t in enumerate(tangents)]
        _check_jvp(mlp, primals, only)


@pytest.mark.parametrize("sx, sy", [((3, 1), (4,)), ((), ()), ((2, 3), ()), (("s",), (3,)),
                                    ((3,), ("s",))])
def test_jvp_broadcasting_0d_and_floats(sx, sy):
    x, y = _rand(*sx, seed=1), _rand(*sy, seed=2, lo=0.2, hi=1.0)
    dx, dy = _rand(*sx, seed=3), _rand(*sy, seed=4)
    _check_jvp(broadcasting, [x, y], [dx, dy])
    _check_jvp(broadcasting, [x, y], [dx, None])
    _check_jvp(broadcasting, [x, y], [None, dy])


def test_jvp_pytorch_style_methods_and_python_math():
    _check_jvp(pytorch_style, [_rand(3, 4)], [_rand(3, 4, seed=5)])
    out, t = jvp(floats_and_math, (0.3, -0.7), (1.0, 0.5))
    assert isinstance(t, float)
    assert_close(t, _fd_jvp(floats_and_math, [0.3, -0.7], [1.0, 0.5]))


# ---------------------------------------------------------------- control flow, containers

def branches_and_loops(x, n):
    s = x * 0.0
    for i in range(n):
        if i % 2 == 0:
            s = s + np.sin(x * i)
        else:
            s = s * x
            continue
        if np.sum(s) > 100.0:
            break
    k = 0
    while np.sum(np.abs(s)) > 1.0 and k < 10:
        s = s / 2.0
        k += 1
    return s


def early_return(x):
    if np.sum(x) > 0:
        return np.exp(x)
    y = x * x
    return y + 1.0


def containers(x, ys):
    acc = []
    for y in ys:
        acc.append(x * y)
    pair = (acc[0], acc[-1])
    a, b = pair
    d = {"a": a, "b": b}
    z = np.zeros(3)
    z[0] = np.sum(a)
    z[1:] = b[:2] * 2.0
    return np.stack(acc) @ z + d["b"].sum()


def _helper(u, v):
    return np.tanh(u) * v


def calls_a_user_function(x, y):
    return _helper(x, y) + _helper(y, x) * 2.0


@pytest.mark.parametrize("n", [0, 1, 4, 7])
def test_jvp_loops_branches_break_continue_while(n):
    x = _rand(3, seed=n)
    out, t = jvp(branches_and_loops, (x, n), (_rand(3, seed=9), None))
    assert_close(t, _fd_jvp(lambda x: branches_and_loops(x, n), [x], [_rand(3, seed=9)]))


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_jvp_early_return(sign):
    x = sign * np.abs(_rand(4))
    _check_jvp(early_return, [x], [_rand(4, seed=3)])


def test_jvp_containers_setitem_append_unpack():
    x = _rand(3, seed=1)
    ys = [_rand(3, seed=2), _rand(3, seed=3)]
    out, t = jvp(containers, (x, ys), (_rand(3, seed=4), None))
    assert_close(t, _fd_jvp(lambda x: containers(x, ys), [x], [_rand(3, seed=4)]))


def test_jvp_through_user_functions():
    _check_jvp(calls_a_user_function, [_rand(2, 3), _rand(3, seed=1)],
               [_rand(2, 3, seed=2), _rand(3, seed=3)])


# ---------------------------------------------------------------- jvp and vjp agree

@pytest.mark.parametrize("f, shapes", [(mlp, ((3, 4), (4,), (4, 2), (5, 3))),
                                       (broadcasting, ((3, 1), (4,))),
                                       (containers, None)])
def test_v_J_u_by_jvp_equals_by_vjp(f, shapes):
    if shapes is None:
        primals = [_rand(3, seed=1), [_rand(3, seed=2), _rand(3, seed=3)]]
        us = [_rand(3, seed=4), None]
    else:
        primals = [_rand(*s, seed=i) + (1.5 if f is broadcasting and i == 1 else 0.0)
                   for i, s in enumerate(shapes)]
        us = [_rand(*s, seed=20 + i) for i, s in enumerate(shapes)]
    out, ju = jvp(f, primals, us)
    v = _rand(*np.shape(out), seed=30) if np.ndim(out) else 0.7
    _, pullback = s2sgrad.vjp(f, *primals)
    grads = pullback(v)
    lhs = float(np.sum(np.asarray(v) * ju))
    rhs = sum(float(np.sum(g * u)) for g, u in zip(grads, us) if u is not None)
    assert np.isclose(lhs, rhs, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------- second order

def scalar_loss(w, x, y):
    h = np.tanh(x @ w)
    return np.mean((h - y) ** 2) + 0.1 * np.sum(w ** 4)


def looped_loss(w, n):
    s = 0.0
    for i in range(n):
        s = s + np.sum(np.sin(w * (i + 1)) * w)
    return s


def _fd_hessian(f, x, args):
    g = s2sgrad.gradient(f)
    n = x.size
    cols = []
    for j in range(n):
        e = np.zeros(n)
        e[j] = 1.0
        e = e.reshape(x.shape)
        cols.append(np.ravel((g(x + EPS * e, *args) - g(x - EPS * e, *args)) / (2 * EPS)))
    return np.stack(cols, axis=1).reshape(x.shape + x.shape)


@pytest.mark.parametrize("f, x, args", [
    (scalar_loss, _rand(3, 2), (_rand(5, 3, seed=1), _rand(5, 2, seed=2))),
    (looped_loss, _rand(4), (3,)),
    (looped_loss, _rand(2, 2), (0,)),
])
def test_hessian_symmetric_and_equal_to_differences_of_the_gradient(f, x, args):
    H = hessian(f)(x, *args)
    assert H.shape == x.shape + x.shape
    n = x.size
    M = H.reshape(n, n)
    np.testing.assert_allclose(M, M.T, atol=1e-12)
    assert_close(H, _fd_hessian(f, x, args), rtol=1e-5, atol=1e-6)


def test_hvp_matches_hessian_and_finite_differences():
    x, a, b = _rand(3, 2), _rand(5, 3, seed=1), _rand(5, 2, seed=2)
    v = _rand(3, 2, seed=3)
    hv = hvp(scalar_loss, x, v, a, b)
    H = hessian(scalar_loss)(x, a, b).reshape(6, 6)
    assert_close(hv, (H @ v.ravel()).reshape(3, 2), rtol=1e-10, atol=1e-12)


def test_hvp_matches_torch_func():
    torch = pytest.importorskip("torch")
    from torch.func import grad, jvp as tjvp
    x, a, b = _rand(3, 2), _rand(5, 3, seed=1), _rand(5, 2, seed=2)
    v = _rand(3, 2, seed=3)

    def tloss(w):
        h = torch.tanh(torch.tensor(a) @ w)
        return torch.mean((h - torch.tensor(b)) ** 2) + 0.1 * torch.sum(w ** 4)
    want = tjvp(grad(tloss), (torch.tensor(x),), (torch.tensor(v),))[1].numpy()
    assert_close(hvp(scalar_loss, x, v, a, b), want, rtol=1e-10, atol=1e-12)


def cubic(x):
    return np.sin(x) * x ** 3


def test_gradient_of_gradient_scalar_and_third_order():
    x = 0.7
    d1, d2 = gradient(cubic), gradient(gradient(cubic))
    d3 = gradient(d2)
    assert_close(d2(x), (d1(x + 1e-5) - d1(x - 1e-5)) / 2e-5, rtol=1e-7)
    assert_close(d3(x), (d2(x + 1e-5) - d2(x - 1e-5)) / 2e-5, rtol=1e-7)
    assert_close(d1(x), s2sgrad.gradient(cubic)(x))


def test_gradient_of_gradient_through_control_flow_and_arrays():
    assert_close(gradient(gradient(looped_loss))(_rand(4), 3),
                 hessian(looped_loss)(_rand(4), 3).sum(axis=0), rtol=1e-10)
    # A mixed second derivative: d/d x of sum(d f / d w).
    w, xx, y = _rand(3, 2), _rand(5, 3, seed=1), _rand(5, 2, seed=2)
    mixed = gradient(gradient(scalar_loss, 0), 1)(w, xx, y)
    g0 = s2sgrad.gradient(scalar_loss, 0)
    num = numerical_vjp(lambda xx: g0(w, xx, y), [xx], [0], np.ones((3, 2)))[0]
    assert_close(mixed, num, rtol=1e-5, atol=1e-6)


def vector_fn(x, c):
    return np.tanh(x[:-1]) * x[1:] * c


@pytest.mark.parametrize("n_in", [3, 1])
def test_jacobian_forward_columns_and_reverse_rows(n_in):
    x = _rand(n_in + 2) if n_in == 3 else _rand(3)
    J = jacobian(vector_fn)(x, 2.0)
    num = np.stack([_fd_jvp(lambda x: vector_fn(x, 2.0), [x], [e])
                    for e in np.eye(x.size)], axis=1)
    assert J.shape == (x.size - 1, x.size)
    assert_close(J, num)

    def wide(x):
        return np.sum(x ** 2) * x[:2]
    Jw = jacobian(wide)(_rand(6))
    numw = np.stack([_fd_jvp(wide, [_rand(6)], [e]) for e in np.eye(6)], axis=1)
    assert_close(Jw, numw)


# ---------------------------------------------------------------- readable source, errors

def golden(x, y):
    z = x * y
    return np.sin(z) + y


GOLDEN = '''def golden_jvp(x, y, *, _tangents=()):
    dx = _tangents[0]
    # tangent of: z = x * y
    z = x * y
    dz = broadcast_tangent(dx * y, z)
    # tangent of: return np.sin(z) + y
    _t2 = np.sin(z)
    _dt2 = dz * np.cos(z)
    _t1 = _t2 + y
    _dt1 = broadcast_tangent(_dt2, _t1)
    return (_t1, _dt1)
'''


def test_golden_tangent_source():
    # y does not move, and could be an array x broadcasts against: dz takes z's shape.
    assert jvp_source(golden, np.ones(2), 3) == GOLDEN
    jf = jvp_function(golden)
    jf((np.ones(2), np.ones(2)), (np.ones(2), np.ones(2)))
    assert "dz = dx * y + x * dy\n" in jf.source
    assert jvp_source(golden, np.ones(2), 3) == jvp_source(golden, np.ones(2), 3)


def _opaque(x):
    return x.argpartition(1)


def uses_an_unknown_method(x):
    return x.cumulative_foo() * 2.0


def test_error_names_the_construct():
    with pytest.raises(TransformError, match="cumulative_foo"):
        jvp(uses_an_unknown_method, (np.ones(3),), (np.ones(3),))


def test_error_for_a_primitive_without_a_forward_rule():
    from s2sgrad.rules import nn as nn_rules

    def conv(x, w):
        return nn_rules.conv2d(x, w)
    if s2sgrad.rules.lookup(nn_rules.conv2d).tangent is not None:
        pytest.skip("conv2d has a forward rule now")
    with pytest.raises(TransformError, match="no tangent"):
        jvp(conv, (np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2))),
            (np.ones((1, 1, 3, 3)), None))


def test_tangent_shape_is_checked():
    with pytest.raises(ValueError, match="shape"):
        jvp(golden, (np.ones(2), np.ones(2)), (np.ones(3), None))
