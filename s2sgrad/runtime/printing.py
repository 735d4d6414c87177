"""PyTorch's tensor text, to the character: ``repr``, ``str`` and ``format``.

Takes an ndarray plus the autograd facts the text shows (the ``grad_fn`` class name and
``requires_grad``). Gives the exact text ``torch.Tensor.__repr__`` prints for a CPU tensor
with the same values and dtype: element format (int / fixed / scientific), right
alignment, line wrapping, summarisation, and the ``size=``/``dtype=``/``grad_fn=`` suffixes.
Also gives the print options (``set_printoptions``, ``get_printoptions``, ``printoptions``)
and ``dtype_name``.

Invariant: the text depends only on the values, the dtype, the two autograd facts and the
current print options. Values are read back as Python floats (``tolist``), so float32 and
float16 elements show their own rounding, as PyTorch shows them.
"""
from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator

import numpy as np

from .dtypes import get_default_dtype

__all__ = [
    "dtype_name",
    "get_printoptions",
    "printoptions",
    "set_printoptions",
    "tensor_repr",
]


@dataclasses.dataclass
class _Options:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


_OPTS = _Options()

_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(precision: int | None = None, threshold: float | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """Set the print options the way ``torch.set_printoptions`` does.

    A ``profile`` (``"default"``, ``"short"``, ``"full"``) is applied first and the explicit
    options override it. ``sci_mode`` is always assigned, so a call without it goes back to
    automatic notation, as in PyTorch.
    """
    if profile is not None:
        # PyTorch silently ignores an unknown profile name.
        for key, value in _PROFILES.get(profile, {}).items():
            setattr(_OPTS, key, value)
    for key, value in (("precision", precision), ("threshold", threshold),
                       ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            setattr(_OPTS, key, value)
    _OPTS.sci_mode = sci_mode


def get_printoptions() -> dict:
    """The current options, as keyword arguments ``set_printoptions`` accepts."""
    return dataclasses.asdict(_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs) -> Iterator[None]:
    """Change the print options inside a ``with`` block only."""
    saved = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**saved)


_TORCH_DTYPES = frozenset({
    "float16", "float32", "float64", "complex64", "complex128", "bool",
    "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
})


def dtype_name(dtype) -> str:
    """``torch.float32``, ``torch.int64``, ``torch.bool``, ... for a NumPy dtype."""
    name = np.dtype(dtype).name
    if name not in _TORCH_DTYPES:
        raise TypeError(f"a tensor cannot hold NumPy dtype {name!r}; supported dtypes are "
                        + ", ".join(sorted(_TORCH_DTYPES)))
    return "torch." + name


class _Formatter:
    """The element format of one tensor (or of one part of a complex tensor).

    Built from the elements that will be displayed; ``format`` pads every element to the
    same width.
    """

    def __init__(self, shown: np.ndarray):
        self.floating = shown.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        flat = shown.reshape(-1)
        if not self.floating:
            self.width = max([1] + [len(str(v)) for v in flat.tolist()])
            return
        vals = flat[np.isfinite(flat) & (flat != 0)]
        if vals.size == 0:
            return
        # The notation test runs in double on the stored (possibly float32) values, so
        # borderline cases such as float32(1e-4) < 1e-4 come out as in PyTorch.
        mags = np.abs(vals).astype(np.float64)
        lo, hi = float(mags.min()), float(mags.max())
        self.int_mode = bool(np.all(vals == np.ceil(vals)))
        if _OPTS.sci_mode is None:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        else:
            self.sci_mode = bool(_OPTS.sci_mode)
        p = _OPTS.precision
        # Only the non-zero finite values set the width; zeros, nan and inf are padded to it.
        if self.sci_mode:
            texts = (f"{v:.{p}e}" for v in vals.tolist())
        elif self.int_mode:
            texts = (f"{v:.0f}." for v in vals.tolist())
        else:
            texts = (f"{v:.{p}f}" for v in vals.tolist())
        self.width = max(self.width, max(len(t) for t in texts))

    def format(self, value) -> str:
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:.{_OPTS.precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}"
            if math.isfinite(value):
                text += "."
        else:
            text = f"{value:.{_OPTS.precision}f}"
        return text.rjust(self.width)


class _Format:
    """Formats one element: real, or complex as ``re+imj`` from two formatters."""

    def __init__(self, real: _Formatter, imag: _Formatter | None = None):
        self.real = real
        self.imag = imag
        # One element plus its ", " separator, as the line-wrapping rule counts it.
        self.length = real.width + 2 + (0 if imag is None else imag.width + 1)

    def __call__(self, value) -> str:
        if self.imag is None:
            return self.real.format(value)
        imag = (self.imag.format(value.imag) + "j").lstrip()
        sign = "" if imag[0] in "+-" else "+"
        return self.real.format(value.real) + sign + imag


def _shown(data: np.ndarray, summarize: bool) -> np.ndarray:
    """The elements that will be displayed, which alone choose the element format."""
    if not summarize or data.ndim == 0:
        return data
    e = _OPTS.edgeitems
    if not e:
        # With edgeitems=0 PyTorch inspects every element of a 1-D tensor (its tail slice is
        # ``[-0:]``) and none of an n-D one; reproduced so the widths agree.
        return data if data.ndim == 1 else data[(slice(0, 0),) * data.ndim]
    for axis, n in enumerate(data.shape):
        if n > 2 * e:
            keep = np.r_[0:e, n - e:n]
            data = np.take(data, keep, axis=axis)
    return data


def _vector(row: np.ndarray, indent: int, summarize: bool, fmt: _Format) -> str:
    per_line = max(1, math.floor((_OPTS.linewidth - indent) / fmt.length))
    e = _OPTS.edgeitems
    if summarize and not e:
        items = ["..."]
    elif summarize and row.shape[0] > 2 * e:
        items = ([fmt(v) for v in row[:e].tolist()] + [" ..."]
                 + [fmt(v) for v in row[-e:].tolist()])
    else:
        items = [fmt(v) for v in row.tolist()]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(data: np.ndarray, indent: int, summarize: bool, fmt: _Format) -> str:
    if data.ndim == 0:
        return fmt(data.item())
    if data.ndim == 1:
        return _vector(data, indent, summarize, fmt)
    n, e = data.shape[0], _OPTS.edgeitems
    if summarize and n > 2 * e:
        rows = ([_nested(data[i], indent + 1, summarize, fmt) for i in range(e)] + ["..."]
                + [_nested(data[i], indent + 1, summarize, fmt) for i in range(n - e, n)])
    else:
        rows = [_nested(data[i], indent + 1, summarize, fmt) for i in range(n)]
    # Sub-tensors of rank r are separated by r blank-line-making newlines.
    return "[" + ("," + "\n" * (data.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def _body(data: np.ndarray, indent: int) -> str:
    summarize = data.size > _OPTS.threshold
    shown = _shown(data, summarize)
    if data.dtype.kind == "c":
        fmt = _Format(_Formatter(shown.real), _Formatter(shown.imag))
    else:
        fmt = _Format(_Formatter(shown))
    return _nested(data, indent, summarize, fmt)


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    # PyTorch's running count starts two past the last line's length (it counts the
    # ", " that precedes a suffix on the same line).
    used = len(text) - text.rfind("\n") + 1
    parts = [text]
    for suffix in suffixes:
        if used + len(suffix) + 2 > _OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            used = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            used += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(data: np.ndarray, *, grad_fn_name: str | None = None,
                requires_grad: bool = False, prefix: str = "tensor(") -> str:
    """The full ``repr`` of a tensor holding ``data``.

    ``grad_fn_name`` (e.g. ``"MulBackward0"``) wins over ``requires_grad``; PyTorch never
    prints both. ``prefix`` is ``"tensor("`` except for tensor subclasses that print their
    own class name.
    """
    data = np.asarray(data)
    name = dtype_name(data.dtype)
    default = get_default_dtype().np
    indent = len(prefix)
    suffixes = []
    if data.size == 0:
        if data.ndim != 1:
            suffixes.append(f"size={tuple(data.shape)}")
        # Nothing in an empty tensor hints at its dtype, so only float32 goes unnamed.
        if data.dtype != default:
            suffixes.append("dtype=" + name)
        body = "[]"
    else:
        if not _OPTS.edgeitems:
            suffixes.append(f"size={tuple(data.shape)}")
        default_complex = np.dtype(np.complex128 if default == np.float64 else np.complex64)
        if data.dtype not in (default, default_complex, np.dtype(np.int64), np.dtype(np.bool_)):
            suffixes.append("dtype=" + name)
        body = _body(data, indent)
    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
