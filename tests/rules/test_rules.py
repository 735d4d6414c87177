"""Every rule in the table against central finite differences, plus table-wide checks.

One parametrised test drives the spec table through the shared checker:
``check_rule`` for plain calls, ``check_vjp`` with the rule's adjoint for calls
whose gradient flows through a sequence argument (``concatenate``), a
var-positional one (``einsum``) or a list of outputs (``split``).
"""
from __future__ import annotations

import builtins
import functools
import inspect
import zlib

import gast
import numpy as np
import pytest

from s2sgrad.autograd.gradcheck import check_rule, check_vjp
from s2sgrad.rules import RULES, is_nondifferentiable, lookup
from s2sgrad.rules.helpers import unbroadcast
from s2sgrad.rules.shape import SEQUENCE_PARAMS, sequence_params
from tests.rules.specs import SCALAR, SPECS, Spec

_IDS = [s.id for s in SPECS]


def _rng(spec: Spec) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(spec.id.encode()))


def _plain(spec: Spec, args: list) -> bool:
    varargs = any(p.kind is p.VAR_POSITIONAL
                  for p in inspect.signature(lookup(spec.primal).adjoint).parameters.values())
    return not varargs and not any(isinstance(a, (list, tuple)) for a in args) \
        and not isinstance(spec.primal(*args, **spec.kwargs), list)


def _rule_vjp(spec: Spec, args: list, kwargs: dict):
    """The rule's adjoint as a function of the cotangent, one gradient per flat input."""
    r = lookup(spec.primal)
    flat = Spec.flatten(args)

    def vjp(ct):
        out = spec.call(args, kwargs, flat)
        grads = r.adjoint(ct, out, *args, **kwargs)
        grads = dict(zip(r.wrt, grads if len(r.wrt) > 1 else (grads,)))
        bound = inspect.signature(r.adjoint).bind(ct, out, *args, **kwargs).arguments
        res = []
        for name in r.params:
            if name not in bound or name in kwargs:
                continue
            value, gr = bound[name], grads.get(name)
            if isinstance(value, (list, tuple)):
                for j, v in enumerate(value):
                    if Spec.flatten([v]):
                        res.append(None if gr is None else gr[j])
            elif Spec.flatten([value]):
                res.append(unbroadcast(gr, value) if gr is not None and r.broadcast else gr)
        assert len(res) == len(flat), "every float input must get a gradient (or None)"
        return res

    return flat, vjp


@pytest.mark.parametrize("spec", SPECS, ids=_IDS)
def test_rule_matches_finite_differences(spec: Spec):
    args, kwargs = spec.make_args(_rng(spec))
    if _plain(spec, args):
        assert check_rule(spec.primal, args, kwargs, rtol=spec.rtol, atol=spec.atol)
    else:
        flat, vjp = _rule_vjp(spec, args, kwargs)
        assert flat, "a spec must have a float input"
        assert check_vjp(lambda *xs: spec.call(args, kwargs, xs), vjp, flat,
                         list(range(len(flat))), rtol=spec.rtol, atol=spec.atol)


# ---------------------------------------------------------------- the table itself

def test_spec_ids_are_unique():
    assert len(set(_IDS)) == len(_IDS)


def test_table_covers_at_least_80_differentiable_primitives():
    prims = {id(s.primal) for s in SPECS if lookup(s.primal) is not None}
    assert len(prims) >= 80, len(prims)


_COVERAGE_MODULES = ("arith", "elementwise", "reduce", "shape", "linalg", "factories")


def test_every_numpy_rule_has_a_spec():
    covered = {id(s.primal) for s in SPECS}
    # math.* functions share their ufunc's record; they are checked on floats in
    # tests/compiler (test_math_functions) and tests/forward.
    missing = sorted(r.name + ":" + getattr(r.primal, "__name__", "?") for r in RULES.values()
                     if r.adjoint.__module__.rsplit(".", 1)[-1] in _COVERAGE_MODULES
                     and getattr(r.primal, "__module__", None) != "math"
                     and id(r.primal) not in covered)
    assert not missing


def test_sequence_params_name_real_parameters():
    for primal, names in SEQUENCE_PARAMS.items():
        r = lookup(primal)
        assert set(names) <= set(r.wrt), primal
        assert sequence_params(primal) == names
    assert sequence_params(np.exp) == ()


# ---------------------------------------------------------------- template safety

_ALLOWED_STMTS = (gast.Assign, gast.AugAssign, gast.Return)
_FORBIDDEN = (gast.FunctionDef, gast.AsyncFunctionDef, gast.Lambda, gast.ClassDef, gast.For,
              gast.AsyncFor, gast.While, gast.If, gast.Try, gast.With, gast.AsyncWith,
              gast.Global, gast.Nonlocal, gast.ListComp, gast.SetComp, gast.DictComp,
              gast.GeneratorExp, gast.Yield, gast.YieldFrom, gast.Await, gast.NamedExpr,
              gast.Raise, gast.Assert, gast.Delete, gast.Import, gast.ImportFrom)


def _unique_rules():
    seen = {}
    for r in RULES.values():
        seen.setdefault(id(r.adjoint), r)
    return list(seen.values())


@pytest.mark.parametrize("r", _unique_rules(), ids=lambda r: f"{r.adjoint.__module__}."
                         f"{r.adjoint.__name__}")
def test_template_is_template_safe(r):
    fdef = r.template
    body = fdef.body
    assert body and isinstance(body[-1], gast.Return), "must end with one return"
    for stmt in body:
        assert isinstance(stmt, _ALLOWED_STMTS), f"statement {type(stmt).__name__} not allowed"
    assert sum(isinstance(s, gast.Return) for s in body) == 1
    for stmt in body:
        for node in gast.walk(stmt):
            assert not isinstance(node, _FORBIDDEN), f"{type(node).__name__} in template"
        targets = stmt.targets if isinstance(stmt, gast.Assign) else (
            [stmt.target] if isinstance(stmt, gast.AugAssign) else [])
        for t in targets:
            # Assignments bind local names only: no writes into inputs.
            names = t.elts if isinstance(t, gast.Tuple) else [t]
            assert all(isinstance(n, gast.Name) for n in names), "assign to names only"


@pytest.mark.parametrize("r", _unique_rules(), ids=lambda r: f"{r.adjoint.__module__}."
                         f"{r.adjoint.__name__}")
def test_template_free_names_are_module_globals(r):
    args = r.template.args
    params = {a.id for a in args.args + args.kwonlyargs}
    params |= {a.id for a in (args.vararg, args.kwarg) if a is not None}
    stored = {n.id for n in gast.walk(r.template) if isinstance(n, gast.Name)
              and isinstance(n.ctx, gast.Store)}
    free = {n.id for n in gast.walk(r.template) if isinstance(n, gast.Name)
            and isinstance(n.ctx, gast.Load)} - params - stored
    unresolved = {n for n in free if n not in r.adjoint.__globals__ and not hasattr(builtins, n)}
    assert not unresolved


# ---------------------------------------------------------------- non-differentiable

NONDIFF = [np.shape, np.ndim, np.size, np.zeros_like, np.ones_like, np.empty_like,
           np.argmax, np.argmin, np.argsort, np.greater, np.less, np.equal, np.not_equal,
           np.greater_equal, np.less_equal, np.logical_and, np.logical_or, np.logical_not,
           np.logical_xor, np.isnan, np.isinf, np.isfinite, np.nonzero,
           np.zeros, np.ones, np.empty, np.eye, np.identity, np.any, np.all,
           np.count_nonzero, np.searchsorted, np.floor_divide, np.bitwise_and,
           np.bitwise_or, np.bitwise_xor, np.invert, np.left_shift, np.right_shift,
           np.random.rand, np.random.randn, np.random.normal, np.random.uniform,
           np.random.randint, np.random.choice, np.random.permutation, np.random.seed]


@pytest.mark.parametrize("f", NONDIFF, ids=lambda f: f.__name__)
def test_declared_nondifferentiable(f):
    assert is_nondifferentiable(f)
    assert lookup(f) is None


def test_no_callable_is_both_rule_and_nondifferentiable():
    from s2sgrad.rules.registry import _NONDIFF
    assert not set(_NONDIFF) & set(RULES)


# ---------------------------------------------------------------- the table can fail

def _bumped(fn):
    def bump(x):
        if isinstance(x, tuple):
            return tuple(bump(e) for e in x)
        return None if x is None else np.asarray(x) + 0.01

    @functools.wraps(fn)
    def wrong(*args, **kwargs):
        return bump(fn(*args, **kwargs))
    return wrong


def test_a_wrong_gradient_is_caught_for_every_rule():
    # Every covered rule, made wrong by 0.01 everywhere, must fail some spec.
    by_primal: dict[int, list[Spec]] = {}
    for s in SPECS:
        by_primal.setdefault(id(s.primal), []).append(s)
    missed = []
    for specs in by_primal.values():
        r = lookup(specs[0].primal)
        right = r.adjoint
        r.adjoint = _bumped(right)
        try:
            caught = False
            for s in specs:
                try:
                    test_rule_matches_finite_differences(s)
                except AssertionError:
                    caught = True
                    break
        finally:
            r.adjoint = right
        if not caught:
            missed.append(specs[0].name)
    assert not missed


# ---------------------------------------------------------------- float32 stays float32

def _float32_cases():
    cases = []
    for s in SPECS:
        # Python floats are float64 by nature; float_power computes in float64 by definition.
        if SCALAR in s.shapes or s.primal is np.float_power:
            continue
        cases.append(s)
    return cases


def _dtypes(x) -> list:
    if x is None:
        return []
    if isinstance(x, (list, tuple)):
        return [d for e in x for d in _dtypes(e)]
    return [np.asarray(x).dtype]


@pytest.mark.parametrize("spec", _float32_cases(), ids=lambda s: s.id)
def test_float32_inputs_get_float32_gradients(spec: Spec):
    args, kwargs = spec.make_args(_rng(spec))
    args = Spec.unflatten(args, [x.astype(np.float32) for x in Spec.flatten(args)])
    out = spec.primal(*args, **kwargs)
    ct = (tuple(np.ones(np.shape(o), np.float32) for o in out)
          if isinstance(out, (list, tuple)) else np.ones(np.shape(out), np.float32))
    r = lookup(spec.primal)
    with np.errstate(all="ignore"):
        grads = r.adjoint(ct, out, *args, **kwargs)
    assert set(_dtypes(grads)) <= {np.dtype(np.float32)}


# ---------------------------------------------------------------- specialised adjoints

def _one_spec_per_rule():
    seen = {}
    for s in SPECS:
        r = lookup(s.primal)
        if len(r.wrt) > 1:
            seen.setdefault(id(s.primal), s)
    return list(seen.values())


@pytest.mark.parametrize("spec", _one_spec_per_rule(), ids=lambda s: s.id)
def test_specialised_adjoints_agree_with_the_full_one(spec: Spec):
    # The runtime compiles a rule for the gradients it needs; each must match.
    args, kwargs = spec.make_args(_rng(spec))
    r = lookup(spec.primal)
    out = spec.primal(*args, **kwargs)
    ct = (tuple(np.ones(np.shape(o)) for o in out) if isinstance(out, (list, tuple))
          else np.ones(np.shape(out)))
    full = r.adjoint(ct, out, *args, **kwargs)
    for k in range(len(r.wrt)):
        mask = tuple(j == k for j in range(len(r.wrt)))
        fn = r.specialize(mask)[0]
        part = fn(ct, out, *args, **kwargs)
        for j, (a, b) in enumerate(zip(full, part)):
            if j != k or a is None:
                assert b is None
            else:
                a, b = (a, b) if isinstance(a, tuple) else ((a,), (b,))
                assert len(a) == len(b)
                for x, y in zip(a, b):
                    np.testing.assert_array_equal(x, y)
