"""The compiler as a flat list of passes, from a function to its compiled adjoint.

Takes: a Python function and a mask saying which parameters are differentiated.
Gives: a ``Compiled``: ``primal`` (the function, lowered to NumPy), ``fwd``
(returns ``(value, tape)``), ``adj`` (``adj(tape, cotangent)`` -> one gradient
per differentiated parameter, None for none), the generated ``source`` and the
``guards`` under which it stays valid.

    parse      source.parse_function     text -> gast FunctionDef
    fence      fence.check               refuse unsupported syntax early
    resolve    resolve.Resolver          names -> objects (+ guards)
    checkpoint checkpoint.extract        marked loops -> calls of CheckpointedLoop
    normalize  normalize.normalize       three-address form, structured control
    captures   captures.capture          Tensors read from outside -> hidden inputs
    instrument forward.instrument        trip counters for loops
    analyse    analysis.analyse          activity, overwrites
    reverse    reverse.Reverser          adjoint sweep, reads -> ``needed``
    forward    forward.Forward           primal sweep with saves
    optimize   optimize.dead_code        drop what nothing reads
    emit       emit.to_source            text
    codegen    codegen.compile_functions live functions with a linecache entry

Invariant: results are cached per (function, mask, options, classes of user-object
arguments) and reused only while the guards hold, so a redefined callee, a rebound
global or a new argument class is never run from a stale compilation.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable
import dataclasses
from dataclasses import dataclass

import gast

from . import analysis, captures, codegen, fence, normalize, optimize, support
from ..rules.helpers import expand_reduced
from .calls import Packed, unpack_source
from .checkpoint import extract
from .emit import to_source
from .errors import TransformError
from .forward import Forward, instrument, pushes
from .inline import bind_imports
from .names import Namer
from .nodes import assign, attr, call, const, load, store, tuple_
from .resolve import Guards, Resolver
from .reverse import Reverser, State, _store_names
from .revolve import CheckpointedLoop
from .source import parse_function

__all__ = ["Compiled", "clear_cache", "compile_function"]


@dataclass
class Compiled:
    fn: Callable
    params: list[str]
    diff: list[str]
    primal: Callable
    fwd: Callable | None
    adj: Callable | None
    source: str
    guards: Guards
    # The adjoint undoes writes (x[i] = v, xs.append) in the tape's own arrays, so a
    # tape can be reversed once; a second reversal must start from a fresh forward sweep.
    consumes_tape: bool = False
    # Tensors read from outside, hidden keyword-only parameters after ``params``' own
    # (``hidden=True`` only); ``api`` passes their arrays and differentiates them.
    captures: list = dataclasses.field(default_factory=list)


_CACHE: dict[tuple, Compiled] = {}
_ACTIVE: list = []


def clear_cache() -> None:
    _CACHE.clear()


def compile_function(fn: Callable, mask: tuple[bool, ...], checkpoint=None, hidden=False,
                     spec: tuple | None = None) -> Compiled:
    """The compiled form of ``fn`` differentiated where ``mask`` is True (cached).

    ``checkpoint`` (True or a snapshot budget) checkpoints every outermost loop of ``fn``.
    ``hidden``: Tensors ``fn`` reads from outside become hidden parameters (the API's
    own function; ``mask`` may cover them after ``fn``'s parameters), else constants.
    ``spec``: per parameter, the user class its argument has (or None): methods of it
    are compiled, and another class is another compilation.
    """
    # True == 1 as a dict key, so the option is keyed by its spelling.
    key = (fn, mask, None if checkpoint is None else repr(checkpoint), hidden, spec)
    hit = _CACHE.get(key)
    if hit is not None and hit.guards.hold():
        return hit
    if isinstance(fn, CheckpointedLoop):
        c = _CACHE[key] = fn.compile(mask)
        return c
    base = fn.fn if isinstance(fn, Packed) else fn
    if base in _ACTIVE:
        src = parse_function(base)
        raise src.error(f"recursion: {base.__name__!r} calls itself", src.fdef,
                        "write the recursion as a loop")
    _ACTIVE.append(base)
    try:
        c = _compile(fn, mask, checkpoint, hidden, spec)
    finally:
        _ACTIVE.remove(base)
    _CACHE[key] = c
    return c


def _all_names(fdef) -> set[str]:
    return {n.id for n in gast.walk(fdef) if isinstance(n, gast.Name)}


def _compile(fn: Callable, mask: tuple[bool, ...], checkpoint=None, hidden=False,
             spec=None) -> Compiled:
    packed_params: set = set()
    if isinstance(fn, Packed):
        # ``*args``/``**kwargs`` of a callee arrive as one tuple and one dict.
        src = parse_function(fn.fn)                                   # parse
        packed_params = unpack_source(src.fdef, fn)
        fn = fn.fn
    else:
        src = parse_function(fn)                                      # parse
    fence.check(src)                                                  # fence
    locals_ = normalize.local_names(src.fdef)
    resolver = Resolver(fn, locals_)                                  # resolve
    bind_imports(src, resolver)
    extract(src, resolver, checkpoint)                                # checkpoint
    locals_ = resolver.locals
    a = src.fdef.args
    names = [p.id for p in a.posonlyargs + a.args + a.kwonlyargs]
    classes = {p: c for p, c in zip(names, spec or ()) if c is not None}
    nf = normalize.normalize(src, resolver, packed_params, classes)   # normalize
    caps = captures.capture(nf, resolver, src, hidden, src.fdef)      # captures
    params = nf.params
    diff = [p for p, m in zip(params, mask) if m]
    # Temporaries of normalize and of the namer share one counter, so they never clash.
    used = _all_names(src.fdef) | set(params)
    namer = Namer(used, fn.__globals__, locals_)
    guards = Guards()
    guards.extend(resolver.guards)
    hidden_names = {c.name for c in caps}
    for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
        # Closure variables are read through the factory, so they are bound (and guarded).
        if name in hidden_names:
            guards.cells.append((cell, cell.cell_contents))
            continue
        try:
            namer.bindings[name] = cell.cell_contents
            guards.cells.append((cell, cell.cell_contents))
        except ValueError:
            pass
    for name, obj in nf.imports.items():
        namer.bindings[name] = obj      # an import inside the function binds like a global
    namer.n = nf.n_temps
    body = instrument(nf.body, namer)                                 # instrument
    act = analysis.analyse(nf.__class__(nf.name, params, body), diff)  # analyse
    primals, callees, adj_info = {}, {}, {}
    consumes = False        # does reversing the tape change it (here or in a callee)?
    top = {id(s) for s in body}
    for s, _ in analysis.walk_stmts(body):
        if getattr(s, "op", None) != "call" or act.kinds.get(id(s)) != "user":
            continue
        callee = s.callee
        target = _store_names(s)[0]
        bound = analysis.bind_user_args(callee, s)
        sub_params = list(inspect.signature(callee).parameters)
        cmask = tuple(any(n in act.active for n in analysis.operand_names(bound.get(p)))
                      for p in sub_params)
        cspec = _callee_spec(s, bound, sub_params, nf.classes)
        if diff and act.is_active(load(target)) and any(cmask):
            sub = compile_function(callee, cmask, spec=cspec)
            guards.extend(sub.guards)
            consumes = consumes or sub.consumes_tape
            f = namer.bind(sub.fwd, callee.__name__ + "_fwd")
            a = namer.bind(sub.adj, callee.__name__ + "_adj")
            tape = namer.tmp("tape")
            s.extra_targets = [tape]
            # The tape is a value like any other: saved once, or pushed when overwritten.
            if id(s) in top:
                act.top_first[tape] = s
            else:
                act.overwritten.add(tape)
            callees[id(s)] = (f, a, tape)
            adj_info[id(s)] = (a, tape, sub.diff)
        try:
            sub0 = compile_function(callee, (False,) * len(sub_params), spec=cspec)
            guards.extend(sub0.guards)
            primals[id(s)] = namer.bind(sub0.primal, callee.__name__)
        except TransformError:
            pass  # not differentiated here: the function itself runs
    fdef = src.fdef
    defs = {}
    adj_src_body: list = []
    needed: set = set()
    if diff:
        rev = Reverser(nf, act, namer, src, adj_info, nf.containers)  # reverse
        st = State()
        ret = body[-1].value
        head = []
        if act.is_active(ret):
            bn = namer.adj(ret.id)
            if ret.id in nf.containers:
                head.append(assign(bn, call("list", [load("_bout")])))
                st.owned.add(bn)
            else:
                head.append(assign(bn, load("_bout")))
            st.m[bn] = "S"
        code = rev.block(body, st)
        primal_names = set(locals_) | set(params) | {n for s, _ in analysis.walk_stmts(body)
                                       for n in _store_names(s)} | {
            t for v in callees.values() for t in v[2:]}
        for s, _ in analysis.walk_stmts(body):
            if hasattr(s, "trip") and s.trip:
                primal_names.add(s.trip)
        code = optimize.fold_constants(code)                          # optimize
        code_reads = _reads(code)
        needed = code_reads & primal_names
        stack = namer.fresh("_stack")
        popped: list = []
        restored: set = set()
        code = _resolve_markers(code, act, needed, stack, popped, restored, namer,
                                nf.containers)
        consumes = consumes or bool(restored)
        results = [load(namer.adj(p)) if st.m.get(namer.adj(p)) else const(None) for p in diff]
        code = optimize.dead_code(head + code, _reads(results))
        code = optimize.propagate_copies(code)
        code = optimize.common_subexpressions(code)
        if id(expand_reduced) in namer.by_obj:
            code = optimize.broadcast_views(code, namer.by_obj[id(expand_reduced)],
                                            namer.bind(support.spread, "spread"))
        uses_stack = _POPPED in popped
        keep = [store(stack)] if uses_stack else []
        unpack = [assign(tuple_([store(n) for n in sorted(needed)] + keep, gast.Store()),
                         load("_tape"))]
        if uses_stack:
            # Pops work on a copy, so the same tape can be reversed again (a second pullback).
            unpack.append(assign(stack, call(attr(stack, "copy"), [])))
        adj_src_body = unpack + code + [gast.Return(value=tuple_(results))]
        fw = Forward(act, needed, namer, callees, primals, nf.containers)  # forward
        fw.stack = stack if uses_stack else None
        fw.meta = _metadata_only(code, needed, namer)
        init = [assign(stack, gast.List(elts=[], ctx=gast.Load()))] if uses_stack else []
        init += [assign(n, const(None)) for n in sorted(needed)
                 if n not in params and n not in act.top_first]
        fwd_body = init + fw.block(body)
        defs["fwd"] = _def(fdef, fdef.name + "_fwd", fwd_body)
        defs["adj"] = _def(fdef, fdef.name + "_adj", adj_src_body, ["_tape", "_bout"])
    pw = Forward(act, set(), namer, {}, primals, nf.containers)
    pw.saving = False
    defs["primal"] = _def(fdef, fdef.name, pw.block(nf.body))
    defaults = _bind_defaults(fdef, fn, namer)
    for key in ("primal", "fwd"):
        if key in defs:
            defs[key].args = defaults
    mod = gast.Module(body=[defs[k] for k in ("primal", "fwd", "adj") if k in defs],
                      type_ignores=[])
    text = to_source(mod)                                             # emit
    names = [d.name for d in mod.body]
    fns = codegen.compile_functions(text, names, namer.bindings, fn.__globals__,
                                    f"{fn.__module__}.{fn.__qualname__}")  # codegen
    return Compiled(fn, params, diff, fns[fdef.name], fns.get(fdef.name + "_fwd"),
                    fns.get(fdef.name + "_adj"), text, guards, consumes, caps)


def _callee_spec(s, bound: dict, sub_params: list, classes: dict) -> tuple | None:
    """The classes a callee's parameters are known to hold (its receiver, for a method)."""
    out = []
    for i, p in enumerate(sub_params):
        v = bound.get(p)
        if i == 0 and getattr(s, "recv_class", None) is not None:
            out.append(s.recv_class)
        elif isinstance(v, gast.Name) and v.id in classes:
            out.append(classes[v.id])
        else:
            out.append(None)
    return tuple(out) if any(c is not None for c in out) else None


def _reads(node) -> set:
    nodes = node if isinstance(node, list) else [node]
    return {n.id for x in nodes for n in gast.walk(x) if isinstance(n, gast.Name)
            and isinstance(n.ctx, gast.Load)}


def _def(fdef, name, body, params=None) -> gast.FunctionDef:
    args = gast.arguments(args=[gast.Name(id=p, ctx=gast.Param(), annotation=None,
                                          type_comment=None) for p in (params or [])],
                          posonlyargs=[], vararg=None, kwonlyargs=[], kw_defaults=[],
                          kwarg=None, defaults=[])
    return gast.FunctionDef(name=name, args=args, body=body or [gast.Pass()],
                            decorator_list=[], returns=None, type_comment=None,
                            type_params=[])


def _bind_defaults(fdef, fn, namer) -> gast.arguments:
    """The user's parameter list, defaults referring to the values ``fn`` holds."""
    a = fdef.args
    defaults = [_default(v, namer) for v in (fn.__defaults__ or ())]
    kwd = fn.__kwdefaults__ or {}
    kw_defaults = [_default(kwd[k.id], namer) if k.id in kwd else None for k in a.kwonlyargs]

    def plain(ns):
        return [gast.Name(id=n.id, ctx=gast.Param(), annotation=None, type_comment=None)
                for n in ns]
    return gast.arguments(args=plain(a.args), posonlyargs=plain(a.posonlyargs), vararg=None,
                          kwonlyargs=plain(a.kwonlyargs), kw_defaults=kw_defaults, kwarg=None,
                          defaults=defaults)


def _default(v, namer):
    from .templates import value_expr
    if captures.is_tensor(v):
        raise TransformError(f"a default parameter value is the Tensor {v!r}, whose gradient "
                             "could not flow", hint="pass it as an argument")
    return value_expr(v, namer)


_POPPED = "popped"


def _resolve_markers(code: list, act, needed: set, stack: str, popped: list,
                     restored: set, namer, containers: set) -> list:
    """Turn restore markers into pops (or nothing), recursively; note any pop in ``popped``
    and every array or list a restore writes into in ``restored``."""
    out = []
    for s in code:
        if isinstance(s, gast.Expr) and hasattr(s, "restore"):
            stmt = s.restore
            pop = call(attr(stack, "pop"), [])
            if getattr(stmt, "op", None) == "setitem":
                x = stmt.args[0].id
                if x in needed:
                    popped.append(_POPPED)
                    restored.add(x)
                    if x in containers:     # a dict key the write added is removed again
                        out.append(gast.Expr(value=call(namer.bind(support.put_back,
                                                                   "put_back"),
                                                        [load(x), stmt.targets[0].slice, pop])))
                    else:
                        out.append(gast.Assign(targets=[gast.Subscript(
                            value=load(x), slice=stmt.targets[0].slice, ctx=gast.Store())],
                            value=pop, type_comment=None))
                continue
            if getattr(stmt, "op", None) == "append":
                x = stmt.args[0].id
                if x in needed:
                    restored.add(x)
                    out.append(gast.Expr(value=call(attr(x, "pop"), [])))
                continue
            for n in reversed(s.names):     # pushed in order, so popped in reverse
                if pushes(act, needed, stmt, n):
                    popped.append(_POPPED)
                    out.append(assign(n, pop))
            continue
        for field in ("body", "orelse"):
            if isinstance(getattr(s, field, None), list):
                setattr(s, field, _resolve_markers(getattr(s, field), act, needed, stack, popped,
                                                   restored, namer, containers)
                        or ([gast.Pass()] if field == "body" else []))
        out.append(s)
    return out


_META_ATTRS = frozenset({"shape", "dtype", "ndim", "size"})


def _metadata_only(code: list, needed: set, namer) -> set:
    """Needed names the adjoint reads only for shape/dtype/size (saved as metadata)."""
    from . import support
    np_name = namer.by_obj.get(id(__import__("numpy")))
    ub = namer.by_obj.get(id(support.unbroadcast))
    full: set = set()

    def visit(node, parent):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load) and node.id in needed:
            ok = (isinstance(parent, gast.Attribute) and parent.attr in _META_ATTRS) or (
                isinstance(parent, gast.Call) and node in parent.args and (
                    (isinstance(parent.func, gast.Attribute) and parent.func.attr in (
                        "shape", "size", "ndim") and isinstance(parent.func.value, gast.Name)
                     and parent.func.value.id == np_name)
                    or (isinstance(parent.func, gast.Name) and parent.func.id == ub
                        and parent.args.index(node) == 1)))
            if not ok:
                full.add(node.id)
        for child in gast.iter_child_nodes(node):
            visit(child, node)
    for s in code:
        visit(s, None)
    return needed - full
