"""Compile generated source into live functions, visible to tracebacks and inspect.

Takes: the generated module text (top-level ``def`` statements), the objects it
refers to by name (primitives, helpers, compiled callees) and the user's module
globals. Gives: the defined functions by name.
Invariant: bound objects become closure variables of a factory function, so the
user's globals are read live (a global constant changed later is seen) and are
never written to; the full text is registered in ``linecache`` under a unique,
deterministic file name so tracebacks and ``inspect.getsource`` show it.
"""
from __future__ import annotations

import itertools
import linecache
from typing import Any

__all__ = ["compile_functions"]

_serial = itertools.count(1)


def compile_functions(text: str, names: list[str], bindings: dict[str, Any],
                      user_globals: dict, label: str) -> dict[str, Any]:
    """Execute ``text`` (which defines ``names``) with ``bindings`` as closure variables."""
    params = ", ".join(bindings)
    body = "".join("    " + ln if ln.strip() else ln for ln in text.splitlines(True))
    ret = ", ".join(f"{n!r}: {n}" for n in names)
    factory = f"def _s2s_factory({params}):\n{body}    return {{{ret}}}\n"
    filename = f"<s2sgrad {label} #{next(_serial)}>"
    lines = factory.splitlines(True)
    linecache.cache[filename] = (len(factory), None, lines, filename)
    code = compile(factory, filename, "exec")
    scope: dict[str, Any] = {}
    exec(code, user_globals, scope)  # noqa: S102  (running generated code is the job)
    fns = scope["_s2s_factory"](**bindings)
    for fn in fns.values():
        fn.__module__ = user_globals.get("__name__", fn.__module__)
    return fns
