"""Tutorial 002: "Autograd: automatic differentiation" (notebook cells).

Each notebook cell's displayed value is printed with ``repr``, as Jupyter shows it.
"""
import s2sgrad as torch

torch.manual_seed(0)

x = torch.ones(2, 2, requires_grad=True)
print(repr(x))

y = x + 2
print(repr(y))
print(repr(y.grad_fn))

z = y * y * 3
print(repr(z))
out = z.mean()
print(repr(out))

a = torch.randn(2, 2)
a = ((a * 3) / (a - 1))
print(repr(a))
print(repr(a.requires_grad))
a.requires_grad_(True)
print(repr(a.requires_grad))
b = (a * a).sum()
print(repr(b))
print(repr(b.grad_fn))

print(repr(out))
out.backward()
print(repr(x.grad))

x = torch.randn(3, requires_grad=True)
y = x * 2
while y.data.norm() < 1000:
    y = y * 2
print(repr(y))

v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float)
y.backward(v)
print(repr(x.grad))

print(repr(x.requires_grad))
print(repr((x ** 2).requires_grad))
with torch.no_grad():
    print((x ** 2).requires_grad)
print(repr(x.requires_grad))
y = x.detach()
print(repr(y.requires_grad))
print(repr(x.eq(y)))
print(repr((x, y)))
