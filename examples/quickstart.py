"""s2sgrad in one page: eager autograd like PyTorch, and a compiled adjoint you can read.

Run: ``python examples/quickstart.py``
"""
import numpy as np

import s2sgrad as sg

# 1. Eager, exactly as in PyTorch's tutorial.
x = sg.ones(2, 2, requires_grad=True)
y = x + 2
z = y * y * 3
out = z.mean()
print(out)
out.backward()
print(x.grad)


# 2. Source transformation: the decorator reads the function, writes its adjoint.
@sg.grad
def loss(w, x, y):
    h = np.tanh(x @ w)
    return np.mean((h - y) ** 2)


rng = np.random.default_rng(0)
xs = rng.standard_normal((8, 3))
ys = rng.standard_normal((8, 1))
w = sg.tensor(rng.standard_normal((3, 1)), requires_grad=True)
value = loss(w, xs, ys)          # a Tensor with ONE node: LossBackward
print(value)
value.backward()                 # runs the generated adjoint
print(w.grad)
print(loss.source)               # the generated forward and adjoint

# 3. The functional form, on plain NumPy arrays.
dw = sg.gradient(loss)(w.detach().numpy(), xs, ys)
print(np.allclose(dw, w.grad.numpy()))
