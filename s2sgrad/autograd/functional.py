"""``backward`` and ``grad``: the user-facing entry points of the eager engine.

Takes: output Tensors, optional cotangents, inputs. Gives: accumulated leaf
``.grad`` (``backward``) or a tuple of gradients (``grad``), with PyTorch's
checks and exact error texts.
Invariant: on any error raised here, no ``.grad`` has been touched.
"""
from __future__ import annotations

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


def _make_grads(outputs, grad_outputs):
    grads = []
    for i, out in enumerate(outputs):
        g = None if grad_outputs is None else grad_outputs[i]
        if not out._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not "
                               "have a grad_fn")
        if g is None:
            if out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            grads.append(np.ones(out._data.shape, out._data.dtype))
            continue
        if not isinstance(g, Tensor):
            raise TypeError("gradients can be either Tensors or None, but got "
                            f"{type(g).__name__}")
        if g._data.shape != out._data.shape:
            from ..runtime.tensor import Size
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {Size(g._data.shape)} and "
                f"output[{i}] has a shape of {Size(out._data.shape)}.")
        gd = g._data
        if gd.dtype != out._data.dtype:
            gd = gd.astype(out._data.dtype)
        grads.append(gd)
    return grads


def _check_create_graph(create_graph: bool) -> None:
    if create_graph:
        raise NotImplementedError(
            "create_graph=True (higher-order eager gradients) is not supported yet; use "
            "s2sgrad.gradient on a function for higher-order derivatives")


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
    _check_create_graph(create_graph)
    outputs = _as_tuple(tensors)
    if grad_tensors is not None and not isinstance(grad_tensors, (list, tuple)):
        if isinstance(grad_tensors, Tensor) or grad_tensors is None:
            grad_tensors = (grad_tensors,)
        else:
            grad_tensors = tuple(grad_tensors)     # a float raises "not iterable", as in torch
    grads = _make_grads(outputs, grad_tensors)
    roots = [edge_of(o)[:2] for o in outputs]
    retain = bool(retain_graph) if retain_graph is not None else create_graph
    if inputs is None:
        run_backward(roots, grads, retain_graph=retain)
        return
    inputs = _as_tuple(inputs)
    capture = _capture_for(inputs)
    run_backward(roots, grads, retain_graph=retain, capture=capture, accumulate=False)
    for t in inputs:
        g = _captured(capture, t)
        if g is None:
            continue
        if t.grad_fn is None:
            edge_of(t)[0].accumulate(g)
        else:
            t._grad = Tensor._wrap(np.array(g) if t._grad is None else t._grad._data + g)


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
    """Gradients of ``outputs`` w.r.t. ``inputs`` as a tuple; ``.grad`` is untouched."""
    _check_create_graph(create_graph)
    outputs = _as_tuple(outputs)
    as_dict = isinstance(inputs, dict)
    keys = list(inputs) if as_dict else None
    inputs = tuple(inputs.values()) if as_dict else _as_tuple(inputs)
    if grad_outputs is not None:
        grad_outputs = _as_tuple(grad_outputs)
    for t in inputs:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    grads = _make_grads(outputs, grad_outputs)
    roots = [edge_of(o)[:2] for o in outputs]
    capture = _capture_for(inputs)
    retain = bool(retain_graph) if retain_graph is not None else create_graph
    run_backward(roots, grads, retain_graph=retain, capture=capture, accumulate=False)
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
        else:
            result.append(Tensor._wrap(np.array(g, dtype=t._data.dtype)))
    if as_dict:
        return dict(zip(keys, result))
    return tuple(result)
