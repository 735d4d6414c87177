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

__all__ = ["backward", "grad", "vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


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


# ---------------------------------------------------------------- torch.autograd.functional

def _as_inputs(inputs, arg_name: str, fn_name: str) -> tuple[bool, tuple]:
    is_tuple = isinstance(inputs, tuple)           # as PyTorch: a list is not a tuple
    items = tuple(inputs) if is_tuple else (inputs,)
    for i, el in enumerate(items):
        if not isinstance(el, Tensor):
            where = f"value at index {i}" if is_tuple else f"given {arg_name}"
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a "
                            f"tuple of Tensors but the {where} has type {type(el)}.")
    return is_tuple, items


def _prepare(inputs, create_graph: bool) -> tuple:
    """Inputs the function is differentiated at: fresh leaves, or views of inputs that
    already require grad when the result must stay differentiable (create_graph)."""
    return tuple(t.view_as(t) if create_graph and t.requires_grad
                 else t.detach().requires_grad_(True) for t in inputs)


def _check_v(v, other: tuple, fn_name: str, of_input: bool, other_tuple: bool = False):
    if v is None:
        if len(other) != 1 or other[0].numel() != 1:
            raise RuntimeError(
                "The vector v can only be None if the input to the user-provided function is "
                "a single Tensor with a single element." if of_input else
                "The vector v can only be None if the user-provided function returns a single "
                "Tensor with a single element.")
        return (Tensor._wrap(np.ones(other[0]._data.shape, other[0]._data.dtype)),)
    _, vs = _as_inputs(v, "v", fn_name)
    if len(vs) != len(other):
        raise RuntimeError(f"v is a tuple of invalid length: should be {len(other)} but got "
                           f"{len(vs)}.")
    for i, (a, b) in enumerate(zip(vs, other)):
        if a.shape != b.shape:
            pre = f"Entry {i} in " if other_tuple else ""
            raise RuntimeError(f"{pre}v has invalid size: should be {b.size()} but got "
                               f"{a.size()}.")
    return vs


def _grads(outputs: tuple, inputs: tuple, grad_outputs, create_graph: bool, strict: bool):
    """d<grad_outputs, outputs>/d inputs, zeros where an input is unused."""
    used = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if strict and len(used) != len(outputs):
        i = next(k for k, o in enumerate(outputs) if not o.requires_grad)
        raise RuntimeError(f"Output {i} of the user-provided function does not require "
                           "gradients. The outputs must be computed in a differentiable manner "
                           "from the input when running in strict mode.")
    res = (grad([o for o, _ in used], inputs, [g for _, g in used], retain_graph=True,
                create_graph=create_graph, allow_unused=True) if used
           else (None,) * len(inputs))
    out = []
    for i, (g, t) in enumerate(zip(res, inputs)):
        if g is None:
            if strict:
                raise RuntimeError(f"The output of the user-provided function is independent "
                                   f"of input {i}. This is not allowed in strict mode.")
            g = Tensor._wrap(np.zeros_like(t._data))
        out.append(g)
    return tuple(out)


def _result(values, create_graph: bool, is_tuple: bool = True):
    """Detached results unless create_graph; a bare Tensor for a bare input."""
    if isinstance(values, tuple):
        values = tuple(_result(v, create_graph) for v in values)
        return values if is_tuple else values[0]
    return values if create_graph else values.detach()


def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product, as torch.autograd.functional."""
    from ..runtime.grad_mode import enable_grad
    with enable_grad():
        is_tuple, ins = _as_inputs(inputs, "inputs", "vjp")
        ins = _prepare(ins, create_graph)
        outs = func(*ins)
        out_tuple, outs_t = _as_inputs(outs, "outputs of the user-provided function", "vjp")
        vs = _check_v(v, outs_t, "vjp", False, out_tuple)
        res = _grads(outs_t, ins, vs, create_graph, strict)
    return _result(outs_t, create_graph, out_tuple), _result(res, create_graph, is_tuple)


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), J v)``, by differentiating the (linear) vector-Jacobian product
    with respect to its vector: the double-backward trick."""
    from ..runtime.grad_mode import enable_grad
    with enable_grad():
        is_tuple, ins = _as_inputs(inputs, "inputs", "jvp")
        ins = _prepare(ins, create_graph)
        vs = _check_v(v, ins, "jvp", True, is_tuple)
        outs = func(*ins)
        out_tuple, outs_t = _as_inputs(outs, "outputs of the user-provided function", "jvp")
        us = tuple(Tensor._wrap(np.zeros_like(o._data)).requires_grad_(True) for o in outs_t)
        gs = _grads(outs_t, ins, us, True, strict)
        res = _grads(gs, us, vs, create_graph, False)
    return _result(outs_t, create_graph, out_tuple), _result(res, create_graph, out_tuple)


def jacobian(func, inputs, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode"):
    """d func / d inputs, one row of vector-Jacobian products per output element:
    ``J[i][j]`` has shape ``outputs[i].shape + inputs[j].shape``."""
    from ..runtime.grad_mode import enable_grad
    if strategy == "forward-mode" and not vectorize:
        raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse "
                                  "Hessian isonly implemented for `vectorize=True`.")
    with enable_grad():
        is_tuple, ins = _as_inputs(inputs, "inputs", "jacobian")
        ins = _prepare(ins, create_graph)
        outs = func(*ins)
        out_tuple, outs_t = _as_inputs(outs, "outputs of the user-provided function",
                                       "jacobian")
        blocks = []
        for out in outs_t:
            rows = [[] for _ in ins]
            for k in range(out.numel()):
                onehot = np.zeros(out._data.size, out._data.dtype)
                onehot[k] = 1
                sel = Tensor._wrap(onehot.reshape(out._data.shape))
                for j, g in enumerate(_grads((out,), ins, (sel,), create_graph, strict)):
                    rows[j].append(g)
            blocks.append(tuple(_stack_rows(r, out, t) for r, t in zip(rows, ins)))
    res = tuple(_result(b, create_graph, is_tuple) for b in blocks)
    return res if out_tuple else res[0]


def _stack_rows(rows: list, out: Tensor, inp: Tensor) -> Tensor:
    from ..runtime.functions import stack
    shape = tuple(out.shape) + tuple(inp.shape)
    if not rows:
        return Tensor._wrap(np.zeros(shape, inp._data.dtype))
    return stack(rows).reshape(shape)


def hessian(func, inputs, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode"):
    """Second derivatives of a scalar ``func``: the Jacobian of its gradient, so
    ``H[i][j]`` has shape ``inputs[i].shape + inputs[j].shape``."""
    is_tuple, ins = _as_inputs(inputs, "inputs", "hessian")

    def gradient(*xs):
        out = func(*xs)
        out_tuple, outs = _as_inputs(out, "outputs of the user-provided function", "hessian")
        if out_tuple or len(outs) != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if outs[0].numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should "
                               "contain a single element")
        return _grads(outs, xs, (Tensor._wrap(np.ones_like(outs[0]._data)),), True, strict)

    res = jacobian(gradient, ins, create_graph=create_graph, strict=strict,
                   vectorize=vectorize, strategy=outer_jacobian_strategy)
    return res if is_tuple else res[0][0]


def _scalar_product(func, inputs, v, create_graph, strict, fn_name):
    from ..runtime.grad_mode import enable_grad
    with enable_grad():
        is_tuple, ins = _as_inputs(inputs, "inputs", fn_name)
        ins = _prepare(ins, create_graph)
        vs = _check_v(v, ins, fn_name, True, is_tuple)
        out = func(*ins)
        out_tuple, outs = _as_inputs(out, "outputs of the user-provided function", fn_name)
        if out_tuple or len(outs) != 1:
            raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
        if outs[0].numel() != 1:
            raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should "
                               "contain a single element")
        gs = _grads(outs, ins, (Tensor._wrap(np.ones_like(outs[0]._data)),), True, strict)
        # d<g, v>/dx = v^T H, which is also H v: a Hessian is symmetric.
        res = _grads(gs, ins, vs, create_graph, False)
    return _result(outs[0], create_graph), _result(res, create_graph, is_tuple)


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), v^T H)`` for a scalar ``func``."""
    return _scalar_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), H v)`` for a scalar ``func`` (equal to ``vhp``: H is symmetric)."""
    return _scalar_product(func, inputs, v, create_graph, strict, "hvp")
