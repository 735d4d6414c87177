"""``utils.data``: PyTorch's datasets, samplers, collation and ``DataLoader``.

Takes: map-style datasets (``__getitem__`` and ``__len__``: a ``Dataset``, a list, a
``range``) or iterable-style ones (``IterableDataset``). Gives: ``Dataset``,
``IterableDataset``, ``TensorDataset``, ``Subset``, ``ConcatDataset``, ``ChainDataset``,
``random_split``, the samplers (``SequentialSampler``, ``RandomSampler``,
``SubsetRandomSampler``, ``BatchSampler``), ``default_collate``, ``default_convert`` and
``DataLoader``, with PyTorch 2.13's results, errors and warnings (measured).

Invariants:

* Randomness comes from s2sgrad's PyTorch-compatible generators and is drawn in PyTorch's
  order, so after the same ``manual_seed`` the shuffled order, ``random_split`` and every
  later random number are PyTorch's: creating a DataLoader iterator draws one int64 seed
  (``random_`` on a 0-d int64 tensor, two words) from the loader's generator (the default
  one when None), shuffled or not; a ``RandomSampler`` without a generator then draws
  another such seed when its first index is needed, seeds a fresh ``Generator`` with it and
  takes ``randperm`` (or ``randint`` in chunks of 32 with replacement) from that.
* ``default_collate`` stacks Tensors (``s2sgrad.stack``, so gradients flow), turns NumPy
  arrays and scalars into Tensors of their dtype, Python floats into float64, ints and
  bools into ``tensor(batch)``, keeps strings, and recurses into dicts, named tuples,
  tuples (which become lists) and lists.
* ``num_workers > 0`` is accepted and loads in this process, in the same order (no worker
  processes, so ``worker_init_fn`` is not called and ``get_worker_info()`` is None);
  ``pin_memory`` warns as PyTorch does on a machine without an accelerator.
"""
from __future__ import annotations

import bisect
import copy
import math
import re
import warnings
from collections.abc import Iterable, Mapping, MutableMapping, MutableSequence, Sequence
from itertools import accumulate

import numpy as np

from ..runtime import random as _random
from ..runtime.functions import stack
from ..runtime.tensor import Tensor

__all__ = ["BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset",
           "IterableDataset", "RandomSampler", "Sampler", "SequentialSampler", "Subset",
           "SubsetRandomSampler", "TensorDataset", "default_collate", "default_convert",
           "get_worker_info", "random_split"]


def _generator(generator) -> _random.Generator:
    return generator if generator is not None else _random.default_generator


def _draw_seed(generator=None) -> int:
    """``int(torch.empty((), dtype=torch.int64).random_(generator=generator).item())``."""
    out = np.empty((), np.int64)
    _generator(generator).random_(out)
    return int(out)


# ------------------------------------------------------------------------------ datasets

class Dataset:
    """A map-style dataset: subclasses give ``__getitem__`` (and usually ``__len__``)."""

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset, Iterable):
    """An iterable-style dataset: subclasses give ``__iter__``."""

    def __add__(self, other):
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Sample ``i`` is ``tuple(t[i] for t in tensors)``; all share their first dimension."""

    def __init__(self, *tensors: Tensor) -> None:
        assert all(tensors[0].size(0) == t.size(0) for t in tensors), \
            "Size mismatch between tensors"
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].size(0)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: list[int]) -> list:
        inner = getattr(self.dataset, "__getitems__", None)
        if callable(inner):
            return inner([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Map-style datasets one after another; ``cumulative_sizes`` holds the running ends."""

    @staticmethod
    def cumsum(sequence) -> list[int]:
        return list(accumulate(len(d) for d in sequence))

    def __init__(self, datasets: Iterable) -> None:
        self.datasets = list(datasets)
        assert len(self.datasets) > 0, "datasets should not be an empty iterable"
        for d in self.datasets:
            assert not isinstance(d, IterableDataset), \
                "ConcatDataset does not support IterableDataset"
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][idx - start]

    @property
    def cummulative_sizes(self) -> list[int]:
        warnings.warn("cummulative_sizes attribute is renamed to cumulative_sizes",
                      DeprecationWarning, stacklevel=2)
        return self.cumulative_sizes


class ChainDataset(IterableDataset):
    """Iterable datasets one after another."""

    def __init__(self, datasets: Iterable) -> None:
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            assert isinstance(d, IterableDataset), "ChainDataset only supports IterableDataset"
            yield from d

    def __len__(self) -> int:
        total = 0
        for d in self.datasets:
            assert isinstance(d, IterableDataset), "ChainDataset only supports IterableDataset"
            total += len(d)
        return total


def random_split(dataset, lengths: Sequence, generator=None) -> list[Subset]:
    """Split ``dataset`` into ``Subset``s of the given lengths, or of the given fractions
    of its length (which sum to 1; the remainder goes one by one to the first splits),
    after one ``randperm`` of all indices from ``generator`` (the default one when None)."""
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            counts.append(int(math.floor(len(dataset) * frac)))
        for i in range(len(dataset) - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
        for i, n in enumerate(lengths):
            if n == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an "
                              "empty dataset.", UserWarning, stacklevel=2)
    if sum(lengths) != len(dataset):
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    order = _generator(generator).randperm(sum(lengths)).tolist()
    return [Subset(dataset, order[end - n:end]) for end, n in zip(accumulate(lengths), lengths)]


# ------------------------------------------------------------------------------ samplers

class Sampler:
    """Iterates over dataset indices (or over batches of them)."""

    def __init__(self, data_source=None) -> None:
        pass

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation of the indices (or ``num_samples`` draws with replacement)."""

    def __init__(self, data_source, replacement: bool = False, num_samples: int | None = None,
                 generator=None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError("replacement should be a boolean value, but got "
                            f"replacement={self.replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError("num_samples should be a positive integer value, but got "
                             f"num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        if self.generator is None:
            gen = _random.Generator()
            gen.manual_seed(_draw_seed())
        else:
            gen = self.generator
        if self.replacement:
            for _ in range(self.num_samples // 32):
                yield from gen.randint(0, n, (32,)).tolist()
            yield from gen.randint(0, n, (self.num_samples % 32,)).tolist()
        else:
            for _ in range(self.num_samples // n):
                yield from gen.randperm(n).tolist()
            yield from gen.randperm(n).tolist()[:self.num_samples % n]

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """``indices`` in a random order (one ``randperm`` from ``generator``)."""

    def __init__(self, indices: Sequence[int], generator=None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in _generator(self.generator).randperm(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class BatchSampler(Sampler):
    """Lists of ``batch_size`` indices from ``sampler`` (a short last one unless
    ``drop_last``)."""

    def __init__(self, sampler, batch_size: int, drop_last: bool) -> None:
        if (not isinstance(batch_size, int) or isinstance(batch_size, bool)
                or batch_size <= 0):
            raise ValueError("batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size


class _InfiniteConstantSampler(Sampler):
    """The index sampler of an iterable-style dataset: ``None`` forever."""

    def __iter__(self):
        while True:
            yield None


# ------------------------------------------------------------------------------ collation

_STRING_DTYPE = re.compile(r"[SaUO]")
_COLLATE_ERROR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
                  "or lists; found {}")


def _is_numpy(obj) -> bool:
    kind = type(obj)
    return kind.__module__ == "numpy" and kind.__name__ not in ("str_", "string_", "bytes_")


def _shape_text(shape) -> str:
    return "[" + ", ".join(map(str, shape)) + "]"


def _stack_tensors(batch: list[Tensor]) -> Tensor:
    first = tuple(batch[0].shape)
    for i, t in enumerate(batch):
        if tuple(t.shape) != first:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{_shape_text(first)} at entry 0 and "
                               f"{_shape_text(t.shape)} at entry {i}")
    return stack(list(batch), 0)


def default_collate(batch):
    """Merge a list of samples into a batch, as ``torch.utils.data.default_collate``."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack_tensors(batch)
    if _is_numpy(elem):
        if isinstance(elem, np.ndarray):
            if _STRING_DTYPE.search(elem.dtype.str) is not None:
                raise TypeError(_COLLATE_ERROR.format(elem.dtype))
            return default_collate([Tensor._wrap(np.asarray(b)) for b in batch])
        if elem.shape == ():
            return Tensor._wrap(np.array(batch))
    if isinstance(elem, float):
        return Tensor._wrap(np.array(batch, dtype=np.float64))
    if isinstance(elem, int):
        from ..runtime.factories import tensor
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, Mapping):
        return _like_mapping(elem, {key: default_collate([d[key] for d in batch])
                                    for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):       # a named tuple
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = list(zip(*batch))
        items = [default_collate(c) for c in columns]
        return items if isinstance(elem, tuple) else _like_sequence(elem, items)
    raise TypeError(_COLLATE_ERROR.format(type(elem)))


def default_convert(data):
    """NumPy arrays and scalars (inside dicts, tuples, lists too) to Tensors, the arrays
    sharing memory; everything else unchanged. Tuples become lists, as in PyTorch."""
    if isinstance(data, Tensor):
        return data
    if _is_numpy(data):
        if isinstance(data, np.ndarray) and _STRING_DTYPE.search(data.dtype.str) is not None:
            return data
        return Tensor._wrap(data if isinstance(data, np.ndarray) else np.asarray(data))
    if isinstance(data, Mapping):
        return _like_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        return _like_sequence(data, [default_convert(d) for d in data])
    return data


def _like_mapping(like, items: dict):
    """``items`` in a mapping of ``like``'s type: a copy of ``like`` updated when it is
    mutable, else one built from ``items``; a plain dict when the type cannot be built."""
    try:
        if isinstance(like, MutableMapping):
            clone = copy.copy(like)
            clone.update(items)
            return clone
        return type(like)(items)
    except TypeError:
        return items


def _like_sequence(like, items: list):
    """``items`` in a sequence of ``like``'s type (as ``_like_mapping``); a plain list
    when the type cannot be built."""
    try:
        if isinstance(like, MutableSequence):
            clone = copy.copy(like)
            for i, item in enumerate(items):
                clone[i] = item
            return clone
        return type(like)(items)
    except TypeError:
        return items


def get_worker_info():
    """None: s2sgrad loads data in the calling process (there are no workers)."""
    return None


# ------------------------------------------------------------------------------ loader

_FIXED_AFTER_INIT = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                     "persistent_workers")


class DataLoader:
    """Iterate over a dataset in batches, as ``torch.utils.data.DataLoader``."""

    __initialized = False

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler=None, batch_sampler=None, num_workers: int = 0, collate_fn=None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 "
                             "to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in "
                             "multiprocessing.let num_workers > 0 to enable multiprocessing, "
                             "otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        if multiprocessing_context is not None and num_workers == 0:
            raise ValueError("multiprocessing_context can only be used with multi-process "
                             f"loading (num_workers > 0), but got num_workers={num_workers}")
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in {False, None}:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"shuffle option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"sampler option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self.__initialized = True

    def __setattr__(self, attr, value) -> None:
        if self.__initialized and attr in _FIXED_AFTER_INIT:
            raise ValueError(f"{attr} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(attr, value)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self):
        if self.pin_memory:
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, "
                          "then device pinned memory won't be used.", UserWarning, stacklevel=2)
        indices = iter(self._index_sampler)          # a generator: draws nothing yet
        samples = iter(self.dataset) if self._iterable else None
        _draw_seed(self.generator)                   # PyTorch's per-iterator base seed
        if samples is not None:
            return self._iterable_batches(indices, samples)
        return self._batches(indices)

    def _batches(self, indices):
        getitems = getattr(self.dataset, "__getitems__", None)
        for index in indices:
            if not self._auto_collation:
                data = self.dataset[index]
            elif getitems:
                data = getitems(index)
            else:
                data = [self.dataset[i] for i in index]
            yield self.collate_fn(data)

    def _iterable_batches(self, indices, samples):
        for index in indices:
            if self._auto_collation:
                data = []
                for _ in index:
                    try:
                        data.append(next(samples))
                    except StopIteration:
                        break
                if not data or (self.drop_last and len(data) < len(index)):
                    return
            else:
                try:
                    data = next(samples)
                except StopIteration:
                    return
            yield self.collate_fn(data)

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
            return n
        return len(self._index_sampler)
