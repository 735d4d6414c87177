"""The nn primitives' adjoints against central finite differences (float64), and their
primal values against PyTorch where it is installed.

One table of specs (primitive, input shapes, keyword arguments) drives both checks.
"""
import numpy as np
import pytest

from s2sgrad.autograd.gradcheck import check_rule
from s2sgrad.rules import lookup
from s2sgrad.rules import nn as R

RNG = np.random.default_rng(1234)


def _x(*shape):
    return RNG.standard_normal(shape)


def _distinct(*shape):
    # A permutation of well-separated values: no ties, so max pooling is differentiable.
    return RNG.permutation(np.arange(np.prod(shape), dtype=np.float64)).reshape(shape) * 0.1


CONV = [  # (x shape, w shape, bias, kwargs)
    ((2, 4, 7, 6), (6, 4, 3, 3), True, {"stride": 1, "padding": 1}),
    ((1, 3, 9, 8), (4, 3, 3, 3), False, {"stride": 2}),
    ((2, 4, 9, 9), (8, 2, 3, 3), True, {"stride": 2, "padding": 0, "dilation": 2, "groups": 2}),
    ((2, 6, 5, 7), (3, 2, 2, 2), True, {"padding": 1, "groups": 3}),
    ((1, 2, 5, 5), (3, 2, 1, 1), True, {"stride": 2}),
    ((2, 3, 11, 10), (4, 3, 7, 7), False, {"stride": 2, "padding": 3}),
    ((3, 5, 5), (2, 3, 3, 3), True, {"padding": (1, 2)}),           # unbatched input
    ((1, 2, 6, 5), (2, 2, 3, 2), True, {"padding": "same"}),
    ((1, 2, 6, 5), (2, 2, 2, 2), True, {"padding": "same", "dilation": 2}),
    ((2, 3, 5, 4), (4, 3, 1, 1), True, {}),                          # a plain matmul
    ((1, 2, 4, 5), (3, 2, 2, 2), False, {"padding": 2}),             # pad > d*(k-1)
    ((1, 2, 7, 6), (3, 2, 3, 2), True, {"padding": (2, 1), "dilation": (1, 2)}),
    ((2, 1, 18, 17), (2, 1, 3, 3), True, {"padding": 1}),            # one matmul per sample
    ((1, 1, 33, 32), (2, 1, 3, 3), False, {"stride": 2, "padding": 1}),
    ((1, 16, 1, 2), (16, 16, 3, 3), False, {"padding": 1}),          # filter >> image
]

POOL = [  # (x shape, kwargs)
    ((2, 3, 7, 7), {"kernel_size": 3, "stride": 2, "padding": 1}),
    ((1, 2, 6, 5), {"kernel_size": 2}),
    ((1, 2, 6, 5), {"kernel_size": 2, "stride": 1}),
    ((2, 1, 7, 8), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    ((1, 2, 8, 8), {"kernel_size": (2, 3), "stride": (1, 2), "padding": (1, 0)}),
    ((2, 5, 6), {"kernel_size": 2, "stride": 2}),                       # unbatched input
]


@pytest.mark.parametrize("xs,ws,bias,kw", CONV)
def test_conv2d_gradient(xs, ws, bias, kw):
    args = [_x(*xs), _x(*ws)] + ([_x(ws[0])] if bias else [])
    assert check_rule(R.conv2d, args, kw)


def test_conv2d_in_chunks_of_samples(monkeypatch):
    # Batches whose columns exceed the scratch budget are unfolded a few samples at a time.
    from s2sgrad.rules.nn import conv
    monkeypatch.setattr(conv, "_CHUNK_BYTES", 1)
    monkeypatch.setattr(conv, "_MIN_COLS", 1)
    for xs, ws, kw in [((3, 2, 17, 16), (3, 2, 3, 3), {"padding": 1}),
                       ((3, 2, 9, 8), (4, 2, 3, 3), {"stride": 2, "padding": 1}),
                       ((3, 4, 6, 6), (4, 2, 3, 3), {"groups": 2})]:
        assert check_rule(R.conv2d, [_x(*xs), _x(*ws), _x(ws[0])], kw)


def test_max_pool2d_in_chunks_of_samples(monkeypatch):
    from s2sgrad.rules.nn import pool
    x = _distinct(3, 2, 7, 7)
    kw = {"kernel_size": 3, "stride": 2, "padding": 1}
    whole = R.max_pool2d(x, **kw)
    monkeypatch.setattr(pool, "_CHUNK_BYTES", 1)
    np.testing.assert_array_equal(R.max_pool2d(x, **kw), whole)
    assert check_rule(R.max_pool2d, [x], kw)


def test_conv2d_adjoint_computes_only_what_is_asked():
    # The first layer of a network needs the weight gradient alone: no input gradient is
    # computed, and a node asking for the input gradient alone keeps only the input's shape.
    rl = lookup(R.conv2d)
    x, w, g = _x(2, 3, 6, 6), _x(4, 3, 3, 3), _x(2, 4, 4, 4)
    fw, reads_w, _ = rl.specialize((False, True, False))
    gx, gw, gb = fw(g, None, x, w, None)
    assert gx is None and gb is None and "input" in reads_w
    np.testing.assert_allclose(gw, R.conv2d_adjoint(g, None, x, w)[1], rtol=1e-12)
    fx, reads_x, _ = rl.specialize((True, False, False))
    assert "input" not in reads_x and "weight" in reads_x
    np.testing.assert_allclose(fx(g, None, x, w, None)[0], R.conv2d_adjoint(g, None, x, w)[0],
                               rtol=1e-12)


@pytest.mark.parametrize("xs,ws,kw", [((1, 2, 5, 5), (3, 2, 3, 3), {"padding": 1}),
                                      ((1, 2, 7, 6), (2, 2, 3, 3), {"stride": 2})])
def test_conv2d_gradient_of_gradient(xs, ws, kw):
    # The input and weight gradients are convolutions again: checked by differences of
    # first-order gradients.
    from s2sgrad.autograd.gradcheck import gradgradcheck
    from s2sgrad.nn import functional as F
    from s2sgrad.runtime.tensor import Tensor
    x = Tensor._wrap(_x(*xs)).requires_grad_()
    w = Tensor._wrap(_x(*ws)).requires_grad_()
    assert gradgradcheck(lambda a, b: F.conv2d(a, b, None, **kw), (x, w))


@pytest.mark.parametrize("shape", [(2, 3), (2, 3, 4), (1, 2, 3, 4)])
def test_channel_sum_gradient(shape):
    from s2sgrad.rules.nn import norm
    assert check_rule(norm._channel_sum, [_x(*shape)])


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradient_of_gradient(training):
    # The adjoint is written with operators only, so it runs on Tensors too.
    from s2sgrad.autograd.gradcheck import gradgradcheck
    from s2sgrad.nn import functional as F
    from s2sgrad.runtime.tensor import Tensor
    x, w, b = (Tensor._wrap(_x(*s)).requires_grad_() for s in ((3, 2, 3, 3), (2,), (2,)))
    rm, rv = Tensor._wrap(_x(2)), Tensor._wrap(RNG.uniform(1, 2, 2))
    assert gradgradcheck(lambda x, w, b: F.batch_norm(x, None if training else rm,
                                                      None if training else rv, w, b,
                                                      training), (x, w, b))


@pytest.mark.parametrize("xs,kw", POOL + [((1, 1, 6, 6), {"kernel_size": 2, "dilation": 2})])
def test_max_pool2d_gradient(xs, kw):
    assert check_rule(R.max_pool2d, [_distinct(*xs)], kw)


@pytest.mark.parametrize("xs,kw", POOL + [
    ((2, 1, 7, 8), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True,
                        "count_include_pad": False}),
    ((1, 2, 5, 5), {"kernel_size": 2, "divisor_override": 3})])
def test_avg_pool2d_gradient(xs, kw):
    assert check_rule(R.avg_pool2d, [_x(*xs)], kw)


@pytest.mark.parametrize("xs,size", [((2, 3, 5, 5), (1, 1)), ((1, 2, 5, 7), (2, 3)),
                                     ((1, 1, 4, 4), 2), ((2, 5, 6), (4, None)),
                                     ((1, 1, 3, 3), (5, 4))])
def test_adaptive_avg_pool2d_gradient(xs, size):
    assert check_rule(R.adaptive_avg_pool2d, [_x(*xs)], {"output_size": size})


@pytest.mark.parametrize("xs", [(4, 3, 5, 5), (2, 3), (5, 3, 4), (1, 2, 3, 1)])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_gradient(xs, training, affine):
    c = xs[1]
    w, b = (_x(c), _x(c)) if affine else (None, None)
    rm, rv = _x(c), np.abs(_x(c)) + 0.5
    args = [_x(*xs), rm, rv, w, b]
    assert check_rule(R.batch_norm, args, {"training": training, "eps": 1e-3})


@pytest.mark.parametrize("xs,ts,kw", [
    ((4, 5), (4,), {}),
    ((4, 5), (4,), {"reduction": "sum"}),
    ((4, 5), (4,), {"reduction": "none"}),
    ((3, 4, 2, 2), (3, 2, 2), {}),
    ((5,), (), {}),
    ((4, 5), (4,), {"ignore_index": 2}),
    ((4, 5), (4,), {"weight": True}),
])
def test_nll_loss_gradient(xs, ts, kw):
    c = xs[0] if len(xs) == 1 else xs[1]
    target = RNG.integers(0, c, size=ts)
    if kw.get("ignore_index") is not None:
        target.reshape(-1)[0] = kw["ignore_index"]
    if kw.get("weight"):
        kw = dict(kw, weight=RNG.uniform(0.5, 2.0, size=c))
    assert check_rule(R.nll_loss, [_x(*xs), target], kw)


@pytest.mark.parametrize("xs,ts", [((3, 4), (3, 4)), ((3, 4), (4,)), ((), ()), ((2, 1), (1, 3))])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_gradient(xs, ts, reduction):
    assert check_rule(R.mse_loss, [_x(*xs), _x(*ts)], {"reduction": reduction})


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_with_logits_gradient(reduction, weighted):
    x, y = _x(3, 4) * 3, RNG.uniform(0, 1, (3, 4))
    kw = {"reduction": reduction}
    if weighted:
        kw.update(weight=RNG.uniform(0.5, 2, 4), pos_weight=RNG.uniform(0.5, 2, 4))
    assert check_rule(R.bce_with_logits, [x, y], kw)


@pytest.mark.parametrize("bs", [(3,), (2, 3), ()])
def test_addmm_gradient(bs):
    assert check_rule(R.addmm, [_x(*bs), _x(2, 4), _x(4, 3)])


def test_max_pool_ties_go_to_first_max_and_add_up():
    # Windows (2x2, stride 1) over a constant image: each window's gradient lands on its
    # top-left element, so interior pixels get one window each and overlaps add.
    x = np.ones((1, 1, 3, 3))
    out = R.max_pool2d(x, 2, 1)
    g = np.arange(1.0, 5.0).reshape(1, 1, 2, 2)
    gx = R.max_pool2d_adjoint(g, out, x, 2, 1)
    np.testing.assert_array_equal(gx[0, 0], [[1, 2, 0], [3, 4, 0], [0, 0, 0]])
    # A row with a tie inside one window and a window shared by two outputs.
    x = np.array([[[[1., 3., 3., 0.]]]])
    out = R.max_pool2d(x, (1, 2), 1)
    gx = R.max_pool2d_adjoint(np.ones_like(out), out, x, (1, 2), 1)
    np.testing.assert_array_equal(gx.ravel(), [0, 2, 1, 0])


def test_node_names():
    names = {R.conv2d: "ConvolutionBackward0", R.batch_norm: "NativeBatchNormBackward0",
             R.max_pool2d: "MaxPool2DWithIndicesBackward0", R.avg_pool2d: "AvgPool2DBackward0",
             R.adaptive_avg_pool2d: "AdaptiveAvgPool2DBackward0",
             R.nll_loss: "NllLossBackward0", R.mse_loss: "MseLossBackward0",
             R.addmm: "AddmmBackward0"}
    for primal, name in names.items():
        assert lookup(primal).name == name


def test_batch_norm_updates_running_stats_in_place():
    x = _x(4, 3, 5, 5)
    rm, rv = np.zeros(3), np.ones(3)
    R.batch_norm(x, rm, rv, training=True, momentum=0.1)
    np.testing.assert_allclose(rm, 0.1 * x.mean(axis=(0, 2, 3)))
    np.testing.assert_allclose(rv, 0.9 + 0.1 * x.var(axis=(0, 2, 3), ddof=1))
    before = rm.copy()
    R.batch_norm(x, rm, rv, training=False)
    np.testing.assert_array_equal(rm, before)


def test_errors():
    with pytest.raises(RuntimeError, match=r"^Given groups=1, weight of size \[8, 3, 3, 3\], "
                       r"expected input\[1, 4, 8, 8\] to have 3 channels, but got 4 channels "
                       r"instead$"):
        R.conv2d(np.zeros((1, 4, 8, 8)), np.zeros((8, 3, 3, 3)))
    with pytest.raises(RuntimeError, match=r"^pad should be at most half of effective kernel "
                       r"size, but got pad=2, kernel_size=3 and dilation=1$"):
        R.max_pool2d(np.zeros((1, 1, 8, 8)), 3, 1, 2)
    with pytest.raises(RuntimeError, match=r"^Given input size: \(1x2x2\). Calculated output "
                       r"size: \(1x0x0\). Output size is too small$"):
        R.max_pool2d(np.zeros((1, 1, 2, 2)), 3)
    with pytest.raises(ValueError, match=r"^Expected more than 1 value per channel when "
                       r"training, got input size torch.Size\(\[1, 3, 1, 1\]\)$"):
        R.batch_norm(np.zeros((1, 3, 1, 1)), training=True)
    with pytest.raises(IndexError, match="^Target 7 is out of bounds.$"):
        R.nll_loss(np.zeros((2, 4)), np.array([0, 7]))
    with pytest.raises(RuntimeError, match="^expected target dtype to be Long or Byte, but got "
                       "Float$"):
        R.nll_loss(np.zeros((2, 4), np.float32), np.zeros(2, np.float32))


# ---------------------------------------------------------------- values against PyTorch

@pytest.mark.parametrize("xs,ws,bias,kw", CONV)
def test_conv2d_matches_torch(xs, ws, bias, kw):
    torch = pytest.importorskip("torch")
    x, w = _x(*xs), _x(*ws)
    b = _x(ws[0]) if bias else None
    ref = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w),
                                     None if b is None else torch.tensor(b), **kw)
    np.testing.assert_allclose(R.conv2d(x, w, b, **kw), ref.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("xs,kw", POOL)
def test_pooling_matches_torch(xs, kw):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x = _x(*xs)
    np.testing.assert_array_equal(R.max_pool2d(x, **kw), F.max_pool2d(torch.tensor(x), **kw))
    for cip in (True, False):
        np.testing.assert_allclose(R.avg_pool2d(x, count_include_pad=cip, **kw),
                                   F.avg_pool2d(torch.tensor(x), count_include_pad=cip, **kw),
                                   rtol=1e-12)
    for size in [(1, 1), (2, 3), (3, 2)]:
        np.testing.assert_allclose(R.adaptive_avg_pool2d(x, size),
                                   F.adaptive_avg_pool2d(torch.tensor(x), size), rtol=1e-12)


def test_batch_norm_and_losses_match_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x, w, b = _x(4, 3, 5, 5), _x(3), _x(3)
    rm, rv = np.zeros(3), np.ones(3)
    trm, trv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    for training in (True, False):
        out = R.batch_norm(x, rm, rv, w, b, training, 0.1, 1e-5)
        ref = F.batch_norm(torch.tensor(x), trm, trv, torch.tensor(w), torch.tensor(b),
                           training, 0.1, 1e-5)
        np.testing.assert_allclose(out, ref.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(rm, trm.numpy(), rtol=1e-12)
        np.testing.assert_allclose(rv, trv.numpy(), rtol=1e-12)
    lp, t = _x(6, 4), RNG.integers(0, 4, 6)
    for red in ("mean", "sum", "none"):
        np.testing.assert_allclose(R.nll_loss(lp, t, reduction=red),
                                   F.nll_loss(torch.tensor(lp), torch.tensor(t), reduction=red))
        y, w, pw = RNG.uniform(0, 1, (6, 4)), RNG.uniform(0.5, 2, 4), RNG.uniform(0.5, 2, 4)
        np.testing.assert_allclose(
            R.bce_with_logits(lp, y, w, pw, reduction=red),
            F.binary_cross_entropy_with_logits(torch.tensor(lp), torch.tensor(y), torch.tensor(w),
                                               reduction=red, pos_weight=torch.tensor(pw)))
        np.testing.assert_allclose(R.mse_loss(lp, lp * 0.5, reduction=red),
                                   F.mse_loss(torch.tensor(lp), torch.tensor(lp * 0.5),
                                              reduction=red))
