"""ResNet-18: torchvision's layout and keys, and outputs, gradients and optimizer
trajectories equal to a hand-built torch ResNet-18 holding the same weights."""
import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.models import resnet18

from . import torch_resnet


@pytest.fixture(scope="module")
def model():
    sg.manual_seed(0)
    return resnet18()


def test_layout(model):
    sd = model.state_dict()
    assert len(sd) == 122
    assert sum(p.numel() for p in model.parameters()) == 11_689_512
    assert len(list(model.parameters())) == 62
    keys = list(sd)
    assert keys[:7] == ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean",
                        "bn1.running_var", "bn1.num_batches_tracked", "layer1.0.conv1.weight"]
    assert keys[-2:] == ["fc.weight", "fc.bias"]
    assert "layer2.0.downsample.0.weight" in sd and "layer1.0.downsample.0.weight" not in sd
    names = [n for n, _ in model.named_modules()][:12]
    assert names == ["", "conv1", "bn1", "relu", "maxpool", "layer1", "layer1.0",
                     "layer1.0.conv1", "layer1.0.bn1", "layer1.0.relu", "layer1.0.conv2",
                     "layer1.0.bn2"]
    assert sum(p.numel() for p in resnet18(num_classes=10).parameters()) == 11_181_642
    # torchvision's re-initialisation: kaiming_normal_(fan_out, relu) for convolutions.
    w = model.layer4[1].conv2.weight.detach().numpy()
    assert abs(w.std() - np.sqrt(2 / (512 * 9))) < 2e-4
    assert (model.bn1.weight.detach().numpy() == 1).all()


def test_repr_block(model):
    assert repr(model.layer2[0]) == """BasicBlock(
  (conv1): Conv2d(64, 128, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)
  (bn1): BatchNorm2d(128, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
  (relu): ReLU(inplace=True)
  (conv2): Conv2d(128, 128, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)
  (bn2): BatchNorm2d(128, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
  (downsample): Sequential(
    (0): Conv2d(64, 128, kernel_size=(1, 1), stride=(2, 2), bias=False)
    (1): BatchNorm2d(128, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
  )
)"""


def test_training_step_graph(model):
    x = sg.rand(2, 3, 64, 64)
    logits = model(x)
    assert tuple(logits.shape) == (2, 1000)
    assert type(logits.grad_fn).__name__ == "AddmmBackward0"
    loss = sg.nn.functional.cross_entropy(logits, sg.tensor([1, 7]))
    assert type(loss.grad_fn).__name__ == "NllLossBackward0"
    assert type(loss.grad_fn.next_functions[0][0]).__name__ == "LogSoftmaxBackward0"
    model.zero_grad()
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())


def test_train_mode_needs_more_than_one_value_per_channel():
    m = resnet18()
    with pytest.raises(ValueError, match=r"^Expected more than 1 value per channel when "
                       r"training, got input size torch.Size\(\[1, 512, 1, 1\]\)$"):
        m(sg.rand(1, 3, 32, 32))
    assert tuple(m.eval()(sg.rand(1, 3, 32, 32)).shape) == (1, 1000)


def test_pretrained_without_file_says_where_to_put_it(monkeypatch, tmp_path):
    monkeypatch.setenv("S2SGRAD_HOME", str(tmp_path / "a"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "b"))
    with pytest.raises(FileNotFoundError, match="resnet18-f37072fd.pth") as info:
        resnet18(pretrained=True)
    assert str(tmp_path / "a" / "checkpoints") in str(info.value)


def test_weights_from_npz_and_dict(model, tmp_path):
    sd = {k: v.numpy() for k, v in model.state_dict().items()}
    np.savez(tmp_path / "w.npz", **sd)
    m2 = resnet18(weights=str(tmp_path / "w.npz"))
    m3 = resnet18(weights=model.state_dict())
    for k, v in sd.items():
        np.testing.assert_array_equal(m2.state_dict()[k].numpy(), v)
        np.testing.assert_array_equal(m3.state_dict()[k].numpy(), v)


# ---------------------------------------------------------------- against torch

def _pair(torch, dtype):
    sg.manual_seed(1)
    ours = resnet18()
    theirs = torch_resnet.build(torch)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    if dtype == "float64":
        ours.double()
        theirs.double()
    return ours, theirs


@pytest.mark.parametrize("dtype,rtol", [("float64", 1e-8), ("float32", 1e-4)])
@pytest.mark.parametrize("train", [True, False])
def test_outputs_and_gradients_match_torch(dtype, rtol, train):
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch, dtype)
    ours.train(train)
    theirs.train(train)
    x = np.random.default_rng(0).uniform(size=(2, 3, 64, 64)).astype(dtype)
    y = np.random.default_rng(1).standard_normal((2, 1000)).astype(dtype)
    out = ours(sg.tensor(x))
    ref = theirs(torch.tensor(x))
    scale = np.abs(ref.detach().numpy()).max()
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=rtol,
                               atol=rtol * scale)
    ((out - sg.tensor(y)) ** 2).sum().backward()
    ((ref - torch.tensor(y)) ** 2).sum().backward()
    theirs_p = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        g, gref = p.grad.numpy(), theirs_p[name].grad.numpy()
        np.testing.assert_allclose(g, gref, rtol=rtol, atol=rtol * np.abs(gref).max(),
                                   err_msg=name)
    for name, b in theirs.named_buffers():
        np.testing.assert_allclose(ours.state_dict()[name].numpy(), b.numpy(), rtol=rtol,
                                   atol=rtol, err_msg=name)


@pytest.mark.parametrize("make", [
    lambda lib, ps: lib.optim.SGD(ps, lr=0.01, momentum=0.9),
    lambda lib, ps: lib.optim.Adam(ps, lr=1e-3),
])
def test_optimizer_trajectories_match_torch(make):
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch, "float64")
    rng = np.random.default_rng(2)
    o1, o2 = make(sg, ours.parameters()), make(torch, theirs.parameters())
    for _ in range(3):
        x = rng.uniform(size=(2, 3, 48, 48))
        t = rng.integers(0, 1000, 2)
        for m, opt, lib in ((ours, o1, sg), (theirs, o2, torch)):
            opt.zero_grad()
            lib.nn.functional.cross_entropy(m(lib.tensor(x)), lib.tensor(t)).backward()
            opt.step()
    theirs_p = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.detach().numpy(), theirs_p[name].detach().numpy(),
                                   rtol=1e-6, atol=1e-9, err_msg=name)
