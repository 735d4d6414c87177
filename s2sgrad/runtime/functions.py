"""Top-level functions (``s2sgrad.exp``, ``s2sgrad.cat``, ``s2sgrad.where``, ...).

Each accepts Tensors (and dispatches to the Tensor method, recording a node) or
plain arrays (and computes the primal). Each is declared an ``alias`` of its
primal in the rule table, so the compiler treats ``s2sgrad.exp`` inside a
decorated function exactly like ``np.exp``. Also PyTorch's constants (``pi``,
``e``, ``inf``, ``nan``) and a ``cuda`` namespace reporting that no GPU exists.
"""
from __future__ import annotations

import math
import types

import numpy as np

from ..rules import alias
from ..rules import torchlike as tl
from .ops import apply
from .tensor import Tensor

__all__ = ["exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu", "sum", "mean",
           "matmul", "mm", "cat", "stack", "where", "max", "min", "maximum", "minimum",
           "softmax", "log_softmax", "clamp", "clip", "flatten", "reshape", "transpose",
           "permute", "unsqueeze", "squeeze", "norm", "pow", "neg", "log1p", "argmax", "argmin",
           "equal", "allclose", "is_tensor", "numel", "square", "logsumexp", "dot", "t",
           "rsub", "add", "sub", "mul", "div", "clone", "var", "std", "exp2", "outer",
           "prod", "cumsum", "all", "any", "isclose", "einsum",
           "sign", "floor", "ceil", "round", "trunc", "fix", "frac", "tan", "log2", "log10",
           "erf", "lerp", "split", "chunk", "gather", "scatter", "index_select", "topk", "sort",
           "argsort", "flip", "roll", "masked_fill", "bmm", "unique",
           "pi", "e", "inf", "nan", "cuda"]


def _method(name, primal):
    def fn(x, *args, **kwargs):
        if isinstance(x, Tensor):
            return getattr(x, name)(*args, **kwargs)
        return primal(x, *args, **kwargs)
    fn.__name__ = fn.__qualname__ = name
    alias(fn, primal)
    return fn


exp = _method("exp", np.exp)
log = _method("log", np.log)
log1p = _method("log1p", np.log1p)
sqrt = _method("sqrt", np.sqrt)
abs = _method("abs", np.abs)
sin = _method("sin", np.sin)
cos = _method("cos", np.cos)
tanh = _method("tanh", np.tanh)
sigmoid = _method("sigmoid", tl.sigmoid)
relu = _method("relu", tl.relu)
neg = _method("neg", np.negative)
square = _method("square", np.square)
sum = _method("sum", np.sum)
mean = _method("mean", np.mean)
prod = _method("prod", np.prod)
matmul = _method("matmul", np.matmul)
mm = _method("mm", np.matmul)
dot = _method("dot", np.matmul)
t = _method("t", np.transpose)
pow = _method("pow", np.power)
clamp = _method("clamp", tl.clamp)
clip = clamp
reshape = _method("reshape", np.reshape)
transpose = _method("transpose", tl.transpose)
permute = _method("permute", tl.permute)
unsqueeze = _method("unsqueeze", tl.unsqueeze)
squeeze = _method("squeeze", tl.squeeze)
norm = _method("norm", tl.vector_norm)
softmax = _method("softmax", tl.softmax)
log_softmax = _method("log_softmax", tl.log_softmax)
logsumexp = _method("logsumexp", tl.logsumexp)
clone = _method("clone", tl.clone)
var = _method("var", tl.var)
std = _method("std", tl.std)
cumsum = _method("cumsum", tl.cumsum)
argmax = _method("argmax", np.argmax)
argmin = _method("argmin", np.argmin)
all = _method("all", np.all)
any = _method("any", np.any)
add = _method("add", np.add)
sub = _method("sub", np.subtract)
mul = _method("mul", np.multiply)
div = _method("div", np.divide)


def flatten(x, start_dim: int = 0, end_dim: int = -1):
    if isinstance(x, Tensor):
        return x.flatten(start_dim, end_dim)
    return Tensor._wrap(np.asarray(x)).flatten(start_dim, end_dim)._data


exp2 = _method("exp2", np.exp2)


def rsub(x, other):
    return other - x


def _pairwise(primal, name):
    def fn(a, b):
        if isinstance(a, Tensor) or isinstance(b, Tensor):
            return apply(primal, a, b, name=name)
        return primal(a, b)
    fn.__name__ = primal.__name__
    alias(fn, primal)
    return fn


maximum = _pairwise(np.maximum, "MaximumBackward0")
minimum = _pairwise(np.minimum, "MinimumBackward0")
outer = _pairwise(np.outer, "OuterBackward0")


def max(x, dim=None, keepdim=False):
    """``torch.max``: the full maximum, ``(values, indices)`` along ``dim``, or the
    elementwise maximum with a second array. On arrays (compiled code) the same."""
    if isinstance(x, Tensor):
        return x.max(dim, keepdim)
    if dim is None:
        return np.max(x)
    if isinstance(dim, np.ndarray):
        return np.maximum(x, dim)
    return tl.max_dim(x, dim, keepdim)


def min(x, dim=None, keepdim=False):
    """``torch.min``: as ``max``."""
    if isinstance(x, Tensor):
        return x.min(dim, keepdim)
    if dim is None:
        return np.min(x)
    if isinstance(dim, np.ndarray):
        return np.minimum(x, dim)
    return tl.min_dim(x, dim, keepdim)


def cat(tensors, dim: int = 0, axis=None):
    dim = axis if axis is not None else dim
    if not any(isinstance(x, Tensor) for x in tensors):
        return np.concatenate(tensors, axis=dim)
    ts = [x if isinstance(x, Tensor) else Tensor(x) for x in tensors]
    return apply(tl.cat, ts, dim, name="CatBackward0")


concat = concatenate = cat


def stack(tensors, dim: int = 0, axis=None):
    dim = axis if axis is not None else dim
    if not any(isinstance(x, Tensor) for x in tensors):
        return np.stack(tensors, axis=dim)
    ts = [x if isinstance(x, Tensor) else Tensor(x) for x in tensors]
    return apply(tl.stack, ts, dim, name="StackBackward0")


alias(cat, tl.cat)
alias(stack, tl.stack)


def einsum(equation: str, *operands):
    """``torch.einsum``: operands may be Tensors (recorded) or arrays."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if any(isinstance(o, Tensor) for o in operands):
        return apply(tl.einsum, equation, list(operands), name="EinsumBackward0")
    return tl.einsum(equation, operands)


def where(condition, input=None, other=None):
    if input is None:
        cond = condition._data if isinstance(condition, Tensor) else condition
        return tuple(Tensor._wrap(i.astype(np.int64)) for i in np.nonzero(cond))
    cond = condition._data if isinstance(condition, Tensor) else condition
    if isinstance(input, Tensor) or isinstance(other, Tensor):
        return apply(tl.where3, cond, input, other, name="WhereBackward0")
    return np.where(cond, input, other)


alias(where, tl.where3)


def equal(a, b) -> bool:
    return a.equal(b)


def allclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=False) -> bool:
    return bool(np.allclose(a._data, b._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=False):
    return Tensor._wrap(np.isclose(a._data, b._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def is_tensor(x) -> bool:
    return isinstance(x, Tensor)


def numel(x) -> int:
    return x.numel()


# -- rounding and more elementwise math, gathering, reordering --------------------------------
sign = _method("sign", np.sign)
floor = _method("floor", np.floor)
ceil = _method("ceil", np.ceil)
trunc = fix = _method("trunc", np.trunc)
frac = _method("frac", tl.frac)
tan = _method("tan", np.tan)
log2 = _method("log2", np.log2)
log10 = _method("log10", np.log10)
erf = _method("erf", tl.erf)
lerp = _method("lerp", tl.lerp)
gather = _method("gather", tl.gather)
roll = _method("roll", np.roll)
masked_fill = _method("masked_fill", tl.masked_fill)
bmm = _method("bmm", np.matmul)


def round(input, *, decimals=None):
    """``torch.round``: half to even, to ``decimals`` places when given."""
    if isinstance(input, Tensor):
        return input.round(decimals=decimals)
    return np.rint(input) if decimals is None else np.round(input, decimals)


def flip(input, dims):
    """``torch.flip``: ``dims`` must be a sequence (the method also takes ints)."""
    if not isinstance(dims, (tuple, list)):
        raise TypeError("flip(): argument 'dims' (position 2) must be tuple of ints, not "
                        f"{type(dims).__name__}")
    if isinstance(input, Tensor):
        return input.flip(dims)
    return np.flip(input, tuple(dims))


def scatter(input, dim: int, index, src=None, value=None, *, reduce=None):
    """``torch.scatter`` (out of place) with a tensor ``src`` or a number ``value``."""
    if isinstance(input, Tensor):
        return input.scatter(dim, index, src, value, reduce=reduce)
    return tl.scatter(input, dim, index, value if src is None else src)


def index_select(input, dim: int, index):
    if isinstance(input, Tensor):
        return input.index_select(dim, index)
    return np.take(input, index, axis=dim)


def argsort(input, dim: int = -1, descending: bool = False, stable: bool = False):
    if isinstance(input, Tensor):
        return input.argsort(dim, descending, stable)
    return tl.sort_order(np.asarray(input), dim, descending)


# Tensors only: several outputs (or integer ones) with PyTorch's node names.
def split(tensor, split_size_or_sections, dim: int = 0):
    return tensor.split(split_size_or_sections, dim)


def chunk(input, chunks: int, dim: int = 0):
    return input.chunk(chunks, dim)


def sort(input, dim: int = -1, descending: bool = False, **kwargs):
    """``torch.sort``: ``(values, indices)``; ``stable=`` (keyword only) as in PyTorch."""
    return input.sort(dim, descending, **kwargs)


def topk(input, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """``torch.topk``: the ``k`` largest (or smallest) values along ``dim``, with indices."""
    return input.topk(k, dim, largest, sorted)


def unique(input, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim=None):
    return input.unique(sorted, return_inverse, return_counts, dim)


alias(flip, np.flip)
alias(round, np.round)
alias(scatter, tl.scatter)

pi = math.pi
e = math.e
inf = math.inf
nan = math.nan


def _cuda_is_available() -> bool:
    return False


def _cuda_device_count() -> int:
    return 0


# ``torch.cuda``: this package runs on the CPU only.
cuda = types.SimpleNamespace(is_available=_cuda_is_available, device_count=_cuda_device_count)
