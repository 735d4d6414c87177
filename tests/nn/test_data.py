"""utils.data: datasets, random_split, samplers, default_collate/default_convert and
DataLoader, against values measured on torch 2.13 and against torch itself when installed."""
import collections
import warnings

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.utils import data as D

Point = collections.namedtuple("Point", "x y")


class Squares(D.Dataset):
    def __len__(self):
        return 7

    def __getitem__(self, i):
        return sg.tensor([float(i), float(i * i)]), i


class Counting(D.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def batches(loader):
    return [b.tolist() for b in loader]


# ----------------------------------------------------------------------------- datasets

def test_lazy_import_and_names():
    assert sg.utils.data is D
    import s2sgrad.utils.data as again
    assert again.DataLoader is D.DataLoader


def test_tensor_dataset():
    x = sg.arange(10.0).reshape(5, 2)
    y = sg.arange(5)
    ds = D.TensorDataset(x, y)
    assert len(ds) == 5
    xi, yi = ds[3]
    assert repr(xi) == "tensor([6., 7.])" and repr(yi) == "tensor(3)"
    assert ds.tensors[0] is x
    with pytest.raises(AssertionError, match="^Size mismatch between tensors$"):
        D.TensorDataset(sg.ones(3), sg.ones(4))


def test_dataset_base_and_concat():
    with pytest.raises(NotImplementedError,
                       match="^Subclasses of Dataset should implement __getitem__.$"):
        D.Dataset()[0]
    with pytest.raises(TypeError, match="has no len"):
        len(D.Dataset())
    a = D.TensorDataset(sg.tensor([1.0, 2.0]))
    b = D.TensorDataset(sg.tensor([3.0]))
    both = a + b
    assert isinstance(both, D.ConcatDataset)
    assert both.cumulative_sizes == [2, 3] and len(both) == 3
    assert [both[i][0].item() for i in range(3)] == [1.0, 2.0, 3.0]
    assert both[-1][0].item() == 3.0 and both[-3][0].item() == 1.0
    with pytest.raises(ValueError,
                       match="^absolute value of index should not exceed dataset length$"):
        both[-4]
    with pytest.raises(IndexError):
        both[3]
    with pytest.raises(AssertionError, match="^datasets should not be an empty iterable$"):
        D.ConcatDataset([])
    with pytest.raises(AssertionError, match="^ConcatDataset does not support IterableDataset$"):
        D.ConcatDataset([Counting(2)])
    with pytest.warns(DeprecationWarning, match="renamed to cumulative_sizes"):
        assert both.cummulative_sizes == [2, 3]


def test_subset_and_iterable_datasets():
    s = D.Subset([10, 11, 12, 13], [3, 0])
    assert len(s) == 2 and s[0] == 13 and s[1] == 10
    assert s.__getitems__([1, 0]) == [10, 13]
    with pytest.raises(TypeError, match="Can't instantiate abstract class IterableDataset"):
        D.IterableDataset()
    chain = Counting(3) + Counting(2)
    assert isinstance(chain, D.ChainDataset)
    assert list(chain) == [0, 1, 2, 0, 1] and len(chain) == 5
    with pytest.raises(AssertionError, match="^ChainDataset only supports IterableDataset$"):
        list(D.ChainDataset([range(2)]))


def test_random_split_measured():
    sg.manual_seed(0)
    a, b = D.random_split(range(10), [0.3, 0.7])
    assert (list(a), list(b)) == ([4, 1, 7], [5, 3, 9, 0, 8, 6, 2])
    assert a.indices == [4, 1, 7] and isinstance(a, D.Subset)
    g = sg.Generator().manual_seed(42)
    a, b = D.random_split(range(10), (3, 7), generator=g)
    assert (list(a), list(b)) == ([2, 6, 1], [8, 4, 5, 0, 9, 3, 7])
    # The remainder of the fractions goes to the first splits, one each.
    assert [len(s) for s in D.random_split(range(11), [0.3, 0.3, 0.4])] == [4, 3, 4]


def test_random_split_errors_and_warnings():
    msg = "^Sum of input lengths does not equal the length of the input dataset!$"
    with pytest.raises(ValueError, match=msg):
        D.random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match=msg):
        D.random_split(range(10), [0.5, 0.6])
    with pytest.raises(ValueError, match="^Fraction at index 0 is not between 0 and 1$"):
        D.random_split(range(10), [1.5, -0.5])
    with pytest.warns(UserWarning, match="^Length of split at index 2 is 0. This might result "
                      "in an empty dataset.$"):
        parts = D.random_split(range(3), [0.5, 0.5, 0.0])
    assert [len(p) for p in parts] == [2, 1, 0]


# ----------------------------------------------------------------------------- collation

def test_default_collate_types_measured():
    c = D.default_collate
    assert repr(c([1.5, 2.0])) == "tensor([1.5000, 2.0000], dtype=torch.float64)"
    assert repr(c([1, 2])) == "tensor([1, 2])"
    assert repr(c([True, False])) == "tensor([ True, False])"
    assert repr(c([1, 2.5])) == "tensor([1.0000, 2.5000])"
    assert repr(c([2.5, 1])) == "tensor([2.5000, 1.0000], dtype=torch.float64)"
    assert repr(c([np.float32(1.5), np.float32(2)])) == "tensor([1.5000, 2.0000])"
    assert repr(c([np.int32(1), np.int32(2)])) == "tensor([1, 2], dtype=torch.int32)"
    assert repr(c([np.array([1, 2]), np.array([3, 4])])) == "tensor([[1, 2],\n        [3, 4]])"
    assert repr(c([np.array(1.0), np.array(2.0)])) == "tensor([1., 2.], dtype=torch.float64)"
    assert c(["a", "b"]) == ["a", "b"]
    assert repr(c([(1, 2.0), (3, 4.0)])) == (
        "[tensor([1, 3]), tensor([2., 4.], dtype=torch.float64)]")
    assert repr(c([[1, 2], [3, 4]])) == "[tensor([1, 3]), tensor([2, 4])]"
    assert repr(c([(1, "a"), (2, "b")])) == "[tensor([1, 2]), ('a', 'b')]"
    assert repr(c([{"a": 1, "b": [1.0, 2.0]}, {"a": 2, "b": [3.0, 4.0]}])) == (
        "{'a': tensor([1, 2]), 'b': [tensor([1., 3.], dtype=torch.float64), "
        "tensor([2., 4.], dtype=torch.float64)]}")
    assert repr(c([Point(1, 2.0), Point(3, 4.0)])) == (
        "Point(x=tensor([1, 3]), y=tensor([2., 4.], dtype=torch.float64))")
    od = c([collections.OrderedDict(a=1)])
    assert type(od) is collections.OrderedDict and repr(od["a"]) == "tensor([1])"
    mixed = c([sg.ones(2), sg.ones(2, dtype=sg.float64)])
    assert mixed.dtype == sg.float64


def test_default_collate_errors():
    c = D.default_collate
    with pytest.raises(RuntimeError, match="^each element in list of batch should be of "
                       "equal size$"):
        c([[1, 2], [3]])
    with pytest.raises(RuntimeError, match=r"^stack expects each tensor to be equal size, "
                       r"but got \[2\] at entry 0 and \[3\] at entry 1$"):
        c([sg.ones(2), sg.ones(3)])
    found = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists"
    with pytest.raises(TypeError, match=f"^{found}; found <class 'NoneType'>$"):
        c([None, None])
    with pytest.raises(TypeError, match=f"^{found}; found <U1$"):
        c([np.array(["a"])])
    with pytest.raises(KeyError):
        c([{"a": 1}, {"b": 2}])


def test_default_collate_keeps_the_graph():
    a = sg.ones(2, requires_grad=True)
    out = D.default_collate([a, sg.zeros(2)])
    assert repr(out) == "tensor([[1., 1.],\n        [0., 0.]], grad_fn=<StackBackward0>)"
    out.sum().backward()
    assert a.grad.tolist() == [1.0, 1.0]


def test_default_convert():
    v = D.default_convert
    arr = np.ones(2)
    t = v(arr)
    assert repr(t) == "tensor([1., 1.], dtype=torch.float64)"
    arr[0] = 5.0                          # the tensor shares the array's memory
    assert t.tolist() == [5.0, 1.0]
    out = v((np.ones(1), 1.5))
    assert type(out) is list and out[1] == 1.5
    assert repr(v(np.float32(2))) == "tensor(2.)" and repr(v(np.int64(3))) == "tensor(3)"
    assert v("abc") == "abc" and v(3) == 3
    s = np.array(["a"])
    assert v(s) is s
    assert repr(v({"a": np.ones(1)})) == "{'a': tensor([1.], dtype=torch.float64)}"


# ----------------------------------------------------------------------------- loader

def test_shuffle_matches_measured_torch_order_and_stream():
    sg.manual_seed(0)
    assert batches(D.DataLoader(range(10), batch_size=3, shuffle=True)) == [
        [6, 7, 1], [4, 2, 0], [9, 8, 3], [5]]
    assert batches(D.DataLoader(range(10), batch_size=3, shuffle=True)) == [
        [2, 4, 7], [0, 8, 9], [5, 3, 6], [1]]
    assert repr(sg.rand(2)) == "tensor([0.4556, 0.6323])"
    # Without shuffling an epoch still draws the iterator's base seed (two words).
    sg.manual_seed(0)
    assert batches(D.DataLoader(range(10), batch_size=3)) == [
        [0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert repr(sg.rand(2)) == "tensor([0.0885, 0.1320])"


def test_loader_batches_lengths_and_collate():
    ds = Squares()
    loader = D.DataLoader(ds, batch_size=3)
    out = list(loader)
    assert len(loader) == 3 and len(out) == 3
    x, y = out[0]
    assert repr(x) == "tensor([[0., 0.],\n        [1., 1.],\n        [2., 4.]])"
    assert repr(y) == "tensor([0, 1, 2])"
    assert len(out[2][1]) == 1
    assert len(D.DataLoader(ds, batch_size=3, drop_last=True)) == 2
    assert len(list(D.DataLoader(ds, batch_size=3, drop_last=True))) == 2
    unbatched = D.DataLoader(ds, batch_size=None)
    assert len(unbatched) == 7 and unbatched.batch_sampler is None
    assert unbatched.collate_fn is D.default_convert and loader.collate_fn is D.default_collate
    first = next(iter(unbatched))
    assert repr(first[0]) == "tensor([0., 0.])" and first[1] == 0
    raw = D.DataLoader(range(5), batch_size=2, collate_fn=lambda b: b)
    assert list(raw) == [[0, 1], [2, 3], [4]]
    assert batches(D.DataLoader(range(5), sampler=[4, 2, 0], batch_size=2)) == [[4, 2], [0]]
    assert batches(D.DataLoader(range(10), batch_sampler=[[0, 3], [5]])) == [[0, 3], [5]]
    assert list(D.DataLoader(range(3), batch_size=None)) == [0, 1, 2]
    assert batches(D.DataLoader(range(10), batch_size=4, num_workers=2)) == batches(
        D.DataLoader(range(10), batch_size=4))
    assert type(D.DataLoader(range(3)).sampler) is D.SequentialSampler
    assert type(D.DataLoader(range(3), shuffle=True).sampler) is D.RandomSampler
    assert type(D.DataLoader(range(3)).batch_sampler) is D.BatchSampler


def test_loader_with_tensor_dataset_trains():
    sg.manual_seed(0)
    x = sg.randn(32, 3)
    y = x @ sg.tensor([[1.0], [-2.0], [0.5]])
    model = sg.nn.Linear(3, 1)
    opt = sg.optim.SGD(model.parameters(), lr=0.1)
    loader = D.DataLoader(D.TensorDataset(x, y), batch_size=8, shuffle=True)
    for _ in range(30):
        for xb, yb in loader:
            opt.zero_grad()
            loss = ((model(xb) - yb) ** 2).mean()
            loss.backward()
            opt.step()
    assert loss.item() < 1e-3


def test_iterable_dataset_loader():
    assert batches(D.DataLoader(Counting(7), batch_size=3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert batches(D.DataLoader(Counting(7), batch_size=3, drop_last=True)) == [
        [0, 1, 2], [3, 4, 5]]
    assert len(D.DataLoader(Counting(7), batch_size=3)) == 3
    assert len(D.DataLoader(Counting(7), batch_size=3, drop_last=True)) == 2
    assert list(D.DataLoader(Counting(3), batch_size=None)) == [0, 1, 2]
    for kwargs, text in [({"shuffle": True}, "shuffle option, but got shuffle=True"),
                         ({"sampler": [1]}, "sampler option, but got sampler=[1]"),
                         ({"batch_sampler": [[1]]},
                          "batch_sampler option, but got batch_sampler=[[1]]")]:
        with pytest.raises(ValueError) as info:
            D.DataLoader(Counting(3), **kwargs)
        assert str(info.value) == "DataLoader with IterableDataset: expected unspecified " + text


@pytest.mark.parametrize("kwargs,msg", [
    ({"shuffle": True, "sampler": [0]}, "sampler option is mutually exclusive with shuffle"),
    ({"batch_size": 2, "batch_sampler": [[0]]}, "batch_sampler option is mutually exclusive "
     "with batch_size, shuffle, sampler, and drop_last"),
    ({"batch_sampler": [[0]], "drop_last": True}, "batch_sampler option is mutually exclusive "
     "with batch_size, shuffle, sampler, and drop_last"),
    ({"batch_size": None, "drop_last": True}, "batch_size=None option disables auto-batching "
     "and is mutually exclusive with drop_last"),
    ({"num_workers": -1}, "num_workers option should be non-negative; use num_workers=0 to "
     "disable multiprocessing."),
    ({"timeout": -1}, "timeout option should be non-negative"),
    ({"batch_size": 0}, "batch_size should be a positive integer value, but got batch_size=0"),
    ({"batch_size": 2.0}, "batch_size should be a positive integer value, but got "
     "batch_size=2.0"),
    ({"drop_last": 1}, "drop_last should be a boolean value, but got drop_last=1"),
    ({"prefetch_factor": 2}, "prefetch_factor option could only be specified in "
     "multiprocessing.let num_workers > 0 to enable multiprocessing, otherwise set "
     "prefetch_factor to None."),
    ({"persistent_workers": True}, "persistent_workers option needs num_workers > 0"),
    ({"multiprocessing_context": "spawn"}, "multiprocessing_context can only be used with "
     "multi-process loading (num_workers > 0), but got num_workers=0"),
])
def test_loader_errors(kwargs, msg):
    with pytest.raises(ValueError) as info:
        D.DataLoader(range(10), **kwargs)
    assert str(info.value) == msg


def test_loader_attributes_fixed_after_init_and_pin_memory():
    loader = D.DataLoader(range(4))
    with pytest.raises(ValueError, match="^batch_size attribute should not be set after "
                       "DataLoader is initialized$"):
        loader.batch_size = 3
    loader.num_workers = 3
    assert loader.num_workers == 3
    pinned = D.DataLoader(range(4), batch_size=4, pin_memory=True)
    with pytest.warns(UserWarning, match="^'pin_memory' argument is set as true but no "
                      "accelerator is found, then device pinned memory won't be used.$"):
        it = iter(pinned)
    assert next(it).tolist() == [0, 1, 2, 3]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        list(D.DataLoader(range(4)))
    assert D.get_worker_info() is None


def test_samplers_measured():
    sg.manual_seed(3)
    assert list(D.RandomSampler(range(5), replacement=True, num_samples=40)) == [
        2, 3, 0, 1, 3, 1, 2, 2, 3, 4, 3, 1, 2, 0, 0, 4, 2, 0, 3, 4, 1, 3, 0, 1, 3, 1, 2, 4,
        2, 1, 1, 0, 3, 3, 2, 4, 3, 1, 0, 4]
    assert list(D.RandomSampler(range(5), num_samples=12)) == [
        1, 4, 3, 0, 2, 2, 3, 4, 1, 0, 2, 4]
    assert len(D.RandomSampler(range(5), num_samples=12)) == 12
    assert sorted(D.SubsetRandomSampler([5, 6, 7])) == [5, 6, 7]
    assert list(D.BatchSampler(D.SequentialSampler(range(7)), 3, False)) == [
        [0, 1, 2], [3, 4, 5], [6]]
    assert len(D.BatchSampler(range(7), 3, True)) == 2
    with pytest.raises(TypeError, match="^replacement should be a boolean value, but got "
                       "replacement=1$"):
        D.RandomSampler(range(5), replacement=1)
    with pytest.raises(ValueError, match="^num_samples should be a positive integer value, "
                       "but got num_samples=0$"):
        D.RandomSampler(range(5), num_samples=0)
    with pytest.raises(ValueError, match="^drop_last should be a boolean value, but got "
                       "drop_last=0$"):
        D.BatchSampler(range(3), 2, 0)


# ----------------------------------------------------------------------------- vs torch

@pytest.mark.parametrize("seed", [0, 1, 7, 123456789])
@pytest.mark.parametrize("kwargs", [
    {"batch_size": 3, "shuffle": True},
    {"batch_size": 4, "shuffle": True, "drop_last": True},
    {"batch_size": 1, "shuffle": True},
    {"batch_size": None, "shuffle": True},
    {"batch_size": 5},
])
def test_loader_order_and_stream_match_torch(seed, kwargs):
    torch = pytest.importorskip("torch")
    n = 23
    ours, theirs = [], []
    for lib, mod, out in ((sg, D, ours), (torch, torch.utils.data, theirs)):
        lib.manual_seed(seed)
        x = lib.arange(n * 2).reshape(n, 2)
        loader = mod.DataLoader(mod.TensorDataset(x, lib.arange(n)), **kwargs)
        for _ in range(3):
            out.append([(repr(a), repr(b)) for a, b in loader])
        out.append(lib.rand(3).tolist())
        out.append(len(loader))
    assert ours == theirs


@pytest.mark.parametrize("seed", [0, 5])
def test_samplers_and_split_match_torch(seed):
    torch = pytest.importorskip("torch")
    ours, theirs = [], []
    for lib, mod, out in ((sg, D, ours), (torch, torch.utils.data, theirs)):
        lib.manual_seed(seed)
        out.append(list(mod.RandomSampler(range(9), replacement=True, num_samples=70)))
        out.append(list(mod.RandomSampler(range(9), num_samples=20)))
        out.append(list(mod.SubsetRandomSampler([3, 1, 4, 1, 5])))
        gen = lib.Generator().manual_seed(seed + 1)
        out.append(list(mod.RandomSampler(range(6), generator=gen)))
        out.append([s.indices for s in mod.random_split(range(17), [0.2, 0.5, 0.3])])
        out.append([s.indices for s in mod.random_split(range(17), [10, 7], generator=gen)])
        loader = mod.DataLoader(range(11), batch_size=4, shuffle=True, generator=gen)
        out.append([b.tolist() for b in loader])
        out.append(lib.rand(2).tolist())
    assert ours == theirs


def test_collate_reprs_match_torch():
    torch = pytest.importorskip("torch")
    samples = [
        [1.5, 2.0], [1, 2], [True, False], [1, 2.5],
        [np.float32(1.5), np.float32(-2)], [np.int16(3), np.int16(4)],
        [np.arange(6).reshape(2, 3), np.ones((2, 3), np.int64)],
        [np.linspace(0, 1, 3).astype(np.float32), np.zeros(3, np.float32)],
        [(1, "a", 2.5), (2, "b", 3.5)],
        [{"x": np.ones(2), "y": [1, 2], "z": (True, 0.5)},
         {"x": np.zeros(2), "y": [3, 4], "z": (False, 1.5)}],
        [Point(np.int32(1), [1.0]), Point(np.int32(2), [2.0])],
    ]
    for batch in samples:
        assert repr(D.default_collate(batch)) == repr(torch.utils.data.default_collate(batch))
    for item in [np.ones(3, np.float32), (np.ones(2), 1.5), {"a": [np.int8(1)]}, "s", 4]:
        assert repr(D.default_convert(item)) == repr(torch.utils.data.default_convert(item))
    pairs = [(sg.tensor([[1.0, 2.0]]), torch.tensor([[1.0, 2.0]])),
             (sg.tensor([[3.0, 4.0]]), torch.tensor([[3.0, 4.0]]))]
    assert repr(D.default_collate([p[0] for p in pairs])) == repr(
        torch.utils.data.default_collate([p[1] for p in pairs]))
