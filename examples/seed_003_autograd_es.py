"""Tutorial 003: "PyTorch Tutorial #03 - Autograd" (notebook cells, errors included).

Cells that raise in the tutorial are run inside try/except and print the error
as the notebook shows it.
"""
import s2sgrad as torch

torch.manual_seed(0)

x = torch.randn(3, requires_grad=True)
print(repr(x))
y = x + 2
print(repr(y))
z = y * y * 2
print(repr(z))
z = z.mean()
print(repr(z))
z.backward()
print(repr(x.grad))

x = torch.randn(3, requires_grad=False)
print(repr(x))
y = x + 2
z = y * y * 2
z = z.mean()
try:
    z.backward()
except RuntimeError as e:
    print(f"RuntimeError: {e}")

x = torch.randn(3, requires_grad=True)
print(repr(x))
y = x + 2
z = y * y * 2
try:
    z.backward()
except RuntimeError as e:
    print(f"RuntimeError: {e}")

v = torch.tensor([0.1, 1.0, 0.001], dtype=torch.float32)
z.backward(v)
print(repr(x.grad))

x = torch.randn(3, requires_grad=True)
x.requires_grad_(False)
print(repr(x))

x = torch.randn(3, requires_grad=True)
y = x.detach()
print(repr(y))

x = torch.randn(3, requires_grad=True)
with torch.no_grad():
    y = x + 2
print(repr(y))

weights = torch.ones(4, requires_grad=True)
for epoch in range(3):  # noqa: B007  (the tutorial's own loop)
    model_output = (weights * 3).sum()
    model_output.backward()
    print(weights.grad)

weights = torch.ones(4, requires_grad=True)
for epoch in range(3):  # noqa: B007  (the tutorial's own loop)
    model_output = (weights * 3).sum()
    model_output.backward()
    print(weights.grad)
    weights.grad.zero_()

weights = torch.ones(4, requires_grad=True)
optimizer = torch.optim.SGD([weights], lr=0.01)
optimizer.step()
optimizer.zero_grad()
print(repr(weights))
