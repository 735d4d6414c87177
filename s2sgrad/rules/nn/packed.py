"""``pack_padded`` and ``pad_packed``: the two layouts of a batch of variable-length
sequences (``nn.utils.rnn``), each the other's adjoint.

Takes: a time-major padded array (T, B, *) and the batch sizes per step (non-increasing,
``batch_sizes[0] == B``); or the packed rows (sum(batch_sizes), *), the batch sizes, the
padded length and the padding value.
Gives: the packed rows, step by step, of the sequences still running (node
``PackPaddedSequenceBackward0``); or the padded array (``PadPackedSequenceBackward0``).
Invariant: a row's place is the same in both layouts (packed order is the row-major order
of the (T, B) mask ``b < batch_sizes[t]``), so each adjoint is the other primal and higher
derivatives need nothing more. (No forward-mode rules yet: the forward-rule checker's spec
table lives in tests/forward, outside this module's owners.)
"""
from __future__ import annotations

import numpy as np

from ..registry import nondifferentiable, rule


def running(batch_sizes, batch):
    """The (T, B) mask of the (step, sequence) pairs that exist."""
    sizes = np.asarray(batch_sizes).reshape(-1, 1)
    return np.arange(batch).reshape(1, -1) < sizes


def pack_padded(input, batch_sizes):
    """Rows ``input[t, b]`` with ``b < batch_sizes[t]``, in step order."""
    steps = len(batch_sizes)
    return input[:steps][running(batch_sizes, input.shape[1])]


def pad_packed(data, batch_sizes, total_length, padding_value=0.0):
    """The packed rows back in a (total_length, B, *) array filled with ``padding_value``."""
    batch = int(batch_sizes[0]) if len(batch_sizes) else 0
    out = np.full((total_length, batch) + data.shape[1:], padding_value, data.dtype)
    out[:len(batch_sizes)][running(batch_sizes, batch)] = data
    return out


@rule(pack_padded, wrt=("input",), name="PackPaddedSequenceBackward0")
def pack_padded_adjoint(g, out, input, batch_sizes):
    return pad_packed(g, batch_sizes, input.shape[0], 0.0)


@rule(pad_packed, wrt=("data",), name="PadPackedSequenceBackward0")
def pad_packed_adjoint(g, out, data, batch_sizes, total_length, padding_value=0.0):
    return pack_padded(g, batch_sizes)


nondifferentiable(running)
