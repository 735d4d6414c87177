"""Every rule in the spec table, called from compiled code: compiled == rule == numbers.

For each spec a small wrapper function is written to a module file (so the
compiler can read its source) that calls the primitive on its float inputs;
the compiled gradient must match both the rule driven directly (as the eager
runtime drives it) and central finite differences.
"""
import ast
import importlib.util
import sys

import numpy as np
import pytest

import s2sgrad.api as sg
from s2sgrad.autograd.gradcheck import assert_close, check_vjp
from tests.rules.specs import SPECS, Spec
from tests.rules.test_rules import _IDS, _rng, _rule_vjp

def _literal(v) -> bool:
    try:
        return ast.literal_eval(repr(v)) == v
    except (ValueError, SyntaxError):
        return False


def _wrapper_source(i, spec, args, kwargs):
    """``def w<i>(a0, a1, ...): return P<i>(...)`` and the globals it needs."""
    params, parts, consts = [], [], {f"P{i}": spec.primal}

    def float_param():
        name = f"a{len(params)}"
        params.append(name)
        return name

    for j, a in enumerate(args):
        if isinstance(a, (list, tuple)):
            elts = []
            for k, x in enumerate(a):
                if Spec.flatten([x]):
                    elts.append(float_param())
                else:
                    consts[f"C{i}_{j}_{k}"] = x
                    elts.append(f"C{i}_{j}_{k}")
            parts.append(("[" if isinstance(a, list) else "(") + ", ".join(elts)
                         + ("]" if isinstance(a, list) else ",)"))
        elif Spec.flatten([a]):
            parts.append(float_param())
        else:
            consts[f"C{i}_{j}"] = a
            parts.append(f"C{i}_{j}")
    for k, v in kwargs.items():
        if _literal(v):
            parts.append(f"{k}={v!r}")
        else:
            consts[f"K{i}_{k}"] = v
            parts.append(f"{k}=K{i}_{k}")
    text = f"def w{i}({', '.join(params)}):\n    return P{i}({', '.join(parts)})\n"
    return text, consts


@pytest.fixture(scope="module")
def wrappers(tmp_path_factory):
    texts, env, made = ["import numpy as np\n"], {}, {}
    for i, spec in enumerate(SPECS):
        args, kwargs = spec.make_args(_rng(spec))
        text, consts = _wrapper_source(i, spec, args, kwargs)
        texts.append(text)
        env.update(consts)
        made[i] = (args, kwargs)
    path = tmp_path_factory.mktemp("specs") / "spec_wrappers.py"
    path.write_text("\n\n".join(texts))
    mod_spec = importlib.util.spec_from_file_location("spec_wrappers", path)
    mod = importlib.util.module_from_spec(mod_spec)
    sys.modules["spec_wrappers"] = mod
    mod_spec.loader.exec_module(mod)
    vars(mod).update(env)
    return mod, made


@pytest.mark.parametrize("i", range(len(SPECS)), ids=_IDS)
def test_compiled_matches_rule_and_finite_differences(wrappers, i):
    mod, made = wrappers
    spec = SPECS[i]
    args, kwargs = made[i]
    flat, rule_vjp = _rule_vjp(spec, args, kwargs)
    fn = getattr(mod, f"w{i}")

    def f(*xs):
        out = fn(*xs)
        return tuple(out) if isinstance(out, list) else out

    out, pullback = sg.vjp(fn, *flat)
    wrt = list(range(len(flat)))

    def compiled_vjp(ct):
        grads = pullback(list(ct) if isinstance(out, list) else ct)
        rule = rule_vjp(ct)
        for g, r, x in zip(grads, rule, flat):
            assert_close(g, np.zeros(np.shape(x)) if r is None else r, rtol=1e-9, atol=1e-12,
                         what="compiled vs rule")
        return list(grads)

    check_vjp(f, compiled_vjp, flat, wrt, rtol=spec.rtol, atol=spec.atol)
