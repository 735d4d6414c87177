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

__all__ = ["binding_counts", "check"]

# node type -> (what it is, what to do instead)
_REJECT = {
    gast.AsyncFunctionDef: ("an async function", "use a plain def"),
    gast.ClassDef: ("a class defined inside the function", "define it at module level"),
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
    _check_local_functions(src)
    for stmt in fdef.body:
        for node in gast.walk(stmt):
            hit = _REJECT.get(type(node))
            if hit is not None:
                raise src.error(f"unsupported construct: {hit[0]}", node, hit[1])
            if isinstance(node, gast.Call) and any(k.arg is None for k in node.keywords):
                raise src.error("unsupported construct: **kwargs in a call", node,
                                "pass the keyword arguments by name")


def binding_counts(fdef) -> dict[str, int]:
    """How many statements (or parameters) of ``fdef``, nested bodies included, bind a name."""
    out: dict[str, int] = {}

    def add(n):
        out[n] = out.get(n, 0) + 1
    for node in gast.walk(fdef):
        if isinstance(node, gast.Name) and isinstance(node.ctx, (gast.Store, gast.Param)):
            add(node.id)
        elif isinstance(node, gast.FunctionDef) and node is not fdef:
            add(node.name)
        elif isinstance(node, (gast.Import, gast.ImportFrom)):
            for a in node.names:
                add(a.asname or a.name.split(".")[0])
    return out


def _check_local_functions(src: Source) -> None:
    """Nested defs and lambdas are inlined where they are called, and imports bind names
    like globals; each needs a name bound once, and a local function may only be called
    (passed as a value, it would need a compiled object of its own)."""
    fdef = src.fdef
    counts = binding_counts(fdef)
    callees = {id(n.func) for n in gast.walk(fdef) if isinstance(n, gast.Call)}
    named: dict[str, object] = {}
    for node in gast.walk(fdef):
        if isinstance(node, gast.FunctionDef) and node is not fdef:
            what = "a function defined inside the function"
            if node.decorator_list:
                raise src.error(f"unsupported construct: {what}, decorated", node,
                                "drop the decorator, or define it at module level")
            if node.args.vararg is not None or node.args.kwarg is not None:
                raise src.error(f"unsupported construct: {what}, taking *args or **kwargs",
                                node, "name every parameter")
            named[node.name] = node
        elif isinstance(node, gast.Assign) and isinstance(node.value, gast.Lambda):
            if len(node.targets) == 1 and isinstance(node.targets[0], gast.Name):
                named[node.targets[0].id] = node.value
        elif isinstance(node, gast.Lambda):
            a = node.args
            if a.vararg is not None or a.kwarg is not None:
                raise src.error("unsupported construct: a lambda taking *args or **kwargs",
                                node, "name every parameter")
        elif isinstance(node, (gast.Import, gast.ImportFrom)):
            if isinstance(node, gast.ImportFrom) and node.level:
                raise src.error("unsupported construct: a relative import inside the function",
                                node, "import at module level")
            for a in node.names:
                name = a.asname or a.name.split(".")[0]
                if counts.get(name, 0) > 1:
                    raise src.error(f"unsupported construct: an import inside the function "
                                    f"binding {name!r}, which is bound more than once", node,
                                    "import at module level")
    for node in gast.walk(fdef):
        if isinstance(node, gast.Lambda) and not any(node is v for v in named.values()) \
                and id(node) not in callees:
            raise src.error("unsupported construct: a lambda used other than by calling it",
                            node, "bind it to a name and call it, or define a function with "
                                  "def at module level")
    for name, node in named.items():
        if counts.get(name, 0) > 1:
            raise src.error(f"unsupported construct: a local function {name!r} bound more "
                            f"than once", node, "give each function its own name")
    for node in gast.walk(fdef):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load) and \
                node.id in named and id(node) not in callees:
            raise src.error(f"unsupported construct: a function defined inside the function "
                            f"({node.id!r}) used other than by calling it", node,
                            "call it, or define it at module level")
