"""The losses, activations, layer norm, embedding, padding and gradient clipping added for
PyTorch parity.

One table of functional specs (an expression, argument shapes, an input domain per
argument) runs through ``s2sgrad.autograd.gradcheck`` in float64 and, where torch is
importable, against torch in float32 (values, dtypes, ``grad_fn`` names, gradients).
Then the modules: reprs, default initialisation (PyTorch's values after ``manual_seed``),
in-place forms, ``padding_idx``/``max_norm``, PyTorch's clamping in ``BCELoss``, the error
texts (written out, and compared with torch's when it is there) and ``nn.utils``'s
clipping.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad import nn
from s2sgrad.autograd import gradcheck
from s2sgrad.autograd.gradcheck import GradcheckError
from s2sgrad.nn import functional as F
from tests.torch_oracle import cases, compare_with_torch


@dataclass
class Spec:
    name: str
    fn: object
    shapes: list
    domains: list = field(default_factory=lambda: [(-2.0, 2.0)] * 3)
    nodes: tuple = ()


PROB = [(0.05, 0.95), (0.0, 1.0)]
PAIRS = [((3, 4), (3, 4)), ((5,), (5,)), ((), ())]
ACT = [(2, 3), (4,), ()]
_W4 = np.array([0.5, 1.0, 2.0, 1.5], dtype=np.float32)
_W34 = np.linspace(0.2, 2.0, 12, dtype=np.float32).reshape(3, 4)

SPECS = [
    # -- losses
    Spec("l1", lambda a, b: sg.nn.functional.l1_loss(a, b), PAIRS, nodes=("MeanBackward0",)),
    Spec("l1_sum", lambda a, b: sg.nn.functional.l1_loss(a, b, reduction="sum"), PAIRS,
         nodes=("SumBackward0",)),
    Spec("l1_none", lambda a, b: sg.nn.functional.l1_loss(a, b, reduction="none"), PAIRS,
         nodes=("AbsBackward0",)),
    Spec("l1_weight", lambda a, b: sg.nn.functional.l1_loss(a, b, weight=sg.tensor(_W34)),
         [((3, 4), (3, 4))], nodes=("DivBackward0",)),
    Spec("bce", lambda a, b: sg.nn.functional.binary_cross_entropy(a, b), PAIRS, PROB,
         nodes=("BinaryCrossEntropyBackward0",)),
    Spec("bce_sum_weight", lambda a, b: sg.nn.functional.binary_cross_entropy(
        a, b, weight=sg.tensor(_W4), reduction="sum"), [((3, 4), (3, 4))], PROB,
         nodes=("BinaryCrossEntropyBackward0",)),
    Spec("bce_none", lambda a, b: sg.nn.functional.binary_cross_entropy(a, b,
                                                                        reduction="none"),
         PAIRS, PROB, nodes=("BinaryCrossEntropyBackward0",)),
    Spec("smooth_l1", lambda a, b: sg.nn.functional.smooth_l1_loss(a, b), PAIRS,
         nodes=("SmoothL1LossBackward0",)),
    Spec("smooth_l1_beta", lambda a, b: sg.nn.functional.smooth_l1_loss(
        a, b, reduction="none", beta=0.5), PAIRS, nodes=("SmoothL1LossBackward0",)),
    Spec("smooth_l1_beta0", lambda a, b: sg.nn.functional.smooth_l1_loss(a, b, beta=0.0),
         PAIRS, nodes=("MeanBackward0",)),
    Spec("huber", lambda a, b: sg.nn.functional.huber_loss(a, b), PAIRS,
         nodes=("HuberLossBackward0",)),
    Spec("huber_delta_sum", lambda a, b: sg.nn.functional.huber_loss(a, b, reduction="sum",
                                                                     delta=0.5), PAIRS,
         nodes=("HuberLossBackward0",)),
    Spec("huber_weight", lambda a, b: sg.nn.functional.huber_loss(a, b, weight=sg.tensor(_W34)),
         [((3, 4), (3, 4))], nodes=("MeanBackward0",)),
    # -- activations
    Spec("leaky_relu", lambda a: sg.nn.functional.leaky_relu(a), ACT,
         nodes=("LeakyReluBackward0",)),
    Spec("leaky_relu_slope", lambda a: sg.nn.functional.leaky_relu(a, 0.2), ACT,
         nodes=("LeakyReluBackward0",)),
    Spec("leaky_relu_inplace", lambda a: sg.nn.functional.leaky_relu(a * 1, 0.3, True), ACT,
         nodes=("LeakyReluBackward1",)),
    Spec("gelu", lambda a: sg.nn.functional.gelu(a), ACT, [(-3.0, 3.0)],
         nodes=("GeluBackward0",)),
    Spec("gelu_tanh", lambda a: sg.nn.functional.gelu(a, approximate="tanh"), ACT,
         [(-3.0, 3.0)], nodes=("GeluBackward0",)),
    Spec("silu", lambda a: sg.nn.functional.silu(a), ACT, [(-4.0, 4.0)],
         nodes=("SiluBackward0",)),
    Spec("silu_inplace", lambda a: sg.nn.functional.silu(a * 1, inplace=True), ACT,
         nodes=("SiluBackward0",)),
    Spec("elu", lambda a: sg.nn.functional.elu(a), ACT, nodes=("EluBackward0",)),
    Spec("elu_alpha_inplace", lambda a: sg.nn.functional.elu_(a * 1, 0.5), ACT,
         nodes=("EluBackward1",)),
    Spec("softplus", lambda a: sg.nn.functional.softplus(a), ACT, nodes=("SoftplusBackward0",)),
    Spec("softplus_threshold", lambda a: sg.nn.functional.softplus(a, 2.0, 1.0), ACT,
         nodes=("SoftplusBackward0",)),
    # -- layer norm (input, weight, bias), embedding (the weight), pad
    Spec("layer_norm", lambda a, w, b: sg.nn.functional.layer_norm(a, (4,), w, b),
         [((2, 3, 4), (4,), (4,)), ((4,), (4,), (4,))], nodes=("NativeLayerNormBackward0",)),
    Spec("layer_norm_2d", lambda a, w, b: sg.nn.functional.layer_norm(a, [3, 4], w, b, 0.1),
         [((2, 3, 4), (3, 4), (3, 4))], nodes=("NativeLayerNormBackward0",)),
    Spec("layer_norm_plain", lambda a: sg.nn.functional.layer_norm(a, a.shape[1:]),
         [(3, 5), (2, 2, 3)], nodes=("NativeLayerNormBackward0",)),
    Spec("embedding", lambda w: sg.nn.functional.embedding(
        sg.tensor(np.array([[0, 2, 2], [4, 1, 0]])), w), [(5, 3)],
         nodes=("EmbeddingBackward0",)),
    Spec("embedding_0d", lambda w: sg.nn.functional.embedding(sg.tensor(np.array(3)), w),
         [(5, 3)], nodes=("EmbeddingBackward0",)),
    Spec("pad", lambda a: sg.nn.functional.pad(a, (1, 2)), [(2, 3), (4,)],
         nodes=("ConstantPadNdBackward0",)),
    Spec("pad_value_2d", lambda a: sg.nn.functional.pad(a, (1, 1, 2, 0), value=3.0),
         [(2, 3), (1, 2, 3)], nodes=("ConstantPadNdBackward0",)),
    Spec("pad_crop", lambda a: sg.nn.functional.pad(a, (-1, 2, 1, -1)), [(3, 4)],
         nodes=("ConstantPadNdBackward0",)),
    Spec("pad_reflect", lambda a: sg.nn.functional.pad(a, (2, 1), mode="reflect"),
         [(2, 4), (1, 2, 4)], nodes=("ReflectionPad1DBackward0",)),
    Spec("pad_reflect_2d", lambda a: sg.nn.functional.pad(a, (1, 1, 2, 1), mode="reflect"),
         [(1, 3, 4)], nodes=("ReflectionPad2DBackward0",)),
    Spec("pad_replicate", lambda a: sg.nn.functional.pad(a, (2, 3), mode="replicate"),
         [(2, 3)], nodes=("ReplicationPad1DBackward0",)),
    Spec("pad_replicate_2d", lambda a: sg.nn.functional.pad(a, (1, 0, 0, 2), mode="replicate"),
         [(1, 2, 3, 3)], nodes=("ReplicationPad2DBackward0",)),
    Spec("pad_circular", lambda a: sg.nn.functional.pad(a, (1, 2), mode="circular"), [(2, 3)],
         nodes=("CopySlices",)),
]


def _inputs(spec, shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(*spec.domains[k if k < len(spec.domains) else -1], shp)
            for k, shp in enumerate(shapes)]


@pytest.mark.parametrize("spec, shapes", list(cases(SPECS)))
def test_gradcheck(spec, shapes):
    ts = [sg.tensor(a, requires_grad=True) for a in _inputs(spec, shapes)]
    assert gradcheck(spec.fn, ts, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("spec, shapes", list(cases(SPECS)))
def test_node_names(spec, shapes):
    ts = [sg.tensor(a, requires_grad=True) for a in _inputs(spec, shapes)]
    assert (type(spec.fn(*ts).grad_fn).__name__,) == spec.nodes


@pytest.mark.parametrize("spec, shapes", list(cases(SPECS)))
def test_matches_torch(spec, shapes):
    torch = pytest.importorskip("torch")
    compare_with_torch(spec.fn, _inputs(spec, shapes, seed=1), torch, atol=1e-6,
                       grad_atol=1e-5)


def test_a_wrong_gelu_slope_fails_the_check(monkeypatch):
    from s2sgrad.rules.nn import activation
    right = activation.gelu_slope
    monkeypatch.setattr(activation, "gelu_slope", lambda x, a: right(x, a) * 1.01)
    x = sg.tensor(np.linspace(-2, 2, 5), requires_grad=True)
    with pytest.raises(GradcheckError):
        gradcheck(F.gelu, [x], atol=1e-6, rtol=1e-5)


# ---------------------------------------------------------------- values PyTorch defines

def test_bce_clamps_its_logs_and_gradients_as_pytorch():
    p = sg.tensor([0.0, 1.0, 0.5, 0.0], requires_grad=True)
    y = sg.tensor([1.0, 0.0, 0.3, 0.0], requires_grad=True)
    loss = F.binary_cross_entropy(p, y, reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), [100.0, 100.0, math.log(2.0), 0.0],
                               rtol=1e-6)
    loss.sum().backward()
    np.testing.assert_allclose(p.grad.numpy(), [-1e12, 1e12, 0.8, 0.0], rtol=1e-6)
    assert y.grad.tolist()[:3] == [math.inf, -math.inf, 0.0]


def test_bce_values_near_the_ends_match_torch():
    torch = pytest.importorskip("torch")
    p = np.float32([1e-7, 1 - 1e-7, 0.3, 0.999, 1e-30])
    y = np.float32([0.2, 0.9, 0.1, 1.0, 0.0])
    ours = F.binary_cross_entropy(sg.tensor(p), sg.tensor(y), reduction="none").numpy()
    theirs = torch.nn.functional.binary_cross_entropy(torch.tensor(p), torch.tensor(y),
                                                      reduction="none").numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_activation_kinks_follow_pytorch():
    a = sg.tensor([0.0, -1.0, 1.0], requires_grad=True)
    for fn, expect in [(lambda t: F.leaky_relu(t, 0.2), [0.2, 0.2, 1.0]),
                       (lambda t: F.elu(t, alpha=0.5), [0.5, 0.5 * math.exp(-1), 1.0]),
                       (F.gelu, [0.5, None, None]), (F.softplus, [0.5, None, None]),
                       (F.silu, [0.5, None, None])]:
        (g,) = sg.autograd.grad(fn(a).sum(), a)
        for got, want in zip(g.tolist(), expect):
            if want is not None:
                assert got == pytest.approx(want, rel=1e-6)
    big = sg.tensor([30.0, 10.0])
    assert F.softplus(big).tolist()[0] == 30.0
    np.testing.assert_allclose(F.softplus(big, beta=2, threshold=10).numpy(),
                               [30.0, 10.0], rtol=1e-6)
    assert F.elu(sg.tensor([100.0])).tolist() == [100.0]


def test_gelu_and_erf_values():
    x = np.linspace(-4, 4, 17)
    exact = np.array([v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x])
    np.testing.assert_allclose(F.gelu(sg.tensor(x)).numpy(), exact, rtol=1e-13, atol=1e-15)
    k = math.sqrt(2 / math.pi)
    approx = 0.5 * x * (1 + np.tanh(k * (x + 0.044715 * x ** 3)))
    np.testing.assert_allclose(F.gelu(sg.tensor(x), approximate="tanh").numpy(), approx,
                               rtol=1e-13)


def test_layer_norm_normalises_each_sample():
    x = sg.tensor(np.random.default_rng(0).standard_normal((2, 3, 4)))
    y = F.layer_norm(x, (4,)).numpy()
    np.testing.assert_allclose(y.mean(-1), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(-1), 1 / (1 + 1e-5 / x.numpy().var(-1)), rtol=1e-9)
    ln = nn.LayerNorm([3, 4], eps=0.1)
    z = ln(x).detach().numpy()
    xs = x.numpy()
    mu, var = xs.mean((1, 2), keepdims=True), xs.var((1, 2), keepdims=True)
    np.testing.assert_allclose(z, (xs - mu) / np.sqrt(var + 0.1), rtol=1e-6)


def test_embedding_padding_row_gets_no_gradient():
    sg.manual_seed(0)
    e = nn.Embedding(5, 2, padding_idx=1)
    assert e.weight[1].tolist() == [0.0, 0.0] and e.weight.requires_grad
    e(sg.tensor([1, 2, 1, 0])).sum().backward()
    assert e.weight.grad.tolist() == [[1.0, 1.0], [0.0, 0.0], [1.0, 1.0], [0.0, 0.0],
                                      [0.0, 0.0]]
    e2 = nn.Embedding(4, 3, padding_idx=-1)
    assert e2.padding_idx == 3 and e2.weight[3].tolist() == [0.0, 0.0, 0.0]
    out = e2(sg.tensor([[0, 3], [3, 3]]))
    assert tuple(out.shape) == (2, 2, 3)


def test_embedding_max_norm_renormalises_the_rows_it_reads():
    w = sg.tensor([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]], requires_grad=True)
    out = F.embedding(sg.tensor([0, 1]), w, max_norm=1.0)
    norms = np.linalg.norm(w.detach().numpy(), axis=1)
    np.testing.assert_allclose(norms, [1.0, 0.5, 10.0], rtol=1e-6)
    np.testing.assert_allclose(out.detach().numpy()[0], [0.6, 0.8], rtol=1e-6)
    assert w._version == 1


def test_embedding_from_pretrained():
    table = sg.tensor([[1.0, 2.0], [3.0, 4.0]])
    e = nn.Embedding.from_pretrained(table)
    assert not e.weight.requires_grad and e.weight.data_ptr() == table.data_ptr()
    assert e(sg.tensor([1])).tolist() == [[3.0, 4.0]]
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad
    assert repr(e) == "Embedding(2, 2)"


def test_pad_values():
    x = sg.tensor([[1.0, 2.0, 3.0]])
    assert F.pad(x, (1, 1), value=2).tolist() == [[2.0, 1.0, 2.0, 3.0, 2.0]]
    assert F.pad(x, (-1, 1)).tolist() == [[2.0, 3.0, 0.0]]
    assert F.pad(x, (1, 0, 1, 0)).tolist() == [[0.0, 0.0, 0.0, 0.0], [0.0, 1.0, 2.0, 3.0]]
    assert F.pad(x, (2, 1), mode="reflect").tolist() == [[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]]
    assert F.pad(x, (2, 1), mode="replicate").tolist() == [[1.0, 1.0, 1.0, 2.0, 3.0, 3.0]]
    assert F.pad(x, (2, 1), mode="circular").tolist() == [[2.0, 3.0, 1.0, 2.0, 3.0, 1.0]]
    i = sg.tensor([[1, 1]])
    assert F.pad(i, (1, 1), value=2.5).tolist() == [[2, 1, 1, 2]]


def test_one_hot():
    assert F.one_hot(sg.tensor([0, 2, 1])).tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    assert F.one_hot(sg.tensor([0, 2]), 4).dtype == sg.int64
    assert F.one_hot(sg.tensor(2), 4).tolist() == [0, 0, 1, 0]
    assert tuple(F.one_hot(sg.tensor(np.zeros(0, np.int64)), 3).shape) == (0, 3)


# ---------------------------------------------------------------- modules

REPRS = [
    (lambda m: m.L1Loss(), "L1Loss()"),
    (lambda m: m.BCELoss(), "BCELoss()"),
    (lambda m: m.SmoothL1Loss(beta=0.5), "SmoothL1Loss()"),
    (lambda m: m.HuberLoss(delta=2.0), "HuberLoss()"),
    (lambda m: m.LeakyReLU(), "LeakyReLU(negative_slope=0.01)"),
    (lambda m: m.LeakyReLU(0.2, inplace=True), "LeakyReLU(negative_slope=0.2, inplace=True)"),
    (lambda m: m.GELU(), "GELU(approximate='none')"),
    (lambda m: m.GELU("tanh"), "GELU(approximate='tanh')"),
    (lambda m: m.SiLU(), "SiLU()"),
    (lambda m: m.SiLU(inplace=True), "SiLU(inplace=True)"),
    (lambda m: m.ELU(), "ELU(alpha=1.0)"),
    (lambda m: m.ELU(alpha=0.5, inplace=True), "ELU(alpha=0.5, inplace=True)"),
    (lambda m: m.Softplus(), "Softplus(beta=1.0, threshold=20.0)"),
    (lambda m: m.Softplus(beta=2, threshold=10), "Softplus(beta=2, threshold=10)"),
    (lambda m: m.LayerNorm(4), "LayerNorm((4,), eps=1e-05, elementwise_affine=True, "
     "bias=True)"),
    (lambda m: m.LayerNorm((3, 4), eps=1e-6, elementwise_affine=False),
     "LayerNorm((3, 4), eps=1e-06, elementwise_affine=False, bias=False)"),
    (lambda m: m.LayerNorm([4], bias=False), "LayerNorm((4,), eps=1e-05, "
     "elementwise_affine=True, bias=False)"),
    (lambda m: m.Embedding(10, 3), "Embedding(10, 3)"),
    (lambda m: m.Embedding(10, 3, padding_idx=-1), "Embedding(10, 3, padding_idx=9)"),
    (lambda m: m.Embedding(10, 3, max_norm=1.0), "Embedding(10, 3, max_norm=1.0)"),
    (lambda m: m.Embedding(3, 2, max_norm=2, norm_type=1.0),
     "Embedding(3, 2, max_norm=2, norm_type=1.0)"),
    (lambda m: m.Embedding(3, 2, scale_grad_by_freq=True, sparse=True),
     "Embedding(3, 2, scale_grad_by_freq=True, sparse=True)"),
    (lambda m: m.Sequential(m.Embedding(5, 4), m.LayerNorm(4), m.GELU()),
     "Sequential(\n  (0): Embedding(5, 4)\n  (1): LayerNorm((4,), eps=1e-05, "
     "elementwise_affine=True, bias=True)\n  (2): GELU(approximate='none')\n)"),
]


@pytest.mark.parametrize("make, text", REPRS, ids=[t.split("(")[0] + str(i)
                                                   for i, (_, t) in enumerate(REPRS)])
def test_module_reprs(make, text):
    assert repr(make(nn)) == text


@pytest.mark.parametrize("make, text", REPRS, ids=[t.split("(")[0] + str(i)
                                                   for i, (_, t) in enumerate(REPRS)])
def test_module_reprs_are_torchs(make, text):
    torch = pytest.importorskip("torch")
    assert repr(make(torch.nn)) == text


def test_layer_norm_parameters():
    ln = nn.LayerNorm((2, 3))
    assert ln.weight.tolist() == [[1.0] * 3] * 2 and ln.bias.tolist() == [[0.0] * 3] * 2
    assert [n for n, _ in ln.named_parameters()] == ["weight", "bias"]
    assert nn.LayerNorm(3, elementwise_affine=False).weight is None
    assert nn.LayerNorm(3, bias=False).bias is None
    assert nn.LayerNorm(3, dtype=sg.float64).weight.dtype == sg.float64
    assert list(nn.LayerNorm(3).state_dict()) == ["weight", "bias"]


def test_embedding_init_is_torchs():
    torch = pytest.importorskip("torch")
    for shape, pad in [((10, 3), None), ((20, 30), 4)]:
        sg.manual_seed(0)
        torch.manual_seed(0)
        ours = nn.Embedding(*shape, padding_idx=pad).weight.detach().numpy()
        theirs = torch.nn.Embedding(*shape, padding_idx=pad).weight.detach().numpy()
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=3e-7)


def test_embedding_init_is_standard_normal():
    sg.manual_seed(3)
    w = nn.Embedding(200, 50).weight.detach().numpy()
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1) < 0.02 and w.dtype == np.float32


def test_modules_forward_and_train():
    sg.manual_seed(0)
    model = nn.Sequential(nn.Embedding(6, 4, padding_idx=0), nn.LayerNorm(4), nn.GELU(),
                          nn.Linear(4, 1), nn.Flatten(0))
    idx = sg.tensor([1, 2, 3, 4, 5])
    target = sg.tensor([0.1, 0.9, 0.4, 0.8, 0.2])
    opt = sg.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = nn.BCELoss()(model(idx).sigmoid(), target) + nn.HuberLoss()(
            model(idx), target) + nn.SmoothL1Loss()(model(idx), target)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    assert model[0].weight[0].tolist() == [0.0] * 4


def test_activation_modules_call_functional():
    x = sg.tensor([-1.0, 0.5])
    np.testing.assert_allclose(nn.LeakyReLU(0.1)(x).numpy(), [-0.1, 0.5])
    np.testing.assert_allclose(nn.ELU(0.5)(x).numpy(), [0.5 * math.expm1(-1), 0.5])
    np.testing.assert_allclose(nn.SiLU()(x).numpy(), [-1 / (1 + math.e), 0.5 / (1 + math.exp(
        -0.5))], rtol=1e-6)
    np.testing.assert_allclose(nn.Softplus(2.0)(x).numpy(), [math.log1p(math.exp(-2)) / 2,
                                                             math.log1p(math.e) / 2],
                               rtol=1e-6)
    y = sg.tensor([-1.0, 0.5]) * 1
    assert nn.LeakyReLU(0.1, inplace=True)(y) is y and y.tolist()[0] == pytest.approx(-0.1)
    assert nn.L1Loss(reduction="sum")(x, sg.zeros(2)).item() == 1.5


# ---------------------------------------------------------------- PyTorch's error texts

_A = np.zeros((2, 3), np.float32)

ERRORS = [
    ("bce_range", lambda t: t.nn.functional.binary_cross_entropy(t.tensor([1.5]),
                                                                  t.tensor([1.0])),
     RuntimeError, "all elements of input should be between 0 and 1"),
    ("bce_target_range", lambda t: t.nn.functional.binary_cross_entropy(t.tensor([0.5]),
                                                                         t.tensor([-0.5])),
     RuntimeError, "all elements of target should be between 0 and 1"),
    ("bce_size", lambda t: t.nn.functional.binary_cross_entropy(t.tensor([0.5, 0.2]),
                                                                 t.tensor([1.0])),
     ValueError, "Using a target size (torch.Size([1])) that is different to the input size "
     "(torch.Size([2])) is deprecated. Please ensure they have the same size."),
    ("bce_dtype", lambda t: t.nn.functional.binary_cross_entropy(
        t.tensor([0.5, 0.2]), t.tensor([1.0, 0.5], dtype=t.float64)), RuntimeError,
     "Found dtype Double but expected Float"),
    ("bce_long_target", lambda t: t.nn.functional.binary_cross_entropy(t.tensor([0.5, 0.2]),
                                                                        t.tensor([1, 0])),
     RuntimeError, "Found dtype Long but expected Float"),
    ("l1_reduction", lambda t: t.nn.functional.l1_loss(t.ones(2), t.ones(2), reduction="bad"),
     ValueError, "bad is not a valid value for reduction"),
    ("l1_weight", lambda t: t.nn.functional.l1_loss(t.ones(2), t.ones(2), weight=t.ones(1)),
     ValueError, "Weights and input must have the same size."),
    ("smooth_l1_beta", lambda t: t.nn.functional.smooth_l1_loss(t.ones(2), t.ones(2), beta=-1),
     RuntimeError, "smooth_l1_loss does not support negative values for beta."),
    ("huber_delta", lambda t: t.nn.functional.huber_loss(t.ones(2), t.ones(2), delta=0),
     RuntimeError, "huber_loss does not support non-positive values for delta."),
    ("gelu_approximate", lambda t: t.nn.functional.gelu(t.ones(2), approximate="bad"),
     RuntimeError, "approximate argument must be either none or tanh."),
    ("leaky_int", lambda t: t.nn.functional.leaky_relu(t.tensor([1, -2])),
     NotImplementedError, "\"leaky_relu_cpu\" not implemented for 'Long'"),
    ("elu_int", lambda t: t.nn.functional.elu(t.tensor([1, -2])), NotImplementedError,
     "\"elu_cpu\" not implemented for 'Long'"),
    ("silu_int", lambda t: t.nn.functional.silu(t.tensor([1, -2])), NotImplementedError,
     "\"silu_cpu\" not implemented for 'Long'"),
    ("gelu_int", lambda t: t.nn.functional.gelu(t.tensor([1, -2])), NotImplementedError,
     "\"GeluKernelImpl\" not implemented for 'Long'"),
    ("softplus_int", lambda t: t.nn.functional.softplus(t.tensor([1, -2])),
     NotImplementedError, "\"softplus_cpu\" not implemented for 'Long'"),
    ("leaky_leaf_inplace", lambda t: t.nn.functional.leaky_relu(
        t.ones(2, requires_grad=True), inplace=True), RuntimeError,
     "a leaf Variable that requires grad is being used in an in-place operation."),
    ("layer_norm_shape", lambda t: t.nn.functional.layer_norm(t.tensor(_A), (4,)),
     RuntimeError, "Given normalized_shape=[4], expected input with shape [*, 4], but got "
     "input of size[2, 3]"),
    ("layer_norm_weight", lambda t: t.nn.functional.layer_norm(t.tensor(_A), (3,), t.ones(4)),
     RuntimeError, "Expected weight to be of same shape as normalized_shape, but got weight "
     "of shape [4] and normalized_shape = [3]"),
    ("layer_norm_int", lambda t: t.nn.functional.layer_norm(t.tensor(_A), 3), TypeError,
     "layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not int"),
    ("layer_norm_empty", lambda t: t.nn.functional.layer_norm(t.tensor(1.0), ()),
     RuntimeError, "Expected normalized_shape to be at least 1-dimensional, i.e., containing "
     "at least one element, but got normalized_shape = []"),
    ("layer_norm_module", lambda t: t.nn.LayerNorm(3)(t.zeros(2, 4)), RuntimeError,
     "Given normalized_shape=[3], expected input with shape [*, 3], but got input of "
     "size[2, 4]"),
    ("embedding_bounds", lambda t: t.nn.functional.embedding(t.tensor([10]), t.zeros(10, 3)),
     IndexError, "index out of range in self"),
    ("embedding_negative", lambda t: t.nn.functional.embedding(t.tensor([-1]),
                                                                t.zeros(10, 3)),
     IndexError, "index out of range in self"),
    ("embedding_float", lambda t: t.nn.functional.embedding(t.tensor([1.0]), t.zeros(10, 3)),
     RuntimeError, "Expected tensor for argument #1 'indices' to have one of the following "
     "scalar types: Long, Int; but got torch.FloatTensor instead (while checking arguments "
     "for embedding)"),
    ("embedding_1d_weight", lambda t: t.nn.functional.embedding(t.tensor([1]), t.zeros(10)),
     RuntimeError, "'weight' must be 2-D"),
    ("embedding_padding", lambda t: t.nn.Embedding(10, 3, padding_idx=10), AssertionError,
     "Padding_idx must be within num_embeddings"),
    ("embedding_padding_neg", lambda t: t.nn.Embedding(10, 3, padding_idx=-11),
     AssertionError, "Padding_idx must be within num_embeddings"),
    ("pad_odd", lambda t: t.nn.functional.pad(t.ones(2, 3), (1,)), RuntimeError,
     "Padding length must be divisible by 2"),
    ("pad_long", lambda t: t.nn.functional.pad(t.ones(2, 3), (1, 1, 1, 1, 1, 1)), RuntimeError,
     "Padding length should be less than or equal to two times the input dimension but got "
     "padding length 6 and input of dimension 2"),
    ("pad_crop_too_much", lambda t: t.nn.functional.pad(t.ones(2, 3), (-2, -2)), RuntimeError,
     "narrow(): length must be non-negative."),
    ("pad_mode", lambda t: t.nn.functional.pad(t.ones(2, 3), (1, 1), mode="bad"),
     NotImplementedError, "Unrecognised padding mode bad"),
    ("pad_reflect_value", lambda t: t.nn.functional.pad(t.ones(2, 3), (1, 1), mode="reflect",
                                                        value=2), RuntimeError,
     "Padding mode \"reflect\" doesn't take in value argument"),
    ("pad_reflect_dims", lambda t: t.nn.functional.pad(t.ones(3, 4), (1, 1, 1, 1),
                                                       mode="reflect"), NotImplementedError,
     "Padding size 4 is not supported for 2D input tensor.\nSupported combinations for "
     "non-constant padding:\n  - 2D or 3D input: padding size = 2 (pads last dimension)\n  - "
     "3D or 4D input: padding size = 4 (pads last 2 dimensions)\n  - 4D or 5D input: padding "
     "size = 6 (pads last 3 dimensions)"),
    ("pad_reflect_size", lambda t: t.nn.functional.pad(t.ones(3, 4), (4, 1), mode="reflect"),
     RuntimeError, "Argument #4: Padding size should be less than the corresponding input "
     "dimension, but got: padding (4, 1) at dimension 1 of input [3, 4]"),
    ("one_hot_big", lambda t: t.nn.functional.one_hot(t.tensor([0, 3]), 3), RuntimeError,
     "Class values must be smaller than num_classes."),
    ("one_hot_negative", lambda t: t.nn.functional.one_hot(t.tensor([0, -1]), 3),
     RuntimeError, "Class values must be non-negative."),
    ("one_hot_empty", lambda t: t.nn.functional.one_hot(t.tensor(np.zeros(0, np.int64))),
     RuntimeError, "Can not infer total number of classes from empty tensor."),
    ("one_hot_float", lambda t: t.nn.functional.one_hot(t.tensor([1.0])), RuntimeError,
     "one_hot is only applicable to index tensor of type LongTensor."),
    ("clip_nonfinite", lambda t: t.nn.utils.clip_grad_norm_(_with_grad(t, [math.nan, 1.0]),
                                                            1.0, error_if_nonfinite=True),
     RuntimeError, "The total norm of order 2.0 for gradients from `parameters` is "
     "non-finite, so it cannot be clipped. To disable this error and scale the gradients by "
     "the non-finite norm anyway, set `error_if_nonfinite=False`"),
]


def _with_grad(t, values, dtype=None):
    p = t.nn.Parameter(t.zeros(len(values), dtype=dtype))
    p.grad = t.tensor(values, dtype=dtype)
    return p


@pytest.mark.parametrize("fn, exc, message", [e[1:] for e in ERRORS],
                         ids=[e[0] for e in ERRORS])
def test_error_texts(fn, exc, message):
    with pytest.raises(exc) as info:
        fn(sg)
    assert str(info.value) == message


@pytest.mark.parametrize("fn, exc, message", [e[1:] for e in ERRORS],
                         ids=[e[0] for e in ERRORS])
def test_error_texts_are_torchs(fn, exc, message):
    torch = pytest.importorskip("torch")
    with pytest.raises(exc) as info:
        fn(torch)
    assert str(info.value) == message


def test_size_mismatch_warnings():
    for fn in (F.l1_loss, F.smooth_l1_loss, F.huber_loss):
        with pytest.warns(UserWarning, match=r"^Using a target size \(torch.Size\(\[1, 2\]\)\) "
                          r"that is different to the input size \(torch.Size\(\[2\]\)\)\. This "
                          r"will likely lead to incorrect results due to broadcasting\. Please "
                          r"ensure they have the same size\.$"):
            fn(sg.tensor([0.5, 0.2]), sg.tensor([[1.0, 0.0]]))


# ---------------------------------------------------------------- gradient clipping

def test_clip_grad_norm_scales_every_gradient():
    p1 = _with_grad(sg, [3.0, 4.0, 0.0])
    p2 = nn.Parameter(sg.ones(2, 2))
    p2.grad = sg.full((2, 2), 1.0)
    total = nn.utils.clip_grad_norm_([p1, p2], 1.0)
    assert total.dtype == sg.float32 and total.item() == pytest.approx(math.sqrt(29))
    scale = 1.0 / (math.sqrt(29) + 1e-6)
    np.testing.assert_allclose(p1.grad.numpy(), [3 * scale, 4 * scale, 0.0], rtol=1e-6)
    np.testing.assert_allclose(p2.grad.numpy(), np.full((2, 2), scale), rtol=1e-6)
    assert p1.grad._version == 1


def test_clip_grad_norm_leaves_small_gradients_and_skips_missing_ones():
    p1 = _with_grad(sg, [3.0, 4.0, 0.0])
    p2 = nn.Parameter(sg.ones(2))
    assert nn.utils.clip_grad_norm_([p1, p2], 10.0, norm_type="inf").item() == 4.0
    assert p1.grad.tolist() == [3.0, 4.0, 0.0] and p2.grad is None
    assert nn.utils.clip_grad_norm_(p1, 10.0, norm_type=1).item() == 7.0
    assert nn.utils.clip_grad_norm_([], 10.0).tolist() == 0.0
    for norm_type, expect in [(0, 1.0), (-1, 1 / (1 / 3 + 1 / 4)), (3.0, 91 ** (1 / 3)),
                              (-math.inf, 3.0)]:
        p = _with_grad(sg, [3.0, -4.0] if norm_type != 0 else [3.0, -4.0, 0.5])
        assert nn.utils.clip_grad_norm_(p, 100.0, norm_type=norm_type).item() == \
            pytest.approx(expect, rel=1e-6)


def test_clip_grad_norm_nan_and_dtypes():
    p = _with_grad(sg, [math.nan, 1.0, 0.0])
    assert math.isnan(nn.utils.clip_grad_norm_(p, 1.0).item())
    assert np.isnan(p.grad.numpy()).all()
    q = _with_grad(sg, [3.0, 4.0], dtype=sg.float64)
    r = _with_grad(sg, [0.0, 1.0])
    total = nn.utils.clip_grad_norm_([q, r], 1.0)
    assert total.dtype == sg.float64 and total.item() == pytest.approx(math.sqrt(26))
    assert q.grad.dtype == sg.float64 and r.grad.dtype == sg.float32


def test_clip_grad_value():
    p = _with_grad(sg, [3.0, -4.0, 0.5])
    assert nn.utils.clip_grad_value_(p, 1.0) is None
    assert p.grad.tolist() == [1.0, -1.0, 0.5]
    nn.utils.clip_grad_value_([p], -1.0)
    assert p.grad.tolist() == [-1.0, -1.0, -1.0]


@pytest.mark.parametrize("case", range(6))
def test_clipping_matches_torch(case):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(case)
    grads = [rng.standard_normal(s).astype(np.float32) * 3 for s in ((3, 4), (5,), ())]
    kw = [dict(max_norm=1.0), dict(max_norm=0.5, norm_type=1.0),
          dict(max_norm=2.0, norm_type=math.inf), dict(max_norm=100.0),
          dict(max_norm=1.5, norm_type=3.0), None][case]

    def run(t):
        ps = []
        for g in grads:
            p = t.nn.Parameter(t.zeros(g.shape))
            p.grad = t.tensor(g)
            ps.append(p)
        if kw is None:
            res = t.nn.utils.clip_grad_value_(ps, 0.7)
        else:
            res = t.nn.utils.clip_grad_norm_(ps, **kw)
        return res, [p.grad.numpy() for p in ps]

    (a, ga), (b, gb) = run(sg), run(torch)
    if kw is None:
        assert a is None and b is None
    else:
        assert a.item() == pytest.approx(b.item(), rel=1e-6)
    for x, y in zip(ga, gb):
        np.testing.assert_allclose(x, y, rtol=1e-6, atol=1e-7)
