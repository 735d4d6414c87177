"""Recurrent cells: ``RNNCell``, ``LSTMCell``, ``GRUCell`` (one time step).

Takes: sizes, bias and (``RNNCell``) the nonlinearity at construction; an input (N, H_in)
or unbatched (H_in,) and optional state(s) at call time. Gives: the next hidden state
(LSTM: ``(h, c)``), computed by the same step functions as the sequence layers (``rnn``),
with PyTorch's parameter names (``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``),
gate order, reprs and size checks.
Invariant: every parameter is drawn from U(-1/sqrt(hidden), 1/sqrt(hidden)) in
registration order, which is PyTorch's, so ``manual_seed`` gives PyTorch's weights.
"""
from __future__ import annotations

import math

from ..runtime.tensor import Tensor
from . import functional as F
from . import init
from .linear import _empty
from .module import Module
from .parameter import Parameter
from .rnn import _gru_step, _lstm_step, _rnn_step, _zeros

__all__ = ["GRUCell", "LSTMCell", "RNNCell", "RNNCellBase"]


class RNNCellBase(Module):
    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(_empty((num_chunks * hidden_size, input_size), dtype))
        self.weight_hh = Parameter(_empty((num_chunks * hidden_size, hidden_size), dtype))
        if bias:
            self.bias_ih = Parameter(_empty((num_chunks * hidden_size,), dtype))
            self.bias_hh = Parameter(_empty((num_chunks * hidden_size,), dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _prepare(self, name: str, input: Tensor, states, what: str = "hidden"):
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        for label, value in states:
            if value is not None and value.dim() not in (1, 2):
                raise ValueError(f"{name}: Expected {label} to be 1D or 2D, got "
                                 f"{value.dim()}D instead")
        batched = input.dim() == 2
        return (input if batched else input.unsqueeze(0)), batched

    def _check_sizes(self, input: Tensor, states) -> None:
        """PyTorch's ``check_rnn_cell_forward_input``/``_hidden`` (on batched tensors)."""
        if input.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} "
                               f"expected {self.input_size}")
        for label, hx in states:
            if input.shape[0] != hx.shape[0]:
                raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match "
                                   f"hidden{label} batch size {hx.shape[0]}")
            if hx.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{label} has inconsistent hidden_size: got "
                                   f"{hx.shape[1]}, expected {self.hidden_size}")

    def _x_gates(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight_ih, self.bias_ih)


class RNNCell(RNNCellBase):
    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device,
                         dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        input, batched = self._prepare("RNNCell", input, [("hidden", hx)])
        if hx is None:
            hx = _zeros((input.shape[0], self.hidden_size), input)
        elif not batched:
            hx = hx.unsqueeze(0)
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        self._check_sizes(input, [("0", hx)])
        ret = _rnn_step(self._x_gates(input), hx, self.weight_hh, self.bias_hh,
                        self.nonlinearity)
        return ret if batched else ret.squeeze(0)


class LSTMCell(RNNCellBase):
    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device,
                         dtype=dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None):
        states = [] if hx is None else [(f"hx[{i}]", v) for i, v in enumerate(hx)]
        input, batched = self._prepare("LSTMCell", input, states)
        if hx is None:
            zeros = _zeros((input.shape[0], self.hidden_size), input)
            hx = (zeros, zeros)
        elif not batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        self._check_sizes(input, [("0", hx[0]), ("1", hx[1])])
        h, c = _lstm_step(self._x_gates(input), hx[0], hx[1], self.weight_hh, self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device,
                         dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        input, batched = self._prepare("GRUCell", input, [("hidden", hx)])
        if hx is None:
            hx = _zeros((input.shape[0], self.hidden_size), input)
        elif not batched:
            hx = hx.unsqueeze(0)
        self._check_sizes(input, [("0", hx)])
        ret = _gru_step(self._x_gates(input), hx, self.weight_hh, self.bias_hh)
        return ret if batched else ret.squeeze(0)
