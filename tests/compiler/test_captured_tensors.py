"""Tensors a compiled function reads from outside (a global, a closure variable, an
attribute of an object known while compiling) are hidden inputs of its ONE graph node:
the gradient flows into them as it would eagerly. Tensors that do not require grad are
read as constant arrays; the array API (``gradient``) reads every captured Tensor as a
constant. What cannot be made to flow (a callee or a method reading such a Tensor) is
refused, never dropped."""
import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.autograd.gradcheck import assert_close, check_vjp
from s2sgrad.compiler.errors import TransformError

# (shape of x, shape of the captured w): same shape, 0-d, broadcasting both ways.
SHAPES = [((3,), (3,)), ((), ()), ((2, 3), (3,)), ((2, 3), ()), ((3,), (2, 3)),
          ((2, 1), (1, 3))]


def _a(shape, seed):
    return np.random.default_rng(seed).uniform(0.2, 0.9, shape)


def _t(a, requires_grad=True):
    return sg.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


W = _t(np.ones(3))


def reads_global(x):
    return np.sum(np.tanh(x * W) + W ** 2 * x)


def eager_global(x, w):
    return ((x * w).tanh() + w ** 2 * x).sum()


class _Holder:
    def __init__(self, w):
        self.w = w
        self.inner = None


H = _Holder(None)


def reads_attribute(x):
    return np.sum(np.sin(H.w * x) + H.inner.w * x)


def eager_attribute(x, w):
    return ((w * x).sin() + w * x).sum()


def make_closure(w):
    def reads_closure(x):
        y = x * w
        return np.sum(y * y + w)
    return reads_closure


def eager_closure(x, w):
    y = x * w
    return (y * y + w).sum()


def _set(case, w):
    """Bind the captured Tensor of ``case``; returns the compiled function."""
    global W
    if case == "global":
        W = w
        return sg.grad(reads_global), eager_global
    if case == "attribute":
        H.w = w
        H.inner = _Holder(w)
        return sg.grad(reads_attribute), eager_attribute
    return sg.grad(make_closure(w)), eager_closure


CASES = ["global", "closure", "attribute"]


@pytest.mark.parametrize("xs,ws", SHAPES, ids=str)
@pytest.mark.parametrize("case", CASES)
def test_gradient_flows_into_the_captured_tensor(case, xs, ws):
    xa, wa = _a(xs, 0), _a(ws, 1)
    # Eager reference, op by op.
    xe, we = _t(xa), _t(wa)
    _, eager = _set(case, we)
    eager(xe, we).backward()
    # Compiled: one node with an edge to w.
    x, w = _t(xa), _t(wa)
    f, _ = _set(case, w)
    out = f(x)
    assert type(out.grad_fn).__name__.endswith("Backward")
    assert_close(out.detach().numpy(), eager(xe, we).detach().numpy(), what="value")
    out.backward()
    assert_close(x.grad.numpy(), xe.grad.numpy(), what="x.grad")
    assert_close(w.grad.numpy(), we.grad.numpy(), what="w.grad")
    assert w.grad.shape == w.shape

    # Both against central differences in float64 (w rebound per evaluation: the guard
    # sees the new object and recompiles).
    def value(xv, wv):
        g, _ = _set(case, _t(wv, requires_grad=False))
        return g(_t(xv, requires_grad=False)).detach().numpy()

    def analytic(ct):
        xt, wt = _t(xa), _t(wa)
        g, _ = _set(case, wt)
        (g(xt) * _t(ct, requires_grad=False)).sum().backward()
        return [xt.grad.numpy(), wt.grad.numpy()]
    check_vjp(value, analytic, [xa, wa], [0, 1])


@pytest.mark.parametrize("case", CASES)
def test_gradcheck_through_a_wrapper(case):
    xa, wa = _a((2, 3), 2), _a((3,), 3)
    w = _t(wa)

    def through(x):
        return _set(case, w)[0](x)
    assert sg.autograd.gradcheck(through, (_t(xa),))


def test_tensor_without_grad_is_a_constant():
    global W
    W = _t(_a((3,), 4), requires_grad=False)
    x = _t(_a((3,), 5))
    out = sg.grad(reads_global)(x)
    out.backward()
    xe = _t(x.detach().numpy())
    eager_global(xe, W).backward()
    assert_close(x.grad.numpy(), xe.grad.numpy())
    assert W.grad is None


def test_requires_grad_switched_on_later():
    global W
    W = _t(_a((3,), 6), requires_grad=False)
    f = sg.grad(reads_global)
    f(_t(_a((3,), 7))).backward()
    assert W.grad is None
    W.requires_grad_(True)
    f(_t(_a((3,), 7))).backward()
    assert W.grad is not None and np.all(W.grad.numpy() != 0)


def test_only_the_captured_tensor_requires_grad():
    global W
    W = _t(_a((3,), 8))
    xa = _a((3,), 9)
    out = sg.grad(reads_global)(xa)           # a plain array argument
    assert out.grad_fn is not None
    out.backward()
    we = _t(W.detach().numpy())
    eager_global(_t(xa, requires_grad=False), we).backward()
    assert_close(W.grad.numpy(), we.grad.numpy())


def test_argument_that_is_also_captured_accumulates_both():
    global W
    W = _t(_a((3,), 10))

    def both(x):
        return np.sum(x * W)
    g = sg.grad(both)
    g(W).backward()
    assert_close(W.grad.numpy(), 2 * W.detach().numpy())


def test_no_grad_runs_the_plain_function():
    global W
    W = _t(_a((3,), 11))
    with sg.no_grad():
        out = sg.grad(reads_global)(_t(_a((3,), 12)))
    assert out.grad_fn is None
    assert_close(out.numpy(), reads_global_np(_a((3,), 12), W.detach().numpy()))


def reads_global_np(x, w):
    return np.sum(np.tanh(x * w) + w ** 2 * x)


def test_source_shows_the_hidden_parameters():
    global W
    W = _t(np.ones(3))
    H.w, H.inner = _t(np.ones(3)), _Holder(_t(np.ones(3)))
    src = sg.grad(reads_global).source
    assert "def reads_global(x, *, W)" in src
    assert "bW" in src
    src = sg.grad(reads_attribute).source
    assert "H_w" in src and "H_inner_w" in src


def test_array_api_reads_captured_tensors_as_constants():
    global W
    wa = _a((3,), 13)
    W = _t(wa)                          # requires grad: still a constant for gradient()
    xa = _a((3,), 14)
    g = sg.gradient(reads_global)(xa)
    xe = _t(xa)
    eager_global(xe, _t(wa, requires_grad=False)).backward()
    assert_close(g, xe.grad.numpy())
    assert W.grad is None
    assert_close(sg.grad(reads_global)(xa).detach().numpy(), reads_global_np(xa, wa))


def _callee(x):
    return x * W


def callee_reads_global(x):
    return np.sum(_callee(x))


class _Layer:
    def __init__(self, w):
        self.w = w

    def forward(self, x):
        return np.sum(x * self.w)


L = _Layer(None)


def method_reads_tensor_attribute(x):
    return L.forward(x)


def test_callee_reading_a_tensor_that_requires_grad_is_refused():
    global W
    W = _t(np.ones(3))
    with pytest.raises(TransformError, match=r"_callee reads the Tensor 'W' that requires "
                                             r"grad from outside; pass it as an argument"):
        sg.grad(callee_reads_global)(_t(np.ones(3)))


def test_callee_reading_a_constant_tensor_works():
    global W
    W = _t(_a((3,), 15), requires_grad=False)
    x = _t(_a((3,), 16))
    sg.grad(callee_reads_global)(x).backward()
    assert_close(x.grad.numpy(), W.detach().numpy())
    W.requires_grad_(True)          # the guard on requires_grad sees it
    with pytest.raises(TransformError, match="'W' that requires grad"):
        sg.grad(callee_reads_global)(_t(np.ones(3)))


def test_method_reading_a_tensor_attribute_that_requires_grad_is_refused():
    L.w = _t(np.ones(3))
    with pytest.raises(TransformError, match="'w' that requires grad"):
        sg.grad(method_reads_tensor_attribute)(_t(np.ones(3)))
    L.w = _t(_a((3,), 17), requires_grad=False)
    x = _t(_a((3,), 18))
    sg.grad(method_reads_tensor_attribute)(x).backward()
    assert_close(x.grad.numpy(), L.w.detach().numpy())


LIN = sg.nn.Linear(3, 2)


def reads_module_parameters(x):
    return np.sum(np.tanh(x @ LIN.weight.T + LIN.bias))


@pytest.mark.parametrize("rows", [1, 4])
def test_parameters_of_a_global_module_get_gradients(rows):
    x = _t(_a((rows, 3), 19))
    f = sg.grad(reads_module_parameters)
    LIN.zero_grad()
    f(x).backward()
    got = [LIN.weight.grad.numpy().copy(), LIN.bias.grad.numpy().copy(), x.grad.numpy()]
    LIN.zero_grad()
    xe = _t(x.detach().numpy())
    (xe @ LIN.weight.T + LIN.bias).tanh().sum().backward()
    want = [LIN.weight.grad.numpy(), LIN.bias.grad.numpy(), xe.grad.numpy()]
    for g, w in zip(got, want):
        assert_close(g, w, rtol=1e-5, atol=1e-6)
    assert "lin_weight" not in f.source and "LIN_weight" in f.source
