"""Names in generated code: adjoints, temporaries and bound objects.

Takes: the names the user's function already uses and its module globals.
Gives: ``b<name>`` adjoint names (``bx`` for ``x``), counter-based temporaries
and, for each object generated code must reach (a primitive, a helper, a
compiled callee), a readable name bound in the factory closure.
Invariant: no two meanings share a name; a bound name never hides a user
global bound to a different object; the same inputs give the same names.
"""
from __future__ import annotations

import builtins
from typing import Any

import numpy as np

__all__ = ["Namer"]


class Namer:
    def __init__(self, used: set[str], user_globals: dict, local_names: set[str] = frozenset()):
        self.used = set(used)
        self.locals = set(local_names)
        self.user_globals = user_globals
        self.adjoints: dict[str, str] = {}
        self.bindings: dict[str, Any] = {}
        self.by_obj: dict[int, str] = {}
        self.n = 0

    def fresh(self, base: str) -> str:
        name = base
        k = 1
        while name in self.used:
            k += 1
            name = f"{base}_{k}"
        self.used.add(name)
        return name

    def tmp(self, hint: str = "g") -> str:
        self.n += 1
        return self.fresh(f"_{hint}{self.n}")

    def adj(self, var: str) -> str:
        name = self.adjoints.get(var)
        if name is None:
            base = "b" + var if not var.startswith("_") else "_b" + var.lstrip("_")
            name = self.adjoints[var] = self.fresh(base)
        return name

    def bind(self, obj: Any, hint: str) -> str:
        """A name for ``obj`` in generated code, bound in the factory closure."""
        key = id(obj)
        if key in self.by_obj:
            return self.by_obj[key]
        base = hint
        name = base
        k = 1
        if name not in self.locals and name not in self.bindings and \
                self.user_globals.get(name, None) is obj:
            self.bindings[name] = obj
            self.by_obj[key] = name
            return name
        while name in self.used or (name in self.user_globals
                                    and self.user_globals[name] is not obj) or (
                name not in self.user_globals and hasattr(builtins, name)
                and getattr(builtins, name) is not obj):
            k += 1
            name = f"{base}_{k}"
        self.used.add(name)
        self.bindings[name] = obj
        self.by_obj[key] = name
        return name

    def numpy_name(self) -> str:
        return self.bind(np, "np")
