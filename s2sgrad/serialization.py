"""``save`` and ``load``: PyTorch's checkpoint format, written and read without PyTorch.

Takes: any picklable object holding Tensors (a ``state_dict``, a dict of them with
epoch counters, a list of Tensors ...) and a path or binary file.
Gives: ``save(obj, f)``, a zip file PyTorch itself loads (``torch.load``, also with
``weights_only=True``): ``archive/data.pkl`` (protocol 2, Tensors as PyTorch's
``_rebuild_tensor_v2`` with persistent storage ids, Parameters as
``_rebuild_parameter``), one raw little-endian record per storage, ``version`` and
``byteorder``; and ``load(f)``, which returns the object with Tensors (and
Parameters) again, reading files written by either library.
Invariant: loading resolves only the globals a checkpoint of Tensors needs
(``models.checkpoint``), so it never runs code from the file.
"""
from __future__ import annotations

import io
import os
import pickle
import zipfile
from collections import OrderedDict
from typing import Any, BinaryIO

import numpy as np

from .runtime.tensor import Tensor

__all__ = ["load", "save"]

_STORAGE_NAMES = {
    np.dtype(np.float64): "DoubleStorage", np.dtype(np.float32): "FloatStorage",
    np.dtype(np.float16): "HalfStorage", np.dtype(np.int64): "LongStorage",
    np.dtype(np.int32): "IntStorage", np.dtype(np.int16): "ShortStorage",
    np.dtype(np.int8): "CharStorage", np.dtype(np.uint8): "ByteStorage",
    np.dtype(np.bool_): "BoolStorage", np.dtype(np.complex64): "ComplexFloatStorage",
    np.dtype(np.complex128): "ComplexDoubleStorage",
}


class _Global:
    """A reference to ``module.name`` in the pickle, written without importing it."""

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    def __call__(self, *args):           # pickle insists that a reducer is callable
        raise TypeError(f"{self.module}.{self.name} is only a name in a checkpoint")


class _Storage:
    def __init__(self, key: str, array: np.ndarray):
        self.key, self.array = key, array


class _Writer(pickle._Pickler):
    """Protocol 2 pickler that writes Tensors the way ``torch.save`` does."""

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, storages: list):
        super().__init__(file, protocol=2)
        self.storages = storages
        self._keys: dict[int, _Storage] = {}

    def save_global_ref(self, obj: _Global) -> None:
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
        self.memoize(obj)

    dispatch[_Global] = save_global_ref

    def persistent_id(self, obj):
        if isinstance(obj, _Storage):
            kind = _Global("torch", _STORAGE_NAMES[obj.array.dtype])
            return ("storage", kind, obj.key, "cpu", obj.array.size)
        return None

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            from .nn.parameter import Parameter
            if isinstance(obj, Parameter):
                return (_Global("torch._utils", "_rebuild_parameter"),
                        (Tensor._wrap(obj._data), obj.requires_grad, OrderedDict()))
            return (_Global("torch._utils", "_rebuild_tensor_v2"),
                    (self._storage(obj._data), 0, tuple(obj._data.shape),
                     _strides(obj._data.shape), bool(obj.requires_grad and obj.is_leaf),
                     OrderedDict()))
        return NotImplemented

    def _storage(self, arr: np.ndarray) -> _Storage:
        if arr.dtype not in _STORAGE_NAMES:
            raise pickle.PicklingError(f"cannot save a tensor of dtype {arr.dtype}")
        # Tensors that are the same array share one storage record.
        st = self._keys.get(id(arr))
        if st is None:
            st = _Storage(str(len(self.storages)), np.ascontiguousarray(arr))
            self._keys[id(arr)] = st
            self.storages.append(st)
        return st


def _strides(shape: tuple) -> tuple:
    out, step = [], 1
    for n in reversed(shape):
        out.append(step)
        step *= max(n, 1)
    return tuple(reversed(out))


def save(obj: Any, f: str | os.PathLike | BinaryIO) -> None:
    """Write ``obj`` in PyTorch's zip checkpoint format (``torch.save``)."""
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            save(obj, fh)
        return
    storages: list = []
    buf = io.BytesIO()
    _Writer(buf, storages).dump(obj)
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("archive/data.pkl", buf.getvalue())
        zf.writestr("archive/byteorder", "little")
        for st in storages:
            zf.writestr(f"archive/data/{st.key}", st.array.astype(
                st.array.dtype.newbyteorder("<"), copy=False).tobytes())
        zf.writestr("archive/version", "3\n")


def load(f: str | os.PathLike | BinaryIO, map_location=None, weights_only=None,
         **kwargs) -> Any:
    """Read a ``torch.save``/``save`` checkpoint; Tensors (and Parameters) come back
    with their ``requires_grad``. ``map_location`` and ``weights_only`` are accepted
    for compatibility (everything is on the CPU, and only weights are ever loaded)."""
    from .models import checkpoint
    return checkpoint.load(f, _tensor_unpickler())


def _tensor_unpickler():
    from .models import checkpoint
    from .nn.parameter import Parameter

    def rebuild_tensor(storage, offset, size, stride, requires_grad=False, *rest):
        t = Tensor._wrap(checkpoint._rebuild_tensor(storage, offset, size, stride))
        if requires_grad:
            t.requires_grad_(True)
        return t

    def rebuild_tensor_v3(storage, offset, size, stride, requires_grad, hooks, dtype,
                          metadata=None):
        return rebuild_tensor(storage, offset, size, stride, requires_grad)

    def rebuild_parameter(data, requires_grad, hooks, state=None):
        return Parameter(data, requires_grad)

    own = {("torch._utils", "_rebuild_tensor_v2"): rebuild_tensor,
           ("torch._utils", "_rebuild_tensor"): rebuild_tensor,
           ("torch._utils", "_rebuild_tensor_v3"): rebuild_tensor_v3,
           ("torch._utils", "_rebuild_parameter"): rebuild_parameter,
           ("torch._utils", "_rebuild_parameter_with_state"): rebuild_parameter,
           ("torch.nn.parameter", "Parameter"):
               lambda data=None, requires_grad=True: Parameter(data, requires_grad)}

    class Unpickler(checkpoint._Unpickler):
        def find_class(self, module: str, name: str):
            hit = own.get((module, name))
            return hit if hit is not None else super().find_class(module, name)

    return Unpickler
