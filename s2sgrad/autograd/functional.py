"""``backward`` and ``grad``: the user-facing entry points of the eager engine.

Takes: output Tensors, optional cotangents, inputs. Gives: accumulated leaf
``.grad`` (``backward``) or a tuple of gradients (``grad``), with PyTorch's
checks and exact error texts. With ``create_graph=True`` the gradients are
Tensors with a history of their own (the backward is recorded), so they can be
differentiated again; ``s2sgrad.autograd.higher`` builds Jacobians, Hessians
and products on top of that.
Invariant: on any error raised here, no ``.grad`` has been touched.
"""
from __future__ import annotations

import warnings

import numpy as np

from ..runtime.graph import run_backward
from ..runtime.ops import edge_of
from ..runtime.tensor import Tensor

__all__ = ["backward", "grad"]


def _as_tuple(x):
    if x is None:
        return None
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _make_grads(outputs, grad_outputs, create_graph: bool = False):
    """One cotangent per output, checked as PyTorch checks them: arrays, or with
    ``create_graph`` Tensors (a given ``grad_output`` then takes part in the graph)."""
    grads = []
    for i, out in enumerate(outputs):
        g = None if grad_outputs is None else grad_outputs[i]
        if not out._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not "
                               "have a grad_fn")
        if g is None:
            if out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            one = np.ones(out._data.shape, out._data.dtype)
            grads.append(Tensor._wrap(one) if create_graph else one)
            continue
        if not isinstance(g, Tensor):
            raise TypeError("gradients can be either Tensors or None, but got "
                            f"{type(g).__name__}")
        if g._data.shape != out._data.shape:
            from ..runtime.tensor import Size
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {Size(g._data.shape)} and "
                f"output[{i}] has a shape of {Size(out._data.shape)}.")
        if create_graph:
            grads.append(g if g._data.dtype == out._data.dtype else g.to(out.dtype))
            continue
        gd = g._data
        if gd.dtype != out._data.dtype:
            gd = gd.astype(out._data.dtype)
        grads.append(gd)
    return grads


_CYCLE = (
    "Using backward() with create_graph=True will create a reference cycle between the "
    "parameter and its gradient which can cause a memory leak. We recommend using "
    "autograd.grad when creating the graph to avoid this. If you have to use this function, "
    "make sure to reset the .grad fields of your parameters to None after use to break the "
    "cycle and avoid the leak.")
_warned = [False]


def _warn_cycle() -> None:
    # PyTorch warns once per process (a C++ warn-once), whatever the Python filters say.
    if not _warned[0]:
        _warned[0] = True
        warnings.warn(_CYCLE, UserWarning, stacklevel=4)


_ONES: dict = {}


def _one(dt):
    """A read-only 0-d one of dtype ``dt`` (the implicit gradient of a scalar)."""
    o = _ONES.get(dt)
    if o is None:
        o = _ONES[dt] = np.ones((), dt)
        o.flags.writeable = False
    return o


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph: bool = False,
             inputs=None) -> None:
    """Accumulate d(tensors)/d(leaf) into every leaf's ``.grad`` (or only ``inputs``)."""
    if (grad_tensors is None and inputs is None and not create_graph
            and isinstance(tensors, Tensor) and tensors.grad_fn is not None
            and tensors._data.ndim == 0):
        # The common ``loss.backward()``: a scalar with history.
        run_backward([(tensors.grad_fn, tensors._output_nr)], [_one(tensors._data.dtype)],
                     retain_graph=bool(retain_graph))
        return
    outputs = _as_tuple(tensors)
    if grad_tensors is not None and not isinstance(grad_tensors, (list, tuple)):
        if isinstance(grad_tensors, Tensor) or grad_tensors is None:
            grad_tensors = (grad_tensors,)
        else:
            grad_tensors = tuple(grad_tensors)     # a float raises "not iterable", as in torch
    grads = _make_grads(outputs, grad_tensors, create_graph)
    if create_graph:
        _warn_cycle()
    roots = [edge_of(o)[:2] for o in outputs]
    retain = bool(retain_graph) if retain_graph is not None else create_graph
    if inputs is None:
        run_backward(roots, grads, retain_graph=retain, create_graph=create_graph)
        return
    inputs = _as_tuple(inputs)
    capture = _capture_for(inputs)
    run_backward(roots, grads, retain_graph=retain, capture=capture, accumulate=False,
                 create_graph=create_graph)
    for t in inputs:
        g = _captured(capture, t)
        if g is None:
            continue
        if create_graph:
            _store_graph(t, g)
        elif t.grad_fn is None:
            edge_of(t)[0].accumulate(g)
        else:
            t._grad = Tensor._wrap(np.array(g) if t._grad is None else t._grad._data + g)


def _store_graph(t: Tensor, g: Tensor) -> None:
    """``t.grad`` += g for a gradient with a history (``backward(inputs=..., create_graph)``)."""
    from ..runtime.grad_mode import enable_grad
    with enable_grad():
        if t.grad_fn is None:
            edge_of(t)[0].accumulate_graph(g)
        elif t._grad is not None:
            t._grad = t._grad + g
        elif g._requires_grad:
            t._grad = g.clone()          # a non-leaf's copy is a CloneBackward0, as in PyTorch
        else:
            t._grad = Tensor._wrap(np.array(g._data, copy=True))


def _capture_for(inputs):
    capture: dict = {}
    for t in inputs:
        node, k = edge_of(t)[:2]
        capture.setdefault(node, {})[k] = [None]
    return capture


def _captured(capture, t):
    node, k = edge_of(t)[:2]
    return capture[node][k][0]


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph: bool = False,
         only_inputs: bool = True, allow_unused=None, is_grads_batched: bool = False,
         materialize_grads: bool = False):
    """Gradients of ``outputs`` w.r.t. ``inputs`` as a tuple; ``.grad`` is untouched.

    With ``create_graph=True`` each gradient is a Tensor with a ``grad_fn`` (when it
    depends on something that requires grad), so it can be differentiated again.
    """
    outputs = _as_tuple(outputs)
    as_dict = isinstance(inputs, dict)
    keys = list(inputs) if as_dict else None
    inputs = tuple(inputs.values()) if as_dict else _as_tuple(inputs)
    if grad_outputs is not None:
        grad_outputs = _as_tuple(grad_outputs)
    for t in inputs:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    grads = _make_grads(outputs, grad_outputs, create_graph)
    roots = [edge_of(o)[:2] for o in outputs]
    capture = _capture_for(inputs)
    retain = bool(retain_graph) if retain_graph is not None else create_graph
    run_backward(roots, grads, retain_graph=retain, capture=capture, accumulate=False,
                 create_graph=create_graph)
    result = []
    for i, t in enumerate(inputs):
        g = _captured(capture, t)
        if g is None:
            if materialize_grads:
                result.append(Tensor._wrap(np.zeros_like(t._data)))
                continue
            if not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior.")
            result.append(None)
        elif create_graph:
            result.append(g if g._data.dtype == t._data.dtype else g.to(t.dtype))
        else:
            result.append(Tensor._wrap(np.array(g, dtype=t._data.dtype)))
    if as_dict:
        return dict(zip(keys, result))
    return tuple(result)
