"""Memory and time of a checkpointed loop's gradient against the plain compiled gradient.

Takes nothing (run ``python benchmarks/bench_checkpoint.py [T]``). Gives a table for a
tanh RNN (hidden 64, input 32, batch 16, loss = sum of squares of the final state,
gradients with respect to the weights) over T steps (default 1000): for the plain
gradient and for several snapshot budgets, the best time of a gradient, its peak
traced memory (tracemalloc, measured in a separate run so tracing costs no time), and
both as ratios of the plain gradient's. Gradients are checked equal before timing.
Single-threaded BLAS, float64; runs alternate between variants, keeping each one's best.
"""
from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import sys  # noqa: E402  (threads are pinned before NumPy loads)
import time  # noqa: E402  (threads are pinned before NumPy loads)
import tracemalloc  # noqa: E402  (threads are pinned before NumPy loads)

import numpy as np  # noqa: E402  (threads are pinned before NumPy loads)

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import s2sgrad.api as sg  # noqa: E402  (threads are pinned before NumPy loads)
from s2sgrad.compiler import revolve  # noqa: E402  (threads are pinned before NumPy loads)


def rnn(Wx, Wh, b, xs, h):
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
    return np.sum(h * h)


def inputs(T: int):
    rng = np.random.default_rng(0)
    return (rng.standard_normal((32, 64)) * 0.1, rng.standard_normal((64, 64)) * 0.1,
            np.zeros(64), rng.standard_normal((T, 16, 32)), np.zeros((16, 64)))


def peak_bytes(fn) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main():
    T = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    args = inputs(T)
    variants = [("plain", None), ("checkpoint 40", 40), ("checkpoint 20", 20),
                ("checkpoint 10", 10)]
    fns = {name: sg.gradient(rnn, wrt=(0, 1, 2), checkpoint=k) for name, k in variants}
    want = fns["plain"](*args)
    stats = {}
    for name, _ in variants:
        got = fns[name](*args)
        stats[name] = revolve.last_stats() if name != "plain" else {}
        for a, b in zip(got, want):
            assert np.max(np.abs(a - b)) <= 1e-12 * max(1.0, np.max(np.abs(b))), name
    memory = {name: min(peak_bytes(lambda f=fns[name]: f(*args)) for _ in range(2))
              for name, _ in variants}
    times = {name: float("inf") for name, _ in variants}
    for _ in range(7):                       # alternate variants; keep each one's best
        for name, _ in variants:
            t0 = time.perf_counter()
            fns[name](*args)
            times[name] = min(times[name], time.perf_counter() - t0)
    print(f"tanh RNN, T={T}, hidden 64, input 32, batch 16; gradient wrt Wx, Wh, b")
    header = (f"{'variant':16s} {'time':>9s} {'x plain':>8s} {'peak mem':>10s} {'x plain':>8s}"
              f" {'kept':>5s} {'recomputed':>11s}")
    print(header)
    print("-" * len(header))
    for name, _ in variants:
        s = stats[name]
        kept = f"{s['peak_snapshots']:5d}" if s else f"{'-':>5s}"
        rec = f"{s['recomputed_steps']:11d}" if s else f"{'-':>11s}"
        print(f"{name:16s} {times[name] * 1e3:7.1f}ms {times[name] / times['plain']:7.2f}x "
              f"{memory[name] / 2 ** 20:8.2f}MB {memory[name] / memory['plain']:7.3f}x "
              f"{kept} {rec}")


if __name__ == "__main__":
    main()
