"""Every eager Tensor operation's gradient, checked against central differences.

One table of specs: the operation (a function of Tensors), argument shapes
(including broadcasting pairs and 0-d) and an input domain. Each spec runs through
``s2sgrad.autograd.gradcheck`` in float64; where torch is importable, the same
expression also runs on torch and values, gradients and ``grad_fn`` names must match.
"""
from dataclasses import dataclass, field

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.autograd import gradcheck


@dataclass
class Spec:
    name: str
    fn: object
    shapes: list
    low: float = -2.0
    high: float = 2.0
    kinds: list = field(default_factory=list)


UNARY = [(2, 3), (4,), ()]
BINARY = [((2, 3), (2, 3)), ((3, 1), (4,)), ((), (2, 2)), ((2, 3), ())]
SPECS = [
    Spec("add", lambda a, b: a + b, BINARY),
    Spec("sub", lambda a, b: a - b, BINARY),
    Spec("mul", lambda a, b: a * b, BINARY),
    Spec("div", lambda a, b: a / b, BINARY, 0.5, 2.0),
    Spec("pow_tensor", lambda a, b: a ** b, BINARY, 0.5, 2.0),
    Spec("pow_scalar", lambda a: a ** 3, UNARY),
    Spec("rpow", lambda a: 2.0 ** a, UNARY),
    Spec("rsub", lambda a: 2.0 - a, UNARY),
    Spec("rdiv", lambda a: 2.0 / a, UNARY, 0.5, 2.0),
    Spec("radd_rmul", lambda a: 3.0 * (1.0 + a), UNARY),
    Spec("neg", lambda a: -a, UNARY),
    Spec("exp", lambda a: a.exp(), UNARY),
    Spec("log", lambda a: a.log(), UNARY, 0.5, 3.0),
    Spec("log1p", lambda a: a.log1p(), UNARY, 0.0, 3.0),
    Spec("sqrt", lambda a: a.sqrt(), UNARY, 0.5, 3.0),
    Spec("rsqrt", lambda a: a.rsqrt(), UNARY, 0.5, 3.0),
    Spec("abs", lambda a: a.abs(), UNARY, 0.1, 2.0),
    Spec("sin_cos", lambda a: a.sin() * a.cos(), UNARY),
    Spec("tanh", lambda a: a.tanh(), UNARY),
    Spec("sigmoid", lambda a: a.sigmoid(), UNARY),
    Spec("relu", lambda a: a.relu(), UNARY, 0.1, 2.0),
    Spec("clamp", lambda a: a.clamp(-0.5, 0.5), UNARY),
    Spec("square", lambda a: a.square(), UNARY),
    Spec("sum", lambda a: a.sum(), UNARY),
    Spec("sum_dim", lambda a: a.sum(dim=0), [(2, 3), (4,)]),
    Spec("sum_keepdim", lambda a: a.sum(1, keepdim=True), [(2, 3)]),
    Spec("mean", lambda a: a.mean(), UNARY),
    Spec("mean_dims", lambda a: a.mean(dim=(0, 2)), [(2, 3, 4)]),
    Spec("norm", lambda a: a.norm(), UNARY, 0.2, 2.0),
    Spec("norm_dim", lambda a: a.norm(dim=1), [(2, 3)], 0.2, 2.0),
    Spec("var", lambda a: a.var(), [(2, 3), (5,)]),
    Spec("std_dim", lambda a: a.std(dim=1), [(2, 3)]),
    Spec("prod", lambda a: a.prod(), [(2, 3), (4,)], 0.5, 1.5),
    Spec("cumsum", lambda a: a.cumsum(0), [(2, 3), (4,)]),
    Spec("logsumexp", lambda a: a.logsumexp(1), [(2, 3)]),
    Spec("max_full", lambda a: a.max(), [(2, 3), (4,)]),
    Spec("max_dim", lambda a: a.max(dim=1).values, [(2, 3)]),
    Spec("min_dim", lambda a: a.min(0)[0], [(2, 3)]),
    Spec("amax", lambda a: a.amax(0), [(2, 3)]),
    Spec("softmax", lambda a: a.softmax(1), [(2, 3)]),
    Spec("log_softmax", lambda a: a.log_softmax(-1), [(2, 3), (4,)]),
    Spec("matmul_mm", lambda a, b: a @ b, [((2, 3), (3, 4))]),
    Spec("matmul_mv", lambda a, b: a @ b, [((2, 3), (3,)), ((3,), (3, 2)), ((3,), (3,))]),
    Spec("matmul_batched", lambda a, b: a @ b, [((2, 2, 3), (3, 4)), ((2, 2, 3), (2, 3, 2))]),
    Spec("reshape", lambda a: a.reshape(3, 2) * 1.5, [(2, 3)]),
    Spec("view", lambda a: a.view(-1) ** 2, [(2, 3)]),
    Spec("flatten", lambda a: a.flatten(1) ** 2, [(2, 3, 2)]),
    Spec("transpose", lambda a: a.transpose(0, 1) ** 2, [(2, 3)]),
    Spec("t_T", lambda a: a.t() * a.T, [(2, 3)]),
    Spec("permute", lambda a: a.permute(2, 0, 1) ** 2, [(2, 3, 4)]),
    Spec("unsqueeze_squeeze", lambda a: a.unsqueeze(1).squeeze() ** 2, [(2, 3)]),
    Spec("expand", lambda a: a.expand(4, 3) ** 2, [(1, 3), (3,)]),
    Spec("repeat", lambda a: a.repeat(2, 2) ** 2, [(2, 3)]),
    Spec("index_int", lambda a: a[1] ** 2, [(2, 3)]),
    Spec("index_slice", lambda a: a[:, 1:] ** 2, [(2, 3)]),
    Spec("index_fancy_repeat", lambda a: a[[0, 0, 1]] ** 2, [(2, 3)]),
    Spec("index_none_ellipsis", lambda a: a[None, ..., 0] ** 2, [(2, 3)]),
    Spec("index_mask", lambda a: a[a > 0] ** 2, [(2, 3)]),
    Spec("cat", lambda a, b: sg.cat([a, b, a], 0) ** 2, [((2, 3), (1, 3))]),
    Spec("stack", lambda a, b: sg.stack([a, b], 1) ** 2, [((2, 3), (2, 3))]),
    Spec("where", lambda a, b: sg.where(a > 0, a, b), [((2, 3), (2, 3)), ((3,), (2, 3))]),
    Spec("maximum", lambda a, b: sg.maximum(a, b), [((2, 3), (2, 3))]),
    Spec("einsum", lambda a, b: sg.einsum("ij,jk->ik", a, b), [((2, 3), (3, 4))]),
    Spec("einsum_trace", lambda a: sg.einsum("ii->", a), [(3, 3)]),
    Spec("einsum_batch", lambda a, b: sg.einsum("bij,bj->bi", a, b), [((2, 3, 4), (2, 4))]),
    Spec("split", lambda a: a.split(1, 0)[1] * 2, [(2, 3)]),
    Spec("masked_fill", lambda a: a.masked_fill(a > 0, 0.0) * 2, [(2, 3)]),
    Spec("setitem_nonleaf", lambda a, b: _setitem(a, b), [((3, 4), (4,))]),
    Spec("inplace_chain", lambda a, b: _inplace(a, b), [((2, 3), (2, 3)), ((2, 3), (3,))]),
    Spec("to_double", lambda a: a.double() * 2, [(2, 3)]),
    Spec("copy_", lambda a, b: (a * 1).copy_(b * 2), [((2, 3), (2, 3)), ((2, 3), (3,))]),
]


def _setitem(a, b):
    y = a * 2
    y[1] = b * 3
    y[0, 1:] = 7.0
    return y


def _inplace(a, b):
    y = a * 1
    y += b
    y *= a
    y -= 1
    y /= 2
    return y


def _cases():
    for s in SPECS:
        for shp in s.shapes:
            shapes = shp if isinstance(shp[0] if shp else None, tuple) else (shp,)
            if shp == () or not isinstance(shp[0], tuple):
                shapes = (shp,)
            yield pytest.param(s, shapes, id=f"{s.name}-{'x'.join(map(str, shapes))}")


def _inputs(spec, shapes, seed=0):
    rng = np.random.default_rng(seed)
    arrays = []
    for shp in shapes:
        a = rng.uniform(spec.low, spec.high, shp)
        if spec.name in ("max_full", "max_dim", "min_dim", "amax"):
            a = a + np.arange(a.size).reshape(shp) * 1e-2       # no ties: a smooth point
        arrays.append(np.asarray(a, np.float64))
    return arrays


@pytest.mark.parametrize("spec, shapes", list(_cases()))
def test_gradcheck(spec, shapes):
    arrays = _inputs(spec, shapes)
    ts = [sg.tensor(a, requires_grad=True) for a in arrays]
    assert gradcheck(spec.fn, ts, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("spec, shapes", list(_cases()))
def test_matches_torch(spec, shapes):
    torch = pytest.importorskip("torch")
    arrays = _inputs(spec, shapes, seed=1)
    ours = [sg.tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
    fn_ours = spec.fn
    fn_theirs = _torchify(spec.fn, torch)
    o, t = fn_ours(*ours), fn_theirs(*theirs)
    np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6)
    # Composite ops whose last node in torch is an implementation detail.
    if spec.name not in ("setitem_nonleaf", "inplace_chain", "split", "to_double", "copy_") \
            and not spec.name.startswith("einsum"):
        assert type(o.grad_fn).__name__ == type(t.grad_fn).__name__
    ct = np.random.default_rng(2).standard_normal(o.shape).astype(np.float32)
    o.backward(sg.tensor(ct))
    t.backward(torch.tensor(ct))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-5)


def _torchify(fn, torch):
    """Run a spec written against ``sg`` with torch's module functions instead."""
    import types
    g = dict(fn.__globals__)
    g["sg"] = torch
    return types.FunctionType(fn.__code__, g, fn.__name__, fn.__defaults__, fn.__closure__)
