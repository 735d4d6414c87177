"""Forward mode and higher order: ``jvp``, ``hvp``, ``hessian``, ``jacobian``, ``gradient``.

Takes: plain Python functions over NumPy arrays and floats (the same functions
``s2sgrad.grad`` compiles). Gives:

* ``jvp(f, primals, tangents) -> (f(*primals), J tangents)`` by source
  transformation (``compiler.tangent``); ``jvp_function(f)`` keeps the compiled
  form and shows its ``source``.
* ``gradient(f, wrt)``: the gradient as a function that can be differentiated
  again: ``gradient(gradient(f))`` (forward over reverse: the tangent of the
  compiled gradient program, H @ 1 for a scalar f, which is the gradient of
  the sum of f's gradient since H is symmetric).
* ``hvp(f, x, v)`` (forward over reverse), ``hessian(f)`` (one hvp per column)
  and ``jacobian(f)`` (reverse rows or forward columns, whichever is fewer).

Invariant: tangents and results have their input's shape and kind (a float
input gets a float back); compiled code is cached per (function, active
inputs) and revalidated by guards; a construct without a forward rule raises
an error naming it.
"""
from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .api import GradFunction
from .api import vjp as _vjp
from .compiler import codegen
from .compiler.pipeline import compile_function
from .compiler.tangent import TangentCompiled, compile_tangent
from .compiler.tangent_support import as_input_kind, seed_like, zero_tangent

__all__ = ["GradientFunction", "JvpFunction", "gradient", "hessian", "hvp", "jacobian", "jvp",
           "jvp_function", "jvp_source"]


def _is_float(a) -> bool:
    return (isinstance(a, np.ndarray) and a.dtype.kind == "f") or isinstance(a, float)


def _params(fn: Callable) -> list[str]:
    return [p.name for p in inspect.signature(fn).parameters.values()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _target(f: Callable) -> Callable:
    if isinstance(f, GradientFunction):
        return f.program()
    if isinstance(f, (GradFunction, JvpFunction)):
        return f.fn
    return f


class JvpFunction:
    """``jvp_function(f)``: f's forward mode, compiled per set of active inputs."""

    def __init__(self, fn: Callable):
        self.fn = _target(fn)
        self.params = _params(self.fn)
        self._last: tuple[bool, ...] | None = None
        self.__name__ = getattr(self.fn, "__name__", "f")

    def compiled(self, mask: tuple[bool, ...]) -> TangentCompiled:
        self._last = mask
        return compile_tangent(self.fn, mask)

    def __call__(self, primals: Sequence, tangents: Sequence) -> tuple[Any, Any]:
        primals, tangents = tuple(primals), tuple(tangents)
        if len(primals) != len(tangents):
            raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
        mask = tuple(i < len(primals) and tangents[i] is not None and _is_float(primals[i])
                     for i in range(len(self.params)))
        for i, (p, t) in enumerate(zip(primals, tangents)):
            if t is not None and np.shape(t) != np.shape(p):
                raise ValueError(f"jvp: tangent {i} has shape {np.shape(t)}, its primal "
                                 f"{np.shape(p)}")
        c = self.compiled(mask)
        given = tuple(_like(tangents[i], primals[i]) for i, m in enumerate(mask) if m)
        return c.jvp(*primals, **{c.kw: given})

    @property
    def source(self) -> str:
        """The generated forward-mode source (for the last call, or every float input)."""
        mask = self._last if self._last is not None else (True,) * len(self.params)
        return compile_tangent(self.fn, mask).source

    def __repr__(self) -> str:
        return f"<jvp of {getattr(self.fn, '__qualname__', self.fn)}>"


def _like(t, p):
    """The tangent in its primal's kind: a float for a float, an array of its dtype."""
    if isinstance(p, np.ndarray):
        return np.asarray(t, dtype=p.dtype)
    return float(t)


def jvp_function(f: Callable) -> JvpFunction:
    return JvpFunction(f)


def jvp(f: Callable, primals: Sequence, tangents: Sequence) -> tuple[Any, Any]:
    """``(f(*primals), J @ tangents)``; a None tangent (or a non-float input) is zero."""
    return JvpFunction(f)(primals, tangents)


def jvp_source(f: Callable, *primals) -> str:
    """The forward-mode source for ``f`` with tangents for its float ``primals``."""
    jf = JvpFunction(f)
    mask = tuple(i < len(primals) and _is_float(primals[i]) for i in range(len(jf.params)))
    return jf.compiled(mask).source


# ---------------------------------------------------------------- gradients as programs

def _signature_text(fn: Callable) -> tuple[list[str], str]:
    """(parameter names, the parameter list as source without defaults)."""
    sig = inspect.signature(fn)
    parts, names, star = [], [], False
    for p in sig.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise TypeError(f"{fn.__name__} takes *args or **kwargs; name every parameter")
        if p.kind is p.KEYWORD_ONLY and not star:
            parts.append("*")
            star = True
        parts.append(p.name)
        names.append(p.name)
        if p.kind is p.POSITIONAL_ONLY and (
                len(names) == len(sig.parameters) or
                list(sig.parameters.values())[len(names)].kind is not p.POSITIONAL_ONLY):
            parts.append("/")
    return names, ", ".join(parts)


def _generated(fn: Callable, name: str, body: str, bindings: dict) -> Callable:
    """A function ``name`` with ``fn``'s parameters and ``body``, compiled with source."""
    names, params = _signature_text(fn)
    used = set(names)
    for b in bindings:
        if b in used:
            raise TypeError(f"parameter {b!r} of {fn.__name__} clashes with generated code")
    text = f"def {name}({params}):\n{body}"
    out = codegen.compile_functions(text, [name], bindings, {},
                                    f"{fn.__module__}.{fn.__qualname__} {name}")[name]
    out.__defaults__ = fn.__defaults__
    out.__kwdefaults__ = fn.__kwdefaults__
    return out


def _index(fn: Callable, wrt) -> int:
    if isinstance(wrt, str):
        return _params(fn).index(wrt)
    if not isinstance(wrt, int):
        raise TypeError("a gradient that is differentiated again takes one argument index "
                        f"(wrt), not {wrt!r}")
    return wrt


_PROGRAMS: dict = {}


def _program(x: Callable, wrt: int) -> Callable:
    """Generated source computing ``gradient(x, wrt)``; x a function or a GradientFunction."""
    if isinstance(x, GradientFunction):
        base = x.base
        key = (x.key(), wrt)
    else:
        base = _target(x)
        key = (base, wrt)
    hit = _PROGRAMS.get(key)
    if hit is not None and hit[1]():
        return hit[0]
    names = _params(base)
    p = names[wrt]
    if not isinstance(x, GradientFunction):
        mask = tuple(i == wrt for i in range(len(names)))
        c = compile_function(base, mask)
        args = ", ".join(names)
        body = (f"    _value, _tape = {base.__name__}_fwd({args})\n"
                f"    _grads = {base.__name__}_adj(_tape, seed_like(_value))\n"
                f"    return as_input_kind(_grads[0], {p})\n")
        prog = _generated(base, base.__name__ + "_grad", body, {
            base.__name__ + "_fwd": c.fwd, base.__name__ + "_adj": c.adj,
            "seed_like": seed_like, "as_input_kind": as_input_kind})

        def valid(c=c):
            return compile_function(base, mask) is c
    else:
        # d/d p of sum_i d/d a_i S = (H_pa) 1: the tangent of gradient(S, p) along ones at a.
        inner = _program(x.of, wrt)
        a = names[x.wrt]
        tmask = tuple(i == x.wrt for i in range(len(names)))
        t = compile_tangent(inner, tmask)
        args = ", ".join(names)
        body = (f"    _res = {base.__name__}_grad_jvp({args}, {t.kw}="
                f"(seed_like({a}),))\n"
                f"    return as_input_kind(_res[1], {p})\n")
        prog = _generated(base, base.__name__ + "_grad", body, {
            base.__name__ + "_grad_jvp": t.jvp, "seed_like": seed_like,
            "as_input_kind": as_input_kind})

        def valid(t=t, inner=inner):
            return _program(x.of, wrt) is inner and compile_tangent(inner, tmask) is t
    _PROGRAMS[key] = (prog, valid)
    return prog


class GradientFunction:
    """``gradient(f, wrt)``: f's gradient as a function that differentiates again."""

    def __init__(self, f: Callable, wrt=0):
        self.of = f if isinstance(f, GradientFunction) else _target(f)
        self.base = f.base if isinstance(f, GradientFunction) else _target(f)
        self.wrt = _index(self.base, wrt)
        self.__name__ = getattr(self.base, "__name__", "f") + "_grad"

    def key(self) -> tuple:
        return (self.of.key() if isinstance(self.of, GradientFunction) else self.base,
                self.wrt)

    def program(self) -> Callable:
        """The generated function computing this gradient (it has readable source)."""
        return _program(self.of, self.wrt)

    @property
    def source(self) -> str:
        return textwrap.dedent(inspect.getsource(self.program()))

    def __call__(self, *args, **kwargs):
        return self.program()(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<gradient of {self.base.__qualname__} wrt argument {self.wrt}>"


def gradient(f: Callable, wrt=0) -> GradientFunction:
    """``g(*args) -> d f / d args[wrt]`` (of the sum of f's outputs); differentiable again."""
    return GradientFunction(f, wrt)


# ---------------------------------------------------------------- second order, Jacobians

def hvp(f: Callable, x, v, *args) -> Any:
    """The Hessian of scalar ``f`` at ``x`` times ``v`` (forward over reverse).

    Further positional ``args`` are passed to f and held constant.
    """
    prog = gradient(f, 0).program()
    return JvpFunction(prog)((x, *args), (v,) + (None,) * len(args))[1]


def _basis(x):
    n = int(np.size(x))
    for j in range(n):
        e = np.zeros(n)
        e[j] = 1.0
        yield e.reshape(np.shape(x)).astype(np.result_type(x, np.float32)) if isinstance(
            x, np.ndarray) else 1.0


def _stack(cols: list, out_shape: tuple, in_shape: tuple, rows: bool):
    flat = [np.ravel(np.asarray(c, dtype=np.float64)) for c in cols]
    m = np.stack(flat, axis=0 if rows else 1) if flat else np.zeros((0, 0))
    res = m.reshape(out_shape + in_shape)
    return float(res) if res.ndim == 0 else res


def hessian(f: Callable, argnum: int = 0) -> Callable:
    """``h(*args)``: the Hessian of scalar ``f`` in ``args[argnum]`` (shape x.shape * 2)."""
    def h(*args):
        x = args[argnum]
        prog = gradient(f, argnum).program()
        jf = JvpFunction(prog)
        none = (None,) * len(args)
        cols = [jf(args, none[:argnum] + (e,) + none[argnum + 1:])[1] for e in _basis(x)]
        return _stack(cols, np.shape(x), np.shape(x), rows=False)
    return h


def jacobian(f: Callable, argnum: int = 0) -> Callable:
    """``j(*args)``: d f / d args[argnum], shape ``out.shape + x.shape``.

    Forward columns (one jvp per input element) or reverse rows (one vjp per
    output element), whichever needs fewer passes.
    """
    def j(*args):
        x = args[argnum]
        fn = _target(f)
        none = (None,) * len(args)
        jf = JvpFunction(fn)
        out = None
        if np.size(x) <= 1:
            out, col = jf(args, none[:argnum] + (next(_basis(x)),) + none[argnum + 1:])
            return _stack([col], np.shape(out), np.shape(x), rows=False)
        out, pullback = _vjp(fn, *args)
        m, n = int(np.size(out)), int(np.size(x))
        if n <= m:
            cols = [jf(args, none[:argnum] + (e,) + none[argnum + 1:])[1] for e in _basis(x)]
            return _stack(cols, np.shape(out), np.shape(x), rows=False)
        rows = [pullback(e)[argnum] for e in _basis(out)]
        rows = [zero_tangent(x) if r is None else r for r in rows]
        return _stack(rows, np.shape(out), np.shape(x), rows=True)
    return j
