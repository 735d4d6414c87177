"""Read a Python function's source and parse it into a gast FunctionDef.

Takes: a plain Python function (not a lambda, not a builtin). Gives: a
``Source``: the dedented FunctionDef without decorators, plus where it came
from (file, first line, the original lines) so errors can point at the culprit.
Invariant: node line numbers are shifted to the real file's numbering and
column offsets to the real (indented) columns, so ``Source.error`` points at
the user's text exactly.
"""
from __future__ import annotations

import inspect
import linecache
import textwrap
from dataclasses import dataclass

import gast

from .errors import TransformError

__all__ = ["Source", "parse_function"]


@dataclass
class Source:
    fn: object
    fdef: gast.FunctionDef
    filename: str
    lines: list[str]          # the file's lines (1-based access through ``line``)
    indent: int               # columns removed by dedent

    def line(self, lineno: int) -> str:
        return self.lines[lineno - 1] if 0 < lineno <= len(self.lines) else ""

    def error(self, construct: str, node=None, hint: str = "") -> TransformError:
        lineno = getattr(node, "lineno", None) or self.fdef.lineno
        col = (getattr(node, "col_offset", 0) or 0) + self.indent
        return TransformError(construct, self.filename, lineno, col, self.line(lineno), hint)


def parse_function(fn) -> Source:
    """Parse ``fn``'s source; raise TransformError when there is none to read."""
    made = getattr(fn, "__s2sgrad_source__", None)
    if made is not None:
        # A function the compiler made from the user's tree (a checkpointed loop's step).
        from .forward import clone
        return Source(fn, clone(made.fdef), made.filename, made.lines, made.indent)
    code = getattr(fn, "__code__", None)
    name = getattr(fn, "__qualname__", repr(fn))
    if code is None:
        raise TransformError(f"cannot read the source of {name!r}: it is not a Python function",
                             hint="register a rule for it with @s2sgrad.rule(fn)")
    filename = code.co_filename
    try:
        lines, first = inspect.getsourcelines(fn)
    except (OSError, TypeError) as e:
        raise TransformError(f"cannot read the source of {name!r} ({e})", filename,
                             code.co_firstlineno,
                             hint="define it in a file, or register a rule with "
                                  "@s2sgrad.rule(fn)") from None
    text = "".join(lines)
    dedented = textwrap.dedent(text)
    indent = len(lines[0]) - len(lines[0].lstrip()) if dedented != text else 0
    if fn.__name__ == "<lambda>":
        raise TransformError("lambda functions cannot be transformed", filename, first, indent,
                             lines[0], hint="define the function with def")
    tree = gast.parse(dedented)
    fdef = tree.body[0]
    if not isinstance(fdef, gast.FunctionDef):
        raise TransformError(f"{name!r} is not defined by a def statement", filename, first,
                             indent, lines[0], hint="define the function with def")
    for node in gast.walk(fdef):
        if hasattr(node, "lineno"):
            node.lineno += first - 1
            if getattr(node, "end_lineno", None):
                node.end_lineno += first - 1
    fdef.decorator_list = []
    fdef.returns = None
    all_lines = linecache.getlines(filename) or (["\n"] * (first - 1) + lines)
    return Source(fn, fdef, filename, all_lines, indent)
