"""``torch.testing``: ``assert_close``, the deprecated ``assert_allclose``, ``make_tensor``.

Takes Tensors, Python numbers or (nested) lists and tuples of them. Gives PyTorch's
checks with its default tolerances per dtype and its failure texts, word for word:
attribute mismatches (shape, dtype), then ``Tensor-likes are not close!`` with the count
of mismatched elements and the greatest absolute and relative differences (computed in
the compared dtype, only over mismatches) and their indices; 0-d Tensors and Python
numbers get the ``Scalars`` text. Invariant: nothing here records a graph.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from .runtime import dtypes
from .runtime.grad_mode import no_grad
from .runtime.tensor import Tensor

__all__ = ["assert_allclose", "assert_close", "make_tensor"]

# (rtol, atol) by dtype, as torch.testing._comparison._DTYPE_PRECISIONS; others compare exactly.
_PRECISIONS = {"float16": (0.001, 1e-5), "float32": (1.3e-6, 1e-5),
               "float64": (1e-7, 1e-7), "complex64": (1.3e-6, 1e-5),
               "complex128": (1e-7, 1e-7)}
_ALLCLOSE = {"float16": (1e-3, 1e-3), "float32": (1e-4, 1e-5), "float64": (1e-5, 1e-8)}


def _tolerances(*dts: np.dtype, table: dict = _PRECISIONS) -> tuple[float, float]:
    rtols, atols = zip(*[table.get(np.dtype(d).name, (0.0, 0.0)) for d in dts])
    return max(rtols), max(atols)


def _kind(x) -> str:
    return "torch.Tensor" if isinstance(x, Tensor) else f"{type(x).__module__}.{type(x).__name__}" \
        if type(x).__module__ != "builtins" else type(x).__name__


def _fail_type(actual, expected):
    raise TypeError(f"No comparison pair was able to handle inputs of type <class "
                    f"'{_kind(actual)}'> and <class '{_kind(expected)}'>.")


def _diff_line(kind: str, diff, idx, tol, equality: bool) -> str:
    msg = (f"{kind.title()} difference: {diff}" if idx is None
           else f"Greatest {kind} difference: {diff} at index {idx}")
    return msg + ("" if equality else f" (up to {tol} allowed)") + "\n"


def _mismatch(default: str, extra: str, abs_diff, abs_idx, rel_diff, rel_idx,
              rtol, atol) -> str:
    equality = rtol == 0 and atol == 0
    msg = f"{default} are not {'equal' if equality else 'close'}!\n\n{extra.strip()}\n"
    msg += _diff_line("absolute", abs_diff, abs_idx, atol, equality)
    msg += _diff_line("relative", rel_diff, rel_idx, rtol, equality)
    return msg.strip()


def _scalar_msg(actual, expected, rtol, atol) -> str:
    abs_diff = abs(actual - expected)
    rel_diff = float("inf") if expected == 0 else abs_diff / abs(expected)
    return _mismatch("Scalars", f"Expected {expected} but got {actual}.", abs_diff, None,
                     rel_diff, None, rtol, atol)


def _unravel(flat: int, shape) -> tuple:
    return tuple(int(i) for i in np.unravel_index(flat, shape)) if shape else ()


def _tensor_msg(a: np.ndarray, e: np.ndarray, matches: np.ndarray, rtol, atol) -> str:
    n = matches.size
    bad = n - int(matches.sum())
    extra = f"Mismatched elements: {bad} / {n} ({bad / n:.1%})"
    af, ef, mf = a.reshape(-1), e.reshape(-1), matches.reshape(-1)
    if a.dtype.kind not in "fc":
        af, ef = af.astype(np.int64), ef.astype(np.int64)
    with np.errstate(all="ignore"):
        abs_diff = np.abs(af - ef)
        abs_diff[mf] = 0
        # Integer division in PyTorch's default float dtype (float32), as torch divides.
        rel_diff = (abs_diff / np.abs(ef) if a.dtype.kind in "fc"
                    else (abs_diff.astype(np.float32) / np.abs(ef).astype(np.float32)))
        rel_diff[mf] = 0
    ia, ir = int(np.argmax(abs_diff)), int(np.argmax(rel_diff))
    return _mismatch("Tensor-likes", extra, abs_diff[ia].item(), _unravel(ia, a.shape),
                     rel_diff[ir].item(), _unravel(ir, a.shape), rtol, atol)


def _isclose(a, e, rtol, atol, equal_nan) -> np.ndarray:
    if a.dtype == np.bool_ or (rtol == 0 and atol == 0):
        eq = a == e
        return eq | (np.isnan(a) & np.isnan(e)) if equal_nan and a.dtype.kind in "fc" else eq
    with np.errstate(all="ignore"):
        return np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan)


def _fail(text: str, msg) -> None:
    raise AssertionError(msg(text) if callable(msg) else msg if msg is not None else text)


def _compare_tensors(actual: Tensor, expected: Tensor, rtol, atol, equal_nan, check_dtype,
                     msg) -> None:
    a, e = actual._data, expected._data
    if a.shape != e.shape:
        _fail(f"The values for attribute 'shape' do not match: {actual.shape!r} != "
              f"{expected.shape!r}.", msg)
    if check_dtype and a.dtype != e.dtype:
        _fail(f"The values for attribute 'dtype' do not match: {actual.dtype!r} != "
              f"{expected.dtype!r}.", msg)
    if rtol is None:
        rtol, atol = _tolerances(a.dtype, e.dtype)
    if a.dtype != e.dtype:
        common = np.promote_types(a.dtype, e.dtype)
        a, e = a.astype(common), e.astype(common)
    matches = _isclose(a, e, rtol, atol, equal_nan)
    if matches.all():
        return
    if a.ndim == 0:
        _fail(_scalar_msg(a.item(), e.item(), rtol, atol), msg)
    _fail(_tensor_msg(a, e, matches, rtol, atol), msg)


def _compare(actual, expected, rtol, atol, equal_nan, check_dtype, msg) -> None:
    if isinstance(actual, (list, tuple)) and isinstance(expected, (list, tuple)):
        if len(actual) != len(expected):
            _fail(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}",
                  msg)
        for k, (x, y) in enumerate(zip(actual, expected)):
            try:
                _compare(x, y, rtol, atol, equal_nan, check_dtype, msg)
            except AssertionError as err:
                if msg is not None:
                    raise
                raise AssertionError(f"{err}\n\nThe failure occurred for item [{k}]") from None
        return
    if isinstance(actual, Tensor) and isinstance(expected, Tensor):
        with no_grad():
            _compare_tensors(actual, expected, rtol, atol, equal_nan, check_dtype, msg)
        return
    scalars = (bool, int, float, complex)
    if isinstance(actual, scalars) and isinstance(expected, scalars):
        if check_dtype and type(actual) is not type(expected):
            _fail(f"The (d)types do not match: {type(actual)} != {type(expected)}.", msg)
        a, e = np.asarray(actual), np.asarray(expected)
        if rtol is None:
            rtol, atol = _tolerances(a.dtype, e.dtype)
        if not _isclose(a, e, rtol, atol, equal_nan):
            _fail(_scalar_msg(actual, expected, rtol, atol), msg)
        return
    _fail_type(actual, expected)


def assert_close(actual, expected, *, allow_subclasses: bool = True, rtol: float | None = None,
                 atol: float | None = None, equal_nan: bool = False, check_device: bool = True,
                 check_dtype: bool = True, check_layout: bool = True, check_stride: bool = False,
                 msg: str | Callable[[str], str] | None = None) -> None:
    """Raise ``AssertionError`` unless ``actual`` and ``expected`` are close:
    ``|actual - expected| <= atol + rtol * |expected|`` elementwise, with PyTorch's
    default ``(rtol, atol)`` for the dtypes when both are omitted."""
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {'rtol' if rtol is None else 'atol'}.")
    _compare(actual, expected, rtol, atol, equal_nan, check_dtype, msg)


def assert_allclose(actual, expected, rtol: float | None = None, atol: float | None = None,
                    equal_nan: bool = True, msg: str = "") -> None:
    """Deprecated in PyTorch 1.12; kept as PyTorch keeps it (looser tolerances, any
    dtypes, NaNs equal)."""
    warnings.warn("`torch.testing.assert_allclose()` is deprecated since 1.12 and will be "
                  "removed in a future release. Please use `torch.testing.assert_close()` "
                  "instead. You can find detailed upgrade instructions in "
                  "https://github.com/pytorch/pytorch/issues/61844.", FutureWarning,
                  stacklevel=2)
    actual = actual if isinstance(actual, Tensor) else Tensor(actual)
    if not isinstance(expected, Tensor):
        expected = Tensor(np.asarray(expected, actual._data.dtype))
    if rtol is None and atol is None:
        rtol, atol = _tolerances(actual._data.dtype, expected._data.dtype, table=_ALLCLOSE)
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan,
                 check_dtype=False, msg=msg or None)


def make_tensor(*shape, dtype, device=None, low: float | None = None,
                high: float | None = None, requires_grad: bool = False,
                noncontiguous: bool = False, exclude_zero: bool = False,
                memory_format=None) -> Tensor:
    """A Tensor of ``shape`` filled uniformly from ``[low, high)`` (default ``[-9, 9)``;
    integers ``[low, high)`` with default ``[-9, 10)``, ``[0, 10)`` for uint8; booleans
    at random), drawn from the default generator."""
    from . import rand, randint
    if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
        shape = tuple(shape[0])
    np_dt = dtypes.to_numpy(dtype)
    if np_dt == np.bool_:
        data = randint(0, 2, shape)._data.astype(np.bool_)
    elif np_dt.kind in "iu":
        lo = int(low if low is not None else (0 if np_dt.kind == "u" else -9))
        hi = int(high if high is not None else 10)
        data = randint(lo, hi, shape)._data.astype(np_dt)
    else:
        lo = -9.0 if low is None else float(low)
        hi = 9.0 if high is None else float(high)
        data = (rand(*shape, dtype=dtype)._data * (hi - lo) + lo).astype(np_dt)
    if exclude_zero:
        repl = 1 if np_dt.kind in "iub" else np.finfo(np_dt).tiny
        data = np.where(data == 0, np.asarray(repl, np_dt), data)
    out = Tensor._wrap(np.asarray(data))
    return out.requires_grad_(True) if requires_grad else out
