"""The adjoint sweep: rule templates instantiated in reverse statement order.

Takes: the instrumented three-address body, its ``Activity`` and a ``Namer``.
Gives: the adjoint function's body and the set of primal names it reads
(``needed``: what the forward sweep must save or restore).
Invariant (the restore model): when the adjoint of a statement runs, every
primal name holds the value it had just after that statement ran forward, so a
template reads operands and ``out`` directly; after it, an overwritten name is
restored from the stack (marker ``_restore``, resolved once ``needed`` is known).
Adjoint names carry a static state: absent (zero, never read), ``S`` (set) or
``M`` (maybe: holds None for zero); ``owned`` adjoints may be added to in place.
"""
from __future__ import annotations

import gast

from ..rules import lookup
from ..rules.indexing import getitem, written
from . import support
from .analysis import bind_rule_args, bind_user_args
from .nodes import assign, attr, call, const, if_, is_atom, load
from .templates import instantiate

__all__ = ["COMMENT", "Reverser", "State"]

COMMENT = "__s2s_comment__ "    # a string statement the emitter prints as a comment


class State:
    __slots__ = ("m", "owned")

    def __init__(self, m=None, owned=None):
        self.m = dict(m or {})
        self.owned = set(owned or ())

    def copy(self) -> State:
        return State(self.m, self.owned)

    def key(self):
        return tuple(sorted(self.m.items())), tuple(sorted(self.owned))


def _is(a, op, b):
    return gast.Compare(left=a, ops=[op], comparators=[b])


def merge(a: State, b: State):
    """The state after two paths join, and the ``bx = None`` each path must add."""
    out = State()
    fix_a, fix_b = [], []
    for n in sorted(set(a.m) | set(b.m)):
        x, y = a.m.get(n), b.m.get(n)
        if x == y:
            out.m[n] = x
        else:
            out.m[n] = "M"
            if x is None:
                fix_a.append(n)
            if y is None:
                fix_b.append(n)
    out.owned = a.owned & b.owned
    return out, [assign(n, const(None)) for n in fix_a], [assign(n, const(None)) for n in fix_b]


class Reverser:
    def __init__(self, nf, act, namer, src, callees, containers):
        self.nf, self.act, self.namer, self.src = nf, act, namer, src
        self.callees = callees          # id(stmt) -> (adj function name, tape name, params)
        self.containers = containers
        self.stable = set(nf.params) - act.overwritten
        self._last = None

    # -- adjoint state --------------------------------------------------------------------
    def b(self, var: str) -> str:
        return self.namer.adj(var)

    def accumulate(self, var: str, expr, st: State, out: list, operand=None):
        """``b<var> += expr`` in the cheapest form the state allows."""
        bn = self.b(var)
        s = st.m.get(bn)
        if s is None:
            out.append(assign(bn, expr))
            st.m[bn] = "S"
            st.owned.discard(bn)
        elif s == "S":
            if bn in st.owned:
                out.append(gast.AugAssign(target=gast.Name(id=bn, ctx=gast.Store(),
                                                           annotation=None, type_comment=None),
                                          op=gast.Add(), value=expr))
            else:
                out.append(assign(bn, gast.BinOp(left=load(bn), op=gast.Add(), right=expr)))
                st.owned.add(bn)
        else:
            out.append(assign(bn, gast.IfExp(test=_is(load(bn), gast.Is(), const(None)),
                                             body=expr, orelse=gast.BinOp(
                                                 left=load(bn), op=gast.Add(), right=expr))))
            st.m[bn] = "S"
            st.owned.discard(bn)

    def guarded(self, test, fn, st: State, out: list):
        """Run ``fn(state, code)`` under ``if test:``; merge with the path that skips it."""
        inner = st.copy()
        body: list = []
        fn(inner, body)
        if not body:
            return
        merged, fix_in, fix_skip = merge(inner, st)
        out.append(if_(test, body + fix_in, fix_skip))
        st.m, st.owned = merged.m, merged.owned

    def with_cotangent(self, var: str, st: State, out: list, fn):
        """Call ``fn(state, code, g)`` with var's adjoint, skipping it when it is zero."""
        bn = self.b(var)
        s = st.m.get(bn)
        if s is None:
            return
        if s == "S":
            fn(st, out, load(bn))
        else:
            self.guarded(_is(load(bn), gast.IsNot(), const(None)),
                         lambda st2, code: fn(st2, code, load(bn)), st, out)

    def reset(self, var: str, st: State):
        bn = self.b(var)
        st.m.pop(bn, None)
        st.owned.discard(bn)

    def add_grad(self, operand, expr, st, out, broadcast: bool, guard_none=False):
        """Accumulate ``expr`` into the adjoint of the atom ``operand`` (if it is active)."""
        if not self.act.is_active(operand):
            return
        var = operand.id
        if broadcast:
            if isinstance(expr, gast.Name) and expr.id.startswith("_g"):
                g = expr.id    # a template temporary: safe to rebind
            else:
                g = self.namer.tmp("g")
                out.append(assign(g, expr))
            np_ = self.namer.numpy_name()
            test = gast.Compare(left=call(attr(np_, "shape"), [load(g)]), ops=[gast.NotEq()],
                                comparators=[call(attr(np_, "shape"), [load(var)])])
            ub = self.namer.bind(support.unbroadcast, "unbroadcast")
            out.append(if_(test, [assign(g, call(ub, [load(g), load(var)]))]))
            expr = load(g)
        if guard_none:
            if not is_atom(expr):
                g = self.namer.tmp("g")
                out.append(assign(g, expr))
                expr = load(g)
            self.guarded(_is(expr, gast.IsNot(), const(None)),
                         lambda st2, code: self._acc(var, expr, st2, code), st, out)
        else:
            self._acc(var, expr, st, out)

    def _acc(self, var, expr, st, out):
        if var in self.containers:
            fn = self.namer.bind(support.acc_seq, "acc_seq")
            bn = self.b(var)
            cur = load(bn) if st.m.get(bn) else const(None)
            out.append(assign(bn, call(fn, [cur, expr])))
            st.m[bn] = "S"
            st.owned.add(bn)
        else:
            self.accumulate(var, expr, st, out)

    # -- statements ------------------------------------------------------------------------
    def block(self, body, st: State) -> list:
        out: list = []
        for s in reversed(body):
            self.stmt(s, st, out)
        return out

    def stmt(self, s, st: State, out: list):
        if isinstance(s, gast.If) and s.op == "if":
            a, b = st.copy(), st.copy()
            body = self.block(s.body, a)
            orelse = self.block(s.orelse, b)
            merged, fa, fb = merge(a, b)
            if body or orelse or fa or fb:
                body, orelse = body + fa, orelse + fb
                if not body:
                    body, orelse = orelse, []
                    test = gast.UnaryOp(op=gast.Not(), operand=load(s.test.id))
                else:
                    test = load(s.test.id)
                out.append(if_(test, body or [gast.Pass()], orelse))
            st.m, st.owned = merged.m, merged.owned
            return
        if isinstance(s, (gast.For, gast.While)):
            self.loop(s, st, out)
            return
        op = getattr(s, "op", None)
        if op in ("effect", "return", None):
            return
        start = len(out)
        getattr(self, "r_" + op)(s, st, out)
        if len(out) > start:
            self.comment(s, out, start)
        if not getattr(s, "norestore", False):
            out.append(_restore(s))

    def comment(self, s, out, at):
        """``# grad of: <source line>`` above the first adjoint of each source line."""
        line = self.src.line(s.lineno).strip()
        if not line or self._last == (id(out), s.lineno):
            return
        self._last = (id(out), s.lineno)
        out.insert(at, gast.Expr(value=const(COMMENT + "grad of: " + line)))

    def loop(self, s, st: State, out: list):
        # Fixpoint on the state at the top of the reversed body.
        entry = st.copy()
        for _ in range(8):
            trial = entry.copy()
            self.block(s.body, trial)
            nxt, _, _ = merge(st, trial)
            nxt.owned &= trial.owned
            if nxt.key() == entry.key():
                break
            entry = nxt
        pre = []
        for n in sorted(entry.m):
            if st.m.get(n) is None:
                var = self._primal_of(n)
                if var is not None and var in self.stable and var not in self.containers:
                    # A stable input: a zero buffer the loop adds into in place.
                    z = self.namer.bind(support.zeros_of, "zeros_of")
                    pre.append(assign(n, call(z, [load(var)])))
                    entry.m[n] = "S"
                    entry.owned.add(n)
                else:
                    pre.append(assign(n, const(None)))
        while True:
            inner = entry.copy()
            body = self.block(s.body, inner)
            if entry.owned <= inner.owned:
                break
            entry.owned &= inner.owned
        # A name the body leaves unset but the next iteration may read must be None.
        fix_end = [assign(n, const(None)) for n in sorted(entry.m) if inner.m.get(n) is None]
        body = body + fix_end
        out.extend(pre)
        trip = s.trip
        if isinstance(s, gast.For):
            rng = load(s.iter.id)
            if trip is not None:
                rng = gast.Subscript(value=rng, slice=gast.Slice(lower=None, upper=load(trip),
                                                                  step=None), ctx=gast.Load())
            head = gast.For(target=gast.Name(id=s.target.id, ctx=gast.Store(), annotation=None,
                                             type_comment=None),
                            iter=call("reversed", [rng]), body=body or [gast.Pass()],
                            orelse=[], type_comment=None)
        else:
            it = self.namer.tmp("i")
            head = gast.For(target=gast.Name(id=it, ctx=gast.Store(), annotation=None,
                                             type_comment=None),
                            iter=call("range", [load(trip)]), body=body or [gast.Pass()],
                            orelse=[], type_comment=None)
        st.m, st.owned = entry.m, entry.owned
        if body:
            out.append(head)
        if isinstance(s, gast.For):
            out.append(_restore(s, [s.target.id]))

    def _primal_of(self, bn):
        for k, v in self.namer.adjoints.items():
            if v == bn:
                return k
        return None

    def r_const(self, s, st, out):
        for t in _store_names(s):
            self.reset(t, st)

    def r_copy(self, s, st, out):
        t = s.targets[0].id
        a = s.args[0]
        if isinstance(a, gast.Name) and a.id == t:
            return

        def body(st2, code, g):
            self.add_grad(a, g, st2, code, False)
        if self.act.is_active(load(t)):
            self.with_cotangent(t, st, out, body)
        self.reset(t, st)

    def r_pack(self, s, st, out):
        t = s.targets[0].id
        if self.act.is_active(load(t)):
            keys = getattr(s, "keys", None) or [const(i) for i in range(len(s.args))]

            def body(st2, code, g):
                for k, a in zip(keys, s.args):
                    if self.act.is_active(a):
                        self.add_grad(a, gast.Subscript(value=g, slice=k, ctx=gast.Load()),
                                      st2, code, False, guard_none=True)
            self.with_cotangent(t, st, out, body)
        self.reset(t, st)

    def r_subscript(self, s, st, out):
        t = s.targets[0].id
        base = s.args[0]
        if self.act.is_active(load(t)) and self.act.is_active(base):
            if base.id in self.containers:
                def body(st2, code, g):
                    bn = self.b(base.id)
                    if st2.m.get(bn) is None:
                        ea = self.namer.bind(support.empty_adjoint, "empty_adjoint")
                        code.append(assign(bn, call(ea, [load(base.id)])))
                        st2.m[bn] = "S"
                    elif st2.m[bn] == "M":
                        ea = self.namer.bind(support.empty_adjoint, "empty_adjoint")
                        code.append(assign(bn, gast.IfExp(
                            test=_is(load(bn), gast.Is(), const(None)),
                            body=call(ea, [load(base.id)]), orelse=load(bn))))
                        st2.m[bn] = "S"
                    addf = self.namer.bind(support.add, "add")
                    sub = gast.Subscript(value=load(bn), slice=s.args[1], ctx=gast.Store())
                    cur = gast.Subscript(value=load(bn), slice=s.args[1], ctx=gast.Load())
                    code.append(gast.Assign(targets=[sub], value=call(addf, [cur, g]),
                                            type_comment=None))
                self.with_cotangent(t, st, out, body)
            else:
                self.prim(s, getitem, {"x": base, "index": s.args[1]}, st, out)
        self.reset(t, st)

    def r_call(self, s, st, out):
        kind = self.act.kinds[id(s)]
        tg = _store_names(s)
        t = tg[0]
        if self.act.is_active(load(t)):
            if kind == "prim":
                rule = lookup(s.callee)
                self.prim(s, s.callee, bind_rule_args(rule, s), st, out)
            elif kind == "user":
                self.user(s, st, out)
            elif kind == "opaque" and any(self.act.is_active(a) for a in list(s.args) + list(
                    s.kwargs.values())):
                what = f".{s.method}()" if getattr(s, "method", None) else repr(
                    getattr(s.callee, "__name__", s.callee))
                raise self.src.error(
                    f"no gradient rule for {what}, and it has no Python source to transform",
                    s, "register one: @s2sgrad.rule(fn) def fn_adjoint(g, out, x): ..."
                       if s.callee is not None else "call a NumPy function instead")
        for n in tg:
            self.reset(n, st)

    def prim(self, s, callee, bound, st, out):
        rule = lookup(callee)
        t = _store_names(s)[0]
        want = [w for w in rule.wrt if w in bound and self.act.is_active(bound[w])]
        if not want:
            return

        def body(st2, code, g):
            if t in self.containers:
                fill = self.namer.bind(support.fill, "fill")
                g = call(fill, [g, load(t)])
            stmts, grads = instantiate(rule, bound, g, load(t), want, self.namer)
            code.extend(stmts)
            for w in want:
                a = bound[w]
                if isinstance(a, gast.Tuple):
                    # A ``*operands`` parameter: one gradient per operand, in order.
                    for k, e in enumerate(a.elts):
                        self.add_grad(e, gast.Subscript(value=grads[w], slice=const(k),
                                                        ctx=gast.Load()),
                                      st2, code, rule.broadcast, guard_none=True)
                    continue
                self.add_grad(a, grads[w], st2, code,
                              rule.broadcast and _may_stretch(rule, bound, w)
                              and a.id not in self.containers)
        self.with_cotangent(t, st, out, body)

    def user(self, s, st, out):
        adj_name, tape, params = self.callees[id(s)]
        t = _store_names(s)[0]
        bound = bind_user_args(s.callee, s)

        def body(st2, code, g):
            gs = self.namer.tmp("gs")
            code.append(assign(gs, call(adj_name, [load(tape), g])))
            for i, p in enumerate(params):
                self.add_grad(bound[p], gast.Subscript(value=load(gs), slice=const(i),
                                                        ctx=gast.Load()),
                              st2, code, False, guard_none=True)
        self.with_cotangent(t, st, out, body)

    def r_setitem(self, s, st, out):
        x, idx, v = s.args
        if self.act.is_active(x):
            bn = self.b(x.id)

            def body(st2, code, g):
                if x.id in self.containers:
                    gv = self.namer.tmp("g")
                    code.append(assign(gv, gast.Subscript(value=g, slice=idx, ctx=gast.Load())))
                    code.append(gast.Assign(targets=[gast.Subscript(
                        value=load(bn), slice=idx, ctx=gast.Store())], value=const(None),
                        type_comment=None))
                    self.add_grad(v, load(gv), st2, code, False, guard_none=True)
                    return
                owned = bn in st2.owned
                if self.act.is_active(v):
                    gv = self.namer.tmp("g")
                    # written(g, idx) is g[idx], crediting only the surviving write of a
                    # position a fancy index repeats.
                    val = call(load(self.namer.bind(written, "written")), [g, idx])
                    code.append(assign(gv, call(attr(val, "copy"), []) if owned else val))
                    self.add_grad(v, load(gv), st2, code, True)
                if not owned:
                    code.append(assign(bn, call(attr(load(bn), "copy"), [])))
                    st2.owned.add(bn)
                code.append(gast.Assign(targets=[gast.Subscript(
                    value=load(bn), slice=idx, ctx=gast.Store())], value=const(0),
                    type_comment=None))
            self.with_cotangent(x.id, st, out, body)

    def r_append(self, s, st, out):
        lst, v = s.args
        bn = self.b(lst.id)
        if self.act.is_active(lst) and st.m.get(bn):
            def body(st2, code, g):
                gv = self.namer.tmp("g")
                code.append(assign(gv, call(attr(load(bn), "pop"), [])))
                self.add_grad(v, load(gv), st2, code, False, guard_none=True)
            self.with_cotangent(lst.id, st, out, body)


def _may_stretch(rule, bound, w) -> bool:
    """Whether ``w``'s gradient can have another shape than ``w`` (needs unbroadcast).

    When every given operand is differentiable (an elementwise op) and the others
    are the same name or number literals, the output has ``w``'s shape exactly.
    """
    others = [bound[o] for o in bound if o != w]
    if not others or any(o not in rule.wrt for o in bound):
        return True
    a = bound[w]
    return any(not (isinstance(o, gast.Constant) and type(o.value) in (int, float, bool))
               and not (isinstance(o, gast.Name) and o.id == a.id) for o in others)


def _store_names(s) -> list[str]:
    if isinstance(s, gast.Assign):
        return [n.id for t in s.targets for n in gast.walk(t)
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)]
    return []


def _restore(s, names=None):
    """Marker: restore what statement ``s`` overwrote (resolved after ``needed`` is known)."""
    m = gast.Expr(value=const(None))
    m.restore = s
    m.names = names if names is not None else _store_names(s) + list(
        getattr(s, "extra_targets", []))
    return m

