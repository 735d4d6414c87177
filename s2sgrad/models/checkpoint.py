"""Read PyTorch checkpoints (``torch.save`` files, ``.pth``/``.pt``) without PyTorch.

Takes: the path (or binary file object) of a checkpoint in PyTorch's zip format (the
default since 1.6): a zip holding ``<name>/data.pkl`` (the pickled object) and one raw
file per storage under ``<name>/data/<key>``.
Gives: the same object with every tensor as a NumPy array (``OrderedDict`` of arrays
for a ``state_dict``), each a copy with the tensor's own shape, strides and offset.
Invariant: only the globals a state dict needs are resolved (OrderedDict, PyTorch's tensor
and parameter rebuild functions, storage types); anything else raises
``pickle.UnpicklingError``, so loading a file never runs code from it.
"""
from __future__ import annotations

import io
import os
import pickle
import zipfile
from collections import OrderedDict
from typing import Any, BinaryIO

import numpy as np

__all__ = ["load", "load_state_dict"]

_STORAGE_DTYPES = {
    "DoubleStorage": np.float64, "FloatStorage": np.float32, "HalfStorage": np.float16,
    "BFloat16Storage": "bfloat16", "LongStorage": np.int64, "IntStorage": np.int32,
    "ShortStorage": np.int16, "CharStorage": np.int8, "ByteStorage": np.uint8,
    "BoolStorage": np.bool_, "ComplexFloatStorage": np.complex64,
    "ComplexDoubleStorage": np.complex128, "UntypedStorage": np.uint8,
}
_DTYPE_NAMES = {
    "float64": np.float64, "float32": np.float32, "float16": np.float16, "int64": np.int64,
    "int32": np.int32, "int16": np.int16, "int8": np.int8, "uint8": np.uint8,
    "bool": np.bool_, "bfloat16": "bfloat16", "complex64": np.complex64,
    "complex128": np.complex128,
}


class _StorageType:
    """Stands for ``torch.FloatStorage`` and friends while unpickling."""

    def __init__(self, name: str):
        self.name = name
        self.dtype = _STORAGE_DTYPES[name]


class _DType:
    def __init__(self, name: str):
        self.dtype = _DTYPE_NAMES[name]


def _bfloat16_to_float32(raw: np.ndarray) -> np.ndarray:
    return (raw.astype(np.uint32) << 16).view(np.float32)


def _rebuild_tensor(storage: np.ndarray, offset: int, size, stride, *_rest) -> np.ndarray:
    """A copy of ``storage[offset:]`` seen with ``size`` and ``stride`` (in elements)."""
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if not size:
        return storage[offset].copy()
    if any(s == 0 for s in size):
        return np.empty(size, storage.dtype)
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= storage.size:
        raise pickle.UnpicklingError(f"tensor of size {size} and stride {stride} at offset "
                                     f"{offset} does not fit its storage of {storage.size}")
    view = np.lib.stride_tricks.as_strided(
        storage[offset:], size, tuple(s * storage.itemsize for s in stride), writeable=False)
    return np.array(view)


def _rebuild_tensor_v3(storage, offset, size, stride, requires_grad, hooks, dtype,
                       metadata=None) -> np.ndarray:
    # The storage was read with its own dtype already, which is the tensor's.
    return _rebuild_tensor(storage, offset, size, stride)


def _rebuild_parameter(data, requires_grad, hooks, state=None):
    return data


def _rebuild_from_type_v2(func, new_type, args, state):
    return func(*args)


_ALLOWED = {
    ("collections", "OrderedDict"): OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v3"): _rebuild_tensor_v3,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type_v2,
    ("torch.nn.parameter", "Parameter"): lambda data=None, requires_grad=True: data,
    ("torch.torch_version", "TorchVersion"): str,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "slice"): slice,
    ("builtins", "complex"): complex,
}


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: BinaryIO, read_record, byteorder: str):
        super().__init__(file, encoding="utf-8")
        self._read_record = read_record
        self._byteorder = byteorder
        self._storages: dict[str, np.ndarray] = {}

    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        if module == "torch.storage" and name == "UntypedStorage":
            return _StorageType("UntypedStorage")
        if module == "torch" and name in _DTYPE_NAMES:
            return _DType(name)
        raise pickle.UnpicklingError(f"checkpoint refers to {module}.{name}, which a state "
                                     "dict does not need; refusing to load it")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        _, kind, key, _location, _numel = pid[:5]
        dtype = kind.dtype if isinstance(kind, (_StorageType, _DType)) else np.uint8
        if key not in self._storages:
            raw = self._read_record(f"data/{key}")
            if dtype == "bfloat16":
                arr = _bfloat16_to_float32(np.frombuffer(raw, "<u2" if self._little else ">u2"))
            else:
                dt = np.dtype(dtype).newbyteorder("<" if self._little else ">")
                arr = np.frombuffer(raw, dt).astype(np.dtype(dtype), copy=False)
            self._storages[key] = arr
        return self._storages[key]

    @property
    def _little(self) -> bool:
        return self._byteorder == "little"


def load(f: str | os.PathLike | BinaryIO, unpickler: type | None = None) -> Any:
    """Load a ``torch.save`` checkpoint; tensors come back as NumPy arrays (or as what
    ``unpickler``, a subclass of this module's, rebuilds them into)."""
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            return load(io.BytesIO(fh.read()), unpickler)
    if not zipfile.is_zipfile(f):
        raise ValueError("not a PyTorch zip checkpoint (files written by torch.save before "
                         "PyTorch 1.6 use a legacy format; re-save them with a newer PyTorch)")
    f.seek(0)
    with zipfile.ZipFile(f) as zf:
        names = zf.namelist()
        pkl = [n for n in names if n.endswith("/data.pkl") or n == "data.pkl"]
        if not pkl:
            raise ValueError("checkpoint has no data.pkl record")
        root = pkl[0][: -len("data.pkl")]
        order = root + "byteorder"
        byteorder = zf.read(order).decode() if order in names else "little"

        def read_record(name: str) -> bytes:
            return zf.read(root + name)

        up = (unpickler or _Unpickler)(io.BytesIO(zf.read(pkl[0])), read_record, byteorder)
        return up.load()


def load_state_dict(source) -> OrderedDict:
    """A state dict of arrays from a dict (of arrays or Tensors), an ``.npz`` or a
    ``.pth`` path; a checkpoint wrapping it under ``'state_dict'`` is unwrapped."""
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if path.endswith(".npz"):
            with np.load(path) as npz:
                return OrderedDict((k, npz[k]) for k in npz.files)
        source = load(path)
    if isinstance(source, dict) and "state_dict" in source and isinstance(
            source["state_dict"], dict):
        source = source["state_dict"]
    if not isinstance(source, dict):
        raise TypeError(f"expected a state dict, got {type(source).__name__}")
    return OrderedDict((k, v) for k, v in source.items())
