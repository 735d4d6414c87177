"""Shared timing helpers for the benchmark scripts (not part of the package).

Each benchmark times callables with the best of several repeats, single-threaded,
and prints one table per program: the reference time and every tool's ratio to it.
"""
from __future__ import annotations

import os
import time

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")


def best_time(fn, min_time: float = 0.2, repeats: int = 5) -> float:
    """Seconds per call: the best of ``repeats`` runs of enough calls to last ``min_time``."""
    fn()
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t0
        if dt >= min_time / repeats or n >= 1 << 20:
            break
        n *= 2
    best = dt / n
    for _ in range(repeats - 1):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - t0) / n)
    return best


def fmt_time(t: float) -> str:
    if t < 1e-3:
        return f"{t * 1e6:.1f} µs"
    if t < 1:
        return f"{t * 1e3:.2f} ms"
    return f"{t:.2f} s"


def print_table(title: str, rows: list[tuple[str, dict]], reference: str) -> None:
    """``rows``: (program, {tool: seconds or None}); ratios are to ``reference``."""
    tools = []
    for _, times in rows:
        for k in times:
            if k not in tools:
                tools.append(k)
    print(f"\n{title}")
    head = f"| program | {reference} | " + " | ".join(t for t in tools if t != reference) + " |"
    print(head)
    print("|" + "---|" * (len(tools) + 1))
    for prog, times in rows:
        ref = times.get(reference)
        cells = [fmt_time(ref) if ref else "n/a"]
        for t in tools:
            if t == reference:
                continue
            v = times.get(t)
            cells.append("n/a" if v is None or not ref else f"{v / ref:.2f}x ({fmt_time(v)})")
        print(f"| {prog} | " + " | ".join(cells) + " |")
