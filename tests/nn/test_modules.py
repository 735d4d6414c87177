"""nn.Module API, layers, reprs, init and BatchNorm semantics (SEMANTICS 5), and the eager
layers' gradients through the shared checker."""
from collections import OrderedDict

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad import nn
from s2sgrad.autograd.gradcheck import gradcheck
from s2sgrad.nn import functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(sg.ones(1))
        self.register_buffer("steps", sg.zeros(1))
        self.plain = sg.ones(2)
        self.fc = nn.Linear(4, 3)
        self.act = nn.ReLU()
        self.head = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 1))

    def forward(self, x):
        return self.head(self.act(self.fc(x))) * self.scale


def test_registration_and_iteration():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "scale", "fc.weight", "fc.bias", "head.0.weight", "head.0.bias", "head.2.weight",
        "head.2.bias"]
    assert list(net.state_dict()) == [
        "scale", "steps", "fc.weight", "fc.bias", "head.0.weight", "head.0.bias",
        "head.2.weight", "head.2.bias"]
    assert [n for n, _ in net.named_children()] == ["fc", "act", "head"]
    assert [n for n, _ in net.named_modules()] == ["", "fc", "act", "head", "head.0", "head.1",
                                                  "head.2"]
    assert [n for n, _ in net.named_buffers()] == ["steps"]
    assert type(net.parameters()).__name__ == "generator"
    sd = net.state_dict()
    assert isinstance(sd, OrderedDict) and not sd["fc.weight"].requires_grad
    sd["fc.bias"][0] = 42.0           # shares storage with the parameter
    assert net.fc.bias[0].item() == 42.0
    assert net.state_dict(keep_vars=True)["fc.weight"] is net.fc.weight
    assert tuple(net(sg.ones(2, 4)).shape) == (2, 1)


def test_load_state_dict_messages():
    net = Net()
    assert repr(net.load_state_dict(net.state_dict())) == "<All keys matched successfully>"
    sd = net.state_dict()
    del sd["fc.bias"]
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(sd)
    assert str(info.value) == ('Error(s) in loading state_dict for Net:\n\tMissing key(s) in '
                               'state_dict: "fc.bias". ')
    sd = net.state_dict()
    sd["extra.weight"] = sg.ones(1)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(sd)
    assert str(info.value) == ('Error(s) in loading state_dict for Net:\n\tUnexpected key(s) '
                               'in state_dict: "extra.weight". ')
    res = net.load_state_dict(sd, strict=False)
    assert res.missing_keys == [] and res.unexpected_keys == ["extra.weight"]
    sd = net.state_dict()
    sd["fc.bias"] = sg.ones(5)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(sd)
    assert str(info.value) == (
        "Error(s) in loading state_dict for Net:\n\tsize mismatch for fc.bias: copying a param "
        "with shape torch.Size([5]) from checkpoint, the shape in current model is "
        "torch.Size([3]).")


def test_module_errors():
    class Early(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    class EarlyP(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(sg.ones(1))

    class NoFwd(nn.Module):
        pass

    with pytest.raises(AttributeError, match=r"^cannot assign module before Module.__init__\(\) "
                       r"call$"):
        Early()
    with pytest.raises(AttributeError, match=r"^cannot assign parameters before "
                       r"Module.__init__\(\) call$"):
        EarlyP()
    with pytest.raises(NotImplementedError, match=r'^Module \[NoFwd\] is missing the required '
                       r'"forward" function$'):
        NoFwd()(1)
    with pytest.raises(AttributeError, match="^'Net' object has no attribute 'nonexistent'$"):
        _ = Net().nonexistent


def test_modes_grads_and_casts():
    net = Net()
    assert net.training and net.eval() is net and not net.head[0].training
    assert net.train() is net and net.head[0].training
    net(sg.ones(1, 4)).sum().backward()
    net.zero_grad(set_to_none=False)
    assert net.fc.bias.grad.tolist() == [0.0, 0.0, 0.0]
    net.zero_grad()
    assert net.fc.bias.grad is None
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    assert net.double().fc.weight.dtype == sg.float64 and net.float().fc.weight.dtype == sg.float32
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net" and seen[0] == "Linear"


def test_parameter():
    p = nn.Parameter(sg.ones(2))
    assert repr(p) == "Parameter containing:\ntensor([1., 1.], requires_grad=True)"
    assert p.is_leaf and p.requires_grad and p.grad_fn is None and isinstance(p, sg.Tensor)
    assert type(p * 2).__name__ == "Tensor"


def test_reprs():
    assert repr(nn.Linear(3, 2, bias=False)) == "Linear(in_features=3, out_features=2, bias=False)"
    assert repr(nn.Conv2d(64, 128, 1, stride=2, bias=False)) == (
        "Conv2d(64, 128, kernel_size=(1, 1), stride=(2, 2), bias=False)")
    assert repr(nn.Conv2d(3, 8, 3)) == "Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))"
    assert repr(nn.MaxPool2d(2)) == ("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, "
                                     "ceil_mode=False)")
    assert repr(nn.AdaptiveAvgPool2d(1)) == "AdaptiveAvgPool2d(output_size=1)"
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"
    assert repr(nn.Dropout()) == "Dropout(p=0.5, inplace=False)"
    assert repr(nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.Tanh()])) == (
        "ModuleList(\n  (0-1): 2 x ReLU()\n  (2): Tanh()\n)")


def test_sequential():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert isinstance(seq[0], nn.Linear) and isinstance(seq[-1], nn.Linear) and len(seq) == 3
    assert isinstance(seq[1:], nn.Sequential) and len(seq[1:]) == 2
    named = nn.Sequential(OrderedDict([("conv", nn.Conv2d(1, 2, 3)), ("act", nn.ReLU())]))
    assert [n for n, _ in named.named_parameters()] == ["conv.weight", "conv.bias"]
    with pytest.raises(IndexError, match="^index 3 is out of range$"):
        seq[3]


def test_default_init_is_pytorchs():
    sg.manual_seed(0)
    lin = nn.Linear(3, 2)
    assert repr(lin.weight) == ("Parameter containing:\ntensor([[-0.0043,  0.3097, -0.4752],\n"
                                "        [-0.4249, -0.2224,  0.1548]], requires_grad=True)")
    assert repr(lin.bias) == "Parameter containing:\ntensor([-0.0114,  0.4578], requires_grad=True)"
    conv = nn.Conv2d(16, 32, 3)
    assert np.abs(conv.weight.detach().numpy()).max() <= 1 / 12
    assert nn.init.calculate_gain("leaky_relu", 5 ** 0.5) == 0.5773502691896257
    assert nn.init.calculate_gain("relu") == 1.4142135623730951


def test_init_matches_torch_bit_exactly():
    torch = pytest.importorskip("torch")
    for make in (lambda lib: lib.nn.Linear(400, 300), lambda lib: lib.nn.Conv2d(2, 3, 3)):
        sg.manual_seed(3)
        torch.manual_seed(3)
        ours, theirs = make(sg), make(torch)
        for (n, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy(), err_msg=n)


def test_batchnorm_semantics():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 5, 5)).astype(np.float32)
    bn = nn.BatchNorm2d(3)
    assert [n for n, _ in bn.named_buffers()] == ["running_mean", "running_var",
                                                 "num_batches_tracked"]
    with sg.no_grad():
        out = bn(sg.tensor(x))
    ref = (x - x.mean((0, 2, 3), keepdims=True)) / np.sqrt(x.var((0, 2, 3), keepdims=True) + 1e-5)
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-5)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.9 + 0.1 * x.var((0, 2, 3), ddof=1),
                               rtol=1e-6)
    assert bn.num_batches_tracked.item() == 1
    bn.eval()
    before = bn.running_mean.numpy().copy()
    out = bn(sg.tensor(x))
    np.testing.assert_array_equal(bn.running_mean.numpy(), before)
    assert type(out.grad_fn).__name__ == "NativeBatchNormBackward0" or out.grad_fn is None
    with pytest.raises(ValueError, match=r"^expected 4D input \(got 2D input\)$"):
        bn(sg.ones(2, 3))
    cma = nn.BatchNorm1d(3, momentum=None)
    cma(sg.tensor(x[:, :, 0, 0]))
    cma(sg.tensor(x[:, :, 1, 1]))
    np.testing.assert_allclose(cma.running_mean.numpy(),
                               (x[:, :, 0, 0].mean(0) + x[:, :, 1, 1].mean(0)) / 2, rtol=1e-5)


def test_node_names_through_layers():
    x = sg.randn(2, 3, 8, 8, requires_grad=True)
    names = {
        nn.Conv2d(3, 4, 3): "ConvolutionBackward0", nn.BatchNorm2d(3): "NativeBatchNormBackward0",
        nn.MaxPool2d(2): "MaxPool2DWithIndicesBackward0",
        nn.AdaptiveAvgPool2d((1, 1)): "MeanBackward1",
        nn.AdaptiveAvgPool2d((2, 1)): "AdaptiveAvgPool2DBackward0", nn.ReLU(): "ReluBackward0",
        nn.Flatten(): "ViewBackward0", nn.Dropout(): "MulBackward0",
    }
    for layer, name in names.items():
        assert type(layer(x).grad_fn).__name__ == name, layer
    assert type(F.avg_pool2d(x, 2).grad_fn).__name__ == "AvgPool2DBackward0"
    lin = nn.Linear(3, 4)(sg.ones(2, 3))
    assert type(lin.grad_fn).__name__ == "AddmmBackward0"
    nxt = [type(f).__name__ if f is not None else None for f, _ in lin.grad_fn.next_functions]
    assert nxt == ["AccumulateGrad", None, "TBackward0"]
    assert type(F.mse_loss(x, x * 0).grad_fn).__name__ == "MseLossBackward0"
    y = x * 1
    assert type(nn.ReLU(inplace=True)(y).grad_fn).__name__ == "ReluBackward0"


def test_values_and_errors():
    assert F.cross_entropy(sg.zeros(2, 4), sg.tensor([0, 1])).item() == pytest.approx(np.log(4))
    assert repr(F.mse_loss(sg.tensor([1.0, 2.0]), sg.tensor([0.0, 0.0]))) == "tensor(2.5000)"
    with pytest.raises(RuntimeError, match=r"^mat1 and mat2 shapes cannot be multiplied "
                       r"\(4x5 and 3x2\)$"):
        nn.Linear(3, 2)(sg.ones(4, 5))
    assert tuple(nn.Linear(3, 2)(sg.ones(4, 5, 3)).shape) == (4, 5, 2)
    assert tuple(nn.Linear(3, 2)(sg.ones(3)).shape) == (2,)
    assert tuple(nn.Conv2d(3, 4, 3)(sg.ones(3, 8, 8)).shape) == (4, 6, 6)
    pool = nn.AdaptiveAvgPool2d(2)(sg.arange(25.0).reshape(1, 1, 5, 5))
    assert pool.tolist() == [[[[6.0, 8.0], [16.0, 18.0]]]]
    with pytest.raises(IndexError, match="^Target 7 is out of bounds.$"):
        F.cross_entropy(sg.zeros(2, 4), sg.tensor([0, 7]))


SPECS = [  # (name, layer factory, input shape)
    ("linear", lambda: nn.Linear(3, 2), (4, 3)),
    ("linear3d", lambda: nn.Linear(3, 2), (2, 4, 3)),
    ("conv", lambda: nn.Conv2d(2, 3, 3, stride=2, padding=1), (2, 2, 5, 5)),
    ("bn_train", lambda: nn.BatchNorm2d(2), (3, 2, 3, 3)),
    ("bn_eval", lambda: nn.BatchNorm2d(2).eval(), (3, 2, 3, 3)),
    ("maxpool", lambda: nn.MaxPool2d(3, 2, 1), (1, 2, 5, 5)),
    ("avgpool", lambda: nn.AvgPool2d(2), (1, 2, 4, 4)),
    ("adaptive", lambda: nn.AdaptiveAvgPool2d((2, 3)), (1, 2, 5, 5)),
    ("mlp", lambda: nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2), nn.Sigmoid()),
     (5, 3)),
    ("softmax", lambda: nn.Softmax(dim=1), (2, 5)),
]


@pytest.mark.parametrize("name,make,shape", SPECS, ids=[s[0] for s in SPECS])
def test_layer_gradients(name, make, shape):
    sg.manual_seed(0)
    layer = make().double()
    owners = [(layer.get_submodule(n.rpartition(".")[0]), n.rpartition(".")[2], p)
              for n, p in layer.named_parameters()]
    x = sg.tensor(np.random.default_rng(1).permutation(np.prod(shape)).reshape(shape) * 0.1,
                  dtype=sg.float64, requires_grad=True)

    def f(x, *ps):
        # Run the layer with the checker's tensors in place of its parameters.
        for (mod, pname, _), v in zip(owners, ps):
            mod._parameters[pname] = v
        return layer(x)
    assert gradcheck(f, (x, *[sg.tensor(p.detach().numpy(), requires_grad=True)
                              for _, _, p in owners]))


def test_losses_gradients():
    rng = np.random.default_rng(0)
    logits = sg.tensor(rng.standard_normal((4, 5)), requires_grad=True)
    t = sg.tensor(rng.integers(0, 5, 4))
    assert gradcheck(lambda z: F.cross_entropy(z, t), (logits,))
    assert gradcheck(lambda z: nn.CrossEntropyLoss(reduction="sum")(z, t), (logits,))
    probs = sg.tensor(rng.dirichlet(np.ones(5), 4))
    assert gradcheck(lambda z: F.cross_entropy(z, probs), (logits,))
    y = sg.tensor(rng.standard_normal((4, 5)), requires_grad=True)
    assert gradcheck(lambda z, y: nn.MSELoss()(z, y), (logits, y))
    assert gradcheck(lambda z: F.binary_cross_entropy_with_logits(z, probs), (logits,))
