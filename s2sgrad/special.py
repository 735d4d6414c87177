"""``torch.special``: error, gamma and Bessel functions, softmax and friends on Tensors.

Takes Tensors (or numbers, made Tensors). Gives PyTorch's ``torch.special`` functions
with its values, dtypes and ``grad_fn`` names. Those with a Tensor method dispatch to it;
the rest apply one primitive of ``rules/special_functions.py`` (``gammaln``,
``digamma``, ``polygamma``, ``entr``, ``xlog1py``, ``i0``, ``i1``, ``ndtri``,
``log_ndtr``); ``ndtr`` is PyTorch's own composition ``(1 + erf(x / sqrt 2)) / 2``.
Invariant: no gradient is computed here; every node comes from ``ops.apply``.
"""
from __future__ import annotations

import math

import numpy as np

from .rules import special_functions as sf
from .rules import torch_extra as te
from .runtime.ops import apply
from .runtime.tensor import Tensor

__all__ = ["digamma", "entr", "erf", "erfc", "erfinv", "exp2", "expit", "expm1", "gammaln",
           "i0", "i1", "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp", "ndtr", "ndtri",
           "polygamma", "psi", "round", "sinc", "softmax", "xlog1py", "xlogy"]


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _method(name: str, doc: str):
    def fn(input, *args, **kwargs):
        return getattr(_t(input), name)(*args, **kwargs)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


expit = _method("sigmoid", "``1 / (1 + exp(-x))``.")
expit.__name__ = expit.__qualname__ = "expit"
erf = _method("erf", "The error function.")
erfc = _method("erfc", "``1 - erf(x)``, without cancellation.")
erfinv = _method("erfinv", "The inverse error function.")
exp2 = _method("exp2", "``2 ** x``.")
expm1 = _method("expm1", "``exp(x) - 1``, exact near 0.")
log1p = _method("log1p", "``log(1 + x)``, exact near 0.")
sinc = _method("sinc", "The normalised sinc, ``sin(pi x) / (pi x)``.")


def logit(input, eps: float | None = None) -> Tensor:
    return _t(input).logit(eps)


def round(input, *, decimals: int = 0) -> Tensor:  # noqa: A001
    return _t(input).round(decimals=decimals)


def _cast(x: Tensor, dtype) -> Tensor:
    return x if dtype is None else x.to(dtype)


def softmax(input, dim: int, *, dtype=None) -> Tensor:
    return _cast(_t(input), dtype).softmax(dim)


def log_softmax(input, dim: int, *, dtype=None) -> Tensor:
    return _cast(_t(input), dtype).log_softmax(dim)


def logsumexp(input, dim, keepdim: bool = False) -> Tensor:
    return _t(input).logsumexp(dim, keepdim)


def _binary(primal, name: str, input, other) -> Tensor:
    # PyTorch names the node by which side is a Python number: ...0 both Tensors,
    # ...1 a number ``input``, ...2 a number ``other``.
    if not isinstance(input, Tensor):
        return apply(primal, float(input), other, name=name + "1")
    if not isinstance(other, Tensor):
        return apply(primal, input, float(other), name=name + "2")
    return apply(primal, input, other, name=name + "0")


def xlogy(input, other) -> Tensor:
    return _binary(te.xlogy, "XlogyBackward", input, other)


def xlog1py(input, other) -> Tensor:
    return _binary(sf.xlog1py, "SpecialXlog1PyBackward", input, other)


def gammaln(input) -> Tensor:
    return apply(sf.lgamma, _t(input), name="LgammaBackward0")


def digamma(input) -> Tensor:
    return apply(sf.digamma, _t(input), name="DigammaBackward0")


psi = digamma


def polygamma(n: int, input) -> Tensor:
    if n == 0:
        return apply(sf.digamma, _t(input), name="PolygammaBackward0")
    return apply(sf.polygamma, int(n), _t(input), name="PolygammaBackward0")


def entr(input) -> Tensor:
    return apply(sf.entr, _t(input), name="SpecialEntrBackward0")


def i0(input) -> Tensor:
    return apply(sf.i0, _t(input), name="I0Backward0")


def i1(input) -> Tensor:
    return apply(sf.i1, _t(input), name="SpecialI1Backward0")


def ndtr(input) -> Tensor:
    return apply(np.multiply, 1 + (_t(input) * math.sqrt(0.5)).erf(), 0.5,
                 name="MulBackward1")


def ndtri(input) -> Tensor:
    return apply(sf.ndtri, _t(input), name="SpecialNdtriBackward0")


def log_ndtr(input) -> Tensor:
    return apply(sf.log_ndtr, _t(input), name="SpecialLogNdtrBackward0")
