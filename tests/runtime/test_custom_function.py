"""``autograd.Function``: user-written backward passes, as PyTorch runs them."""
import math
import re

import numpy as np
import pytest

import s2sgrad as torch
from s2sgrad.autograd import gradcheck, gradgradcheck


class Exp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        y = x.exp() * scale
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * y, None


class Cube(torch.autograd.Function):
    """New style: forward without ctx, setup_context saves."""

    @staticmethod
    def forward(x):
        return x ** 3

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return 3 * x ** 2 * g


class ScaleBy(torch.autograd.Function):
    """Broadcasts a (1,)-shaped scale: its gradient arrives full size and is summed."""

    @staticmethod
    def forward(ctx, x, s):
        ctx.save_for_backward(x, s)
        return x * s

    @staticmethod
    def backward(ctx, g):
        x, s = ctx.saved_tensors
        return g * s, g * x


@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_gradients_match_finite_differences(shape):
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.standard_normal(shape), requires_grad=True)
    assert gradcheck(lambda t: Exp.apply(t, 1.5), (x,))
    assert gradcheck(Cube.apply, (x,))
    assert gradgradcheck(Cube.apply, (x,))
    s = torch.tensor(rng.standard_normal((1,)), requires_grad=True)
    assert gradcheck(ScaleBy.apply, (x, s))


def test_node_name_edges_and_modes():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = Exp.apply(x, 2.0)
    assert repr(y) == "tensor([ 5.4366, 14.7781], grad_fn=<ExpBackward>)"
    assert re.fullmatch(r"<torch\.autograd\.function\.ExpBackward object at 0x[0-9a-f]+>",
                        repr(y.grad_fn))
    assert len(y.grad_fn.next_functions) == 1          # one edge per Tensor argument
    assert type(y.grad_fn.next_functions[0][0]).__name__ == "AccumulateGrad"
    with torch.no_grad():
        assert Exp.apply(x, 1.0).grad_fn is None
    seen = {}

    class Spy(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            seen["forward"] = torch.is_grad_enabled()
            return a * b

        @staticmethod
        def backward(ctx, g):
            seen["backward"] = torch.is_grad_enabled()
            seen["needs"] = ctx.needs_input_grad
            return g, None

    Spy.apply(x, torch.ones(2)).sum().backward()
    assert seen == {"forward": False, "backward": False, "needs": (True, False)}


def test_multiple_outputs_non_differentiable_and_returned_input():
    x = torch.tensor([1.0, 3.0, 2.0], requires_grad=True)

    class TwoAndIndex(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            idx = a.argmax()
            ctx.mark_non_differentiable(idx)
            return a * 2, a * 3, idx

        @staticmethod
        def backward(ctx, g1, g2, gi):
            assert gi.shape == () and float(gi) == 0       # zeros for the unused outputs
            return g1 * 2 + g2 * 3

    a, b, i = TwoAndIndex.apply(x)
    assert not i.requires_grad and a.grad_fn is b.grad_fn
    a.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])

    class Identity(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a

        @staticmethod
        def backward(ctx, g):
            return g * 10

    r = Identity.apply(x)
    assert r is not x and r.grad_fn is not None and x.grad_fn is None
    x.grad = None
    r.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [10.0, 10.0, 10.0])


def test_errors_as_pytorch_words_them():
    x = torch.tensor([1.0, 2.0], requires_grad=True)

    class TooMany(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g, g

    with pytest.raises(RuntimeError, match=re.escape(
            "function TooManyBackward returned an incorrect number of gradients (expected 1, "
            "got 2)")):
        TooMany.apply(x).sum().backward()

    class BadShape(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return torch.ones(3)

    with pytest.raises(RuntimeError, match=re.escape(
            "Function BadShapeBackward returned an invalid gradient at index 0 - got [3] but "
            "expected shape compatible with [2]")):
        BadShape.apply(x).sum().backward()
    y = Exp.apply(x, 1.0)
    y.sum().backward(retain_graph=True)
    y.sum().backward()                   # retained: the saved values are still there
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second"):
        y.sum().backward()
    z = x * 1
    w = Cube.apply(z)
    z.add_(1)
    with pytest.raises(RuntimeError, match=re.escape(
            "which is output 0 of Add, is at version 1; expected version 0 instead")):
        w.sum().backward()
    with pytest.warns(DeprecationWarning, match="should not be instantiated"):
        Exp()


def test_create_graph_runs_the_user_backward_on_tensors():
    x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    (g,) = torch.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 3 * x.detach().numpy() ** 2)
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * x.detach().numpy())

    class Once(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a ** 2

        @staticmethod
        @torch.autograd.once_differentiable
        def backward(ctx, g):
            a, = ctx.saved_tensors
            return 2 * a * g

    y = Once.apply(x).sum()
    (g1,) = torch.autograd.grad(y, x, retain_graph=True)
    np.testing.assert_allclose(g1.numpy(), 2 * x.detach().numpy())
    with pytest.raises(NotImplementedError):
        torch.autograd.grad(y, x, create_graph=True)


class LegendrePolynomial3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


def _legendre_fit(lib, fn, steps=300):
    x = lib.linspace(-math.pi, math.pi, 2000, dtype=lib.float64)
    y = lib.sin(x)
    params = [lib.full((), v, dtype=lib.float64, requires_grad=True)
              for v in (0.0, -1.0, 0.0, 0.3)]
    a, b, c, d = params
    losses = []
    for _ in range(steps):
        y_pred = a + b * fn.apply(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with lib.no_grad():
            for p in params:
                p -= 5e-6 * p.grad
                p.grad = None
    return losses, [p.item() for p in params]


def test_learning_pytorch_with_examples_legendre_fit():
    # The tutorial's custom-function regression: the loss falls, and where PyTorch is
    # installed, every step's loss and the final coefficients agree with it.
    losses, coeffs = _legendre_fit(torch, LegendrePolynomial3)
    assert losses[-1] < losses[0] / 4
    try:
        import torch as real
    except ImportError:
        return

    class Legendre(real.autograd.Function):
        forward = LegendrePolynomial3.forward
        backward = LegendrePolynomial3.backward

    ref_losses, ref_coeffs = _legendre_fit(real, Legendre)
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-10)
    np.testing.assert_allclose(coeffs, ref_coeffs, rtol=1e-10, atol=1e-12)


class AddOneInPlace(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        x.add_(1)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, g):
        return g * 1


def test_mark_dirty_rebases_the_input_as_an_in_place_op_does():
    a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = a * 2
    v0 = b._version
    c = AddOneInPlace.apply(b)
    assert c is b
    assert b._version - v0 == 2             # add_ and mark_dirty, as in PyTorch
    assert type(b.grad_fn).__name__ == "AddOneInPlaceBackward"
    assert type(b.grad_fn.next_functions[0][0]).__name__ == "MulBackward0"
    (c * c).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), 2 * 2 * (2 * np.array([1.0, 2.0, 3.0]) + 1))


def test_mark_dirty_on_a_leaf_that_requires_grad_is_refused():
    a = torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="^a leaf Variable that requires grad has been used "
                                           "in an in-place operation.$"):
        AddOneInPlace.apply(a)
    d = torch.ones(3)
    assert AddOneInPlace.apply(d) is d and d.tolist() == [2.0, 2.0, 2.0]


def test_mark_dirty_gradient_matches_finite_differences():
    def f(x):
        return AddOneInPlace.apply(x * 1.0).sin()
    assert gradcheck(f, [torch.tensor(np.linspace(-1, 1, 5), requires_grad=True)])


class TwoOutputs(torch.autograd.Function):
    seen: list = []

    @staticmethod
    def forward(ctx, x, materialize):
        ctx.set_materialize_grads(materialize)
        return x * 2, x * 3

    @staticmethod
    def backward(ctx, g1, g2):
        TwoOutputs.seen.append((g1, g2))
        total = 0
        if g1 is not None:
            total = total + g1 * 2
        if g2 is not None:
            total = total + g2 * 3
        return total, None


@pytest.mark.parametrize("materialize", [True, False])
def test_set_materialize_grads(materialize):
    TwoOutputs.seen.clear()
    x = torch.ones(2, requires_grad=True, dtype=torch.float64)
    p, q = TwoOutputs.apply(x, materialize)
    q.sum().backward()
    g1, g2 = TwoOutputs.seen[0]
    assert (g1 is None) == (not materialize)
    if materialize:
        assert g1.tolist() == [0.0, 0.0]
    assert g2.tolist() == [1.0, 1.0]
    assert x.grad.tolist() == [3.0, 3.0]


def test_set_materialize_grads_false_under_create_graph():
    TwoOutputs.seen.clear()
    x = torch.ones(2, requires_grad=True, dtype=torch.float64)
    p, q = TwoOutputs.apply(x, False)
    (g,) = torch.autograd.grad(q.sum(), x, create_graph=True)
    assert TwoOutputs.seen[0][0] is None
    assert g.tolist() == [3.0, 3.0]
