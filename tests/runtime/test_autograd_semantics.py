"""PyTorch's autograd semantics, as measured (SEMANTICS.md section 3)."""
import warnings

import numpy as np
import pytest

import s2sgrad as torch

SECOND = "Trying to backward through the graph a second time"


def raises(exc, text):
    return pytest.raises(exc, match="^" + __import__("re").escape(text) + "$")


def test_tutorial_2x2_program():
    x = torch.ones(2, 2, requires_grad=True)
    y = x + 2
    z = y * y * 3
    out = z.mean()
    assert type(y.grad_fn).__name__ == "AddBackward0"
    assert type(z.grad_fn).__name__ == "MulBackward0"
    assert out.grad_fn.name() == "MeanBackward0"
    out.backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 2), 4.5, np.float32))
    assert x.grad.dtype == torch.float32


def test_next_functions_layout():
    x = torch.ones(2, 2, requires_grad=True)
    y = x + 2
    acc, k = y.grad_fn.next_functions[0]
    assert y.grad_fn.next_functions[1] == (None, 0)
    assert type(acc).__name__ == "AccumulateGrad" and acc.variable is x and k == 0
    assert acc.name() == "torch::autograd::AccumulateGrad" and acc.next_functions == ()
    z = y * y * 3
    assert type(z.grad_fn.next_functions[0][0]).__name__ == "MulBackward0"
    r = 2 - x
    assert type(r.grad_fn).__name__ == "RsubBackward1" and len(r.grad_fn.next_functions) == 1
    m = x @ x
    assert m.grad_fn.next_functions[0][0] is m.grad_fn.next_functions[1][0]
    assert repr(y.grad_fn).startswith("<AddBackward0 object at 0x")


@pytest.mark.parametrize("expr, name", [
    (lambda x: x - 2, "SubBackward0"), (lambda x: x / 2, "DivBackward0"),
    (lambda x: -x, "NegBackward0"), (lambda x: x ** 2, "PowBackward0"),
    (lambda x: 2 ** x, "PowBackward2"), (lambda x: x ** x, "PowBackward1"),
    (lambda x: x.sum(), "SumBackward0"), (lambda x: x.sum(0), "SumBackward1"),
    (lambda x: x.mean(1, keepdim=True), "MeanBackward1"), (lambda x: x.exp(), "ExpBackward0"),
    (lambda x: x.tanh(), "TanhBackward0"), (lambda x: x.sigmoid(), "SigmoidBackward0"),
    (lambda x: x.relu(), "ReluBackward0"), (lambda x: x.clamp(min=0), "ClampBackward1"),
    (lambda x: x.reshape(6), "ViewBackward0"), (lambda x: x.view(3, 2), "ViewBackward0"),
    (lambda x: x.t().reshape(-1), "UnsafeViewBackward0"),
    (lambda x: x.transpose(0, 1), "TransposeBackward0"), (lambda x: x.t(), "TBackward0"),
    (lambda x: x.T, "PermuteBackward0"), (lambda x: x.unsqueeze(0), "UnsqueezeBackward0"),
    (lambda x: x[None], "UnsqueezeBackward0"), (lambda x: x[0], "SelectBackward0"),
    (lambda x: x[:, 1], "SelectBackward0"), (lambda x: x[0:1], "SliceBackward0"),
    (lambda x: x[[0, 1]], "IndexBackward0"), (lambda x: x[x > 0], "IndexBackward0"),
    (lambda x: x.max(), "MaxBackward1"), (lambda x: x.max(dim=1).values, "MaxBackward0"),
    (lambda x: x.min(dim=0)[0], "MinBackward0"), (lambda x: x.abs(), "AbsBackward0"),
    (lambda x: x.clone(), "CloneBackward0"), (lambda x: x.norm(), "LinalgVectorNormBackward0"),
    (lambda x: x.softmax(1), "SoftmaxBackward0"), (lambda x: x.log_softmax(1),
                                                   "LogSoftmaxBackward0"),
    (lambda x: torch.cat([x, x]), "CatBackward0"), (lambda x: torch.stack([x, x]),
                                                    "StackBackward0"),
    (lambda x: x.double(), "ToCopyBackward0"), (lambda x: x.expand(2, 2, 3),
                                                "ExpandBackward0"),
    (lambda x: x @ x.t(), "MmBackward0"), (lambda x: x[0] @ x[1], "DotBackward0"),
    (lambda x: x @ x[0], "MvBackward0"), (lambda x: torch.where(x > 0, x, x * 2),
                                          "WhereBackward0"),
    (lambda x: x.var(), "VarBackward0"), (lambda x: x.std(), "StdBackward0"),
    (lambda x: x.squeeze(), "SqueezeBackward0"), (lambda x: x.sqrt(), "SqrtBackward0"),
])
def test_grad_fn_names(expr, name):
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.5]], requires_grad=True)
    out = expr(x)
    assert type(out.grad_fn).__name__ == name


def test_float_of_same_dtype_returns_self():
    x = torch.ones(2, requires_grad=True)
    assert x.float() is x


def test_requires_grad_and_leaves():
    a = torch.ones(2)
    b = torch.ones(2, requires_grad=True)
    assert (a + a).is_leaf and not (a + b).is_leaf
    assert not (a + a).requires_grad and (a + b).requires_grad
    assert b.double().is_leaf is False
    d = b.detach()
    assert d.is_leaf and not d.requires_grad and d.grad_fn is None
    with torch.no_grad():
        c = b * 2
    assert c.is_leaf and not c.requires_grad and c.grad_fn is None
    assert not (b > 0).requires_grad


def test_backward_errors():
    with raises(RuntimeError, "element 0 of tensors does not require grad and does not have a "
                "grad_fn"):
        torch.tensor(1.0).backward()
    x = torch.ones(3, requires_grad=True)
    with raises(RuntimeError, "grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()
    with raises(RuntimeError, "Mismatch in shape: grad_output[0] has a shape of "
                "torch.Size([2]) and output[0] has a shape of torch.Size([3])."):
        (x * 2).backward(torch.ones(2))
    with raises(RuntimeError, "Mismatch in shape: grad_output[0] has a shape of "
                "torch.Size([]) and output[0] has a shape of torch.Size([3])."):
        (x * 2).backward(torch.tensor(1.0))
    with raises(TypeError, "gradients can be either Tensors or None, but got float"):
        (x * 2).backward([1.0, 1.0, 1.0])
    with pytest.raises(TypeError, match="'float' object is not iterable"):
        (x * 2).backward(2.0)
    assert x.grad is None          # nothing touched by failed calls
    (torch.ones(1, requires_grad=True) * 2).backward()    # numel 1 is fine
    x.sum().backward()
    (x * 2).sum().backward(torch.tensor(3.0))
    np.testing.assert_array_equal(x.grad.numpy(), [7.0, 7.0, 7.0])


def test_backward_twice_and_retain_graph():
    x = torch.ones(2, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with raises(RuntimeError, SECOND + " (or directly access saved tensors after they have "
                "already been freed). Saved intermediate values of the graph are freed when you "
                "call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
                "backward through the graph a second time or if you need to access saved "
                "tensors after calling backward."):
        y.backward()
    x = torch.ones(2, requires_grad=True)
    y = (x + 1).sum()
    y.backward()
    y.backward()                          # nothing saved: allowed
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
    x = torch.ones(2, requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 4.0])


def test_accumulation_is_in_place():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    for k in range(1, 4):
        (x * 2).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [2.0 * k] * 2)
    g = x.grad
    g.zero_()
    (x * 2).sum().backward()
    assert x.grad is g
    x.grad = None
    (x * 2).sum().backward()
    assert x.grad is not g


def test_autograd_grad():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    w = torch.tensor([3.0, 4.0], requires_grad=True)
    y = (x * x).sum()
    (g,) = torch.autograd.grad(y, x)
    np.testing.assert_array_equal(g.numpy(), [2.0, 4.0])
    assert x.grad is None
    y = (x * w).sum()
    gx, gw = torch.autograd.grad([y], [x, w])
    np.testing.assert_array_equal(gx.numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(gw.numpy(), [1.0, 2.0])
    y = (x * x).sum()
    with raises(RuntimeError, "The differentiated Tensor at index 1 appears to not have been "
                "used in the graph. Set allow_unused=True if this is the desired behavior."):
        torch.autograd.grad(y, [x, w], retain_graph=True)
    g = torch.autograd.grad(y, [x, w], allow_unused=True, retain_graph=True)
    assert g[1] is None
    g = torch.autograd.grad(y, [x, w], materialize_grads=True)
    np.testing.assert_array_equal(g[1].numpy(), [0.0, 0.0])
    with raises(RuntimeError, "One of the differentiated Tensors does not require grad"):
        torch.autograd.grad((x * 2).sum(), [torch.ones(2)])
    h = x * 3
    (gh,) = torch.autograd.grad((h ** 2).sum(), h)
    np.testing.assert_array_equal(gh.numpy(), [6.0, 12.0])


def test_requires_grad_flag_errors():
    assert torch.ones(2).requires_grad_() is not None
    with raises(RuntimeError, "only Tensors of floating point dtype can require gradients"):
        torch.tensor([1, 2]).requires_grad_()
    with raises(RuntimeError, "Only Tensors of floating point and complex dtype can require "
                "gradients"):
        torch.tensor([1, 2], requires_grad=True)
    t = torch.tensor([1, 2])
    with raises(RuntimeError, "only Tensors of floating point and complex dtype can require "
                "gradients"):
        t.requires_grad = True
    y = torch.ones(2, requires_grad=True) * 2
    assert y.requires_grad_() is y
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf "
                       "variables. If you want"):
        y.requires_grad_(False)
    with raises(RuntimeError, "you can only change requires_grad flags of leaf variables."):
        y.requires_grad = True


def test_inplace_rules_and_versions():
    x = torch.ones(2, requires_grad=True)
    for op in (lambda: x.add_(1), lambda: x.mul_(2), lambda: x.zero_(), lambda: x.fill_(1),
               lambda: x.copy_(torch.ones(2))):
        with raises(RuntimeError, "a leaf Variable that requires grad is being used in an "
                    "in-place operation."):
            op()
    with raises(RuntimeError, "a view of a leaf Variable that requires grad is being used in "
                "an in-place operation."):
        x[0] = 5
    with torch.no_grad():
        x.add_(1)
    assert x.is_leaf and x._version == 1
    x.data.add_(1)
    assert x._version == 1
    x.detach().add_(1)
    assert x._version == 2
    np.testing.assert_array_equal(x.detach().numpy(), [4.0, 4.0])

    a = torch.ones(3, requires_grad=True)
    b = a.sigmoid()
    c = b * 1
    b.add_(1)
    with raises(RuntimeError, "one of the variables needed for gradient computation has been "
                "modified by an inplace operation: [torch.FloatTensor [3]], which is output 0 of "
                "Sigmoid, is at version 1; expected version 0 instead. Hint: enable anomaly "
                "detection to find the operation that failed to compute its gradient, with "
                "torch.autograd.set_detect_anomaly(True, check_nan=False)."):
        (c.sum() + b.sum()).backward()
    w = torch.ones(2, 2, requires_grad=True)
    y = torch.ones(1, 2) @ w
    with torch.no_grad():
        w.mul_(2)
    y2 = (torch.ones(1, 2, requires_grad=True) @ w.detach())   # unaffected graph still works
    y2.sum().backward()
    y3 = torch.ones(1, 2, requires_grad=True) @ w
    with torch.no_grad():
        w.mul_(2)
    with raises(RuntimeError, "one of the variables needed for gradient computation has been "
                "modified by an inplace operation: [torch.FloatTensor [2, 2]] is at version 2; "
                "expected version 1 instead. Hint: enable anomaly detection to find the "
                "operation that failed to compute its gradient, with "
                "torch.autograd.set_detect_anomaly(True, check_nan=False)."):
        y3.sum().backward()
    del y


def test_inplace_on_non_leaf_gradients():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    y += x
    assert type(y.grad_fn).__name__ == "AddBackward0"
    y *= 3
    assert type(y.grad_fn).__name__ == "MulBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 6.0])
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    y[1] = x[0] * 10
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [12.0, 0.0, 2.0])
    z = (x * 1).zero_()
    assert type(z.grad_fn).__name__ == "ZeroBackward0"


def test_detach_and_data_share_storage():
    x = torch.ones(3, requires_grad=True)
    d = x.detach()
    d[0] = 5
    np.testing.assert_array_equal(x.detach().numpy(), [5.0, 1.0, 1.0])
    assert x.data is not x.data
    x.data = torch.zeros(3)
    assert x.requires_grad and float(x.detach().sum()) == 0.0


def test_grad_assignment_errors():
    x = torch.ones(3, requires_grad=True)
    x.grad = torch.ones(3)
    with raises(RuntimeError, "attempting to assign a gradient of size '[2]' to a tensor of "
                "size '[3]'. Please ensure that the gradient and the tensor are the same size"):
        x.grad = torch.ones(2)
    with pytest.raises(RuntimeError, match="attempting to assign a gradient with dtype 'double' "
                       "to a tensor with grad_dtype 'Float'"):
        x.grad = torch.ones(3, dtype=torch.float64)
    with raises(TypeError, "assigned grad expected to be a Tensor or None but got grad of type "
                "list"):
        x.grad = [1.0]


def test_nonleaf_grad_warns():
    x = torch.ones(2, requires_grad=True)
    y = x * 2
    with pytest.warns(UserWarning, match="The .grad attribute of a Tensor that is not a leaf"):
        assert y.grad is None
    y.retain_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert y.grad is None
        z = (y ** 2).sum()
        z.backward()
        np.testing.assert_array_equal(y.grad.numpy(), [4.0, 4.0])
    assert y.retains_grad and not x.retains_grad


def test_hooks():
    x = torch.ones(2, requires_grad=True)
    h = x.register_hook(lambda g: g * 10)
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [20.0, 20.0])
    h.remove()
    x.grad = None
    y = x * 2
    y.register_hook(lambda g: g * 100)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [200.0, 200.0])
    seen = []
    w = torch.ones(1, requires_grad=True)
    w.register_hook(lambda g: seen.append(g.item()) or g + 1)
    w.register_hook(lambda g: seen.append(g.item()) or g * 2)
    (w * 1).sum().backward()
    assert seen == [1.0, 2.0] and w.grad.item() == 4.0
    with raises(RuntimeError, "cannot register a hook on a tensor that doesn't require "
                "gradient"):
        torch.ones(1).register_hook(lambda g: g)
    with raises(RuntimeError, "hook '<lambda>' has changed the size of value"):
        v = torch.ones(2, requires_grad=True)
        v.register_hook(lambda g: torch.ones(3))
        v.sum().backward()


def test_leaf_hooks_outlive_the_graph():
    seen = []
    x = torch.ones(2, requires_grad=True)
    x.register_hook(lambda g: seen.append("pre") or g)
    x.register_post_accumulate_grad_hook(lambda t: seen.append("post"))
    for _ in range(2):
        (x * 2).sum().backward()          # each graph dies after its backward
    assert seen == ["pre", "post"] * 2
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 4.0])


def test_leaf_and_graph_are_freed_without_the_cycle_collector():
    import gc
    import weakref
    gc.collect()
    gc.disable()
    try:
        x = torch.ones(3, requires_grad=True)
        y = (x * 2).sum()
        acc = y.grad_fn.next_functions[0][0]
        assert acc is y.grad_fn.next_functions[0][0]   # one accumulator while the graph lives
        y.backward()
        refs = [weakref.ref(x), weakref.ref(acc), weakref.ref(y)]
        del x, y, acc
        assert [r() for r in refs] == [None, None, None]
    finally:
        gc.enable()


def test_leaf_grad_is_contiguous_whatever_layout_arrives():
    w = torch.randn(5, 3, requires_grad=True)
    (torch.ones(2, 5) @ w.t().t() @ torch.ones(3, 2) * torch.ones(2, 2)).sum().backward()
    assert w.grad.is_contiguous()
    v = torch.randn(3, 4, requires_grad=True)
    (v.t() * torch.arange(3.0)).sum().backward()       # arrives as a transposed view
    assert v.grad.is_contiguous() and v.grad.view(-1).shape == (12,)
    np.testing.assert_array_equal(v.grad.numpy(), np.tile(np.arange(3.0)[:, None], (1, 4)))


def test_grad_modes():
    x = torch.ones(2, requires_grad=True)
    assert torch.is_grad_enabled()
    with torch.no_grad():
        assert not (x * 2).requires_grad
        with torch.enable_grad():
            assert type((x * 2).grad_fn).__name__ == "MulBackward0"
        assert torch.ones(2, requires_grad=True).requires_grad

    @torch.no_grad()
    def f(t):
        return t * 2

    @torch.no_grad
    def g(t):
        return t * 2

    assert not f(x).requires_grad and not g(x).requires_grad
    torch.set_grad_enabled(False)
    assert not (x * 2).requires_grad
    torch.set_grad_enabled(True)
    with torch.set_grad_enabled(False):
        assert not torch.is_grad_enabled()
    assert torch.is_grad_enabled()
    with torch.inference_mode():
        y = x * 2
    assert not y.requires_grad and y.is_inference()


def test_grad_modes_are_thread_local():
    import threading
    seen = []
    with torch.no_grad():
        t = threading.Thread(target=lambda: seen.append(torch.is_grad_enabled()))
        t.start()
        t.join()
    assert seen == [True]


def test_deep_chain_without_recursion():
    x = torch.ones(1, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    assert x.grad.item() == 1.0


def test_numpy_and_item():
    t = torch.ones(3)
    n = t.numpy()
    t.add_(1)
    np.testing.assert_array_equal(n, [2.0, 2.0, 2.0])
    with raises(RuntimeError, "Can't call numpy() on Tensor that requires grad. Use "
                "tensor.detach().numpy() instead."):
        torch.ones(2, requires_grad=True).numpy()
    assert torch.tensor(0.1).item() == float(np.float32(0.1))
    assert torch.tensor(7).item() == 7 and torch.tensor(True).item() is True
    with raises(RuntimeError, "a Tensor with 3 elements cannot be converted to Scalar"):
        torch.ones(3).item()
    with raises(ValueError, "only one element tensors can be converted to Python scalars"):
        float(torch.ones(3))
    with raises(RuntimeError, "Boolean value of Tensor with more than one value is ambiguous"):
        bool(torch.ones(3))
    with raises(TypeError, "len() of a 0-d tensor"):
        len(torch.tensor(1.0))


def test_shapes_and_errors():
    x = torch.ones(2, 3)
    assert x.shape == (2, 3) and repr(x.shape) == "torch.Size([2, 3])" and x.size(1) == 3
    with raises(RuntimeError, "shape '[4]' is invalid for input of size 6"):
        x.reshape(4)
    with raises(RuntimeError, "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)"):
        x @ x
    with raises(RuntimeError, "The size of tensor a (3) must match the size of tensor b (2) at "
                "non-singleton dimension 0"):
        torch.ones(3) + torch.ones(2)
    with raises(IndexError, "index 5 is out of bounds for dimension 0 with size 3"):
        torch.ones(3)[5]
    with raises(IndexError, "Dimension out of range (expected to be in range of [-1, 0], but "
                "got 2)"):
        torch.ones(3).size(2)
    with raises(RuntimeError, "view size is not compatible with input tensor's size and stride "
                "(at least one dimension spans across two contiguous subspaces). Use "
                ".reshape(...) instead."):
        x.t().view(6)
    with raises(RuntimeError, "mean(): could not infer output dtype. Input dtype must be either "
                "a floating point or complex dtype. Got: Long"):
        torch.tensor([1, 2]).mean()
    with raises(RuntimeError, "linalg.vector_norm: Expected a floating point or complex tensor "
                "as input. Got Long"):
        torch.tensor([1, 2]).norm()


def test_dtype_promotion():
    assert (torch.ones(2) + torch.ones(2, dtype=torch.float64)).dtype == torch.float64
    assert (torch.ones(2) + 2.5).dtype == torch.float32
    assert (torch.tensor([1, 2]) + 2.5).dtype == torch.float32
    assert (torch.tensor([3]) / torch.tensor([2])).dtype == torch.float32
    assert (torch.ones(2) + torch.tensor(1.0, dtype=torch.float64)).dtype == torch.float32
    assert torch.tensor(np.array([1.0, 2.0])).dtype == torch.float64
    assert torch.tensor([1, 2]).dtype == torch.int64 and torch.tensor([True]).dtype == torch.bool
    assert torch.arange(5).dtype == torch.int64 and torch.arange(5.0).dtype == torch.float32
    assert torch.tensor([1, 2]).sum().dtype == torch.int64
    with raises(ValueError, "expected sequence of length 2 at dim 1 (got 1)"):
        torch.tensor([[1, 2], [3]])


def test_max_returns_named_tuple():
    x = torch.tensor([[1.0, 5.0], [3.0, 2.0]], requires_grad=True)
    r = x.max(dim=0)
    np.testing.assert_array_equal(r.values.detach().numpy(), [3.0, 5.0])
    np.testing.assert_array_equal(r.indices.numpy(), [1, 0])
    assert r.indices.dtype == torch.int64
    r.values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 1.0], [1.0, 0.0]])


def test_kink_conventions():
    def grad_of(f, vals):
        x = torch.tensor(vals, requires_grad=True)
        f(x).sum().backward()
        return x.grad.numpy().tolist()

    assert grad_of(lambda x: x.relu(), [-1.0, 0.0, 2.0]) == [0.0, 0.0, 1.0]
    assert grad_of(lambda x: x.clamp(min=0), [-1.0, 0.0, 2.0]) == [0.0, 1.0, 1.0]
    assert grad_of(lambda x: x.abs(), [-1.0, 0.0, 2.0]) == [-1.0, 0.0, 1.0]
    assert grad_of(lambda x: x.max(), [1.0, 3.0, 3.0]) == [0.0, 0.5, 0.5]
    assert grad_of(lambda x: x.norm(), [0.0, 0.0]) == [0.0, 0.0]
    x = torch.tensor([[1.0, 3.0, 3.0]], requires_grad=True)
    x.max(dim=1).values.sum().backward()
    assert x.grad.numpy().tolist() == [[0.0, 1.0, 0.0]]


def test_random_fills_and_state():
    torch.manual_seed(0)
    a = torch.empty(3).uniform_(-1, 1)
    state = torch.get_rng_state()
    b = torch.randn(4)
    torch.set_rng_state(state)
    np.testing.assert_array_equal(torch.randn(4).numpy(), b.numpy())
    assert a._version == 1
    with raises(RuntimeError, "a leaf Variable that requires grad is being used in an in-place "
                "operation."):
        torch.ones(2, requires_grad=True).normal_()
    m = torch.bernoulli(torch.full((1000,), 0.25))
    assert 150 < float(m.sum()) < 350


@pytest.mark.parametrize("n", [3, 100])   # small, and large enough to write in place
def test_inplace_ops_match_out_of_place(n):
    rng = np.random.default_rng(0)
    x0, z0 = rng.standard_normal((n, n)), rng.standard_normal((1, n))

    def run(inplace):
        x = torch.tensor(x0, requires_grad=True)
        z = torch.tensor(z0, requires_grad=True)
        y = x * 1.5
        if inplace:
            y += z
            y *= z                    # z's gradient reads the old y: kept as a copy
            y.sub_(x, alpha=2)
            y.relu_()
        else:
            y = ((y + z) * z - 2 * x).relu()
        (y * y).sum().backward()
        return y.detach().numpy(), x.grad.numpy(), z.grad.numpy(), y._version
    for a, b in zip(run(True)[:3], run(False)[:3]):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    assert run(True)[3] == 4
    x = torch.tensor(x0, requires_grad=True)
    y = x * 1.0
    w = y.exp()                       # saves its output: a later in-place write must be caught
    w += 1
    with pytest.raises(RuntimeError, match="output 0 of Exp, is at version 1; expected "
                       "version 0 instead"):
        w.sum().backward()


def test_keyword_tensor_that_requires_grad_is_refused_not_dropped():
    from s2sgrad.rules.nn import addmm
    from s2sgrad.runtime.ops import apply
    w = torch.ones(3, 2, requires_grad=True)
    b, m = torch.zeros(2), torch.ones(4, 3)
    with pytest.raises(TypeError, match="'mat2' requires grad and must be passed positionally"):
        apply(addmm, b, m, mat2=w)
    y = apply(addmm, b, w.t(), mat2=torch.ones(3, 2))          # a constant keyword is fine
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.full((3, 2), 2.0))
