"""Gradient speed of compiled code against a hand-written NumPy gradient and peers.

The hand-written baseline computes the value and the gradient (what a training
step needs, and what ``value_and_grad`` returns).

Takes nothing (run ``python benchmarks/bench_compiler.py``). Gives one table:
rows are programs, columns the hand-written gradient's time and each tool's time
as a ratio of it (s2sgrad functional API, HIPS autograd, torch eager,
tangent-ad; a tool that is missing or cannot differentiate a program shows "-").
Also prints the cold compile time of a 30-line function and the cached call
overhead. Single-threaded BLAS, float64, best of several repeats.
"""
from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import functools  # noqa: E402  (threads are pinned before NumPy loads)
import sys  # noqa: E402  (threads are pinned before NumPy loads)
import time  # noqa: E402  (threads are pinned before NumPy loads)
import timeit  # noqa: E402  (threads are pinned before NumPy loads)
import warnings  # noqa: E402  (threads are pinned before NumPy loads)

import numpy as np  # noqa: E402  (threads are pinned before NumPy loads)

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import s2sgrad.api as sg  # noqa: E402  (threads are pinned before NumPy loads)
from s2sgrad.compiler import pipeline  # noqa: E402  (threads are pinned before NumPy loads)

warnings.filterwarnings("ignore")
rng = np.random.default_rng(0)


def best(fn, repeat=5, budget=0.2) -> float:
    """Best time per call in seconds."""
    t = timeit.Timer(fn)
    n, total = t.autorange()
    n = max(1, int(n * budget / max(total, 1e-9)))
    return min(t.repeat(repeat=repeat, number=n)) / n


# -- programs (written once in NumPy; peers get the same code on their numpy) --------------

def seed(x):
    y = x + 2
    z = y * y * 3
    return np.mean(z)


def seed_hand(x):
    y = x + 2
    return np.mean(y * y * 3), 6 * y / x.size


def tanh_sq(x):
    return np.sum(np.tanh(x) ** 2)


def tanh_sq_hand(x):
    t = np.tanh(x)
    return np.sum(t * t), 2 * t * (1 - t * t)


def mlp(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    z = logits - np.max(logits, axis=1, keepdims=True)
    lse = np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(Y * (z - lse)) / X.shape[0]


def mlp_hand(W1, b1, W2, b2, X, Y):
    a = X @ W1 + b1
    h = np.tanh(a)
    logits = h @ W2 + b2
    z = logits - np.max(logits, axis=1, keepdims=True)
    e = np.exp(z)
    p = e / np.sum(e, axis=1, keepdims=True)
    n = X.shape[0]
    loss = -np.sum(Y * (z - np.log(np.sum(e, axis=1, keepdims=True)))) / n
    dl = (p * np.sum(Y, axis=1, keepdims=True) - Y) / n
    dW2 = h.T @ dl
    db2 = dl.sum(0)
    da = (dl @ W2.T) * (1 - h * h)
    return loss, (X.T @ da, da.sum(0), dW2, db2)


def softplus(x):
    return np.sum(np.log(1 + np.exp(x))) - 0.5 * np.sum(x * x)


def softplus_hand(x):
    e = np.exp(x)
    e1 = 1 + e
    value = np.sum(np.log(e1)) - 0.5 * np.sum(x * x)
    return value, e / e1 - x


def conv(W, X):
    patches = []
    for i in range(3):
        for j in range(3):
            patches.append(X[:, :, i:i + 30, j:j + 30])
    cols = np.stack(patches, axis=2)
    cols = np.transpose(cols, (0, 3, 4, 1, 2))
    cols = np.reshape(cols, (7200, 144))
    out = cols @ np.reshape(W, (32, 144)).T
    return np.sum(out * out)


def conv_hand(W, X):
    patches = [X[:, :, i:i + 30, j:j + 30] for i in range(3) for j in range(3)]
    cols = np.stack(patches, axis=2).transpose(0, 3, 4, 1, 2).reshape(7200, 144)
    w2 = W.reshape(32, 144)
    out = cols @ w2.T
    value = np.sum(out * out)
    dout = 2 * out
    dW = (dout.T @ cols).reshape(W.shape)
    dcols = (dout @ w2).reshape(8, 30, 30, 16, 9).transpose(0, 3, 4, 1, 2)
    dX = np.zeros_like(X)
    k = 0
    for i in range(3):
        for j in range(3):
            dX[:, :, i:i + 30, j:j + 30] += dcols[:, :, k]
            k += 1
    return value, (dW, dX)


def rnn(Wx, Wh, b, xs, h):
    for t in range(50):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
    return np.sum(h * h)


def rnn_hand(Wx, Wh, b, xs, h0):
    hs = [h0]
    h = h0
    for t in range(50):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
        hs.append(h)
    dh = 2 * h
    dWx = np.zeros_like(Wx)
    dWh = np.zeros_like(Wh)
    db = np.zeros_like(b)
    for t in range(49, -1, -1):
        da = dh * (1 - hs[t + 1] ** 2)
        dWx += xs[t].T @ da
        dWh += hs[t].T @ da
        db += da.sum(0)
        dh = da @ Wh.T
    return np.sum(h * h), (dWx, dWh, db)


def doubling(x):
    y = x * 2
    while np.linalg.norm(y) < 1000:
        y = y * 2
    return np.sum(y)


def doubling_hand(x):
    k = 1
    y = x * 2
    while np.linalg.norm(y) < 1000:
        y = y * 2
        k += 1
    return np.sum(y), np.full_like(x, 2.0 ** k)


def programs():
    X = rng.standard_normal((64, 784))
    Y = np.eye(10)[rng.integers(0, 10, 64)]
    mlp_args = (rng.standard_normal((784, 256)) * 0.05, np.zeros(256),
                rng.standard_normal((256, 10)) * 0.05, np.zeros(10), X, Y)
    return [
        ("seed 2x2", seed, seed_hand, (np.ones((2, 2)),), (0,)),
        ("sum(tanh(x)**2) 1e3", tanh_sq, tanh_sq_hand, (rng.standard_normal(1000),), (0,)),
        ("MLP 64x784-256-10", mlp, mlp_hand, mlp_args, (0, 1, 2, 3)),
        ("softplus 1e7", softplus, softplus_hand, (rng.standard_normal(10 ** 7),), (0,)),
        ("conv 3x3 im2col", conv, conv_hand, (rng.standard_normal((32, 16, 3, 3)) * 0.1,
                                             rng.standard_normal((8, 16, 32, 32))), (0, 1)),
        ("RNN T=50 h=64", rnn, rnn_hand, (rng.standard_normal((32, 64)) * 0.1,
                                         rng.standard_normal((64, 64)) * 0.1, np.zeros(64),
                                         rng.standard_normal((50, 16, 32)),
                                         np.zeros((16, 64))), (0, 1, 2)),
        ("while doubling 3-vec", doubling, doubling_hand, (np.array([0.1, 0.2, 0.3]),), (0,)),
    ]


# -- peers --------------------------------------------------------------------------------

def with_numpy(fn, module):
    """``fn`` re-created with ``np`` bound to another NumPy (autograd.numpy)."""
    import types
    g = dict(fn.__globals__)
    g["np"] = module
    return types.FunctionType(fn.__code__, g, fn.__name__)


def peer_autograd(fn, args, wrt):
    import autograd
    import autograd.numpy as anp
    f = with_numpy(fn, anp)
    g = autograd.grad(f, list(wrt) if len(wrt) > 1 else wrt[0])
    g(*args)
    return lambda: g(*args)


def peer_torch(fn, args, wrt):
    import torch
    torch.set_num_threads(1)
    tmod = _TorchNumpy(torch)
    f = with_numpy(fn, tmod)

    def run():
        ts = [torch.tensor(a, requires_grad=(i in wrt)) if isinstance(a, np.ndarray) else a
              for i, a in enumerate(args)]
        f(*ts).backward()
        return [ts[i].grad for i in wrt]
    run()
    return run


class _TorchNumpy:
    """Just enough of the NumPy namespace, spelled with torch, for these programs."""

    def __init__(self, torch):
        self.t = torch
        self.linalg = type("L", (), {"norm": staticmethod(torch.linalg.norm)})

    def __getattr__(self, name):
        t = self.t
        table = {
            "sum": lambda x, axis=None, keepdims=False: (t.sum(x) if axis is None else
                                                         t.sum(x, dim=axis, keepdim=keepdims)),
            "max": lambda x, axis=None, keepdims=False: (t.max(x) if axis is None else
                                                         t.amax(x, dim=axis, keepdim=keepdims)),
            "mean": lambda x: t.mean(x), "tanh": t.tanh, "exp": t.exp, "log": t.log,
            "stack": lambda xs, axis=0: t.stack(xs, dim=axis),
            "transpose": lambda x, axes: x.permute(*axes),
            "reshape": lambda x, s: t.reshape(x, s),
        }
        return table[name]


def peer_tangent(fn, args, wrt):
    import tangent
    g = tangent.grad(fn, wrt=tuple(wrt), verbose=0)
    g(*args)
    return lambda: g(*args)


def ours(fn, args, wrt):
    g = sg.value_and_grad(fn, wrt=tuple(wrt))
    g(*args)
    return lambda: g(*args)


def check_same(fn, hand, args, wrt):
    value, got = sg.value_and_grad(fn, wrt=tuple(wrt))(*args)
    hand_value, want = hand(*args)
    want = want if isinstance(want, tuple) else (want,)
    assert np.allclose(value, hand_value), "s2sgrad value differs from hand"
    for a, b in zip(got, want):
        assert np.allclose(a, b, rtol=1e-6, atol=1e-8), "s2sgrad gradient differs from hand"


def main():
    cols = [("s2sgrad", ours), ("autograd", peer_autograd), ("torch", peer_torch),
            ("tangent", peer_tangent)]
    header = f"{'program':24s} {'hand':>10s} " + " ".join(f"{c:>9s}" for c, _ in cols)
    print(header)
    print("-" * len(header))
    for name, fn, hand, args, wrt in programs():
        check_same(fn, hand, args, wrt)
        th = best(functools.partial(hand, *args))
        cells = []
        for _, make in cols:
            try:
                run = make(fn, args, wrt)
                cells.append(f"{best(run) / th:8.2f}x")
            except Exception:  # noqa: BLE001  (a peer that cannot run a program shows "-")
                cells.append(f"{'-':>9s}")
        unit = f"{th * 1e6:8.1f}us" if th < 1e-2 else f"{th * 1e3:8.1f}ms"
        print(f"{name:24s} {unit:>10s} " + " ".join(cells))
    compile_costs()


def long_function(x, y):
    a = x * y + 1
    b = np.tanh(a) * 2
    c = np.exp(-b) + a
    d = c * c - b
    e = np.sin(d) + np.cos(c)
    f = e / (1 + a * a)
    g = f ** 2 + d
    h = np.sqrt(g * g + 1)
    i = h * x - y
    j = np.log(1 + i * i)
    k = j + a * b
    m = k * c
    n = np.tanh(m)
    o = n * d + e
    p = o - f * g
    q = p / (1 + h * h)
    r = q * i + j
    s = np.exp(-r * r)
    t = s + k * m
    u = t * n
    v = u + o * p
    w = np.sum(v * v)
    if w > 0:
        w = w * 2
    for step in range(3):
        w = w + np.sum(x * step)
    z = w + np.mean(q)
    return z


def compile_costs():
    times = []
    for _ in range(5):
        pipeline.clear_cache()
        t0 = time.perf_counter()
        pipeline.compile_function(long_function, (True, True))
        times.append(time.perf_counter() - t0)
    print(f"\ncold compile of a 30-line function: {min(times) * 1e3:.1f} ms")
    c = pipeline.compile_function(long_function, (True, True))
    hit = best(lambda: pipeline.compile_function(long_function, (True, True)))
    print(f"cache hit (compile_function): {hit * 1e6:.2f} us")

    c = pipeline.compile_function(tiny, (True,))

    def raw():
        _, tape = c.fwd(2.0)
        return c.adj(tape, 1.0)
    vg = sg.value_and_grad(tiny)
    overhead = best(lambda: vg(2.0), repeat=9) - best(raw, repeat=9)
    print(f"functional call overhead over the raw generated code: {overhead * 1e6:.2f} us")


def tiny(x):
    return x * x


if __name__ == "__main__":
    main()
