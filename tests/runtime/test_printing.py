"""PyTorch's tensor text, character for character.

The expected strings are PyTorch 2.13's measured output for tensors with the same values and
dtype. Where torch is importable, a randomized sweep also compares against it directly.
"""
import math

import numpy as np
import pytest

from s2sgrad.runtime import dtypes
from s2sgrad.runtime.printing import (
    dtype_name,
    get_printoptions,
    printoptions,
    set_printoptions,
    tensor_repr,
)

inf, nan = math.inf, math.nan


def f32(*v):
    return np.array(v, dtype=np.float32)


def f64(*v):
    return np.array(v, dtype=np.float64)


@pytest.fixture(autouse=True)
def _default_options():
    set_printoptions(profile="default")
    yield
    set_printoptions(profile="default")


# (array, tensor_repr keyword arguments, exact PyTorch text)
TABLE = [
    (np.ones((2, 2), np.float32), {"requires_grad": True},
     "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)"),
    (np.full((2, 2), 3, np.float32), {"grad_fn_name": "AddBackward0", "requires_grad": True},
     "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)"),
    (np.full((2, 2), 27, np.float32), {"grad_fn_name": "MulBackward0"},
     "tensor([[27., 27.],\n        [27., 27.]], grad_fn=<MulBackward0>)"),
    (np.float32(27).reshape(()), {"grad_fn_name": "MeanBackward0"},
     "tensor(27., grad_fn=<MeanBackward0>)"),
    (np.array(3.5, np.float32), {}, "tensor(3.5000)"),
    (np.array(3), {}, "tensor(3)"),
    (np.array(True), {}, "tensor(True)"),
    (np.array(0.0, np.float32), {}, "tensor(0.)"),
    (np.array(-0.5, np.float32), {}, "tensor(-0.5000)"),
    (np.array(2.0, np.float32), {"requires_grad": True}, "tensor(2., requires_grad=True)"),
    (f32(1.0, 2.5, 3.0), {}, "tensor([1.0000, 2.5000, 3.0000])"),
    (f32(1.0, 2.0, 3.0), {}, "tensor([1., 2., 3.])"),
    (f32(2.0, -3.0), {}, "tensor([ 2., -3.])"),
    (f32(-1.5, 2.25), {}, "tensor([-1.5000,  2.2500])"),
    (f32(1.46684, 2.0), {}, "tensor([1.4668, 2.0000])"),
    (np.array([1, 2, 3]), {}, "tensor([1, 2, 3])"),
    (np.array([-1, 20, 300]), {}, "tensor([ -1,  20, 300])"),
    (np.array([10**12, 1]), {}, "tensor([1000000000000,             1])"),
    (np.array([True, True]), {}, "tensor([True, True])"),
    (np.array([True, False, True]), {}, "tensor([ True, False,  True])"),
    (np.array([[True, False], [False, True]]), {},
     "tensor([[ True, False],\n        [False,  True]])"),
    (f64(1.0, 2.5), {}, "tensor([1.0000, 2.5000], dtype=torch.float64)"),
    (f64(1.0, 2.0), {"requires_grad": True},
     "tensor([1., 2.], dtype=torch.float64, requires_grad=True)"),
    (f64(2.0, 4.0), {"grad_fn_name": "MulBackward0"},
     "tensor([2., 4.], dtype=torch.float64, grad_fn=<MulBackward0>)"),
    (np.array(math.pi), {}, "tensor(3.1416, dtype=torch.float64)"),
    (np.array([1, 2], np.int32), {}, "tensor([1, 2], dtype=torch.int32)"),
    (np.array([1, 2], np.int64), {}, "tensor([1, 2])"),
    (np.array([1, 2], np.uint8), {}, "tensor([1, 2], dtype=torch.uint8)"),
    (np.array([1.5, 2.0], np.float16), {}, "tensor([1.5000, 2.0000], dtype=torch.float16)"),
    (np.array([1 + 2j], np.complex64), {}, "tensor([1.+2.j])"),
    (f32(1.0, 51.2, 0.0001), {}, "tensor([1.0000e+00, 5.1200e+01, 1.0000e-04])"),
    (f32(51.2, 1.0), {}, "tensor([51.2000,  1.0000])"),
    (f32(1e8, 1.0), {}, "tensor([1.0000e+08, 1.0000e+00])"),
    (f32(1e-5, 1.0), {}, "tensor([1.0000e-05, 1.0000e+00])"),
    (f32(1e-5), {}, "tensor([1.0000e-05])"),
    (f32(-1e-5, 1.0, 100.0), {}, "tensor([-1.0000e-05,  1.0000e+00,  1.0000e+02])"),
    (f32(12345.678), {}, "tensor([12345.6777])"),
    (f32(123456789.0), {}, "tensor([1.2346e+08])"),
    (np.array(123456.7, np.float32), {}, "tensor(123456.7031)"),
    (f32(1000.5, 1.0), {}, "tensor([1.0005e+03, 1.0000e+00])"),
    (f32(1001.0, 1.0), {}, "tensor([1.0010e+03, 1.0000e+00])"),
    (f32(1e9, 1.0), {}, "tensor([1.0000e+09, 1.0000e+00])"),
    (f32(1e8), {}, "tensor([100000000.])"),
    (f32(99999999.0), {}, "tensor([100000000.])"),
    (f32(100000008.0), {}, "tensor([1.0000e+08])"),
    (f32(1e10), {}, "tensor([1.0000e+10])"),
    (f32(1e7, 2.0), {}, "tensor([1.0000e+07, 2.0000e+00])"),
    (np.array(51200.0, np.float32), {}, "tensor(51200.)"),
    (np.array(1e9, np.float32), {}, "tensor(1.0000e+09)"),
    (np.array(0.00012345, np.float32), {}, "tensor(0.0001)"),
    (np.array(1e-4, np.float32), {}, "tensor(1.0000e-04)"),
    (f32(0.0, 0.0001), {}, "tensor([0.0000e+00, 1.0000e-04])"),
    (f32(0.0, 0.00011), {}, "tensor([0.0000, 0.0001])"),
    (f32(0.0, 0.5), {}, "tensor([0.0000, 0.5000])"),
    (f32(0.001, 1.0), {}, "tensor([0.0010, 1.0000])"),
    (f32(0.001, 1.001), {}, "tensor([1.0000e-03, 1.0010e+00])"),
    (f32(0.0011, 1.1), {}, "tensor([1.1000e-03, 1.1000e+00])"),
    (f32(0.5, 1000.5), {}, "tensor([5.0000e-01, 1.0005e+03])"),
    (f32(0.1, 100.0), {}, "tensor([  0.1000, 100.0000])"),
    (f32(0.00015, 0.5), {}, "tensor([1.5000e-04, 5.0000e-01])"),
    (f32(1.23456789e-3, 2.0), {}, "tensor([1.2346e-03, 2.0000e+00])"),
    (f32(0.00049999, 0.1), {}, "tensor([0.0005, 0.1000])"),
    (np.array([[1.0, 100.0], [-5.25, 3.0]], np.float32), {},
     "tensor([[  1.0000, 100.0000],\n        [ -5.2500,   3.0000]])"),
    (np.array([[-1.0, 2.0], [3.0, 4.5]], np.float32), {},
     "tensor([[-1.0000,  2.0000],\n        [ 3.0000,  4.5000]])"),
    (f32(-0.0, 1.0), {}, "tensor([-0., 1.])"),
    (f32(-0.0, 0.0), {}, "tensor([-0., 0.])"),
    (f32(inf, nan, 1.0), {}, "tensor([inf, nan, 1.])"),
    (f32(inf, -inf, 1.0), {}, "tensor([inf, -inf, 1.])"),
    (f32(1.5, nan), {}, "tensor([1.5000,    nan])"),
    (f32(nan), {}, "tensor([nan])"),
    (f32(1e-5, inf), {}, "tensor([1.0000e-05,        inf])"),
    (np.zeros(0, np.float32), {}, "tensor([])"),
    (np.zeros((0, 3), np.float32), {}, "tensor([], size=(0, 3))"),
    (np.zeros(0, np.int64), {}, "tensor([], dtype=torch.int64)"),
    (np.zeros(0, np.float64), {}, "tensor([], dtype=torch.float64)"),
    (np.zeros(0, np.float32), {"requires_grad": True}, "tensor([], requires_grad=True)"),
    (np.array([[1.0], [2.0], [3.0]], np.float32), {},
     "tensor([[1.],\n        [2.],\n        [3.]])"),
    (np.array([[1.0, 2.0, 3.0]], np.float32), {}, "tensor([[1., 2., 3.]])"),
    # The grad after the tutorial's y.backward(v): mixed magnitudes switch to e-notation.
    (f32(51.2, 512.0, 0.0512), {}, "tensor([5.1200e+01, 5.1200e+02, 5.1200e-02])"),
    (f32(788.99, -150.2356, -1115.5402), {"grad_fn_name": "MulBackward0"},
     "tensor([  788.9900,  -150.2356, -1115.5402], grad_fn=<MulBackward0>)"),
]


@pytest.mark.parametrize("data, kwargs, expected", TABLE, ids=[t[2] for t in TABLE])
def test_measured_table(data, kwargs, expected):
    assert tensor_repr(data, **kwargs) == expected


RANDN_2_3 = [[1.5410, -0.2934, -2.1788], [0.5684, -1.0845, -1.3986]]
RANDN_2_3_4 = [
    [[0.5988, -1.5551, -0.3414, 1.8530], [0.4681, -0.1577, 1.4437, 0.2660],
     [-0.1740, -0.6787, 0.9383, 0.4889]],
    [[-0.6731, 0.8728, 1.0554, 0.1778], [-0.5181, -0.3067, -1.5810, 1.7066],
     [-0.4462, 0.7440, 1.5210, 3.4105]],
]


def test_seeded_layouts():
    assert tensor_repr(np.array(RANDN_2_3, np.float32)) == (
        "tensor([[ 1.5410, -0.2934, -2.1788],\n"
        "        [ 0.5684, -1.0845, -1.3986]])")
    assert tensor_repr(f32(0.4033, 0.8380, -0.7193)) == "tensor([ 0.4033,  0.8380, -0.7193])"
    assert tensor_repr(np.array(RANDN_2_3_4, np.float32)) == (
        "tensor([[[ 0.5988, -1.5551, -0.3414,  1.8530],\n"
        "         [ 0.4681, -0.1577,  1.4437,  0.2660],\n"
        "         [-0.1740, -0.6787,  0.9383,  0.4889]],\n"
        "\n"
        "        [[-0.6731,  0.8728,  1.0554,  0.1778],\n"
        "         [-0.5181, -0.3067, -1.5810,  1.7066],\n"
        "         [-0.4462,  0.7440,  1.5210,  3.4105]]])")
    assert tensor_repr(np.arange(16.0, dtype=np.float32).reshape(2, 2, 2, 2)) == (
        "tensor([[[[ 0.,  1.],\n"
        "          [ 2.,  3.]],\n"
        "\n"
        "         [[ 4.,  5.],\n"
        "          [ 6.,  7.]]],\n"
        "\n"
        "\n"
        "        [[[ 8.,  9.],\n"
        "          [10., 11.]],\n"
        "\n"
        "         [[12., 13.],\n"
        "          [14., 15.]]]])")


def test_one_dim_wrapping_with_suffix():
    values = [-1.1068, 1.9263, 0.7365, -2.2305, -3.7798, -0.5879, -2.7803, -3.1043,
              3.2094, -0.8342, -0.1349, -3.1299, 0.3933, 0.8554, -0.0284, -2.6397,
              -5.4067, -3.2390, -1.9040, -1.5898]
    assert tensor_repr(np.array(values, np.float32), grad_fn_name="MulBackward0") == (
        "tensor([-1.1068,  1.9263,  0.7365, -2.2305, -3.7798, -0.5879, -2.7803, -3.1043,\n"
        "         3.2094, -0.8342, -0.1349, -3.1299,  0.3933,  0.8554, -0.0284, -2.6397,\n"
        "        -5.4067, -3.2390, -1.9040, -1.5898], grad_fn=<MulBackward0>)")


def test_arange_1000_is_not_summarised():
    lines = tensor_repr(np.arange(1000)).split("\n")
    assert lines[0] == ("tensor([  0,   1,   2,   3,   4,   5,   6,   7,   8,   9,  10,  11,"
                        "  12,  13,")
    assert lines[1] == ("         14,  15,  16,  17,  18,  19,  20,  21,  22,  23,  24,  25,"
                        "  26,  27,")
    assert lines[-1] == "        994, 995, 996, 997, 998, 999])"
    assert len(lines) == math.ceil(1000 / 14)


def test_wide_rows_wrap_inside_the_row():
    row0 = [-1.1258, -1.1524, -0.2506, -0.4339, 0.8487, 0.6920, -0.3160, -2.1152,
            0.3223, -1.2633, 0.3500, 0.3081, 0.1198, 1.2377, 1.1168, -0.2473,
            -1.3527, -1.6959, 0.5667, 0.7935, 0.5988, -1.5551, -0.3414, 1.8530,
            0.7502, -0.5855, -0.1734, 0.1835, 1.3894, 1.5863]
    data = np.full((3, 30), 0.25, np.float32)
    data[0] = row0
    data[1, 0] = 0.9463
    text = tensor_repr(data)
    assert text.startswith(
        "tensor([[-1.1258, -1.1524, -0.2506, -0.4339,  0.8487,  0.6920, -0.3160, -2.1152,\n"
        "          0.3223, -1.2633,  0.3500,  0.3081,  0.1198,  1.2377,  1.1168, -0.2473,\n"
        "         -1.3527, -1.6959,  0.5667,  0.7935,  0.5988, -1.5551, -0.3414,  1.8530,\n"
        "          0.7502, -0.5855, -0.1734,  0.1835,  1.3894,  1.5863],\n"
        "        [ 0.9463,  0.2500,")
    assert len(text.split("\n")) == 12


def test_suffix_moves_to_its_own_line():
    data = np.array([
        [0.5791, -0.9103, -0.2634, -0.4412, -0.6079, -0.3097, 2.2628],
        [0.9634, -0.4960, 0.7910, 0.1230, -0.4475, 0.8222, 0.5671],
        [0.1354, -0.9433, -0.5605, -0.0588, 0.1303, 0.2186, 0.5786],
        [-0.4853, 0.3742, -0.5738, 0.6949, 0.3428, -0.2291, 1.2986],
        [0.6189, 1.3910, -2.3209, -0.8612, -0.2226, -0.0077, 0.4872]], np.float32)
    assert tensor_repr(data, requires_grad=True) == (
        "tensor([[ 0.5791, -0.9103, -0.2634, -0.4412, -0.6079, -0.3097,  2.2628],\n"
        "        [ 0.9634, -0.4960,  0.7910,  0.1230, -0.4475,  0.8222,  0.5671],\n"
        "        [ 0.1354, -0.9433, -0.5605, -0.0588,  0.1303,  0.2186,  0.5786],\n"
        "        [-0.4853,  0.3742, -0.5738,  0.6949,  0.3428, -0.2291,  1.2986],\n"
        "        [ 0.6189,  1.3910, -2.3209, -0.8612, -0.2226, -0.0077,  0.4872]],\n"
        "       requires_grad=True)")


@pytest.mark.parametrize("n, dtype, expected", [
    (6, np.float32, ("tensor([0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000], "
                    "requires_grad=True)")),
    (7, np.float32, ("tensor([0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000],\n"
                    "       requires_grad=True)")),
    (5, np.float64, ("tensor([0.5000, 0.5000, 0.5000, 0.5000, 0.5000], dtype=torch.float64,\n"
                    "       requires_grad=True)")),
    (7, np.float64, ("tensor([0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000, 0.5000],\n"
                    "       dtype=torch.float64, requires_grad=True)")),
])
def test_suffix_wrapping_boundaries(n, dtype, expected):
    assert tensor_repr(np.full(n, 0.5, dtype), requires_grad=True) == expected


def test_summarised_vectors():
    assert tensor_repr(np.arange(1001)) == "tensor([   0,    1,    2,  ...,  998,  999, 1000])"
    assert (tensor_repr(np.arange(1001, dtype=np.float32))
            == "tensor([   0.,    1.,    2.,  ...,  998.,  999., 1000.])")
    # The hidden middle (here tiny values) does not take part in choosing the format.
    data = np.full(1001, 1e-9, np.float32)
    data[:3] = [0.2220, -0.5175, -0.2362]
    data[-3:] = [0.6758, -0.6841, -1.0471]
    assert tensor_repr(data, requires_grad=True) == (
        "tensor([ 0.2220, -0.5175, -0.2362,  ...,  0.6758, -0.6841, -1.0471],\n"
        "       requires_grad=True)")


def test_summarised_matrix_uses_edges_only():
    edges = np.array([
        [0.5943, 1.5419, 0.5073, -1.3602, 0.3446, 0.5199],
        [-0.3656, -1.3024, 0.0994, 0.1164, -0.5940, -1.2439],
        [-0.0250, 1.3694, 2.6570, -0.3584, -1.5616, -0.3546],
        [-0.3350, 0.9728, -1.0144, 1.3856, -0.0817, -0.6670],
        [0.5147, -1.1394, -0.0452, 0.1839, 0.2769, -0.4152],
        [-0.0038, 0.5820, 0.3567, 0.6287, -1.5343, -0.6971]], np.float32)
    data = np.full((40, 40), 1e20, np.float32)
    keep = np.r_[0:3, 37:40]
    data[np.ix_(keep, keep)] = edges
    assert tensor_repr(data) == (
        "tensor([[ 0.5943,  1.5419,  0.5073,  ..., -1.3602,  0.3446,  0.5199],\n"
        "        [-0.3656, -1.3024,  0.0994,  ...,  0.1164, -0.5940, -1.2439],\n"
        "        [-0.0250,  1.3694,  2.6570,  ..., -0.3584, -1.5616, -0.3546],\n"
        "        ...,\n"
        "        [-0.3350,  0.9728, -1.0144,  ...,  1.3856, -0.0817, -0.6670],\n"
        "        [ 0.5147, -1.1394, -0.0452,  ...,  0.1839,  0.2769, -0.4152],\n"
        "        [-0.0038,  0.5820,  0.3567,  ...,  0.6287, -1.5343, -0.6971]])")


def test_summarised_rows_only():
    data = np.zeros((1001, 2), np.float32)
    data[:3] = [[0.2823, 0.4342], [-0.8025, -1.2952], [-0.7502, -1.3120]]
    data[-3:] = [[-1.0226, 0.1049], [0.2520, -2.2691], [1.1179, 0.2134]]
    assert tensor_repr(data) == (
        "tensor([[ 0.2823,  0.4342],\n"
        "        [-0.8025, -1.2952],\n"
        "        [-0.7502, -1.3120],\n"
        "        ...,\n"
        "        [-1.0226,  0.1049],\n"
        "        [ 0.2520, -2.2691],\n"
        "        [ 1.1179,  0.2134]])")


def test_summarised_format_depends_on_shown_items():
    data = np.ones(1001, np.float32)
    data[500] = 1e-8
    assert tensor_repr(data) == "tensor([1., 1., 1.,  ..., 1., 1., 1.])"
    data = np.ones(1001, np.float32)
    data[0] = 1e-8
    assert tensor_repr(data) == (
        "tensor([1.0000e-08, 1.0000e+00, 1.0000e+00,  ..., 1.0000e+00, 1.0000e+00,\n"
        "        1.0000e+00])")


def test_summarised_3d_cuts_last_dim_only():
    data = 1 + np.arange(4 * 5 * 60, dtype=np.float32).reshape(4, 5, 60) / 1000
    lines = tensor_repr(data).split("\n")
    assert lines[0] == "tensor([[[1.0000, 1.0010, 1.0020,  ..., 1.0570, 1.0580, 1.0590],"
    assert lines[1] == "         [1.0600, 1.0610, 1.0620,  ..., 1.1170, 1.1180, 1.1190],"
    assert lines[5] == ""
    assert lines[6] == "        [[1.3000, 1.3010, 1.3020,  ..., 1.3570, 1.3580, 1.3590],"
    assert lines[-1] == "         [2.1400, 2.1410, 2.1420,  ..., 2.1970, 2.1980, 2.1990]]])"
    assert len(lines) == 4 * 5 + 3


def test_printoptions_facts():
    set_printoptions(precision=2)
    assert tensor_repr(f32(1.12345, 2.5)) == "tensor([1.12, 2.50])"
    set_printoptions(threshold=5)
    assert tensor_repr(np.arange(10)) == "tensor([0, 1, 2,  ..., 7, 8, 9])"
    set_printoptions(profile="default")
    assert tensor_repr(f32(1.12345)) == "tensor([1.1235])"
    assert tensor_repr(np.arange(10)) == "tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])"
    # Every call resets sci_mode unless it is passed again.
    set_printoptions(sci_mode=False)
    assert tensor_repr(f32(1e-5, 1.0)) == "tensor([0.0000, 1.0000])"
    set_printoptions(precision=3)
    assert tensor_repr(f32(1e-5, 1.0)) == "tensor([1.000e-05, 1.000e+00])"
    set_printoptions(sci_mode=True, precision=3)
    assert tensor_repr(f32(1.0, 2.0)) == "tensor([1.000e+00, 2.000e+00])"
    # Forced e-notation still needs a non-zero finite value to apply.
    assert tensor_repr(f32(0.0, nan)) == "tensor([0., nan])"


def test_get_printoptions_and_profiles():
    assert get_printoptions() == {"precision": 4, "threshold": 1000, "edgeitems": 3,
                                  "linewidth": 80, "sci_mode": None}
    set_printoptions(profile="short", linewidth=100)
    assert get_printoptions() == {"precision": 2, "threshold": 1000, "edgeitems": 2,
                                  "linewidth": 100, "sci_mode": None}
    set_printoptions(profile="full")
    assert get_printoptions()["threshold"] == math.inf
    assert tensor_repr(np.arange(1001)).count("...") == 0
    set_printoptions(profile="default")
    with printoptions(precision=1, sci_mode=True):
        assert tensor_repr(f32(2.5)) == "tensor([2.5e+00])"
    assert get_printoptions()["precision"] == 4
    assert get_printoptions()["sci_mode"] is None


def test_edgeitems_zero_prints_size():
    set_printoptions(threshold=3, edgeitems=0)
    assert tensor_repr(np.arange(10)) == "tensor([...], size=(10,))"
    assert tensor_repr(np.ones((4, 4), np.float32)) == "tensor([...], size=(4, 4))"


def test_linewidth_changes_wrapping():
    set_printoptions(linewidth=30)
    assert tensor_repr(np.arange(10)) == "tensor([0, 1, 2, 3, 4, 5, 6,\n        7, 8, 9])"


def test_complex_layout():
    data = np.array([1 - 2j, -3.5 + 0.25j], np.complex64)
    assert tensor_repr(data) == "tensor([ 1.0000-2.0000j, -3.5000+0.2500j])"
    assert tensor_repr(np.array(2j, np.complex128)) == "tensor(0.+2.j, dtype=torch.complex128)"


def test_default_dtype_float64_changes_which_dtype_is_named():
    before = dtypes.get_default_dtype()
    dtypes.set_default_dtype(dtypes.float64)
    try:
        assert tensor_repr(f64(1.0, 2.0)) == "tensor([1., 2.])"
        assert tensor_repr(f32(1.0, 2.0)) == "tensor([1., 2.], dtype=torch.float32)"
        assert tensor_repr(np.zeros(0, np.float32)) == "tensor([], dtype=torch.float32)"
        assert tensor_repr(np.array([1j], np.complex128)) == "tensor([0.+1.j])"
    finally:
        dtypes.set_default_dtype(before)


def test_prefix_sets_indent():
    assert tensor_repr(np.ones((2, 2), np.float32), prefix="Thing(") == (
        "Thing([[1., 1.],\n       [1., 1.]])")


def test_format():
    import s2sgrad as torch
    t = torch.Tensor._wrap
    assert format(t(np.array(1.5, np.float32)), "") == "1.5"
    assert format(t(np.array(1.5, np.float32)), ".2f") == "1.50"
    assert format(t(np.array(3.3600003719329834, np.float32)), "") == "3.3600003719329834"
    assert format(t(np.array(7)), "") == "7"
    assert format(t(np.array(7)), "03d") == "007"
    assert format(t(np.array(True)), "") == "True"
    assert format(t(f32(1.0, 2.0)), "") == "tensor([1., 2.])"
    with pytest.raises(TypeError, match=r"^unsupported format string passed to "
                                        r"Tensor.__format__$"):
        format(t(f32(1.0, 2.0)), ".2f")
    # A 0-d Parameter is not formatted as its scalar (torch checks type(self) is Tensor).
    p = torch.nn.Parameter(torch.tensor(1.5))
    assert format(p) == "Parameter containing:\ntensor(1.5000, requires_grad=True)"
    with pytest.raises(TypeError, match=r"^unsupported format string passed to "
                                        r"Parameter.__format__$"):
        format(p, ".3f")


@pytest.mark.parametrize("np_dtype, name", [
    (np.float32, "torch.float32"), (np.float64, "torch.float64"), (np.int64, "torch.int64"),
    (np.int32, "torch.int32"), (np.bool_, "torch.bool"), (np.uint8, "torch.uint8"),
    (np.float16, "torch.float16"), (np.complex64, "torch.complex64"),
    (np.complex128, "torch.complex128"), (np.int8, "torch.int8"), (np.int16, "torch.int16"),
])
def test_dtype_name(np_dtype, name):
    assert dtype_name(np.dtype(np_dtype)) == name


def test_unsupported_dtype_is_an_error():
    with pytest.raises(TypeError, match="object"):
        dtype_name(np.dtype(object))
    with pytest.raises(TypeError, match="str"):
        tensor_repr(np.array(["a"]))


# ----- randomized comparison against PyTorch itself ----------------------------------------

def _random_array(rng):
    nd = int(rng.integers(0, 5))
    shape = tuple(int(s) for s in rng.integers(0, 7 if nd > 2 else 40, size=nd))
    if nd >= 1 and rng.random() < 0.1:
        # Big enough to be summarised.
        shape = (int(rng.integers(1001, 1400)),) + tuple(min(s, 3) for s in shape[1:])
    kind = rng.choice(["f32", "f32", "f64", "f16", "i64", "i32", "u8", "bool", "c64"])
    n = math.prod(shape)
    if kind == "bool":
        return (rng.random(n) < 0.5).reshape(shape)
    if kind in ("i64", "i32", "u8"):
        hi = {"i64": 10 ** int(rng.integers(0, 15)), "i32": 10 ** int(rng.integers(0, 9)),
              "u8": 255}[kind]
        vals = rng.integers(0 if kind == "u8" else -hi, hi + 1, size=n)
        return vals.astype({"i64": np.int64, "i32": np.int32, "u8": np.uint8}[kind]).reshape(shape)
    mag = 10.0 ** int(rng.integers(-12, 13))
    style = int(rng.integers(0, 4))
    if style == 0:
        vals = rng.standard_normal(n) * mag
    elif style == 1:
        vals = np.round(rng.standard_normal(n) * mag)
    elif style == 2:
        vals = rng.integers(-5, 6, size=n).astype(float)
    else:
        vals = rng.standard_normal(n) * 10.0 ** rng.integers(-8, 9, size=n)
    if n and rng.random() < 0.2:
        vals[rng.integers(0, n, size=3)] = rng.choice([nan, inf, -inf, 0.0, -0.0])
    if kind == "c64":
        vals = vals + 1j * rng.standard_normal(n) * mag
    np_dtype = {"f32": np.float32, "f64": np.float64, "f16": np.float16,
                "c64": np.complex64}[kind]
    with np.errstate(over="ignore"):
        return vals.astype(np_dtype).reshape(shape)


def test_random_arrays_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1234)
    for _ in range(400):
        data = _random_array(rng)
        t = torch.from_numpy(data.copy())
        assert tensor_repr(data) == repr(t), (data.dtype, data.shape)
        if data.dtype.kind == "f":
            leaf = t.clone().requires_grad_(True)
            assert tensor_repr(data, requires_grad=True) == repr(leaf)
            assert tensor_repr(data, grad_fn_name="MulBackward0") == repr(leaf * 1)


def test_random_printoptions_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(99)
    choices = {"precision": [0, 1, 2, 6], "threshold": [0, 5, 50, math.inf],
               "edgeitems": [0, 1, 2, 4], "linewidth": [20, 40, 120],
               "sci_mode": [True, False], "profile": ["default", "short", "full"]}
    try:
        for _ in range(200):
            opts = {k: v[int(rng.integers(len(v)))] for k, v in choices.items()
                    if rng.random() < 0.4}
            torch.set_printoptions(**opts)
            set_printoptions(**opts)
            assert get_printoptions() == torch._tensor_str.get_printoptions()
            data = _random_array(rng)
            assert tensor_repr(data) == repr(torch.from_numpy(data.copy())), opts
    finally:
        torch.set_printoptions(profile="default")
