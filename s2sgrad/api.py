"""The public functional API of the compiler: ``grad``, ``gradient``, ``vjp``, ``show``.

Takes: plain Python functions over NumPy arrays and floats (written NumPy- or
PyTorch-style). Gives: ``grad(f)``, a callable that keeps f's meaning and,
called with Tensors that require grad, returns Tensors carrying ONE graph node
(``LossBackward`` for ``loss``) whose backward runs the generated adjoint; and
the functional forms ``gradient``, ``value_and_grad`` and ``vjp`` on arrays.
``checkpoint`` marks a loop (``with checkpoint(snapshots=k):``) whose adjoint keeps
at most k loop states and recomputes the rest; the ``checkpoint=`` option of
``grad``, ``gradient`` and ``value_and_grad`` marks every outermost loop.
Invariant: gradients have their input's shape and kind (a float input gets a
float back); compiled code is cached per (function, differentiated inputs)
and revalidated by cheap guards on every call.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from .compiler.checkpoint import checkpoint
from .compiler.pipeline import Compiled, compile_function
from .rules.helpers import zeros_of

__all__ = ["GradFunction", "checkpoint", "grad", "gradient", "show", "value_and_grad", "vjp"]

try:  # the eager runtime; the functional API works without it
    from .runtime import grad_mode as _grad_mode
    from .runtime.tensor import Tensor as _Tensor
except ImportError:  # pragma: no cover - only while the runtime is incomplete
    _Tensor = None
    _grad_mode = None


def _is_float(a) -> bool:
    return (isinstance(a, np.ndarray) and a.dtype.kind == "f") or isinstance(a, float)


def _as_input_kind(g, x):
    """``g`` shaped and typed like the input ``x`` (None becomes zeros)."""
    if type(g) is np.ndarray and type(x) is np.ndarray and g.shape == x.shape:
        return g
    if type(g) is float and not isinstance(x, np.ndarray):
        return g
    if g is None:
        return zeros_of(x) if isinstance(x, np.ndarray) else 0.0
    if isinstance(x, np.ndarray):
        g = np.asarray(g)
        if g.shape != x.shape:
            g = np.broadcast_to(g, x.shape).copy() if g.size == 1 else g
        return g
    return float(g) if np.ndim(g) == 0 else float(np.sum(g))


def _seed(out):
    if isinstance(out, tuple):
        return tuple(_seed(o) for o in out)
    return np.ones_like(out) if isinstance(out, np.ndarray) else 1.0


def _mask(fn: Callable, params: list[str], wrt) -> tuple[bool, ...]:
    idx = set()
    for w in (wrt if isinstance(wrt, (tuple, list)) else (wrt,)):
        idx.add(params.index(w) if isinstance(w, str) else w)
    return tuple(i in idx for i in range(len(params)))


def _params(fn: Callable) -> list[str]:
    return [p.name for p in inspect.signature(fn).parameters.values()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _backward_name(fn: Callable) -> str:
    return "".join(p[:1].upper() + p[1:] for p in fn.__name__.split("_") if p) + "Backward"


class GradFunction:
    """``grad(f)``: f's value on arrays; one differentiable node on Tensors."""

    def __init__(self, fn: Callable, wrt=None, checkpoint=None):
        self.fn = fn
        self.wrt = wrt
        self.checkpoint = checkpoint
        self.params = _params(fn)
        self.node_name = _backward_name(fn)
        self._plain: Compiled | None = None
        self._last_mask: tuple[bool, ...] | None = None
        self.__name__ = fn.__name__
        self.__qualname__ = fn.__qualname__
        self.__doc__ = fn.__doc__
        self.__wrapped__ = fn

    def compiled(self, mask: tuple[bool, ...]) -> Compiled:
        self._last_mask = mask
        return compile_function(self.fn, mask, self.checkpoint)

    def _primal(self) -> Callable:
        c = self._plain
        if c is None or not c.guards.hold():
            c = self._plain = compile_function(self.fn, (False,) * len(self.params),
                                               self.checkpoint)
        return c.primal

    def __call__(self, *args, **kwargs):
        T = _Tensor
        if T is None or not (any(type(a) is T or isinstance(a, T) for a in args) or any(
                isinstance(v, T) for v in kwargs.values())):
            return self._primal()(*args, **kwargs)
        if kwargs:
            ba = inspect.signature(self.fn).bind(*args, **kwargs)
            args = tuple(ba.arguments[p] for p in self.params if p in ba.arguments)
            kwargs = {}
        arrays = [a._data if isinstance(a, T) else a for a in args]
        if self.wrt is not None:
            want = _mask(self.fn, self.params, self.wrt)
            mask = tuple(w and i < len(args) and isinstance(args[i], T) and
                         args[i].requires_grad for i, w in enumerate(want))
        else:
            mask = tuple(i < len(args) and isinstance(args[i], T) and args[i].requires_grad
                         for i in range(len(self.params)))
        from .runtime import ops
        if not any(mask) or not _grad_mode.is_grad_enabled():
            return ops.apply_custom(self.node_name, None, list(args),
                                    self._primal()(*arrays))
        c = self.compiled(mask)
        out, tape = c.fwd(*arrays)
        multi = isinstance(out, tuple)
        positions = [i for i, m in enumerate(mask) if m]

        tapes = [tape]

        def backward(gs):
            grads = c.adj(_take(tapes, c, arrays), tuple(gs) if multi else gs[0])
            res: list[Any] = [None] * len(args)
            for i, g in zip(positions, grads):
                res[i] = None if g is None else _as_input_kind(g, arrays[i])
            return tuple(res)
        from .runtime.higher import retraced
        # ``higher`` reruns the function on Tensors when a backward asks for create_graph.
        return ops.apply_custom(self.node_name, backward, list(args), out,
                                higher=retraced(self.fn, list(args)))

    @property
    def source(self) -> str:
        """The generated source: the primal, the forward sweep with saves, the adjoint."""
        mask = self._last_mask
        if mask is None:
            mask = (_mask(self.fn, self.params, self.wrt) if self.wrt is not None
                    else (True,) * len(self.params))
        return compile_function(self.fn, mask, self.checkpoint).source

    def __repr__(self) -> str:
        return f"<compiled {self.fn.__qualname__}>"


def grad(f: Callable | None = None, *, wrt=None, checkpoint=None):
    """Compile ``f`` for reverse mode; usable as ``@grad`` and ``grad(f, wrt=...)``.

    ``checkpoint=True`` (or a snapshot budget) checkpoints every outermost loop of ``f``.
    """
    if f is None:
        return lambda fn: GradFunction(fn, wrt, checkpoint)
    return GradFunction(f, wrt, checkpoint)


def _target(f: Callable) -> Callable:
    return f.fn if isinstance(f, GradFunction) else f


def _prepared(f: Callable, wrt):
    """(function, parameter names, mask, differentiated positions), computed once."""
    fn = _target(f)
    params = _params(fn)
    mask = _mask(fn, params, wrt)
    return fn, params, mask, [i for i, m in enumerate(mask) if m]


def _bind(fn, params, args, kwargs):
    if not kwargs:
        return args
    ba = inspect.signature(fn).bind(*args, **kwargs)
    return tuple(ba.arguments[p] for p in params if p in ba.arguments)


def value_and_grad(f: Callable, wrt=0, checkpoint=None) -> Callable:
    """``g(*args) -> (f(*args), gradient)``; a tuple ``wrt`` gives a tuple of gradients.

    ``checkpoint=True`` (or a snapshot budget) checkpoints every outermost loop of ``f``.
    """
    fn, params, mask, pos = _prepared(f, wrt)
    many = isinstance(wrt, (tuple, list))
    if checkpoint is None and isinstance(f, GradFunction):
        checkpoint = f.checkpoint

    held: list = [None]
    one = len(pos) == 1

    def vg(*args, **kwargs):
        if kwargs:
            args = _bind(fn, params, args, kwargs)
        c = held[0]
        if c is None or not c.guards.hold():
            c = held[0] = compile_function(fn, mask, checkpoint)
        out, tape = c.fwd(*args)
        grads = c.adj(tape, 1.0 if type(out) is float or type(out) is np.float64 else _seed(out))
        if one:
            g, x = grads[0], args[pos[0]]
            # The common case, a gradient already shaped like its array input, inline.
            if not (type(g) is np.ndarray and type(x) is np.ndarray and g.shape == x.shape):
                g = _as_input_kind(g, x)
            return out, ((g,) if many else g)
        res = tuple([_as_input_kind(g, args[i]) for i, g in zip(pos, grads)])
        return out, (res if many else res[0])
    return vg


def gradient(f: Callable, wrt=0, checkpoint=None) -> Callable:
    """``g(*args) -> df/d args[wrt]`` (sum of the outputs for a non-scalar f)."""
    vg = value_and_grad(f, wrt, checkpoint)
    return lambda *args, **kwargs: vg(*args, **kwargs)[1]


def vjp(f: Callable, *args) -> tuple[Any, Callable]:
    """``(f(*args), pullback)``; ``pullback(ct)`` gives one gradient per argument.

    Arguments that are not floating point (ints, int arrays, anything else) get
    None; a tuple output takes a tuple cotangent.
    """
    wrt = tuple(i for i, a in enumerate(args) if _is_float(a))
    fn, _, mask, pos = _prepared(f, wrt)
    c = compile_function(fn, mask)
    out, tape = c.fwd(*args)
    tapes = [tape]

    def pullback(ct):
        grads = c.adj(_take(tapes, c, args), ct)
        res: list[Any] = [None] * len(args)
        for i, g in zip(pos, grads):
            res[i] = _as_input_kind(g, args[i])
        return tuple(res)
    return out, pullback


def _take(tapes: list, c, args):
    """The tape for one reversal: the saved one, or (once an adjoint that undoes writes
    in place has consumed it) a fresh forward sweep over the same arguments."""
    tape = tapes[0]
    if tape is None:
        tape = c.fwd(*args)[1]
    if c.consumes_tape:
        tapes[0] = None
    return tape


def show(f: Callable) -> None:
    """Print the generated source of ``grad(f)`` (or of a compiled function)."""
    g = f if isinstance(f, GradFunction) else GradFunction(f)
    print(g.source)
