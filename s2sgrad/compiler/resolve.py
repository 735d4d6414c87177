"""Bind names in a function's source to the real objects they refer to.

Takes: the function object and a gast expression (a Name or an attribute chain
such as ``np.linalg.norm``). Gives: the object it denotes now, found in the
function's closure cells, module globals or builtins, plus a *guard*: what
must still hold for that answer to stay true (the global still bound to the
same object). Local variables never resolve: their value is only known at run
time.
Invariant: lookup is by object, never by spelling, so ``np.tanh``,
``numpy.tanh``, ``from numpy import tanh`` and ``s2sgrad.tanh`` give the same
object and therefore the same rule.
"""
from __future__ import annotations

import builtins
from typing import Any

import gast

__all__ = ["MISSING", "Guards", "Resolver"]

MISSING = object()


class Guards:
    """Facts a compiled function relies on: names still bound to the same objects."""

    __slots__ = ("attrs", "cells", "dicts")

    def __init__(self):
        self.dicts: list[tuple[dict, str, Any]] = []
        self.cells: list[tuple[Any, Any]] = []
        # (object, attribute, value): an attribute read while compiling (``H.w``, a captured
        # Tensor's ``requires_grad``) still gives the same object.
        self.attrs: list[tuple[Any, str, Any]] = []

    def add_attr(self, obj: Any, name: str, value: Any) -> None:
        for o, n, _ in self.attrs:
            if o is obj and n == name:
                return
        self.attrs.append((obj, name, value))

    def add_dict(self, d: dict, key: str, obj: Any) -> None:
        for dd, k, _ in self.dicts:
            if dd is d and k == key:
                return
        self.dicts.append((d, key, obj))

    def extend(self, other: Guards) -> None:
        for d, k, o in other.dicts:
            self.add_dict(d, k, o)
        for c, o in other.cells:
            if not any(c is cc for cc, _ in self.cells):
                self.cells.append((c, o))
        for o, n, v in other.attrs:
            self.add_attr(o, n, v)

    def hold(self) -> bool:
        for d, k, o in self.dicts:
            if d.get(k, MISSING) is not o:
                return False
        for o, n, v in self.attrs:
            if getattr(o, n, MISSING) is not v:
                return False
        return all(c.cell_contents is o for c, o in self.cells)


class Resolver:
    """Resolves free names of one function; records the guards it relied on."""

    def __init__(self, fn, local_names: set[str]):
        self.fn = fn
        self.locals = local_names
        self.globals = fn.__globals__
        b = self.globals.get("__builtins__", builtins)
        self.builtins = b if isinstance(b, dict) else vars(b)
        code = fn.__code__
        self.cells = dict(zip(code.co_freevars, fn.__closure__ or ()))
        self.guards = Guards()
        self.extra: dict[str, Any] = {}     # names bound by earlier passes (checkpointed loops)

    def name(self, ident: str) -> Any:
        """The object ``ident`` denotes in the function's scope, or MISSING."""
        if ident in self.extra:
            return self.extra[ident]
        if ident in self.locals:
            return MISSING
        if ident in self.cells:
            cell = self.cells[ident]
            try:
                obj = cell.cell_contents
            except ValueError:
                return MISSING
            self.guards.cells.append((cell, obj))
            return obj
        if ident in self.globals:
            obj = self.globals[ident]
            self.guards.add_dict(self.globals, ident, obj)
            return obj
        if ident in self.builtins:
            self.guards.add_dict(self.globals, ident, MISSING)
            return self.builtins[ident]
        return MISSING

    def expr(self, node) -> Any:
        """Resolve a Name or a chain of attributes on a resolvable name, else MISSING."""
        if isinstance(node, gast.Name):
            return self.name(node.id)
        if isinstance(node, gast.Attribute):
            base = self.expr(node.value)
            if base is MISSING or not _static_holder(base):
                return MISSING
            return getattr(base, node.attr, MISSING)
        return MISSING


def _static_holder(obj) -> bool:
    """Objects whose attributes we treat as fixed: modules and classes."""
    return isinstance(obj, type) or type(obj).__name__ == "module"
