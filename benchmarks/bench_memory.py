"""Peak memory of a gradient: s2sgrad's compiled adjoint vs the hand-written NumPy one.

The tanh RNN of the compiler benchmark (T=50, hidden 64, input 32, batch 16, loss =
sum of squares of the final state, gradients of Wx, Wh, b), traced with tracemalloc
(peak bytes allocated during one value-and-gradient call, inputs excluded).
Run: ``python benchmarks/bench_memory.py``.
"""
from __future__ import annotations

import os
import sys
import tracemalloc

sys.path.insert(0, os.path.dirname(__file__))

import numpy as np  # noqa: E402

from bench_compiler import rnn, rnn_hand  # noqa: E402

import s2sgrad as sg  # noqa: E402


def peak(fn) -> int:
    fn()                                   # compile and warm caches outside the trace
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return top


def main() -> None:
    rng = np.random.default_rng(0)
    args = (rng.standard_normal((32, 64)) * 0.1, rng.standard_normal((64, 64)) * 0.1,
            np.zeros(64), rng.standard_normal((50, 16, 32)), np.zeros((16, 64)))
    vg = sg.value_and_grad(rnn, wrt=(0, 1, 2))
    ref = rnn_hand(*args)[1]
    for a, b in zip(ref, vg(*args)[1]):
        np.testing.assert_allclose(a, b, rtol=1e-10)
    hand = peak(lambda: rnn_hand(*args))
    ours = peak(lambda: vg(*args))
    print("tanh RNN T=50 gradient, peak traced memory")
    print("| hand-written | s2sgrad | ratio |")
    print("|---|---|---|")
    print(f"| {hand / 1e6:.2f} MB | {ours / 1e6:.2f} MB | {ours / hand:.2f}x |")


if __name__ == "__main__":
    main()
