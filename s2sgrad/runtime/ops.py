"""Eager operations: run a primal, record one graph node driven by its rule.

Takes: a primal callable with a rule in the table and its arguments (Tensors,
arrays, Python values, or lists of Tensors for sequence parameters).
Gives: ``apply`` (one op; a tuple or list result gives one Tensor per output),
``apply_inplace`` (the same op written into its first argument), ``apply_custom``
(a compiled function as ONE node), and ``SPECS``: for each node's backward, the
rule and mask a create_graph backward reruns on Tensors.
Invariant: a node is recorded only when grad mode is on and some differentiable
argument requires grad; it keeps only the arrays its specialised adjoint reads.
"""
from __future__ import annotations

import inspect
import weakref

import numpy as np

from ..rules import lookup
from ..rules.registry import RULES as _RULES
from ..rules.helpers import ArrayMeta
from . import grad_mode
from .graph import AccumulateGrad, node_class
from .tensor import Tensor

__all__ = ["apply", "apply_inplace", "apply_custom", "edge_of", "unwrap"]

_F64 = np.dtype(np.float64)
_weakref = weakref.ref
_new = object.__new__
_wrap = Tensor._wrap


def accumulator(t: Tensor) -> AccumulateGrad:
    """The leaf's AccumulateGrad, made when first needed.

    As in PyTorch the leaf holds it weakly, so a leaf and its accumulator do not
    form a cycle that keeps both (and the gradient) alive until the garbage
    collector runs; the graph's edges keep it alive while they exist. A leaf with
    hooks pins its accumulator, so the hooks outlive any one graph.
    """
    acc = t._accum
    if acc is not None:
        if type(acc) is not AccumulateGrad:
            acc = acc()
        if acc is not None:
            return acc
    acc = AccumulateGrad(t)
    t._accum = _weakref(acc)
    return acc


def edge_of(t: Tensor):
    """The graph edge a gradient for ``t`` flows into: its grad_fn, or its accumulator."""
    fn = t.grad_fn
    if fn is not None:
        return (fn, t._output_nr, t._data.shape, t._data.dtype)
    return (accumulator(t), 0, t._data.shape, t._data.dtype)


def unwrap(a):
    if isinstance(a, Tensor):
        return a._data
    if isinstance(a, (list, tuple)) and a and any(isinstance(x, Tensor) for x in a):
        return [x._data if isinstance(x, Tensor) else x for x in a]
    return a


def _saved_entry(t: Tensor):
    fn = t.grad_fn
    d = t._data
    return (t._vc, t._vc[0], d.dtype, d.shape, None if fn is None else type(fn))


def _promote(out, args):
    """PyTorch promotion: a float64 result from no float64 input becomes float32."""
    if type(out) is np.float32:         # a full reduction's scalar: nothing to promote
        return np.asarray(out)
    if isinstance(out, np.ndarray):
        if out.dtype == _F64 and not _has_f64(args):
            return out.astype(np.float32)
        return out
    out = np.asarray(out)
    if out.dtype == _F64 and not _has_f64(args):
        out = out.astype(np.float32)
    return out


def _has_f64(args) -> bool:
    for a in args:
        if isinstance(a, Tensor):
            if a._data.dtype == _F64:
                return True
        elif isinstance(a, np.ndarray):
            if a.dtype == _F64:
                return True
        elif isinstance(a, (list, tuple)) and _has_f64(a):
            return True
        elif isinstance(a, np.dtype) and a == _F64:
            return True                  # a cast asked for float64 (``x.double()``)
    return False


_PLAIN = frozenset({int, float, bool, np.ndarray, type(None), str})


def apply(primal, *args, name: str | None = None, **kwargs):
    """Run ``primal`` on the arrays inside ``args`` and record its node if needed."""
    arrays = []
    bits = 0                    # bit i: argument i requires grad
    i = 1
    for a in args:
        if isinstance(a, Tensor):
            arrays.append(a._data)
            if a._requires_grad:
                bits |= i
        elif type(a) in _PLAIN:
            arrays.append(a)
        else:
            arrays.append(unwrap(a))
            if _seq_requires_grad(a):
                bits |= i
        i <<= 1
    if kwargs:
        kwargs = _plain_kwargs(primal, kwargs)
    out = primal(*arrays, **kwargs)
    if type(out) is not np.ndarray or out.dtype is _F64 or out.dtype == _F64:
        if isinstance(out, (tuple, list)):
            # Several outputs (a list too: ``np.split``); a None output stays None.
            outs = tuple(None if o is None else _promote(o, args) for o in out)
            return _record_multi(primal, args, arrays, kwargs, outs, name)
        out = _promote(out, args)
    st = grad_mode._state
    res = _new(Tensor)              # Tensor._wrap, inlined
    res._data = out
    res._requires_grad = False
    res.grad_fn = None
    res._output_nr = 0
    res._grad = None
    res._vc = [0]
    res._accum = None
    res._is_view = False
    res._retains_grad = False
    res._inference = st.inference
    if bits and st.enabled:
        p = _CALLS.get((primal, bits, len(args), name))
        if p is None:
            p = _call_plan(primal, bits, args, name)
        if p:
            node = None if p[8] is None else p[8](args, arrays, kwargs, out, res)
            if node is None:
                node = _make_node_seq(p, p[9], args, arrays, kwargs, out, res, p[10], 1)
            res._requires_grad = True
            res.grad_fn = node
    return res


# The plan of a call, by (primal, bits of the arguments that require grad, arity, node
# name): ``apply`` finds it in one lookup. False: no differentiable argument requires grad.
_CALLS: dict = {}


def _call_plan(primal, bits, args, name):
    rule = _RULES.get(id(primal)) or lookup(primal)
    needed = _needed(rule, args)
    p = False if needed is None else _plan(rule, needed, len(args), name)
    _CALLS[(primal, bits, len(args), name)] = p
    return p


def _seq_requires_grad(a) -> bool:
    return (type(a) is list or type(a) is tuple) and any(
        isinstance(x, Tensor) and x._requires_grad for x in a)


def _plain_kwargs(primal, kwargs: dict) -> dict:
    """Keyword arguments with Tensors unwrapped; a Tensor that requires grad is refused
    (gradients flow only through positional arguments: never drop one in silence)."""
    if not any(isinstance(v, Tensor) for v in kwargs.values()):
        return kwargs
    for k, v in kwargs.items():
        if isinstance(v, Tensor) and v._requires_grad and grad_mode._state.enabled:
            raise TypeError(f"{getattr(primal, '__name__', primal)}: the Tensor argument "
                            f"'{k}' requires grad and must be passed positionally")
    return {k: v._data if isinstance(v, Tensor) else v for k, v in kwargs.items()}


_VARPOS: dict = {}


def _var_positional(rule) -> int:
    """Position of a differentiable var-positional parameter (``*operands``), or -1."""
    vp = _VARPOS.get(rule)
    if vp is None:
        vp = -1
        for name, p in inspect.signature(rule.adjoint).parameters.items():
            if p.kind is p.VAR_POSITIONAL and name in rule.wrt:
                vp = rule.params.index(name)
        _VARPOS[rule] = vp
    return vp


def _needed(rule, args):
    """Mask of the rule's wrt params that require grad, or None if none does."""
    wi = rule.wrt_index
    n = len(args)
    if wi and n > wi[-1] + 1:
        # Arguments past the last differentiable one: ``einsum(subscripts, *operands)``'s
        # operands are seen as one sequence (with one operand, nothing changes).
        vp = _VARPOS.get(rule)
        if vp is None:
            vp = _var_positional(rule)
        if vp >= 0:
            args = tuple(args[:vp]) + (list(args[vp:]),)
            n = len(args)
    mask = []
    anyreq = False
    for i in wi:
        req = False
        if i < n:
            a = args[i]
            if isinstance(a, Tensor):
                req = a._requires_grad
            elif type(a) is list or type(a) is tuple:
                req = any(isinstance(x, Tensor) and x._requires_grad for x in a)
            anyreq = anyreq or req
        mask.append(req)
    return tuple(mask) if anyreq else None


_PLANS: dict = {}
# How a create_graph backward reruns a node's backward on Tensors, by the node's ``fn``:
# (rule, mask, layout). A flattening or custom backward carries it as ``fn.spec``.
SPECS: dict = {}


def _plan(rule, needed, nargs, name=None):
    """What a node keeps of each argument, made once per (rule, mask, arity, name).

    Returns ``(fn, drop, meta, save, keep_out, vp, cls, wrt, record, rule, needed)``:
    the specialised adjoint; argument positions to drop, to keep as shape/dtype only,
    and to keep with a version check; ``keep_out`` is 0 (drop), 1 (metadata) or 2
    (value) for the output; ``vp`` is the position of a var-positional parameter
    (``_var_positional``); ``cls`` the node class; ``wrt`` the pairs (argument
    position, asked for); ``record`` the plan's recorder (``_recorder``; None when
    arguments are sequences); the rule and its mask. ``SPECS[fn]`` then tells a
    create_graph backward which adjoint to rerun on Tensors.
    """
    key = (rule, needed, nargs, name)
    p = _PLANS.get(key)
    if p is None:
        fn, reads, uses = rule.specialize(needed)
        params = rule.params[:nargs]
        vp = _var_positional(rule)
        if vp >= 0:
            # Every position from the var-positional parameter on is one of its values.
            params = rule.params[:vp] + (rule.params[vp],) * (nargs - vp)
        drop = tuple(i for i, q in enumerate(params) if q not in uses)
        meta = tuple(i for i, q in enumerate(params) if q in uses and q not in reads)
        save = tuple(i for i, q in enumerate(params) if q in reads)
        keep_out = 2 if "out" in reads else 1 if "out" in uses else 0
        cls = node_class(name or rule.name)
        wrt = tuple(zip(rule.wrt_index, needed))
        record = None
        if vp < 0 and nargs <= len(rule.params):
            record = _recorder(fn, nargs, drop, meta, save, keep_out, cls, wrt,
                               rule.broadcast)
        p = _PLANS[key] = (fn, drop, meta, save, keep_out, vp, cls, wrt, record, rule,
                           needed)
        SPECS[fn] = (rule, needed, None)
    return p


def _recorder(fn, nargs, drop, meta, save, keep_out, cls, wrt, broadcast):
    """A node recorder for one plan, written out as Python (no loops over the plan).

    ``record(args, arrays, kwargs, out, res)`` returns the node: an edge per
    differentiable argument, the arrays the adjoint reads (version-checked), shapes
    and dtypes of those it only measures. It returns None when a differentiable
    argument is a sequence of Tensors: ``_make_node_seq`` records that one.
    """
    lines = ["def record(args, arrays, kwargs, out, res):"]
    emit = lines.append
    edges = []
    tensors = set()                 # positions known to hold a Tensor requiring grad
    for i, need in wrt:
        if i >= nargs:
            edges.append("None")
            continue
        emit(f"    a{i} = args[{i}]")
        emit(f"    if type(a{i}) is list or type(a{i}) is tuple:\n        return None")
        if not need:
            edges.append("None")
            continue
        tensors.add(i)
        emit(f"    d{i} = a{i}._data\n    f{i} = a{i}.grad_fn")
        emit(f"    if f{i} is not None:")
        emit(f"        e{i} = (f{i}, a{i}._output_nr, d{i}.shape, d{i}.dtype)")
        emit(f"        f{i}.uses += 1")
        # A leaf's accumulator, as ``accumulator`` finds it (alive behind its weakref).
        emit(f"    else:\n        acc = a{i}._accum")
        emit("        if acc is not None and type(acc) is not AccumulateGrad:\n"
             "            acc = acc()")
        emit(f"        if acc is None:\n            acc = accumulator(a{i})")
        emit(f"        e{i} = (acc, 0, d{i}.shape, d{i}.dtype)")
        edges.append(f"e{i}")
    kept = []
    for i in range(nargs):
        if i in drop:
            kept.append("None")
        elif i in meta:
            kept.append(f"(ArrayMeta(arrays[{i}]) if type(arrays[{i}]) is ndarray "
                        f"else arrays[{i}])")
        else:
            kept.append(f"arrays[{i}]")
    # Version checks of the saved Tensors: static for those known to be Tensors.
    entries = [f"(a{i}._vc, a{i}._vc[0], d{i}.dtype, d{i}.shape, "
               f"None if f{i} is None else type(f{i}))" for i in save if i in tensors]
    emit(f"    saved = [{', '.join(entries)}]")
    emit(f"    keeps = {bool(entries) or keep_out == 2}")
    for i in save:
        if i in tensors:
            continue
        emit(f"    a = args[{i}]")
        emit("    if isinstance(a, Tensor):")
        emit("        vc = a._vc\n        d = a._data\n        f = a.grad_fn")
        emit("        saved.append((vc, vc[0], d.dtype, d.shape, "
             "None if f is None else type(f)))")
        emit("        keeps = True")
        emit(f"    elif type(arrays[{i}]) is ndarray:\n        keeps = True")
    if keep_out == 2:
        emit("    if res is not None:")
        emit("        saved.append((res._vc, 0, out.dtype, out.shape, cls))")
        node_out = "out"
    elif keep_out == 1:
        node_out = "ArrayMeta(out) if type(out) is ndarray else None"
    else:
        node_out = "None"
    lines += ["    node = _new(cls)",
              "    node.fn = fn",
              f"    node.args = ({''.join(k + ', ' for k in kept)})",
              "    node.kwargs = kwargs",
              f"    node.out = {node_out}",
              f"    node.edges = ({''.join(e + ', ' for e in edges)})",
              "    node.saved = saved",
              f"    node.broadcast = {bool(broadcast)}",
              "    node.keeps = keeps",
              "    node.n_outputs = 1",
              "    node.freed = False",
              "    node.uses = 0",
              "    return node"]
    env = {"fn": fn, "cls": cls, "Tensor": Tensor, "ArrayMeta": ArrayMeta,
           "ndarray": np.ndarray, "accumulator": accumulator, "_new": _new,
           "AccumulateGrad": AccumulateGrad}
    exec(compile("\n".join(lines), f"<recorder {cls.__name__}>", "exec"), env)
    return env["record"]


def _make_node(rule, args, arrays, kwargs, out, res, needed, name, n_outputs=1):
    """The node for one call: its specialised adjoint, what it keeps, its edges."""
    p = _PLANS.get((rule, needed, len(args), name))
    if p is None:
        p = _plan(rule, needed, len(args), name)
    node = None if p[8] is None else p[8](args, arrays, kwargs, out, res)
    if node is None:
        return _make_node_seq(p, rule, args, arrays, kwargs, out, res, needed, n_outputs)
    if n_outputs != 1:
        node.n_outputs = n_outputs
        node.special = True             # the engine's general path handles several outputs
    return node


def _make_node_seq(plan, rule, args, arrays, kwargs, out, res, needed, n_outputs):
    """``_make_node`` when a differentiable argument is a sequence of Tensors
    (``concatenate([a, b])``, ``einsum(s, *ops)``): one edge per element."""
    fn, drop, meta, save, keep_out, vp, cls = plan[:7]
    saved = []
    kept = list(arrays)
    for i in drop:
        kept[i] = None
    for i in meta:
        a = kept[i]
        if type(a) is np.ndarray:
            kept[i] = ArrayMeta(a)
    for i in save:
        a = args[i]
        if isinstance(a, Tensor):
            saved.append(_saved_entry(a))
        elif type(a) is list or type(a) is tuple:
            saved.extend(_saved_entry(x) for x in a if isinstance(x, Tensor))
    edges = []
    layout = None
    nargs = len(args)
    if vp >= 0:
        args = tuple(args[:vp]) + (list(args[vp:]),)
        nargs = len(args)
    for k, i in enumerate(rule.wrt_index):
        a = args[i] if i < nargs else None
        if type(a) is list or type(a) is tuple:
            if layout is None:
                layout = [0] * len(rule.wrt_index)
            layout[k] = len(a)
            edges.extend(edge_of(x) if isinstance(x, Tensor) and x._requires_grad else None
                         for x in a)
        else:
            edges.append(edge_of(a) if needed[k] else None)
    if layout is not None:
        layout = tuple(layout)
        fn = _flattening(fn, layout, len(rule.wrt))
        fn.spec = (rule, needed, layout)
    node_out = out if keep_out == 2 else (
        ArrayMeta(out) if keep_out == 1 and type(out) is np.ndarray else None)
    node = cls(fn, tuple(kept), kwargs, node_out, tuple(edges), saved, rule.broadcast,
               n_outputs)
    if keep_out == 2 and res is not None:
        node.saved.append((res._vc, 0, out.dtype, out.shape, cls))
        node.keeps = True
    return node


def _flattening(fn, layout, nwrt):
    def flat(g, out, *args, **kwargs):
        grads = fn(g, out, *args, **kwargs)
        if nwrt == 1:
            grads = (grads,)
        res = []
        for n, gr in zip(layout, grads):
            if n:
                res.extend(gr if gr is not None else [None] * n)
            else:
                res.append(gr)
        return res
    return flat


def _record_multi(primal, args, arrays, kwargs, outs, name):
    wrapped = tuple(None if o is None else Tensor._wrap(o) for o in outs)
    if not grad_mode._state.enabled:
        return wrapped
    rule = lookup(primal)
    needed = _needed(rule, args)
    if needed is None:
        return wrapped
    node = _make_node(rule, args, arrays, kwargs, outs, None, needed, name,
                      n_outputs=len(outs))
    node.out_meta = tuple(None if o is None else (o.shape, o.dtype) for o in outs)
    if len(outs) == 1:
        # A sequence of one (``unbind`` of a length-1 axis): the adjoint still takes a list.
        node.listed = node.special = True
    for k, t in enumerate(wrapped):
        if t is not None and t._data.dtype.kind in "fc":
            t._requires_grad = True
            t.grad_fn = node
            t._output_nr = k
    return wrapped


# In-place writes of at least this many elements compute straight into the target when the
# primal has an in-place form (smaller ones are not worth the broadcast check).
_INPLACE_MIN = 4096


def _inplace_form(primal, old, arrays):
    """A callable writing ``primal(old, *arrays)`` into ``old`` itself, or None: binary
    ufuncs (``out=old``) and primals carrying an ``inplace`` attribute (``relu``), for a
    float target whose shape the other operands do not widen."""
    if old.dtype.kind != "f" or old.size < _INPLACE_MIN:
        return None
    if type(primal) is np.ufunc:
        form = _ufunc_into if primal.nout == 1 else None
    else:
        form = getattr(primal, "inplace", None)
    if form is None or any(np.ndim(a) > old.ndim for a in arrays) or (
            np.broadcast_shapes(old.shape, *map(np.shape, arrays)) != old.shape):
        return None
    return form


def _ufunc_into(old, *arrays, _primal=None, **kwargs):
    return _primal(old, *arrays, out=old, **kwargs)


def apply_inplace(target: Tensor, primal, *args, name: str | None = None, **kwargs) -> Tensor:
    """``target <- primal(target, *args)`` in place, as PyTorch's ``add_``/``+=`` do.

    The new node's edge for ``target`` points at target's previous history; if the
    adjoint reads the old value, it keeps a copy (the original is overwritten). When
    it does not, a primal with an in-place form writes into the target directly
    (``relu_``, ``+=`` on a large array: no result array, no copy back).
    """
    check_inplace(target)
    record = grad_mode._state.enabled and (target._requires_grad or any(
        isinstance(a, Tensor) and a._requires_grad for a in args))
    arrays = [unwrap(a) for a in args]
    old = target._data
    needed = None
    if record:
        rule = lookup(primal)
        needed = _needed(rule, (target,) + args)
        if needed is not None:
            fn, reads, _ = rule.specialize(needed)
            keep_old = rule.params[0] in reads
    out = None
    if needed is None or not keep_old:
        form = _inplace_form(primal, old, arrays)
        if form is _ufunc_into:
            out = _ufunc_into(old, *arrays, _primal=primal, **kwargs)
        elif form is not None:
            out = form(old, *arrays, **kwargs)
    if out is None:
        out = primal(old, *arrays, **kwargs)
    if needed is not None:
        arrs = [old.copy() if keep_old else old] + arrays
        snap = Tensor._wrap(arrs[0])
        snap._requires_grad = target._requires_grad
        snap.grad_fn = target.grad_fn
        snap._output_nr = target._output_nr
        if target._requires_grad and target.grad_fn is None:
            snap._accum = accumulator(target)
        full = (snap,) + args
        node = _make_node(rule, full, arrs, kwargs, np.asarray(out), None, needed, name)
        node.saved = [s for s in node.saved if s[0] is not snap._vc]
    if out is not old:
        np.copyto(old, out, casting="unsafe")
    target._vc[0] += 1
    if needed is not None:
        if "out" in reads:
            node.out = old
            node.saved.append((target._vc, target._vc[0], old.dtype, old.shape, type(node)))
        target.grad_fn = node
        target._output_nr = 0
        target._requires_grad = True
    return target


def check_inplace(t: Tensor) -> None:
    if t._requires_grad and t.grad_fn is None and grad_mode._state.enabled:
        if t._is_view:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in "
                               "an in-place operation.")
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")


def apply_custom(name: str, backward, inputs, outputs, higher=None, cls=None):
    """Wrap ``outputs`` as Tensors produced by ONE node whose backward is ``backward``.

    ``backward(gs)`` gets one cotangent per output (zeros filled in) and returns
    one gradient per entry of ``inputs`` (None where there is none). ``higher``,
    if given, is the same backward on Tensors (cotangents and results are
    Tensors, its operations recorded): a ``create_graph=True`` backward calls it,
    and refuses the node without it. ``cls`` is the node class (default: one named
    ``name``).
    """
    multi = isinstance(outputs, tuple)
    outs = outputs if multi else (outputs,)
    outs = tuple(np.asarray(o) for o in outs)
    wrapped = tuple(Tensor._wrap(o) for o in outs)
    req = [isinstance(a, Tensor) and a._requires_grad for a in inputs]
    if not grad_mode._state.enabled or not any(req):
        return wrapped if multi else wrapped[0]
    edges = tuple(edge_of(a) if r else None for a, r in zip(inputs, req))

    def fn(g, out):
        return backward(tuple(g) if multi else (g,))

    node = (cls or node_class(name))(fn, (), {}, None, edges, [], False, len(outs))
    node.out_meta = tuple((o.shape, o.dtype) for o in outs)
    if multi and len(outs) == 1:
        node.listed = node.special = True
    node.keeps = True
    if higher is not None:
        fn.spec = ("custom", higher, multi)
    for k, t in enumerate(wrapped):
        if t._data.dtype.kind in "fc":
            t._requires_grad = True
            t.grad_fn = node
            t._output_nr = k
    return wrapped if multi else wrapped[0]
