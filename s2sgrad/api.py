"""The public functional API of the compiler: ``grad``, ``gradient``, ``vjp``, ``show``.

Takes: plain Python functions over NumPy arrays and floats (written NumPy- or
PyTorch-style). Gives: ``grad(f)``, a callable that keeps f's meaning and,
called with Tensors that require grad, returns Tensors carrying ONE graph node
(``LossBackward`` for ``loss``) whose backward runs the generated adjoint; and
the functional forms ``gradient``, ``value_and_grad`` and ``vjp`` on arrays.
``checkpoint`` marks a loop (``with checkpoint(snapshots=k):``) whose adjoint keeps
at most k loop states and recomputes the rest; the ``checkpoint=`` option of
``grad``, ``gradient`` and ``value_and_grad`` marks every outermost loop.
Tensors f reads from outside (a global, a closure variable, an attribute of an object
known while compiling, e.g. ``W`` or ``model.w``) are hidden inputs of ``grad(f)``'s node:
their arrays are passed in, and the gradient flows into those that require grad, as it
would eagerly. The array API (``gradient``, ``value_and_grad``, ``vjp``) differentiates
only with respect to its arguments and reads every captured Tensor as a constant array
(its current value), whether or not it requires grad: a partial derivative, like a
closed-over value in ``jax.grad``; no ``.grad`` is touched.
Methods of arguments that are instances of plain user classes are compiled: the
compilation is specialised on their classes (another class, another compilation).
Invariant: gradients have their input's shape and kind (a float input gets a
float back); compiled code is cached per (function, differentiated inputs, classes
of user-object arguments) and revalidated by cheap guards on every call.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from .compiler.calls import spec_of
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
        self._plain: dict = {}          # spec -> the compilation differentiating nothing
        self._last_mask: tuple[bool, ...] | None = None
        self._last_spec: tuple | None = None
        self.__name__ = fn.__name__
        self.__qualname__ = fn.__qualname__
        self.__doc__ = fn.__doc__
        self.__wrapped__ = fn

    def compiled(self, mask: tuple[bool, ...], spec: tuple | None = None) -> Compiled:
        """``mask`` covers f's parameters, then the Tensors f captures."""
        self._last_mask, self._last_spec = mask, spec
        return compile_function(self.fn, mask, self.checkpoint, True, spec)

    def _plain_compiled(self, spec: tuple | None) -> Compiled:
        c = self._plain.get(spec)
        if c is None or not c.guards.hold():
            c = self._plain[spec] = compile_function(self.fn, (False,) * len(self.params),
                                                     self.checkpoint, True, spec)
        return c

    def __call__(self, *args, **kwargs):
        T = _Tensor
        if kwargs:
            ba = inspect.signature(self.fn).bind(*args, **kwargs)
            spec = spec_of([ba.arguments.get(p) for p in self.params])
        else:
            spec = spec_of(args)
        c0 = self._plain_compiled(spec)
        caps = c0.captures
        if T is None or not caps and not (any(isinstance(a, T) for a in args) or any(
                isinstance(v, T) for v in kwargs.values())):
            return c0.primal(*args, **kwargs)
        if kwargs:
            args = tuple(ba.arguments[p] for p in self.params if p in ba.arguments)
            kwargs = {}
        hidden = {k.name: k.tensor._data for k in caps}
        arrays = [a._data if isinstance(a, T) else a for a in args]
        if self.wrt is not None:
            want = _mask(self.fn, self.params, self.wrt)
            mask = tuple(w and i < len(args) and isinstance(args[i], T) and
                         args[i].requires_grad for i, w in enumerate(want))
        else:
            mask = tuple(i < len(args) and isinstance(args[i], T) and args[i].requires_grad
                         for i in range(len(self.params)))
        # Captured Tensors are inputs of the node after the arguments (padded to the
        # parameters, so the mask lines up with the compiled function's parameters).
        mask = mask + (False,) * (len(self.params) - len(mask))
        mask += tuple(k.tensor.requires_grad for k in caps)
        inputs = list(args) + [k.tensor for k in caps]
        from .runtime import ops
        if not any(mask) or not _grad_mode.is_grad_enabled():
            return ops.apply_custom(self.node_name, None, inputs, c0.primal(*arrays, **hidden))
        c = self.compiled(mask, spec)
        if [k.name for k in c.captures] != [k.name for k in caps]:  # pragma: no cover
            raise RuntimeError(f"{self.__name__}: captured Tensors changed while compiling")
        out, tape = c.fwd(*arrays, **hidden)
        multi = isinstance(out, tuple)
        n = len(self.params)
        positions = [i if i < n else len(args) + i - n for i, m in enumerate(mask) if m]
        values = arrays + list(hidden.values())

        tapes = [tape]

        def backward(gs):
            grads = c.adj(_take(tapes, c, arrays, hidden), tuple(gs) if multi else gs[0])
            res: list[Any] = [None] * len(inputs)
            for i, g in zip(positions, grads):
                res[i] = None if g is None else _as_input_kind(g, values[i])
            return tuple(res)
        # ``higher`` reruns the function on Tensors when a backward asks for create_graph.
        return ops.apply_custom(self.node_name, backward, inputs, out,
                                higher=_retraced(self.fn, list(args), inputs))

    @property
    def source(self) -> str:
        """The generated source: the primal, the forward sweep with saves, the adjoint."""
        mask, spec = self._last_mask, self._last_spec
        if mask is None:
            mask = (_mask(self.fn, self.params, self.wrt) if self.wrt is not None
                    else (True,) * len(self.params))
            mask += (True,) * len(self._plain_compiled(spec).captures)
        return compile_function(self.fn, mask, self.checkpoint, True, spec).source

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

    held: dict = {}
    one = len(pos) == 1

    def vg(*args, **kwargs):
        if kwargs:
            args = _bind(fn, params, args, kwargs)
        spec = spec_of(args)
        c = held.get(spec)
        if c is None or not c.guards.hold():
            c = held[spec] = compile_function(fn, mask, checkpoint, True, spec)
        if c.captures:      # read as constants: the array API differentiates its arguments
            out, tape = c.fwd(*args, **{k.name: k.tensor._data for k in c.captures})
        else:
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
    c = compile_function(fn, mask, None, True, spec_of(args))
    hidden = {k.name: k.tensor._data for k in c.captures}   # constants, as in gradient()
    out, tape = c.fwd(*args, **hidden)
    tapes = [tape]

    def pullback(ct):
        grads = c.adj(_take(tapes, c, args, hidden), ct)
        res: list[Any] = [None] * len(args)
        for i, g in zip(pos, grads):
            res[i] = _as_input_kind(g, args[i])
        return tuple(res)
    return out, pullback


def _take(tapes: list, c, args, hidden=None):
    """The tape for one reversal: the saved one, or (once an adjoint that undoes writes
    in place has consumed it) a fresh forward sweep over the same arguments."""
    tape = tapes[0]
    if tape is None:
        tape = c.fwd(*args, **(hidden or {}))[1]
    if c.consumes_tape:
        tapes[0] = None
    return tape


def _retraced(fn: Callable, args: list, inputs: list) -> Callable:
    """``runtime.higher.retraced`` for a node whose inputs are ``args`` then the Tensors
    ``fn`` captures: the rerun reads those itself, so their gradients come out too."""
    from .runtime.higher import retraced
    if len(inputs) == len(args):
        return retraced(fn, args)

    def backward(gs):
        from .autograd.functional import grad as tensor_grad
        from .runtime.higher import tensorize
        wanted = [i for i, a in enumerate(inputs) if isinstance(a, _Tensor) and
                  a._requires_grad]
        out = tensorize(fn)(*args)
        outs = out if isinstance(out, tuple) else (out,)
        pairs = [(o, g) for o, g in zip(outs, gs) if isinstance(o, _Tensor) and
                 o._requires_grad]
        res: list[Any] = [None] * len(inputs)
        if pairs and wanted:
            grads = tensor_grad([o for o, _ in pairs], [inputs[i] for i in wanted],
                                [g for _, g in pairs], create_graph=True, allow_unused=True)
            for i, g in zip(wanted, grads):
                res[i] = g
        return tuple(res)
    return backward


def show(f: Callable) -> None:
    """Print the generated source of ``grad(f)`` (or of a compiled function)."""
    g = f if isinstance(f, GradFunction) else GradFunction(f)
    print(g.source)
