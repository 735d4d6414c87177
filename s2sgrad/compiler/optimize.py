"""Clean-ups on generated statements: dead code and trivial copies.

Takes: a list of generated statements (a function body) and the names that
must stay live at its end. Gives: the same code without assignments whose
value nothing reads (outside loops, where order is simple) and without the
restore markers that resolved to nothing.
Invariant: only statements without effects are removed (assignments of names
to expressions built from names, constants, operators and pure helpers); a
statement is dropped only when no later statement (in any branch) reads it.
"""
from __future__ import annotations

import gast

__all__ = ["dead_code"]


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
