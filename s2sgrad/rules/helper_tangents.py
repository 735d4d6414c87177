"""Forward rules for the helpers adjoint templates call, so adjoints differentiate forward.

Takes: the helpers whose adjoints ``helper_rules`` registers (``unbroadcast_to``,
``expand_reduced``, the scatters and gathers, ...). Gives: a forward rule on
each one's record: every such helper is linear in its first argument (the
cotangent it moves) and locally constant in the others, so its tangent is the
helper applied to that argument's tangent. ``jvp`` through a compiled gradient
(forward over reverse: Hessian-vector products) relies on them.
Invariant: a helper whose adjoint is not in the table gets no forward rule
here (the forward transform then names it in an error, never guesses).
"""
from __future__ import annotations

from . import elementwise_helpers as eh
from . import factories as fa
from . import reduce_helpers as rh
from . import shape_helpers as sh
from . import torchlike as tl
from .helpers import expand_reduced, unbroadcast, unbroadcast_to
from .indexing import scatter_add
from .registry import lookup, tangent

try:  # the helpers' adjoints
    from . import helper_rules as hr
except ImportError:  # pragma: no cover - without them no helper has a record to extend
    hr = None

__all__: list[str] = []


def _on(helper):
    """``@tangent(helper)`` when the helper's adjoint is in the table, else a no-op."""
    def register(jvp):
        return tangent(helper)(jvp) if lookup(helper) is not None else jvp
    return register


@_on(unbroadcast_to)
def unbroadcast_to_jvp(out, h, shape, dh):
    return unbroadcast_to(dh, shape)


@_on(unbroadcast)
def unbroadcast_jvp(out, h, x, dh):
    return unbroadcast(dh, x)


@_on(expand_reduced)
def expand_reduced_jvp(out, h, shape, axis, keepdims, dh):
    return expand_reduced(dh, shape, axis, keepdims)


@_on(rh.masked_mean_grad)
def masked_mean_grad_jvp(out, h, shape, axis, keepdims, where, dh):
    return rh.masked_mean_grad(dh, shape, axis, keepdims, where)


@_on(rh.extreme_grad)
def extreme_grad_jvp(out, h, a, o, axis, keepdims, where=True, *, dh):
    return rh.extreme_grad(dh, a, o, axis, keepdims, where)


@_on(rh.cumsum_grad)
def cumsum_grad_jvp(out, h, shape, axis, dh):
    return rh.cumsum_grad(dh, shape, axis)


@_on(eh.clip_grads)
def clip_grads_jvp(out, h, a, lo, hi, dh):
    return eh.clip_grads(dh, a, lo, hi)


@_on(scatter_add)
def scatter_add_jvp(out, h, shape, dtype, index, dh):
    return scatter_add(dh, shape, dtype, index)


@_on(tl.put_along)
def put_along_jvp(out, h, idx, x, axis, keepdims, dh):
    return tl.put_along(dh, idx, x, axis, keepdims)


@_on(sh.take_grad)
def take_grad_jvp(out, h, shape, indices, axis, mode, dh):
    return sh.take_grad(dh, shape, indices, axis, mode)


@_on(sh.take_along_grad)
def take_along_grad_jvp(out, h, shape, indices, axis, dh):
    return sh.take_along_grad(dh, shape, indices, axis)


@_on(sh.sort_grad)
def sort_grad_jvp(out, h, a, axis, dh):
    return sh.sort_grad(dh, a, axis)


@_on(sh.diag_grad)
def diag_grad_jvp(out, h, shape, k, dh):
    return sh.diag_grad(dh, shape, k)


@_on(sh.diagonal_grad)
def diagonal_grad_jvp(out, h, shape, offset, axis1, axis2, dh):
    return sh.diagonal_grad(dh, shape, offset, axis1, axis2)


@_on(sh.trace_grad)
def trace_grad_jvp(out, h, shape, offset, axis1, axis2, dh):
    return sh.trace_grad(dh, shape, offset, axis1, axis2)


@_on(sh.concat_grads)
def concat_grads_jvp(out, h, arrays, axis, dh):
    return sh.concat_grads(dh, arrays, axis)


@_on(sh.stacked_grads)
def stacked_grads_jvp(out, h, arrays, how, dh):
    return sh.stacked_grads(dh, arrays, how)


@_on(tl.split_like)
def split_like_jvp(out, h, xs, axis, dh):
    return tl.split_like(dh, xs, axis)


@_on(sh.unstack)
def unstack_jvp(out, h, axis, dh):
    return sh.unstack(dh, axis)


@_on(sh.unsplit)
def unsplit_jvp(out, gs, outs, axis, dgs):
    return sh.unsplit(dgs, outs, axis)


@_on(sh.restack)
def restack_jvp(out, gs, outs, axis, dgs):
    return sh.restack(dgs, outs, axis)


@_on(sh.as_input)
def as_input_jvp(out, h, a, dh):
    return sh.as_input(dh, a)


@_on(sh.tile_grad)
def tile_grad_jvp(out, h, shape, reps, dh):
    return sh.tile_grad(dh, shape, reps)


@_on(sh.repeat_grad)
def repeat_grad_jvp(out, h, shape, repeats, axis, dh):
    return sh.repeat_grad(dh, shape, repeats, axis)


@_on(sh.pad_grad)
def pad_grad_jvp(out, h, shape, pad_width, mode, reflect_type="even", *, dh):
    return sh.pad_grad(dh, shape, pad_width, mode, reflect_type)


@_on(sh.diff_grad)
def diff_grad_jvp(out, h, a, n, axis, prepend, append, dh):
    return sh.diff_grad(dh, a, n, axis, prepend, append)


@_on(fa.linspace_grads)
def linspace_grads_jvp(out, h, start, stop, num, endpoint, retstep, axis, dh):
    return fa.linspace_grads(dh, start, stop, num, endpoint, retstep, axis)


if hr is not None:
    @_on(hr.concat_like)
    def concat_like_jvp(out, parts, shape, axis, dparts):
        return hr.concat_like(dparts, shape, axis)

    @_on(hr.diff_with)
    def diff_with_jvp(out, a, n, axis, prepend, append, da, dprepend, dappend):
        return sh.diff_tangent(da, n, axis, prepend, append, dprepend, dappend)
