"""Grad modes: ``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``inference_mode``.

Takes: nothing but the current thread. Gives: ``is_grad_enabled()`` and context
managers that are also decorators, as in PyTorch.
Invariant: the mode is thread-local; every context manager restores the state it
found on entry, whatever happened inside.
"""
from __future__ import annotations

import functools
import inspect
import threading

__all__ = ["is_grad_enabled", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_inference_mode_enabled"]


class _State(threading.local):
    enabled = True
    inference = False


_state = _State()


def is_grad_enabled() -> bool:
    return _state.enabled


def is_inference_mode_enabled() -> bool:
    return _state.inference


class _Mode:
    """Base of the grad-mode context managers; also usable as a decorator."""

    _target = True

    def __init__(self):
        self._prev = []

    def __enter__(self):
        self._prev.append(_state.enabled)
        _state.enabled = self._target
        return None

    def __exit__(self, *exc):
        _state.enabled = self._prev.pop()
        return False

    def __call__(self, fn):
        if inspect.isgeneratorfunction(fn):
            mode = type(self)

            @functools.wraps(fn)
            def gen(*a, **k):
                it = fn(*a, **k)
                value = None
                while True:
                    with mode():
                        try:
                            item = it.send(value)
                        except StopIteration as stop:
                            return stop.value
                    value = yield item
            return gen

        @functools.wraps(fn)
        def wrapper(*a, **k):
            with type(self)():
                return fn(*a, **k)
        return wrapper


class no_grad(_Mode):
    """Context manager and decorator that turns gradient recording off."""

    _target = False

    def __new__(cls, fn=None):
        self = super().__new__(cls)
        if fn is not None and callable(fn):      # bare @no_grad
            self.__init__()
            return self(fn)
        return self

    def __init__(self, fn=None):
        super().__init__()


class enable_grad(_Mode):
    """Context manager and decorator that turns gradient recording on."""

    _target = True

    def __new__(cls, fn=None):
        self = super().__new__(cls)
        if fn is not None and callable(fn):
            self.__init__()
            return self(fn)
        return self

    def __init__(self, fn=None):
        super().__init__()


class set_grad_enabled(_Mode):
    """Set grad mode now (a function), or for a block (a context manager)."""

    def __init__(self, mode: bool):
        super().__init__()
        self._target = bool(mode)
        self._entered_prev = _state.enabled
        _state.enabled = self._target

    def __enter__(self):
        self._prev.append(self._entered_prev)
        _state.enabled = self._target

    def __call__(self, fn):
        _state.enabled = self._entered_prev
        target = self._target

        @functools.wraps(fn)
        def wrapper(*a, **k):
            with set_grad_enabled(target):
                return fn(*a, **k)
        return wrapper


class inference_mode(_Mode):
    """Like ``no_grad``; results are marked as inference tensors."""

    def __init__(self, mode: bool = True):
        super().__init__()
        self._mode = bool(mode)
        self._target = not mode

    def __new__(cls, mode=True):
        self = super().__new__(cls)
        if callable(mode):
            self.__init__(True)
            return self(mode)
        return self

    def __enter__(self):
        super().__enter__()
        self._prev_inf = _state.inference
        if self._mode:
            _state.inference = True
        else:
            _state.enabled = self._prev[-1]

    def __exit__(self, *exc):
        _state.inference = self._prev_inf
        return super().__exit__(*exc)
