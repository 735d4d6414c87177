"""Clean-ups on generated statements: dead code and trivial copies.

Takes: a list of generated statements (a function body) and the names that
must stay live at its end. Gives: the same code without assignments whose
value nothing reads (outside loops, where order is simple) and without the
restore markers that resolved to nothing.
``broadcast_views`` turns a full reduction's expanded cotangent into a broadcast
view where only arithmetic reads it (no array of the input's size is written).
Invariant: only statements without effects are removed (assignments of names
to expressions built from names, constants, operators and pure helpers); a
statement is dropped only when no later statement (in any branch) reads it.
"""
from __future__ import annotations

import operator

import gast

__all__ = ["broadcast_views", "common_subexpressions", "dead_code", "fold_constants",
           "propagate_copies"]

_BIN = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
        gast.Div: operator.truediv, gast.FloorDiv: operator.floordiv, gast.Mod: operator.mod,
        gast.Pow: operator.pow}
_CMP = {gast.Is: operator.is_, gast.IsNot: operator.is_not, gast.Eq: operator.eq,
        gast.NotEq: operator.ne, gast.Lt: operator.lt, gast.LtE: operator.le,
        gast.Gt: operator.gt, gast.GtE: operator.ge}


class _Fold(gast.NodeTransformer):
    """Evaluate operators on literal constants; pick the branch of a constant test."""

    def visit_BinOp(self, node):
        self.generic_visit(node)
        fn = _BIN.get(type(node.op))
        if fn and _num(node.left) and _num(node.right):
            try:
                return gast.Constant(value=fn(node.left.value, node.right.value), kind=None)
            except (ArithmeticError, ValueError):
                return node
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.operand, gast.Constant):
            if isinstance(node.op, gast.Not):
                return gast.Constant(value=not node.operand.value, kind=None)
            if isinstance(node.op, gast.USub) and _num(node.operand):
                return gast.Constant(value=-node.operand.value, kind=None)
        return node

    def visit_Compare(self, node):
        self.generic_visit(node)
        if len(node.ops) == 1 and isinstance(node.ops[0], (gast.Is, gast.IsNot)):
            a, b = node.left, node.comparators[0]
            if _is_none(b) and isinstance(a, (gast.Tuple, gast.List)) or (
                    _is_none(a) and isinstance(b, (gast.Tuple, gast.List))):
                # A tuple or list display is never None.
                return gast.Constant(value=isinstance(node.ops[0], gast.IsNot), kind=None)
        if len(node.ops) == 1 and isinstance(node.left, gast.Constant) and isinstance(
                node.comparators[0], gast.Constant) and type(node.ops[0]) in _CMP:
            a, b = node.left.value, node.comparators[0].value
            if isinstance(node.ops[0], (gast.Is, gast.IsNot)) and not (
                    a is None or b is None or isinstance(a, bool) and isinstance(b, bool)):
                return node  # identity of other literals is an implementation detail
            return gast.Constant(value=_CMP[type(node.ops[0])](a, b), kind=None)
        return node

    def visit_IfExp(self, node):
        self.generic_visit(node)
        if isinstance(node.test, gast.Constant):
            return node.body if node.test.value else node.orelse
        return node


def _is_none(n) -> bool:
    return isinstance(n, gast.Constant) and n.value is None


def _num(n) -> bool:
    return isinstance(n, gast.Constant) and type(n.value) in (int, float)


def fold_constants(body: list) -> list:
    """Constant folding: ``2 - 1`` -> ``1``, ``a if True is True else b`` -> ``a``."""
    folder = _Fold()
    return [folder.visit(s) for s in body]


def _reads(node) -> set:
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name)
            and isinstance(n.ctx, gast.Load)}


def _pure_value(v) -> bool:
    # Subscripts, arithmetic, names and constants have no effect worth keeping.
    return all(not isinstance(n, (gast.Call, gast.Await, gast.Yield)) for n in gast.walk(v))


def dead_code(body: list, live: set) -> list:
    """Drop pure assignments to names nobody reads afterwards (straight-line, backwards)."""
    out = []
    live = set(live)
    for s in reversed(body):
        if isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(
                s.targets[0], gast.Name) and s.targets[0].id not in live and _pure_value(s.value):
            continue
        out.append(s)
        live |= _reads(s)
    return out[::-1]


def _count(body) -> tuple[dict, dict]:
    """How often each name is read and written in ``body`` (one walk)."""
    reads: dict = {}
    writes: dict = {}
    for s in body:
        for n in gast.walk(s):
            if isinstance(n, gast.Name):
                d = reads if isinstance(n.ctx, gast.Load) else writes
                d[n.id] = d.get(n.id, 0) + 1
    return reads, writes


def propagate_copies(body: list) -> list:
    """``_t = e; y = _t`` -> ``y = e`` when the temporary is written and read once."""
    reads, writes = _count(body)

    def walk(stmts):
        out = []
        for s in stmts:
            for field in ("body", "orelse"):
                if isinstance(getattr(s, field, None), list):
                    setattr(s, field, walk(getattr(s, field)))
            prev = out[-1] if out else None
            if (isinstance(s, gast.Assign) and isinstance(s.value, gast.Name)
                    and isinstance(prev, gast.Assign) and len(prev.targets) == 1
                    and isinstance(prev.targets[0], gast.Name)
                    and prev.targets[0].id == s.value.id and s.value.id.startswith("_")
                    and reads.get(s.value.id) == 1 and writes.get(s.value.id) == 1
                    and not hasattr(s, "comment")):
                prev.targets = s.targets
                continue
            out.append(s)
        return out
    return walk(body)


def _parents(body) -> dict:
    """id(node) -> its parent, for every node under ``body``."""
    out: dict = {}
    stack = list(body)
    while stack:
        n = stack.pop()
        for c in gast.iter_child_nodes(n):
            out[id(c)] = n
            stack.append(c)
    return out


def broadcast_views(body: list, expand: str | None, spread: str) -> list:
    """``expand(g, shape, None, False)`` -> ``spread(g, shape)`` (a broadcast view when
    large) where only arithmetic reads the result, so it is never written or returned.

    ``expand`` is the name bound to ``helpers.expand_reduced``, which materialises
    the full array (the gradient of ``sum(x)`` must be a writable array of x's shape).
    """
    if expand is None:
        return body
    parents = _parents(body)
    reads, writes = _count(body)
    loads: dict = {}
    for s in body:
        for n in gast.walk(s):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
                loads.setdefault(n.id, []).append(n)

    def operand(node) -> bool:
        p = parents.get(id(node))
        return isinstance(p, gast.BinOp) and not isinstance(p.op, gast.MatMult)

    def view(c):
        return gast.Call(func=gast.Name(id=spread, ctx=gast.Load(), annotation=None,
                                        type_comment=None), args=c.args[:2], keywords=[])

    for s in body:
        for n in gast.walk(s):
            if not (isinstance(n, gast.Call) and isinstance(n.func, gast.Name)
                    and n.func.id == expand and len(n.args) == 4
                    and isinstance(n.args[2], gast.Constant) and n.args[2].value is None):
                continue
            p = parents.get(id(n))
            if isinstance(p, gast.BinOp) and operand(n):
                idx = "left" if p.left is n else "right"
                setattr(p, idx, view(n))
            elif isinstance(p, gast.Assign) and len(p.targets) == 1 and isinstance(
                    p.targets[0], gast.Name):
                t = p.targets[0].id
                if writes.get(t) == 1 and loads.get(t) and all(operand(x) for x in loads[t]):
                    p.value = view(n)
    return body


def _simple(v) -> bool:
    """An operator on names and literals: pure, and its text says what it computes."""
    ok = (gast.Name, gast.Constant, gast.Load, gast.operator, gast.unaryop)
    return isinstance(v, (gast.BinOp, gast.UnaryOp)) and all(
        isinstance(n, ok) or n is v for n in gast.walk(v))


def common_subexpressions(body: list) -> list:
    """``_g2 = a * x`` after ``_g1 = a * x`` (nothing rebound between) reads ``_g1`` instead.

    Only top-level statements are scanned; a compound statement ends every reuse of a
    name it writes. A temporary is replaced only when it is assigned once.
    """
    _, writes = _count(body)
    seen: dict = {}          # expression text -> temporary holding it
    rename: dict = {}
    out = []
    for s in body:
        if rename:
            for n in gast.walk(s):
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) and n.id in rename:
                    n.id = rename[n.id]
        written = {n.id for n in gast.walk(s) if isinstance(n, gast.Name)
                   and not isinstance(n.ctx, gast.Load)}
        if isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(
                s.targets[0], gast.Name) and _simple(s.value):
            t = s.targets[0].id
            key = gast.dump(s.value)
            hit = seen.get(key)
            if hit is not None and t.startswith("_") and writes.get(t) == 1:
                rename[t] = hit
                continue
        if written:
            seen = {k: v for k, v in seen.items() if v not in written and not any(
                f"id='{w}'" in k for w in written)}
        if isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(
                s.targets[0], gast.Name) and _simple(s.value) and writes.get(
                s.targets[0].id) == 1 and s.targets[0].id not in _reads(s.value):
            seen[gast.dump(s.value)] = s.targets[0].id
        out.append(s)
    return out
