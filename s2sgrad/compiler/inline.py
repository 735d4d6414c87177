"""Local functions, imports and method calls inside the function, for ``normalize``.

Takes: the statements ``fence`` lets through for them: a nested ``def`` or a lambda
bound to a name (or called where it stands), ``import``/``from .. import`` of modules
and functions, and ``obj.method(..)`` on a global, closure or locally constructed
instance of a user class (or of an argument's class the compilation is specialised on).
Gives: plain three-address statements: a local function is
*inlined* at each call (its parameters and locals renamed to fresh temporaries, its
early returns lowered to a flag like the function's own), an import binds its names
like globals, a method call is a call of the class's function with the instance first.
Invariant: inlining keeps Python's meaning: arguments are evaluated once, in order,
before the body; defaults are evaluated where the function is defined; free names are
read when the function is called (late binding, as closures do); a local function
calling itself is refused as recursion.
"""
from __future__ import annotations

import copy
import importlib
import inspect
from dataclasses import dataclass, field

import gast

from . import calls
from .nodes import assign, call, const, expr_stmt, if_, load
from .resolve import MISSING

__all__ = ["Inliner", "LocalFn", "bind_imports", "imported"]


@dataclass
class LocalFn:
    name: str
    node: object                                # gast.FunctionDef or gast.Lambda
    defaults: list = field(default_factory=list)     # atoms for the last positionals
    kw_defaults: dict = field(default_factory=dict)  # keyword-only name -> atom


def _scope_locals(node) -> set[str]:
    """Names a def or lambda binds in its own scope (parameters included)."""
    a = node.args
    out = {p.id for p in a.posonlyargs + a.args + a.kwonlyargs}
    if isinstance(node, gast.Lambda):
        return out
    todo = list(node.body)
    while todo:
        n = todo.pop()
        if isinstance(n, gast.FunctionDef):
            out.add(n.name)
            todo.extend(n.args.defaults)
            continue
        if isinstance(n, gast.Lambda):
            todo.extend(n.args.defaults)
            continue
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
            out.add(n.id)
        elif isinstance(n, (gast.Import, gast.ImportFrom)):
            out.update(a.asname or a.name.split(".")[0] for a in n.names)
        todo.extend(gast.iter_child_nodes(n))
    return out


def imported(src, s, res) -> list[tuple[str, object]]:
    """(name, object) for each name an ``import``/``from .. import`` statement binds;
    only modules and functions (a value would be read once, not live like a global)."""
    out = []
    if isinstance(s, gast.Import):
        for a in s.names:
            try:
                mod = importlib.import_module(a.name)
            except ImportError as e:
                raise src.error(f"cannot import {a.name!r} ({e})", s) from None
            if a.asname is None:
                top = a.name.split(".")[0]
                out.append((top, importlib.import_module(top)))
            else:
                out.append((a.asname, mod))
        return out
    try:
        mod = importlib.import_module(s.module)
    except ImportError as e:
        raise src.error(f"cannot import from {s.module!r} ({e})", s) from None
    for a in s.names:
        obj = getattr(mod, a.name, MISSING)
        if obj is MISSING:
            try:
                obj = importlib.import_module(f"{s.module}.{a.name}")
            except ImportError:
                raise src.error(f"cannot import {a.name!r} from {s.module!r}", s) from None
        elif not (inspect.ismodule(obj) or callable(obj)):
            raise src.error(f"unsupported construct: an import inside the function of "
                            f"{a.name!r}, which is neither a module nor a function", s,
                            "import it at module level")
        else:
            res.guards.add_dict(vars(mod), a.name, obj)
        out.append((a.asname or a.name, obj))
    return out


def bind_imports(src, res) -> None:
    """Bind the names imported inside the function before any pass resolves names."""
    for s in gast.walk(src.fdef):
        if isinstance(s, (gast.Import, gast.ImportFrom)):
            res.extra.update(imported(src, s, res))


class Inliner:
    """Mixed into ``normalize.Normalizer``."""

    def init_inliner(self):
        self.local_fns: dict[str, LocalFn] = {}
        self.inlining: list[str] = []
        self.imports: dict[str, object] = {}
        self.instances: dict[str, type] = {}
        # Parameters whose class the compilation is specialised on (``compile_function``'s
        # ``spec``): a method of such an argument is a call of its class's function.
        self.param_classes: dict[str, type] = {}

    # -- definitions -------------------------------------------------------------------------
    def frozen(self, e):
        """An atom holding ``e``'s value now, unchanged by later assignments."""
        a = self.atom(e)
        if isinstance(a, gast.Name):
            t = self.tmp("d")
            self.emit(self.mark(assign(t, a), "copy", self.line, args=[a]))
            a = load(t)
        return a

    def local_fn(self, name: str, node) -> LocalFn:
        a = node.args
        defaults = [self.frozen(d) for d in a.defaults]
        kwd = {k.id: self.frozen(d) for k, d in zip(a.kwonlyargs, a.kw_defaults)
               if d is not None}
        return LocalFn(name, node, defaults, kwd)

    def s_FunctionDef(self, s):
        self.local_fns[s.name] = self.local_fn(s.name, s)

    def s_Import(self, s):
        for name, obj in imported(self.src, s, self.res):
            self.res.extra[name] = obj
            self.imports[name] = obj

    s_ImportFrom = s_Import

    # -- calls of local functions --------------------------------------------------------------
    def inline_call(self, t: str, fn: LocalFn, e):
        """Emit ``t = fn(...)`` with ``fn``'s body inlined."""
        if fn.name in self.inlining:
            raise self.err(f"recursion: the local function {fn.name!r} calls itself", e,
                           "write the recursion as a loop")
        node, line = fn.node, self.line
        a = node.args
        pos = [p.id for p in a.posonlyargs + a.args]
        kwonly = [p.id for p in a.kwonlyargs]
        if len(e.args) > len(pos):
            raise self.err(f"{fn.name}() takes {len(pos)} positional arguments but "
                           f"{len(e.args)} were given", e)
        values = {p: self.atom(v) for p, v in zip(pos, e.args)}
        for k in e.keywords:
            if k.arg in values or k.arg not in pos[len(a.posonlyargs):] + kwonly:
                raise self.err(f"{fn.name}() got an unexpected or repeated argument "
                               f"{k.arg!r}", e)
            values[k.arg] = self.atom(k.value)
        for i, p in enumerate(pos):
            j = i - (len(pos) - len(fn.defaults))
            if p not in values and j >= 0:
                values[p] = fn.defaults[j]
        for p in kwonly:
            if p not in values and p in fn.kw_defaults:
                values[p] = fn.kw_defaults[p]
        missing = [p for p in pos + kwonly if p not in values]
        if missing:
            raise self.err(f"{fn.name}() missing argument {missing[0]!r}", e)
        hint = fn.name if fn.name != "<lambda>" else "lambda"
        rename = {n: self.tmp(f"{hint}_{n.strip('_') or 'v'}")
                  for n in sorted(_scope_locals(node))}
        self.res.locals.update(rename.values())
        for old, new in rename.items():
            self.binding_counts[new] = self.binding_counts.get(old, 0)
        self.dicts.update(rename[n] for n in self.dicts if n in rename)
        for p in pos + kwonly:
            v = values[p]
            self.emit(self.mark(assign(rename[p], v), "copy", line, args=[v]))
        if isinstance(node, gast.Lambda):
            ret = gast.Return(value=node.body)
            gast.copy_location(ret, node.body)
            body = [ret]
        else:
            body = list(node.body)
        body = [_renamed(s, rename) for s in body]
        self.inline_body(t, body, line, fn.name)

    def inline_body(self, t: str, body: list, line: int, name: str):
        saved = (self.loops, self.ret_flag, self.ret_val, self._top_last, self.out)
        self.loops, self.ret_flag, self.ret_val, self._top_last = [], None, None, None
        self.inlining.append(name)
        last = body[-1] if body and isinstance(body[-1], gast.Return) else None
        main = body[:-1] if last is not None else body
        self.out = []
        self.jumps.append(set())
        try:
            self.stmts(main)
            flag, val = self.ret_flag, self.ret_val
            code = self.out
            self.out = []
            value = last.value if last is not None and last.value is not None else const(None)
            if last is not None:
                self.line = last.lineno
            if flag is None:
                r = self.atom(value)
                code += self.out
                code.append(self.mark(assign(t, r), "copy", self.line, args=[r]))
            else:
                init = [self.mark(assign(flag, const(False)), "const", line, args=[]),
                        self.mark(assign(val, const(None)), "copy", line, args=[const(None)])]
                c = self.tmp("c")
                tail = [self.mark(assign(c, gast.UnaryOp(op=gast.Not(), operand=load(flag))),
                                  "const", self.line, args=[load(flag)])]
                self.out = []
                r = self.atom(value)
                body_ = self.out + [self.mark(assign(val, r), "copy", self.line, args=[r])]
                tail.append(self.mark(if_(c, body_), "if", self.line))
                code = init + code + tail + [self.mark(assign(t, load(val)), "copy", line,
                                                       args=[load(val)])]
        finally:
            self.jumps.pop()
            self.inlining.pop()
            self.loops, self.ret_flag, self.ret_val, self._top_last, self.out = saved
        self.line = line
        for s in code:
            self.emit(s)

    # -- methods -------------------------------------------------------------------------------
    def receiver_class(self, recv) -> type | None:
        """The class of a global/closure instance, or of a local bound once to ``C(...)``."""
        if isinstance(recv, gast.Name) and recv.id in self.instances:
            return self.instances[recv.id]
        if isinstance(recv, gast.Name) and recv.id in self.param_classes and \
                self.binding_counts.get(recv.id, 0) == 1:
            return self.param_classes[recv.id]
        obj = self.res.expr(recv)
        if obj is MISSING or inspect.ismodule(obj) or isinstance(obj, type) or \
                inspect.isroutine(obj):
            return None
        return type(obj)

    def note_instance(self, name: str, value):
        """``name = C(...)`` with C a user class, ``name`` bound once: its class is C."""
        if self.binding_counts.get(name, 0) != 1 or not isinstance(value, gast.Call):
            return
        cls = self.res.expr(value.func)
        if isinstance(cls, type) and type(cls) is type and cls.__module__ not in (
                "builtins",) and cls.__new__ is object.__new__:
            self.instances[name] = cls

    def method_call(self, t: str, e) -> bool:
        """Emit ``t = C.name(recv, ...)`` for ``recv.name(...)``; False when not one."""
        f = e.func
        return self.call_method(t, f.value, self.receiver_class(f.value), f.attr, e)

    def call_method(self, t: str, recv, cls, name: str, e) -> bool:
        if cls is None or _is_library(cls):
            return False
        hit = calls.method_function(cls, name)
        if hit is None:
            return False
        fn, takes_self = hit
        recv = self.atom(recv)
        args = [self.atom(a) for a in e.args]
        kws = {k.arg: self.atom(k.value) for k in e.keywords}
        check = self.bind_name(calls.check_method)
        self.emit(self.mark(expr_stmt(call(check, [recv, self.bind_name(cls), const(name)])),
                            "effect", self.line, args=[]))
        for klass in cls.__mro__:
            got = klass.__dict__.get(name, MISSING)
            self.res.guards.add_dict(klass.__dict__, name, got)
            if got is not MISSING:
                break
        self.call_of(t, fn, ([recv] if takes_self else []) + args, kws)
        if takes_self:
            self.out[-1].recv_class = cls     # the callee is compiled for this class
        return True


def _is_library(cls: type) -> bool:
    """Classes of (or derived from) NumPy and s2sgrad: their methods are primitives or
    hold parameters (``nn.Module``), not plain user code with constant attributes."""
    return any((k.__module__ or "").split(".")[0] in ("numpy", "s2sgrad")
               for k in cls.__mro__) or cls.__module__ == "builtins"


class _Renamer(gast.NodeTransformer):
    def __init__(self, names):
        self.names = names

    def visit_Name(self, node):
        if node.id in self.names:
            node.id = self.names[node.id]
        return node

    def visit_FunctionDef(self, node):
        if node.name in self.names:
            node.name = self.names[node.name]
        self.generic_visit(node)
        return node


def _renamed(stmt, names):
    return _Renamer(names).visit(copy.deepcopy(stmt))
