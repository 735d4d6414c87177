"""Golden before/after text for the analysis and optimisation passes, and the seeds."""
import math

import gast
import numpy as np

import s2sgrad.api as sg
from s2sgrad.compiler import analysis, optimize
from s2sgrad.compiler.emit import to_source
from s2sgrad.compiler.normalize import local_names, normalize
from s2sgrad.compiler.resolve import Resolver
from s2sgrad.compiler.source import parse_function
from s2sgrad.rules import rule

from .helpers import check, needs_runtime


def _body(text):
    return gast.parse(text).body


def _text(body):
    return to_source(gast.Module(body=body, type_ignores=[]))


def test_fold_constants_golden():
    before = _body("a = 2 - 1\nb = x if True is True else y\nc = g if (1, 0) is None else h\n"
                   "d = -(3)\ne = not False\n")
    after = "a = 1\nb = x\nc = h\nd = -3\ne = True\n"
    assert _text(optimize.fold_constants(before)) == after


def test_propagate_copies_golden():
    before = _body("_g1 = a * 2\nbx = _g1\n_g2 = b\nby = _g2\nbz = _g2\n")
    after = "bx = a * 2\n_g2 = b\nby = _g2\nbz = _g2\n"
    assert _text(optimize.propagate_copies(before)) == after


def test_dead_code_golden():
    before = _body("t = a * 2\nu = t + 1\nv = f(t)\nw = u\n")
    after = "t = a * 2\nv = f(t)\n"
    assert _text(optimize.dead_code(before, set())) == after


def act_example(x, y, n):
    a = x * y
    k = len(x) + n
    b = np.tanh(a) * k
    c = y.detach() * 2
    unused = np.exp(x)  # noqa: F841  (varied but not useful: the point of the test)
    return b + c


def test_activity_golden():
    src = parse_function(act_example)
    nf = normalize(src, Resolver(act_example, local_names(src.fdef)))
    act = analysis.analyse(nf, ["x"])
    assert sorted(n for n in act.active if not n.startswith("_")) == ["a", "b", "x"]
    assert "c" not in act.varied and "k" not in act.varied
    assert "unused" in act.varied and "unused" not in act.useful


# A callable without Python source, made differentiable by registering a rule.
erf = np.vectorize(math.erf, otypes=[float])


@rule(erf, name="ErfBackward0")
def _erf_adjoint(g, out, x):
    return g * 2 / np.sqrt(np.pi) * np.exp(-x * x)


def uses_erf(x):
    return np.sum(erf(x) * x)


def test_rule_for_a_callable_without_source():
    check(uses_erf, np.linspace(-1, 1, 5))


@needs_runtime
def test_seed_while_doubling_on_tensors():
    from s2sgrad.runtime.tensor import Tensor

    @sg.grad
    def doubling(x):
        y = x * 2
        while y.data.norm() < 1000:
            y = y * 2
        return y

    x = Tensor(np.array([0.5, -0.3, 0.2]), requires_grad=True)
    y = doubling(x)
    v = Tensor(np.array([0.1, 1.0, 0.0001]))
    y.backward(v)
    k = int(round(math.log2(float(np.linalg.norm(y.detach().numpy()) /
                                   np.linalg.norm([0.5, -0.3, 0.2])))))
    assert np.allclose(x.grad.numpy(), v.numpy() * 2 ** k)
    assert type(y.grad_fn).__name__ == "DoublingBackward"


@needs_runtime
def test_seed_repeated_backward_accumulates():
    from s2sgrad.runtime.tensor import Tensor

    @sg.grad
    def total(weights):
        return (weights * 3).sum()

    w = Tensor(np.ones(4), requires_grad=True)
    seen = []
    for _ in range(3):
        total(w).backward()
        seen.append(w.grad.numpy().copy())
    assert [float(s[0]) for s in seen] == [3.0, 6.0, 9.0]


@needs_runtime
def test_no_grad_runs_the_primal_only():
    from s2sgrad.runtime.grad_mode import no_grad
    from s2sgrad.runtime.tensor import Tensor

    @sg.grad
    def f(x):
        return (x * x).sum(dim=0)

    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with no_grad():
        y = f(x)
    assert y.grad_fn is None and not y.requires_grad
    assert np.allclose(y.numpy(), 2.0)
    assert not isinstance(f(np.ones((2, 3))), Tensor)


def _tensor_tanh(x):
    raise AssertionError("the eager function itself is never called by compiled code")


_tensor_tanh.__s2sgrad_primitive__ = np.tanh


def uses_wrapped_primitive(x):
    return np.sum(_tensor_tanh(x) * x)


def test_functions_naming_their_primitive_resolve_to_it():
    check(uses_wrapped_primitive, np.linspace(-1, 1, 4))
    assert "np.tanh(x)" in sg.grad(uses_wrapped_primitive).source
