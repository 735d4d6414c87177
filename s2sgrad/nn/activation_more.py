"""More activation layers: ``ReLU6``, ``Hardtanh``, ``Hardsigmoid``, ``Hardswish``, ``PReLU``,
``SELU``, ``CELU``, ``Mish``, ``Softsign``, ``Softmin``, ``Softshrink``, ``Hardshrink``,
``Tanhshrink``, ``Threshold``, ``LogSigmoid``, ``GLU``, and ``Dropout1d``/``Dropout2d``.

Takes: PyTorch's constructor options. Gives: the matching ``nn.functional`` call, with
PyTorch's reprs (``Hardtanh(min_val=-1.0, max_val=1.0)``, ``ReLU6(inplace=True)``,
``PReLU(num_parameters=1)``, ``Softshrink(0.5)``, ``Threshold(threshold=0.1, value=20.0)``).
``PReLU``'s weight starts filled with ``init`` (0.25).
"""
from __future__ import annotations

from ..runtime.tensor import Tensor
from . import functional as F
from .linear import _empty
from .module import Module
from .parameter import Parameter

__all__ = ["CELU", "Dropout1d", "Dropout2d", "GLU", "Hardshrink", "Hardsigmoid", "Hardswish",
           "Hardtanh", "LogSigmoid", "Mish", "PReLU", "ReLU6", "SELU", "Softmin",
           "Softshrink", "Softsign", "Tanhshrink", "Threshold"]


def _inplace(flag: bool, sep: str = ", ") -> str:
    return f"{sep}inplace=True" if flag else ""


class Hardtanh(Module):
    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False,
                 min_value=None, max_value=None) -> None:
        super().__init__()
        self.min_val = min_val if min_value is None else min_value
        self.max_val = max_val if max_value is None else max_value
        self.inplace = inplace
        if self.max_val <= self.min_val:
            raise AssertionError(f"max_val ({self.max_val}) must be greater than min_val "
                                 f"({self.min_val})")

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}{_inplace(self.inplace)}"


class ReLU6(Hardtanh):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return _inplace(self.inplace, "")


class _InplaceAct(Module):
    _fn = None

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._fn(input, inplace=self.inplace)


class Hardsigmoid(_InplaceAct):
    _fn = staticmethod(F.hardsigmoid)


class Hardswish(_InplaceAct):
    _fn = staticmethod(F.hardswish)


class SELU(_InplaceAct):
    _fn = staticmethod(F.selu)

    def extra_repr(self) -> str:
        return _inplace(self.inplace, "")


class Mish(_InplaceAct):
    _fn = staticmethod(F.mish)

    def extra_repr(self) -> str:
        return _inplace(self.inplace, "")


class CELU(Module):
    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.celu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}{_inplace(self.inplace)}"


class PReLU(Module):
    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(_empty((num_parameters,), dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        from . import init
        init.constant_(self.weight, self.init)

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class _Plain(Module):
    _fn = None

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._fn(input)


class Softsign(_Plain):
    _fn = staticmethod(F.softsign)


class Tanhshrink(_Plain):
    _fn = staticmethod(F.tanhshrink)


class LogSigmoid(_Plain):
    _fn = staticmethod(F.logsigmoid)


class Softmin(Module):
    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.softmin(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softshrink(Module):
    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:
        return F.softshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class Hardshrink(Softshrink):
    def forward(self, input: Tensor) -> Tensor:
        return F.hardshrink(input, self.lambd)


class Threshold(Module):
    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}{_inplace(self.inplace)}"


class GLU(Module):
    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class _DropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(_DropoutNd):
    def forward(self, input: Tensor) -> Tensor:
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    def forward(self, input: Tensor) -> Tensor:
        return F.dropout2d(input, self.p, self.training, self.inplace)
