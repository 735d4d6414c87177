"""The supports and parameter constraints of ``torch.distributions``, checked with NumPy.

Takes: a Tensor. Gives: ``check(value)``, an ndarray of bools (one per batch element), and a
``repr`` equal to torch's (``GreaterThan(lower_bound=0.0)``), which appears in validation
errors. Invariant: checks never record autograd history; they read ``value._data`` only.
"""
from __future__ import annotations

import numpy as np

__all__ = ["Constraint", "boolean", "dependent", "greater_than", "integer_interval",
           "interval", "less_than", "lower_cholesky", "nonnegative", "one_hot",
           "positive", "positive_definite", "real", "real_vector", "simplex", "unit_interval"]


def _np(value) -> np.ndarray:
    return np.asarray(getattr(value, "_data", value))


class Constraint:
    """A region of values; ``event_dim`` trailing dims form one event."""
    event_dim = 0
    is_discrete = False

    def check(self, value) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        return type(self).__name__.lstrip("_") + "()"


class _Dependent(Constraint):
    """A constraint that depends on other parameters; never checked (as in torch)."""


class _Real(Constraint):
    def check(self, value):
        v = _np(value)
        return v == v               # false only for NaN


class _Boolean(Constraint):
    is_discrete = True

    def check(self, value):
        v = _np(value)
        return (v == 0) | (v == 1)


class _Bound(Constraint):
    """``op(value, bound)`` elementwise; ``bound`` may be a Tensor (printed as torch does)."""

    def __init__(self, name: str, key: str, op, bound):
        self._name, self._key, self._op, self.bound = name, key, op, bound

    def check(self, value):
        return self._op(_np(value), _np(self.bound))

    def __repr__(self) -> str:
        return f"{self._name}({self._key}={self.bound})"


class _Interval(Constraint):
    def __init__(self, lower, upper, name="Interval", closed_upper=True, discrete=False):
        self.lower_bound, self.upper_bound = lower, upper
        self._name, self._closed, self.is_discrete = name, closed_upper, discrete

    def check(self, value):
        v, lo, hi = _np(value), _np(self.lower_bound), _np(self.upper_bound)
        ok = (v >= lo) & ((v <= hi) if self._closed else (v < hi))
        return ok & (v % 1 == 0) if self.is_discrete else ok

    def __repr__(self) -> str:
        return f"{self._name}(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _Independent(Constraint):
    def __init__(self, base: Constraint, n: int):
        self.base, self.n, self.event_dim = base, n, base.event_dim + n

    def check(self, value):
        ok = self.base.check(value)
        return ok.reshape(ok.shape[:ok.ndim - self.n] + (-1,)).all(-1) if self.n else ok

    def __repr__(self) -> str:
        return f"IndependentConstraint({self.base!r}, {self.n})"


class _Simplex(Constraint):
    event_dim = 1

    def check(self, value):
        v = _np(value)
        return np.all(v >= 0, axis=-1) & (np.abs(v.sum(-1) - 1) < 1e-6)


class _OneHot(Constraint):
    event_dim, is_discrete = 1, True

    def check(self, value):
        v = _np(value)
        return ((v == 0) | (v == 1)).all(-1) & (v.sum(-1) == 1)


class _LowerCholesky(Constraint):
    event_dim = 2

    def check(self, value):
        v = _np(value)
        lower = (np.tril(v) == v).reshape(v.shape[:-2] + (-1,)).min(-1)
        return lower & (np.diagonal(v, 0, -2, -1) > 0).min(-1)


class _PositiveDefinite(Constraint):
    event_dim = 2

    def check(self, value):
        v = _np(value)
        sym = np.isclose(v, np.swapaxes(v, -1, -2), atol=1e-6).all((-2, -1))
        if not sym.all():
            return sym
        # Batched Cholesky fails as a whole, so test each matrix (as cholesky_ex.info does).
        flat = v.reshape((-1,) + v.shape[-2:])
        return np.array([_chol_ok(m) for m in flat], bool).reshape(v.shape[:-2])


def _chol_ok(m: np.ndarray) -> bool:
    try:
        np.linalg.cholesky(m)
    except np.linalg.LinAlgError:
        return False
    return True


dependent = _Dependent()
real = _Real()
boolean = _Boolean()
positive = _Bound("GreaterThan", "lower_bound", np.greater, 0.0)
nonnegative = _Bound("GreaterThanEq", "lower_bound", np.greater_equal, 0.0)
unit_interval = _Interval(0.0, 1.0)
real_vector = _Independent(real, 1)
simplex = _Simplex()
one_hot = _OneHot()
lower_cholesky = _LowerCholesky()
positive_definite = _PositiveDefinite()


def greater_than(bound) -> Constraint:
    return _Bound("GreaterThan", "lower_bound", np.greater, bound)


def less_than(bound) -> Constraint:
    return _Bound("LessThan", "upper_bound", np.less, bound)


def interval(lower, upper) -> Constraint:
    return _Interval(lower, upper)


def half_open_interval(lower, upper) -> Constraint:
    return _Interval(lower, upper, "HalfOpenInterval", closed_upper=False)


def integer_interval(lower, upper) -> Constraint:
    return _Interval(lower, upper, "IntegerInterval", discrete=True)
