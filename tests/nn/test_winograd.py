"""Winograd F(2x2, 3x3) convolutions (``s2sgrad/rules/nn/winograd.py``): the forward
correlation, the input and the weight gradient against the im2col path, against central
finite differences in float64 (``check_rule``, ``gradcheck``, ``gradgradcheck``) and
against PyTorch where it is installed.

The dispatch picks Winograd for large layers only, so the tests force it on small shapes
(``conv._WINOGRAD``): odd and even sizes, paddings 0-2, batches 1 and 3, both layouts of
the transformed input (with and without the wrapped tile column) and chunks of one sample.
"""
import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.autograd import gradcheck
from s2sgrad.autograd.gradcheck import check_rule, gradgradcheck
from s2sgrad.rules import nn as R
from s2sgrad.rules.nn import conv, winograd

RNG = np.random.default_rng(2024)

SHAPES = [  # (input shape, output channels, padding)
    ((1, 1, 3, 3), 1, 0),           # a single tile
    ((1, 2, 5, 5), 3, 1),           # odd output: the tile grid is cropped
    ((3, 3, 6, 7), 2, 1),           # even rows, odd columns
    ((3, 4, 7, 6), 5, 0),           # 5x4 output
    ((1, 3, 4, 9), 4, 2),           # padding 2: the input gradient's correlation is unpadded
    ((3, 2, 8, 8), 3, 2),
    ((1, 5, 2, 2), 2, 1),           # 2x2 images
    ((3, 2, 12, 11), 2, 1),
]

LAYOUTS = {  # module settings of winograd.py
    "wrapped": {"_WRAP_RUN": 1 << 30},
    "strided": {"_WRAP_RUN": 0},
    "per-sample": {"_SAMPLE_TILES": 1, "_CHUNK_BYTES": 1},
}

TOL = {np.float64: 1e-12, np.float32: 2e-6}     # of the largest output magnitude


def _x(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


@pytest.fixture(params=list(LAYOUTS))
def layout(request, monkeypatch):
    for name, value in LAYOUTS[request.param].items():
        monkeypatch.setattr(winograd, name, value)
    return request.param


def _both(monkeypatch, f):
    """f() by im2col, then by Winograd (forced)."""
    monkeypatch.setattr(conv, "_WINOGRAD", False)
    ref = f()
    monkeypatch.setattr(conv, "_WINOGRAD", True)
    return ref, f()


def _close(got, ref, dtype):
    assert got.dtype == ref.dtype and got.shape == ref.shape
    scale = max(float(np.abs(ref).max()), 1.0)
    np.testing.assert_allclose(got, ref, rtol=0, atol=TOL[dtype] * scale)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("xs,o,p", SHAPES)
def test_matches_im2col(xs, o, p, dtype, layout, monkeypatch):
    x, w = _x(*xs, dtype=dtype), _x(o, xs[1], 3, 3, dtype=dtype)
    y, yw = _both(monkeypatch, lambda: R.conv2d(x, w, None, 1, p))
    _close(yw, y, dtype)
    g = _x(*y.shape, dtype=dtype)
    gx, gxw = _both(monkeypatch, lambda: conv._conv_input_grad(g, w, x.shape, 1, p))
    _close(gxw, gx, dtype)
    gw, gww = _both(monkeypatch, lambda: conv._conv_weight_grad(g, x, w.shape, 1, p))
    _close(gww, gw, dtype)


@pytest.mark.parametrize("xs,o,p", SHAPES)
def test_adjoint_against_differences(xs, o, p, layout, monkeypatch):
    # The registered adjoint (input, weight and bias gradients) in float64.
    monkeypatch.setattr(conv, "_WINOGRAD", True)
    args = [_x(*xs), _x(o, xs[1], 3, 3), _x(o)]
    assert check_rule(R.conv2d, args, {"padding": p})


@pytest.mark.parametrize("xs,o,p", SHAPES[1:6:2])
def test_gradcheck(xs, o, p, monkeypatch):
    # Through the eager runtime, as a user's backward runs it.
    monkeypatch.setattr(conv, "_WINOGRAD", True)
    ts = [sg.tensor(a, requires_grad=True) for a in (_x(*xs), _x(o, xs[1], 3, 3), _x(o))]
    assert gradcheck(lambda a, b, c: sg.nn.functional.conv2d(a, b, c, padding=p), ts,
                     atol=1e-6, rtol=1e-5)


def test_gradient_of_gradient(monkeypatch):
    # The gradients' own adjoints are Winograd correlations and weight gradients again.
    monkeypatch.setattr(conv, "_WINOGRAD", True)
    ts = [sg.tensor(a, requires_grad=True) for a in (_x(2, 2, 5, 4), _x(3, 2, 3, 3))]
    assert gradgradcheck(lambda a, b: sg.nn.functional.conv2d(a, b, None, padding=1), ts)


def _odd_operands(case):
    x = _x(4, 3, 9, 10).transpose(1, 0, 3, 2)[:, :, ::2]      # a (3, 4, 5, 9) view
    w = _x(2, 4, 3, 3, dtype=np.float32)
    return {"strided": (x, w), "unbatched": (x[0], w),
            "mixed": (x.astype(np.float32), w.astype(np.float64))}[case]


@pytest.mark.parametrize("case", ["strided", "unbatched", "mixed"])
def test_strided_unbatched_and_mixed_dtypes(case, monkeypatch):
    x, w = _odd_operands(case)
    y, yw = _both(monkeypatch, lambda: R.conv2d(x, w, None, 1, 1))
    assert yw.dtype == np.float64
    _close(yw, y, np.float64)
    g = _x(*y.shape)
    gx, gxw = _both(monkeypatch, lambda: conv._conv_input_grad(g, w, x.shape, 1, 1))
    _close(gxw, gx, np.float64)
    gw, gww = _both(monkeypatch, lambda: conv._conv_weight_grad(g, x, w.shape, 1, 1))
    _close(gww, gw, np.float64)


def test_float32_error_on_a_resnet_layer():
    # 64 channels at 28x28 (the dispatch picks Winograd): float32 within 1e-5 of the
    # largest output magnitude, computed in float64, like the im2col path.
    x, w = _x(2, 64, 28, 28), _x(64, 64, 3, 3) / 24.0
    g = _x(2, 64, 28, 28)
    x32, w32, g32 = x.astype(np.float32), w.astype(np.float32), g.astype(np.float32)
    assert conv._use_winograd(2, 64, 64, 28, 28, (3, 3), (1, 1), (1, 1), 1, np.float32)
    pairs = [(R.conv2d(x32, w32, None, 1, 1), R.conv2d(x, w, None, 1, 1)),
             (conv._conv_input_grad(g32, w32, x.shape, 1, 1),
              conv._conv_input_grad(g, w, x.shape, 1, 1)),
             (conv._conv_weight_grad(g32, x32, w.shape, 1, 1),
              conv._conv_weight_grad(g, x, w.shape, 1, 1))]
    for got, ref in pairs:
        assert got.dtype == np.float32
        assert np.abs(got - ref).max() <= 1e-5 * np.abs(ref).max()


def test_dispatch():
    use = conv._use_winograd
    f32 = np.float32
    # ResNet-18 at 224x224 and 64x64, batch 8: every 3x3 stride-1 layer but 512 channels
    # at 2x2 (too few tiles to pay for the filter transform).
    for c, hw in [(64, 56), (128, 28), (256, 14), (512, 7), (64, 16), (128, 8), (256, 4)]:
        assert use(8, c, c, hw, hw, (3, 3), (1, 1), (1, 1), 1, f32)
    assert not use(8, 512, 512, 2, 2, (3, 3), (1, 1), (1, 1), 1, f32)
    assert not use(8, 32, 32, 32, 32, (3, 3), (1, 1), (1, 1), 1, f32)      # few channels
    assert not use(1, 64, 64, 16, 16, (3, 3), (1, 1), (1, 1), 1, f32)      # little work
    assert not use(1, 512, 512, 7, 7, (3, 3), (1, 1), (1, 1), 1, f32)      # few tiles


@pytest.mark.parametrize("kw", [{"stride": 2}, {"dilation": 2}, {"groups": 2}])
def test_not_eligible_even_when_forced(kw, monkeypatch):
    monkeypatch.setattr(conv, "_WINOGRAD", True)
    calls = []
    for name in ("correlate3x3", "weight_grad3x3"):
        real = getattr(winograd, name)
        monkeypatch.setattr(winograd, name,
                            lambda *a, real=real, **k: calls.append(1) or real(*a, **k))
    x, w = _x(1, 4, 9, 9), _x(4, 4 // kw.get("groups", 1), 3, 3)
    assert check_rule(R.conv2d, [x, w], {"padding": 1, **kw})
    x5, w5 = _x(1, 2, 7, 7), _x(3, 2, 5, 5)                     # a 5x5 filter
    assert check_rule(R.conv2d, [x5, w5], {"padding": 2})
    assert not calls


def test_forced_path_is_taken(monkeypatch):
    monkeypatch.setattr(conv, "_WINOGRAD", True)
    calls = []
    for name in ("correlate3x3", "weight_grad3x3"):
        real = getattr(winograd, name)
        monkeypatch.setattr(winograd, name, lambda *a, real=real, name=name, **k:
                            calls.append(name) or real(*a, **k))
    x, w = _x(2, 3, 6, 5), _x(4, 3, 3, 3)
    g = _x(*R.conv2d(x, w, None, 1, 1).shape)
    R.conv2d_adjoint(g, None, x, w)
    assert calls == ["correlate3x3", "correlate3x3", "weight_grad3x3"]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("xs,o,p", SHAPES[1:])
def test_matches_torch(xs, o, p, dtype, monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(conv, "_WINOGRAD", True)
    x, w, b = _x(*xs, dtype=dtype), _x(o, xs[1], 3, 3, dtype=dtype), _x(o, dtype=dtype)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ty = torch.nn.functional.conv2d(tx, tw, tb, padding=p)
    g = _x(*ty.shape, dtype=dtype)
    ty.backward(torch.tensor(g))
    y = R.conv2d(x, w, b, 1, p)
    gx, gw, gb = R.conv2d_adjoint(g, y, x, w, b, 1, p)
    for ours, ref in [(y, ty), (gx, tx.grad), (gw, tw.grad), (gb, tb.grad)]:
        _close(ours, ref.detach().numpy(), dtype)
