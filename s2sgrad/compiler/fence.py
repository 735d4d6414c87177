"""Reject syntax the compiler does not transform, before any other pass runs.

Takes: a parsed ``Source``. Gives: nothing, or a ``TransformError`` naming the
first unsupported construct with its file, line and a caret.
Invariant: every construct that reaches ``normalize`` is one it knows; anything
else stops here, so no unknown statement can slip through as a wrong gradient.
"""
from __future__ import annotations

import gast

from . import aliasing
from .source import Source

__all__ = ["check"]

# node type -> (what it is, what to do instead)
_REJECT = {
    gast.FunctionDef: ("a function defined inside the function", "define it at module level"),
    gast.AsyncFunctionDef: ("an async function", "use a plain def"),
    gast.ClassDef: ("a class defined inside the function", "define it at module level"),
    gast.Lambda: ("a lambda", "define a function with def at module level"),
    gast.Yield: ("a generator (yield)", "return a list or a tuple instead"),
    gast.YieldFrom: ("a generator (yield from)", "return a list or a tuple instead"),
    gast.Await: ("await", "call a synchronous function"),
    gast.Try: ("a try statement", "move error handling outside the differentiated function"),
    gast.Global: ("a global statement (writes to globals)", "return the value instead"),
    gast.Nonlocal: ("a nonlocal statement", "return the value instead"),
    gast.Delete: ("a del statement", "drop the del; names go out of scope at return"),
    gast.SetComp: ("a set comprehension", "write a for loop"),
    gast.DictComp: ("a dict comprehension", "write a for loop"),
    gast.NamedExpr: ("an assignment expression (:=)", "assign in a statement of its own"),
    gast.Starred: ("star-unpacking (*args)", "pass the arguments one by one"),
    gast.AsyncFor: ("async for", "use a plain for loop"),
    gast.AsyncWith: ("async with", "use a plain with"),
    gast.Import: ("an import inside the function", "import at module level"),
    gast.ImportFrom: ("an import inside the function", "import at module level"),
}
if hasattr(gast, "Match"):
    _REJECT[gast.Match] = ("a match statement", "use if/elif/else")


def check(src: Source) -> None:
    """Raise TransformError at the first construct the compiler cannot transform."""
    _check_syntax(src)
    aliasing.check(src)


def _check_syntax(src: Source) -> None:
    fdef = src.fdef
    args = fdef.args
    if args.vararg is not None or args.kwarg is not None:
        raise src.error(f"function {fdef.name!r} takes *args or **kwargs", fdef,
                        "name every parameter")
    for stmt in fdef.body:
        for node in gast.walk(stmt):
            hit = _REJECT.get(type(node))
            if hit is not None:
                raise src.error(f"unsupported construct: {hit[0]}", node, hit[1])
            if isinstance(node, (gast.For, gast.While)) and node.orelse:
                raise src.error("unsupported construct: else clause on a loop", node,
                                "use a flag variable set before break")
            if isinstance(node, gast.Call) and any(k.arg is None for k in node.keywords):
                raise src.error("unsupported construct: **kwargs in a call", node,
                                "pass the keyword arguments by name")
