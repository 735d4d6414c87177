"""Forward mode: the primal statements interleaved with their tangent statements.

Takes: a Python function and a mask saying which parameters carry a tangent.
Gives: a ``TangentCompiled`` whose ``jvp(*args, _tangents=(...))`` returns
``(value, tangent)``, the tangents given for the masked parameters in order
(under ``_tangents_2`` when the function itself has a ``_tangents`` parameter);
its readable ``source`` and the ``guards`` under which it stays valid.

    parse      source.parse_function     text -> gast FunctionDef
    fence      fence.check               refuse unsupported syntax early
    resolve    resolve.Resolver          names -> objects (+ guards)
    normalize  normalize.normalize       three-address form, structured control
    analyse    analysis.analyse          activity: which names carry a tangent
    tangent    Tangents (this module)    ``dz = ...`` right after each ``z = ...``
    emit       emit.to_source            text
    codegen    codegen.compile_functions a live function with a linecache entry

Control flow keeps its structure (branches, loops, flags from break, continue
and early return); containers get containers of tangents beside them (``dlst``
grows with ``lst``; a stack popped is popped in step). Calls of user functions
with source are transformed recursively. A name's tangent is ``d<name>``.
Invariant: a name that does not vary has no tangent at all (it is zero), a
name that varies has one wherever it is defined; anything without a forward
rule that would need one raises an error naming it, never a wrong number.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from inspect import signature

import gast

from ..rules import helper_tangents  # noqa: F401  (forward rules of the adjoints' helpers)
from ..rules import lookup
from . import analysis, codegen, fence, normalize
from .inline import bind_imports
from .analysis import bind_rule_args, bind_user_args
from .emit import to_source
from .forward import Binder
from .names import Namer
from .nodes import assign, attr, call, const, load, store, tuple_
from .resolve import Guards, Resolver
from .reverse import COMMENT
from .source import parse_function
from .tangent_support import broadcast_tangent, own_tangent, zero_tangent
from .tangent_templates import instantiate_tangent

__all__ = ["TANGENTS_KW", "TangentCompiled", "clear_cache", "compile_tangent"]

TANGENTS_KW = "_tangents"


@dataclass
class TangentCompiled:
    fn: Callable
    params: list[str]
    active: list[str]
    jvp: Callable
    source: str
    guards: Guards
    kw: str = TANGENTS_KW         # the keyword the tangents are passed under


_CACHE: dict[tuple, TangentCompiled] = {}
_ACTIVE: list = []


def clear_cache() -> None:
    _CACHE.clear()


def compile_tangent(fn: Callable, mask: tuple[bool, ...]) -> TangentCompiled:
    """The forward-mode form of ``fn`` with tangents for the parameters ``mask`` marks."""
    key = (fn, mask)
    hit = _CACHE.get(key)
    if hit is not None and hit.guards.hold():
        return hit
    if fn in _ACTIVE:
        src = parse_function(fn)
        raise src.error(f"recursion: {fn.__name__!r} calls itself", src.fdef,
                        "write the recursion as a loop")
    _ACTIVE.append(fn)
    try:
        c = _compile(fn, mask)
    finally:
        _ACTIVE.remove(fn)
    _CACHE[key] = c
    return c


def _compile(fn: Callable, mask: tuple[bool, ...]) -> TangentCompiled:
    src = parse_function(fn)
    fence.check(src)
    _rename_temporaries(src.fdef)
    _reversed_as_slices(src.fdef, fn)
    locals_ = normalize.local_names(src.fdef)
    resolver = Resolver(fn, locals_)
    bind_imports(src, resolver)
    nf = normalize.normalize(src, resolver)
    params = nf.params
    tan_param, k = TANGENTS_KW, 1
    while tan_param in params:
        # Transforming a transformed function again: its tangents come under another name.
        k += 1
        tan_param = f"{TANGENTS_KW}_{k}"
    if len(mask) != len(params):
        raise TypeError(f"{fn.__name__}: mask of {len(mask)} for {len(params)} parameters")
    active = [p for p, m in zip(params, mask) if m]
    used = {n.id for n in gast.walk(src.fdef) if isinstance(n, gast.Name)} | set(params)
    namer = Namer(used, fn.__globals__, locals_)
    namer.n = nf.n_temps
    namer.bindings.update(nf.imports)   # imports inside the function bind like globals
    guards = Guards()
    guards.extend(resolver.guards)
    for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
        try:
            namer.bindings[name] = cell.cell_contents
            namer.by_obj.setdefault(id(cell.cell_contents), name)
            guards.cells.append((cell, cell.cell_contents))
        except ValueError:
            pass
    act = analysis.analyse(nf, active)
    tg = Tangents(nf, act, namer, src, guards)
    namer.used.add(tan_param)
    head = []
    if len(active) == 1:
        head.append(assign(tg.d(active[0]), gast.Subscript(value=load(tan_param),
                                                           slice=const(0), ctx=gast.Load())))
    elif active:
        head.append(assign(tuple_([store(tg.d(p)) for p in active], gast.Store()),
                           load(tan_param)))
    for p in params:
        if p not in active and p in act.active:
            head.append(assign(tg.d(p), call(tg.helper(zero_tangent), [load(p)])))
    body = head + tg.block(nf.body)
    fdef = src.fdef
    args = _arguments(fdef, fn, namer, tan_param)
    name = fdef.name + "_jvp"
    out = gast.FunctionDef(name=name, args=args, body=body, decorator_list=[], returns=None,
                           type_comment=None, type_params=[])
    mod = gast.Module(body=[out], type_ignores=[])
    text = to_source(mod)
    fns = codegen.compile_functions(text, [name], namer.bindings, fn.__globals__,
                                    f"{fn.__module__}.{fn.__qualname__} jvp")
    return TangentCompiled(fn, params, active, fns[name], text, guards, tan_param)


_TEMP = re.compile(r"^_[A-Za-z]+\d+$")


def _rename_temporaries(fdef) -> None:
    """Rename local names spelled like normalize's temporaries (``_t3``), which generated
    code (a compiled gradient, a compiled tangent) is full of, so none is reused."""
    params = {a.id for a in fdef.args.args + fdef.args.kwonlyargs + fdef.args.posonlyargs}
    for n in gast.walk(fdef):
        if isinstance(n, gast.Name) and _TEMP.match(n.id) and n.id not in params:
            n.id = "_v" + n.id[1:]


def _reversed_as_slices(fdef, fn) -> None:
    """``for i in reversed(r)`` (compiled adjoints loop so) as ``for i in r[::-1]``, which
    the normal form indexes like any sequence."""
    if fn.__globals__.get("reversed", reversed) is not reversed:
        return
    for n in gast.walk(fdef):
        it = getattr(n, "iter", None) if isinstance(n, gast.For) else None
        if (isinstance(it, gast.Call) and isinstance(it.func, gast.Name)
                and it.func.id == "reversed" and len(it.args) == 1 and not it.keywords):
            n.iter = gast.Subscript(value=it.args[0], slice=gast.Slice(
                lower=None, upper=None, step=const(-1)), ctx=gast.Load())


def _arguments(fdef, fn, namer, tan_param) -> gast.arguments:
    """The user's parameter list (defaults bound to fn's values) plus the tangents."""
    from .templates import value_expr
    a = fdef.args
    defaults = [value_expr(v, namer) for v in (fn.__defaults__ or ())]
    kwd = fn.__kwdefaults__ or {}

    def plain(ns):
        return [gast.Name(id=n.id, ctx=gast.Param(), annotation=None, type_comment=None)
                for n in ns]
    kwonly = plain(a.kwonlyargs) + plain([load(tan_param)])
    kw_defaults = [value_expr(kwd[k.id], namer) if k.id in kwd else None
                   for k in a.kwonlyargs] + [const(())]
    return gast.arguments(args=plain(a.args), posonlyargs=plain(a.posonlyargs), vararg=None,
                          kwonlyargs=kwonly, kw_defaults=kw_defaults, kwarg=None,
                          defaults=defaults)


def _store_names(s) -> list[str]:
    if isinstance(s, gast.Assign):
        return [n.id for t in s.targets for n in gast.walk(t)
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)]
    return []


class Tangents:
    """Emits the forward-mode body: each statement, then its tangent statements."""

    def __init__(self, nf, act, namer, src, guards):
        self.nf, self.act, self.namer, self.src, self.guards = nf, act, namer, src, guards
        self.binder = Binder(namer)
        self.names: dict[str, str] = {}
        self._last = None

    # -- names -----------------------------------------------------------------------------
    def d(self, var: str) -> str:
        """The tangent's name: ``dx`` for ``x``, ``_dt3`` for the temporary ``_t3``."""
        n = self.names.get(var)
        if n is None:
            base = "d" + var if not var.startswith("_") else "_d" + var.lstrip("_")
            n = self.names[var] = self.namer.fresh(base)
        return n

    def helper(self, fn) -> gast.Name:
        return load(self.namer.bind(fn, fn.__name__))

    def active(self, a) -> bool:
        return self.act.is_active(a)

    def tan(self, a):
        """The tangent expression of the atom ``a`` (None: it is zero)."""
        if isinstance(a, gast.Tuple):
            if not any(self.active(e) for e in a.elts):
                return None
            return tuple_([self.tan(e) or self.zero(e) for e in a.elts])
        if isinstance(a, gast.Name) and self.active(a):
            return load(self.d(a.id))
        return None

    def zero(self, a):
        return call(self.helper(zero_tangent), [a])

    # -- statements ------------------------------------------------------------------------
    def block(self, body) -> list:
        out: list = []
        for s in body:
            self.stmt(s, out)
        return out

    def stmt(self, s, out: list):
        op = getattr(s, "op", None)
        if isinstance(s, gast.If) and op == "if":
            out.append(gast.If(test=load(s.test.id), body=self.block(s.body) or [gast.Pass()],
                               orelse=self.block(s.orelse)))
            return
        if isinstance(s, gast.For):
            out.append(gast.For(target=store(s.target.id), iter=load(s.iter.id),
                                body=self.block(s.body) or [gast.Pass()], orelse=[],
                                type_comment=None))
            return
        if isinstance(s, gast.While):
            out.append(gast.While(test=load(s.test.id), body=self.block(s.body) or [gast.Pass()],
                                  orelse=[]))
            return
        if op == "return":
            v = s.value
            out.append(gast.Return(value=tuple_([v, self.tan(v) or self.zero(v)])))
            return
        if op == "effect" or op is None:
            out.append(self.binder.visit(s))
            return
        primal = self.binder.visit(s)
        tangent: list = []
        getattr(self, "t_" + op)(s, primal, tangent)
        if tangent:
            self.comment(s, out)
        out.append(primal)
        out.extend(tangent)

    def comment(self, s, out):
        """``# tangent of: <source line>`` above the first statement of each source line."""
        line = self.src.line(s.lineno).strip()
        if not line or self._last == (id(out), s.lineno):
            return
        self._last = (id(out), s.lineno)
        out.append(gast.Expr(value=const(COMMENT + "tangent of: " + line)))

    def set(self, t: str, expr, out: list, fresh: bool = False):
        """``dt = expr``; a name written in place gets an owned copy unless ``fresh``."""
        out.append(assign(self.d(t), expr))
        if t in self.nf.written and t not in self.nf.containers and not fresh:
            out.append(assign(self.d(t), call(self.helper(own_tangent), [load(self.d(t))])))

    def set_zero(self, t: str, out: list):
        self.set(t, self.zero(load(t)), out, fresh=True)

    def t_const(self, s, primal, out):
        for t in _store_names(s):
            if self.active(load(t)):
                self.set_zero(t, out)

    def t_copy(self, s, primal, out):
        t = s.targets[0].id
        a = s.args[0]
        if not self.active(load(t)) or (isinstance(a, gast.Name) and a.id == t):
            return
        d = None if s.stop else self.tan(a)
        if d is None:
            self.set_zero(t, out)
        else:
            self.set(t, d, out)

    def t_pack(self, s, primal, out):
        t = s.targets[0].id
        if not self.active(load(t)):
            return
        if s.stop:
            self.set_zero(t, out)
            return
        elts = [self.tan(a) or self.zero(a) for a in s.args]
        v = s.value
        if isinstance(v, gast.Dict):
            node = gast.Dict(keys=list(v.keys), values=elts)
        else:
            node = type(v)(elts=elts, ctx=gast.Load())
        self.set(t, node, out)

    def t_subscript(self, s, primal, out):
        t = s.targets[0].id
        if not self.active(load(t)):
            return
        base = s.args[0]
        d = None if s.stop else self.tan(base)
        if d is None:
            self.set_zero(t, out)
            return
        self.set(t, gast.Subscript(value=d, slice=s.value.slice, ctx=gast.Load()), out)

    def t_setitem(self, s, primal, out):
        x, _, v = s.args
        if not self.active(x):
            return
        d = None if s.stop else self.tan(v)
        sub = gast.Subscript(value=load(self.d(x.id)), slice=s.targets[0].slice,
                             ctx=gast.Store())
        out.append(gast.Assign(targets=[sub], value=d or self.zero(v), type_comment=None))

    def t_append(self, s, primal, out):
        lst, v = s.args
        if not self.active(lst):
            return
        d = None if s.stop else self.tan(v)
        out.append(gast.Expr(value=call(attr(load(self.d(lst.id)), "append"),
                                        [d or self.zero(v)])))

    def t_call(self, s, primal, out):
        t = _store_names(s)[0]
        if getattr(s, "method", None) == "pop" and self.active(s.args[0]) and not s.stop:
            # Only lists and dicts pop: a stack popped in the primal pops its tangents in
            # step, whether or not the value popped moves.
            pop = call(attr(load(self.d(s.args[0].id)), "pop"), list(s.args[1:]))
            if self.active(load(t)):
                self.set(t, pop, out)
            else:
                out.append(gast.Expr(value=pop))
            return
        if not self.active(load(t)):
            return
        kind = self.act.kinds[id(s)]
        operands = list(s.args) + list(s.kwargs.values())
        if s.stop or not any(self.active(a) for a in operands) or kind == "nondiff":
            self.set_zero(t, out)
            return
        if kind == "prim":
            self.prim(s, t, out)
        elif kind == "user":
            self.user(s, t, primal, out)
        else:
            what = f".{s.method}()" if getattr(s, "method", None) else repr(
                getattr(s.callee, "__name__", s.callee))
            raise self.src.error(
                f"no tangent rule for {what}, and it has no Python source to transform", s,
                "register one: @s2sgrad.rule(fn) for the adjoint, then @tangent(fn)"
                if s.callee is not None else "call a NumPy function instead")

    def prim(self, s, t, out):
        rule = lookup(s.callee)
        bound = bind_rule_args(rule, s)
        tangents = {w: self.tan(bound[w]) for w in rule.wrt if w in bound}
        if not any(v is not None for v in tangents.values()):
            self.set_zero(t, out)
            return
        if rule.tangent is None:
            name = getattr(s.callee, "__name__", repr(s.callee))
            raise self.src.error(f"no tangent (forward) rule for {name!r} ({rule.name})", s,
                                 "register one with @tangent(fn) next to its adjoint")
        stmts, expr, dropped = instantiate_tangent(rule, bound, load(t), tangents, self.namer)
        out.extend(stmts)
        if expr is None:
            self.set_zero(t, out)
            return
        if rule.broadcast and dropped and t not in self.nf.containers and _may_stretch(
                rule, bound, tangents):
            expr = call(self.helper(broadcast_tangent), [expr, load(t)])
        self.set(t, expr, out)

    def user(self, s, t, primal, out):
        callee = s.callee
        bound = bind_user_args(callee, s)
        sub_params = list(signature(callee).parameters)
        cmask = tuple(p in bound and self.active(bound[p]) for p in sub_params)
        sub = compile_tangent(callee, cmask)
        self.guards.extend(sub.guards)
        fname = self.namer.bind(sub.jvp, callee.__name__ + "_jvp")
        tans = tuple_([self.tan(bound[p]) for p, m in zip(sub_params, cmask) if m])
        node = primal.value
        primal.value = gast.Call(func=load(fname), args=list(node.args),
                                 keywords=list(node.keywords) + [
                                     gast.keyword(arg=sub.kw, value=tans)])
        primal.targets = [tuple_([store(t), store(self.d(t))], gast.Store())]
        if t in self.nf.written and t not in self.nf.containers:
            out.append(assign(self.d(t), call(self.helper(own_tangent), [load(self.d(t))])))



def _may_stretch(rule, bound, tangents) -> bool:
    """Whether an operand whose terms were dropped could set the output's shape: not when
    it is a number literal or the same name as an operand that moves."""
    moving = {a.id for w, a in bound.items() if tangents.get(w) is not None
              and isinstance(a, gast.Name)}
    for w in rule.wrt:
        a = bound.get(w)
        if a is None or tangents.get(w) is not None:
            continue
        if isinstance(a, gast.Constant) and type(a.value) in (int, float, bool):
            continue
        if isinstance(a, gast.Name) and a.id in moving:
            continue
        return True
    return False
