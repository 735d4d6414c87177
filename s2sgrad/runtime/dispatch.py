"""Dispatchers: NumPy functions, operators and array methods that record on Tensors.

Takes: a callable from the rule table's world (``np.exp``, a helper, ``max``), or
an operator, attribute or ndarray method, and arguments that may be Tensors.
Gives: ``dispatcher(fn)``, which records a graph node through ``ops.apply`` when
an argument is a Tensor that requires grad (and grad mode is on), runs a helper's
composite form (``rules.helper_rules.composite``) in the same case, passes
Tensors through structural callables (``list``, ``zip``), and otherwise calls
the plain function on plain arrays; the operator, attribute and method
dispatchers the source rewrite in ``higher`` binds (``METHODS`` lists the
ndarray methods understood, with NumPy's meaning, not the Tensor class's).
Invariant: on values that need no gradient every dispatcher computes exactly
what the plain call computes; a callable with no rule, composite form or
declaration raises when a gradient would have to pass through it, never
returning a constant in silence.
"""
from __future__ import annotations

import operator
from collections.abc import Callable

import gast
import numpy as np

from ..rules import helper_rules as H
from ..rules import is_nondifferentiable, lookup
from ..rules import torchlike as tl
from . import grad_mode
from .tensor import Tensor

__all__ = ["METHODS", "Dispatch", "dispatcher"]


# ---------------------------------------------------------------- what needs a graph

def _req(a) -> bool:
    if isinstance(a, Tensor):
        return a._requires_grad
    if type(a) is list or type(a) is tuple:
        for x in a:
            if isinstance(x, Tensor) and x._requires_grad:
                return True
    return False


def _needs(args, kwargs) -> bool:
    if not grad_mode._state.enabled:
        return False
    for a in args:
        if _req(a):
            return True
    return any(_req(a) for a in kwargs.values())


def _plain(a):
    if isinstance(a, Tensor):
        return a._data
    if (type(a) is list or type(a) is tuple) and any(isinstance(x, Tensor) for x in a):
        return type(a)(x._data if isinstance(x, Tensor) else x for x in a)
    return a


def _name(fn) -> str:
    mod = getattr(fn, "__module__", None) or ""
    return (mod + "." if mod and mod != "builtins" else "") + getattr(
        fn, "__qualname__", getattr(fn, "__name__", repr(fn)))


def _apply(fn, rule, args, kwargs):
    """``ops.apply`` with differentiable keyword arguments moved to their positions."""
    from .ops import apply
    if any(_req(v) for v in kwargs.values()):
        args, kwargs = list(args), dict(kwargs)
        params = rule.params
        while kwargs:
            if len(args) >= len(params) or params[len(args)] not in kwargs:
                break
            args.append(kwargs.pop(params[len(args)]))
        if any(_req(v) for v in kwargs.values()):
            raise NotImplementedError(
                f"{_name(fn)}: a keyword argument that requires grad cannot be placed by "
                "position, so its gradient would be lost; pass it positionally")
    return apply(fn, *args, **{k: _plain(v) for k, v in kwargs.items()})


class Dispatch:
    """Calls ``fn`` with NumPy semantics, recording a node when a gradient is needed."""

    __slots__ = ("fn", "rule", "kind", "impl")

    def __init__(self, fn):
        self.fn = fn
        self.rule = lookup(fn)
        self.impl = None
        if self.rule is not None:
            self.kind = "rule"
        elif H.composite_of(fn) is not None:
            self.kind = "composite"
        elif H.is_structural(fn):
            self.kind = "structural"
        elif is_nondifferentiable(fn):
            self.kind = "constant"
        else:
            self.kind = None

    def __call__(self, *args, **kwargs):
        kind = self.kind
        if kind == "structural":
            return self.fn(*args, **kwargs)
        if _needs(args, kwargs):
            if kind == "rule":
                return _apply(self.fn, self.rule, args, kwargs)
            if kind == "composite":
                if self.impl is None:
                    from .higher import tensorize
                    self.impl = tensorize(H.composite_of(self.fn))
                try:
                    return self.impl(*args, **kwargs)
                except NotImplementedError as e:
                    return _refusing(self.fn, args, kwargs, e)
            if kind is None:
                raise NotImplementedError(
                    f"{_name(self.fn)} has no gradient rule, so a derivative through it "
                    "cannot be recorded (create_graph=True); register one with "
                    "s2sgrad.rules.rule, or declare it nondifferentiable")
        return self.fn(*[_plain(a) for a in args], **{k: _plain(v) for k, v in kwargs.items()})

    def __repr__(self) -> str:
        return f"<dispatch {_name(self.fn)} ({self.kind})>"


def _refusing(fn, args, kwargs, error: NotImplementedError):
    """``fn``'s exact value, from a node that raises ``error`` only if a gradient is
    asked of it: a composite form that cannot be differentiated at this point must not
    stop the values (the first-order gradient) from being computed."""
    from .ops import apply_custom
    out = fn(*[_plain(a) for a in args], **{k: _plain(v) for k, v in kwargs.items()})
    if isinstance(out, list):
        out = tuple(out)
    if isinstance(out, tuple) and any(o is None for o in out):
        raise error
    inputs = [x for a in list(args) + list(kwargs.values())
              for x in (a if type(a) is list or type(a) is tuple else (a,))]

    def refuse(gs):
        raise NotImplementedError(str(error)) from error

    return apply_custom("NotImplemented", refuse, inputs, out, higher=refuse)


_DISPATCH: dict[int, Dispatch] = {}
_KEEP: list = []


def dispatcher(fn) -> Dispatch:
    """The (cached) dispatcher of callable ``fn``."""
    d = _DISPATCH.get(id(fn))
    if d is None or d.fn is not fn:
        d = _DISPATCH[id(fn)] = Dispatch(fn)
        _KEEP.append(fn)
    return d


# ---------------------------------------------------------------- operators, attributes, methods

def _binary(ufunc, pyop):
    d = dispatcher(ufunc)

    def op(a, b):
        if isinstance(a, Tensor) or isinstance(b, Tensor):
            return d(a, b)
        return pyop(a, b)
    return op


def _unary(ufunc, pyop):
    d = dispatcher(ufunc)

    def op(a):
        if isinstance(a, Tensor):
            return d(a)
        return pyop(a)
    return op


_BINOPS = {
    gast.Add: _binary(np.add, operator.add), gast.Sub: _binary(np.subtract, operator.sub),
    gast.Mult: _binary(np.multiply, operator.mul),
    gast.Div: _binary(np.true_divide, operator.truediv),
    gast.FloorDiv: _binary(np.floor_divide, operator.floordiv),
    gast.Mod: _binary(np.remainder, operator.mod), gast.Pow: _binary(np.power, operator.pow),
    gast.MatMult: _binary(np.matmul, operator.matmul),
    gast.BitAnd: _binary(np.bitwise_and, operator.and_),
    gast.BitOr: _binary(np.bitwise_or, operator.or_),
    gast.BitXor: _binary(np.bitwise_xor, operator.xor),
    gast.LShift: _binary(np.left_shift, operator.lshift),
    gast.RShift: _binary(np.right_shift, operator.rshift),
}
_UNARY = {gast.USub: _unary(np.negative, operator.neg),
          gast.UAdd: _unary(np.positive, operator.pos),
          gast.Invert: _unary(np.invert, operator.invert)}
_COMPARE = {gast.Eq: _binary(np.equal, operator.eq), gast.NotEq: _binary(np.not_equal,
                                                                         operator.ne),
            gast.Lt: _binary(np.less, operator.lt), gast.LtE: _binary(np.less_equal,
                                                                      operator.le),
            gast.Gt: _binary(np.greater, operator.gt),
            gast.GtE: _binary(np.greater_equal, operator.ge)}

def _augmented(binop, iop):
    """``x op= y``: in place on plain values; out of place when a Tensor takes part,
    which is the same for a fresh local array and is refused for a view (whose base
    the in-place write was meant to change)."""
    def aug(x, y):
        if isinstance(x, Tensor) or isinstance(y, Tensor):
            if isinstance(x, np.ndarray) and x.base is not None and _req(y):
                raise NotImplementedError("an in-place update of a NumPy view by a value "
                                          "that requires grad would lose its gradient")
            return binop(x, y)
        return iop(x, y)
    return aug


_AUGMENTED = {op: _augmented(_BINOPS[op], iop) for op, iop in (
    (gast.Add, operator.iadd), (gast.Sub, operator.isub), (gast.Mult, operator.imul),
    (gast.Div, operator.itruediv), (gast.FloorDiv, operator.ifloordiv),
    (gast.Mod, operator.imod), (gast.Pow, operator.ipow), (gast.MatMult, operator.imatmul),
    (gast.BitAnd, operator.iand), (gast.BitOr, operator.ior), (gast.BitXor, operator.ixor),
    (gast.LShift, operator.ilshift), (gast.RShift, operator.irshift))}


def _store(obj, key, value) -> None:
    """``obj[key] = value``; a Tensor target records the write, a NumPy array refuses a
    value that requires grad (the gradient would be lost)."""
    if isinstance(obj, np.ndarray) and _req(value):
        raise NotImplementedError("writing a value that requires grad into a NumPy array "
                                  "would lose its gradient")
    obj[key] = value


_META = frozenset({"shape", "dtype", "ndim", "size", "itemsize", "nbytes", "strides", "flags"})


def _attr(obj, name: str):
    """``obj.name`` with ndarray meaning when ``obj`` is a Tensor."""
    if isinstance(obj, Tensor):
        if name in _META:
            return getattr(obj._data, name)
        if name == "T":
            return dispatcher(np.transpose)(obj)
        if name == "mT":
            return dispatcher(np.swapaxes)(obj, -1, -2)
        raise NotImplementedError(f"array attribute .{name} has no Tensor form in a "
                                  "differentiated adjoint")
    return getattr(obj, name)


def _packed(fn):
    """``a.reshape(2, 3)`` / ``a.transpose(1, 0)``: varargs become one tuple argument."""
    d = dispatcher(fn)

    def method(a, *shape, **kwargs):
        if len(shape) > 1:
            shape = (shape,)
        return d(a, *shape, **kwargs)
    return method


def _via(fn):
    d = dispatcher(fn)
    return lambda a, *args, **kwargs: d(a, *args, **kwargs)


# ndarray methods an adjoint may call, each as the NumPy function of the same meaning.
METHODS: dict[str, Callable] = {
    name: _via(getattr(np, name)) for name in (
        "sum", "mean", "prod", "max", "min", "cumsum", "cumprod", "var", "std", "ravel",
        "copy", "squeeze", "swapaxes", "repeat", "take", "clip", "round", "dot", "trace",
        "diagonal", "argmax", "argmin", "argsort", "nonzero", "any", "all")}
METHODS.update({
    "reshape": _packed(np.reshape), "transpose": _packed(np.transpose),
    "flatten": _via(np.ravel), "astype": _via(tl.cast),
})


def _method(obj, name: str, *args, **kwargs):
    """``obj.name(*args)``: an ndarray method keeps its NumPy meaning on Tensors."""
    if isinstance(obj, (Tensor, np.ndarray)):
        if isinstance(obj, Tensor) and not _needs((obj,) + args, kwargs):
            obj = obj._data
        if isinstance(obj, np.ndarray) and not _needs(args, kwargs):
            return getattr(obj, name)(*[_plain(a) for a in args],
                                      **{k: _plain(v) for k, v in kwargs.items()})
        f = METHODS.get(name)
        if f is None:
            raise NotImplementedError(f"array method .{name}() has no Tensor form in a "
                                      "differentiated adjoint; call the NumPy function instead")
        return f(obj, *args, **kwargs)
    return getattr(obj, name)(*args, **kwargs)
