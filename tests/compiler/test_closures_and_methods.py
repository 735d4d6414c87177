"""Nested functions, lambdas, *args callees, methods of user objects and imports inside
the differentiated function: gradients against finite differences, readable source,
and clear refusals for what stays unsupported."""
import numpy as np
import pytest

import s2sgrad
import s2sgrad.api as sg
from s2sgrad.compiler.errors import TransformError

from .helpers import check

SHAPES = [(), (3,), (2, 3)]


def _x(shape, seed=0):
    return np.random.default_rng(seed).uniform(0.2, 0.9, shape)


# -- nested functions (closures) ---------------------------------------------------------
def closure_simple(x):
    k = 3.0

    def inner(v):
        return v * k
    return np.sum(inner(x))


def closure_reads_active(x):
    y = np.sin(x)

    def inner(v, w=2.0):
        t = v * y
        return t + w * v
    return np.sum(inner(x) + inner(x * x, w=0.5))


def closure_late_binding(x):
    k = x * 1.0

    def scaled(v):
        return v * k
    a = scaled(x)
    k = x * x
    return np.sum(a + scaled(x))


def closure_default_bound_early(x):
    k = x * 1.0

    def scaled(v, c=k):
        return v * c
    k = x * 5.0
    return np.sum(scaled(x) + k)


def closure_early_return(x):
    def clip_sum(v):
        if np.sum(v) > 1.0:
            return np.sum(v * 0.5)
        s = 0.0
        for e in np.ravel(v):
            s = s + e * e
            if s > 100.0:
                return s
        return s
    return clip_sum(x) + clip_sum(x * 0.1)


def closure_in_loop(x):
    def step(v, i):
        return np.tanh(v) * (i + 1)
    s = x
    for i in range(3):
        s = step(s, i) + x
    return np.sum(s)


def closure_calls_closure(x):
    def sq(v):
        return v * v

    def poly(v):
        return sq(v) + 2.0 * v
    return np.sum(poly(x))


def closure_broadcast(x):
    b = np.array([1.0, 2.0, 3.0])

    def affine(v):
        return v * b + 1.0
    return np.sum(affine(x))


# -- lambdas -------------------------------------------------------------------------------
def lambda_named(x):
    g = lambda v: v * 2.0  # noqa: E731
    return np.sum(g(x))


def lambda_closure(x):
    c = np.cos(x)
    h = lambda v, p=2.0: v ** p * c  # noqa: E731
    return np.sum(h(x) + h(x, p=3.0))


def lambda_immediate(x):
    return np.sum((lambda v: np.exp(v) * v)(x))


def lambda_conditional(x):
    g = lambda v: v * 2.0 if np.sum(v) > 0 else -v  # noqa: E731
    return np.sum(g(x) * x)


# -- *args callees ----------------------------------------------------------------------------
def _star(*vs):
    return sum(np.sum(v) for v in vs)


def _weighted(w, *vs, scale=1.0):
    total = 0.0
    for i, v in enumerate(vs):
        total = total + np.sum(v * v) * (i + w)
    return total * scale


def star_three(x):
    return _star(x, x, x)


def star_mixed(x):
    return _weighted(2.0, x, np.sin(x), scale=0.5) + _weighted(1.0)


def _kw_sum(x, *, scale=1.0, **kw):
    return np.sum(x * kw["a"]) * scale + np.sum(kw["b"] ** 2)


def star_kwargs(x):
    return _kw_sum(x, a=2.0, b=np.sin(x)) + _kw_sum(x, scale=3.0, b=x, a=x)


def star_none_active(x):
    return _star(1.0, 2.0) * np.sum(x)


# -- methods of user objects ------------------------------------------------------------------
class _Model:
    def __init__(self, s):
        self.s = s
        self.w = np.array([1.0, -2.0, 0.5])

    def forward(self, x):
        return np.sum(x * self.s)

    def layer(self, x, bias=0.0):
        return np.tanh(x * self.s + bias)

    def project(self, x):
        return np.sum(x * self.w)


class _Callable:
    def __init__(self, s):
        self.s = s

    def __call__(self, x):
        return np.cos(x) * self.s


P = _Callable(1.5)


class _Child(_Model):
    def layer(self, x, bias=0.0):
        return np.sin(x) * self.s + bias


M = _Model(3.0)


def method_local(x):
    m = _Model(2.0)
    return m.forward(x)


def method_global(x):
    return M.forward(x) + np.sum(M.layer(x, bias=0.1))


def method_subclass(x):
    m = _Child(0.5)
    return np.sum(m.layer(x)) + m.forward(x)


def method_call_instance(x):
    return np.sum(P(x) * x)


def method_local_in_loop(x):
    s = x
    for i in range(3):
        m = _Child(0.5 * i)
        s = m.layer(s, bias=0.1) + M.layer(x)
    return np.sum(s)


def method_arg(x, model):
    return np.sum(model.layer(x) * x)


def method_broadcast(x):
    return M.project(x)


# -- imports inside ---------------------------------------------------------------------------
def import_module(x):
    import math
    return np.sum(x * math.pi + math.sqrt(2.0) * x)


def import_as(x):
    import numpy as xp
    return xp.sum(xp.tanh(x))


def import_from(x):
    from numpy import sin
    from math import sqrt
    return np.sum(sin(x) * sqrt(3.0))


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("fn", [
    closure_simple, closure_reads_active, closure_late_binding, closure_default_bound_early,
    closure_early_return, closure_in_loop, closure_calls_closure,
    lambda_named, lambda_closure, lambda_immediate, lambda_conditional,
    star_three, star_mixed, star_kwargs, star_none_active,
    method_local, method_global, method_subclass, method_call_instance,
    method_local_in_loop,
    import_module, import_as, import_from], ids=lambda f: f.__name__)
def test_matches_finite_differences(fn, shape):
    check(fn, _x(shape))


@pytest.mark.parametrize("shape", [(), (3,), (2, 3)], ids=str)
def test_closure_broadcasting(shape):
    check(closure_broadcast, _x(shape)[..., None] if shape else _x(shape))


@pytest.mark.parametrize("shape", [(3,), (2, 3)], ids=str)
def test_method_attribute_broadcasts(shape):
    check(method_broadcast, _x(shape))


# -- methods of arguments: compilations specialised on the argument's class -----------------
class _Net:
    def __init__(self, s):
        self.s = s
        self.w = np.array([0.5, -1.0, 2.0])

    def helper(self, x):
        return np.tanh(x * self.s)

    def forward(self, x):
        return np.sum(self.helper(x) * x + x * self.w)


class _Module(s2sgrad.nn.Module):
    def __init__(self):
        super().__init__()
        self.s = 2.0

    def forward2(self, x):
        return np.sum(x * self.s)


def method_arg_nested(model, x):
    return model.forward(x) + np.sum(model.helper(x * x))


def method_arg_rebound(x, model):
    model = _Net(1.0) if x.ndim > 5 else model
    return np.sum(model.layer(x))


def method_arg_module(x, model):
    return model.forward2(x)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("model", [_Model(0.7), _Child(0.7)], ids=["base", "subclass"])
def test_method_of_argument_object(shape, model):
    check(method_arg, _x(shape), model)


@pytest.mark.parametrize("shape", [(3,), (2, 3)], ids=str)
def test_method_of_argument_calls_its_own_methods(shape):
    check(method_arg_nested, _Net(0.3), _x(shape))


def test_method_of_argument_recompiles_for_another_class():
    g = sg.gradient(method_arg)
    x = _x((3,))
    a, b = g(x, _Model(0.7)), g(x, _Child(0.7))
    s = 0.7
    t = np.tanh(x * s)
    assert np.allclose(a, (1 - t ** 2) * s * x + t)
    assert np.allclose(b, np.cos(x) * s * x + np.sin(x) * s)
    assert np.allclose(g(x, _Model(0.7)), a)


def test_method_of_argument_on_tensors():
    x = s2sgrad.tensor(_x((2, 3)), requires_grad=True)
    out = sg.grad(method_arg)(x, _Model(0.7))
    out.backward()
    xe = x.detach().numpy()
    t = np.tanh(xe * 0.7)
    assert np.allclose(x.grad.numpy(), (1 - t ** 2) * 0.7 * xe + t)


def test_method_of_argument_object_stays_refused_where_unsound():
    # An argument rebound inside, or an nn.Module (whose parameters would become constants):
    # a method that carries the gradient is refused, not guessed.
    with pytest.raises(TransformError, match=r"\.layer\(\)"):
        sg.gradient(method_arg_rebound)(_x((3,)), _Model(0.7))
    with pytest.raises(TransformError, match=r"\.forward2\(\)"):
        sg.gradient(method_arg_module)(_x((3,)), _Module())


def test_tensor_attribute_of_argument_that_requires_grad_is_refused():
    m = _Model(0.7)
    m.w = s2sgrad.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(TransformError, match="'w' that requires grad"):
        sg.gradient(method_project)(_x((3,)), m)
    m.w = s2sgrad.tensor(np.array([1.0, 2.0, 3.0]))       # no grad: a constant array
    assert np.allclose(sg.gradient(method_project)(_x((3,)), m), [1.0, 2.0, 3.0])


def method_project(x, model):
    return model.project(x)


def test_probe_values():
    x = np.array([1.0, 2.0, 3.0])
    assert np.allclose(sg.gradient(closure_simple)(x), 3.0)
    assert np.allclose(sg.gradient(lambda_named)(x), 2.0)
    assert np.allclose(sg.gradient(star_three)(x), 3.0)
    assert np.allclose(sg.gradient(method_local)(x), 2.0)
    assert np.allclose(sg.gradient(method_global)(x)[0],
                       3.0 + 3.0 * (1 - np.tanh(3.0 + 0.1) ** 2))
    assert np.allclose(sg.gradient(import_module)(x), np.pi + np.sqrt(2.0))


def test_generated_source_is_readable():
    src = sg.grad(closure_reads_active).source
    assert "inner" in src and "np.sin" in src
    src = sg.grad(lambda_named).source
    assert "_g_v" in src or "g_v" in src
    src = sg.grad(method_global).source
    assert "forward" in src and "layer" in src
    src = sg.grad(star_three).source
    assert "_star" in src


def test_late_binding_follows_python():
    x = _x((3,))
    assert np.isclose(sg.grad(closure_late_binding)(x), closure_late_binding(x))
    assert np.isclose(sg.grad(closure_default_bound_early)(x), closure_default_bound_early(x))


def test_instance_attribute_hiding_the_method_is_caught():
    g = sg.gradient(method_global)
    x = _x((3,))
    assert np.allclose(g(x), sg.gradient(method_global)(x))
    M.forward = lambda v: np.sum(v)     # the instance now hides _Model.forward
    try:
        with pytest.raises(TypeError, match="forward"):
            g(x)
    finally:
        del M.forward


def test_redefined_method_is_recompiled():
    g = sg.gradient(method_broadcast)
    x = _x((3,))
    assert np.allclose(g(x), M.w)
    old = _Model.project
    _Model.project = lambda self, v: np.sum(v * self.w * 2.0)
    try:
        with pytest.raises(TransformError, match="lambda"):
            g(x)     # the guard saw the change; a lambda method has no def to compile
    finally:
        _Model.project = old
    assert np.allclose(g(x), M.w)


def test_closure_under_no_grad_stops_gradient():
    def f(x):
        def sq(v):
            return v * v
        with s2sgrad.no_grad():
            c = sq(x)
        return np.sum(sq(x) + c)
    x = _x((3,))
    assert np.allclose(sg.gradient(f)(x), 2 * x)


# -- what stays refused ------------------------------------------------------------------------
def lambda_as_value(x):
    fs = [lambda v: v * 2.0]  # noqa: E731
    return np.sum(fs[0](x))


def closure_escapes(x):
    def inner(v):
        return v * 2.0
    return np.sum(np.apply_along_axis(inner, 0, x))


def closure_nonlocal(x):
    k = 1.0

    def inner(v):
        nonlocal k
        k = 2.0
        return v * k
    return np.sum(inner(x))


def closure_recursive(x):
    def fact(v, n):
        if n == 0:
            return v
        return fact(v * 2.0, n - 1)
    return np.sum(fact(x, 3))


def closure_rebound(x):
    def g(v):
        return v
    if np.sum(x) > 0:
        def g(v):  # noqa: F811
            return v * 2.0
    return np.sum(g(x))


def closure_decorated(x):
    @staticmethod
    def g(v):
        return v
    return np.sum(g(x))


def closure_star(x):
    def g(*vs):
        return vs[0]
    return np.sum(g(x))


def import_relative(x):
    from . import helpers  # noqa: F401
    return np.sum(x)


def import_value(x):
    from math import pi
    return np.sum(x * pi)


class _Prop:
    @property
    def scale(self):
        return 2.0

    __call__ = staticmethod(lambda v: v * 2.0)


Q = _Prop()


def method_not_function(x):
    return np.sum(Q(x))


def _recurse_star(x, *vs):
    if not vs:
        return x
    return _recurse_star(x * 2.0, *vs[1:])


REFUSED = [
    (lambda_as_value, "lambda"), (closure_escapes, "defined inside"),
    (closure_nonlocal, "nonlocal"), (closure_recursive, "recursion"),
    (closure_rebound, "bound more than once"), (closure_decorated, "decorat"),
    (closure_star, r"\*args"),
    (import_relative, "relative import"), (import_value, "import"),
]


@pytest.mark.parametrize("fn,match", REFUSED, ids=[c[0].__name__ for c in REFUSED])
def test_refused(fn, match):
    with pytest.raises(TransformError, match=match) as info:
        sg.gradient(fn)(_x((3,)))
    e = info.value
    assert e.filename == __file__
    assert fn.__code__.co_firstlineno <= e.lineno <= fn.__code__.co_firstlineno + 12
    assert "^" in str(e) and f"line {e.lineno}" in str(e)


def test_lambda_method_is_refused_at_its_definition():
    with pytest.raises(TransformError, match="lambda") as info:
        sg.gradient(method_not_function)(_x((3,)))
    assert info.value.filename == __file__ and "__call__" in info.value.line


@pytest.mark.parametrize("fn", [closure_reads_active, lambda_closure, import_module,
                                import_from, method_global], ids=lambda f: f.__name__)
def test_forward_mode_agrees(fn):
    from s2sgrad.forward_api import jvp
    x, v = _x((3,)), _x((3,), seed=1)
    value, tangent = jvp(fn, (x,), (v,))
    assert np.isclose(value, fn(x))
    assert np.isclose(tangent, np.dot(sg.gradient(fn)(x), v))
