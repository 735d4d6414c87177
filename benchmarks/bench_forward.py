"""Forward mode and Hessian-vector products, side by side in one run.

Programs: an MLP loss (two tanh layers, mean squared error) at two sizes.
Measured: the compiled forward pass (reference), ``s2sgrad`` jvp (tangents for
all weights, and for the input only), one compiled gradient, and ``hvp``
(forward over reverse); the same with ``torch.func`` (``jvp``, ``grad``,
``jvp(grad)``) and, when installed, un-jitted ``jax.jvp`` / ``jax.hessian``.
Targets: jvp within 2x of the forward pass, hvp within 4x of one gradient.

Run: ``python benchmarks/bench_forward.py``.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import best_time, print_table  # noqa: E402

import numpy as np  # noqa: E402

import s2sgrad  # noqa: E402
from s2sgrad.forward_api import JvpFunction, gradient, hvp  # noqa: E402


def mlp_loss(w1, w2, x, y):
    h = np.tanh(x @ w1)
    out = np.tanh(h @ w2)
    return np.mean((out - y) ** 2)


def _data(n, d, h, k, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((d, h)) * 0.3, rng.standard_normal((h, k)) * 0.3,
            rng.standard_normal((n, d)), rng.standard_normal((n, k)))


def _torch_rows(w1, w2, x, y, v1, v2, dx):
    try:
        import torch
        from torch.func import grad, jvp
    except ImportError:
        return {}
    torch.set_num_threads(1)
    t = [torch.tensor(a) for a in (w1, w2, x, y, v1, v2, dx)]

    def loss(a, b, xx):
        return torch.mean((torch.tanh(torch.tanh(xx @ a) @ b) - t[3]) ** 2)
    g = grad(loss, argnums=(0, 1))
    return {
        "torch fwd": lambda: loss(t[0], t[1], t[2]),
        "torch jvp (weights)": lambda: jvp(lambda a, b: loss(a, b, t[2]), (t[0], t[1]),
                                           (t[4], t[5])),
        "torch jvp (input)": lambda: jvp(lambda xx: loss(t[0], t[1], xx), (t[2],), (t[6],)),
        "torch grad": lambda: g(t[0], t[1], t[2]),
        "torch hvp": lambda: jvp(lambda a: grad(loss)(a, t[1], t[2]), (t[0],), (t[4],)),
    }


def _jax_rows(w1, w2, x, y, v1, v2, dx):
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return {}
    jax.config.update("jax_enable_x64", True)

    def loss(a, b, xx):
        return jnp.mean((jnp.tanh(jnp.tanh(xx @ a) @ b) - y) ** 2)
    return {
        "jax jvp (weights)": lambda: jax.jvp(lambda a, b: loss(a, b, x), (w1, w2), (v1, v2)),
        "jax hessian (w2)": lambda: jax.hessian(lambda b: loss(w1, b, x))(w2),
    }


def _measure(n: int, d: int, h: int, k: int) -> tuple[tuple, tuple]:
    """(jvp row, hvp row) for one MLP size."""
    w1, w2, x, y = _data(n, d, h, k)
    rng = np.random.default_rng(1)
    v1, v2, dx = (rng.standard_normal(a.shape) for a in (w1, w2, x))
    primal = s2sgrad.grad(mlp_loss)
    jf = JvpFunction(mlp_loss)
    g1 = gradient(mlp_loss, 0)
    vg = s2sgrad.value_and_grad(mlp_loss, (0, 1))
    tools = _torch_rows(w1, w2, x, y, v1, v2, dx)
    tools.update(_jax_rows(w1, w2, x, y, v1, v2, dx))
    name = f"MLP n={n} d={d} h={h}"
    fwd = {
        "forward": best_time(lambda: primal(w1, w2, x, y)),
        "jvp (weights)": best_time(lambda: jf((w1, w2, x, y), (v1, v2, None, None))),
        "jvp (input)": best_time(lambda: jf((w1, w2, x, y), (None, None, dx, None))),
    }
    for key in ("torch fwd", "torch jvp (weights)", "torch jvp (input)", "jax jvp (weights)"):
        if key in tools:
            fwd[key] = best_time(tools[key])
    second = {
        "gradient": best_time(lambda: vg(w1, w2, x, y)),
        "gradient (w1)": best_time(lambda: g1(w1, w2, x, y)),
        "hvp (w1)": best_time(lambda: hvp(mlp_loss, w1, v1, w2, x, y)),
    }
    for key in ("torch grad", "torch hvp", "jax hessian (w2)"):
        if key in tools:
            second[key] = best_time(tools[key])
    return (name, fwd), (name, second)


def main() -> None:
    rows = [_measure(*size) for size in [(64, 32, 64, 8), (256, 128, 256, 16)]]
    print_table("jvp: ratio to the compiled forward pass (target: jvp <= 2x)",
                [r[0] for r in rows], "forward")
    print_table("hvp: ratio to one compiled gradient (target: hvp <= 4x)",
                [r[1] for r in rows], "gradient (w1)")


if __name__ == "__main__":
    main()
