"""Errors the compiler raises: what it could not transform, where, and what to do.

Takes: a construct name, the source location (file, line, column, the line's
text) and a hint. Gives: ``TransformError``, whose message shows the culprit
with a caret under it, like a SyntaxError does.
Invariant: every refusal of the compiler is a ``TransformError`` raised before
any generated code runs, so an unsupported program never yields a wrong gradient.
"""
from __future__ import annotations

__all__ = ["TransformError"]


class TransformError(Exception):
    """A construct the source transformation does not support (or cannot resolve)."""

    def __init__(self, construct: str, filename: str = "<unknown>", lineno: int = 0,
                 col: int = 0, line: str = "", hint: str = ""):
        self.construct = construct
        self.filename = filename
        self.lineno = lineno
        self.col = col
        self.line = line
        self.hint = hint
        super().__init__(self._message())

    def _message(self) -> str:
        msg = f"{self.construct}\n  File \"{self.filename}\", line {self.lineno}"
        if self.line:
            text = self.line.rstrip("\n")
            stripped = text.lstrip()
            shift = len(text) - len(stripped)
            caret = " " * max(self.col - shift, 0) + "^"
            msg += f"\n    {stripped}\n    {caret}"
        if self.hint:
            msg += f"\n  {self.hint}"
        return msg
