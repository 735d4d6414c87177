"""Sampling grids in ``nn.functional``: ``affine_grid`` and ``grid_sample`` (2-D), what
the spatial-transformer tutorial runs.

Takes: affine matrices (N, 2, 3) (or (N, 3, 4) for a 5-D size) and an output size; an
(N, C, H, W) input and an (N, H_out, W_out, 2) grid of (x, y) in [-1, 1], with PyTorch's
options (mode bilinear/nearest, padding_mode zeros/border/reflection, align_corners).
Gives: PyTorch's values, composed from existing Tensor ops: the grid is a constant base grid
times theta^T; the sample is a ``gather`` of the corner pixels weighted by Tensors computed
from the grid, so gradients reach both the input (through ``gather``) and the grid
(through the weights; nearest sampling gives the grid none, as PyTorch does).
Invariant: coordinates are unnormalised, clipped and reflected exactly as PyTorch's
``grid_sampler_compute_source_index`` does, including which side of a boundary gets a zero
gradient; out-of-range corners contribute nothing (zeros padding).
"""
from __future__ import annotations

import warnings

import numpy as np

from ..runtime.tensor import Tensor

__all__ = ["affine_grid", "grid_sample"]

_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to "
                  "align_corners=False since 1.3.0. Please specify align_corners=True if the "
                  "old behavior is desired. See the documentation of grid_sample for details.")


def _steps(n: int, align_corners: bool, dtype) -> np.ndarray:
    if n <= 1:
        return np.zeros(max(n, 1), dtype)
    r = np.linspace(-1.0, 1.0, n)
    return (r if align_corners else r * (n - 1) / n).astype(dtype)


def affine_grid(theta: Tensor, size, align_corners: bool | None = None) -> Tensor:
    """The (N, H, W, 2) (or (N, D, H, W, 3)) sampling grid of the affine maps ``theta``."""
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if theta._data.dtype.kind != "f":
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = list(size)
    if len(size) == 4:
        if theta.dim() != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{size}. Got {theta.shape}.")
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.dim() != 3 or theta.shape[-2] != 3 or theta.shape[-1] != 4:
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{size}. Got {theta.shape}.")
        spatial = size[-3:]
    else:
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size "
                      "grids when align_corners=True. This is not an intended use case of "
                      "affine_grid. See the documentation of affine_grid for details.",
                      stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    dt = theta._data.dtype
    # Coordinates listed fastest first (x over W, then y over H, then z over D), then a 1.
    axes = [_steps(n, align_corners, dt) for n in reversed(spatial)]
    mesh = np.meshgrid(*reversed(axes), indexing="ij")          # each (D,) H, W
    base = np.stack(list(reversed(mesh)) + [np.ones_like(mesh[0])], -1)
    n = size[0]
    flat = Tensor._wrap(np.ascontiguousarray(
        np.broadcast_to(base.reshape(1, -1, base.shape[-1]), (n,) + base.reshape(-1, base.shape[
            -1]).shape)))
    out = flat.matmul(theta.transpose(1, 2))
    return out.reshape(n, *spatial, len(spatial))


# ---------------------------------------------------------------- grid_sample

def _unnormalize(coord: Tensor, size: int, align_corners: bool) -> Tensor:
    if align_corners:
        return (coord + 1) * ((size - 1) / 2)
    return ((coord + 1) * size - 1) / 2


def _clip(coord: Tensor, size: int) -> Tensor:
    """min(max(coord, 0), size - 1); the gradient is 0 at and beyond either bound."""
    c = coord._data
    inside = (c > 0) & (c < size - 1)
    fixed = np.where(inside, 0, np.clip(c, 0, size - 1)).astype(c.dtype)
    return coord * Tensor._wrap(inside.astype(c.dtype)) + Tensor._wrap(fixed)


def _reflect(coord: Tensor, twice_low: int, twice_high: int) -> Tensor:
    """PyTorch's ``reflect_coordinates``: fold ``coord`` into [low, high] by mirroring."""
    if twice_low == twice_high:
        return coord * 0
    lo, span = twice_low / 2, (twice_high - twice_low) / 2
    c = coord._data
    dt = c.dtype
    sign = np.where(c - lo < 0, -1.0, 1.0).astype(dt)
    dist = (coord - lo) * Tensor._wrap(sign)
    flips = np.floor(dist._data / span)
    extra = dist - Tensor._wrap((flips * span).astype(dt))
    even = (flips % 2) == 0
    return (extra * Tensor._wrap(np.where(even, 1.0, -1.0).astype(dt))
            + Tensor._wrap(np.where(even, lo, span + lo).astype(dt)))


def _source_index(coord: Tensor, size: int, padding_mode: str, align_corners: bool) -> Tensor:
    coord = _unnormalize(coord, size, align_corners)
    if padding_mode == "border":
        coord = _clip(coord, size)
    elif padding_mode == "reflection":
        coord = (_reflect(coord, 0, 2 * (size - 1)) if align_corners
                 else _reflect(coord, -1, 2 * size - 1))
        coord = _clip(coord, size)
    return coord


def _corner(flat: Tensor, xs: np.ndarray, ys: np.ndarray, h: int, w: int) -> tuple:
    """The (N, C, Ho, Wo) values at integer pixels (xs, ys) and where they exist."""
    valid = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
    idx = (np.clip(ys, 0, h - 1) * w + np.clip(xs, 0, w - 1)).astype(np.int64)
    n, c = flat.shape[0], flat.shape[1]
    index = np.ascontiguousarray(np.broadcast_to(idx.reshape(n, 1, -1), (n, c, idx[0].size)))
    vals = flat.gather(2, Tensor._wrap(index)).reshape(n, c, *xs.shape[1:])
    return vals, valid


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear",
                padding_mode: str = "zeros", align_corners: bool | None = None) -> Tensor:
    """Sample ``input`` at the grid's (x, y) locations (x across W, y down H)."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if mode == "bicubic" or input.dim() != 4:
        raise NotImplementedError("grid_sample supports 4-D input with mode 'bilinear' or "
                                  "'nearest' only")
    if grid.dim() != 4 or grid.shape[-1] != 2 or grid.shape[0] != input.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid to have size 2 in last dimension "
                           f"and the same batch size as input, but got grid with sizes "
                           f"{list(grid.shape)}")
    n, c, h, w = input.shape
    ix = _source_index(grid[..., 0], w, padding_mode, align_corners)
    iy = _source_index(grid[..., 1], h, padding_mode, align_corners)
    flat = input.reshape(n, c, h * w)
    dt = input._data.dtype
    if mode == "nearest":
        xs, ys = np.rint(ix._data).astype(np.int64), np.rint(iy._data).astype(np.int64)
        vals, valid = _corner(flat, xs, ys, h, w)
        # PyTorch gives the grid a zero gradient here, not none: keep it in the graph.
        return vals.masked_fill(Tensor._wrap(~valid[:, None]), 0.0) + (ix + iy).unsqueeze(1) * 0
    x0, y0 = np.floor(ix._data), np.floor(iy._data)
    wx1 = ix - Tensor._wrap(x0.astype(dt))
    wy1 = iy - Tensor._wrap(y0.astype(dt))
    wx0, wy0 = 1 - wx1, 1 - wy1
    x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
    out = None
    for dx, dy, wgt in ((0, 0, wx0 * wy0), (1, 0, wx1 * wy0), (0, 1, wx0 * wy1),
                        (1, 1, wx1 * wy1)):
        vals, valid = _corner(flat, x0 + dx, y0 + dy, h, w)
        term = vals * (wgt * Tensor._wrap(valid.astype(dt))).unsqueeze(1)
        out = term if out is None else out + term
    return out
