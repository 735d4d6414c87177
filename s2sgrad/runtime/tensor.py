"""``Tensor``: an ndarray with PyTorch's autograd semantics.

Takes: array-like data. Gives: the Tensor class core (construction, autograd
attributes, conversions, printing); the math methods are bound in ``methods``.
Invariant: ``_data`` is always an ``np.ndarray`` (0-d for scalars); ``_vc`` is a
one-element list, the version counter, shared with ``detach()`` views but not
with ``.data``; a tensor with a ``grad_fn`` always requires grad.
"""
from __future__ import annotations

import warnings

import numpy as np

from . import dtypes, grad_mode

__all__ = ["Tensor", "Size"]

_NONLEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
    "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
    "instead. See github.com/pytorch/pytorch/pull/30531 for more information.")


class Size(tuple):
    """``torch.Size``: a tuple that prints as ``torch.Size([2, 3])``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"torch.Size([{', '.join(map(str, self))}])"

    __str__ = __repr__

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n


def _to_array(data, dtype=None) -> np.ndarray:
    """Array from user data with PyTorch's dtype inference (float32 by default)."""
    npdt = dtypes.to_numpy(dtype)
    if isinstance(data, Tensor):
        arr = data._data
        return arr.astype(npdt) if npdt is not None else arr.copy()
    if isinstance(data, np.ndarray):
        return np.array(data, dtype=npdt, copy=True)
    if isinstance(data, (list, tuple)):
        _check_ragged(data)
        if any(isinstance(x, Tensor) for x in _flat(data)):
            data = _nested_values(data)
    arr = np.array(data, dtype=npdt)
    if npdt is None:
        if arr.dtype.kind == "f" and not isinstance(data, np.generic):
            arr = arr.astype(dtypes.get_default_dtype().np)
        elif arr.dtype.kind == "i":
            arr = arr.astype(np.int64)
        elif arr.dtype.kind == "c":
            arr = arr.astype(np.complex64)
        elif arr.dtype.kind not in "bu" and arr.dtype.kind != "f":
            raise TypeError(f"Could not infer dtype of {type(data).__name__}")
    return arr


def _flat(seq):
    for x in seq:
        if isinstance(x, (list, tuple)):
            yield from _flat(x)
        else:
            yield x


def _nested_values(seq):
    if isinstance(seq, Tensor):
        return seq._data
    if isinstance(seq, (list, tuple)):
        return [_nested_values(x) for x in seq]
    return seq


def _check_ragged(data, dim=0):
    if not isinstance(data, (list, tuple)) or not data:
        return
    first = data[0]
    if isinstance(first, (list, tuple)):
        n = len(first)
        for x in data:
            if not isinstance(x, (list, tuple)) or len(x) != n:
                got = len(x) if isinstance(x, (list, tuple)) else 1
                raise ValueError(f"expected sequence of length {n} at dim {dim + 1} (got {got})")
        for x in data:
            _check_ragged(x, dim + 1)


_backward = None        # autograd.functional.backward, bound on first use (import cycle)


class Tensor:
    """A multi-dimensional array that can record its history for autograd."""

    __slots__ = ("_data", "_requires_grad", "grad_fn", "_output_nr", "_grad", "_vc",
                 "_accum", "_is_view", "_retains_grad", "_inference", "__weakref__")
    __array_ufunc__ = None          # make NumPy defer ``ndarray + Tensor`` to Tensor
    __array_priority__ = 1000

    def __init__(self, data=None, requires_grad: bool = False, dtype=None):
        if data is None:
            data = np.zeros(0, np.float32)
        arr = _to_array(data, dtype)
        if isinstance(data, (list, tuple)) and dtype is None and arr.dtype.kind in "iu":
            arr = arr.astype(np.float32)      # torch.Tensor([...]) is always float
        self._data = arr
        self._requires_grad = False
        self.grad_fn = None
        self._output_nr = 0
        self._grad = None
        self._vc = [0]
        self._accum = None
        self._is_view = False
        self._retains_grad = False
        self._inference = grad_mode._state.inference
        if requires_grad:
            self.requires_grad_(True, _factory=True)

    @classmethod
    def _wrap(cls, arr) -> Tensor:
        """Fast constructor for an ndarray the caller hands over (no copy, no checks)."""
        t = object.__new__(Tensor)
        t._data = arr if type(arr) is np.ndarray else np.asarray(arr)
        t._requires_grad = False
        t.grad_fn = None
        t._output_nr = 0
        t._grad = None
        t._vc = [0]
        t._accum = None
        t._is_view = False
        t._retains_grad = False
        t._inference = grad_mode._state.inference
        return t

    # -- autograd attributes -----------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self.grad_fn is not None:
            if value:
                raise RuntimeError("you can only change requires_grad flags of leaf variables.")
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach().")
        if value and self._data.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point and complex dtype can require "
                               "gradients")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True, _factory: bool = False) -> Tensor:
        if self.grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to "
                    "use a computed variable in a subgraph that doesn't require differentiation "
                    "use var_no_grad = var.detach().")
            return self
        if requires_grad and self._data.dtype.kind not in "fc":
            if _factory:
                raise RuntimeError("Only Tensors of floating point and complex dtype can "
                                   "require gradients")
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        if requires_grad and self._inference and not grad_mode._state.inference:
            raise RuntimeError("Setting requires_grad=True on inference tensor outside "
                               "InferenceMode is not allowed.")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self):
        if self.grad_fn is not None and not self._retains_grad:
            warnings.warn(_NONLEAF_GRAD, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError("assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value._data.shape)}' to a "
                    f"tensor of size '{list(self._data.shape)}'. Please ensure that the "
                    "gradient and the tensor are the same size".replace(", ", ","))
            if value._data.dtype != self._data.dtype:
                from .printing_names import scalar_type_name
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype "
                    f"'{_c_type(value._data.dtype)}' to a tensor with grad_dtype "
                    f"'{scalar_type_name(self._data.dtype)}'. The gradient must match the "
                    "tensor's grad_dtype (defaults to the tensor's dtype). You can set the "
                    "tensor's grad_dtype attribute with a specific dtype, or None to allow any "
                    "dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor and "
                    "its gradient may break downstream systems that assume they match.")
        self._grad = value

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def retain_grad(self) -> None:
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        import weakref
        fn = self.grad_fn
        if fn.retained is None:
            fn.retained = {}
            fn.special = True
        fn.retained[self._output_nr] = weakref.ref(self)
        self._retains_grad = True

    def register_hook(self, hook):
        from .hooks import RemovableHandle
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require "
                               "gradient")
        if self.grad_fn is None:
            from .ops import accumulator
            acc = self._accum = accumulator(self)     # pinned: hooks outlive one graph
            if acc.hooks is None:
                acc.hooks = []
            acc.hooks.append(hook)
            return RemovableHandle(acc.hooks, hook)
        fn = self.grad_fn
        if fn.tensor_hooks is None:
            fn.tensor_hooks = {}
            fn.special = True
        hooks = fn.tensor_hooks.setdefault(self._output_nr, [])
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        from .ops import accumulator
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        acc = self._accum = accumulator(self)         # pinned: hooks outlive one graph
        return acc.register_hook(hook)

    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False,
                 inputs=None) -> None:
        global _backward
        if _backward is None:
            from ..autograd.functional import backward as _backward
        _backward(self, gradient, retain_graph, create_graph, inputs)

    def detach(self) -> Tensor:
        t = Tensor._wrap(self._data)
        t._vc = self._vc
        t._is_view = True
        return t

    def detach_(self) -> Tensor:
        if self._is_view and self.grad_fn is not None:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self._requires_grad = False
        return self

    @property
    def data(self) -> Tensor:
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value) -> None:
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    @property
    def _version(self) -> int:
        return self._vc[0]

    def is_inference(self) -> bool:
        return self._inference

    # -- shape and type ----------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    @property
    def dtype(self):
        return dtypes.from_numpy(self._data.dtype)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def device(self):
        return _CPU

    @property
    def is_cuda(self) -> bool:
        return False

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    def data_ptr(self) -> int:
        return self._data.__array_interface__["data"][0]

    def stride(self, dim: int | None = None):
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[_wrap_dim(dim, self._data.ndim)]

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    # -- conversions -------------------------------------------------------------
    def numpy(self, force: bool = False) -> np.ndarray:
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        return arr if dtype is None else arr.astype(dtype)

    def item(self):
        n = self._data.size
        if n != 1:
            raise RuntimeError(f"a Tensor with {n} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def __float__(self) -> float:
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        if self._requires_grad:
            warnings.warn("Converting a tensor with requires_grad=True to a scalar may lead to "
                          "unexpected behavior.\nConsider using tensor.detach() first.",
                          UserWarning, stacklevel=2)
        return float(self._data.reshape(()))

    def __int__(self) -> int:
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return int(self._data.reshape(()))

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self._data.reshape(()))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data.reshape(()))

    def __hash__(self) -> int:
        return id(self)

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __repr__(self) -> str:
        from .printing import tensor_repr
        fn = self.grad_fn
        return tensor_repr(self._data, grad_fn_name=None if fn is None else type(fn).__name__,
                           requires_grad=self._requires_grad)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        # As torch: only a plain 0-d Tensor formats as its scalar; anything else (a
        # Parameter too) takes object's path, the empty spec giving its str.
        if type(self) is Tensor and self._data.ndim == 0:
            return format(self._data.item(), spec)
        if spec:
            raise TypeError(f"unsupported format string passed to {type(self).__name__}"
                            ".__format__")
        return str(self)

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self._data, self._requires_grad))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.")
        t = Tensor._wrap(self._data.copy())
        t._requires_grad = self._requires_grad
        if self._grad is not None:
            t._grad = Tensor._wrap(self._grad._data.copy())
        memo[id(self)] = t
        return t


def _rebuild(data, requires_grad):
    t = Tensor._wrap(data)
    t._requires_grad = requires_grad
    return t


def _c_type(dt) -> str:
    return {"float64": "double", "float32": "float", "int64": "long", "float16": "half"}.get(
        np.dtype(dt).name, np.dtype(dt).name)


def _wrap_dim(dim: int, ndim: int) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim % n


class device:
    """``torch.device``; only the CPU exists here."""

    __slots__ = ("type", "index")

    def __init__(self, type: str = "cpu", index=None):
        self.type = str(type).split(":")[0]
        self.index = index

    def __repr__(self) -> str:
        return f"device(type='{self.type}')"

    def __str__(self) -> str:
        return self.type

    def __eq__(self, other) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(self.type)


_CPU = device("cpu")
