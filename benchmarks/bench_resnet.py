"""ResNet-18 training step (forward, backward, SGD step) against PyTorch on the CPU.

Usage: python benchmarks/bench_resnet.py [--batch 8] [--sizes 64 224] [--steps 5]
       [--threads N] [--rounds 2] [--unset-openblas-env]

Each measurement runs in a fresh subprocess with the same BLAS/OpenMP thread count, so
neither library's allocations or threads disturb the other; the two libraries alternate for
``--rounds`` rounds and the best round counts, which keeps the ratio meaningful on a shared
machine. Reported per configuration: the fastest step of the best round (wall clock) and
its process CPU time (less disturbed by other jobs when single-threaded), the peak traced
NumPy memory during one step (tracemalloc, ours only), and the peak resident set size
growth over the process's state before the first step (both libraries; this is what the
"memory" ratio compares).

``--unset-openblas-env`` removes OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE from the workers'
environment: a forced older core type keeps OpenBLAS off its AVX-512 kernels (measured:
BLAS 1.5-1.8x slower on ResNet-18's matmuls).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _rss_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _current_rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def worker(lib: str, size: int, batch: int, steps: int, threads: int) -> dict:
    import numpy as np
    rng = np.random.default_rng(0)
    x_np = rng.uniform(size=(batch, 3, size, size)).astype(np.float32)
    t_np = rng.integers(0, 1000, batch)
    if lib == "torch":
        import torch
        torch.set_num_threads(threads)
        sys.path.insert(0, str(ROOT / "tests" / "nn"))
        import torch_resnet
        model = torch_resnet.build(torch)
    else:
        sys.path.insert(0, str(ROOT))
        import s2sgrad as torch
        model = torch.models.resnet18()
    x, t = torch.tensor(x_np), torch.tensor(t_np)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), t)
        loss.backward()
        opt.step()
        return float(loss.item())

    base = _current_rss_mb()
    step()                                   # warm-up: buffers, caches, momentum state
    times, cpu = [], []
    for _ in range(steps):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    res = {"time": min(times), "cpu": min(cpu), "rss": _rss_peak_mb() - base}
    if lib != "torch":
        import tracemalloc
        tracemalloc.start()
        step()
        res["traced"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return res


def run(lib: str, size: int, batch: int, steps: int, threads: int, unset: bool) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    if unset:
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
    out = subprocess.run([sys.executable, __file__, "--worker", lib, "--sizes", str(size),
                          "--batch", str(batch), "--steps", str(steps),
                          "--threads", str(threads)],
                         env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{lib} worker failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--sizes", type=int, nargs="+", default=[64, 224])
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--unset-openblas-env", action="store_true")
    p.add_argument("--worker", choices=["ours", "torch"])
    a = p.parse_args()
    if a.worker:
        print(json.dumps(worker(a.worker, a.sizes[0], a.batch, a.steps, a.threads)))
        return
    print(f"ResNet-18 train step (forward + backward + SGD), batch {a.batch}, "
          f"{a.threads} thread(s), fastest of {a.steps} steps, best of {a.rounds} rounds"
          + (", OPENBLAS_CORETYPE/L2_SIZE unset" if a.unset_openblas_env else ""))
    head = (f"{'input':>11} | {'s2sgrad s':>9} {'torch s':>8} {'ratio':>6} | "
            f"{'cpu s':>6} {'torch':>6} {'ratio':>6} | "
            f"{'traced MB':>9} {'RSS MB':>7} {'torch RSS':>9} {'ratio':>6}")
    print(head)
    print("-" * len(head))
    for size in a.sizes:
        ours = theirs = None
        for _ in range(a.rounds):
            r = run("ours", size, a.batch, a.steps, a.threads, a.unset_openblas_env)
            ours = r if ours is None or r["time"] < ours["time"] else ours
            try:
                r = run("torch", size, a.batch, a.steps, a.threads, a.unset_openblas_env)
            except RuntimeError as e:       # torch missing or failing: report ours alone
                print(str(e).splitlines()[-1], file=sys.stderr)
                continue
            theirs = r if theirs is None or r["time"] < theirs["time"] else theirs
        name = f"3x{size}x{size}"
        if theirs is None:
            print(f"{name:>11} | {ours['time']:9.3f} {'-':>8} {'-':>6} | "
                  f"{ours['cpu']:6.3f} {'-':>6} {'-':>6} | "
                  f"{ours['traced']:9.0f} {ours['rss']:7.0f} {'-':>9} {'-':>6}")
            continue
        print(f"{name:>11} | {ours['time']:9.3f} {theirs['time']:8.3f} "
              f"{ours['time'] / theirs['time']:6.2f} | {ours['cpu']:6.3f} {theirs['cpu']:6.3f} "
              f"{ours['cpu'] / theirs['cpu']:6.2f} | {ours['traced']:9.0f} {ours['rss']:7.0f} "
              f"{theirs['rss']:9.0f} {ours['rss'] / max(theirs['rss'], 1e-9):6.2f}")


if __name__ == "__main__":
    main()
