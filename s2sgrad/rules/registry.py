"""The one rule table: each primitive's derivative, declared once.

Takes: adjoint functions registered with ``@rule(primal, ...)``.
Gives: ``lookup(primal) -> Rule``, used by both the eager runtime (which calls
``Rule.adjoint`` as the backward of a graph node) and the compiler (which
inlines the adjoint's body, ``Rule.template``, into generated source).

An adjoint is a plain function ``adjoint(g, out, *params)``:

* ``g`` is the cotangent of the output, ``out`` the primal output; the other
  parameters bind the primal call's arguments by the adjoint's own signature
  (so the signature *is* the primal's signature as the table understands it).
* It returns one gradient per name in ``wrt`` (a bare value when there is one,
  a tuple otherwise), in ``wrt`` order. ``None`` means "no gradient".
* It never unbroadcasts or accumulates: the two drivers (runtime, compiler) do
  that, and only for rules declared ``broadcast=True``.
* Its body stays template-safe: assignments and one final ``return``, no
  statements that branch, loop, or define functions; names other than its
  parameters and its own locals must be module globals (``np``, helpers).

A forward (tangent) rule sits on the same record, registered with
``@tangent(primal, ...)`` right below the adjoint. It is a plain function
``jvp(out, *params, *tangents)``:

* ``out`` is the primal output, then the adjoint's own parameters (same names,
  same defaults), then one tangent parameter ``d<name>`` per ``wrt`` name, in
  ``wrt`` order (after a bare ``*`` when a default comes before them), e.g.
  ``def multiply_jvp(out, x, y, dx, dy): return dx * y + x * dy``.
* It returns the output's tangent (a tuple or list of them for a multi-output
  primal), shaped like ``out`` whenever every tangent is given. A sequence
  parameter (``arrays``, ``*operands``) gets a sequence of tangents.
* A tangent of an input that does not vary is known to be zero: the forward
  driver drops every top-level ``+``/``-`` term of the returned expression that
  reads it (so inactive inputs cost nothing) and passes zeros of the input's
  shape where a kept term still reads it. Terms are therefore written one per
  input where possible. For ``broadcast=True`` rules the driver broadcasts a
  result that lost terms back to ``out``'s shape.
* Its body is template-safe exactly like an adjoint's.

Invariant: one ``Rule`` per primal callable; looking up is by object identity,
never by spelling, so ``np.tanh``, ``numpy.tanh`` and ``from numpy import tanh``
find the same rule.
"""
from __future__ import annotations

import ast
import contextlib
import copy
import inspect
import textwrap
from typing import Any
from collections.abc import Callable, Iterable

import gast

__all__ = ["Rule", "rule", "nondifferentiable", "lookup", "is_nondifferentiable", "RULES",
           "alias", "resolve_alias", "Tangent", "tangent"]


class Rule:
    """One primitive: its primal callable and its adjoint template."""

    __slots__ = ("primal", "adjoint", "name", "params", "defaults", "wrt", "wrt_index",
                 "broadcast", "reads", "_template", "tangent", "_variants")

    def __init__(self, primal: Callable, adjoint: Callable, wrt: tuple[str, ...],
                 broadcast: bool, name: str | None):
        sig = inspect.signature(adjoint)
        names = list(sig.parameters)
        if names[:2] != ["g", "out"]:
            raise TypeError(f"adjoint {adjoint.__qualname__} must start with (g, out, ...)")
        self.primal = primal
        self.adjoint = adjoint
        self.params = tuple(names[2:])
        self.defaults = {k: p.default for k, p in sig.parameters.items()
                         if p.default is not inspect.Parameter.empty}
        if wrt is None:
            wrt = tuple(n for n in self.params if n not in self.defaults)
        unknown = [w for w in wrt if w not in self.params]
        if unknown:
            raise TypeError(f"adjoint {adjoint.__qualname__}: wrt names {unknown} are not params")
        self.wrt = tuple(wrt)
        self.wrt_index = tuple(self.params.index(w) for w in self.wrt)
        self.broadcast = broadcast
        self.name = name or _default_name(primal)
        self._template = None
        ret = self.template.body[-1]
        if not isinstance(ret, gast.Return):
            raise TypeError(f"adjoint {adjoint.__qualname__} must end with a return")
        if len(self.wrt) > 1 and not (isinstance(ret.value, gast.Tuple)
                                      and len(ret.value.elts) == len(self.wrt)):
            raise TypeError(f"adjoint {adjoint.__qualname__} must return a tuple of "
                            f"{len(self.wrt)} gradients, one per wrt name {self.wrt}")
        self.reads = _reads(self.template, ("out",) + self.params)
        self.tangent = None
        self._variants = {}

    def specialize(self, mask: tuple[bool, ...]):
        """The adjoint compiled to compute only the gradients ``mask`` asks for.

        Returns ``(fn, reads, uses)``: gradients not asked for are ``None`` and the
        statements only they needed are gone, so e.g. ``power`` for its base alone
        never takes a logarithm. Same template as the compiler inlines; made once.
        """
        v = self._variants.get(mask)
        if v is None:
            v = self._variants[mask] = _specialize(self, mask)
        return v
    @property
    def template(self) -> gast.FunctionDef:
        """The adjoint's gast FunctionDef, parsed once (the compiler copies it)."""
        if self._template is None:
            src = textwrap.dedent(inspect.getsource(self.adjoint))
            fdef = gast.parse(src).body[0]
            fdef.decorator_list = []
            self._template = fdef
        return self._template

    def __repr__(self) -> str:
        return f"<Rule {self.name} wrt={self.wrt}>"


RULES: dict[int, Rule] = {}
ALIASES: dict[int, tuple] = {}   # id(wrapper) -> (wrapper, primal)
_PRIMALS: dict[int, Any] = {}      # keeps primals alive so ids stay unique
_NONDIFF: dict[int, Any] = {}


def _default_name(primal: Callable) -> str:
    base = getattr(primal, "__name__", type(primal).__name__)
    return "".join(p[:1].upper() + p[1:] for p in base.split("_")) + "Backward0"


_META_ATTRS = frozenset({"shape", "dtype", "ndim", "size"})


def _reads(fdef: gast.FunctionDef, candidates: Iterable[str]) -> frozenset[str]:
    """Names among ``candidates`` whose values the adjoint body reads (what must be saved).

    A name used only as ``x.shape``/``x.dtype``/``x.ndim``/``x.size`` is not a
    read of its values: the runtime keeps a stand-in with that metadata instead.
    """
    cand = set(candidates)
    meta_only = set()
    for n in gast.walk(fdef):
        if (isinstance(n, gast.Attribute) and n.attr in _META_ATTRS
                and isinstance(n.value, gast.Name)):
            meta_only.add(id(n.value))
    seen = {n.id for n in gast.walk(fdef) if isinstance(n, gast.Name)
            and isinstance(n.ctx, gast.Load) and n.id in cand and id(n) not in meta_only}
    return frozenset(seen)


def meta_reads(fdef: gast.FunctionDef, candidates: Iterable[str]) -> frozenset[str]:
    """Names among ``candidates`` the body uses at all (values or metadata)."""
    cand = set(candidates)
    return frozenset(n.id for n in gast.walk(fdef) if isinstance(n, gast.Name)
                     and isinstance(n.ctx, gast.Load) and n.id in cand)


def rule(*primals: Callable, wrt: tuple[str, ...] | None = None, broadcast: bool = False,
         name: str | None = None) -> Callable[[Callable], Callable]:
    """Register ``adjoint`` as the derivative of every callable in ``primals``.

    ``wrt`` names the differentiable parameters (default: those without a default
    value). ``broadcast=True`` asks the drivers to sum gradients back to each
    input's shape. ``name`` is the eager graph node's class name.
    """
    def register(adjoint: Callable) -> Callable:
        for p in primals:
            r = Rule(p, adjoint, wrt, broadcast, name)
            RULES[id(p)] = r
            _PRIMALS[id(p)] = p
        return adjoint
    return register


def nondifferentiable(*primals: Callable) -> None:
    """Declare callables whose outputs carry no gradient (shape, argmax, floor, ...)."""
    for p in primals:
        _NONDIFF[id(p)] = p


def alias(wrapper: Callable, primal: Callable) -> None:
    """Declare that ``wrapper`` (e.g. ``s2sgrad.exp``, which also accepts Tensors)
    computes ``primal`` on arrays; the compiler calls ``primal`` in its place.

    The wrapper is also marked with ``__s2sgrad_primitive__``, the attribute the
    compiler's normalize pass follows, so the two stay one mechanism.
    """
    ALIASES[id(wrapper)] = (wrapper, primal)
    with contextlib.suppress(AttributeError, TypeError):   # C functions take no attributes
        wrapper.__s2sgrad_primitive__ = primal


def resolve_alias(obj: Any) -> Any:
    """The primal behind an alias, or ``obj`` itself."""
    hit = ALIASES.get(id(obj))
    return hit[1] if hit is not None else obj


def lookup(primal: Any) -> Rule | None:
    r = RULES.get(id(primal))
    if r is None:
        hit = ALIASES.get(id(primal))
        if hit is not None:
            return RULES.get(id(hit[1]))
    return r


def is_nondifferentiable(primal: Any) -> bool:
    return id(primal) in _NONDIFF


class Tangent:
    """A primitive's forward rule: ``jvp(out, *params, *d<wrt>)`` and its template."""

    __slots__ = ("jvp", "params", "tparams", "_template")

    def __init__(self, r: Rule, jvp: Callable):
        names = list(inspect.signature(jvp).parameters)
        expected = ["out", *r.params, *("d" + w for w in r.wrt)]
        if names != expected:
            raise TypeError(f"tangent rule {jvp.__qualname__} must take ({', '.join(expected)})"
                            f", not ({', '.join(names)})")
        self.jvp = jvp
        self.params = r.params
        self.tparams = {w: "d" + w for w in r.wrt}
        self._template = None
        ret = self.template.body[-1] if self.template.body else None
        if not isinstance(ret, gast.Return):
            raise TypeError(f"tangent rule {jvp.__qualname__} must end with a return")

    @property
    def template(self) -> gast.FunctionDef:
        """The forward rule's gast FunctionDef, parsed once (the compiler copies it)."""
        if self._template is None:
            src = textwrap.dedent(inspect.getsource(self.jvp))
            fdef = gast.parse(src).body[0]
            fdef.decorator_list = []
            self._template = fdef
        return self._template

    def __repr__(self) -> str:
        return f"<Tangent {self.jvp.__qualname__}>"


def tangent(*primals: Callable) -> Callable[[Callable], Callable]:
    """Register ``jvp`` as the forward rule of every callable in ``primals``.

    Each primal must already have its adjoint (``@rule``): the two rules are one
    record. The signature is checked against the adjoint's parameters.
    """
    def register(jvp: Callable) -> Callable:
        for p in primals:
            r = RULES.get(id(p))
            if r is None:
                raise TypeError(f"tangent rule {jvp.__qualname__}: {p!r} has no adjoint rule; "
                                "register it with @rule first")
            r.tangent = Tangent(r, jvp)
        return jvp
    return register


def _specialize(r: Rule, mask: tuple[bool, ...]):
    if all(mask):
        return r.adjoint, r.reads, meta_reads(r.template, ("out",) + r.params)
    fdef = copy.deepcopy(r.template)
    ret = fdef.body[-1]
    if len(r.wrt) > 1 and isinstance(ret, gast.Return) and isinstance(ret.value, gast.Tuple):
        ret.value.elts = [e if keep else gast.Constant(None, None)
                          for e, keep in zip(ret.value.elts, mask)]
    elif len(r.wrt) == 1 and not mask[0]:
        ret.value = gast.Constant(None, None)
    else:
        return r.adjoint, r.reads, meta_reads(r.template, ("out",) + r.params)
    live = {n.id for n in gast.walk(ret) if isinstance(n, gast.Name)}
    kept = [ret]
    for stmt in reversed(fdef.body[:-1]):
        targets = {n.id for t in getattr(stmt, "targets", []) for n in gast.walk(t)
                   if isinstance(n, gast.Name)}
        if targets and not (targets & live):
            continue
        live |= {n.id for n in gast.walk(stmt) if isinstance(n, gast.Name)
                 and isinstance(n.ctx, gast.Load)}
        kept.append(stmt)
    fdef.body = kept[::-1]
    fdef.name = f"{fdef.name}_" + "".join("1" if m else "0" for m in mask)
    module = gast.Module(body=[fdef], type_ignores=[])
    tree = ast.fix_missing_locations(gast.gast_to_ast(module))
    code = compile(tree, f"<rule {r.name}>", "exec")
    ns: dict = {}
    exec(code, r.adjoint.__globals__, ns)
    names = ("out",) + r.params
    return ns[fdef.name], _reads(fdef, names), meta_reads(fdef, names)
