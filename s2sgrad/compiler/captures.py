"""Tensors a function reads from outside: hidden inputs at the top level, constants below.

Takes: a ``NormalForm`` (after ``normalize`` every read of a global or closure variable
is a Name that no statement assigns, and every attribute read ``t = a.name`` is a
``const`` statement carrying ``s.attr_of``), the ``Resolver`` and whether the function is
compiled for the API (``hidden=True``) or as a callee. Gives: the captured Tensors, in
order of first read. At the top level each becomes a keyword-only parameter of the
generated functions, spelled as the user reads it (``W``; ``H_w`` for ``H.w``): ``api``
passes its array and, when it requires grad, differentiates it, so the node gets an edge
to it and the gradient flows as it would eagerly. In a callee (which has no node of its
own) a captured Tensor is read as a constant array, guarded on not requiring grad; one
that requires grad is refused with a ``TransformError``.
Invariant: no Tensor object reaches generated code through a name or a known attribute;
guards (the name still bound to the same Tensor, the attribute still holding it) make a
rebinding recompile. Attributes read at run time (``self.w`` of an argument) go through
``attribute``, which reads a Tensor's array and refuses one that requires grad.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

import gast

from .analysis import walk_stmts
from .errors import TransformError
from .nodes import assign, call, load
from .resolve import MISSING

__all__ = ["Capture", "ConstantTensor", "attribute", "capture", "is_tensor"]

# Attributes of arrays that are metadata: read directly, never through ``attribute``.
METADATA = frozenset({"shape", "dtype", "ndim", "size", "itemsize", "nbytes", "strides"})


def _tensor_type():
    try:
        from ..runtime.tensor import Tensor
    except ImportError:  # pragma: no cover - only while the runtime is incomplete
        return None
    return Tensor


def is_tensor(obj) -> bool:
    T = _tensor_type()
    return T is not None and isinstance(obj, T)


@dataclass
class Capture:
    name: str           # the hidden parameter (or the local holding the constant array)
    spelling: str       # as the user wrote it: "W", "H.w"
    tensor: Any


class ConstantTensor:
    """Called in generated code: the array of a captured Tensor that does not require grad."""

    def __init__(self, tensor, name: str):
        self.tensor = tensor
        self.__name__ = name + "_value"

    def __call__(self):
        return self.tensor._data


def attribute(obj, name: str, filename: str, lineno: int):
    """``obj.name`` read at run time; a Tensor gives its array (no gradient flows), and one
    that requires grad is refused: its gradient would otherwise be silently dropped."""
    v = getattr(obj, name)
    T = _tensor_type()
    if T is None:
        return v
    if isinstance(v, T):
        if v.requires_grad:
            raise _refusal(f"{type(obj).__name__}.{name}", name, filename, lineno)
        return v._data
    if isinstance(v, (list, tuple)) and any(isinstance(e, T) for e in v):
        if any(isinstance(e, T) and e.requires_grad for e in v):
            raise _refusal(f"{type(obj).__name__}.{name}", name, filename, lineno)
        return type(v)(e._data if isinstance(e, T) else e for e in v)
    return v


def _refusal(where: str, name: str, filename: str, lineno: int) -> TransformError:
    import linecache
    return TransformError(
        f"{where} reads the Tensor {name!r} that requires grad from an object known only "
        "at run time; its gradient cannot flow through the compiled function", filename,
        lineno, 0, linecache.getline(filename, lineno),
        "pass it as an argument, or read it from a global or closure variable of the "
        "decorated function")


def read_known(obj, name: str):
    """``obj.name`` for an object known while compiling, when reading it runs no user code
    (a module or class attribute, an instance's own ``__dict__`` entry, an ``nn.Module``'s
    parameter, buffer or submodule); else MISSING."""
    if inspect.ismodule(obj) or isinstance(obj, type):
        return getattr(obj, name, MISSING)
    d = getattr(obj, "__dict__", None)
    if not isinstance(d, dict) or type(obj).__getattribute__ is not object.__getattribute__:
        return MISSING
    if name in d:
        desc = getattr(type(obj), name, None)
        if desc is not None and hasattr(type(desc), "__set__"):
            return MISSING          # a data descriptor (property) wins over __dict__
        return d[name]
    for store in ("_parameters", "_buffers", "_modules"):
        sd = d.get(store)
        if isinstance(sd, dict) and name in sd and getattr(type(obj), name, None) is None:
            return sd[name]
    return MISSING


def capture(nf, res, src, hidden: bool, fdef) -> list[Capture]:
    """Rewrite the reads of captured Tensors in ``nf`` (see the module docstring)."""
    if _tensor_type() is None:
        return []
    stmts = [s for s, _ in walk_stmts(nf.body)]
    assigned: dict[str, int] = {}
    for s in stmts:
        for n in _stored(s):
            assigned[n] = assigned.get(n, 0) + 1
    bound = set(nf.params) | set(assigned)
    used = {n.id for n in gast.walk(fdef) if isinstance(n, gast.Name)} | bound
    caps: dict[str, Capture] = {}
    known: dict[str, Any] = {}          # names whose object is known while compiling
    first_line: dict[str, Any] = {}
    for s in stmts:
        for n in _loads(s):
            if n.id in bound or n.id in known or getattr(n, "obj", None) is not None:
                continue
            obj = res.name(n.id)
            if obj is MISSING:
                continue
            known[n.id] = obj
            if is_tensor(obj) and n.id not in caps:
                caps[n.id] = Capture(n.id, n.id, obj)
                first_line[n.id] = s
        at = getattr(s, "attr_of", None)
        if at is None or not isinstance(at[0], gast.Name) or at[0].id not in known:
            continue
        base, name = known[at[0].id], at[1]
        val = read_known(base, name)
        if val is MISSING:
            continue
        res.guards.add_attr(base, name, val)
        target = s.targets[0].id
        spelling = f"{getattr(s, 'spelling', at[0].id)}.{name}"
        if is_tensor(val):
            cap = next((c for c in caps.values() if c.spelling == spelling), None)
            if cap is None:
                h = _fresh(spelling.replace(".", "_"), used)
                cap = caps[h] = Capture(h, spelling, val)
                first_line[h] = s
            s.value = load(cap.name)
            s.op, s.args = "copy", [s.value]
            del s.attr_of
        elif assigned.get(target) == 1:
            known[target] = val
            for t in stmts:         # later reads of the chain spell it from the root
                t_at = getattr(t, "attr_of", None)
                if t_at is not None and isinstance(t_at[0], gast.Name) and \
                        t_at[0].id == target:
                    t.spelling = spelling
    out = list(caps.values())
    if not out:
        return out
    if hidden:
        for c in out:
            nf.params.append(c.name)
            fdef.args.kwonlyargs.append(gast.Name(id=c.name, ctx=gast.Param(),
                                                  annotation=None, type_comment=None))
            fdef.args.kw_defaults.append(None)
        return out
    head = []
    for c in out:
        if c.tensor.requires_grad:
            raise src.error(f"{src.fdef.name} reads the Tensor {c.spelling!r} that requires "
                            "grad from outside; pass it as an argument",
                            first_line[c.name],
                            "only the decorated function itself can read such a Tensor "
                            "from a global, closure or known object: pass it down")
        res.guards.add_attr(c.tensor, "requires_grad", False)
        reader = ConstantTensor(c.tensor, c.name)
        node = call(load("_s2s_obj"), [])
        node.func.obj = reader
        st = assign(c.name, node)
        st.op, st.lineno, st.stop, st.args, st.kwargs = "const", fdef.lineno, False, [], {}
        if c.spelling == c.name:
            head.append(st)
        else:
            _replace_copy(stmts, c.name, node)
    nf.body[:0] = head
    return []


def _replace_copy(stmts, name: str, node) -> None:
    """The attribute read now a copy of ``name``: make it the constant read instead."""
    for s in stmts:
        if getattr(s, "op", None) == "copy" and isinstance(s.value, gast.Name) and \
                s.value.id == name:
            s.value, s.op, s.args = node, "const", []


def _fresh(base: str, used: set) -> str:
    name, k = base, 1
    while name in used:
        k += 1
        name = f"{base}_{k}"
    used.add(name)
    return name


def _stored(s) -> list[str]:
    if isinstance(s, gast.Assign):
        return [n.id for t in s.targets for n in gast.walk(t)
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)]
    if isinstance(s, gast.For):
        return [n.id for n in gast.walk(s.target) if isinstance(n, gast.Name)]
    return []


def _loads(s):
    """The Name loads of ``s`` itself (not of the statements nested in it)."""
    parts: list = []
    if isinstance(s, (gast.If, gast.While)):
        parts = [s.test]
    elif isinstance(s, gast.For):
        parts = [s.iter]
    else:
        parts = [s]
    parts += list(getattr(s, "args", None) or []) + list(
        (getattr(s, "kwargs", None) or {}).values())
    for p in parts:
        if not isinstance(p, gast.AST):
            continue
        for n in gast.walk(p):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
                yield n
