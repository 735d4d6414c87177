"""Refuse writes whose NumPy meaning depends on aliasing the compiler does not model.

Takes: a parsed ``Source`` (called by ``fence.check``). Gives: nothing, or a
``TransformError`` at the first write that could change an array through another
name: a view (``v = y[1:]``, ``y.T``, ``y.reshape(...)``, ``for row in y``), a plain
copy of the reference (``z = y``), an ``out=`` argument, or an in-place method
(``y.sort()``, ``y.fill(0)``).
Invariant: the check is syntactic and flow-insensitive, so it over-approximates:
it may refuse a program that would have been fine, never accept one whose
gradient would silently miss a write made through an alias.
"""
from __future__ import annotations

import types

import gast

from .source import Source

__all__ = ["check"]

# ndarray (and list) methods that change their object in place.
MUTATING_METHODS = frozenset({"sort", "fill", "put", "resize", "partition", "itemset",
                              "setflags", "setfield", "reverse", "__setitem__", "__iadd__",
                              "__isub__", "__imul__", "__itruediv__"})
# Calls and attributes whose result may share memory with their first operand.
VIEW_METHODS = frozenset({"reshape", "ravel", "view", "transpose", "swapaxes", "squeeze",
                          "T", "mT", "real", "imag", "flat", "diagonal", "__array__",
                          "detach", "data", "expand", "expand_as", "view_as", "permute",
                          "unsqueeze", "t", "narrow", "select", "unfold", "as_strided"})
VIEW_FUNCTIONS = frozenset({"reshape", "ravel", "transpose", "swapaxes", "moveaxis",
                            "rollaxis", "squeeze", "expand_dims", "asarray", "asanyarray",
                            "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_to",
                            "diagonal", "real", "imag", "matrix_transpose", "permute_dims"})


def _base_name(node) -> str | None:
    """The variable an expression may be a view of (``y`` in ``y[1:].T``), if any."""
    while True:
        if isinstance(node, gast.Name):
            return node.id
        if isinstance(node, gast.Subscript) or (isinstance(node, gast.Attribute)
                                                and node.attr in VIEW_METHODS):
            node = node.value
        elif isinstance(node, (gast.ListComp, gast.GeneratorExp)):
            node = node.generators[0].iter      # its elements may be views of what it walks
        elif isinstance(node, gast.Call):
            f = node.func
            if isinstance(f, gast.Attribute) and f.attr in VIEW_METHODS:
                node = f.value
            elif (isinstance(f, (gast.Attribute, gast.Name)) and node.args
                  and (f.attr if isinstance(f, gast.Attribute) else f.id) in VIEW_FUNCTIONS):
                node = node.args[0]
            else:
                return None
        else:
            return None


def _iterated(it, dicts: set) -> list[str]:
    """Variables whose memory a ``for`` over ``it`` may bind: the sequences of
    ``enumerate``/``zip``, a dict behind ``.values()``/``.items()`` (not ``.keys()``, and
    not a dict display iterated directly: those give keys), else ``it``'s base."""
    if isinstance(it, gast.Call):
        f = it.func
        if isinstance(f, gast.Name) and f.id in ("enumerate", "zip"):
            return [b for a in it.args for b in _iterated(a, dicts)]
        if isinstance(f, gast.Attribute) and f.attr in ("keys", "values", "items"):
            base = _base_name(f.value)
            return [] if base is None or f.attr == "keys" else [base]
    if isinstance(it, gast.Name) and it.id in dicts:
        return []
    base = _base_name(it)
    return [] if base is None else [base]


def _is_module(src: Source, node, local: set) -> bool:
    """Whether ``node`` names a module (``np`` in ``np.sort(x)``: a function, not a method)."""
    if isinstance(node, gast.Name) and node.id not in local:
        return isinstance(getattr(src.fn, "__globals__", {}).get(node.id), types.ModuleType)
    if isinstance(node, gast.Attribute) and _is_module(src, node.value, local):
        parent = node.value
        names = []
        while isinstance(parent, gast.Attribute):
            names.append(parent.attr)
            parent = parent.value
        obj = src.fn.__globals__.get(parent.id)
        for a in reversed(names):
            obj = getattr(obj, a, None)
        return isinstance(getattr(obj, node.attr, None), types.ModuleType)
    return False


class _Groups:
    """Union-find over variable names that may share memory."""

    def __init__(self):
        self.parent: dict[str, str] = {}
        self.size: dict[str, int] = {}

    def find(self, a: str) -> str:
        self.parent.setdefault(a, a)
        self.size.setdefault(a, 1)
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[ra] = rb
            self.size[rb] += self.size[ra]

    def shared(self, a: str) -> bool:
        return self.size.get(self.find(a), 1) > 1


def _pairs(target, value):
    """(name, value expression) pairs an assignment binds, through tuple unpacking."""
    if isinstance(target, gast.Name):
        yield target.id, value
    elif isinstance(target, (gast.Tuple, gast.List)) and isinstance(value, (gast.Tuple,
                                                                            gast.List)):
        for t, v in zip(target.elts, value.elts):
            yield from _pairs(t, v)


def check(src: Source) -> None:
    """Raise TransformError at a write that may reach an array through an alias."""
    body = src.fdef.body
    groups = _Groups()
    local = {n.id for n in gast.walk(src.fdef) if isinstance(n, gast.Name)
             and isinstance(n.ctx, (gast.Store, gast.Param, gast.Del))}
    dicts = {t.id for n in gast.walk(src.fdef) if isinstance(n, gast.Assign)
             and isinstance(n.value, gast.Dict) for t in n.targets if isinstance(t, gast.Name)}
    for stmt in body:
        for node in gast.walk(stmt):
            if isinstance(node, gast.Assign):
                for target in node.targets:
                    for name, value in _pairs(target, node.value):
                        base = _base_name(value)
                        if base is not None:
                            groups.union(name, base)
            elif isinstance(node, gast.For):
                # Every name the loop binds may be a view of what it iterates (a row, a
                # dict's value, an element of enumerate/zip); a dict's keys are not.
                names = [n.id for n in gast.walk(node.target) if isinstance(n, gast.Name)]
                for base in _iterated(node.iter, dicts):
                    for name in names:
                        groups.union(name, base)
    for stmt in body:
        for node in gast.walk(stmt):
            if isinstance(node, gast.Call):
                for kw in node.keywords:
                    if kw.arg == "out":
                        raise src.error("unsupported construct: a call that writes into out=",
                                        node, "assign the result instead: y = f(...)")
                f = node.func
                if (isinstance(f, gast.Attribute) and f.attr in MUTATING_METHODS
                        and not _is_module(src, f.value, local)):
                    name = _base_name(f.value)
                    raise src.error(f"unsupported construct: in-place method .{f.attr}() on "
                                    f"{name or 'a value'}", node,
                                    f"use the function form that returns a new array "
                                    f"(e.g. np.{f.attr.strip('_')}(...)) and assign it")
            writes = []
            if isinstance(node, gast.AugAssign):
                writes.append(node.target)
            elif isinstance(node, gast.Assign):
                writes.extend(t for t in node.targets if isinstance(t, gast.Subscript))
            for target in writes:
                name = _base_name(target)
                if name is not None and groups.shared(name):
                    raise src.error(
                        f"unsupported construct: a write into {name!r}, which may share memory "
                        "with another variable (a view or a plain reference)", target,
                        f"make an independent array first: {name} = {name}.copy()")
