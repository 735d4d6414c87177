"""Tiny constructors for the gast nodes the passes build.

Takes: names, constants and child nodes. Gives: well-formed gast nodes (every
optional field filled) so the emitter and ``compile`` accept them as they are.
Invariant: builders never share a child between two parents, except for atoms
(Name/Constant), which passes treat as immutable.
"""
from __future__ import annotations

import gast

__all__ = [
    "assign",
    "attr",
    "call",
    "const",
    "expr_stmt",
    "if_",
    "is_atom",
    "load",
    "name",
    "parse_expr",
    "parse_stmts",
    "store",
    "tuple_",
]


def load(ident: str) -> gast.Name:
    return gast.Name(id=ident, ctx=gast.Load(), annotation=None, type_comment=None)


name = load


def store(ident: str) -> gast.Name:
    return gast.Name(id=ident, ctx=gast.Store(), annotation=None, type_comment=None)


def const(value) -> gast.Constant:
    return gast.Constant(value=value, kind=None)


def assign(target: str | gast.AST, value) -> gast.Assign:
    tgt = store(target) if isinstance(target, str) else target
    return gast.Assign(targets=[tgt], value=value, type_comment=None)


def call(func, args=(), keywords=None) -> gast.Call:
    func = load(func) if isinstance(func, str) else func
    kws = [gast.keyword(arg=k, value=v) for k, v in (keywords or {}).items()]
    return gast.Call(func=func, args=list(args), keywords=kws)


def attr(value, attribute: str) -> gast.Attribute:
    value = load(value) if isinstance(value, str) else value
    return gast.Attribute(value=value, attr=attribute, ctx=gast.Load())


def tuple_(elts, ctx=None) -> gast.Tuple:
    return gast.Tuple(elts=list(elts), ctx=ctx or gast.Load())


def if_(test, body, orelse=None) -> gast.If:
    test = load(test) if isinstance(test, str) else test
    return gast.If(test=test, body=list(body), orelse=list(orelse or []))


def expr_stmt(value) -> gast.Expr:
    return gast.Expr(value=value)


def is_atom(node) -> bool:
    return isinstance(node, (gast.Name, gast.Constant))


def parse_expr(text: str):
    return gast.parse(text).body[0].value


def parse_stmts(text: str) -> list:
    return gast.parse(text).body
