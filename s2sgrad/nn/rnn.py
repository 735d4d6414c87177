"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` (their cells, ``RNNCell``, ``LSTMCell`` and
``GRUCell``, are in ``rnn_cell`` and re-exported here).

Takes: sizes and PyTorch's options (num_layers, nonlinearity, bias, batch_first, dropout,
bidirectional, proj_size for LSTM) at construction; a sequence (``(L, N, H_in)``,
``(N, L, H_in)`` with ``batch_first``, or unbatched ``(L, H_in)``) and optional initial
states at call time, or a ``PackedSequence`` (``nn.utils.rnn``; the output is then packed too).
Gives: PyTorch's outputs ``(output, h_n)`` (LSTM: ``(output, (h_n, c_n))``), computed step
by step from existing Tensor ops (``linear``, ``sigmoid``, ``tanh``, ``stack``), so autograd
needs no rule of its own. Parameters carry PyTorch's names (``weight_ih_l0``,
``bias_hh_l1_reverse``, ...), shapes and gate order (LSTM: i, f, g, o; GRU: r, z, n).
Invariant: every parameter is drawn from U(-1/sqrt(hidden), 1/sqrt(hidden)) in
registration order, which is PyTorch's, so ``manual_seed`` gives PyTorch's weights.
"""
from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from ..runtime import factories as _factories
from ..runtime import functions as _fn
from ..runtime.tensor import Tensor
from . import functional as F
from . import init
from .linear import _empty
from .module import Module
from .parameter import Parameter

__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase"]


def _zeros(shape, like: Tensor) -> Tensor:
    return _factories.zeros(*shape, dtype=like.dtype)


# ---------------------------------------------------------------- one step of each kind

def _rnn_step(x_gates, h, w_hh, b_hh, nonlinearity):
    pre = x_gates + F.linear(h, w_hh, b_hh)
    return pre.tanh() if nonlinearity == "tanh" else F.relu(pre)


def _lstm_step(x_gates, h, c, w_hh, b_hh, w_hr=None):
    gates = x_gates + F.linear(h, w_hh, b_hh)
    i, f, g, o = gates.chunk(4, -1)
    c = F.sigmoid(f) * c + F.sigmoid(i) * g.tanh()
    h = F.sigmoid(o) * c.tanh()
    if w_hr is not None:
        h = F.linear(h, w_hr)
    return h, c


def _gru_step(x_gates, h, w_hh, b_hh):
    xr, xz, xn = x_gates.chunk(3, -1)
    hr, hz, hn = F.linear(h, w_hh, b_hh).chunk(3, -1)
    r = F.sigmoid(xr + hr)
    z = F.sigmoid(xz + hz)
    n = (xn + r * hn).tanh()
    return (1 - z) * n + z * h


# ---------------------------------------------------------------- the sequence layers

class RNNBase(Module):
    """The shared machinery: parameters, checks, and the layer/direction loop."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        if (not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1
                or isinstance(dropout, bool)):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=3)
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first should be of type bool, got: "
                            f"{type(batch_first).__name__}")
        if not isinstance(input_size, int):
            raise TypeError(f"input_size should be of type int, got: "
                            f"{type(input_size).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: "
                            f"{type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        chunks = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}
        if mode not in chunks:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = chunks[mode] * hidden_size
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        real_hidden = proj_size if proj_size > 0 else hidden_size
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input = input_size if layer == 0 else real_hidden * num_directions
                suffix = "_reverse" if direction == 1 else ""
                shapes = [("weight_ih", (gate_size, layer_input)),
                          ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes += [("weight_hr", (proj_size, hidden_size))]
                names = []
                for stem, shape in shapes:
                    name = f"{stem}_l{layer}{suffix}"
                    setattr(self, name, Parameter(_empty(shape, dtype)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, n, None) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """PyTorch packs the weights for cuDNN; on the CPU there is nothing to do."""

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # -- checks ----------------------------------------------------------------------------
    def _check_input(self, input: Tensor, expected_dim: int = 3) -> None:
        w = self._flat_weights[0]
        if input.dtype != w.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({w.dtype}). Convert input: input.to({w.dtype}), or convert "
                             f"model: model.to({input.dtype})")
        if input.dim() != expected_dim:
            raise RuntimeError(f"input must have {expected_dim} dimensions, got {input.dim()}")
        if self.input_size != input.shape[-1]:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")

    def _expected_hidden(self, input: Tensor, size: int) -> tuple:
        batch = input.shape[0] if self.batch_first else input.shape[1]
        return (self.num_layers * (2 if self.bidirectional else 1), batch, size)

    @staticmethod
    def _check_hidden(hx: Tensor, expected: tuple, msg="Expected hidden size {}, got {}"):
        if tuple(hx.shape) != expected:
            raise RuntimeError(msg.format(expected, list(hx.shape)))

    def _batch(self, input: Tensor, name: str):
        if input.dim() not in (2, 3):
            what = " tensor" if name == "RNN" else ""
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D"
                             f"{what} instead")
        batched = input.dim() == 3
        if not batched:
            input = input.unsqueeze(0 if self.batch_first else 1)
        return input, batched

    # -- the loop --------------------------------------------------------------------------
    def _run(self, x: Tensor, states: list) -> tuple[Tensor, list]:
        """``x`` time-major (L, N, H_in); ``states[k]`` the initial state(s) of layer/dir
        ``k``. Returns the last layer's output and the final states."""
        num_directions = 2 if self.bidirectional else 1
        finals = []
        for layer in range(self.num_layers):
            outs = []
            for direction in range(num_directions):
                k = layer * num_directions + direction
                w = [getattr(self, n) for n in self._all_weights[k]]
                w_ih, w_hh = w[0], w[1]
                b_ih, b_hh = (w[2], w[3]) if self.bias else (None, None)
                w_hr = w[-1] if self.proj_size > 0 else None
                x_gates = F.linear(x, w_ih, b_ih)
                steps = range(x.shape[0])
                if direction == 1:
                    steps = reversed(steps)
                state = states[k]
                seq = [None] * x.shape[0]
                for t in steps:
                    if self.mode == "LSTM":
                        state = _lstm_step(x_gates[t], state[0], state[1], w_hh, b_hh, w_hr)
                        seq[t] = state[0]
                    elif self.mode == "GRU":
                        state = _gru_step(x_gates[t], state, w_hh, b_hh)
                        seq[t] = state
                    else:
                        nl = "tanh" if self.mode == "RNN_TANH" else "relu"
                        state = _rnn_step(x_gates[t], state, w_hh, b_hh, nl)
                        seq[t] = state
                if not seq:
                    seq_out = _zeros((0, x.shape[1], w_hh.shape[1]), x)
                else:
                    seq_out = _fn.stack(seq, 0)
                outs.append(seq_out)
                finals.append(state)
            x = outs[0] if num_directions == 1 else _fn.cat(outs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, finals

    # -- packed sequences ------------------------------------------------------------------
    def _step(self, x_gates: Tensor, state: tuple, w_hh, b_hh, w_hr) -> tuple:
        if self.mode == "LSTM":
            return _lstm_step(x_gates, state[0], state[1], w_hh, b_hh, w_hr)
        if self.mode == "GRU":
            return (_gru_step(x_gates, state[0], w_hh, b_hh),)
        nl = "tanh" if self.mode == "RNN_TANH" else "relu"
        return (_rnn_step(x_gates, state[0], w_hh, b_hh, nl),)

    def _run_packed(self, data: Tensor, sizes: np.ndarray, states: list) -> tuple:
        """``data`` packed rows (sum(sizes), H_in); ``states[k]`` a tuple of (B, H) initial
        states. At step t only the first ``sizes[t]`` sequences run: forwards, a sequence's
        final state is the one after its last step; backwards, it starts at its own last
        step from its initial state."""
        num_directions = 2 if self.bidirectional else 1
        offsets = np.concatenate([[0], np.cumsum(sizes)]).tolist()
        steps = len(sizes)
        finals = []
        for layer in range(self.num_layers):
            outs = []
            for direction in range(num_directions):
                k = layer * num_directions + direction
                w = [getattr(self, n) for n in self._all_weights[k]]
                b_ih, b_hh = (w[2], w[3]) if self.bias else (None, None)
                w_hr = w[-1] if self.proj_size > 0 else None
                x_gates = F.linear(data, w[0], b_ih)
                init_state, pieces = states[k], [None] * steps
                if direction == 0:
                    state, done = init_state, []
                    for t in range(steps):
                        bs = int(sizes[t])
                        if bs < state[0].shape[0]:       # sequences that ended at t - 1
                            done.insert(0, tuple(s[bs:] for s in state))
                            state = tuple(s[:bs] for s in state)
                        state = self._step(x_gates[offsets[t]:offsets[t + 1]], state, w[1],
                                           b_hh, w_hr)
                        pieces[t] = state[0]
                    state = tuple(_fn.cat([s] + [d[i] for d in done], 0) if done else s
                                  for i, s in enumerate(state))
                else:
                    state = None
                    for t in reversed(range(steps)):
                        bs, cur = int(sizes[t]), 0 if state is None else state[0].shape[0]
                        if bs > cur:                     # sequences whose last step is t
                            fresh = tuple(s[cur:bs] for s in init_state)
                            state = fresh if state is None else tuple(
                                _fn.cat([a, b], 0) for a, b in zip(state, fresh))
                        state = self._step(x_gates[offsets[t]:offsets[t + 1]], state, w[1],
                                           b_hh, w_hr)
                        pieces[t] = state[0]
                outs.append(_fn.cat(pieces, 0))
                finals.append(state if self.mode == "LSTM" else state[0])
            data = outs[0] if num_directions == 1 else _fn.cat(outs, 1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                data = F.dropout(data, self.dropout, True)
        return data, finals

    def _forward_packed(self, packed, hx):
        """PyTorch's RNN over a ``PackedSequence``: initial states in the caller's batch
        order are sorted like the data, final states are put back in the caller's order."""
        from .utils.rnn import PackedSequence
        data, batch_sizes, sorted_indices, unsorted_indices = packed
        sizes = np.asarray(batch_sizes._data, np.int64)
        self._check_input(data, 2)
        batch = int(sizes[0])
        layers = self.num_layers * (2 if self.bidirectional else 1)
        lstm = self.mode == "LSTM"
        real = self.proj_size if self.proj_size > 0 else self.hidden_size
        exp_h = (layers, batch, real)
        if hx is None:
            hx = ((_zeros(exp_h, data), _zeros((layers, batch, self.hidden_size), data))
                  if lstm else _zeros(exp_h, data))
        elif sorted_indices is not None:
            hx = (tuple(h.index_select(1, sorted_indices) for h in hx) if lstm
                  else hx.index_select(1, sorted_indices))
        if lstm:
            self._check_hidden(hx[0], exp_h, "Expected hidden[0] size {}, got {}")
            self._check_hidden(hx[1], (layers, batch, self.hidden_size),
                               "Expected hidden[1] size {}, got {}")
            states = [(hx[0][k], hx[1][k]) for k in range(layers)]
        else:
            self._check_hidden(hx, exp_h)
            states = [(hx[k],) for k in range(layers)]
        out, finals = self._run_packed(data, sizes, states)
        if lstm:
            h_n = (_fn.stack([f[0] for f in finals], 0), _fn.stack([f[1] for f in finals], 0))
            if unsorted_indices is not None:
                h_n = tuple(h.index_select(1, unsorted_indices) for h in h_n)
        else:
            h_n = _fn.stack(finals, 0)
            if unsorted_indices is not None:
                h_n = h_n.index_select(1, unsorted_indices)
        return PackedSequence(out, batch_sizes, sorted_indices, unsorted_indices), h_n

    def _forward_one_state(self, input: Tensor, hx: Tensor | None, name: str):
        """RNN's and GRU's forward: one hidden state per layer and direction."""
        if isinstance(input, tuple):                   # a PackedSequence
            return self._forward_packed(input, hx)
        input, batched = self._batch(input, name)
        if not batched and hx is not None:
            if hx.dim() != 2:
                raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got "
                                   f"{hx.dim()}-D tensor")
            hx = hx.unsqueeze(1)
        elif batched and hx is not None and hx.dim() != 3:
            raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got "
                               f"{hx.dim()}-D tensor")
        self._check_input(input)
        expected = self._expected_hidden(input, self.hidden_size)
        if hx is None:
            hx = _zeros(expected, input)
        self._check_hidden(hx, expected)
        x = input.transpose(0, 1) if self.batch_first else input
        out, finals = self._run(x, [hx[k] for k in range(hx.shape[0])])
        h_n = _fn.stack(finals, 0)
        if self.batch_first:
            out = out.transpose(0, 1)
        if not batched:
            out, h_n = out.squeeze(1 if not self.batch_first else 0), h_n.squeeze(1)
        return out, h_n


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or ReLU)."""

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.__dict__["nonlinearity"] = args[3]
            args = args[:3] + args[4:]
        else:
            self.__dict__["nonlinearity"] = kwargs.pop("nonlinearity", "tanh")
        nl = self.__dict__["nonlinearity"]
        if nl == "tanh":
            mode = "RNN_TANH"
        elif nl == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{nl}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)
        self.nonlinearity = nl

    def forward(self, input: Tensor, hx: Tensor | None = None):
        return self._forward_one_state(input, hx, "RNN")


class GRU(RNNBase):
    """Gated recurrent unit, gates r, z, n (PyTorch's order and formulas)."""

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input: Tensor, hx: Tensor | None = None):
        return self._forward_one_state(input, hx, "GRU")


class LSTM(RNNBase):
    """Long short-term memory, gates i, f, g, o; ``proj_size`` projects ``h`` with
    ``weight_hr``."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None):
        if isinstance(input, tuple):                   # a PackedSequence
            return self._forward_packed(input, hx)
        input, batched = self._batch(input, "LSTM")
        if hx is not None:
            if batched and (hx[0].dim() != 3 or hx[1].dim() != 3):
                raise RuntimeError(f"For batched 3-D input, hx and cx should also be 3-D but "
                                   f"got ({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
            if not batched:
                if hx[0].dim() != 2 or hx[1].dim() != 2:
                    raise RuntimeError(f"For unbatched 2-D input, hx and cx should also be "
                                       f"2-D but got ({hx[0].dim()}-D, {hx[1].dim()}-D) "
                                       "tensors")
                hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
        self._check_input(input)
        real = self.proj_size if self.proj_size > 0 else self.hidden_size
        exp_h = self._expected_hidden(input, real)
        exp_c = self._expected_hidden(input, self.hidden_size)
        if hx is None:
            hx = (_zeros(exp_h, input), _zeros(exp_c, input))
        self._check_hidden(hx[0], exp_h, "Expected hidden[0] size {}, got {}")
        self._check_hidden(hx[1], exp_c, "Expected hidden[1] size {}, got {}")
        x = input.transpose(0, 1) if self.batch_first else input
        states = [(hx[0][k], hx[1][k]) for k in range(hx[0].shape[0])]
        out, finals = self._run(x, states)
        h_n = _fn.stack([s[0] for s in finals], 0)
        c_n = _fn.stack([s[1] for s in finals], 0)
        if self.batch_first:
            out = out.transpose(0, 1)
        if not batched:
            out = out.squeeze(0 if self.batch_first else 1)
            h_n, c_n = h_n.squeeze(1), c_n.squeeze(1)
        return out, (h_n, c_n)


from .rnn_cell import GRUCell, LSTMCell, RNNCell, RNNCellBase  # noqa: E402
