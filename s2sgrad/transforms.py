"""The public functional transforms, in one namespace.

Takes: the reverse-mode API (``api``) and the forward-mode API (``forward_api``).
Gives: ``gradient`` whose result is fast to call AND can be differentiated again
(``gradient(gradient(f))``), plus ``value_and_grad``, ``vjp``, ``jvp``, ``hvp``,
``hessian``, ``jacobian``, ``grad`` and ``show``.
Invariant: a first-order gradient call runs the reverse-mode compiled code
directly; only a gradient of a gradient goes through forward-over-reverse.
"""
from __future__ import annotations

from collections.abc import Callable

from . import api, forward_api
from .api import grad, show, value_and_grad, vjp
from .forward_api import GradientFunction, hessian, hvp, jacobian, jvp, jvp_function, jvp_source

__all__ = ["GradientFunction", "grad", "gradient", "hessian", "hvp", "jacobian", "jvp",
           "jvp_function", "jvp_source", "show", "value_and_grad", "vjp"]


class _FirstOrderGradient(GradientFunction):
    """``gradient(f)`` for a plain ``f``: called through the compiled adjoint."""

    def __init__(self, f: Callable, wrt):
        super().__init__(f, wrt)
        self._call = api.gradient(f, wrt)

    def __call__(self, *args, **kwargs):
        return self._call(*args, **kwargs)


def gradient(f: Callable, wrt=0):
    """``g(*args) -> d f / d args[wrt]``; with one argument index, ``g`` differentiates again.

    A tuple ``wrt`` gives a tuple of gradients (first order only).
    """
    if isinstance(wrt, (tuple, list)):
        return api.gradient(f, tuple(wrt))
    if isinstance(f, GradientFunction):
        return forward_api.gradient(f, wrt)
    return _FirstOrderGradient(f, wrt)
