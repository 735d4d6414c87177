"""Three-address form: one primitive per statement, fresh temporaries, no jumps.

Takes: a fenced ``Source`` and a ``Resolver``. Gives: a ``NormalForm``, whose
body holds only these statement forms (``s.op`` says which; ``s.args`` lists
the operands, each an *atom*: a Name, a Constant, or a tuple/slice of atoms):

=============================  ===========  =========================================
``t = a``                      ``copy``     a copy of a name or constant
``t = f(a, b, k=c)``, ``a+b``  ``call``     ``s.callee``: the resolved object, or None
                                            for a method the table does not know
``t = a[i]``                   ``subscript`` array (getitem) or container element
``t = (a, b)``, ``[a]``, dict  ``pack``     a container of atoms
``t = <expression>``           ``const``    no gradient flows (compare, not, x.shape)
``x[i] = a``                   ``setitem``  write into an array made in the function
``lst.append(a)``              ``append``   grow a list made in the function
``print(..)``, ``assert``      ``effect``   forward only (also ``if flag: break``)
``if c:`` / ``else:``          If           ``c`` a Name
``for i in r:``                For          ``r`` a Name bound to a ``range``
``while c:``                   While        ``c`` a Name, recomputed at the body's end
``return a``                   Return       the last statement, nothing else returns
=============================  ===========  =========================================

``break``/``continue``/early ``return`` become flags that guard what follows
(``if not _brk1:``), so control flow is structured; the target of a call is
never one of its own operands (``y = y * 2`` goes through a temporary).
Invariant: every statement keeps the line number of the source line it came
from, and temporaries are named by a counter, so output is deterministic.
"""
from __future__ import annotations

import builtins
import copy
import inspect
from dataclasses import dataclass, field

import gast
import numpy as np

from ..rules import is_nondifferentiable, lookup, pymath, torchlike
from . import calls, captures, methods
from .fence import binding_counts
from .inline import Inliner
from .nodes import assign, call, const, expr_stmt, if_, is_atom, load, store, tuple_
from .resolve import MISSING, Resolver
from .source import Source

__all__ = ["BINOPS", "UNARY", "NormalForm", "normalize"]

BINOPS = {gast.Add: np.add, gast.Sub: np.subtract, gast.Mult: np.multiply,
          gast.Div: np.true_divide, gast.Pow: np.power, gast.MatMult: np.matmul,
          gast.FloorDiv: np.floor_divide, gast.Mod: np.remainder,
          gast.BitAnd: np.bitwise_and, gast.BitOr: np.bitwise_or,
          gast.BitXor: np.bitwise_xor, gast.LShift: np.left_shift,
          gast.RShift: np.right_shift}
UNARY = {gast.USub: np.negative, gast.UAdd: np.positive, gast.Invert: np.invert}


@dataclass
class NormalForm:
    name: str
    params: list[str]
    body: list
    containers: set[str] = field(default_factory=set)
    written: set[str] = field(default_factory=set)      # names written through x[i] = v
    stopped: set[str] = field(default_factory=set)      # names assigned under no_grad
    n_temps: int = 0
    imports: dict = field(default_factory=dict)         # name -> module/function imported
    classes: dict = field(default_factory=dict)         # name -> the user class it holds


def _mark(stmt, op, line, **attrs):
    stmt.op = op
    stmt.lineno = line
    stmt.stop = False
    for k, v in attrs.items():
        setattr(stmt, k, v)
    return stmt


class _Loop:
    def __init__(self):
        self.brk = None
        self.cont = None


class Normalizer(Inliner):
    mark = staticmethod(_mark)

    def __init__(self, src: Source, resolver: Resolver):
        self.init_inliner()
        self.binding_counts = binding_counts(src.fdef)
        self.src = src
        self.res = resolver
        self.n = 0
        self.out: list = []
        self.loops: list[_Loop] = []
        self.ret_flag = None
        self.ret_val = None
        self.containers: set[str] = set()
        self.written: set[str] = set()
        self.line = src.fdef.lineno
        self.no_grad_depth = 0
        self.stopped: set[str] = set()
        self.jumps: list[set] = [set()]
        # Names bound to a dict display (``d = {...}``) or ``dict(...)``: ``for k in d``
        # iterates their keys.
        self.dicts = {t.id for n in gast.walk(src.fdef) if isinstance(n, gast.Assign)
                      and (isinstance(n.value, gast.Dict) or (
                          isinstance(n.value, gast.Call) and isinstance(n.value.func, gast.Name)
                          and n.value.func.id == "dict"))
                      for t in n.targets if isinstance(t, gast.Name)}

    # -- helpers ---------------------------------------------------------------------------
    def tmp(self, hint: str = "t") -> str:
        self.n += 1
        return f"_{hint}{self.n}"

    def emit(self, stmt):
        if self.no_grad_depth:
            stmt.stop = True
            for t in _targets(stmt):
                self.stopped.add(t)
        self.out.append(stmt)
        return stmt

    def err(self, what: str, node, hint: str = ""):
        return self.src.error(what, node, hint)

    def block(self, stmts) -> list:
        saved, self.out = self.out, []
        try:
            self.stmts(stmts)
            return self.out
        finally:
            self.out = saved

    def stmts(self, stmts):
        """Normalize a statement list; after one that may jump, guard the rest."""
        for i, s in enumerate(stmts):
            self.jumps.append(set())
            self.stmt(s)
            flags = self.jumps.pop()
            self.jumps[-1] |= flags
            rest = stmts[i + 1:]
            if flags and rest:
                self.guard(sorted(flags), rest)
                return

    def guard(self, flags, rest):
        c = self.tmp("c")
        test = load(flags[0]) if len(flags) == 1 else gast.BoolOp(
            op=gast.Or(), values=[load(f) for f in flags])
        self.emit(_mark(assign(c, gast.UnaryOp(op=gast.Not(), operand=test)), "const",
                        self.line, args=[load(f) for f in flags]))
        body = self.block(rest)
        self.emit(_mark(if_(c, body), "if", self.line))

    def jumped(self, flag: str):
        self.jumps[-1].add(flag)

    # -- statements ------------------------------------------------------------------------
    def stmt(self, s):
        self.line = getattr(s, "lineno", self.line)
        method = getattr(self, "s_" + type(s).__name__, None)
        if method is None:
            raise self.err(f"unsupported statement: {type(s).__name__}", s)
        method(s)

    def s_Assign(self, s):
        if len(s.targets) == 1 and isinstance(s.value, gast.Lambda):
            name = s.targets[0].id            # fence: a lambda is bound to a plain name
            self.local_fns[name] = self.local_fn(name, s.value)
            return
        if len(s.targets) == 1:
            if isinstance(s.targets[0], gast.Name):
                self.note_instance(s.targets[0].id, s.value)
            self.assign_to(s.targets[0], s.value)
            return
        a = self.atom(s.value)
        for t in s.targets:
            self.assign_to(t, a)

    def s_AnnAssign(self, s):
        if s.value is not None:
            self.assign_to(s.target, s.value)

    def s_AugAssign(self, s):
        t = s.target
        if isinstance(t, gast.Name):
            value = gast.BinOp(left=load(t.id), op=s.op, right=s.value)
            self.assign_to(store(t.id), value)
        elif isinstance(t, gast.Subscript):
            base = self.subscript_base(t)
            idx = self.index(t.slice)
            old = self.tmp()
            self.emit(_mark(assign(old, gast.Subscript(value=load(base), slice=idx,
                                                       ctx=gast.Load())),
                            "subscript", self.line, args=[load(base), _index_value(idx)]))
            new = self.binop(load(old), s.op, s.value)
            self.setitem(base, idx, new)
        else:
            raise self.err("unsupported assignment target", t)

    def subscript_base(self, t) -> str:
        if not isinstance(t.value, gast.Name):
            raise self.err("unsupported assignment: write into a nested subscript or attribute",
                           t, "index a local array by name: y[i, j] = v")
        return t.value.id

    def assign_to(self, target, value):
        if isinstance(target, gast.Name):
            if is_atom(value) or _is_static_atom(value, self.res):
                self.emit(_mark(assign(target.id, value), "copy", self.line, args=[value]))
            elif target.id in _names(value):
                t = self.tmp()
                self.into(t, value)
                self.emit(_mark(assign(target.id, load(t)), "copy", self.line, args=[load(t)]))
            else:
                self.into(target.id, value)
        elif isinstance(target, (gast.Tuple, gast.List)):
            src = self.atom(value)
            if not isinstance(value, gast.Name):
                # The value of an expression unpacked by position is a tuple or list.
                self.containers.add(src.id)
            for k, elt in enumerate(target.elts):
                if isinstance(elt, gast.Starred):
                    raise self.err("unsupported construct: starred assignment", elt)
                t = self.tmp()
                self.emit(_mark(assign(t, gast.Subscript(value=load(src.id), slice=const(k),
                                                         ctx=gast.Load())),
                                "subscript", self.line, args=[load(src.id), const(k)]))
                if isinstance(elt, (gast.Tuple, gast.List)):
                    self.containers.add(t)   # destructured again: a tuple or list
                self.assign_to(elt, load(t))
        elif isinstance(target, gast.Subscript):
            base = self.subscript_base(target)
            idx = self.index(target.slice)
            self.setitem(base, idx, self.atom(value))
        else:
            raise self.err("unsupported assignment target (attributes cannot be written)",
                           target, "assign to a local name and return it")

    def setitem(self, base, idx, value):
        self.written.add(base)
        tgt = gast.Subscript(value=load(base), slice=idx, ctx=gast.Store())
        self.emit(_mark(assign(tgt, value), "setitem", self.line,
                        args=[load(base), _index_value(idx), value]))

    def s_Expr(self, s):
        v = s.value
        if isinstance(v, gast.Constant):
            return  # docstring or bare constant
        if isinstance(v, gast.Call) and isinstance(v.func, gast.Attribute) and \
                v.func.attr == "append" and isinstance(v.func.value, gast.Name) and \
                self.res.expr(v.func.value) is MISSING:
            if len(v.args) != 1 or v.keywords:
                raise self.err("list.append takes one argument", v)
            lst = v.func.value.id
            a = self.atom(v.args[0])
            self.containers.add(lst)
            self.written.add(lst)
            self.emit(_mark(expr_stmt(call(gast.Attribute(value=load(lst), attr="append",
                                                          ctx=gast.Load()), [a])),
                            "append", self.line, args=[load(lst), a]))
            return
        if isinstance(v, gast.Call) and (isinstance(v.func, gast.Lambda) or (
                isinstance(v.func, gast.Name) and v.func.id in self.local_fns)):
            self.atom(v)      # inlined: its statements keep their own effects
            return
        if isinstance(v, gast.Call):
            # Called for its effect (print, a logger): keep it in the forward sweep only.
            args = [self.atom(a) for a in v.args]
            kws = {k.arg: self.atom(k.value) for k in v.keywords}
            self.emit(_mark(expr_stmt(call(v.func, args, kws)), "effect", self.line, args=args))
            return
        self.atom(v)

    def s_Pass(self, s):
        pass

    def s_Assert(self, s):
        self.emit(_mark(s, "effect", self.line, args=[]))

    def s_Raise(self, s):
        self.emit(_mark(s, "effect", self.line, args=[]))

    def s_If(self, s):
        c = self.cond_atom(s.test)
        body = self.block(s.body)
        orelse = self.block(s.orelse)
        self.emit(_mark(if_(c, body, orelse), "if", s.lineno))

    def cond_atom(self, test) -> str:
        c = self.tmp("c")
        self.into(c, test)
        return c

    def s_With(self, s):
        for item in s.items:
            obj = self.res.expr(item.context_expr.func) if isinstance(
                item.context_expr, gast.Call) else self.res.expr(item.context_expr)
            if getattr(obj, "__name__", "") not in ("no_grad", "inference_mode") or \
                    item.optional_vars is not None:
                raise self.err("unsupported construct: a with statement other than "
                               "'with no_grad():'", s, "move it outside the function")
        self.no_grad_depth += 1
        try:
            self.stmts(s.body)
        finally:
            self.no_grad_depth -= 1

    def s_Return(self, s):
        value = s.value if s.value is not None else const(None)
        if not self.loops and getattr(self, "_top_last", None) is s:
            a = self.atom(value)
            if isinstance(a, gast.Name) and a.id in self.written:
                # A returned array written in place is copied, so restoring it in
                # the adjoint sweep never changes what the caller holds.
                c = self.tmp()
                self.into(c, call("_s2s_clone", [a]), callee=torchlike.clone)
                a = load(c)
            self.emit(_mark(gast.Return(value=a), "return", s.lineno, args=[a]))
            return
        if self.ret_flag is None:
            self.ret_flag, self.ret_val = self.tmp("ret"), self.tmp("retval")
        a = self.atom(value)
        self.emit(_mark(assign(self.ret_val, a), "copy", s.lineno, args=[a]))
        self.emit(_mark(assign(self.ret_flag, const(True)), "const", s.lineno, args=[]))
        self.jumped(self.ret_flag)

    def s_Break(self, s):
        loop = self.loops[-1]
        if loop.brk is None:
            loop.brk = self.tmp("brk")
        self.emit(_mark(assign(loop.brk, const(True)), "const", s.lineno, args=[]))
        self.jumped(loop.brk)

    def s_Continue(self, s):
        loop = self.loops[-1]
        if loop.cont is None:
            loop.cont = self.tmp("cont")
        self.emit(_mark(assign(loop.cont, const(True)), "const", s.lineno, args=[]))
        self.jumped(loop.cont)

    def loop_body(self, loop: _Loop, stmts, head: list, tail=()) -> list:
        """The body with jump flags set up; flags of this loop stop propagating here."""
        self.loops.append(loop)
        self.jumps.append(set())
        saved, self.out = self.out, list(head)
        try:
            self.stmts(stmts)
            body = self.out
        finally:
            self.out = saved
            self.loops.pop()
            inner = self.jumps.pop()
        self.jumps[-1] |= inner - {loop.brk, loop.cont}
        loop.exits = sorted(inner - {loop.cont})
        if loop.cont is not None:
            body.insert(0, _mark(assign(loop.cont, const(False)), "const", self.line, args=[]))
        exits = sorted(inner - {loop.cont})
        if tail and exits:
            # The loop test is recomputed only by an iteration that does not leave, so
            # every statement the forward sweep runs is one the adjoint sweep replays.
            g = self.tmp("c")
            test = load(exits[0]) if len(exits) == 1 else gast.BoolOp(
                op=gast.Or(), values=[load(f) for f in exits])
            body.append(_mark(assign(g, gast.UnaryOp(op=gast.Not(), operand=test)), "const",
                              self.line, args=[]))
            body.append(_mark(if_(g, list(tail)), "if", self.line))
        elif tail:
            body.extend(tail)
        if exits:
            c = self.tmp("c")
            val = load(exits[0]) if len(exits) == 1 else gast.BoolOp(
                op=gast.Or(), values=[load(f) for f in exits])
            body.append(_mark(assign(c, val), "const", self.line, args=[]))
            body.append(_mark(if_(c, [gast.Break()]), "effect", self.line, args=[]))
        return body

    def s_For(self, s):
        line = s.lineno
        loop = _Loop()
        it = s.iter
        fn = self.res.expr(it.func) if isinstance(it, gast.Call) else MISSING
        if fn is builtins.range:
            r = self.tmp("r")
            self.into(r, it)
            if isinstance(s.target, gast.Name):
                i, head = s.target.id, []
            else:
                i = self.tmp("i")
                head = self.block([gast.Assign(targets=[s.target], value=load(i),
                                               type_comment=None)])
        elif self.dict_view(it) is not None:
            # ``for k in d``, ``d.keys()``, ``d.values()``, ``d.items()``: a range loop over
            # the (gradient-free) list of keys, each value read as ``d[key]``.
            d, view = self.dict_view(it)
            keys = self.tmp("keys")
            self.into(keys, call("list", [d]), callee=builtins.list, const_=True)
            n = self.tmp("n")
            self.into(n, call("len", [load(keys)]), callee=builtins.len)
            r = self.tmp("r")
            self.into(r, call("range", [load(n)]), callee=builtins.range)
            i = self.tmp("k")
            saved, self.out = self.out, []
            key = self.tmp("key")
            self.emit(_mark(assign(key, gast.Subscript(value=load(keys), slice=load(i),
                                                       ctx=gast.Load())),
                            "const", line, args=[load(keys), load(i)]))
            value = load(key)
            if view != "keys":
                v = self.tmp()
                self.emit(_mark(assign(v, gast.Subscript(value=d, slice=load(key),
                                                         ctx=gast.Load())),
                                "subscript", line, args=[d, load(key)]))
                value = load(v) if view == "values" else self.pack([load(key), load(v)],
                                                                   gast.Tuple)
            self.assign_to(s.target, value)
            head, self.out = self.out, saved
        else:
            seqs, enum = self.iter_parts(it, fn)
            n = self.tmp("n")
            if len(seqs) == 1:
                self.into(n, call("len", [seqs[0]]), callee=builtins.len)
            else:
                lens = []
                for a in seqs:
                    ln = self.tmp("n")
                    self.into(ln, call("len", [a]), callee=builtins.len)
                    lens.append(load(ln))
                self.into(n, call("min", lens), callee=builtins.min, const_=True)
            r = self.tmp("r")
            self.into(r, call("range", [load(n)]), callee=builtins.range)
            i = self.tmp("k")
            saved, self.out = self.out, []
            elems = []
            for a in seqs:
                e = self.tmp()
                self.emit(_mark(assign(e, gast.Subscript(value=a, slice=load(i),
                                                         ctx=gast.Load())),
                                "subscript", line, args=[a, load(i)]))
                elems.append(load(e))
            value = elems[0] if len(elems) == 1 else self.pack(elems, gast.Tuple)
            if enum is not None:
                index = load(i)
                if not (isinstance(enum, gast.Constant) and enum.value == 0):
                    index = self.binop(load(i), gast.Add(), enum)
                value = self.pack([index, value], gast.Tuple)
            self.assign_to(s.target, value)
            head, self.out = self.out, saved
        body = self.loop_body(loop, s.body, head)
        if loop.brk is not None:
            self.emit(_mark(assign(loop.brk, const(False)), "const", line, args=[]))
        node = gast.For(target=store(i), iter=load(r), body=body, orelse=[], type_comment=None)
        self.emit(_mark(node, "for", line))
        self.loop_else(loop, s)

    def loop_else(self, loop: _Loop, s):
        """The else body runs when the loop left by neither break nor return."""
        if not s.orelse:
            return
        if not loop.exits:
            self.stmts(s.orelse)
            return
        c = self.tmp("c")
        test = load(loop.exits[0]) if len(loop.exits) == 1 else gast.BoolOp(
            op=gast.Or(), values=[load(f) for f in loop.exits])
        self.emit(_mark(assign(c, gast.UnaryOp(op=gast.Not(), operand=test)), "const",
                        s.orelse[0].lineno, args=[load(f) for f in loop.exits]))
        body = self.block(s.orelse)
        self.emit(_mark(if_(c, body), "if", s.orelse[0].lineno))

    def dict_view(self, it):
        """(the dict atom, "keys"/"values"/"items") when ``it`` iterates a dict, else None:
        a ``.keys()``/``.values()``/``.items()`` call, or a name bound to a dict display."""
        if (isinstance(it, gast.Call) and isinstance(it.func, gast.Attribute)
                and it.func.attr in ("keys", "values", "items") and not it.args
                and not it.keywords and self.res.expr(it.func.value) is MISSING):
            return self.atom(it.func.value), it.func.attr
        if isinstance(it, gast.Name) and it.id in self.dicts:
            return load(it.id), "keys"
        return None

    def iter_parts(self, it, fn):
        """(sequences indexed in step, None or the start of the index yielded too)."""
        if fn is builtins.enumerate:
            kws = {k.arg: k.value for k in it.keywords}
            if not 1 <= len(it.args) + len(kws) <= 2 or set(kws) - {"start"} or (
                    len(it.args) == 2 and kws):
                raise self.err("enumerate takes a sequence and an optional start", it)
            start = it.args[1] if len(it.args) == 2 else kws.get("start", const(0))
            seqs, _ = self.iter_parts(it.args[0], self.res.expr(it.args[0].func) if isinstance(
                it.args[0], gast.Call) else MISSING)
            return seqs, self.atom(start)
        if fn is builtins.zip:
            return [self.atom(a) for a in it.args], None
        if fn is builtins.range:
            raise self.err("range inside enumerate/zip is not supported", it,
                           "index with a plain range loop")
        return [self.atom(it)], None

    def pack(self, elts, kind) -> gast.Name:
        t = self.tmp()
        self.containers.add(t)
        self.emit(_mark(assign(t, kind(elts=list(elts), ctx=gast.Load())), "pack", self.line,
                        args=list(elts)))
        return load(t)

    def s_While(self, s):
        line = s.lineno
        loop = _Loop()
        c = self.cond_atom(s.test)
        saved, self.out = self.out, []
        self.line = line
        self.into(c, s.test)
        recompute = self.out
        self.out = saved
        body = self.loop_body(loop, s.body, [], recompute)
        if loop.brk is not None:
            self.emit(_mark(assign(loop.brk, const(False)), "const", line, args=[]))
        node = gast.While(test=load(c), body=body, orelse=[])
        self.emit(_mark(node, "while", line))
        self.loop_else(loop, s)

    # -- expressions -----------------------------------------------------------------------
    def atom(self, e):
        """An atom holding ``e``'s value (emitting the statements that compute it)."""
        if is_atom(e):
            return e
        if isinstance(e, gast.UnaryOp) and isinstance(e.op, gast.USub) and isinstance(
                e.operand, gast.Constant) and isinstance(e.operand.value, (int, float)):
            return const(-e.operand.value)
        if isinstance(e, gast.Tuple) and all(is_atom(x) for x in e.elts) and all(
                isinstance(x, gast.Constant) for x in e.elts):
            return e
        if _is_static_atom(e, self.res):
            return e
        t = self.tmp()
        self.into(t, e)
        return load(t)

    def binop(self, left, op, right) -> gast.Name:
        t = self.tmp()
        self.into(t, gast.BinOp(left=left, op=op, right=right))
        return load(t)

    def index(self, sl):
        """A subscript's index with every part an atom (slices keep their syntax)."""
        if isinstance(sl, gast.Slice):
            return gast.Slice(lower=self.atom(sl.lower) if sl.lower else None,
                              upper=self.atom(sl.upper) if sl.upper else None,
                              step=self.atom(sl.step) if sl.step else None)
        if isinstance(sl, gast.Tuple):
            return tuple_([self.index(x) for x in sl.elts])
        return self.atom(sl)

    def into(self, t: str, e, callee=MISSING, const_=False):
        """Emit ``t = e`` with ``e`` reduced to one operation on atoms."""
        line = self.line
        if callee is not MISSING:
            args = [self.atom(a) for a in e.args]
            kws = {k.arg: self.atom(k.value) for k in e.keywords}
            func = self.bind_name(callee)
            kind = "const" if const_ else "call"
            self.emit(_mark(assign(t, call(func, args, kws)), kind, line, callee=callee,
                            args=args, kwargs=kws))
            return
        if is_atom(e):
            self.emit(_mark(assign(t, e), "copy", line, args=[e]))
        elif isinstance(e, gast.BinOp):
            a, b = self.atom(e.left), self.atom(e.right)
            fn = BINOPS[type(e.op)]
            self.emit(_mark(assign(t, gast.BinOp(left=a, op=e.op, right=b)), "call", line,
                            callee=fn, args=[a, b], kwargs={}))
        elif isinstance(e, gast.UnaryOp):
            a = self.atom(e.operand)
            if isinstance(e.op, gast.Not):
                self.emit(_mark(assign(t, gast.UnaryOp(op=e.op, operand=a)), "const", line,
                                args=[a]))
            else:
                self.emit(_mark(assign(t, gast.UnaryOp(op=e.op, operand=a)), "call", line,
                                callee=UNARY[type(e.op)], args=[a], kwargs={}))
        elif isinstance(e, gast.Compare):
            parts = [self.atom(e.left)] + [self.atom(c) for c in e.comparators]
            node = gast.Compare(left=parts[0], ops=e.ops, comparators=parts[1:])
            self.emit(_mark(assign(t, node), "const", line, args=parts))
        elif isinstance(e, gast.BoolOp):
            first = self.atom(e.values[0])
            self.emit(_mark(assign(t, first), "copy", line, args=[first]))
            for v in e.values[1:]:
                c = self.tmp("c")
                test = load(t) if isinstance(e.op, gast.And) else gast.UnaryOp(
                    op=gast.Not(), operand=load(t))
                self.emit(_mark(assign(c, test), "const", line, args=[load(t)]))
                body = self.block([gast.Assign(targets=[store(t)], value=v, type_comment=None)])
                self.emit(_mark(if_(c, body), "if", line))
        elif isinstance(e, gast.IfExp):
            c = self.cond_atom(e.test)
            body = self.block([gast.Assign(targets=[store(t)], value=e.body, type_comment=None)])
            orelse = self.block([gast.Assign(targets=[store(t)], value=e.orelse,
                                             type_comment=None)])
            self.emit(_mark(if_(c, body, orelse), "if", line))
        elif isinstance(e, gast.Call):
            self.call_into(t, e)
        elif isinstance(e, gast.Subscript):
            base = self.atom(e.value)
            idx = self.index(e.slice)
            self.emit(_mark(assign(t, gast.Subscript(value=base, slice=idx, ctx=gast.Load())),
                            "subscript", line, args=[base, _index_value(idx)]))
        elif isinstance(e, (gast.Tuple, gast.List)):
            elts = [self.atom(x) for x in e.elts]
            self.containers.add(t)
            self.emit(_mark(assign(t, type(e)(elts=elts, ctx=gast.Load())), "pack", line,
                            args=elts))
        elif isinstance(e, gast.Dict):
            keys = [self.atom(k) for k in e.keys]
            vals = [self.atom(v) for v in e.values]
            self.containers.add(t)
            self.emit(_mark(assign(t, gast.Dict(keys=keys, values=vals)), "pack", line,
                            args=vals, keys=keys))
        elif isinstance(e, gast.Attribute):
            fn = methods.lower_attribute(e.attr)
            if fn is not None and self.res.expr(e.value) is MISSING:
                a = self.atom(e.value)
                self.emit(_mark(assign(t, call(self.bind_name(fn), [a])), "call", line,
                                callee=fn, args=[a], kwargs={}))
            elif e.attr in captures.METADATA:
                a = self.atom(e.value)
                node = gast.Attribute(value=a, attr=e.attr, ctx=gast.Load())
                self.emit(_mark(assign(t, node), "const", line, args=[a]))
            else:
                # Read through ``attribute``: a Tensor there is an array, or refused when it
                # requires grad; ``captures`` turns reads of known objects into inputs.
                a = self.atom(e.value)
                node = call(self.bind_name(captures.attribute),
                            [a, const(e.attr), const(self.src.filename), const(line)])
                self.emit(_mark(assign(t, node), "const", line, args=[a],
                                attr_of=(a, e.attr)))
        elif isinstance(e, (gast.ListComp, gast.GeneratorExp)):
            self.comprehension(t, e)
        elif isinstance(e, (gast.JoinedStr, gast.Set)):
            self.emit(_mark(assign(t, e), "const", line, args=[]))
        else:
            raise self.err(f"unsupported expression: {type(e).__name__}", e)

    def comprehension(self, t: str, e):
        """``t = [elt for v in seq if c ...]`` (a generator expression too, made a list) as
        the loop ``t = []; for v in seq: if c: t.append(elt)``; the comprehension's own
        variables get fresh names, since they do not leak into the function in Python."""
        e = copy.deepcopy(e)
        fresh = {}
        for g in e.generators:
            for n in gast.walk(g.target):
                if isinstance(n, gast.Name):
                    fresh[n.id] = self.tmp(n.id.strip("_") or "v")
        first_iter = e.generators[0].iter          # evaluated in the enclosing scope
        for node in gast.walk(e):
            if isinstance(node, gast.Name) and node.id in fresh and not any(
                    node is m for m in gast.walk(first_iter)):
                node.id = fresh[node.id]
        body = [gast.Expr(value=call(gast.Attribute(value=load(t), attr="append",
                                                    ctx=gast.Load()), [e.elt]))]
        for g in reversed(e.generators):
            if g.is_async:
                raise self.err("unsupported construct: an async comprehension", e)
            for cond in reversed(g.ifs):
                body = [gast.If(test=cond, body=body, orelse=[])]
            body = [gast.For(target=g.target, iter=g.iter, body=body, orelse=[],
                             type_comment=None)]
        stmts = [gast.Assign(targets=[store(t)], value=gast.List(elts=[], ctx=gast.Load()),
                             type_comment=None)] + body
        for st in stmts:
            for node in gast.walk(st):
                if not getattr(node, "lineno", None):
                    node.lineno, node.col_offset = e.lineno, e.col_offset
            self.stmt(st)
        self.line = e.lineno

    def call_into(self, t: str, e):
        line = self.line
        f = e.func
        if isinstance(f, gast.Lambda):
            self.inline_call(t, self.local_fn("<lambda>", f), e)
            return
        if isinstance(f, gast.Name) and f.id in self.local_fns:
            self.inline_call(t, self.local_fns[f.id], e)
            return
        obj = self.res.expr(f)
        if obj is MISSING and isinstance(f, gast.Attribute) and self.method_call(t, e):
            return
        if obj is MISSING and isinstance(f, gast.Attribute):
            recv = self.atom(f.value)
            args = [self.atom(a) for a in e.args]
            kws = {k.arg: self.atom(k.value) for k in e.keywords}
            low = methods.lower_method(f.attr, recv, args, kws,
                                       lambda xs: tuple_(xs))
            if low is None:
                # Unknown method: run it as is; the reverse pass refuses it if it is active.
                node = call(gast.Attribute(value=recv, attr=f.attr, ctx=gast.Load()), args, kws)
                self.emit(_mark(assign(t, node), "call", line, callee=None, args=[recv] + args,
                                kwargs=kws, method=f.attr))
                return
            fn, args, kws = low
            self.emit(_mark(assign(t, call(self.bind_name(fn), args, kws)), "call", line,
                            callee=fn, args=args, kwargs=kws))
            return
        if obj is MISSING:
            raise self.err(f"cannot resolve the call to {_spell(f)!r}", e,
                           "call a module-level function, a NumPy function or a method")
        if _user_instance(obj) and self.call_method(t, f, type(obj), "__call__", e):
            return
        args = [self.atom(a) for a in e.args]
        kws = {k.arg: self.atom(k.value) for k in e.keywords}
        self.call_of(t, obj, args, kws, f)

    def call_of(self, t: str, obj, args: list, kws: dict, f=None):
        """Emit ``t = obj(*args, **kws)`` (atoms) for a resolved callee."""
        prim = getattr(obj, "__s2sgrad_primitive__", None)
        if prim is not None:
            # A Tensor-level function (``s2sgrad.tanh``) names the NumPy primitive it wraps.
            obj, f = prim, self.bind_name(prim)
        elif obj in _ONE_ARG_FORMS and len(args) == 1 and not kws:
            # ``max(seq)``/``min(seq)``: the reduction, not the two-argument comparison.
            obj = _ONE_ARG_FORMS[obj]
            f = self.bind_name(obj)
        elif _takes_star(obj):
            # ``fn(a, *vs, **kw)``: the extra arguments travel as one tuple and one dict.
            p = calls.packed(obj)
            n = p.positional
            if p.var:
                kws[p.var] = self.pack(args[n:], gast.Tuple)
                args = args[:n]
            if p.kw:
                known = set(p.__signature__.parameters) - {p.kw}
                extra = {k: v for k, v in kws.items() if k not in known}
                kws = {k: v for k, v in kws.items() if k in known}
                d = self.tmp()
                keys = [const(k) for k in extra]
                vals = list(extra.values())
                self.containers.add(d)
                self.emit(_mark(assign(d, gast.Dict(keys=keys, values=vals)), "pack",
                                self.line, args=vals, keys=keys))
                kws[p.kw] = load(d)
            obj, f = p, self.bind_name(p)
        elif f is None or not isinstance(f, (gast.Name, gast.Attribute)):
            f = self.bind_name(obj)
        self.emit(_mark(assign(t, call(f, args, kws)), "call", self.line, callee=obj,
                        args=args, kwargs=kws))

    def bind_name(self, obj) -> gast.AST:
        """A reference to ``obj`` in generated code (resolved later by ``reverse``)."""
        node = load("_s2s_obj")
        node.obj = obj
        return node


_ONE_ARG_FORMS = {builtins.max: pymath.max_of, builtins.min: pymath.min_of}


def _takes_star(obj) -> bool:
    """A user function (no rule) taking ``*args`` or ``**kwargs``."""
    if not inspect.isfunction(obj) or lookup(obj) is not None or is_nondifferentiable(obj):
        return False
    code = obj.__code__
    return bool(code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS))


def _user_instance(obj) -> bool:
    """An object called like a function that is neither a function, a class nor a module."""
    return obj is not MISSING and callable(obj) and not (
        inspect.isroutine(obj) or isinstance(obj, type) or inspect.ismodule(obj)
        or hasattr(obj, "__s2sgrad_primitive__")) and lookup(obj) is None


def _names(e) -> set:
    return {n.id for n in gast.walk(e) if isinstance(n, gast.Name)}


def _is_static_atom(e, res: Resolver) -> bool:
    """``np.pi``-like: an attribute chain on a module, read live like a global."""
    if isinstance(e, gast.Attribute):
        base = res.expr(e.value)
        if base is MISSING or type(base).__name__ != "module":
            return False
        value = getattr(base, e.attr, None)
        return not callable(value) and not captures.is_tensor(value)
    return False


def _index_value(idx):
    """The index as a value expression: slices become ``slice(a, b, c)`` calls."""
    if isinstance(idx, gast.Slice):
        parts = [p if p is not None else const(None) for p in (idx.lower, idx.upper, idx.step)]
        return call("slice", parts)
    if isinstance(idx, gast.Tuple):
        return tuple_([_index_value(x) for x in idx.elts])
    return idx


def _targets(stmt) -> list[str]:
    if isinstance(stmt, gast.Assign):
        return [n.id for t in stmt.targets for n in gast.walk(t)
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)]
    if isinstance(stmt, gast.For):
        return [stmt.target.id]
    return []


def _spell(node) -> str:
    if isinstance(node, gast.Name):
        return node.id
    if isinstance(node, gast.Attribute):
        return _spell(node.value) + "." + node.attr
    return type(node).__name__


def local_names(fdef) -> set[str]:
    """Every name the function binds (parameters and assignment/loop targets)."""
    out = {a.id for a in fdef.args.args + fdef.args.kwonlyargs + fdef.args.posonlyargs}
    for node in gast.walk(fdef):
        if isinstance(node, gast.Name) and isinstance(node.ctx, (gast.Store, gast.Param)):
            out.add(node.id)
    return out


def normalize(src: Source, resolver: Resolver, containers=(), classes=None) -> NormalForm:
    """``containers``: parameters known to hold a tuple, list or dict (packed ``*args``);
    ``classes``: parameter -> the user class its argument has (methods are resolved)."""
    fdef = src.fdef
    nz = Normalizer(src, resolver)
    nz.containers.update(containers)
    nz.param_classes.update(classes or {})
    body = list(fdef.body)
    if not body or not isinstance(body[-1], gast.Return):
        body.append(gast.Return(value=const(None)))
        body[-1].lineno = getattr(fdef.body[-1], "end_lineno", None) or fdef.lineno
    nz._top_last = body[-1]
    params = [a.id for a in fdef.args.posonlyargs + fdef.args.args + fdef.args.kwonlyargs]
    main = nz.block(body[:-1])
    if nz.ret_flag is not None:
        # An early return: everything after it is guarded, and the value comes from a flag.
        init = [_mark(assign(nz.ret_flag, const(False)), "const", fdef.lineno, args=[]),
                _mark(assign(nz.ret_val, const(None)), "copy", fdef.lineno, args=[const(None)])]
        nz.out = []
        last = body[-1]
        nz.line = last.lineno
        c = nz.tmp("c")
        nz.emit(_mark(assign(c, gast.UnaryOp(op=gast.Not(), operand=load(nz.ret_flag))),
                      "const", last.lineno, args=[load(nz.ret_flag)]))
        tail = nz.block([gast.Assign(targets=[store(nz.ret_val)], value=last.value or const(None),
                                     type_comment=None)])
        nz.emit(_mark(if_(c, tail), "if", last.lineno))
        guard_tail = nz.out
        nz.out = []
        nz._top_last = None
        ret = _mark(gast.Return(value=load(nz.ret_val)), "return", last.lineno,
                    args=[load(nz.ret_val)])
        stmts = init + main + guard_tail + [ret]
    else:
        nz.out = []
        nz.stmt(body[-1])
        stmts = main + nz.out
    _propagate_containers(stmts, nz.containers)
    _refuse_argument_writes(src, stmts, params)
    classes = {**{p: c for p, c in nz.param_classes.items() if nz.binding_counts.get(p) == 1},
               **nz.instances}
    return NormalForm(fdef.name, params, stmts, nz.containers, nz.written, nz.stopped, nz.n,
                      nz.imports, classes)


def _propagate_containers(body, containers: set) -> None:
    """A copy of a tuple or list is one too (``a = t`` then ``a[0]``)."""
    from .analysis import walk_stmts
    copies = [(s.targets[0].id, s.args[0].id) for s, _ in walk_stmts(body)
              if getattr(s, "op", None) == "copy" and isinstance(s.args[0], gast.Name)]
    changed = True
    while changed:
        changed = False
        for t, a in copies:
            if (a in containers) != (t in containers):
                containers.update((t, a))
                changed = True


def _refuse_argument_writes(src: Source, body, params) -> None:
    """``x[i] = v`` on a caller's array (or a plain alias of it) would change the caller's
    data and could not be undone without copying it: refuse it with a clear error."""
    from .analysis import walk_stmts
    alias = set(params)
    stmts = [s for s, _ in walk_stmts(body)]
    changed = True
    while changed:
        changed = False
        for s in stmts:
            if getattr(s, "op", None) == "copy" and isinstance(s.args[0], gast.Name) and \
                    s.args[0].id in alias and s.targets[0].id not in alias:
                alias.add(s.targets[0].id)
                changed = True
    for s in stmts:
        if getattr(s, "op", None) in ("setitem", "append") and s.args[0].id in alias:
            raise src.error(f"in-place write into the argument {s.args[0].id!r}", s,
                            "write into a copy made inside the function: y = x.copy()")
