"""Instantiate a primitive's forward rule into generated statements.

Takes: a ``Rule`` with a tangent, the call's operands bound to the rule's
parameters, the expression for ``out``, the tangent expression of each ``wrt``
parameter (None where the operand does not vary) and the ``Namer``.
Gives: the template body with parameters replaced, locals renamed to fresh
temporaries and module globals bound, plus the tangent expression (None when
every term was dropped) and whether a term was dropped.

The returned expression is split into its top-level ``+``/``-`` terms; a term
that reads only tangents known to be zero is dropped, with the statements
only it needed, so an input that does not vary costs nothing. A kept term that
still reads a zero tangent gets ``zeros_of(operand)`` in its place.
Invariant: the template in the rule table is never modified (a copy is).
"""
from __future__ import annotations

import copy

import gast

from ..rules.helpers import zeros_of
from .forward import clone
from .nodes import call, load
from .templates import _Rewrite, value_expr

__all__ = ["instantiate_tangent"]


def _terms(e, sign=1) -> list:
    """(sign, expression) for each top-level ``+``/``-`` term of ``e``."""
    if isinstance(e, gast.BinOp) and isinstance(e.op, (gast.Add, gast.Sub)):
        right = -sign if isinstance(e.op, gast.Sub) else sign
        return _terms(e.left, sign) + _terms(e.right, right)
    return [(sign, e)]


def _names(node) -> set:
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name)
            and isinstance(n.ctx, gast.Load)}


def _targets(stmt) -> set:
    return {n.id for t in getattr(stmt, "targets", [stmt.target] if hasattr(stmt, "target")
                                  else []) for n in gast.walk(t) if isinstance(n, gast.Name)}


def _plan(tan, zero: frozenset):
    """(kept statements, kept terms) of the template when the tangents ``zero`` are zero."""
    body = copy.deepcopy(tan.template.body)
    ret = body.pop().value
    live_d = set(tan.tparams.values()) - zero
    dead_d = set(zero)
    for s in body:
        reads = _names(s)
        if reads & live_d:
            live_d |= _targets(s)
        elif reads & dead_d:
            dead_d |= _targets(s)
    terms = [(sg, t) for sg, t in _terms(ret)
             if (_names(t) & live_d) or not (_names(t) & dead_d)]
    live = set().union(*(_names(t) for _, t in terms)) if terms else set()
    kept = []
    for s in reversed(body):
        if _targets(s) & live:
            kept.append(s)
            live |= _names(s)
    return kept[::-1], terms


_PLANS: dict = {}


def instantiate_tangent(rule, bound: dict, out, tangents: dict, namer):
    """(statements, tangent expression or None, whether a term was dropped)."""
    tan = rule.tangent
    zero = frozenset(tan.tparams[w] for w in rule.wrt if tangents.get(w) is None)
    key = (id(rule), zero)
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = _plan(tan, zero)
    body, terms = plan
    if not terms:
        return [], None, True
    subst = {"out": out}
    for p in rule.params:
        if p in bound:
            subst[p] = bound[p]
        elif p in rule.defaults:
            subst[p] = value_expr(rule.defaults[p], namer)
        else:
            raise TypeError(f"rule {rule.name}: no value for parameter {p!r}")
    zeros = load(namer.bind(zeros_of, "zeros_of"))
    for w in rule.wrt:
        d = tangents.get(w)
        subst[tan.tparams[w]] = d if d is not None else call(clone(zeros), [clone(subst[w])])
    rename = {n: namer.tmp(n.strip("_")) for s in body for n in sorted(_targets(s))}
    rw = _Rewrite(subst, rename, tan.jvp.__globals__, namer)
    stmts = [rw.visit(clone(s)) for s in body]
    expr = None
    for sg, t in terms:
        t = rw.visit(clone(t))
        if expr is None:
            expr = t if sg > 0 else gast.UnaryOp(op=gast.USub(), operand=t)
        else:
            expr = gast.BinOp(left=expr, op=gast.Add() if sg > 0 else gast.Sub(), right=t)
    dropped = len(terms) < len(_terms(tan.template.body[-1].value))
    return stmts, expr, dropped

