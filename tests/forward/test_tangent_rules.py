"""Every forward rule against central differences (directional derivatives).

The rule table's spec list (``tests/rules/specs.py``) drives one parametrised
test, plus a small table for the primitives outside NumPy (PyTorch-style ones,
``math``, indexing, the generated code's helpers). Each forward rule is run
exactly as the compiler runs it: instantiated by ``instantiate_tangent`` (terms
of zero tangents dropped) and compiled, with every float input moving, and then
with each differentiable parameter moving alone.
"""
from __future__ import annotations

import inspect
import math
import zlib

import gast
import numpy as np
import pytest

from s2sgrad.autograd.gradcheck import assert_close
from s2sgrad.compiler import codegen
from s2sgrad.compiler.emit import to_source
from s2sgrad.compiler.names import Namer
from s2sgrad.compiler.nodes import const, load
from s2sgrad.compiler import support
from s2sgrad.compiler import tangent as _tangent  # noqa: F401  (registers helper forward rules)
from s2sgrad.compiler.tangent_support import (as_input_kind, broadcast_tangent, own_tangent,
                                              zero_tangent)
from s2sgrad.compiler.tangent_templates import instantiate_tangent
from s2sgrad.rules import RULES, lookup, pymath, torch_extra, torchlike
from s2sgrad.rules import elementwise_helpers as eh
from s2sgrad.rules import factories as fa
from s2sgrad.rules import reduce_helpers as rh
from s2sgrad.rules import shape_helpers as sh
from s2sgrad.rules.helpers import expand_reduced, unbroadcast, unbroadcast_to
from s2sgrad.rules import nn as nnr
from s2sgrad.rules.indexing import getitem, scatter_add, written

try:
    from s2sgrad.rules import helper_rules as hr
except ImportError:  # pragma: no cover
    hr = None
from tests.rules.specs import SPECS, Spec

EPS = 1e-6


def _is_float(a) -> bool:
    return (isinstance(a, np.ndarray) and a.dtype.kind == "f") or type(a) is float


def _bind(r, args, kwargs) -> dict:
    return dict(inspect.signature(r.adjoint).bind(None, None, *args, **kwargs).arguments)


def _tangent_fn(r, params: list[str], active: tuple[str, ...]):
    """The forward rule instantiated for the ``active`` wrt names and compiled."""
    namer = Namer(set(params) | {"out"} | {"d_" + w for w in r.wrt}, {})
    bound = {p: load(p) for p in params}
    tangents = {w: (load("d_" + w) if w in active else None) for w in r.wrt if w in bound}
    stmts, expr, dropped = instantiate_tangent(r, bound, load("out"), tangents, namer)
    ret = gast.Return(value=expr if expr is not None else const(None))
    names = ["out"] + params + ["d_" + w for w in active]
    args = gast.arguments(args=[gast.Name(id=n, ctx=gast.Param(), annotation=None,
                                          type_comment=None) for n in names],
                          posonlyargs=[], vararg=None, kwonlyargs=[], kw_defaults=[],
                          kwarg=None, defaults=[])
    fdef = gast.FunctionDef(name="t", args=args, body=stmts + [ret], decorator_list=[],
                            returns=None, type_comment=None, type_params=[])
    text = to_source(gast.Module(body=[fdef], type_ignores=[]))
    fn = codegen.compile_functions(text, ["t"], namer.bindings, {}, "tangent test")["t"]
    return fn, dropped


def _seq_tangent(v, t_of):
    return type(v)(t_of(x) if _is_float(x) else zero_tangent(x) for x in v)


def _check(primal, args, kwargs, rtol, atol, seed):
    """Forward rule == central differences, all inputs and each wrt parameter alone."""
    r = lookup(primal)
    assert r.tangent is not None, f"{r.name} has no forward rule"
    rng = np.random.default_rng(seed)
    flat = Spec.flatten(args)
    ts = [rng.standard_normal(np.shape(x)) if isinstance(x, np.ndarray)
          else float(rng.standard_normal()) for x in flat]
    bound = _bind(r, args, kwargs)
    params = [p for p in r.params if p in bound]
    ids = {id(x): k for k, x in enumerate(flat)}
    with_floats = [w for w in r.wrt if w in bound and (
        id(bound[w]) in ids or (isinstance(bound[w], (list, tuple))
                                and any(id(x) in ids for x in bound[w])))]
    assert with_floats, "a spec must move some differentiable parameter"
    subsets = [tuple(with_floats)] + ([(w,) for w in with_floats] if len(with_floats) > 1
                                      else [])
    for active in subsets:
        moving = set()
        dvals = []
        for w in active:
            v = bound[w]
            if isinstance(v, (list, tuple)):
                moving |= {ids[id(x)] for x in v if _is_float(x) and id(x) in ids}
                dvals.append(_seq_tangent(v, lambda x: ts[ids[id(x)]]))
            else:
                moving.add(ids[id(v)])
                dvals.append(ts[ids[id(v)]])
        fn, dropped = _tangent_fn(r, params, active)

        def shifted(s, moving=moving):
            vals = [x + s * t if k in moving else x for k, (x, t) in enumerate(zip(flat, ts))]
            return primal(*Spec.unflatten(args, vals), **kwargs)
        out = primal(*args, **kwargs)
        got = fn(out, *[bound[p] for p in params], *dvals)
        if got is None:
            got = zero_tangent(out)
        elif r.broadcast and dropped:
            got = broadcast_tangent(got, out)
        up, down = shifted(EPS), shifted(-EPS)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        gots = list(got) if isinstance(out, (list, tuple)) else [got]
        ups = list(up) if isinstance(up, (list, tuple)) else [up]
        downs = list(down) if isinstance(down, (list, tuple)) else [down]
        assert len(gots) == len(outs)
        for o, g, u, d in zip(outs, gots, ups, downs):
            if o is None:
                assert g is None or not np.any(g)
                continue
            num = (np.asarray(u, np.float64) - np.asarray(d, np.float64)) / (2 * EPS)
            assert np.shape(g) == np.shape(o), f"tangent shape {np.shape(g)} != {np.shape(o)}"
            assert_close(g, num, rtol=rtol, atol=atol, what=f"tangent moving {active}")


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_forward_rule_matches_finite_differences(spec: Spec):
    args, kwargs = spec.make_args(np.random.default_rng(zlib.crc32(spec.id.encode())))
    _check(spec.primal, args, kwargs, max(spec.rtol, 1e-5), max(spec.atol, 1e-6), 1)


# ---------------------------------------------------------------- primitives outside NumPy

def _r(*shape):
    return np.random.default_rng(len(shape) * 7 + sum(shape)).uniform(-2, 2, shape)


EXTRA = [
    (torchlike.relu, [_r(3, 4)], {}), (torchlike.sigmoid, [_r(3, 4)], {}),
    (torchlike.softmax, [_r(3, 4)], {"axis": 0}), (torchlike.log_softmax, [_r(3, 4)], {}),
    (torchlike.logsumexp, [_r(3, 4)], {"axis": 1}), (torchlike.logsumexp, [_r(3, 4)], {}),
    (torchlike.rsub, [_r(3), 2.0], {}), (torchlike.clamp, [_r(3, 4)], {"min": -1.0, "max": 1.0}),
    (torch_extra.cum_extreme, [_r(4, 3)], {"axis": 0}),
    (torch_extra.kth_dim, [_r(3, 4)], {"axis": 1, "k": 2}),
    (torch_extra.var_mean, [_r(3, 4)], {"axis": 1}), (torch_extra.std_mean, [_r(3, 4)], {}),
    (torchlike.max_dim, [_r(3, 4)], {"axis": 1}), (torchlike.min_dim, [_r(3, 4)],
                                                   {"axis": 0, "keepdims": True}),
    (torchlike.amax, [_r(3, 4)], {"axis": 1}), (torchlike.amin, [_r(3, 4)], {}),
    (torchlike.expand, [_r(3, 1)], {"shape": (2, 3, 4)}),
    (torchlike.cast, [_r(3)], {"dtype": np.float64}), (torchlike.clone, [_r(2, 3)], {}),
    (torchlike.vector_norm, [_r(3, 4)], {"axis": 1}),
    (torchlike.vector_norm, [_r(3, 4)], {"ord": 1}),
    (torchlike.vector_norm, [_r(3, 4)], {"ord": 3, "axis": 0, "keepdims": True}),
    (torchlike.where3, [_r(3, 4) > 0, _r(3, 4), _r(4)], {}),
    (torchlike.masked_fill, [_r(3, 4), _r(3, 4) > 0, 2.0], {}),
    (torchlike.cumsum, [_r(3, 4)], {"axis": 1}),
    (torchlike.var, [_r(3, 4)], {"axis": 1}), (torchlike.std, [_r(3, 4)], {}),
    (torchlike.view, [_r(3, 4)], {"shape": (2, 6)}),
    (torchlike.permute, [_r(2, 3, 4)], {"dims": (2, 0, 1)}),
    (torchlike.transpose, [_r(2, 3, 4)], {"dim0": 0, "dim1": 2}),
    (torchlike.unsqueeze, [_r(3)], {"dim": 1}), (torchlike.squeeze, [_r(3, 1)], {"dim": 1}),
    (torchlike.cat, [[_r(2, 3), _r(1, 3)]], {}), (torchlike.stack, [[_r(3), _r(3)]], {"axis": 1}),
    (torchlike.setitem, [_r(3, 4), (1, slice(None)), _r(4)], {}),
    (torchlike.fill, [_r(3), 2.0], {}),
    (torchlike.sum_, [_r(3, 4)], {"axis": 0}), (torchlike.mean_, [_r(3, 4)], {}),
    (torchlike.copy_from, [_r(3, 4), _r(4)], {}),
    (torchlike.einsum, ["ij,jk->ik", [_r(2, 3), _r(3, 4)]], {}),
    (torchlike.erf, [_r(3, 4)], {}), (torchlike.erf, [0.4], {}), (torchlike.frac, [_r(5)], {}),
    (torchlike.lerp, [_r(3, 1), _r(4), 0.3], {}), (torchlike.lerp, [_r(3), _r(3), _r(2, 1)], {}),
    (torchlike.gather, [_r(3, 4), 1, np.array([[0, 3], [2, 2], [1, 0]])], {}),
    (torchlike.gather, [_r(4), 0, np.array(2)], {}),
    (torchlike.scatter, [_r(3, 4), 0, np.array([[2, 0, 1, 1]]), _r(1, 4)], {}),
    (torchlike.scatter, [_r(3, 4), 1, np.array([[3], [0]]), 2.5], {}),
    (torchlike.masked_fill, [_r(4), _r(3, 4) > 0, np.array(0.7)], {}),
    (nnr.leaky_relu, [_r(3, 4)], {"negative_slope": 0.1}), (nnr.gelu, [_r(3, 4)], {}),
    (nnr.gelu, [_r(3, 4)], {"approximate": "tanh"}), (nnr.silu, [_r(5)], {}),
    (nnr.elu, [_r(3, 4)], {"alpha": 0.7}), (nnr.softplus, [_r(3, 4)], {"beta": 3.0,
                                                                       "threshold": 2.0}),
    (nnr.binary_cross_entropy, [_r(3, 4) * 0.2 + 0.5, _r(3, 4) * 0.25 + 0.5],
     {"weight": np.arange(1.0, 5.0)}),
    (nnr.smooth_l1_loss, [_r(3, 4), _r(4)], {"beta": 0.7}),
    (nnr.huber_loss, [_r(3, 4), _r(3, 1)], {"delta": 0.7, "reduction": "none"}),
    (nnr.layer_norm, [_r(2, 3, 4), (3, 4), _r(3, 4), _r(3, 4)], {}),
    (nnr.layer_norm, [_r(3, 4), (4,)], {"eps": 0.01}),
    (nnr.embedding, [np.array([[1, 0], [3, 3]]), _r(4, 3)], {"padding_idx": 2}),
    (getitem, [_r(3, 4), (slice(1, None), np.array([0, 2, 2]))], {}),
    (getitem, [_r(3, 4), _r(3, 4) > 0], {}),
    (unbroadcast, [_r(2, 3, 4), _r(3, 1)], {}), (unbroadcast, [_r(2, 3), 1.5], {}),
    (math.exp, [0.3], {}), (math.expm1, [0.3], {}), (math.log, [1.3], {}),
    (math.log, [1.3, 2.0], {}), (math.log1p, [0.3], {}), (math.log2, [1.3], {}),
    (math.log10, [1.3], {}), (math.sqrt, [1.3], {}), (math.sin, [0.3], {}),
    (math.cos, [0.3], {}), (math.tan, [0.3], {}), (math.tanh, [0.3], {}),
    (math.sinh, [0.3], {}), (math.cosh, [0.3], {}), (math.atan, [0.3], {}),
    (math.asin, [0.3], {}), (math.acos, [0.3], {}), (math.pow, [1.3, 0.7], {}),
    (math.fabs, [-0.3], {}), (abs, [_r(3)], {}), (float, [np.array(0.3)], {}),
    (max, [0.3, 0.9], {}), (min, [0.3, 0.9], {}), (sum, [[0.3, 0.9, 0.1]], {}),
    (sum, [_r(3, 2)], {}),
    (pymath.max_of, [_r(4)], {}), (pymath.max_of, [[0.3, 0.9, 0.1]], {}),
    (pymath.min_of, [_r(4)], {}), (pymath.min_of, [[0.3, 0.9, 0.1]], {}),
    (nnr.conv2d, [_r(2, 3, 5, 5), _r(4, 3, 3, 3), _r(4)], {"padding": 1}),
    (nnr.conv2d, [_r(1, 2, 6, 7), _r(4, 1, 3, 2)], {"stride": 2, "dilation": (1, 2),
                                                   "groups": 2}),
    (nnr.conv2d, [_r(3, 5, 5), _r(2, 3, 3, 3), _r(2)], {}),
    (nnr.avg_pool2d, [_r(2, 3, 6, 6)], {"kernel_size": 3, "stride": 2, "padding": 1}),
    (nnr.max_pool2d, [_r(2, 3, 6, 6)], {"kernel_size": 3, "stride": 2, "padding": 1}),
    (nnr.max_pool2d, [_r(3, 5, 7)], {"kernel_size": 2, "dilation": 2, "ceil_mode": True}),
    (nnr.adaptive_avg_pool2d, [_r(2, 3, 5, 7)], {"output_size": (2, 3)}),
    (nnr.nll_loss, [_r(4, 5), np.array([0, 4, 2, 2])], {}),
    (nnr.nll_loss, [_r(4, 5), np.array([0, 4, 2, 1])], {"weight": np.arange(1.0, 6.0),
                                                        "reduction": "sum"}),
    (nnr.mse_loss, [_r(3, 4), _r(3, 4)], {}),
    (nnr.bce_with_logits, [_r(3, 4), _r(3, 4) * 0.2 + 0.5], {}),
    (nnr.bce_with_logits, [_r(3, 4), _r(4) * 0.2 + 0.5],
     {"weight": _r(4), "pos_weight": 1.5 + _r(4) * 0.1, "reduction": "sum"}),
    (nnr.mse_loss, [_r(3, 4), _r(3, 4)], {"reduction": "none"}),
    (nnr.addmm, [_r(4), _r(3, 2), _r(2, 4)], {}),
    (nnr.batch_norm, [_r(4, 3, 2, 2), None, None, _r(3), _r(3)], {"training": True}),
    (nnr.batch_norm, [_r(4, 3, 5), np.zeros(3), np.ones(3), _r(3), _r(3)],
     {"training": True, "momentum": 0.1}),
    (nnr.batch_norm, [_r(2, 3, 2, 2), _r(3) * 0.1, 1 + _r(3) ** 2, _r(3), None], {}),
]

_z = np.zeros
_a34 = _r(3, 4)
HELPERS = [
    (unbroadcast_to, [_r(2, 3, 4), (3, 1)]), (expand_reduced, [_r(3), (2, 3), 0, False]),
    (rh.masked_mean_grad, [_r(3), (2, 3), 0, False, _r(2, 3) > 0]),
    (rh.extreme_grad, [_r(4), _a34, _a34.max(0), 0, False]),
    (rh.cumsum_grad, [_r(2, 3), (2, 3), 1]),
    (eh.clip_grads, [_r(3, 4), _a34, _r(3, 4) * 0.1 - 0.5, _r(3, 4) * 0.1 + 0.5]),
    (scatter_add, [_r(3), (5,), np.float64, np.array([0, 2, 2])]),
    (written, [_r(5), np.array([0, 2, 2, 4])]), (written, [_r(3, 4), (slice(1, None), 2)]),
    (torchlike.put_along, [_r(3), np.argmax(_a34, 1), _a34, 1, False]),
    (sh.take_grad, [_r(3), (5,), [0, 2, 2], None, "raise"]),
    (sh.take_along_grad, [_r(3, 2), (3, 4), np.array([[0, 3], [1, 1], [2, 0]]), 1]),
    (sh.sort_grad, [_r(5), _r(5) * 3, -1]), (sh.diag_grad, [_r(3, 3), (3,), 0]),
    (sh.diagonal_grad, [_r(3), (3, 4), 0, 0, 1]), (sh.trace_grad, [0.5, (3, 3), 0, 0, 1]),
    (sh.concat_grads, [_r(5, 3), [_z((2, 3)), _z((3, 3))], 0]),
    (sh.stacked_grads, [_r(2, 5), [_z((2, 3)), _z((2, 2))], "h"]),
    (torchlike.split_like, [_r(5, 3), [_z((2, 3)), _z((3, 3))], 0]),
    (sh.unstack, [_r(2, 3), 0]),
    (sh.unsplit, [[_r(2, 3), _r(3, 3)], [_z((2, 3)), _z((3, 3))], 0]),
    (sh.restack, [[_r(3), _r(3)], [_z(3), _z(3)], 0]), (sh.as_input, [_r(6), _z((2, 3))]),
    (sh.tile_grad, [_r(2, 6), (2, 3), (1, 2)]), (sh.repeat_grad, [_r(6), (3,), 2, None]),
    (sh.pad_grad, [_r(5, 6), (3, 4), 1, "constant"]),
    (sh.diff_grad, [_r(4), _z(5), 1, -1, None, None]),
    (fa.linspace_grads, [_r(5), 0.0, 1.0, 5, True, False, 0]),
    (own_tangent, [_r(3)]), (broadcast_tangent, [_r(3), _z((2, 3))]),
    (as_input_kind, [_r(3), _z(3)]), (as_input_kind, [_r(3), 0.0]),
    (support.add, [_r(3), _r(3)]), (support.fill, [(_r(3), None), (_z(3), _z(2))]),
    (support.meta, [_r(3)]),
]
if hr is not None:
    HELPERS += [(hr.concat_like, [[_r(2, 3), _r(1, 3)], (3, 3), 0]),
                (hr.diff_with, [_r(5), 1, -1, _r(1), None])]


@pytest.mark.parametrize("case", HELPERS, ids=[f"{c[0].__name__}-{i}"
                                               for i, c in enumerate(HELPERS)])
def test_forward_rule_of_generated_code_helpers(case):
    primal, args = case
    if lookup(primal) is None:
        pytest.skip("its adjoint is not in the table")
    _check(primal, args, {}, 1e-5, 1e-6, 4)


@pytest.mark.parametrize("case", EXTRA, ids=[f"{getattr(c[0], '__module__', '')}."
                                             f"{getattr(c[0], '__name__', c[0])}-{i}"
                                             for i, c in enumerate(EXTRA)])
def test_forward_rule_outside_numpy(case):
    primal, args, kwargs = case
    _check(primal, args, kwargs, 1e-5, 1e-6, 2)


# ---------------------------------------------------------------- coverage of the table

def _unique():
    seen = {}
    for r in RULES.values():
        seen.setdefault(id(r), r)
    return list(seen.values())


_NN_HELPERS = {"as4d_adjoint", "conv_grads_adjoint", "max_pool_select_adjoint",
               "max_pool_grad_adjoint", "avg_pool_grad_adjoint", "adaptive_grad_adjoint",
               "nll_grad_adjoint"}


def test_every_rule_has_a_forward_rule_except_nn():
    # nn.py's convolution, pooling, batch norm and loss rules (and the helpers only their
    # adjoints call) are still being written elsewhere; every other primitive in the table
    # has a forward rule.
    # Only the package's own table: tests elsewhere register rules for their functions.
    missing = sorted({f"{r.adjoint.__module__}.{r.adjoint.__name__}" for r in _unique()
                      if r.tangent is None and r.adjoint.__module__.startswith("s2sgrad.")})
    assert all(m.startswith("s2sgrad.rules.nn.") or m.rsplit(".", 1)[-1] in _NN_HELPERS
               for m in missing), missing


def test_every_forward_rule_is_checked():
    covered = ({id(s.primal) for s in SPECS} | {id(c[0]) for c in EXTRA}
               | {id(c[0]) for c in HELPERS})
    # acc_seq adds into its first argument in place, so differences cannot probe it.
    helpers = {"acc_seq"}
    unchecked = sorted(getattr(r.primal, "__name__", "?") for r in RULES.values()
                       if r.tangent is not None and id(r.primal) not in covered
                       and getattr(r.primal, "__name__", "") not in helpers)
    assert not unchecked


def _wrong_tanh(out, x, dx):
    return dx * (1 - out * out) * 1.01


def _wrong_multiply(out, x, y, dx, dy):
    return dx * y + x * dy * 1.01


@pytest.mark.parametrize("primal, wrong, args", [
    (np.tanh, _wrong_tanh, [_r(3)]), (np.multiply, _wrong_multiply, [_r(3), _r(2, 1)])])
def test_a_wrong_forward_rule_is_caught(primal, wrong, args):
    from s2sgrad.compiler import tangent_templates
    from s2sgrad.rules.registry import Tangent
    r = lookup(primal)
    right = r.tangent
    r.tangent = Tangent(r, wrong)
    tangent_templates._PLANS.clear()
    try:
        with pytest.raises(AssertionError):
            _check(primal, args, {}, 1e-5, 1e-6, 3)
    finally:
        r.tangent = right
        tangent_templates._PLANS.clear()
    _check(primal, args, {}, 1e-5, 1e-6, 3)


def test_template_dropping_is_exercised():
    # multiply with only x moving drops the x * dy term.
    r = lookup(np.multiply)
    fn, dropped = _tangent_fn(r, ["x", "y"], ("x",))
    assert dropped
    assert "dy" not in fn.__code__.co_varnames
