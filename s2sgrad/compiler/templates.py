"""Instantiate a rule's adjoint template into generated statements.

Takes: a ``Rule``, the call's operands bound to the rule's parameters, the
expressions for ``g`` (the output's adjoint) and ``out``, the ``wrt``
parameters whose gradients are wanted, and the ``Namer``.
Gives: the template body with parameters replaced by the operands, its locals
renamed to fresh temporaries and its module globals bound by name, plus one
expression per wanted gradient. Statements only unwanted gradients need are
dropped (``power`` for its base alone never takes a logarithm).
Invariant: the template object in the rule table is never modified (a copy
is rewritten), and rules stay the one source of derivatives.
"""
from __future__ import annotations

import builtins
import copy

import gast

from .forward import clone
from .nodes import const, is_atom, load, store

__all__ = ["instantiate", "value_expr"]


def value_expr(value, namer):
    """A default parameter value as an expression (literal, or a bound name)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return const(value)
    if isinstance(value, tuple) and all(v is None or isinstance(v, (bool, int, float, str))
                                        for v in value):
        return gast.Tuple(elts=[const(v) for v in value], ctx=gast.Load())
    return load(namer.bind(value, "default"))


class _Rewrite(gast.NodeTransformer):
    def __init__(self, subst, rename, fglobals, namer):
        self.subst, self.rename, self.fglobals, self.namer = subst, rename, fglobals, namer

    def visit_Name(self, node):
        if isinstance(node.ctx, gast.Load) and node.id in self.subst:
            return clone(self.subst[node.id])
        if node.id in self.rename:
            return gast.Name(id=self.rename[node.id], ctx=node.ctx, annotation=None,
                             type_comment=None)
        if isinstance(node.ctx, gast.Load):
            if node.id in self.fglobals:
                obj = self.fglobals[node.id]
            elif hasattr(builtins, node.id):
                return node
            else:
                raise NameError(f"rule template reads unknown name {node.id!r}")
            return load(self.namer.bind(obj, node.id))
        return node


def _assigned(body) -> list[str]:
    out = []
    for s in body:
        for t in getattr(s, "targets", []):
            for n in gast.walk(t):
                if isinstance(n, gast.Name) and n.id not in out:
                    out.append(n.id)
    return out


_PRUNED: dict = {}


def _pruned(rule, want: tuple):
    """(template statements, {param: expression}) for the wanted gradients, made once."""
    key = (id(rule), want)
    hit = _PRUNED.get(key)
    if hit is not None:
        return hit
    body = copy.deepcopy(rule.template.body)
    if not body or not isinstance(body[-1], gast.Return):
        raise TypeError(f"rule {rule.name}: template must end with a return")
    ret = body.pop().value
    if len(rule.wrt) == 1:
        parts = {rule.wrt[0]: ret}
    elif isinstance(ret, gast.Tuple) and len(ret.elts) == len(rule.wrt):
        parts = dict(zip(rule.wrt, ret.elts))
    else:
        body.append(gast.Assign(targets=[store("_gs")], value=ret, type_comment=None))
        parts = {w: gast.Subscript(value=load("_gs"), slice=const(i), ctx=gast.Load())
                 for i, w in enumerate(rule.wrt)}
    parts = {w: parts[w] for w in want}
    hit = _PRUNED[key] = (_prune(body, parts.values()), parts)
    return hit


def instantiate(rule, bound: dict, g, out, want: list[str], namer):
    """(statements, {param: expression}) computing the wanted gradients."""
    body, parts = _pruned(rule, tuple(want))
    subst = {"g": g, "out": out}
    for p in rule.params:
        if p in bound:
            subst[p] = bound[p]
        elif p in rule.defaults:
            subst[p] = value_expr(rule.defaults[p], namer)
        else:
            raise TypeError(f"rule {rule.name}: no value for parameter {p!r}")
    rename = {n: namer.tmp(n.strip("_")) for n in _assigned(body)}
    rw = _Rewrite(subst, rename, rule.adjoint.__globals__, namer)
    body = [rw.visit(clone(s)) for s in body]
    results = {}
    for w in want:
        e = rw.visit(clone(parts[w]))
        if not is_atom(e):
            t = namer.tmp("g")
            body.append(gast.Assign(targets=[store(t)], value=e, type_comment=None))
            e = load(t)
        results[w] = e
    return body, results


def _prune(body, results) -> list:
    """Drop template statements no wanted result depends on."""
    live = {n.id for e in results for n in gast.walk(e) if isinstance(n, gast.Name)}
    kept = []
    for s in reversed(body):
        tgts = {n.id for t in s.targets for n in gast.walk(t) if isinstance(n, gast.Name)}
        if tgts & live:
            kept.append(s)
            live |= {n.id for n in gast.walk(s.value) if isinstance(n, gast.Name)}
    return kept[::-1]
