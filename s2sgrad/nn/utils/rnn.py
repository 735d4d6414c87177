"""``nn.utils.rnn``: batches of variable-length sequences, padded or packed.

Takes: lists of (L_i, *) Tensors, or a padded (T, B, *) batch (``(B, T, *)`` with
``batch_first``) with its lengths.
Gives: PyTorch's ``pad_sequence``, ``pack_padded_sequence``, ``pad_packed_sequence``,
``pack_sequence``, ``unpad_sequence``, ``unpack_sequence``, ``invert_permutation`` and the
``PackedSequence`` named tuple (data, batch_sizes, sorted_indices, unsorted_indices) that
``nn.RNN``/``nn.LSTM``/``nn.GRU`` accept and return. Packing and unpacking are one graph
node each (``PackPaddedSequenceBackward0``, ``PadPackedSequenceBackward0``).
Invariant: ``batch_sizes`` is an int64 CPU Tensor, non-increasing; with
``enforce_sorted=False`` the batch is sorted by decreasing length with a stable sort (what
PyTorch's CPU sort gives) and ``unsorted_indices`` undoes it.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

from ...rules import nn as R
from ...runtime import functions as _fn
from ...runtime.ops import apply
from ...runtime.tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pack_sequence",
           "pad_packed_sequence", "pad_sequence", "unpack_sequence", "unpad_sequence"]


class PackedSequence_(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(PackedSequence_):
    """Packed rows of a batch of sequences; build it with ``pack_padded_sequence`` or
    ``pack_sequence``."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def cpu(self, *args, **kwargs) -> PackedSequence:
        return self

    def double(self) -> PackedSequence:
        return self.to(dtype=_dtype("float64"))

    def float(self) -> PackedSequence:
        return self.to(dtype=_dtype("float32"))

    @property
    def is_cuda(self) -> bool:
        return False

    def is_pinned(self) -> bool:
        return False


def _dtype(name: str):
    from ...runtime import dtypes
    return getattr(dtypes, name)


def _long(a) -> Tensor:
    return Tensor._wrap(np.ascontiguousarray(np.asarray(a, np.int64)))


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of an index permutation (None stays None)."""
    if permutation is None:
        return None
    p = np.asarray(permutation._data)
    out = np.empty_like(p)
    out[p] = np.arange(p.size, dtype=p.dtype)
    return Tensor._wrap(out)


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch whose sequence ``b`` has ``lengths[b]`` valid steps."""
    lens = np.asarray(lengths._data if isinstance(lengths, Tensor) else lengths,
                      np.int64).reshape(-1)
    sorted_indices = None
    if not enforce_sorted:
        order = np.argsort(-lens, kind="stable")
        lens = lens[order]
        sorted_indices = _long(order)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    batch = input.shape[0 if batch_first else 1]
    if lens.size != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{lens.size} (batch_size={batch})")
    if lens.size and lens.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if np.any(np.diff(lens) > 0):
        raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                           "`enforce_sorted` is True. You can pass `enforce_sorted=False` to "
                           "pack_padded_sequence and/or pack_sequence to sidestep this "
                           "requirement if you do not need ONNX exportability.")
    batch_sizes = (np.arange(lens[0]).reshape(-1, 1) < lens.reshape(1, -1)).sum(1)
    if batch_first:
        input = input.transpose(0, 1)
    data = apply(R.pack_padded, input, batch_sizes.astype(np.int64),
                 name="PackPaddedSequenceBackward0")
    return PackedSequence(data, _long(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """The padded batch (in the original order) and the lengths of its sequences."""
    sizes = np.asarray(sequence.batch_sizes._data, np.int64)
    max_seq_length = sizes.size
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError("Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {max_seq_length}")
        max_seq_length = total_length
    padded = apply(R.pad_packed, sequence.data, sizes, max_seq_length, float(padding_value),
                   name="PadPackedSequenceBackward0")
    lengths = (np.arange(int(sizes[0])).reshape(1, -1) < sizes.reshape(-1, 1)).sum(0)
    if batch_first:
        padded = padded.transpose(0, 1)
    if sequence.unsorted_indices is not None:
        order = sequence.unsorted_indices
        return (padded.index_select(0 if batch_first else 1, order),
                _long(lengths[np.asarray(order._data)]))
    return padded, _long(lengths)


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack (L_i, *) Tensors into (max L, B, *) (``(B, max L, *)`` with ``batch_first``),
    padding each at its end (or start, ``padding_side="left"``)."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError("pad_sequence: Expected iterable for input sequences, but got arg "
                           f"of type: {type(sequences)}")
    seqs = tuple(sequences)
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    longest = max(s.shape[0] for s in seqs)
    padded = []
    for s in seqs:
        extra = longest - s.shape[0]
        if extra:
            fill = Tensor._wrap(np.full((extra,) + tuple(s.shape[1:]), padding_value,
                                        s._data.dtype))
            s = _fn.cat([s, fill] if padding_side == "right" else [fill, s], 0)
        padded.append(s)
    return _fn.stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences: Tensor, lengths: Tensor,
                   batch_first: bool = False) -> list[Tensor]:
    """The inverse of ``pad_sequence``: a list of (L_i, *) Tensors."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    lens = np.asarray(lengths._data if isinstance(lengths, Tensor) else lengths).reshape(-1)
    return [padded_sequences[b, :int(n)] for b, n in enumerate(lens)]


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of (L_i, *) Tensors (longest first unless ``enforce_sorted=False``)."""
    lengths = [v.shape[0] for v in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths,
                                enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The inverse of ``pack_sequence``."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
