"""The primal sweep: the function's own computation, with or without saves.

Takes: the three-address body, its ``Activity``, the ``needed`` names (what the
adjoint reads) and the compiled callees. Gives: the statements of the plain
primal (no saves) and of the forward sweep, which pushes every needed value a
later statement overwrites and ends by returning ``(value, tape)``, the tape
holding each needed name's final value and the stack.
Invariant: ``pushes`` is the one predicate deciding a save, so each push of
the forward sweep has exactly one pop in the adjoint sweep, in reverse order.
"""
from __future__ import annotations

import copy

import gast
import numpy as np

from . import support
from .nodes import assign, attr, call, const, load, store, tuple_

__all__ = ["Forward", "clone", "has_break", "instrument", "pushes"]


def clone(node):
    """Copy a gast tree, keeping non-tree attributes (resolved objects) by reference."""
    if isinstance(node, list):
        return [clone(x) for x in node]
    if not isinstance(node, gast.AST):
        return node
    new = type(node).__new__(type(node))
    for k, v in node.__dict__.items():
        new.__dict__[k] = clone(v) if isinstance(v, (gast.AST, list)) else v
    return new


def has_break(loop) -> bool:
    return any(isinstance(x, gast.If) and getattr(x, "op", None) == "effect" for x in loop.body)


def _mk(stmt, op, line, **kw):
    stmt.op, stmt.lineno, stmt.stop = op, line, False
    stmt.args = []
    for k, v in kw.items():
        setattr(stmt, k, v)
    return stmt


def instrument(body, namer) -> list:
    """The body with trip counters for loops whose reverse needs one (new loop nodes)."""
    out = []
    for s in body:
        if isinstance(s, gast.If) and s.op == "if":
            n = gast.If(test=s.test, body=instrument(s.body, namer),
                        orelse=instrument(s.orelse, namer))
            n.op, n.lineno = "if", s.lineno
            out.append(n)
        elif isinstance(s, (gast.For, gast.While)):
            inner = instrument(s.body, namer)
            trip = None
            if isinstance(s, gast.While) or has_break(s):
                trip = namer.tmp("trip")
                out.append(_mk(assign(trip, const(0)), "const", s.lineno))
                inc = _mk(assign(trip, gast.BinOp(left=load(trip), op=gast.Add(),
                                                  right=const(1))), "const", s.lineno,
                          norestore=True)
                inner = [inc] + inner
            if isinstance(s, gast.For):
                n = gast.For(target=s.target, iter=s.iter, body=inner, orelse=[],
                             type_comment=None)
            else:
                n = gast.While(test=s.test, body=inner, orelse=[])
            n.op, n.lineno, n.trip = s.op, s.lineno, trip
            out.append(n)
        else:
            out.append(s)
    return out


def pushes(act, needed, stmt, name) -> bool:
    """Whether the forward sweep saves ``name``'s old value before ``stmt`` overwrites it."""
    return (name in needed and name in act.overwritten and act.top_first.get(name) is not stmt
            and not getattr(stmt, "norestore", False))


class Binder(gast.NodeTransformer):
    """Replace references to resolved objects by names bound for generated code."""

    def __init__(self, namer):
        self.namer = namer

    def visit_Name(self, node):
        obj = getattr(node, "obj", None)
        if obj is None:
            return node
        name = getattr(obj, "__name__", "fn")
        if getattr(np, name, None) is obj:
            return attr(self.namer.numpy_name(), name)
        return load(self.namer.bind(obj, name))


class Forward:
    def __init__(self, act, needed, namer, callees, primals, containers):
        self.act, self.needed, self.namer = act, needed, namer
        self.callees = callees        # id(stmt) -> (fwd name, adj name, tape name)
        self.primals = primals        # id(stmt) -> primal name for user calls
        self.containers = containers
        self.binder = Binder(namer)
        self.saving = True
        self.stack = None
        self.meta: set = set()

    def push(self, value) -> gast.Expr:
        return gast.Expr(value=call(attr(load(self.stack), "append"), [self.saved(value)]))

    def saved(self, value):
        """``value``, or only its metadata when that is all the adjoint reads."""
        if isinstance(value, gast.Name) and value.id in self.meta:
            return call(self.namer.bind(support.meta, "meta"), [value])
        return value

    def block(self, body) -> list:
        out = []
        for s in body:
            self.stmt(s, out)
        return out

    def stmt(self, s, out):
        op = getattr(s, "op", None)
        if isinstance(s, gast.If) and op == "if":
            n = gast.If(test=load(s.test.id), body=self.block(s.body) or [gast.Pass()],
                        orelse=self.block(s.orelse))
            out.append(n)
            return
        if isinstance(s, gast.For):
            if self.saving and pushes(self.act, self.needed, s, s.target.id):
                out.append(self.push(load(s.target.id)))
            out.append(gast.For(target=store(s.target.id), iter=load(s.iter.id),
                                body=self.block(s.body) or [gast.Pass()], orelse=[],
                                type_comment=None))
            return
        if isinstance(s, gast.While):
            out.append(gast.While(test=load(s.test.id), body=self.block(s.body) or [
                gast.Pass()], orelse=[]))
            return
        if op == "return":
            out.append(self.ret(s))
            return
        if op == "setitem" and self.saving and s.args[0].id in self.needed:
            x = s.args[0].id
            if x in self.containers:
                old = call(self.namer.bind(support.peek, "peek"), [load(x), s.targets[0].slice])
            else:
                old = call(attr(gast.Subscript(value=load(x), slice=s.targets[0].slice,
                                               ctx=gast.Load()), "copy"), [])
            out.append(self.push(old))
        if self.saving and isinstance(s, gast.Assign):
            for name in [n.id for t in s.targets for n in gast.walk(t)
                         if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)] + list(
                    getattr(s, "extra_targets", [])):
                if pushes(self.act, self.needed, s, name):
                    out.append(self.push(load(name)))
        # Binding resolved objects to names is the same in every sweep, so the statement
        # is rewritten in place; only what differs between sweeps is copied.
        node = self.binder.visit(s)
        if op == "call" and (id(s) in self.primals or id(s) in self.callees):
            node = copy.copy(node)
            node.value = copy.copy(node.value)
            if id(s) in self.primals:
                node.value.func = load(self.primals[id(s)])
            if self.saving and id(s) in self.callees:
                fwd, _, tape = self.callees[id(s)]
                node.value.func = load(fwd)
                node.targets = [tuple_([store(s.targets[0].id), store(tape)], gast.Store())]
        out.append(node)

    def ret(self, s):
        value = s.value
        if not self.saving:
            return gast.Return(value=value)
        saved = [self.saved(load(n)) for n in sorted(self.needed)] + (
            [load(self.stack)] if self.stack else [])
        return gast.Return(value=tuple_([value, tuple_(saved)]))
