"""Graph nodes and the backward engine.

Takes: nodes recorded by ops (``ops.apply``) and compiled functions.
Gives: ``Node`` (PyTorch-named subclasses such as ``AddBackward0``),
``AccumulateGrad`` for leaves, and ``run_backward`` which walks the graph in
dependency order without recursion, so chains of 100,000 ops work: a node runs
once each of its recorded consumers (``uses``) has sent its gradient, and when
consumers outside this backward hold a count up, the rest of the graph is walked
to count again; leaves receive their summed gradients at the end. With
``create_graph`` the same walk runs on Tensor cotangents, each node's backward
rerun on Tensors (``higher.apply_node``), so the gradients have a graph too.
Invariant: a node's saved values are read only after their version counters are
checked; a freed node raises PyTorch's "backward through the graph a second
time" error instead of producing a wrong gradient. Nodes keep arrays, never the
Tensors they came from: a create_graph backward rebuilds those from the edges.
"""
from __future__ import annotations

import sys

import numpy as np

from ..rules.helpers import unbroadcast_to
from .tensor import Tensor

__all__ = ["Node", "AccumulateGrad", "node_class", "run_backward", "SECOND_BACKWARD"]

SECOND_BACKWARD = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward.")

_HINT = ("Hint: enable anomaly detection to find the operation that failed to compute its "
         "gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False).")


def _producer_name(producer) -> str:
    """``AddBackward0`` -> ``Add`` (how PyTorch names the op that made a saved tensor)."""
    name = producer if isinstance(producer, str) else producer.__name__
    return name[:-9] if name.endswith("Backward0") else name


def modified_error(now: int, version: int, dtype, shape, producer) -> RuntimeError:
    """PyTorch's error for a saved value changed in place since it was saved
    (``producer``: the node class that made it, or None)."""
    from .printing_names import tensor_type_name
    desc = f"[{tensor_type_name(dtype)} [{', '.join(map(str, shape))}]]"
    if producer is not None:
        desc += f", which is output 0 of {_producer_name(producer)},"
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: {desc} is at version {now}; expected version {version} "
        f"instead. {_HINT}")


class Node:
    """One recorded operation. ``edges[k] = (next_node, output_nr, shape, dtype)``.

    ``fn(g, out, *args, **kwargs)`` returns one gradient per edge (in edge order)
    or a bare value when there is one edge. ``saved`` lists version checks
    ``(counter, version, dtype, shape, producer)`` for the arrays the adjoint reads
    (``producer``: the node class that made the array, or None).
    """

    # The fields every node sets; the rarely used ones (hooks, retain_grad, several
    # outputs, metadata) are class-level defaults a node overrides in its __dict__
    # only when it needs them, so recording a node sets ten fields, not seventeen.
    __slots__ = ("fn", "args", "kwargs", "out", "edges", "saved", "broadcast", "keeps",
                 "n_outputs", "freed", "uses", "__dict__", "__weakref__")
    out_meta = None              # ((shape, dtype), ...) of a multi-output node
    hooks = None
    prehooks = None
    tensor_hooks = None          # {output_nr: [hook, ...]} for non-leaf tensors
    retained = None              # {output_nr: weakref to tensor} (retain_grad)
    special = False              # set once any of the four above is, or for several outputs:
    #                              the engine's plain path looks at this one flag
    materialize = True           # missing output gradients reach ``fn`` as zeros, not None
    listed = False               # ``fn`` takes a list of cotangents though there is one output

    def __init__(self, fn, args, kwargs, out, edges, saved, broadcast, n_outputs=1):
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.out = out
        self.edges = edges
        self.saved = saved
        self.broadcast = broadcast
        # keeps: backward reads state (saved arrays, or a compiled closure's saves),
        # so a second backward without retain_graph must fail.
        self.keeps = bool(saved) or type(out) is np.ndarray or np.ndarray in map(type, args)
        self.n_outputs = n_outputs
        if n_outputs != 1:
            self.special = True
        self.freed = False
        self.uses = 0
        for e in edges:
            if e is not None and type(e[0]) is not AccumulateGrad:
                e[0].uses += 1

    @property
    def metadata(self) -> dict:
        d = self.__dict__
        m = d.get("_metadata")
        if m is None:
            m = d["_metadata"] = {}
        return m

    # -- the PyTorch-facing surface -------------------------------------------------
    def name(self) -> str:
        return type(self).__name__

    @property
    def next_functions(self):
        return tuple((e[0], e[1]) if e is not None else (None, 0) for e in self._all_edges())

    def _all_edges(self):
        return self.edges

    @property
    def requires_grad(self) -> bool:
        return True

    def register_hook(self, fn):
        from .hooks import RemovableHandle
        if self.hooks is None:
            self.hooks = []
            self.special = True
        self.hooks.append(fn)
        return RemovableHandle(self.hooks, fn)

    def register_prehook(self, fn):
        from .hooks import RemovableHandle
        if self.prehooks is None:
            self.prehooks = []
            self.special = True
        self.prehooks.append(fn)
        return RemovableHandle(self.prehooks, fn)

    # No __repr__: with the class in module "builtins", object's own repr prints
    # "<AddBackward0 object at 0x...>" and IPython shows "<AddBackward0 at 0x...>",
    # exactly as for PyTorch's nodes.

    def __call__(self, *grads):
        g = [x._data if isinstance(x, Tensor) else x for x in grads]
        res = self.apply(g[0] if self.n_outputs == 1 else g)
        return tuple(None if r is None else Tensor(r) for r in res)

    # -- the engine-facing surface --------------------------------------------------
    def check_saved(self) -> None:
        if self.freed:
            raise RuntimeError(SECOND_BACKWARD)
        for counter, version, dt, shape, producer in self.saved:
            if counter[0] != version:
                raise modified_error(counter[0], version, dt, shape, producer)

    def apply(self, g) -> list:
        """Gradients for each edge (``None`` where there is none)."""
        if self.saved:
            self.check_saved()
        elif self.freed:
            raise RuntimeError(SECOND_BACKWARD)
        if self.prehooks:
            g = self._run_prehooks(g)
        grads = self.fn([g] if self.listed else g, self.out, *self.args, **self.kwargs)
        edges = self.edges
        if len(edges) == 1:
            grads = (grads,) if type(grads) is not tuple and type(grads) is not list else grads
        res = []
        bc = self.broadcast
        for e, gi in zip(edges, grads):
            if e is None or gi is None:
                res.append(None)
                continue
            if type(gi) is not np.ndarray:
                gi = np.asarray(gi, dtype=e[3])
            if bc and gi.shape != e[2]:
                gi = unbroadcast_to(gi, e[2])
            dt = gi.dtype
            if dt is not e[3] and dt != e[3]:
                gi = gi.astype(e[3])
            res.append(gi)
        if self.hooks:
            res = self._run_hooks(res, g)
        return res

    def _run_prehooks(self, g):
        for h in self.prehooks:
            r = h((g,) if self.n_outputs == 1 else tuple(g))
            if r is not None:
                g = r[0] if self.n_outputs == 1 else list(r)
        return g

    def _run_hooks(self, res, g):
        gin = tuple(None if r is None else Tensor(r) for r in res)
        gout = (Tensor(g),) if self.n_outputs == 1 else tuple(
            None if x is None else Tensor(x) for x in g)
        for h in self.hooks:
            r = h(gin, gout)
            if r is not None:
                gin = tuple(r)
        return [None if t is None else t._data for t in gin]

    def release(self) -> None:
        """Free saved values (after a backward without ``retain_graph``)."""
        if self.keeps:
            self.freed = True
            self.args = ()
            self.kwargs = _NO_KWARGS
            self.out = None
            self.saved = _RELEASED      # not empty: the engine's one test sends it to the check


# A released node's ``saved``: an entry that fails the version test, so the engine calls
# ``check_saved``, which raises the second-backward error before reading any entry.
_RELEASED = (([1], 0, None, None, None),)

_NO_KWARGS: dict = {}          # a released node's (shared; never written)

_CLASSES: dict[str, type] = {}


def node_class(name: str) -> type:
    """The Node subclass called ``name`` (``AddBackward0``), made once."""
    cls = _CLASSES.get(name)
    if cls is None:
        cls = type(name, (Node,), {"__slots__": ()})
        cls.__module__ = "builtins"
        _CLASSES[name] = cls
    return cls


# References to a gradient array when nobody else holds it: the engine's local, the
# argument of ``accumulate`` and ``sys.getrefcount``'s own.
_STEALABLE = 3


def _owned(base, g) -> bool:
    """Whether ``g``'s memory is its own: no base, or a base of the same size that
    nothing but ``g`` refers to. (References to ``base`` here:
    ``g.base``, this call's argument and ``getrefcount``'s own.)"""
    if base is None:
        return True
    return (type(base) is np.ndarray and base.base is None and base.size == g.size
            and sys.getrefcount(base) <= 3)


def _writable_c(flags) -> bool:
    return flags.c_contiguous and flags.writeable


class AccumulateGrad:
    """The sink for a leaf tensor: accumulates into ``variable.grad``."""

    __module__ = "builtins"

    __slots__ = ("variable", "hooks", "post_hooks", "metadata", "__weakref__")
    edges = ()
    n_outputs = 1
    freed = False

    def __init__(self, variable):
        self.variable = variable
        self.hooks = None
        self.post_hooks = None
        self.metadata = {}

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    @property
    def next_functions(self):
        return ()

    def register_hook(self, fn):
        from .hooks import RemovableHandle
        if self.post_hooks is None:
            self.post_hooks = []
        self.post_hooks.append(fn)
        return RemovableHandle(self.post_hooks, fn)

    def release(self) -> None:
        pass

    def accumulate(self, g) -> None:
        t = self.variable
        if t._grad is None:
            dt = t._data.dtype
            # Steal a gradient nobody else can see (as PyTorch does): a fresh, writable
            # array of the right dtype whose only references are the engine's local
            # and this call, or a C-contiguous reshape of such an array (``gw.reshape``).
            # Anything shared (the user's cotangent, one array sent to two inputs, a
            # view into a bigger or another layout's array) is copied, so later in-place
            # accumulation touches only .grad and .grad is always C-contiguous.
            if (type(g) is np.ndarray and g.dtype == dt and sys.getrefcount(g) <= _STEALABLE
                    and _writable_c(g.flags) and _owned(g.base, g)):
                t._grad = Tensor._wrap(g)
            else:
                t._grad = Tensor._wrap(np.array(g, dtype=dt, order="C"))
        else:
            gd = t._grad._data
            if gd.shape == np.shape(g):
                gd += g
                t._grad._vc[0] += 1
            else:
                t._grad = Tensor._wrap(gd + g)
        if self.post_hooks:
            for h in self.post_hooks:
                h(t)

    def accumulate_graph(self, g) -> None:
        """``accumulate`` for a Tensor gradient that may carry a graph (create_graph).

        As PyTorch: the first gradient is copied through a ``CopyBackwards`` node, later
        ones are added out of place (``AddBackward0``), so ``.grad`` keeps its history.
        """
        from ..rules.torchlike import copy_from
        from .ops import apply
        t = self.variable
        if t._grad is None:
            if g._requires_grad:
                dst = Tensor._wrap(np.empty(t._data.shape, t._data.dtype))
                t._grad = apply(copy_from, dst, g, name="CopyBackwards")
            else:
                t._grad = Tensor._wrap(np.array(g._data, dtype=t._data.dtype, copy=True))
        else:
            t._grad = t._grad + g
        if self.post_hooks:
            for h in self.post_hooks:
                h(t)


def _run_tensor_hooks(hooks, g, graph: bool = False):
    for h in hooks:
        r = h(g if graph else Tensor._wrap(g))
        if r is not None:
            r = r if graph else r._data
            if np.shape(r) != np.shape(g):
                name = getattr(h, "__name__", "hook")
                raise RuntimeError(f"hook '{name}' has changed the size of value")
            g = r
    return g


def _dependencies(roots):
    """The root nodes (ordered: deterministic sums) and, for every node reachable from
    them, how many edges lead into it (iterative, no recursion)."""
    rootset = {roots[0][0]: None} if len(roots) == 1 else dict.fromkeys(n for n, _ in roots)
    deps: dict = {}
    stack = list(rootset)
    while stack:
        for e in stack.pop().edges:
            if e is not None:
                nxt = e[0]
                c = deps.get(nxt)
                if c is None:
                    deps[nxt] = 1
                    if nxt not in rootset:
                        stack.append(nxt)
                else:
                    deps[nxt] = c + 1
    return rootset, deps


def run_backward(roots, grads, retain_graph: bool = False, capture=None,
                 accumulate: bool = True, create_graph: bool = False) -> None:
    """Propagate ``grads`` from ``roots`` (nodes with output numbers) to the leaves.

    ``roots`` is a list of ``(node, output_nr)``; ``capture`` maps a node to a
    dict ``{output_nr: slot}`` that receives the gradient flowing into it (used
    by ``autograd.grad`` and ``backward(inputs=...)``); with ``accumulate=False``
    no leaf ``.grad`` is touched. With ``create_graph`` the cotangents are Tensors
    and every adjoint runs on Tensors, so the gradients have a graph of their own.
    """
    if create_graph:
        from .grad_mode import _state
        prev = _state.enabled
        _state.enabled = True           # PyTorch runs a create_graph backward in grad mode
        try:
            _run_graph(roots, grads, retain_graph, capture, accumulate)
        finally:
            _state.enabled = prev
        return
    if len(roots) == 1:
        # One root: a node is ready once all its recorded consumers have sent their
        # gradient (``uses``); no walk over the graph first. A consumer outside this
        # backward (a branch not leading to the root) stalls that count: the walk
        # then runs over what is left (``_unstall``).
        n = roots[0][0]
        deps: dict = {}
        ready = [] if type(n) is AccumulateGrad else [n]
        pending: dict = {}
        _add_pending(pending, n, roots[0][1], grads[0])
    else:
        rootset, deps = _node_dependencies(roots)
        pending = {}
        for (n, k), g in zip(roots, grads):
            _add_pending(pending, n, k, g)
        ready = [n for n in rootset if n not in deps and type(n) is not AccumulateGrad]
    captured = capture or None
    while ready:
        n = ready.pop()
        g = pending.pop(n, None)
        edges = n.edges
        if g is None:
            # Nothing flows through this node: only its consumers' counts move on.
            for e in edges:
                if e is not None and type(e[0]) is not AccumulateGrad:
                    nxt = e[0]
                    c = deps.pop(nxt, None)
                    c = (nxt.uses if c is None else c) - 1
                    if c:
                        deps[nxt] = c
                    else:
                        ready.append(nxt)
            if not ready and deps:
                ready = _unstall(deps)
            continue
        if n.special or captured:
            # The general path: several outputs, captured gradients or hooks.
            if n.tensor_hooks or n.retained:
                g = _node_output_hooks(n, g)
            if captured and n in captured:
                for k, slot in captured[n].items():
                    slot[0] = g if n.n_outputs == 1 else g[k]
            if n.n_outputs > 1 and n.materialize:
                g = [np.zeros(*m) if gi is None and m is not None else gi
                     for gi, m in zip(g, n.out_meta)]
            grads = n.apply(g)
            bc = False
        else:
            # The common node, inlined: check the saves (a released node's too), run the
            # adjoint; the gradients are shaped and cast below, on their way onwards.
            for sv in n.saved:
                if sv[0][0] != sv[1]:
                    n.check_saved()         # raises: changed in place, or released
            kw = n.kwargs
            grads = n.fn(g, n.out, *n.args, **kw) if kw else n.fn(g, n.out, *n.args)
            if len(edges) == 1 and type(grads) is not tuple and type(grads) is not list:
                grads = (grads,)
            bc = n.broadcast
        if n.keeps and not retain_graph:
            n.release()
        for e, gi in zip(edges, grads):
            if e is not None:
                nxt = e[0]
                if gi is not None:
                    if type(gi) is not np.ndarray:
                        gi = np.asarray(gi, dtype=e[3])
                    if bc and gi.shape != e[2]:
                        gi = unbroadcast_to(gi, e[2])
                    dt = gi.dtype
                    if dt is not e[3] and dt != e[3]:
                        gi = gi.astype(e[3])
                    if nxt.n_outputs == 1:
                        old = pending.get(nxt)
                        pending[nxt] = gi if old is None else old + gi
                    else:
                        _add_pending(pending, nxt, e[1], gi)
                if type(nxt) is not AccumulateGrad:
                    # Leaves wait until the end: nothing flows on from them. ``deps``
                    # holds only the nodes still waiting (a count of uses to come).
                    c = deps.pop(nxt, None)
                    c = (nxt.uses if c is None else c) - 1
                    if c:
                        deps[nxt] = c
                    else:
                        ready.append(nxt)
        grads = gi = old = None     # hold no gradient past its hand-over (see accumulate)
        if not ready and deps:
            ready = _unstall(deps)
    for n in list(pending):
        # What is left are the leaves' sums, in the order their first gradient came. Each
        # leaves the dict before it is handed over, so an unshared sum can become .grad.
        g = pending.pop(n)
        if n.hooks:
            g = _run_tensor_hooks(n.hooks, g)
        if captured and n in captured:
            captured[n][0][0] = g
        elif accumulate:
            n.accumulate(g)


def _unstall(deps: dict) -> list:
    """Nodes still waiting for consumers outside this backward, made ready in order.

    ``deps`` maps each waiting node to the gradients it still waits for. They are
    counted again over the graph below them (the walk ``_dependencies`` does), so
    only consumers this backward reaches are waited for.
    """
    waiting = [(n, 0) for n in deps]
    deps.clear()
    if not waiting:
        return []
    rootset, counts = _node_dependencies(waiting)
    deps.update(counts)
    return [n for n in rootset if n not in counts]


def _node_dependencies(roots):
    """``_dependencies`` without the leaves' accumulators (they are not counted: their
    gradients are handed over once the walk is done)."""
    rootset, deps = _dependencies(roots)
    return rootset, {n: c for n, c in deps.items() if type(n) is not AccumulateGrad}


def _run_graph(roots, grads, retain_graph, capture, accumulate) -> None:
    """``run_backward`` on Tensor cotangents: each node's adjoint runs on Tensors
    (``higher.apply_node``), sums and accumulations are recorded too."""
    from .higher import apply_node
    rootset, deps = _dependencies(roots)
    pending: dict = {}
    for (n, k), g in zip(roots, grads):
        _add_pending(pending, n, k, g)
    ready = [n for n in rootset if n not in deps]
    captured = capture or None
    while ready:
        n = ready.pop()
        g = pending.pop(n, None)
        if type(n) is AccumulateGrad:
            if g is not None:
                if n.hooks:
                    g = _run_tensor_hooks(n.hooks, g, graph=True)
                if captured and n in captured:
                    captured[n][0][0] = g
                elif accumulate:
                    n.accumulate_graph(g)
            continue
        outs = None
        if g is not None:
            if n.tensor_hooks or n.retained:
                g = _node_output_hooks(n, g, graph=True)
            if captured and n in captured:
                for k, slot in captured[n].items():
                    slot[0] = g if n.n_outputs == 1 else g[k]
            if n.n_outputs > 1 and n.materialize:
                g = [Tensor._wrap(np.zeros(*m)) if gi is None and m is not None else gi
                     for gi, m in zip(g, n.out_meta)]
            outs = apply_node(n, g)
            if n.keeps and not retain_graph:
                n.release()
        for i, e in enumerate(n.edges):
            if e is not None:
                nxt = e[0]
                if outs is not None and outs[i] is not None:
                    _add_pending(pending, nxt, e[1], outs[i])
                c = deps[nxt] - 1
                deps[nxt] = c
                if c == 0:
                    ready.append(nxt)


def _node_output_hooks(n, g, graph: bool = False):
    if n.n_outputs == 1:
        if n.tensor_hooks and 0 in n.tensor_hooks:
            g = _run_tensor_hooks(n.tensor_hooks[0], g, graph)
        _retain(n, 0, g, graph)
        return g
    g = list(g)
    for k in range(n.n_outputs):
        if g[k] is None:
            continue
        if n.tensor_hooks and k in n.tensor_hooks:
            g[k] = _run_tensor_hooks(n.tensor_hooks[k], g[k], graph)
        _retain(n, k, g[k], graph)
    return g


def _retain(n, k, g, graph: bool = False):
    if n.retained and k in n.retained:
        t = n.retained[k]()
        if t is not None:
            if graph:
                # As PyTorch: a copy (CloneBackward0 when it has a history), then sums.
                t._grad = g.clone() if t._grad is None else t._grad + g
            elif t._grad is None:
                t._grad = Tensor._wrap(np.array(g, copy=True))
            else:
                t._grad = Tensor._wrap(t._grad._data + g)


def _add_pending(pending, node, k, g):
    n_out = node.n_outputs
    if n_out == 1:
        old = pending.get(node)
        pending[node] = g if old is None else old + g
    else:
        slot = pending.get(node)
        if slot is None:
            slot = pending[node] = [None] * n_out
        slot[k] = g if slot[k] is None else slot[k] + g
