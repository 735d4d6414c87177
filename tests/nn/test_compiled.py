"""The nn primitives inside compiled functions: their adjoints inline into generated code
and agree with finite differences."""
import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.autograd.gradcheck import assert_close, numerical_vjp
from s2sgrad.rules import nn as R


def convnet(x, w, gamma, beta):
    y = R.conv2d(x, w, None, 1, 1)
    y = R.batch_norm(y, None, None, gamma, beta, True)
    y = R.max_pool2d(y, 2)
    y = R.adaptive_avg_pool2d(y, (1, 1))
    return np.sum(y * y)


def linear_mse(x, w, b, t):
    return R.mse_loss(R.addmm(b, x, w), t)


@pytest.mark.parametrize("fn,shapes", [
    (convnet, [(2, 2, 4, 4), (3, 2, 3, 3), (3,), (3,)]),
    (linear_mse, [(4, 3), (3, 2), (2,), (4, 2)]),
])
def test_compiled_gradients(fn, shapes):
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(s) for s in shapes]
    wrt = tuple(range(len(args)))
    grads = sg.gradient(fn, wrt=wrt)(*args)
    numeric = numerical_vjp(fn, args, wrt, 1.0)
    for i, (g, n) in enumerate(zip(grads, numeric)):
        assert_close(g, n, rtol=1e-5, atol=1e-6, what=f"gradient of argument {i}")
