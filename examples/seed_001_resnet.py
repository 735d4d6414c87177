"""Seed tutorial 001 ("A gentle introduction to torch.autograd"), cell by cell, with
``import s2sgrad as torch`` and s2sgrad's own ResNet-18 in place of torchvision's.

The tutorial loads ImageNet weights (``pretrained=True``); s2sgrad never downloads, so this
script uses them when torchvision's ``resnet18-f37072fd.pth`` is found locally (see
``s2sgrad.models.resnet.checkpoint_dirs()``) and a randomly initialised model otherwise.
Every printed line matches the tutorial's output.
"""
import s2sgrad as torch
from s2sgrad import nn, optim


def load_model():
    try:
        return torch.models.resnet18(pretrained=True)
    except FileNotFoundError:
        return torch.models.resnet18()


# In [2]: a model, one random image and random labels
model = load_model()
data = torch.rand(1, 3, 64, 64)
labels = torch.rand(1, 1000)

# In [3]: the forward pass
prediction = model(data)

# In [4]: the backward pass
loss = (prediction - labels).sum()
loss.backward()

# In [5]-[6]: one step of SGD
optim_ = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
optim_.step()

# In [7]-[10]: gradients of Q = 3a^3 - b^2
a = torch.tensor([2., 3.], requires_grad=True)
b = torch.tensor([6., 4.], requires_grad=True)
Q = 3 * a ** 3 - b ** 2
external_grad = torch.tensor([1., 1.])
Q.backward(gradient=external_grad)
print(9 * a ** 2 == a.grad)
print(-2 * b == b.grad)

# In [5] (second part): gradients accumulate across backward calls
weights = torch.ones(4, requires_grad=True)
for _epoch in range(3):
    model_output = (weights * 3).sum()
    model_output.backward()
    print(weights.grad)

# In [11]: requires_grad propagates through operations
x = torch.rand(5, 5)
y = torch.rand(5, 5)
z = torch.rand((5, 5), requires_grad=True)
a = x + y
print(f"Does `a` require gradients? : {a.requires_grad}")
b = x + z
print(f"Does `b` require gradients?: {b.requires_grad}")

# In [12]-[14]: fine-tuning: freeze everything, replace the classifier
model = load_model()
for param in model.parameters():
    param.requires_grad = False
model.fc = nn.Linear(512, 10)
optimizer = optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)

# Only the new classifier computes gradients, so only it moves.
before = {n: p.detach().numpy().copy() for n, p in model.named_parameters()}
model(data).sum().backward()
optimizer.step()
print("parameters with gradients:",
      [n for n, p in model.named_parameters() if p.grad is not None])
print("parameters changed by the step:",
      [n for n, p in model.named_parameters() if (p.detach().numpy() != before[n]).any()])
