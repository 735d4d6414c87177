"""Calls that need an adapter before they are ordinary calls of user functions.

Takes: a callee found by ``resolve`` (a function taking ``*args``/``**kwargs``, or a
method of a user class). Gives: ``Packed``, the callee with its ``*args`` received as
one tuple and its ``**kwargs`` as one dict (both keyword-only parameters, so the
compiler sees a fixed parameter list), and ``method_function``, the plain function
``obj.name`` runs, with ``check_method`` to verify at run time that it still is.
Invariant: a packed call computes exactly what the original call computes
(``Packed.__call__`` unpacks again), and a method is only called through its class
when the instance cannot hide it (checked on every call). ``spec_of`` gives the classes of
user-class arguments a compilation is specialised on.
"""
from __future__ import annotations

import inspect
import types
import weakref
from typing import Any

import gast

__all__ = ["Packed", "check_method", "method_function", "packed", "spec_of", "unpack_source",
           "user_class"]

_POS = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


class Packed:
    """``fn(a, *vs, k=1, **kw)`` seen as ``fn(a, *, vs, k=1, kw)``: vs a tuple, kw a dict."""

    def __init__(self, fn):
        self.fn = fn
        sig = inspect.signature(fn)
        ps = list(sig.parameters.values())
        self.var = next((p.name for p in ps if p.kind is p.VAR_POSITIONAL), None)
        self.kw = next((p.name for p in ps if p.kind is p.VAR_KEYWORD), None)
        kwonly = inspect.Parameter.KEYWORD_ONLY
        new = [p for p in ps if p.kind in _POS]
        if self.var:
            new.append(inspect.Parameter(self.var, kwonly))
        new += [p for p in ps if p.kind is kwonly]
        if self.kw:
            new.append(inspect.Parameter(self.kw, kwonly))
        self.__signature__ = sig.replace(parameters=new)
        self.__name__ = fn.__name__
        self.__qualname__ = fn.__qualname__
        self.__module__ = fn.__module__

    @property
    def positional(self) -> int:
        return sum(p.kind in _POS for p in self.__signature__.parameters.values())

    def __call__(self, *args, **kwargs):
        vs = kwargs.pop(self.var, ()) if self.var else ()
        kw = kwargs.pop(self.kw, {}) if self.kw else {}
        return self.fn(*args, *vs, **kwargs, **kw)

    def __repr__(self) -> str:
        return f"<packed {self.__qualname__}>"


_PACKED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def packed(fn) -> Packed:
    """The one ``Packed`` of ``fn`` (so compilations of it are cached)."""
    p = _PACKED.get(fn)
    if p is None:
        p = _PACKED[fn] = Packed(fn)
    return p


def unpack_source(fdef: gast.FunctionDef, p: Packed) -> set[str]:
    """Rewrite ``fdef``'s ``*vs``/``**kw`` as keyword-only parameters; their names."""
    a = fdef.args
    names = set()
    if a.vararg is not None:
        a.kwonlyargs.insert(0, a.vararg)
        a.kw_defaults.insert(0, None)
        names.add(a.vararg.id)
        a.vararg = None
    if a.kwarg is not None:
        a.kwonlyargs.append(a.kwarg)
        a.kw_defaults.append(None)
        names.add(a.kwarg.id)
        a.kwarg = None
    for n in a.kwonlyargs:
        n.ctx = gast.Param()
    return names


def method_function(cls: type, name: str) -> tuple[Any, bool] | None:
    """(the plain function ``inst.name`` calls for an instance of ``cls``, whether it takes
    the instance first), or None when that is not a user function found on the class."""
    if type.__getattribute__(cls, "__getattribute__") is not object.__getattribute__:
        return None
    for klass in cls.__mro__:
        raw = klass.__dict__.get(name)
        if raw is None:
            continue
        if isinstance(raw, staticmethod) and isinstance(raw.__func__, types.FunctionType):
            return raw.__func__, False
        if isinstance(raw, types.FunctionType):
            return raw, True
        return None
    return None


def check_method(obj, cls: type, name: str) -> None:
    """Raise when ``obj.name`` no longer is the function compiled for it."""
    if type(obj) is not cls or name in getattr(obj, "__dict__", ()):
        raise TypeError(f"{name!r} of {obj!r} is not {cls.__qualname__}.{name}, for which "
                        "this code was compiled; s2sgrad compiles methods per class")


_USER: dict = {}


def user_class(cls: type) -> bool:
    """A plain class of user code: compilations specialise on it (not NumPy's, s2sgrad's,
    whose methods are primitives or hold parameters, nor a builtin)."""
    hit = _USER.get(cls)
    if hit is None:
        hit = _USER[cls] = type(cls) is type and cls.__module__ != "builtins" and not any(
            (k.__module__ or "").split(".")[0] in ("numpy", "s2sgrad") for k in cls.__mro__)
    return hit


def spec_of(args) -> tuple | None:
    """The classes of the arguments that are instances of user classes (None elsewhere), or
    None when there is none: part of a compilation's cache key, so a new class recompiles."""
    spec = tuple(type(a) if user_class(type(a)) else None for a in args)
    return spec if any(c is not None for c in spec) else None
