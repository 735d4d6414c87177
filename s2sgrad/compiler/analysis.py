"""Activity and overwrite analysis on the three-address form.

Takes: a ``NormalForm`` and the indices of the differentiated parameters.
Gives: an ``Activity``: each call statement classified (``prim`` with its rule,
``user`` function with source, ``nondiff``, ``opaque``), the *varied* names
(depend on a differentiated input through differentiable operations), the
*useful* names (the returned value depends on them) and the *active* names
(both), plus which names are assigned more than once or inside a loop
(``overwritten``) and where each name is first defined.
Invariant: the analysis is flow-insensitive per name and conservative: a name
that may carry a gradient is active; an active statement whose operation has
no rule is reported, never skipped.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import gast

from ..rules import is_nondifferentiable, lookup
from .calls import Packed
from .revolve import CheckpointedLoop

__all__ = ["Activity", "analyse", "bind_rule_args", "classify", "walk_stmts"]


def classify(stmt) -> str:
    """What kind of operation a ``call`` statement performs."""
    callee = stmt.callee
    if callee is None:
        return "opaque"
    if lookup(callee) is not None:
        return "prim"
    if is_nondifferentiable(callee):
        return "nondiff"
    if inspect.isfunction(callee) or isinstance(callee, (CheckpointedLoop, Packed)):
        return "user"
    return "opaque"


def walk_stmts(body, depth=0):
    """(statement, loop depth) for every statement, in program order."""
    for s in body:
        yield s, depth
        if isinstance(s, gast.If):
            yield from walk_stmts(s.body, depth)
            yield from walk_stmts(s.orelse, depth)
        elif isinstance(s, (gast.For, gast.While)):
            yield from walk_stmts(s.body, depth + 1)


_VARIADIC: dict = {}


def _variadic(rule) -> str | None:
    """The rule's ``*name`` parameter (``np.einsum(subscripts, *operands)``), if any."""
    key = id(rule)
    if key not in _VARIADIC:
        ps = inspect.signature(rule.adjoint).parameters.values()
        _VARIADIC[key] = next((p.name for p in ps if p.kind is p.VAR_POSITIONAL), None)
    return _VARIADIC[key]


def bind_rule_args(rule, stmt) -> dict:
    """The rule's parameter name -> the call's operand atom (only those given).

    A ``*name`` parameter takes the remaining positional operands as one tuple.
    """
    var = _variadic(rule)
    bound = {}
    args = list(stmt.args)
    for i, p in enumerate(rule.params):
        if p == var:
            bound[p] = gast.Tuple(elts=args[i:], ctx=gast.Load())
            args = []
            break
        if i < len(args):
            bound[p] = args[i]
    for k, v in stmt.kwargs.items():
        bound[k] = v
    return bound


def operand_names(a) -> list[str]:
    """Names inside an operand (a Name, or a tuple of atoms)."""
    if isinstance(a, gast.Name):
        return [a.id]
    if isinstance(a, gast.Tuple):
        return [e.id for e in a.elts if isinstance(e, gast.Name)]
    return []


def bind_user_args(fn, stmt) -> dict:
    sig = inspect.signature(fn)
    ba = sig.bind(*stmt.args, **stmt.kwargs)
    return dict(ba.arguments)


def _name(a):
    return a.id if isinstance(a, gast.Name) else None


@dataclass
class Activity:
    diff_params: list[str]
    varied: set[str] = field(default_factory=set)
    useful: set[str] = field(default_factory=set)
    kinds: dict = field(default_factory=dict)            # id(stmt) -> kind
    overwritten: set[str] = field(default_factory=set)
    top_first: dict = field(default_factory=dict)        # name -> first top-level def stmt

    @property
    def active(self) -> set[str]:
        return self.varied & self.useful

    def is_active(self, a) -> bool:
        if isinstance(a, gast.Tuple):
            return any(self.is_active(e) for e in a.elts)
        n = _name(a)
        return n is not None and n in self.varied and n in self.useful


def _diff_operands(stmt, kind) -> list[str]:
    """Names whose gradient the statement's operation propagates to."""
    op = stmt.op
    if getattr(stmt, "stop", False):
        return []
    if op == "copy":
        return [n for n in map(_name, stmt.args) if n]
    if op == "call":
        if kind == "prim":
            rule = lookup(stmt.callee)
            bound = bind_rule_args(rule, stmt)
            return [n for w in rule.wrt if w in bound for n in operand_names(bound[w])]
        if kind in ("user", "opaque"):
            return [n for n in map(_name, list(stmt.args) + list(stmt.kwargs.values())) if n]
        return []
    if op == "subscript":
        n = _name(stmt.args[0])
        return [n] if n else []
    if op == "pack":
        return [n for n in map(_name, stmt.args) if n]
    if op in ("setitem", "append"):
        return [n for n in map(_name, stmt.args[-1:]) if n]
    return []


def _target(stmt) -> list[str]:
    if stmt.op in ("setitem", "append"):
        return [stmt.args[0].id]
    if isinstance(stmt, gast.Assign):
        return [n.id for t in stmt.targets for n in gast.walk(t)
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)]
    return []


def analyse(nf, diff_params: list[str]) -> Activity:
    act = Activity(list(diff_params))
    stmts = [(s, d) for s, d in walk_stmts(nf.body)]
    flows = []                 # (targets, diff operands) per data statement
    defs: dict[str, int] = {p: 1 for p in nf.params}
    top = {id(s) for s in nf.body}      # statements of the body itself, outside any block
    for s, depth in stmts:
        if isinstance(s, gast.For):
            tgt = s.target.id
            defs[tgt] = defs.get(tgt, 0) + 1
            act.overwritten.add(tgt) if defs[tgt] > 1 else None
            continue
        if not hasattr(s, "op") or s.op in ("if", "for", "while", "return", "effect"):
            continue
        kind = classify(s) if s.op == "call" else s.op
        act.kinds[id(s)] = kind
        tg = _target(s)
        flows.append((tg, _diff_operands(s, kind)))
        for t in tg:
            defs[t] = defs.get(t, 0) + 1
            if depth > 0 or defs[t] > 1 or s.op in ("setitem", "append"):
                act.overwritten.add(t)
            if id(s) in top and defs[t] == 1 and t not in act.top_first:
                act.top_first[t] = s
    varied = set(diff_params)
    changed = True
    while changed:
        changed = False
        for tg, ops in flows:
            if any(o in varied for o in ops):
                for t in tg:
                    if t not in varied:
                        varied.add(t)
                        changed = True
    ret = nf.body[-1]
    useful = {_name(ret.value)} - {None}
    changed = True
    while changed:
        changed = False
        for tg, ops in flows:
            if any(t in useful for t in tg):
                for o in ops:
                    if o not in useful:
                        useful.add(o)
                        changed = True
    act.varied, act.useful = varied, useful
    return act

