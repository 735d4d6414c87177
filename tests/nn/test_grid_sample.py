"""``F.affine_grid`` and ``F.grid_sample`` against finite differences and PyTorch.

Both are compositions (a matrix product with a constant base grid; a ``gather`` of corner
pixels weighted by Tensors of the grid), so the checks are: float64 ``gradcheck`` of the
input and the grid over the modes, padding modes, align_corners and shapes (grid points kept
away from pixel boundaries, where the bilinear weights have kinks); the values and the
gradients of input, grid and theta against torch in float32; the spatial-transformer
pipeline (``affine_grid`` then ``grid_sample``); and the warnings and error texts.
"""
from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.autograd import gradcheck
from s2sgrad.nn import functional as F

SHAPES = [((1, 1, 3, 4), (1, 2, 3, 2)), ((2, 3, 4, 5), (2, 3, 2, 2)),
          ((1, 2, 5, 2), (1, 4, 1, 2))]
OPTIONS = list(itertools.product(["bilinear", "nearest"], ["zeros", "border", "reflection"],
                                 [True, False]))


def _grid(shape, seed, spread=1.4):
    """Grid points inside and outside [-1, 1], none within 0.05 pixel of a kink."""
    g = np.random.default_rng(seed).uniform(-spread, spread, shape)
    return g


def _away_from_kinks(g, h, w, align):
    """Nudge points whose pixel coordinate sits near an integer (or a reflection fold)."""
    for axis, size in ((0, w), (1, h)):
        c = g[..., axis]
        pix = (c + 1) * (size - 1) / 2 if align else ((c + 1) * size - 1) / 2
        frac = pix * 2 - np.floor(pix * 2)            # half-integers too (reflection folds)
        bad = (frac < 0.1) | (frac > 0.9)
        pix = np.where(bad, pix + 0.2, pix)
        g[..., axis] = pix * 2 / (size - 1) - 1 if align else (pix * 2 + 1) / size - 1
    return g


@pytest.mark.parametrize("mode, pad, align", OPTIONS)
@pytest.mark.parametrize("xs, gs", SHAPES)
def test_grid_sample_gradcheck(mode, pad, align, xs, gs):
    rng = np.random.default_rng(0)
    x = sg.tensor(rng.standard_normal(xs), requires_grad=True)
    g = sg.tensor(_away_from_kinks(_grid(gs, 1), xs[2], xs[3], align), requires_grad=True)
    assert gradcheck(lambda x, g: F.grid_sample(x, g, mode, pad, align), [x, g], atol=1e-6,
                     rtol=1e-5)


@pytest.mark.parametrize("mode, pad, align", OPTIONS)
@pytest.mark.parametrize("xs, gs", SHAPES)
def test_grid_sample_matches_torch(mode, pad, align, xs, gs):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal(xs).astype(np.float32)
    g = _grid(gs, 1, 1.8).astype(np.float32)
    res = []
    for ns in (sg, torch):
        xt, gt = ns.tensor(x, requires_grad=True), ns.tensor(g, requires_grad=True)
        out = ns.nn.functional.grid_sample(xt, gt, mode=mode, padding_mode=pad,
                                           align_corners=align)
        weights = np.linspace(-1, 1, out.numel()).reshape(out.shape).astype(np.float32)
        (out * ns.tensor(weights)).sum().backward()
        res.append([out, xt.grad, gt.grad])
    for a, b in zip(*res):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-4,
                                   atol=1e-5)


@pytest.mark.parametrize("size", [[2, 3, 4, 5], [1, 1, 1, 3], [2, 1, 3, 4, 5]])
@pytest.mark.parametrize("align", [True, False])
def test_affine_grid_matches_torch_and_gradcheck(size, align):
    torch = pytest.importorskip("torch")
    k = len(size) - 2
    theta = np.random.default_rng(2).standard_normal((size[0], k, k + 1))
    res = []
    for ns in (sg, torch):
        t = ns.tensor(theta.astype(np.float32), requires_grad=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            grid = ns.nn.functional.affine_grid(t, size, align_corners=align)
        (grid * grid).sum().backward()
        res.append(([str(w.message) for w in caught], grid, t.grad))
    assert res[0][0] == res[1][0]
    for a, b in zip(res[0][1:], res[1][1:]):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)
    t64 = sg.tensor(theta, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert gradcheck(lambda t: F.affine_grid(t, size, align_corners=align), [t64])


def test_spatial_transformer_pipeline_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 1, 6, 6)).astype(np.float32)
    theta = np.array([[[0.9, 0.2, 0.1], [-0.1, 1.1, 0.05]],
                      [[1.2, 0.0, -0.2], [0.3, 0.8, 0.0]]], np.float32)
    res = []
    for ns in (sg, torch):
        xt, tt = ns.tensor(x, requires_grad=True), ns.tensor(theta, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            grid = ns.nn.functional.affine_grid(tt, xt.size())
            out = ns.nn.functional.grid_sample(xt, grid)
        (out ** 2).sum().backward()
        res.append([out, xt.grad, tt.grad])
    for a, b in zip(*res):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-4,
                                   atol=1e-5)


def test_warnings_and_errors_match_torch():
    torch = pytest.importorskip("torch")
    calls = [
        lambda ns: ns.nn.functional.grid_sample(ns.zeros(1, 1, 2, 2), ns.zeros(1, 1, 1, 2)),
        lambda ns: ns.nn.functional.affine_grid(ns.zeros(1, 2, 3), [1, 1, 2, 2]),
        lambda ns: ns.nn.functional.grid_sample(ns.zeros(1, 1, 2, 2), ns.zeros(1, 1, 1, 2),
                                                mode="area", align_corners=False),
        lambda ns: ns.nn.functional.grid_sample(ns.zeros(1, 1, 2, 2), ns.zeros(1, 1, 1, 2),
                                                padding_mode="edge", align_corners=False),
        lambda ns: ns.nn.functional.affine_grid(ns.zeros(1, 3, 3), [1, 1, 2, 2], False),
        lambda ns: ns.nn.functional.affine_grid(ns.zeros(1, 2, 3), [1, 1, 2], False),
        lambda ns: ns.nn.functional.affine_grid(ns.zeros(1, 2, 3), [1, 1, 0, 2], False),
        lambda ns: ns.nn.functional.affine_grid(ns.zeros(1, 2, 3, dtype=ns.int64),
                                                [1, 1, 2, 2], False),
    ]
    for call in calls:
        got = []
        for ns in (sg, torch):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    call(ns)
                    err = None
                except Exception as e:                           # noqa: BLE001
                    err = (type(e).__name__, str(e).replace("torch.int64", "int64"))
            got.append((err, [str(w.message) for w in caught]))
        assert got[0] == got[1]
