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
