"""``autograd.Function``: user-defined operations with a hand-written backward.

Takes: a subclass with static ``forward(ctx, *args)`` (or ``forward(*args)`` plus
``setup_context(ctx, inputs, output)``) and ``backward(ctx, *grad_outputs)``.
Gives: ``Cls.apply(*args)``, which runs ``forward`` without recording and ties its
Tensor outputs to one graph node named ``<Cls>Backward``; the engine calls
``backward`` with one Tensor cotangent per output (zeros for unused ones) and
expects one gradient per ``forward`` argument (None for non-Tensors). An input
``forward`` changed in place and marked with ``ctx.mark_dirty`` is bumped and takes
the node as its history, as an in-place op does; after
``ctx.set_materialize_grads(False)`` missing cotangents arrive as None, not zeros.
Invariant: as in PyTorch, values saved with ``ctx.save_for_backward`` are version
checked and freed after a backward without ``retain_graph``; a gradient of the wrong
count or shape is an error, never silently reshaped (a broadcast one is summed).
``backward`` itself is recorded under ``create_graph=True`` unless it is marked
``@once_differentiable``.
"""
from __future__ import annotations

import functools
import warnings

import numpy as np

from ..rules.helpers import unbroadcast_to
from ..runtime import grad_mode
from ..runtime.graph import SECOND_BACKWARD, Node, modified_error
from ..runtime.ops import apply_custom
from ..runtime.tensor import Tensor

__all__ = ["Function", "FunctionCtx", "once_differentiable"]


class FunctionCtx:
    """The ``ctx`` of one ``apply``: what ``forward`` leaves for ``backward``."""

    def __init__(self):
        self.needs_input_grad: tuple[bool, ...] = ()
        self._saved: tuple | None = None
        self._versions: tuple = ()
        self._node = None                # the recorded node: its release frees the saves
        self._non_differentiable: list = []
        self._dirty: list = []
        self.materialize_grads = True

    def save_for_backward(self, *tensors) -> None:
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError("save_for_backward can only save variables, but argument "
                                f"{tensors.index(t)} is of type {type(t).__name__}")
        self._saved = tensors
        self._versions = tuple(None if t is None else t._vc[0] for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        if self._node is not None and self._node.__dict__.get("saves_freed"):
            raise RuntimeError(SECOND_BACKWARD)
        if self._saved is None:
            return ()
        for t, v in zip(self._saved, self._versions):
            if t is not None and t._vc[0] != v:
                # Named after what made the tensor now, as PyTorch checks on access.
                raise modified_error(t._vc[0], v, t._data.dtype, t._data.shape,
                                     None if t.grad_fn is None else type(t.grad_fn))
        return tuple(self._saved)

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_differentiable.extend(tensors)

    def mark_dirty(self, *tensors) -> None:
        """``forward`` changed these inputs in place: they become its outputs' history."""
        self._dirty.extend(tensors)

    def set_materialize_grads(self, value: bool) -> None:
        """With False, ``backward`` gets None (not zeros) for outputs that got no gradient."""
        self.materialize_grads = bool(value)


class _FunctionNode(Node):
    """A custom function's node: releasing it frees ``ctx``'s saved values, so only a
    backward that reads ``ctx.saved_tensors`` again fails (as in PyTorch)."""

    __slots__ = ()

    def release(self) -> None:
        self.__dict__["saves_freed"] = True


class _FunctionMeta(type):
    """Gives every ``Function`` subclass its node class, ``<Name>Backward``."""

    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        node = type(f"{name}Backward", (_FunctionNode,), {"__slots__": ()})
        node.__module__ = "torch.autograd.function"     # PyTorch prints this path
        cls._backward_cls = node


class Function(metaclass=_FunctionMeta):
    """Base class of user-defined differentiable operations (see the module text)."""

    def __init__(self, *args, **kwargs):
        warnings.warn(f"{type(self)} should not be instantiated. Methods on autograd "
                      "functions are all static, so you should invoke them on the class "
                      "itself. Instantiating an autograd function will raise an error in a "
                      "future version of PyTorch.", DeprecationWarning, stacklevel=2)

    @staticmethod
    def forward(*args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode "
                                  "AD.")

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        new_style = cls.setup_context is not Function.setup_context
        with grad_mode.no_grad():
            if new_style:
                out = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, out)
            else:
                out = cls.forward(ctx, *args, **kwargs)
        multi = isinstance(out, tuple)
        outs = out if multi else (out,)
        # An input marked dirty was changed in place: like an in-place op, it is bumped
        # and (below) takes the node as its history. Any other input returned as is
        # comes back as a new Tensor sharing its data (and version counter), so the
        # node's history does not overwrite the input's.
        dirty = {id(t) for t in ctx._dirty}
        for t in ctx._dirty:
            if t._requires_grad and t.grad_fn is None and grad_mode._state.enabled:
                raise RuntimeError("a leaf Variable that requires grad has been used in an "
                                   "in-place operation.")
            t._vc[0] += 1
        ins = [a for a in args if isinstance(a, Tensor)]
        outs = tuple(_alias(o) if id(o) not in dirty and any(o is a for a in ins) else o
                     for o in outs)
        if not (grad_mode._state.enabled and any(ctx.needs_input_grad)):
            return outs if multi else outs[0]
        return _record(cls, ctx, args, outs, multi)


def _alias(t: Tensor) -> Tensor:
    r = Tensor._wrap(t._data)
    r._vc = t._vc
    return r


def _record(cls, ctx, args, outs, multi):
    name = cls._backward_cls.__name__
    tensors = [i for i, o in enumerate(outs) if isinstance(o, Tensor)]
    frozen = {id(t) for t in ctx._non_differentiable}
    live = [i for i in tensors if id(outs[i]) not in frozen
            and outs[i]._data.dtype.kind in "fc"]
    # One edge per Tensor argument (PyTorch's next_functions); gradients for the others
    # must be None.
    where = [k for k, a in enumerate(args) if isinstance(a, Tensor)]
    inputs = [args[k] for k in where]
    shapes = [a._data.shape if isinstance(a, Tensor) and a._requires_grad else None
              for a in args]

    def check(grads):
        if not isinstance(grads, tuple):
            grads = (grads,)
        if len(grads) > len(args) and all(g is None for g in grads[len(args):]):
            grads = grads[:len(args)]
        if len(grads) != len(args):
            raise RuntimeError(f"function {name} returned an incorrect number of gradients "
                               f"(expected {len(args)}, got {len(grads)})")
        res = []
        for k, (g, shape) in enumerate(zip(grads, shapes)):
            if g is None or shape is None:
                res.append(None)
                continue
            gs = np.shape(g._data if isinstance(g, Tensor) else g)
            if gs != shape and not _expandable(shape, gs):
                raise RuntimeError(f"Function {name} returned an invalid gradient at index "
                                   f"{k} - got [{', '.join(map(str, gs))}] but expected shape "
                                   f"compatible with [{', '.join(map(str, shape))}]")
            res.append(g)
        return res

    def first_order(gs):
        # One array per output of the node; the user's backward sees Tensors.
        with grad_mode.no_grad():
            grads = check(cls.backward(ctx, *_cotangents(gs, outs, ctx.materialize_grads)))
        res = []
        for k in where:
            g = grads[k]
            if g is not None:
                g = g._data if isinstance(g, Tensor) else np.asarray(g)
                if g.shape != shapes[k]:
                    g = unbroadcast_to(g, shapes[k])
            res.append(g)
        return res

    def higher(gs):
        grads = check(cls.backward(ctx, *gs))
        return [None if grads[k] is None else grads[k] if isinstance(grads[k], Tensor)
                else Tensor(grads[k]) for k in where]

    if not live:                          # nothing differentiable came out
        return outs if multi else outs[0]
    once = getattr(cls.backward, "_once_differentiable", False)
    outputs = tuple(outs[i]._data for i in live)
    node_outs = apply_custom(name, first_order_live(first_order, live, outs), inputs,
                             outputs if len(live) > 1 else outputs[0],
                             higher=None if once else higher_live(higher, live, outs,
                                                                     ctx.materialize_grads),
                             cls=cls._backward_cls)
    node_outs = node_outs if isinstance(node_outs, tuple) else (node_outs,)
    node = ctx._node = node_outs[0].grad_fn   # saved values are checked when read
    if not ctx.materialize_grads:
        node.materialize = False
    result = list(outs)
    for i, t in zip(live, node_outs):
        o = outs[i]
        t._vc = o._vc            # the Tensor forward returned is the one users hold
        o._requires_grad, o.grad_fn, o._output_nr = True, node, t._output_nr
        result[i] = o
    return tuple(result) if multi else result[0]


def first_order_live(fn, live, outs):
    """The node's outputs are the differentiable ones only; backward sees every output
    (zeros for the others, as PyTorch materializes them)."""
    def run(gs):
        full = [None] * len(outs)
        for i, g in zip(live, gs):
            full[i] = g
        return fn(full)
    return run


def higher_live(fn, live, outs, materialize=True):
    def run(gs):
        full = [None] * len(outs)
        for i, g in zip(live, gs):
            full[i] = g
        return fn(tuple(_zeros_like_output(o) if g is None and materialize
                        and isinstance(o, Tensor) else g for g, o in zip(full, outs)))
    return run


def _zeros_like_output(o: Tensor) -> Tensor:
    return Tensor._wrap(np.zeros(o._data.shape, o._data.dtype))


def _cotangents(gs, outs, materialize=True):
    res = []
    for g, o in zip(gs, outs):
        if not isinstance(o, Tensor):
            res.append(None)
        elif g is None:
            res.append(_zeros_like_output(o) if materialize else None)
        else:
            res.append(Tensor._wrap(np.asarray(g)))
    return res


def _expandable(shape: tuple, target: tuple) -> bool:
    """Whether ``shape`` broadcasts to ``target`` (the gradient can be summed back)."""
    if len(shape) > len(target):
        return False
    return all(s == 1 or s == t for s, t in zip(shape[::-1], target[::-1]))


def once_differentiable(fn):
    """Mark a ``backward`` whose own operations need no gradient: it runs without
    recording, and a ``create_graph=True`` backward through it is refused."""
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with grad_mode.no_grad():
            return fn(ctx, *args)
    wrapper._once_differentiable = True
    return wrapper
