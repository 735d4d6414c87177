"""``nn.functional`` calls inside a compiled function compile to their array primitives."""
import numpy as np
import pytest

import s2sgrad as sg
import s2sgrad.nn.functional as F
from s2sgrad.autograd.gradcheck import check_vjp
from s2sgrad.rules import nn as R
from s2sgrad.rules import torchlike as tl


def net(x, w):
    h = F.relu(F.conv2d(x, w, padding=1))
    h = F.max_pool2d(h, 2)
    return np.sum(F.tanh(F.sigmoid(h)) * F.adaptive_avg_pool2d(h, 1))


def net_np(x, w):
    h = tl.relu(R.conv2d(x, w, padding=1))
    h = R.max_pool2d(h, 2)
    return np.sum(np.tanh(tl.sigmoid(h)) * R.adaptive_avg_pool2d(h, 1))


@pytest.mark.parametrize("shape", [(1, 2, 6, 6), (2, 2, 5, 7)])
def test_functional_layers_compile_and_match_finite_differences(shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    w = rng.standard_normal((3, 2, 3, 3))
    out, pullback = sg.vjp(net, x, w)
    assert np.isclose(out, net_np(x, w))
    assert check_vjp(net_np, pullback, [x, w], [0, 1], rtol=1e-5, atol=1e-6)


def cnn_loss(x, w, b, wl, target):
    h = tl.relu(R.conv2d(x, w, b, padding=1))
    h = R.avg_pool2d(h, 2)
    logits = R.addmm(np.zeros(3), h.reshape(h.shape[0], -1), wl)
    return R.nll_loss(tl.log_softmax(logits, axis=1), target) + R.mse_loss(logits, logits * 0.5)


def test_forward_mode_through_conv_pool_linear_losses():
    rng = np.random.default_rng(1)
    args = [rng.standard_normal((2, 2, 4, 4)), rng.standard_normal((3, 2, 3, 3)),
            rng.standard_normal(3), rng.standard_normal((12, 3)), np.array([0, 2])]
    tangents = [rng.standard_normal(np.shape(a)) for a in args[:4]]
    _, jv = sg.jvp(_bound_cnn, tuple(args[:4]), tuple(tangents))
    eps = 1e-6
    plus = cnn_loss(*[a + eps * t for a, t in zip(args[:4], tangents)], args[4])
    minus = cnn_loss(*[a - eps * t for a, t in zip(args[:4], tangents)], args[4])
    assert np.isclose(jv, (plus - minus) / (2 * eps), rtol=1e-6, atol=1e-8)


def _bound_cnn(x, w, b, wl):
    return cnn_loss(x, w, b, wl, np.array([0, 2]))
