"""Eager higher-order derivatives: ``create_graph=True``, gradgradcheck, Hessians.

The specification, in order: PyTorch's measured facts (SEMANTICS 3.4, 3.5);
second derivatives of every primitive in the rule table's spec table, checked
by central differences of first-order gradients (``gradgradcheck``), and third
derivatives of one spec per primitive; the nn layers; Hessians symmetric and
equal to finite differences of gradients; every rule's template covered (each
call has a rule, a composite form, or is declared gradient-free); a wrong
second derivative is caught; unsupported cases raise; and, where torch is
importable, the same numbers and node names as PyTorch.
"""
from __future__ import annotations

import warnings
import zlib

import numpy as np
import pytest

import s2sgrad as sg
import s2sgrad.nn.functional as F
from s2sgrad import autograd
from s2sgrad.autograd import functional as AF
from s2sgrad.autograd.gradcheck import GradcheckError, assert_close, gradgradcheck
from s2sgrad.rules import RULES
from s2sgrad.rules import torchlike as tl
from s2sgrad.runtime import higher
from s2sgrad.runtime.graph import SECOND_BACKWARD
from s2sgrad.runtime.ops import apply, apply_custom
from tests.rules.specs import SPECS, Spec


def _t(a, requires_grad=True):
    return sg.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def _rng(key: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(key.encode()))


# ---------------------------------------------------------------- PyTorch's facts (3.4, 3.5)

def test_grad_of_grad_of_cube():
    x = sg.tensor(3.0, requires_grad=True)
    (g,) = autograd.grad(x ** 3, x, create_graph=True)
    assert repr(g) == "tensor(27., grad_fn=<MulBackward0>)"
    (g2,) = autograd.grad(g, x)
    assert repr(g2) == "tensor(18.)"
    assert x.grad is None


def test_backward_create_graph_accumulates_with_history():
    AF._warned[0] = False
    x = sg.tensor(3.0, requires_grad=True)
    with pytest.warns(UserWarning, match=r"^Using backward\(\) with create_graph=True will "
                      r"create a reference cycle between the parameter and its gradient "
                      r"which can cause a memory leak\. We recommend using autograd\.grad "
                      r"when creating the graph to avoid this\. If you have to use this "
                      r"function, make sure to reset the \.grad fields of your parameters to "
                      r"None after use to break the cycle and avoid the leak\.$"):
        (x ** 3).backward(create_graph=True)
    assert repr(x.grad) == "tensor(27., grad_fn=<CopyBackwards>)"
    g = x.grad
    x.grad.backward()                   # without resetting: 27 + 18, in place
    assert repr(x.grad) == "tensor(45., grad_fn=<CopyBackwards>)"
    assert x.grad is g


def test_backward_create_graph_then_reset():
    x = sg.tensor(3.0, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (x ** 3).backward(create_graph=True)
    g = x.grad
    x.grad = None
    g.backward()
    assert repr(x.grad) == "tensor(18.)"


def test_cycle_warning_is_emitted_once_per_process():
    AF._warned[0] = False
    x = sg.tensor(2.0, requires_grad=True)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        for _ in range(3):
            (x * x).backward(create_graph=True)
    assert len([w for w in seen if "reference cycle" in str(w.message)]) == 1


def test_second_create_graph_backward_adds_out_of_place():
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (x ** 3).sum().backward(create_graph=True)
        assert repr(x.grad) == "tensor([ 3., 12.], grad_fn=<CopyBackwards>)"
        names = [type(n).__name__ if n is not None else None
                 for n, _ in x.grad.grad_fn.next_functions]
        assert names == [None, "MulBackward0"]
        (x ** 3).sum().backward(create_graph=True)
    assert repr(x.grad) == "tensor([ 6., 24.], grad_fn=<AddBackward0>)"
    assert [type(n).__name__ for n, _ in x.grad.grad_fn.next_functions] == [
        "CopyBackwards", "MulBackward0"]


def test_create_graph_on_constant_gradients_gives_plain_tensors():
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    (g,) = autograd.grad((x * 2).sum(), x, create_graph=True)
    assert repr(g) == "tensor([2., 2.])" and not g.requires_grad
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (x * 2).sum().backward(create_graph=True)
        (x * 2).sum().backward(create_graph=True)
    assert repr(x.grad) == "tensor([4., 4.])"
    x.grad = None
    (x * 2).sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (x ** 2).sum().backward(create_graph=True)
    assert repr(x.grad) == "tensor([4., 6.], grad_fn=<AddBackward0>)"


def test_two_uses_of_one_input_are_summed_in_the_graph():
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    (g,) = autograd.grad((x * x).sum(), x, create_graph=True)
    assert repr(g) == "tensor([2., 4.], grad_fn=<AddBackward0>)"
    assert [type(n).__name__ for n, _ in g.grad_fn.next_functions] == [
        "MulBackward0", "MulBackward0"]
    assert autograd.grad(g.sum(), x)[0].tolist() == [2.0, 2.0]


def test_retain_graph_defaults_to_create_graph():
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp().sum()
    autograd.grad(y, x, create_graph=True)
    (g,) = autograd.grad(y, x)                       # the graph was kept
    np.testing.assert_allclose(g.numpy(), np.exp([1.0, 2.0]), rtol=1e-6)
    y = x.exp().sum()
    (g,) = autograd.grad(y, x, create_graph=True, retain_graph=False)
    with pytest.raises(RuntimeError) as e:
        autograd.grad(g.sum(), x)                    # g's graph reads exp's freed output
    assert str(e.value) == SECOND_BACKWARD
    (g,) = autograd.grad((x ** 3).sum(), x, create_graph=True, retain_graph=False)
    assert autograd.grad(g.sum(), x)[0].tolist() == [6.0, 12.0]   # reads only x


def test_create_graph_under_no_grad_still_records():
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    y = (x ** 3).sum()
    with sg.no_grad():
        (g,) = autograd.grad(y, x, create_graph=True)
        assert not sg.is_grad_enabled()              # the mode is restored afterwards
    assert repr(g) == "tensor([ 3., 12.], grad_fn=<MulBackward0>)"


def test_grad_outputs_take_part_in_the_graph():
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    v = sg.tensor([1.0, 1.0], requires_grad=True)
    (g,) = autograd.grad(x ** 3, x, grad_outputs=v, create_graph=True)
    assert repr(g) == "tensor([ 3., 12.], grad_fn=<MulBackward0>)"
    assert autograd.grad(g.sum(), v)[0].tolist() == [3.0, 12.0]


def test_hooks_and_retain_grad_see_gradients_with_history():
    x = sg.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda t: seen.append((t.requires_grad, t.grad_fn is not None)))
    autograd.grad((x ** 3).sum(), x, create_graph=True)
    assert seen == [(True, True)]
    h = x * 2
    h.retain_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (h ** 3).sum().backward(create_graph=True)
    assert repr(h.grad) == "tensor([12., 48.], grad_fn=<CloneBackward0>)"


def test_backward_inputs_non_leaf_keeps_a_copy_with_history():
    x = sg.tensor(3.0, requires_grad=True)
    h = x * 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (h ** 3).backward(create_graph=True, inputs=[h])
        assert repr(h.grad) == "tensor(108., grad_fn=<CloneBackward0>)"
    assert x.grad is None


def test_gradient_of_a_cast_keeps_the_input_dtype():
    w = sg.tensor(2.0, dtype=sg.float64, requires_grad=True)
    (g,) = autograd.grad(w.float() ** 2, w, create_graph=True)
    assert repr(g) == "tensor(4., dtype=torch.float64, grad_fn=<ToCopyBackward0>)"


def test_create_graph_leaves_first_order_values_unchanged_float32():
    rng = _rng("f32")
    x = sg.tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    w = sg.tensor(rng.standard_normal((4, 2)).astype(np.float32), requires_grad=True)

    def loss():
        return ((x @ w).tanh().softmax(1) * x[:, :2]).sum() + x.norm() * w.var()

    plain = autograd.grad(loss(), [x, w])
    graph = autograd.grad(loss(), [x, w], create_graph=True)
    for a, b in zip(plain, graph):
        assert b.dtype == sg.float32
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------- every primitive, second order

# Orders that raise a clear error instead of a gradient (the SVD's derivative, cumprod
# at zeros, det at a singular matrix).
_REFUSED_2 = ("ord='nuc'", "ord=2", "ord=-2", "cumprod-3x4-zeros", "cumprod-3x4-axis=0-zeros",
              "cumprod-3x4-axis=-1-zeros", "det-3x2,3x2-singular")


def _refused(spec_id: str, extra=()) -> bool:
    return any(k in spec_id for k in _REFUSED_2 + tuple(extra)) and (
        "norm" in spec_id or "cumprod" in spec_id or "det" in spec_id or "prod" in spec_id)


def _eager(spec: Spec):
    args, kwargs = spec.make_args(_rng(spec.id))
    flat = Spec.flatten(args)

    def f(*ts):
        out = apply(spec.primal, *Spec.unflatten(args, ts), **kwargs)
        return tuple(out) if isinstance(out, (list, tuple)) else out

    return f, [_t(x) for x in flat]


def _tol(spec: Spec) -> dict:
    return dict(rtol=max(spec.rtol, 1e-4) * 10, atol=max(spec.atol, 1e-5) * 10)


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_second_derivatives_match_finite_differences(spec: Spec):
    f, ts = _eager(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if _refused(spec.id):
            with pytest.raises(NotImplementedError, match="is not supported"):
                gradgradcheck(f, ts, **_tol(spec))
        else:
            assert gradgradcheck(f, ts, **_tol(spec))


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_create_graph_never_changes_a_first_order_value(spec: Spec):
    f, ts = _eager(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        outs = f(*ts)
        outs = outs if isinstance(outs, tuple) else (outs,)
        cts = [sg.tensor(_rng(spec.id + "ct").standard_normal(o.shape)) for o in outs]
        plain = autograd.grad(list(outs), ts, grad_outputs=cts, retain_graph=True,
                              allow_unused=True)
        graph = autograd.grad(list(outs), ts, grad_outputs=cts, create_graph=True,
                              allow_unused=True)
    for a, b in zip(plain, graph):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(b.detach().numpy(), a.numpy(), rtol=1e-10, atol=1e-12)


def _one_spec_per_primal():
    seen = {}
    for s in SPECS:
        seen.setdefault(id(s.primal), s)
    return list(seen.values())


_REFUSED_3 = ("zeros1", "zeros2")          # prod at a zero: its third order goes via cumprod


@pytest.mark.parametrize("spec", _one_spec_per_primal(), ids=lambda s: s.id)
def test_third_derivatives_match_finite_differences(spec: Spec):
    f, ts = _eager(spec)

    def grad_of(*xs):
        outs = f(*xs)
        outs = outs if isinstance(outs, tuple) else (outs,)
        ws = [sg.tensor(_rng(spec.id + "w").standard_normal(o.shape)) for o in outs]
        gs = autograd.grad(list(outs), list(xs), grad_outputs=ws, create_graph=True,
                           allow_unused=True)
        return tuple(g if g is not None else x * 0 for g, x in zip(gs, xs))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if _refused(spec.id, _REFUSED_3):
            with pytest.raises(NotImplementedError, match="is not supported"):
                gradgradcheck(grad_of, ts, **_tol(spec))
        else:
            assert gradgradcheck(grad_of, ts, **_tol(spec))


def test_prod_with_zeros_third_order_is_refused():
    x = _t([[1.5, 0.0, 2.0]])
    (g,) = autograd.grad(x.prod(), x, create_graph=True)
    (h,) = autograd.grad(g.sum(), x, create_graph=True)      # second order: exact
    np.testing.assert_allclose(h.detach().numpy(), [[2.0, 3.5, 1.5]])
    with pytest.raises(NotImplementedError, match="second derivative of cumprod is not "
                       "supported at an input equal to 0"):
        autograd.grad(h.sum(), x)


# ---------------------------------------------------------------- tensor methods and nn layers

def _methods():
    rng = _rng("methods")
    a, b = rng.standard_normal((3, 4)), rng.standard_normal(4)
    return {
        "broadcast-mul": (lambda x, y: x * y * y, (a, b)),
        "broadcast-0d": (lambda x, y: (x * y.sum()).tanh(), (a, b)),
        "div-pow": (lambda x, y: x / (y * y + 1) + (x * x + 1) ** y.abs(), (a, b)),
        "matmul-mv": (lambda x, y: (x @ y).sin(), (a, b)),
        "matmul-T": (lambda x, y: (x.T @ x) * y, (a, b)),
        "mean-sum-dims": (lambda x, y: x.exp().mean(0) * (x * x).sum(1, keepdim=True), (a, b)),
        "index-fancy": (lambda x, y: x[[0, 2, 2]] * y + x[1:, ::2].sum(), (a, b)),
        "setitem": (lambda x, y: _written(x, y), (a, b)),
        "in-place": (lambda x, y: _in_place(x, y), (a, b)),
        "max-dim": (lambda x, y: (x.max(1)[0] * y[:3].sin()).sum() + x.amax(0) * y, (a, b)),
        "softmax": (lambda x, y: (x + y).softmax(1) * x + (x * y).log_softmax(0), (a, b)),
        "norm-var-std": (lambda x, y: (x * y).norm() + (x * y).var(1) + (x * y).std(0).sum(),
                         (a, b)),
        "cat-stack-split": (lambda x, y: sg.cat([x * x, y[None] * x], 0).split(2)[1]
                            + sg.stack([x[0] * y, y * y], 1).sum(), (a, b)),
        "clamp-where": (lambda x, y: (x * y).clamp(-0.5, 0.5) * x
                        + sg.where(x > 0, x * y, y * y), (a, b)),
        "views": (lambda x, y: (x * x).view(2, 6).t().reshape(3, 4).permute(1, 0)
                  .unsqueeze(0).squeeze(0).expand(2, 4, 3) * x.T, (a, b)),
        "prod-cumsum": (lambda x, y: (x * y).prod(1) + (x * y).cumsum(1).sum(1), (a, b)),
        "logsumexp-sigmoid-relu": (lambda x, y: (x * y).logsumexp(1) + (x.sigmoid()
                                   * x.relu()).sum(0)[:3], (a, b)),
        "cast": (lambda x, y: apply(tl.cast, x * y, np.dtype(np.float64)) ** 2, (a, b)),
    }


def _written(x, y):
    z = x * 1.0
    z[1] = y * y
    return z * x


def _in_place(x, y):
    z = x * y
    z.mul_(y)                 # saved by nothing yet: allowed, and recorded on z
    z += x.exp()
    return z.relu_() * x


@pytest.mark.parametrize("name", list(_methods()))
def test_tensor_methods_second_order(name):
    f, arrays = _methods()[name]
    assert gradgradcheck(f, [_t(a) for a in arrays])


def _layers():
    rng = _rng("layers")

    def r(*s):
        return rng.standard_normal(s)
    run_mean, run_var = np.zeros(3), np.ones(3)
    return {
        "conv2d": (lambda x, w, b: F.conv2d(x, w, b, padding=1), (r(2, 3, 5, 5), r(4, 3, 3, 3),
                                                                 r(4))),
        "conv2d-stride-groups": (lambda x, w: F.conv2d(x, w, stride=2, padding=1, groups=3),
                                 (r(1, 3, 5, 5), r(3, 1, 3, 3))),
        "conv2d-unbatched": (lambda x, w: F.conv2d(x, w), (r(3, 4, 4), r(2, 3, 2, 2))),
        "max_pool2d": (lambda x: F.max_pool2d(x * x, 2), (r(1, 2, 4, 4),)),
        "max_pool2d-overlap": (lambda x: F.max_pool2d(x.tanh(), 2, stride=1, padding=1),
                               (r(1, 2, 4, 4),)),
        "avg_pool2d": (lambda x: F.avg_pool2d(x * x, 2, stride=1, padding=1), (r(1, 2, 4, 4),)),
        "adaptive_avg_pool2d": (lambda x: F.adaptive_avg_pool2d(x * x, (2, 3)),
                                (r(1, 2, 5, 4),)),
        "batch_norm-train": (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                             (r(4, 3, 2, 2), r(3), r(3))),
        "batch_norm-train-2d": (lambda x, w, b: F.batch_norm(x, None, None, w, b,
                                                             training=True), (r(5, 3), r(3),
                                                                              r(3))),
        "batch_norm-eval": (lambda x, w, b: F.batch_norm(x * x, sg.tensor(run_mean),
                                                         sg.tensor(run_var), w, b),
                            (r(4, 3, 2, 2), r(3), r(3))),
        "cross_entropy": (lambda x: F.cross_entropy(x * x, sg.tensor([0, 2, 1])), (r(3, 4),)),
        "nll_loss-sum": (lambda x: F.nll_loss((x * x).log_softmax(1), sg.tensor([0, 2, 1]),
                                              reduction="sum"), (r(3, 4),)),
        "mse_loss": (lambda x, y: F.mse_loss(x * y, y), (r(3, 4), r(3, 4))),
        "bce_with_logits": (lambda x, y: F.binary_cross_entropy_with_logits(
            x, y.sigmoid(), pos_weight=sg.tensor(np.array([1.0, 2.0, 0.5, 1.5]))),
            (r(3, 4), r(3, 4))),
        "linear": (lambda x, w, b: F.linear(x, w, b).tanh(), (r(3, 4), r(5, 4), r(5))),
    }


@pytest.mark.parametrize("name", list(_layers()))
def test_nn_layers_second_order(name):
    f, arrays = _layers()[name]
    assert gradgradcheck(f, [_t(a) for a in arrays])


# ---------------------------------------------------------------- Hessians

def _fd_jacobian(grad_fn, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of a gradient, one input element at a time."""
    cols = []
    for k in range(x.size):
        d = np.zeros(x.size)
        d[k] = eps
        up = grad_fn(x + d.reshape(x.shape))
        down = grad_fn(x - d.reshape(x.shape))
        cols.append(((up - down) / (2 * eps)).reshape(-1))
    return np.stack(cols, 1)


_SCALARS = {
    "rosenbrock": lambda x: ((1 - x[:-1]) ** 2 + 100 * (x[1:] - x[:-1] ** 2) ** 2).sum(),
    "logsumexp-quadratic": lambda x: (x.reshape(2, 3) @ x.reshape(3, 2)).logsumexp(1).sum(),
    "softmax-entropy": lambda x: -(x.softmax(0) * x.log_softmax(0)).sum(),
    "norm-prod": lambda x: x.norm() * (x * 0.5 + 1).prod(),
}


@pytest.mark.parametrize("name", list(_SCALARS))
def test_hessian_is_symmetric_and_matches_differences_of_gradients(name):
    f = _SCALARS[name]
    x0 = _rng(name).uniform(-1, 1, 6)
    H = AF.hessian(f, _t(x0, requires_grad=False)).numpy()
    assert H.shape == (6, 6)
    np.testing.assert_allclose(H, H.T, rtol=1e-9, atol=1e-10)

    def grad_at(x):
        t = _t(x)
        return autograd.grad(f(t), t)[0].numpy()

    assert_close(H, _fd_jacobian(grad_at, x0), rtol=1e-5, atol=1e-6, what="Hessian")


def test_functional_products_agree_with_the_hessian_and_jacobian():
    rng = _rng("products")
    a, b, v = rng.standard_normal(3), rng.standard_normal((2, 3)), rng.standard_normal(3)
    f = _SCALARS["norm-prod"]
    H = AF.hessian(f, _t(a)).numpy()
    _, hv = AF.hvp(f, _t(a), _t(v))
    _, vh = AF.vhp(f, _t(a), _t(v))
    np.testing.assert_allclose(hv.numpy(), H @ v, rtol=1e-10)
    np.testing.assert_allclose(vh.numpy(), v @ H, rtol=1e-10)

    def g(x, y):
        return (y @ x.tanh()).exp()
    J = AF.jacobian(g, (_t(a), _t(b)))
    _, jv = AF.jvp(g, (_t(a), _t(b)), (_t(v), _t(b)))
    np.testing.assert_allclose(jv.numpy(), J[0].numpy() @ v
                               + np.einsum("ijk,jk->i", J[1].numpy(), b), rtol=1e-10)
    w = rng.standard_normal(2)
    _, (va, vb) = AF.vjp(g, (_t(a), _t(b)), _t(w))
    np.testing.assert_allclose(va.numpy(), w @ J[0].numpy(), rtol=1e-10)
    np.testing.assert_allclose(vb.numpy(), np.einsum("i,ijk->jk", w, J[1].numpy()),
                               rtol=1e-10)


def test_functional_results_are_detached_unless_create_graph():
    x = _t([1.0, 2.0])
    H = AF.hessian(lambda t: (t ** 3).sum(), x)
    assert not H.requires_grad and H.tolist() == [[6.0, 0.0], [0.0, 12.0]]
    H = AF.hessian(lambda t: (t ** 3).sum(), x, create_graph=True)
    assert H.grad_fn is not None
    (g,) = autograd.grad(H.sum(), x)
    assert g.tolist() == [6.0, 6.0]


def test_functional_errors():
    x = _t([1.0, 2.0])
    with pytest.raises(RuntimeError, match="^The function given to hessian should return a "
                       "single Tensor$"):
        AF.hessian(lambda t: (t, t), x)
    with pytest.raises(RuntimeError, match="^The Tensor returned by the function given to "
                       "hessian should contain a single element$"):
        AF.hessian(lambda t: t * 2, x)
    with pytest.raises(RuntimeError, match="^The vector v can only be None if the user-provided "
                       "function returns a single Tensor with a single element.$"):
        AF.vjp(lambda t: t * 2, x)
    with pytest.raises(RuntimeError, match=r"^v has invalid size: should be torch.Size\(\[2\]\) "
                       r"but got torch.Size\(\[3\]\).$"):
        AF.vjp(lambda t: t * 2, x, _t([1.0, 2.0, 3.0]))
    with pytest.raises(TypeError, match="^The inputs given to jacobian must be either a Tensor "
                       "or a tuple of Tensors but the given inputs has type <class 'list'>.$"):
        AF.jacobian(lambda t: t, [[1.0]])
    with pytest.raises(RuntimeError, match="^The output of the user-provided function is "
                       "independent of input 1. This is not allowed in strict mode.$"):
        AF.jacobian(lambda a, b: a * 2, (x, _t([3.0])), strict=True)


# ---------------------------------------------------------------- coverage and failure

def _unique_rules():
    seen = {}
    for r in RULES.values():
        seen.setdefault(id(r.adjoint), r)
    return list(seen.values())


@pytest.mark.parametrize("r", _unique_rules(), ids=lambda r: f"{r.adjoint.__module__}."
                         f"{r.adjoint.__name__}")
def test_every_call_in_every_template_can_be_differentiated(r):
    # Each call: a rule, a composite form (whose body is walked too), a structural or
    # gradient-free declaration, or an array method with a Tensor form. Attribute reads
    # such as x.shape are allowed.
    assert higher.uncovered(r) == []
    higher.tensor_adjoint(r, (True,) * len(r.wrt))          # and it compiles


def test_the_template_walk_can_fail():
    def adjoint_like(g, out, x):
        y = np.frexp(x)[0]               # no rule, not declared
        return g.conj() * y              # an array method without a Tensor form

    assert higher.uncovered(adjoint_like) == [
        "tests.runtime.test_higher_order.test_the_template_walk_can_fail.<locals>."
        "adjoint_like: numpy.frexp", "tests.runtime.test_higher_order."
        "test_the_template_walk_can_fail.<locals>.adjoint_like: .conj()"]


def _one_nonzero_spec_per_primal():
    # Piecewise-constant primitives have a zero gradient: scaling it changes nothing.
    flat = {np.sign, np.floor, np.ceil, np.trunc, np.fix, np.rint, np.round, np.around}
    seen = {}
    for s in SPECS:
        if s.primal in flat or _refused(s.id):
            continue
        if id(s.primal) not in seen or ("0d" in seen[id(s.primal)].id and "0d" not in s.id):
            seen[id(s.primal)] = s
    return list(seen.values())


@pytest.mark.parametrize("spec", _one_nonzero_spec_per_primal(), ids=lambda s: s.id)
def test_a_wrong_second_derivative_is_caught(spec, monkeypatch):
    target = higher.dispatcher(spec.primal).rule
    right = higher.tensor_adjoint

    def bumped(r, mask):
        fn = right(r, mask)
        if r.adjoint is not target.adjoint:          # rules may share one adjoint
            return fn

        def wrong(*args, **kwargs):
            res = fn(*args, **kwargs)
            return (tuple(_bump(x) for x in res) if isinstance(res, (tuple, list))
                    else _bump(res))
        return wrong

    monkeypatch.setattr(higher, "tensor_adjoint", bumped)
    f, ts = _eager(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(GradcheckError):
            gradgradcheck(f, ts, **_tol(spec))


def _bump(x):
    if isinstance(x, (list, tuple)):
        return type(x)(_bump(e) for e in x)
    return None if x is None else x * 1.1


def test_a_compiled_function_without_a_tensor_backward_is_refused():
    x = _t([1.0, 2.0])
    y = apply_custom("MyFunctionBackward", lambda gs: (gs[0] * 2,), [x], x.detach().numpy() * 2)
    with pytest.raises(NotImplementedError, match="^MyFunctionBackward has no backward that runs "
                       "on Tensors, so create_graph=True cannot differentiate through it$"):
        autograd.grad(y.sum(), x, create_graph=True)
    assert autograd.grad(y.sum(), x)[0].tolist() == [2.0, 2.0]


def test_a_compiled_function_with_a_tensor_backward_differentiates_again():
    x = _t([1.0, 2.0])
    xt = x                                    # the higher backward closes over the input

    def backward(gs):
        return (gs[0] * 3 * x.detach().numpy() ** 2,)

    def higher_backward(gs):
        return (gs[0] * 3 * xt ** 2,)

    y = apply_custom("CubeBackward", backward, [x], x.detach().numpy() ** 3,
                     higher=higher_backward)
    (g,) = autograd.grad(y.sum(), x, create_graph=True)
    assert g.tolist() == [3.0, 12.0]
    assert autograd.grad(g.sum(), x)[0].tolist() == [6.0, 12.0]


def test_a_callable_without_rule_is_refused_not_treated_as_constant():
    d = higher.dispatcher(np.frexp)
    x = _t([1.0, 2.0])
    with pytest.raises(NotImplementedError, match="frexp has no gradient rule"):
        d(x * 1)
    assert d(np.array([1.0]))[0].tolist() == [0.5]        # plain values: plain call


# ---------------------------------------------------------------- against PyTorch

def _torch():
    return pytest.importorskip("torch")


_TORCH_CASES = {
    # name: (function of (x, y) written for both libraries, shapes)
    "pow-exp": (lambda x, y: (x ** 3 * y.exp()).sum(), ((3,), (3,))),
    "broadcast": (lambda x, y: ((x[:, None] * y) ** 2).tanh().sum(), ((3,), (4,))),
    "matmul": (lambda x, y: (x @ y).sigmoid().sum(), ((2, 3), (3, 4))),
    "softmax": (lambda x, y: (x.softmax(1) * y).sum(), ((2, 3), (2, 3))),
    "log_softmax": (lambda x, y: (x.log_softmax(0) * y * y).sum(), ((2, 3), (2, 3))),
    "mean-var": (lambda x, y: (x * y).var(1).sum() + (x * x).mean(), ((2, 3), (2, 3))),
    "norm": (lambda x, y: (x * y).norm() * x.sum(), ((2, 3), (3,))),
    "index": (lambda x, y: (x[[0, 1, 1]] * y[1:] ** 2).sum(), ((3, 2), (4, 2))),
    "max-sin": (lambda x, y: x.max(1)[0].sin().sum() * y.sum(), ((2, 3), (2,))),
    "div-clamp": (lambda x, y: (x / (y * y + 1)).clamp(-0.3, 0.3).sum() + (x * y).sum() ** 2,
                  ((4,), (4,))),
}


@pytest.mark.parametrize("name", list(_TORCH_CASES))
def test_hessian_vector_products_equal_torch(name):
    torch = _torch()
    f, shapes = _TORCH_CASES[name]
    rng = _rng(name)
    xs = [rng.standard_normal(s) for s in shapes]
    vs = [rng.standard_normal(s) for s in shapes]
    ours = [_t(a) for a in xs]
    theirs = [torch.tensor(a, requires_grad=True) for a in xs]
    g1 = autograd.grad(f(*ours), ours, create_graph=True)
    g2 = torch.autograd.grad(f(*theirs), theirs, create_graph=True)
    for a, b in zip(g1, g2):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10)
    h1 = autograd.grad(g1, ours, grad_outputs=[_t(v, False) for v in vs])
    h2 = torch.autograd.grad(g2, theirs, grad_outputs=[torch.tensor(v) for v in vs])
    for a, b in zip(h1, h2):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-9, atol=1e-12)


def test_create_graph_results_equal_torch():
    torch = _torch()
    out = {}
    for lib in (sg, torch):
        x = lib.tensor(3.0, requires_grad=True)
        (g,) = lib.autograd.grad(x ** 3, x, create_graph=True)
        (g2,) = lib.autograd.grad(g, x)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (x ** 3).backward(create_graph=True)
            first = repr(x.grad)
            x.grad.backward()
        out[lib] = (repr(g), repr(g2), first, repr(x.grad))
    assert out[sg] == out[torch]


def test_functional_hessian_and_jacobian_equal_torch():
    torch = _torch()
    rng = _rng("tf")
    a, b = rng.standard_normal(3), rng.standard_normal((2, 3))

    def f(x, y):
        return ((y * x).sin().sum() * (x ** 2).sum())

    def g(x, y):
        return (y @ x.tanh()).exp()

    pairs = [
        (AF.hessian(f, (sg.tensor(a), sg.tensor(b))),
         torch.autograd.functional.hessian(f, (torch.tensor(a), torch.tensor(b)))),
        (AF.jacobian(g, (sg.tensor(a), sg.tensor(b))),
         torch.autograd.functional.jacobian(g, (torch.tensor(a), torch.tensor(b)))),
    ]

    def flat(r):
        return [z for e in r for z in flat(e)] if isinstance(r, tuple) else [r]
    for ours, theirs in pairs:
        for p, q in zip(flat(ours), flat(theirs)):
            assert tuple(p.shape) == tuple(q.shape)
            np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-10, atol=1e-12)


_SCALE = 0.5


def _compiled_like(x, w):
    # A plain NumPy function with a loop and a global, as a compiled node computes it.
    h = np.tanh(x @ w)
    s = 0.0
    for i in range(2):
        s = s + np.sum(h * h) * (i + _SCALE)
    return s


def test_a_compiled_node_retraced_on_tensors_differentiates_again():
    rng = _rng("retraced")
    x, w = _t(rng.standard_normal((3, 4))), _t(rng.standard_normal((4, 2)))
    out = np.asarray(_compiled_like(x.detach().numpy(), w.detach().numpy()))
    y = apply_custom("FBackward", lambda gs: (None, None), [x, w], out,
                     higher=higher.retraced(_compiled_like, [x, w]))
    g = autograd.grad(y, [x, w], create_graph=True)
    v = [rng.standard_normal((3, 4)), rng.standard_normal((4, 2))]
    hv = autograd.grad(g, [x, w], grad_outputs=[_t(a, False) for a in v])

    def direct(a, b):              # the same function written with Tensor methods
        h = (a @ b).tanh()
        return (h * h).sum() * _SCALE + (h * h).sum() * (1 + _SCALE)
    g_ref = autograd.grad(direct(x, w), [x, w], create_graph=True)
    hv_ref = autograd.grad(g_ref, [x, w], grad_outputs=[_t(a, False) for a in v])
    for a, b in zip(list(g) + list(hv), list(g_ref) + list(hv_ref)):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("act", ["Tanh", "ReLU"])
def test_gradient_penalty_through_a_small_network_equals_torch(act):
    # The WGAN-GP term: the norm of d(model)/d(input) is differentiated with respect to
    # the parameters (conv, batch norm in training, pooling, linear).
    torch = _torch()

    def build(lib):
        nn = lib.nn
        pool = nn.AvgPool2d(2) if act == "Tanh" else nn.MaxPool2d(2)
        return nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3),
                             getattr(nn, act)(), pool, nn.Flatten(), nn.Linear(12, 2))

    torch.manual_seed(0)
    theirs = build(torch).double()
    ours = build(sg)
    ours.load_state_dict({k: sg.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})
    ours = ours.double()
    x0 = _rng("gp" + act).standard_normal((4, 2, 4, 4))

    def penalty_grads(lib, model):
        x = lib.tensor(x0, requires_grad=True)
        (g,) = lib.autograd.grad(model(x).sum(), x, create_graph=True)
        ((g.reshape(4, -1).norm(dim=1) - 1) ** 2).mean().backward()
        return [None if p.grad is None else p.grad.numpy() for p in model.parameters()]

    for a, b in zip(penalty_grads(sg, ours), penalty_grads(torch, theirs)):
        # Where the penalty depends on a parameter only through ReLU's mask, PyTorch
        # still links it (a gradient of zeros); here no node links it (.grad is None).
        if a is None and b is not None:
            assert not np.any(b)
            continue
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_compiled_function_under_create_graph():
    @sg.grad
    def cube_sum(x):
        return (x ** 3).sum()

    x = sg.tensor([1.0, 2.0], requires_grad=True)
    (g,) = sg.autograd.grad(cube_sum(x), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [3.0, 12.0])
    (h,) = sg.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), [6.0, 12.0])
