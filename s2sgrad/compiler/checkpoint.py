"""Checkpointed loops: cut a marked loop out of a function into a step function.

Takes: a parsed ``Source``, its ``Resolver`` and the ``checkpoint`` option of ``grad``.
A loop is marked by ``with checkpoint(snapshots=k):`` around it (the block holds the
loop alone), or, with the option, every outermost loop is. Gives: the function's tree
with each marked loop replaced by one call

    (h, c) = f_loop1(_ckseq1, h, c, W, b)       # a CheckpointedLoop (see revolve)

whose step function is the loop body over the loop-carried state (names the body
writes that an iteration may read before writing, or code after the loop reads) and
the invariants (locals the body only reads). The call is an ordinary user call for
every later pass; its adjoint recomputes from a bounded number of kept states.
Invariant: the step function's tree keeps the user's line numbers and file, so errors
inside it point at the user's loop; anything the cut cannot keep exact (break, return,
writes into arrays made outside the loop, a state that may or may not be set when the
loop starts) is refused with an error, never run differently.
"""
from __future__ import annotations

import builtins
import itertools

import gast

from .errors import TransformError
from .forward import clone
from .nodes import call, const, load, store
from .resolve import MISSING, Resolver
from .revolve import CheckpointedLoop
from .source import Source

__all__ = ["checkpoint", "extract"]


class checkpoint:  # noqa: N801  (used as ``with s2sgrad.checkpoint():``, like no_grad)
    """Mark a loop whose adjoint keeps at most ``snapshots`` states and recomputes the rest.

    Inside a function compiled by ``s2sgrad.grad``, ``with checkpoint(snapshots=k):`` must
    hold exactly one ``for`` or ``while`` loop. Run as plain Python it does nothing.
    """

    def __init__(self, snapshots: int | None = None):
        if snapshots is not None and (type(snapshots) is not int or snapshots < 1):
            raise ValueError(f"checkpoint: snapshots must be a positive int, got {snapshots!r}")
        self.snapshots = snapshots

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False

    def __repr__(self) -> str:
        return f"checkpoint(snapshots={self.snapshots!r})"


_serial = itertools.count(1)


def _load_names(node) -> set[str]:
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name)
            and isinstance(n.ctx, gast.Load)}


def _store_names(node) -> set[str]:
    out = {n.id for n in gast.walk(node) if isinstance(n, gast.Name)
           and isinstance(n.ctx, gast.Store)}
    return out


def _reads_of(s) -> set[str]:
    """Names ``s`` reads anywhere inside (an augmented target is read too)."""
    r = _load_names(s)
    r |= {n.target.id for n in gast.walk(s) if isinstance(n, gast.AugAssign)
          and isinstance(n.target, gast.Name)}
    return r


def _module(stmts) -> gast.Module:
    return gast.Module(body=stmts, type_ignores=[])


def _exposed(stmts, defined: set) -> tuple[set, set]:
    """(names read before this pass writes them, names surely written after ``stmts``)."""
    exposed: set = set()
    defined = set(defined)
    for s in stmts:
        if isinstance(s, gast.If):
            exposed |= _load_names(s.test) - defined
            e1, d1 = _exposed(s.body, defined)
            e2, d2 = _exposed(s.orelse, defined)
            exposed |= e1 | e2
            defined |= d1 & d2
        elif isinstance(s, gast.For):
            exposed |= _load_names(s.iter) - defined
            e, _ = _exposed(s.body, defined | _store_names(s.target))
            exposed |= e
        elif isinstance(s, gast.While):
            exposed |= _load_names(s.test) - defined
            e, _ = _exposed(s.body, defined)
            exposed |= e
        elif isinstance(s, gast.With):
            e, d = _exposed(s.body, defined)
            exposed |= e
            defined = d
        else:
            exposed |= _reads_of(s) - defined
            defined |= _store_names(s)
    return exposed, defined


def _surely_defined(stmts, defined: set) -> set:
    return _exposed(stmts, defined)[1]


def _contains(s, target) -> bool:
    return any(n is target for n in gast.walk(s))


def _entry(stmts, target, must: set, may: set):
    """(surely set, maybe set) names when control reaches ``target``; None if absent."""
    for s in stmts:
        if s is target:
            return must, may
        if _contains(s, target):
            if isinstance(s, gast.If):
                return (_entry(s.body, target, must, may)
                        or _entry(s.orelse, target, must, may))
            if isinstance(s, (gast.For, gast.While)):
                tg = _store_names(s.target) if isinstance(s, gast.For) else set()
                # An earlier iteration of the enclosing loop may have set anything it sets.
                return _entry(s.body, target, must | tg, may | _store_names(s))
            if isinstance(s, gast.With):
                return _entry(s.body, target, must, may)
        must = _surely_defined([s], must)
        may = may | _store_names(s)
    return None


class _Cutter:
    def __init__(self, src: Source, res: Resolver, default):
        self.src, self.res, self.default = src, res, default
        self.fdef = src.fdef
        params = self.fdef.args
        self.params = {a.id for a in params.args + params.kwonlyargs + params.posonlyargs}
        self.locals = self.params | _store_names(self.fdef)
        self.count = 0

    def err(self, what, node, hint=""):
        return self.src.error(what, node, hint)

    def marker(self, s):
        """The snapshot budget when ``s`` is ``with checkpoint(...):``, else MISSING."""
        if not isinstance(s, gast.With):
            return MISSING
        found = None
        for item in s.items:
            e = item.context_expr
            obj = self.res.expr(e.func if isinstance(e, gast.Call) else e)
            if obj is checkpoint:
                found = item
        if found is None:
            return MISSING
        if len(s.items) != 1 or found.optional_vars is not None:
            raise self.err("checkpoint must be the only item of its with statement", s,
                           "write: with checkpoint(snapshots=k):")
        e = found.context_expr
        args = list(e.args) if isinstance(e, gast.Call) else []
        kws = {k.arg: k.value for k in e.keywords} if isinstance(e, gast.Call) else {}
        if len(args) > 1 or set(kws) - {"snapshots"} or (args and kws):
            raise self.err("checkpoint takes one argument, snapshots", e)
        node = args[0] if args else kws.get("snapshots")
        if node is None:
            return None
        value = node.value if isinstance(node, gast.Constant) else self.res.expr(node)
        if value is not None and (type(value) is not int or value < 1):
            raise self.err("checkpoint(snapshots=...) takes a positive int literal or a "
                           "module-level constant", node)
        return value

    def block(self, stmts, in_loop: bool) -> list:
        out = []
        for s in stmts:
            budget = self.marker(s)
            if budget is not MISSING:
                loops = [x for x in s.body if not (isinstance(x, gast.Expr) and isinstance(
                    x.value, gast.Constant))]
                if len(loops) != 1 or not isinstance(loops[0], (gast.For, gast.While)):
                    raise self.err("a checkpoint block holds exactly one for or while loop",
                                   s, "put the loop alone inside 'with checkpoint():'")
                out.extend(self.cut(s, loops[0], budget))
                continue
            if isinstance(s, (gast.For, gast.While)) and not in_loop \
                    and self.default is not None:
                out.extend(self.cut(s, s, None if self.default is True else self.default))
                continue
            for field in ("body", "orelse"):
                sub = getattr(s, field, None)
                if isinstance(sub, list) and sub and isinstance(s, (gast.If, gast.For,
                                                                      gast.While, gast.With)):
                    setattr(s, field, self.block(sub, in_loop or isinstance(
                        s, (gast.For, gast.While))))
            out.append(s)
        return out

    def refuse_jumps(self, loop):
        def visit(stmts, depth):
            for s in stmts:
                if isinstance(s, gast.Return):
                    raise self.err("return inside a checkpointed loop", s,
                                   "set a flag and return after the loop")
                if isinstance(s, (gast.Break, gast.Continue)) and depth == 0:
                    raise self.err(f"{type(s).__name__.lower()} inside a checkpointed loop", s,
                                   "write the loop condition into a while loop or an if")
                for field in ("body", "orelse"):
                    sub = getattr(s, field, None)
                    if isinstance(sub, list):
                        visit(sub, depth + isinstance(s, (gast.For, gast.While)))
        visit(loop.body, 0)

    def cut(self, stmt, loop, budget) -> list:
        """The statements replacing ``stmt`` (the with block, or the loop itself)."""
        if loop.orelse:
            raise self.err("else clause on a checkpointed loop", loop)
        self.refuse_jumps(loop)
        self.count += 1
        k = self.count
        line = {"lineno": stmt.lineno, "col_offset": stmt.col_offset}
        pre: list = []
        seqs: list[str] = []
        head: list = []
        kname = f"_ckk{k}"
        if isinstance(loop, gast.For):
            head, seq_exprs = self.iteration(loop, kname, k)
            for i, e in enumerate(seq_exprs):
                nm = f"_ckseq{k}_{i}" if len(seq_exprs) > 1 else f"_ckseq{k}"
                seqs.append(nm)
                pre.append(gast.Assign(targets=[store(nm)], value=e, type_comment=None, **line))
        body_reads = _reads_of(_module(head + loop.body))
        written = _store_names(_module(head + loop.body))
        exposed, _ = _exposed(head + loop.body, set(seqs) | {kname})
        if isinstance(loop, gast.While):
            body_reads |= _load_names(loop.test)
            exposed |= _load_names(loop.test)
        outside = _reads_of(_module(self._without(stmt)))
        state = sorted((written & (exposed | outside)) & (self.locals | written)
                       - set(seqs) - {kname})
        invariants = sorted((body_reads & self.locals) - written - set(seqs) - {kname})
        self.refuse_writes(loop, state, invariants)
        must, may = _entry(self.fdef.body, stmt, set(self.params), set(self.params))
        init = []
        for n in state:
            if n in must:
                init.append(load(n))
            elif n in may:
                raise self.err(f"{n!r} may or may not be set when the checkpointed loop "
                               "starts", stmt, f"give {n!r} a value before the loop")
            else:
                init.append(const(None))    # first set inside the loop
        name = f"{self.fdef.name}_loop{k}"
        step, cond = self.step_functions(name, loop, head, kname, seqs, state, invariants)
        obj = CheckpointedLoop(name, "for" if isinstance(loop, gast.For) else "while",
                               step, cond, seqs, state, invariants, budget)
        self.res.extra[name] = obj
        args = [load(s) for s in seqs] + init + [load(n) for n in invariants]
        target = gast.Tuple(elts=[store(n) for n in state], ctx=gast.Store())
        pre.append(gast.Assign(targets=[target], value=call(name, args), type_comment=None,
                               **line))
        return pre

    def _without(self, stmt) -> list:
        """The function body with ``stmt`` left out (for what code outside it reads)."""
        def strip(stmts):
            out = []
            for s in stmts:
                if s is stmt:
                    continue
                if _contains(s, stmt):
                    s = clone(s)
                    for field in ("body", "orelse"):
                        if isinstance(getattr(s, field, None), list):
                            setattr(s, field, strip(getattr(s, field)))
                out.append(s)
            return out
        return strip(self.fdef.body)

    def iteration(self, loop, kname, k):
        """(statements binding the loop target from index ``kname``, sequence expressions)."""
        it = loop.iter
        fn = self.res.expr(it.func) if isinstance(it, gast.Call) else MISSING
        line = {"lineno": loop.lineno, "col_offset": loop.col_offset}

        def item(i, n):
            nm = f"_ckseq{k}_{i}" if n > 1 else f"_ckseq{k}"
            return gast.Subscript(value=load(nm), slice=load(kname), ctx=gast.Load())
        if fn is builtins.enumerate:
            if len(it.args) not in (1, 2) or it.keywords:
                raise self.err("enumerate takes a sequence and a start here", it)
            start = it.args[1] if len(it.args) == 2 else const(0)
            if not isinstance(start, gast.Constant):
                raise self.err("enumerate in a checkpointed loop takes a literal start", it)
            index = gast.BinOp(left=load(kname), op=gast.Add(), right=const(start.value))
            value = gast.Tuple(elts=[index, item(0, 1)], ctx=gast.Load())
            seqs = [it.args[0]]
        elif fn is builtins.zip:
            if it.keywords or not it.args:
                raise self.err("zip takes sequences here", it)
            value = gast.Tuple(elts=[item(i, len(it.args)) for i in range(len(it.args))],
                               ctx=gast.Load())
            seqs = list(it.args)
        else:
            value = item(0, 1)
            seqs = [it]
        head = [gast.Assign(targets=[loop.target], value=value, type_comment=None, **line)]
        return head, seqs

    def refuse_writes(self, loop, state, invariants):
        outer = set(state) | set(invariants)
        for s in gast.walk(_module(loop.body)):
            base = None
            if isinstance(s, (gast.Assign, gast.AugAssign)):
                for t in (s.targets if isinstance(s, gast.Assign) else [s.target]):
                    if isinstance(t, gast.Subscript) and isinstance(t.value, gast.Name):
                        base = t.value.id
            elif isinstance(s, gast.Call) and isinstance(s.func, gast.Attribute) and \
                    s.func.attr == "append" and isinstance(s.func.value, gast.Name):
                base = s.func.value.id
            if base in outer:
                raise self.err(f"a checkpointed loop writes into {base!r}, made outside it "
                               "(every kept state would need its own copy)", s,
                               "build it after the loop, or keep this loop unchecked")

    def step_functions(self, name, loop, head, kname, seqs, state, invariants):
        lead = [kname] + seqs if isinstance(loop, gast.For) else []
        ret = gast.Return(value=gast.Tuple(elts=[load(n) for n in state], ctx=gast.Load()))
        last = loop.body[-1]
        ret.lineno = getattr(last, "end_lineno", None) or last.lineno
        ret.col_offset = loop.col_offset
        step = self.function(name + "_step", lead + state + invariants,
                             clone(head) + clone(loop.body) + [ret], loop)
        cond = None
        if isinstance(loop, gast.While):
            test = gast.Return(value=clone(loop.test))
            test.lineno, test.col_offset = loop.lineno, loop.col_offset
            cond = self.function(name + "_cond", state + invariants, [test], loop)
        return step, cond

    def function(self, name, params, body, loop):
        """A live function for ``body`` whose parsed source is this tree (see source)."""
        args = gast.arguments(args=[gast.Name(id=p, ctx=gast.Param(), annotation=None,
                                              type_comment=None) for p in params],
                              posonlyargs=[], vararg=None, kwonlyargs=[], kw_defaults=[],
                              kwarg=None, defaults=[])
        fdef = gast.FunctionDef(name=name, args=args, body=body, decorator_list=[],
                                returns=None, type_comment=None, type_params=[])
        fdef.lineno, fdef.col_offset = loop.lineno, loop.col_offset
        fn = self.src.fn
        free = [v for v in fn.__code__.co_freevars if v not in params]
        from .emit import to_source
        text = to_source(_module([clone(fdef)]))
        if free:
            inner = "".join("    " + ln for ln in text.splitlines(True))
            text = f"def _s2s_cells({', '.join(free)}):\n{inner}    return {name}\n"
        scope: dict = {}
        code = compile(text, f"<s2sgrad checkpoint {name} #{next(_serial)}>", "exec")
        exec(code, fn.__globals__, scope)  # noqa: S102  (the step is generated code)
        live = scope[name]
        if free:
            cells = dict(zip(fn.__code__.co_freevars, fn.__closure__))
            try:
                live = scope["_s2s_cells"](*(cells[v].cell_contents for v in free))
            except ValueError:
                raise self.err("a closure variable the loop reads is not set yet",
                               loop) from None
        live.__qualname__ = f"{fn.__qualname__}.<{name}>"
        live.__module__ = fn.__module__
        live.__s2sgrad_source__ = Source(live, fdef, self.src.filename, self.src.lines,
                                         self.src.indent)
        return live


def extract(src: Source, res: Resolver, default=None) -> None:
    """Replace each checkpointed loop of ``src.fdef`` by a call (bound in ``res.extra``).

    ``default`` (the ``checkpoint`` option: True or a snapshot budget) marks every
    outermost loop; with None only ``with checkpoint():`` blocks are cut.
    """
    if default is not None and default is not True and (
            type(default) is not int or default < 1):
        raise TransformError(f"checkpoint option must be True or a positive int, "
                             f"got {default!r}")
    c = _Cutter(src, res, default)
    src.fdef.body = c.block(src.fdef.body, False)
    if c.count:
        res.locals |= _store_names(src.fdef)
