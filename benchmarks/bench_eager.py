"""Eager runtime benchmark: s2sgrad Tensors vs PyTorch eager, HIPS autograd, NumPy by hand.

Programs: the seed's 2x2 program (forward + backward), and an MLP training step
(batch 64, 784-256-10, tanh, softmax cross-entropy, gradients of all four
parameters) in float32 and float64. Run: ``python benchmarks/bench_eager.py``.
"""
from __future__ import annotations

import sys

from common import best_time, print_table  # first: it pins BLAS threads before NumPy loads

import numpy as np  # noqa: E402

import s2sgrad as sg  # noqa: E402


def seed_2x2_ours():
    x = sg.ones(2, 2, requires_grad=True)
    y = x + 2
    z = y * y * 3
    out = z.mean()
    out.backward()
    return x.grad


def seed_2x2_hand():
    x = np.ones((2, 2), np.float32)
    y = x + 2
    z = y * y * 3
    _ = z.mean()
    gz = np.full((2, 2), 1 / 4, np.float32)
    return gz * 6 * y


def mlp_data(dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((64, 784)).astype(dtype)
    y = rng.integers(0, 10, 64)
    w1 = (rng.standard_normal((784, 256)) * 0.05).astype(dtype)
    b1 = np.zeros(256, dtype)
    w2 = (rng.standard_normal((256, 10)) * 0.05).astype(dtype)
    b2 = np.zeros(10, dtype)
    return x, y, [w1, b1, w2, b2]


def mlp_hand(x, y, params):
    w1, b1, w2, b2 = params
    h = np.tanh(x @ w1 + b1)
    logits = h @ w2 + b2
    m = logits.max(axis=1, keepdims=True)
    e = np.exp(logits - m)
    s = e.sum(axis=1, keepdims=True)
    logp = logits - m - np.log(s)
    n = x.shape[0]
    loss = -logp[np.arange(n), y].mean()
    g = e / s
    g[np.arange(n), y] -= 1
    g /= n
    gw2 = h.T @ g
    gb2 = g.sum(axis=0)
    gh = g @ w2.T
    gz = gh * (1 - h * h)
    gw1 = x.T @ gz
    gb1 = gz.sum(axis=0)
    return loss, (gw1, gb1, gw2, gb2)


def mlp_ours(x, y, params):
    ps = [sg.from_numpy(p).requires_grad_() for p in params]
    xt = sg.from_numpy(x)
    w1, b1, w2, b2 = ps
    h = (xt @ w1 + b1).tanh()
    logits = h @ w2 + b2
    loss = -logits.log_softmax(1)[np.arange(x.shape[0]), y].mean()
    loss.backward()
    return loss, [p.grad for p in ps]


def mlp_torch(torch, x, y, params):
    ps = [torch.from_numpy(p).requires_grad_() for p in params]
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(y)
    w1, b1, w2, b2 = ps
    h = (xt @ w1 + b1).tanh()
    logits = h @ w2 + b2
    loss = torch.nn.functional.cross_entropy(logits, yt)
    loss.backward()
    return loss, [p.grad for p in ps]


def mlp_autograd(x, y, params):
    import autograd
    import autograd.numpy as anp

    def loss(ps):
        w1, b1, w2, b2 = ps
        h = anp.tanh(anp.dot(x, w1) + b1)
        logits = anp.dot(h, w2) + b2
        m = anp.max(logits, axis=1, keepdims=True)
        logp = logits - m - anp.log(anp.sum(anp.exp(logits - m), axis=1, keepdims=True))
        return -anp.mean(logp[np.arange(x.shape[0]), y])
    return autograd.grad(loss)(params)


def main() -> None:
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        torch = None
    try:
        import autograd
        import autograd.numpy as anp
    except ImportError:
        autograd = None

    rows = []
    t = {"NumPy by hand": best_time(seed_2x2_hand), "s2sgrad eager": best_time(seed_2x2_ours)}
    if torch is not None:
        def seed_torch():
            x = torch.ones(2, 2, requires_grad=True)
            y = x + 2
            z = y * y * 3
            out = z.mean()
            out.backward()
            return x.grad
        t["PyTorch eager"] = best_time(seed_torch)
    if autograd is not None:
        def seed_program(x):
            y = x + 2
            z = y * y * 3
            return anp.mean(z)
        f = autograd.grad(seed_program)
        t["HIPS autograd"] = best_time(lambda: f(np.ones((2, 2), np.float32)))
    rows.append(("seed 2x2 program (forward + backward)", t))

    for dtype in (np.float32, np.float64):
        x, y, params = mlp_data(dtype)
        ref = mlp_hand(x, y, params)[1]
        got = mlp_ours(x, y, params)[1]
        for a, b in zip(ref, got):
            np.testing.assert_allclose(a, b.numpy(), rtol=1e-3, atol=1e-5)
        data = (x, y, params)
        t = {"NumPy by hand": best_time(lambda d=data: mlp_hand(*d)),
             "s2sgrad eager": best_time(lambda d=data: mlp_ours(*d))}
        if torch is not None:
            t["PyTorch eager"] = best_time(lambda d=data: mlp_torch(torch, *d))
        if autograd is not None:
            t["HIPS autograd"] = best_time(lambda d=data: mlp_autograd(*d))
        rows.append((f"MLP step 64x784-256-10 {np.dtype(dtype).name}", t))
    print_table("Eager runtime (single thread; ratio to the hand-written NumPy gradient)",
                rows, "NumPy by hand")


if __name__ == "__main__":
    sys.exit(main())
