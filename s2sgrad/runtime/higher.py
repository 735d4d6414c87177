"""Adjoints that run on Tensors, so that a backward pass is itself recorded.

Takes: a rule's adjoint template (specialised to the gradients a node needs), or
a composite helper (``rules.helper_rules.composite``), and the graph nodes ops
records. Gives: ``tensor_adjoint(rule, mask)`` and ``tensorize(fn)``: the same
source compiled once more with every free name bound to its dispatcher
(``dispatch``), and operators, ``x.shape``-style attributes and ``x.sum(...)``-
style methods rewritten to dispatchers, so they keep NumPy's meaning on
Tensors; ``apply_node(node, g)``, one node's backward on Tensors (what a
``create_graph=True`` backward runs); ``retraced(fn, args)``, that backward for
a compiled function's node; ``call_names``/``uncovered`` to walk every
template in the tests.
Invariant: the adjoint that runs is the template the plain backward compiles,
read on the node's saved values each tied (as a Tensor) to where it came from,
so the gradient depends on them in the graph exactly as in value.
"""
from __future__ import annotations

import ast
import builtins
import copy
import inspect
import textwrap
import types
from collections.abc import Callable
from typing import Any

import gast
import numpy as np

from ..rules import helper_rules as H
from ..rules import torchlike as tl
from ..rules.helpers import unbroadcast_to
from .dispatch import (_AUGMENTED, _BINOPS, _COMPARE, _UNARY, METHODS, _attr, _method,
                       _name, _store, dispatcher)
from .ops import SPECS
from .tensor import Tensor

__all__ = ["METHODS", "tensor_adjoint", "tensorize", "dispatcher", "call_names", "uncovered",
           "apply_node", "retraced"]


# ---------------------------------------------------------------- the source rewrite

_MISSING = object()


def _locals(fdef) -> set:
    names = {a.id for a in fdef.args.args + fdef.args.kwonlyargs + fdef.args.posonlyargs}
    names |= {a.id for a in (fdef.args.vararg, fdef.args.kwarg) if a is not None}
    names |= {n.id for n in gast.walk(fdef) if isinstance(n, gast.Name)
              and isinstance(n.ctx, (gast.Store, gast.Param, gast.Del))}
    return names


def _resolve(node, glb: dict, local: set):
    """The object a Name or a module attribute chain (``np.linalg.inv``) names."""
    if isinstance(node, gast.Name):
        if node.id in local:
            return _MISSING
        if node.id in glb:
            return glb[node.id]
        return getattr(builtins, node.id, _MISSING)
    if isinstance(node, gast.Attribute):
        base = _resolve(node.value, glb, local)
        if isinstance(base, types.ModuleType):
            return getattr(base, node.attr, _MISSING)
    return _MISSING


class _Rewrite(gast.NodeTransformer):
    """Free names to bound objects or dispatchers; operators, attributes, methods to
    their NumPy-meaning dispatchers. In-place writes are refused (no aliasing)."""

    def __init__(self, glb: dict, local: set, where: str):
        self.glb, self.local, self.where = glb, local, where
        self.ns: dict = {}
        self.ids: dict = {}

    def bind(self, obj, hint: str) -> gast.Name:
        key = id(obj)
        name = self.ids.get(key)
        if name is None:
            name = self.ids[key] = f"_h{len(self.ids)}_{hint}"
            self.ns[name] = obj
        return gast.Name(name, gast.Load(), None, None)

    def helper(self, obj, hint: str) -> gast.Name:
        return self.bind(obj, hint)

    def visit_Call(self, node):
        func = node.func
        obj = _resolve(func, self.glb, self.local)
        node.args = [self.visit(a) for a in node.args]
        node.keywords = [self.visit(k) for k in node.keywords]
        if obj is not _MISSING:
            node.func = (self.bind(dispatcher(obj), getattr(obj, "__name__", "f"))
                         if callable(obj) else self.bind(obj, "v"))
            return node
        if isinstance(func, gast.Attribute):
            node.func = self.helper(_method, "method")
            node.args = [self.visit(func.value), gast.Constant(func.attr, None)] + node.args
            return node
        node.func = self.visit(func)
        return node

    def visit_Name(self, node):
        if isinstance(node.ctx, gast.Load):
            obj = _resolve(node, self.glb, self.local)
            if obj is not _MISSING:
                return self.bind(obj, node.id)
        return node

    def visit_Attribute(self, node):
        if not isinstance(node.ctx, gast.Load):
            raise SyntaxError(f"{self.where}: writes to attributes are not allowed here")
        obj = _resolve(node, self.glb, self.local)
        if obj is not _MISSING:
            return self.bind(obj, node.attr)
        return gast.Call(self.helper(_attr, "attr"),
                         [self.visit(node.value), gast.Constant(node.attr, None)], [])

    def visit_Subscript(self, node):
        if not isinstance(node.ctx, gast.Load):
            raise SyntaxError(f"{self.where}: this write into a container is not supported")
        return self.generic_visit(node)

    def visit_Assign(self, node):
        if len(node.targets) == 1 and isinstance(node.targets[0], gast.Subscript):
            # c[k] = v: a checked store (containers yes, NumPy arrays no).
            t = node.targets[0]
            call = gast.Call(self.helper(_store, "store"),
                             [self.visit(t.value), self.visit(t.slice), self.visit(node.value)],
                             [])
            return gast.Expr(call)
        return self.generic_visit(node)

    def visit_BinOp(self, node):
        self.generic_visit(node)
        return gast.Call(self.helper(_BINOPS[type(node.op)], "op"), [node.left, node.right], [])

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        f = _UNARY.get(type(node.op))
        if f is None:
            return node
        return gast.Call(self.helper(f, "op"), [node.operand], [])

    def visit_Compare(self, node):
        self.generic_visit(node)
        if len(node.ops) != 1 or type(node.ops[0]) not in _COMPARE:
            return node
        return gast.Call(self.helper(_COMPARE[type(node.ops[0])], "cmp"),
                         [node.left, node.comparators[0]], [])

    def visit_AugAssign(self, node):
        if not isinstance(node.target, gast.Name):
            raise SyntaxError(f"{self.where}: in-place updates of containers are not "
                              "supported here")
        value = gast.Call(self.helper(_AUGMENTED[type(node.op)], "aug"),
                          [gast.Name(node.target.id, gast.Load(), None, None),
                           self.visit(node.value)], [])
        return gast.Assign([node.target], value, None)

    def visit_FunctionDef(self, node):
        if node is not self.root:
            raise SyntaxError(f"{self.where}: nested functions are not allowed here")
        node.args = self.visit(node.args)
        node.body = [self.visit(s) for s in node.body]
        return node

    def visit_Lambda(self, node):
        raise SyntaxError(f"{self.where}: lambdas are not allowed here")


def _compile(fdef, glb: dict, where: str) -> Callable:
    fdef = copy.deepcopy(fdef)
    fdef.decorator_list = []
    rw = _Rewrite(glb, _locals(fdef), where)
    rw.root = fdef
    fdef = rw.visit(fdef)
    module = gast.Module(body=[fdef], type_ignores=[])
    tree = ast.fix_missing_locations(gast.gast_to_ast(module))
    ns = dict(rw.ns)
    ns["__builtins__"] = builtins
    exec(compile(tree, where, "exec"), ns)
    return ns[fdef.name]


def _parse(fn) -> gast.FunctionDef:
    fdef = gast.parse(textwrap.dedent(inspect.getsource(fn))).body[0]
    fdef.decorator_list = []
    return fdef


_TENSORIZED: dict = {}


def tensorize(fn: Callable) -> Callable:
    """``fn`` (a plain function of arrays) compiled to run on Tensors, recorded."""
    f = _TENSORIZED.get(fn)
    if f is None:
        glb = fn.__globals__
        if fn.__closure__:
            # A closure's free variables are read like globals (their values now).
            glb = dict(glb)
            glb.update(zip(fn.__code__.co_freevars, (c.cell_contents for c in fn.__closure__)))
        f = _TENSORIZED[fn] = _compile(_parse(fn), glb, f"<tensor {_name(fn)}>")
    return f


def _pruned(r, mask: tuple) -> gast.FunctionDef:
    """The adjoint template computing only the gradients ``mask`` asks for."""
    fdef = copy.deepcopy(r.template)
    ret = fdef.body[-1]
    if all(mask):
        return fdef
    if len(r.wrt) > 1 and isinstance(ret.value, gast.Tuple):
        ret.value.elts = [e if keep else gast.Constant(None, None)
                          for e, keep in zip(ret.value.elts, mask)]
    elif len(r.wrt) == 1:
        ret.value = gast.Constant(None, None)
    live = {n.id for n in gast.walk(ret) if isinstance(n, gast.Name)}
    kept = [ret]
    for stmt in reversed(fdef.body[:-1]):
        targets = {n.id for t in getattr(stmt, "targets", []) for n in gast.walk(t)
                   if isinstance(n, gast.Name)}
        if targets and not targets & live:
            continue
        live |= {n.id for n in gast.walk(stmt) if isinstance(n, gast.Name)}
        kept.append(stmt)
    fdef.body = kept[::-1]
    return fdef


_ADJOINTS: dict = {}


def tensor_adjoint(r, mask: tuple) -> Callable:
    """Rule ``r``'s adjoint for the gradients in ``mask``, running on Tensors (made once)."""
    key = (r.adjoint, mask)
    f = _ADJOINTS.get(key)
    if f is None:
        f = _ADJOINTS[key] = _compile(_pruned(r, mask), r.adjoint.__globals__,
                                      f"<tensor adjoint {r.name}>")
    return f


# ---------------------------------------------------------------- walking templates (tests)

def call_names(fdef, glb: dict) -> list[tuple[str, Any]]:
    """Every call in ``fdef``: ``("global", obj)`` for a resolved callable,
    ``("method", name)`` for an array method, ``("local", name)`` otherwise."""
    local = _locals(fdef)
    found = []
    for node in gast.walk(fdef):
        if isinstance(node, gast.Call):
            obj = _resolve(node.func, glb, local)
            if obj is not _MISSING:
                found.append(("global", obj))
            elif isinstance(node.func, gast.Attribute):
                found.append(("method", node.func.attr))
            else:
                found.append(("local", getattr(node.func, "id", "?")))
    return found


def uncovered(fn_or_rule) -> list[str]:
    """Calls in a rule's template (or a composite's body, recursively) that a
    create_graph backward could not differentiate: no rule, no composite form,
    not declared gradient-free or structural, or an unknown array method."""
    seen: set = set()
    bad: list[str] = []

    def walk(fdef, glb, where):
        for kind, what in call_names(fdef, glb):
            if kind == "method":
                if what not in METHODS and what not in H.CONTAINER_METHODS:
                    bad.append(f"{where}: .{what}()")
            elif kind == "global":
                d = dispatcher(what)
                if d.kind is None and not isinstance(what, type):
                    bad.append(f"{where}: {_name(what)}")
                elif d.kind == "composite" and id(what) not in seen:
                    seen.add(id(what))
                    impl = H.composite_of(what)
                    walk(_parse(impl), impl.__globals__, _name(impl))

    if hasattr(fn_or_rule, "template"):
        walk(fn_or_rule.template, fn_or_rule.adjoint.__globals__, fn_or_rule.name)
    else:
        walk(_parse(fn_or_rule), fn_or_rule.__globals__, _name(fn_or_rule))
    return bad


# ---------------------------------------------------------------- one node's backward on Tensors

def _proxy(arr, e):
    """A Tensor holding ``arr`` whose gradient flows into edge ``e`` (what produced it)."""
    from .graph import AccumulateGrad
    node = e[0]
    if type(node) is AccumulateGrad:
        v = node.variable
        if v._data is arr:
            return v
        t = Tensor._wrap(arr)
        t._requires_grad = True
        t._accum = node
        return t
    t = Tensor._wrap(arr)
    t._requires_grad = True
    t.grad_fn = node
    t._output_nr = e[1]
    return t


def _saved_out(n):
    """The node's saved output(s) as Tensors produced by the node itself."""
    out = n.out
    if n.n_outputs == 1:
        if type(out) is np.ndarray and out.dtype.kind in "fc":
            return _proxy(out, (n, 0))
        return out
    if type(out) is tuple:
        return tuple(_proxy(o, (n, k)) if type(o) is np.ndarray and o.dtype.kind in "fc"
                     else o for k, o in enumerate(out))
    return out


def _saved_args(n, r, layout) -> list:
    """The node's saved arguments, those with an edge as Tensors on that edge."""
    args = list(n.args)
    edges = n.edges
    nargs = len(args)
    k = 0
    for j, i in enumerate(r.wrt_index):
        count = layout[j] if layout is not None else 0
        if count:
            seq = args[i] if i < nargs else None
            if type(seq) is list or type(seq) is tuple:
                args[i] = [_proxy(x, edges[k + m]) if edges[k + m] is not None
                           and type(x) is np.ndarray else x for m, x in enumerate(seq)]
            elif seq is not None:
                # A var-positional parameter (``*operands``): its values are args[i:].
                for m in range(count):
                    e = edges[k + m]
                    if e is not None and type(args[i + m]) is np.ndarray:
                        args[i + m] = _proxy(args[i + m], e)
            k += count
            continue
        if i < nargs:
            e = edges[k]
            if e is not None and type(args[i]) is np.ndarray:
                args[i] = _proxy(args[i], e)
        k += 1
    return args


def _flat(grads, layout, nwrt) -> list:
    if nwrt == 1:
        grads = (grads,)
    res = []
    for count, gr in zip(layout, grads):
        if count:
            res.extend(gr if gr is not None else [None] * count)
        else:
            res.append(gr)
    return res


def _tensor(x, dtype) -> Tensor:
    if isinstance(x, Tensor):
        return x
    return Tensor._wrap(np.asarray(x, dtype=dtype))


def apply_node(n, g) -> list:
    """Gradients for each edge of node ``n`` (Tensors, or None), computed on Tensors.

    ``g`` is the Tensor cotangent (a list for a multi-output node). The rule's
    adjoint reruns on the node's saved values, each a Tensor tied to where it came
    from, so the result depends on them in the graph exactly as in value.
    """
    from .graph import SECOND_BACKWARD
    if n.saved:
        n.check_saved()
    elif n.freed:
        raise RuntimeError(SECOND_BACKWARD)
    if n.prehooks:
        g = n._run_prehooks(g)
    spec = getattr(n.fn, "spec", None) or SPECS.get(n.fn)
    if spec is None:
        raise NotImplementedError(
            f"{type(n).__name__} has no backward that runs on Tensors, so create_graph=True "
            "cannot differentiate through it")
    gs = [g] if n.listed else g       # one output of a primal that returns a sequence
    if spec[0] == "custom":
        grads = spec[1](tuple(gs) if spec[2] else (gs,))
    else:
        r, mask, layout = spec
        grads = tensor_adjoint(r, mask)(gs, _saved_out(n), *_saved_args(n, r, layout),
                                        **n.kwargs)
        if layout is not None:
            grads = _flat(grads, layout, len(r.wrt))
        elif len(r.wrt) == 1:
            grads = (grads,)
    res = []
    bc = n.broadcast
    for e, gi in zip(n.edges, grads):
        if e is None or gi is None:
            res.append(None)
            continue
        gi = _tensor(gi, e[3])
        if bc and gi._data.shape != e[2]:
            gi = _tensor(dispatcher(unbroadcast_to)(gi, e[2]), e[3])
        if gi._data.dtype != e[3]:
            gi = _tensor(dispatcher(tl.cast)(gi, e[3]), e[3])
        res.append(gi)
    if n.hooks:
        gin = tuple(res)
        gout = (g,) if n.n_outputs == 1 else tuple(g)
        for h in n.hooks:
            out = h(gin, gout)
            if out is not None:
                gin = tuple(out)
        res = list(gin)
    return res


def retraced(fn: Callable, args) -> Callable:
    """A Tensor backward for a compiled function's node (``apply_custom(..., higher=)``).

    ``fn`` is the plain NumPy function the node computes; the backward reruns it on
    the argument Tensors (``tensorize``: every call recorded) and takes the
    vector-Jacobian product with ``create_graph``, so a gradient of the compiled
    function can be differentiated again. Gradients align with ``args``.
    """
    def backward(gs):
        from ..autograd.functional import grad
        wanted = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a._requires_grad]
        out = tensorize(fn)(*args)
        outs = out if isinstance(out, tuple) else (out,)
        pairs = [(o, g) for o, g in zip(outs, gs) if isinstance(o, Tensor) and o._requires_grad]
        res = [None] * len(args)
        if pairs and wanted:
            grads = grad([o for o, _ in pairs], [args[i] for i in wanted],
                         [g for _, g in pairs], create_graph=True, allow_unused=True)
            for i, g in zip(wanted, grads):
                res[i] = g
        return tuple(res)
    return backward
