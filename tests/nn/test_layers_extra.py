"""The activations, losses, similarities and layer functions added after the first set:
``hardtanh`` .. ``glu``, ``kl_div`` .. ``triplet_margin_loss``, ``conv1d``,
``conv_transpose2d``, ``interpolate``, ``pixel_shuffle``, ``group_norm``, ``instance_norm``.

One table of functional specs (an expression, argument shapes, a domain per argument, the
node PyTorch names) runs through ``s2sgrad.autograd.gradcheck`` in float64 and, where torch
is importable, against torch in float32 (values, ``grad_fn`` names, gradients). Then the
modules: reprs, parameters and state_dict keys compared with torch, and the error texts.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad import nn
from s2sgrad.autograd import gradcheck
from s2sgrad.nn import functional as F
from tests.torch_oracle import cases, compare_with_torch


@dataclass
class Spec:
    name: str
    fn: object
    shapes: list
    domains: list = field(default_factory=lambda: [(-2.0, 2.0)] * 4)
    node: str | None = None
    rtol: float = 1e-4


ACT = [(2, 3), (4,), ()]
PAIRS = [((3, 4), (3, 4)), ((5,), (5,)), ((), ())]
POS = [(0.2, 2.0)] * 3
_SIGN = np.array([1.0, -1.0, 1.0], np.float32)
_SIGN34 = np.where(np.arange(12).reshape(3, 4) % 3 == 0, -1.0, 1.0).astype(np.float32)
_LABELS34 = (np.arange(12).reshape(3, 4) % 2).astype(np.float32)
_PW = np.array([0.1, 0.3, 0.2], np.float32)


SPECS = [
    # -- activations with a node of their own
    Spec("hardtanh", lambda a: sg.nn.functional.hardtanh(a * 1.0), ACT, node="HardtanhBackward0"),
    Spec("hardtanh_range", lambda a: sg.nn.functional.hardtanh(a, -0.5, 1.5), ACT,
         node="HardtanhBackward0"),
    Spec("relu6", lambda a: sg.nn.functional.relu6(a), ACT, [(-3.0, 9.0)],
         node="HardtanhBackward0"),
    Spec("hardsigmoid", lambda a: sg.nn.functional.hardsigmoid(a), ACT, [(-5.0, 5.0)],
         node="HardsigmoidBackward0"),
    Spec("hardswish", lambda a: sg.nn.functional.hardswish(a), ACT, [(-5.0, 5.0)],
         node="HardswishBackward0"),
    Spec("selu", lambda a: sg.nn.functional.selu(a), ACT, node="EluBackward0"),
    Spec("celu", lambda a: sg.nn.functional.celu(a, 0.7), ACT, node="CeluBackward0"),
    Spec("mish", lambda a: sg.nn.functional.mish(a), ACT, [(-4.0, 4.0)], node="MishBackward0"),
    Spec("softshrink", lambda a: sg.nn.functional.softshrink(a, 0.3), ACT,
         node="SoftshrinkBackward0"),
    Spec("hardshrink", lambda a: sg.nn.functional.hardshrink(a), ACT,
         node="HardshrinkBackward0"),
    Spec("threshold", lambda a: sg.nn.functional.threshold(a, 0.1, 20.0), ACT,
         node="ThresholdBackward0"),
    Spec("logsigmoid", lambda a: sg.nn.functional.logsigmoid(a), ACT, [(-6.0, 6.0)],
         node="LogSigmoidBackward0"),
    Spec("glu", lambda a: sg.nn.functional.glu(a), [(3, 4), (2, 2, 6)], node="GluBackward0"),
    Spec("glu_dim0", lambda a: sg.nn.functional.glu(a, 0), [(4, 3), (2,)],
         node="GluBackward0"),
    Spec("prelu_scalar", lambda a, w: sg.nn.functional.prelu(a, w), [((2, 3), (1,)),
                                                                     ((4,), (1,))],
         node="PreluKernelBackward0"),
    Spec("prelu_channels", lambda a, w: sg.nn.functional.prelu(a, w),
         [((2, 3, 4), (3,)), ((2, 3), (3,))], node="PreluKernelBackward0"),
    # -- activations PyTorch composes
    Spec("softsign", lambda a: sg.nn.functional.softsign(a), ACT, node="DivBackward0"),
    Spec("softmin", lambda a: sg.nn.functional.softmin(a, -1), [(2, 3), (4,)],
         node="SoftmaxBackward0"),
    Spec("tanhshrink", lambda a: sg.nn.functional.tanhshrink(a), ACT, node="SubBackward0"),
    # -- losses and similarities
    Spec("kl_div_batchmean", lambda a, b: sg.nn.functional.kl_div(a, b, reduction="batchmean"),
         [((3, 4), (3, 4)), ((5,), (5,))], [(-3.0, 0.0), (0.05, 1.0)], node="DivBackward0"),
    Spec("kl_div_sum_log_target", lambda a, b: sg.nn.functional.kl_div(
        a, b, reduction="sum", log_target=True), PAIRS, [(-3.0, 0.0), (-3.0, 0.0)],
         node="SumBackward0"),
    Spec("kl_div_none", lambda a, b: sg.nn.functional.kl_div(a, b, reduction="none"),
         PAIRS, [(-3.0, 0.0), (0.05, 1.0)], node="SubBackward0"),
    Spec("cosine_similarity", lambda a, b: sg.nn.functional.cosine_similarity(a, b),
         [((3, 4), (3, 4)), ((2, 3, 2), (1, 3, 2))], node="SumBackward1"),
    Spec("cosine_similarity_dim", lambda a, b: sg.nn.functional.cosine_similarity(a, b, 0),
         [((5,), (5,)), ((3, 2), (3, 1))], node="SumBackward1"),
    Spec("normalize", lambda a: sg.nn.functional.normalize(a), [(3, 4), (2, 3, 2)],
         node="DivBackward0"),
    Spec("normalize_p1_dim0", lambda a: sg.nn.functional.normalize(a, 1.0, 0), [(3, 4), (5,)],
         node="DivBackward0"),
    Spec("pairwise_distance", lambda a, b: sg.nn.functional.pairwise_distance(a, b),
         [((3, 4), (3, 4)), ((5,), (5,)), ((3, 4), (4,))]),
    Spec("pairwise_distance_p1_keepdim", lambda a, b: sg.nn.functional.pairwise_distance(
        a, b, 1.0, keepdim=True), [((3, 4), (3, 4))]),
    Spec("margin_ranking", lambda a, b: sg.nn.functional.margin_ranking_loss(
        a, b, sg.tensor(_SIGN), 0.2), [((3,), (3,))], node="MeanBackward0"),
    Spec("hinge_embedding", lambda a: sg.nn.functional.hinge_embedding_loss(
        a, sg.tensor(_SIGN34), 0.5), [(3, 4)], [(-1.0, 1.5)], node="MeanBackward0"),
    Spec("hinge_embedding_sum", lambda a: sg.nn.functional.hinge_embedding_loss(
        a, sg.tensor(_SIGN34), reduction="sum"), [(3, 4)], [(-1.0, 1.5)], node="SumBackward0"),
    Spec("cosine_embedding", lambda a, b: sg.nn.functional.cosine_embedding_loss(
        a, b, sg.tensor(_SIGN), 0.1), [((3, 4), (3, 4))], node="MeanBackward0"),
    Spec("cosine_embedding_1d", lambda a, b: sg.nn.functional.cosine_embedding_loss(
        a, b, sg.tensor(np.float32(-1.0)), reduction="none"), [((4,), (4,))], node="AddBackward0"),
    Spec("soft_margin", lambda a: sg.nn.functional.soft_margin_loss(a, sg.tensor(_SIGN34)),
         [(3, 4)], node="SoftMarginLossBackward0"),
    Spec("soft_margin_none", lambda a: sg.nn.functional.soft_margin_loss(
        a, sg.tensor(_SIGN34), reduction="none"), [(3, 4)], node="SoftMarginLossBackward0"),
    Spec("multilabel_soft_margin", lambda a: sg.nn.functional.multilabel_soft_margin_loss(
        a, sg.tensor(_LABELS34)), [(3, 4)], node="MeanBackward0"),
    Spec("multilabel_soft_margin_w", lambda a: sg.nn.functional.multilabel_soft_margin_loss(
        a, sg.tensor(_LABELS34), weight=sg.tensor(_LABELS34[0] + 0.5), reduction="sum"), [(3, 4)],
         node="SumBackward0"),
    Spec("gaussian_nll", lambda a, b, v: sg.nn.functional.gaussian_nll_loss(a, b, v),
         [((3, 4), (3, 4), (3, 4)), ((3, 4), (3, 4), (3, 1)), ((3, 4), (3, 4), (3,))],
         [(-2.0, 2.0), (-2.0, 2.0), (0.2, 2.0)], node="MeanBackward0"),
    Spec("gaussian_nll_full_sum", lambda a, b, v: sg.nn.functional.gaussian_nll_loss(
        a, b, v, full=True, reduction="sum"), [((5,), (5,), (5,))],
         [(-2.0, 2.0), (-2.0, 2.0), (0.2, 2.0)], node="SumBackward0"),
    Spec("poisson_nll", lambda a, b: sg.nn.functional.poisson_nll_loss(a, b), PAIRS,
         [(-2.0, 2.0), (0.0, 3.0)], node="MeanBackward0"),
    Spec("poisson_nll_full", lambda a, b: sg.nn.functional.poisson_nll_loss(
        a, b, log_input=False, full=True, reduction="sum"), [((3, 4), (3, 4))],
         [(0.2, 3.0), (0.0, 3.0)], node="SumBackward0"),
    Spec("triplet_margin", lambda a, p, n: sg.nn.functional.triplet_margin_loss(a, p, n),
         [((3, 4), (3, 4), (3, 4)), ((4,), (4,), (4,))], node="MeanBackward0"),
    Spec("triplet_margin_swap", lambda a, p, n: sg.nn.functional.triplet_margin_loss(
        a, p, n, margin=2.0, p=1, swap=True, reduction="none"), [((3, 4), (3, 4), (3, 4))],
         node="ClampMinBackward0"),
    # -- layers
    Spec("conv1d", lambda x, w, b: sg.nn.functional.conv1d(x, w, b),
         [((2, 3, 7), (4, 3, 3), (4,))], node="ConvolutionBackward0"),
    Spec("conv1d_unbatched", lambda x, w, b: sg.nn.functional.conv1d(x, w, b),
         [((3, 5), (2, 3, 2), (2,))], node="SqueezeBackward1"),
    Spec("conv1d_strided", lambda x, w: sg.nn.functional.conv1d(x, w, None, 2, 1, 2, 2),
         [((2, 4, 9), (6, 2, 3))], node="ConvolutionBackward0"),
    Spec("conv1d_same", lambda x, w: sg.nn.functional.conv1d(x, w, padding="same"),
         [((2, 3, 6), (2, 3, 4))], node="ConvolutionBackward0"),
    Spec("conv_transpose2d", lambda x, w, b: sg.nn.functional.conv_transpose2d(x, w, b),
         [((2, 3, 4, 5), (3, 2, 3, 3), (2,))], node="ConvolutionBackward0"),
    Spec("conv_transpose2d_unbatched", lambda x, w, b: sg.nn.functional.conv_transpose2d(
        x, w, b), [((3, 2, 2), (3, 4, 2, 3), (4,))], node="SqueezeBackward1"),
    Spec("conv_transpose2d_strided", lambda x, w: sg.nn.functional.conv_transpose2d(
        x, w, None, 2, 1, 1), [((1, 2, 3, 4), (2, 3, 3, 3))], node="ConvolutionBackward0"),
    Spec("conv_transpose2d_groups", lambda x, w, b: sg.nn.functional.conv_transpose2d(
        x, w, b, (2, 1), (0, 1), (1, 0), 2, (1, 2)), [((2, 4, 3, 3), (4, 1, 2, 3), (2,))],
         node="ConvolutionBackward0"),
    Spec("interp_nearest", lambda x: sg.nn.functional.interpolate(x, scale_factor=2),
         [(1, 2, 3, 4)], node="UpsampleNearest2DBackward0"),
    Spec("interp_nearest_size", lambda x: sg.nn.functional.interpolate(x, size=(5, 3)),
         [(2, 1, 3, 4)], node="UpsampleNearest2DBackward0"),
    Spec("interp_nearest_1d", lambda x: sg.nn.functional.interpolate(x, scale_factor=1.7),
         [(2, 3, 5)], node="UpsampleNearest1DBackward0"),
    Spec("interp_bilinear", lambda x: sg.nn.functional.interpolate(
        x, scale_factor=2, mode="bilinear"), [(1, 2, 3, 4)], node="UpsampleBilinear2DBackward0"),
    Spec("interp_bilinear_ac", lambda x: sg.nn.functional.interpolate(
        x, size=(5, 7), mode="bilinear", align_corners=True), [(2, 1, 3, 4)],
         node="UpsampleBilinear2DBackward0"),
    Spec("interp_bilinear_down", lambda x: sg.nn.functional.interpolate(
        x, scale_factor=(0.6, 0.5), mode="bilinear"), [(1, 2, 5, 6)],
         node="UpsampleBilinear2DBackward0"),
    Spec("interp_nearest_exact", lambda x: sg.nn.functional.interpolate(
        x, size=(5, 7), mode="nearest-exact"), [(1, 2, 3, 4)],
         node="UpsampleNearestExact2DBackward0"),
    Spec("interp_nearest_exact_1d", lambda x: sg.nn.functional.interpolate(
        x, scale_factor=0.6, mode="nearest-exact"), [(2, 3, 7)],
         node="UpsampleNearestExact1DBackward0"),
    Spec("interp_area", lambda x: sg.nn.functional.interpolate(x, size=(2, 3), mode="area"),
         [(1, 2, 5, 7)]),
    Spec("interp_bicubic", lambda x: sg.nn.functional.interpolate(
        x, scale_factor=2.5, mode="bicubic"), [(1, 2, 3, 4)], node="UpsampleBicubic2DBackward0"),
    Spec("interp_bicubic_ac_down", lambda x: sg.nn.functional.interpolate(
        x, size=(3, 4), mode="bicubic", align_corners=True), [(2, 1, 5, 7)],
         node="UpsampleBicubic2DBackward0"),
    Spec("interp_linear", lambda x: sg.nn.functional.interpolate(
        x, size=7, mode="linear"), [(2, 3, 4)], node="UpsampleLinear1DBackward0"),
    Spec("pixel_shuffle", lambda x: sg.nn.functional.pixel_shuffle(x, 2),
         [(2, 8, 2, 3), (4, 3, 2)]),
    Spec("pixel_unshuffle", lambda x: sg.nn.functional.pixel_unshuffle(x, 2),
         [(2, 2, 4, 6), (1, 2, 4)]),
    Spec("group_norm", lambda x, w, b: sg.nn.functional.group_norm(x, 2, w, b),
         [((2, 4, 3), (4,), (4,)), ((3, 6, 2, 2), (6,), (6,))], rtol=2e-4),
    Spec("group_norm_plain", lambda x: sg.nn.functional.group_norm(x, 3, eps=0.1),
         [(2, 6, 5), (4, 3)], rtol=2e-4),
    Spec("instance_norm", lambda x, w, b: sg.nn.functional.instance_norm(
        x, weight=w, bias=b), [((2, 3, 4, 5), (3,), (3,)), ((2, 3, 6), (3,), (3,))],
         rtol=2e-4),
]


def _inputs(spec, shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(*spec.domains[min(k, len(spec.domains) - 1)], shp)
            for k, shp in enumerate(shapes)]


@pytest.mark.parametrize("spec, shapes", list(cases(SPECS)))
def test_gradcheck(spec, shapes):
    ts = [sg.tensor(a, requires_grad=True) for a in _inputs(spec, shapes)]
    # Constants inside the specs are float32; in a float64 check they promote.
    assert gradcheck(spec.fn, ts, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("spec, shapes", list(cases(SPECS)))
def test_matches_torch(spec, shapes):
    torch = pytest.importorskip("torch")
    compare_with_torch(spec.fn, _inputs(spec, shapes, seed=1), torch, atol=1e-5,
                       grad_rtol=spec.rtol, grad_atol=1e-5, node=spec.node)


def test_kinks_follow_pytorch():
    x = sg.tensor([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0], requires_grad=True)
    cases = {
        F.hardtanh: [0, 0, 1, 1, 1, 0, 0, 0],
        F.relu6: [0, 0, 0, 0, 1, 1, 1, 0],
        F.hardsigmoid: [0, 1 / 6, 1 / 6, 1 / 6, 1 / 6, 1 / 6, 0, 0],
        F.hardswish: [-0.5, 1 / 6, 1 / 3, 0.5, 2 / 3, 5 / 6, 1.5, 1],
        F.softshrink: [1, 1, 0, 0, 0, 1, 1, 1],
        F.hardshrink: [1, 1, 0, 0, 0, 1, 1, 1],
        lambda t: F.threshold(t, 0.5, -1.0): [0, 0, 0, 0, 0, 1, 1, 1],
    }
    for fn, want in cases.items():
        (g,) = sg.autograd.grad(fn(x).sum(), x)
        np.testing.assert_allclose(g.numpy(), want, rtol=1e-6, atol=1e-7)


def test_values_are_stable_at_large_inputs():
    big = sg.tensor([-200.0, 200.0])
    np.testing.assert_allclose(F.logsigmoid(big).numpy(), [-200.0, 0.0])
    np.testing.assert_allclose(F.selu(big).numpy(), [-1.7580993, 210.14020])
    np.testing.assert_allclose(F.mish(big).numpy(), [0.0, 200.0], atol=1e-30)


# ---------------------------------------------------------------- modules

def _torch_module(torch, name, *args, **kwargs):
    return getattr(torch.nn, name)(*args, **kwargs)


MODULES = [
    ("ReLU6", (), {}), ("ReLU6", (), {"inplace": True}), ("Hardtanh", (), {}),
    ("Hardtanh", (-2.0, 3.0, True), {}), ("Hardsigmoid", (), {}), ("Hardswish", (), {}),
    ("PReLU", (), {}), ("PReLU", (3,), {"init": 0.1}), ("SELU", (), {}),
    ("SELU", (True,), {}), ("CELU", (), {}), ("CELU", (0.5,), {}), ("Mish", (), {}),
    ("Softsign", (), {}), ("Softmin", (1,), {}), ("Softmin", (), {}), ("Softshrink", (), {}),
    ("Softshrink", (0.3,), {}), ("Hardshrink", (), {}), ("Tanhshrink", (), {}),
    ("Threshold", (0.1, 20.0), {}), ("Threshold", (0.1, 20), {"inplace": True}),
    ("LogSigmoid", (), {}), ("GLU", (), {}), ("GLU", (0,), {}),
    ("KLDivLoss", (), {"reduction": "batchmean"}), ("CosineSimilarity", (), {}),
    ("PairwiseDistance", (), {}), ("MarginRankingLoss", (0.5,), {}),
    ("HingeEmbeddingLoss", (), {}), ("CosineEmbeddingLoss", (), {}),
    ("SoftMarginLoss", (), {}), ("MultiLabelSoftMarginLoss", (), {}),
    ("GaussianNLLLoss", (), {}), ("PoissonNLLLoss", (), {}), ("TripletMarginLoss", (), {}),
    ("Conv1d", (3, 4, 3), {}), ("Conv1d", (4, 6, 3, 2, 1, 2, 2, False), {}),
    ("Conv1d", (3, 4, 5), {"padding": "same"}), ("ConvTranspose2d", (3, 4, 3), {}),
    ("ConvTranspose2d", (4, 6, (2, 3), 2, 1, 1, 2, False, 1), {}),
    ("ConvTranspose2d", (4, 2, 3), {"dilation": 2, "output_padding": (1, 0), "stride": 2}),
    ("Upsample", (), {"scale_factor": 2}), ("Upsample", ((4, 5),), {"mode": "bilinear"}),
    ("Upsample", (), {"scale_factor": (2, 3), "mode": "bilinear", "align_corners": True}),
    ("UpsamplingNearest2d", (), {"scale_factor": 2}),
    ("UpsamplingBilinear2d", (), {"size": 4}), ("PixelShuffle", (2,), {}),
    ("PixelUnshuffle", (3,), {}), ("GroupNorm", (2, 4), {}),
    ("GroupNorm", (3, 6), {"eps": 1e-3, "affine": False}), ("GroupNorm", (1, 2),
                                                           {"bias": False}),
    ("InstanceNorm2d", (3,), {}), ("InstanceNorm2d", (3,), {"affine": True,
                                                           "track_running_stats": True}),
    ("Dropout2d", (), {}), ("Dropout2d", (0.2, True), {}), ("Dropout1d", (0.3,), {}),
    ("Unflatten", (1, (2, 5)), {}), ("Unflatten", (-1, [3, 1]), {}), ("ZeroPad2d", (2,), {}),
    ("ZeroPad2d", ((1, 2, 0, 3),), {}), ("ConstantPad2d", (1, 3.5), {}),
    ("ReflectionPad2d", (1,), {}), ("ReplicationPad2d", ((1, 0, 2, 1),), {}),
    ("Identity", (3,), {"x": 1}),
]


@pytest.mark.parametrize("name, args, kwargs", MODULES,
                         ids=[f"{m[0]}-{i}" for i, m in enumerate(MODULES)])
def test_module_repr_params_and_state_dict_match_torch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    torch.manual_seed(3)
    sg.manual_seed(3)
    theirs = _torch_module(torch, name, *args, **kwargs)
    ours = getattr(nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (n1, p1), (n2, p2) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert n1 == n2
        np.testing.assert_array_equal(p1.detach().numpy(), p2.detach().numpy())
    for (n1, b1), (n2, b2) in zip(ours.named_buffers(), theirs.named_buffers()):
        assert n1 == n2
        np.testing.assert_array_equal(b1.numpy(), b2.numpy())


def _module_case(torch, ns, name, *args):
    rng = np.random.default_rng(4)
    shapes = {"Conv1d": [(2, 3, 9)], "ConvTranspose2d": [(2, 3, 4, 5)],
              "PReLU": [(2, 3, 4)], "GroupNorm": [(2, 4, 3, 3)],
              "InstanceNorm2d": [(2, 3, 4, 4)], "Upsample": [(1, 2, 3, 4)]}
    return [ns.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True)
            for s in shapes[name]]


@pytest.mark.parametrize("name, args, kwargs", [
    ("Conv1d", (3, 4, 3), {"stride": 2, "padding": 1}),
    ("Conv1d", (3, 6, 3), {"groups": 3, "dilation": 2}),
    ("ConvTranspose2d", (3, 2, 3), {"stride": 2, "padding": 1, "output_padding": 1}),
    ("ConvTranspose2d", (3, 6, (2, 3)), {"groups": 3}),
    ("PReLU", (3,), {}), ("GroupNorm", (2, 4), {}),
    ("InstanceNorm2d", (3,), {"affine": True, "track_running_stats": True}),
    ("Upsample", (), {"scale_factor": 1.5, "mode": "bilinear"}),
])
def test_module_forward_and_gradients_match_torch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    torch.manual_seed(5)
    sg.manual_seed(5)
    theirs = _torch_module(torch, name, *args, **kwargs)
    ours = getattr(nn, name)(*args, **kwargs)
    rng = np.random.default_rng(6)
    for p in ours.parameters():
        p.detach().numpy()[...] = rng.uniform(-1, 1, tuple(p.shape))
    with torch.no_grad():
        for (_, p1), (_, p2) in zip(ours.named_parameters(), theirs.named_parameters()):
            p2.copy_(torch.tensor(p1.detach().numpy()))
    xs, xt = _module_case(torch, sg, name), _module_case(torch, torch, name)
    for _ in range(2):
        o, t = ours(*xs), theirs(*xt)
        np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=1e-4,
                                   atol=1e-5)
    (o * o).sum().backward()
    (t * t).sum().backward()
    for a, b in zip(xs, xt):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-4)
    for (n, p1), (_, p2) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p1.grad.numpy(), p2.grad.numpy(), rtol=1e-4, atol=1e-4,
                                   err_msg=n)
    for (n, b1), (_, b2) in zip(ours.named_buffers(), theirs.named_buffers()):
        np.testing.assert_allclose(b1.numpy(), b2.numpy(), rtol=1e-5, atol=1e-6, err_msg=n)
    ours.eval()
    theirs.eval()
    np.testing.assert_allclose(ours(*xs).detach().numpy(), theirs(*xt).detach().numpy(),
                               rtol=1e-4, atol=1e-5)


def test_conv_transpose2d_output_size_and_unflatten():
    sg.manual_seed(0)
    m = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    x = sg.randn(1, 2, 4, 5)
    assert tuple(m(x).shape) == (1, 3, 7, 9)
    assert tuple(m(x, output_size=[8, 10]).shape) == (1, 3, 8, 10)
    assert tuple(m(x, output_size=(1, 3, 7, 10)).shape) == (1, 3, 7, 10)
    u = nn.Unflatten(1, (2, 5))
    assert tuple(u(sg.randn(3, 10, 4)).shape) == (3, 2, 5, 4)


def test_dropout_masks_match_torch_after_the_same_seed():
    torch = pytest.importorskip("torch")
    torch.manual_seed(5)
    sg.manual_seed(5)
    a = torch.nn.functional.dropout2d(torch.ones(4, 8, 2, 2), 0.3)
    b = F.dropout2d(sg.ones(4, 8, 2, 2), 0.3)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    a = torch.nn.functional.dropout1d(torch.ones(3, 6, 5), 0.6)
    b = F.dropout1d(sg.ones(3, 6, 5), 0.6)
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_channel_dropout_zeros_whole_channels():
    sg.manual_seed(0)
    x = sg.ones(4, 8, 3, 3)
    y = nn.Dropout2d(0.5)(x).numpy()
    per_channel = y.reshape(4, 8, 9)
    assert set(np.unique(per_channel)) <= {0.0, 2.0}
    assert (per_channel.min(-1) == per_channel.max(-1)).all()
    m = nn.Dropout2d(0.5)
    m.eval()
    assert m(x) is x


# ---------------------------------------------------------------- errors

ERRORS = [
    (lambda ns: ns.nn.functional.glu(ns.ones(3)), RuntimeError),
    (lambda ns: ns.nn.functional.group_norm(ns.ones(2, 3, 4), 2), RuntimeError),
    (lambda ns: ns.nn.GroupNorm(2, 3), ValueError),
    (lambda ns: ns.nn.functional.group_norm(ns.ones(1, 2), 2), ValueError),
    (lambda ns: ns.nn.functional.interpolate(ns.ones(1, 1, 2, 2)), ValueError),
    (lambda ns: ns.nn.functional.interpolate(ns.ones(1, 1, 2, 2), size=3, scale_factor=2),
     ValueError),
    (lambda ns: ns.nn.functional.interpolate(ns.ones(1, 1, 2, 2), scale_factor=2,
                                             align_corners=True), ValueError),
    (lambda ns: ns.nn.functional.pixel_shuffle(ns.ones(1, 3, 2, 2), 2), RuntimeError),
    (lambda ns: ns.nn.functional.pixel_unshuffle(ns.ones(1, 1, 3, 2), 2), RuntimeError),
    (lambda ns: ns.nn.functional.prelu(ns.ones(2, 4), ns.ones(3)), RuntimeError),
    (lambda ns: ns.nn.InstanceNorm2d(3)(ns.ones(3, 4)), ValueError),
    (lambda ns: ns.nn.functional.instance_norm(ns.ones(2, 3, 1, 1)), ValueError),
    (lambda ns: ns.nn.functional.conv_transpose2d(ns.ones(1, 2, 3, 3), ns.ones(2, 1, 2, 2),
                                                  output_padding=1), RuntimeError),
    (lambda ns: ns.nn.functional.triplet_margin_loss(ns.ones(2, 3), ns.ones(2, 3),
                                                     ns.ones(3)), RuntimeError),
    (lambda ns: ns.nn.functional.gaussian_nll_loss(ns.ones(2, 3), ns.ones(2, 3),
                                                   ns.ones(3, 3)), ValueError),
    (lambda ns: ns.nn.functional.gaussian_nll_loss(ns.ones(2, 3), ns.ones(2, 3),
                                                   -ns.ones(2, 3)), ValueError),
    (lambda ns: ns.nn.functional.kl_div(ns.ones(2), ns.ones(2), reduction="avg"), ValueError),
    (lambda ns: ns.nn.Unflatten(1, 5), TypeError),
    (lambda ns: ns.nn.functional.softshrink(ns.ones(2), -1.0), RuntimeError),
    (lambda ns: ns.nn.ConvTranspose2d(2, 3, 3, stride=2)(ns.ones(1, 2, 4, 5),
                                                         output_size=[20, 11]), ValueError),
    (lambda ns: ns.nn.functional.celu(ns.ones(2), 0.0), RuntimeError),
    (lambda ns: ns.nn.functional.conv1d(ns.ones(2, 3, 5), ns.ones(2, 4, 2)), RuntimeError),
    (lambda ns: ns.nn.functional.conv1d(ns.ones(2, 3, 4), ns.ones(2, 3, 2), dilation=4),
     RuntimeError),
    (lambda ns: ns.nn.functional.conv_transpose2d(ns.ones(1, 4, 3, 3), ns.ones(4, 1, 2, 2),
                                                  groups=3), RuntimeError),
    (lambda ns: ns.nn.functional.glu(ns.tensor(1.0)), RuntimeError),
    (lambda ns: ns.nn.functional.prelu(ns.ones(2, 3), ns.ones(3, 1)), RuntimeError),
    (lambda ns: ns.nn.functional.prelu(ns.tensor(1.0), ns.ones(3)), RuntimeError),
    (lambda ns: ns.nn.PReLU(3)(ns.ones(2, 4)), RuntimeError),
    (lambda ns: ns.nn.functional.hardtanh(ns.ones(2), 2.0, 1.0), ValueError),
    (lambda ns: ns.nn.Hardtanh(2.0, 1.0), AssertionError),
    (lambda ns: ns.nn.functional.conv1d(ns.ones(2, 3, 4, 5), ns.ones(2, 3, 2)), RuntimeError),
    (lambda ns: ns.nn.Conv1d(2, 3, 3, stride=2, padding="same"), ValueError),
    (lambda ns: ns.nn.functional.interpolate(ns.ones(1, 2, 3, 4), scale_factor=2,
                                             mode="linear"), NotImplementedError),
    (lambda ns: ns.nn.functional.interpolate(ns.ones(1, 2, 3), scale_factor=2,
                                             mode="bilinear"), NotImplementedError),
    (lambda ns: ns.nn.functional.interpolate(ns.ones(2), scale_factor=2), NotImplementedError),
    (lambda ns: ns.nn.functional.interpolate(ns.ones(1, 2, 3), scale_factor=2,
                                             mode="bicubic"), NotImplementedError),
    (lambda ns: ns.nn.functional.interpolate(ns.ones(1, 2, 3, 4), size=(2, 3, 4)), ValueError),
    (lambda ns: ns.nn.functional.pixel_shuffle(ns.ones(2, 2), 2), RuntimeError),
    (lambda ns: ns.nn.functional.conv_transpose2d(ns.ones(1, 3, 3, 3), ns.ones(2, 1, 2, 2)),
     RuntimeError),
    (lambda ns: ns.nn.functional.margin_ranking_loss(ns.ones(3), ns.ones(3), ns.ones(2, 3)),
     RuntimeError),
    (lambda ns: ns.nn.functional.cosine_embedding_loss(ns.ones(3, 3), ns.ones(3, 3),
                                                       ns.ones(3, 1)), RuntimeError),
    (lambda ns: ns.nn.functional.cosine_embedding_loss(ns.ones(2, 3, 3), ns.ones(2, 3, 3),
                                                       ns.ones(3)), RuntimeError),
    (lambda ns: ns.nn.TripletMarginLoss(margin=0.0), ValueError),
    (lambda ns: ns.nn.functional.hinge_embedding_loss(ns.ones(2), ns.ones(2),
                                                      reduction="bad"), ValueError),
    (lambda ns: ns.nn.functional.gaussian_nll_loss(ns.ones(2), ns.ones(2), ns.ones(2),
                                                   reduction="bad"), ValueError),
    (lambda ns: ns.nn.GroupNorm(2, 4)(ns.ones(2, 3, 4)), RuntimeError),
    (lambda ns: ns.nn.functional.group_norm(ns.ones(3), 1), RuntimeError),
    (lambda ns: ns.nn.InstanceNorm2d(3, affine=True)(ns.ones(2, 4, 3, 3)), ValueError),
    (lambda ns: ns.nn.functional.normalize(ns.ones(2, 3), dim=2), IndexError),
    (lambda ns: ns.nn.functional.cosine_similarity(ns.ones(2, 3), ns.ones(3, 2)),
     RuntimeError),
    (lambda ns: ns.nn.ConvTranspose2d(2, 3, 3, stride=2)(ns.ones(1, 2, 4, 5),
                                                         output_size=[1, 2, 3]), ValueError),
]


@pytest.mark.parametrize("make, exc", ERRORS, ids=[str(i) for i in range(len(ERRORS))])
def test_errors_match_torch(make, exc):
    with pytest.raises(exc) as ours:
        make(sg)
    torch = pytest.importorskip("torch")
    with pytest.raises(exc) as theirs:
        make(torch)
    assert str(ours.value) == str(theirs.value)


# ---------------------------------------------------------------- compiled code

def _compiled_net(x, w):
    h = F.hardtanh(F.conv_transpose2d(x, w, None, 2, 1), -0.5, 0.8)
    h = F.mish(h) + F.logsigmoid(h) + F.hardswish(h) + F.celu(h, 0.5) + F.selu(h)
    return np.sum(F.glu(F.softshrink(h, 0.1) + F.threshold(h, 0.1, 0.5), 1))


def _compiled_net_np(x, w):
    from s2sgrad.rules import nn as R
    h = R.hardtanh(R.conv_transpose2d(x, w, None, 2, 1), -0.5, 0.8)
    h = R.mish(h) + R.log_sigmoid(h) + R.hardswish(h) + R.celu(h, 0.5) + R.selu(h)
    return np.sum(R.glu(R.softshrink(h, 0.1) + R.threshold(h, 0.1, 0.5), 1))


def test_new_functional_calls_compile_to_their_primitives():
    from s2sgrad.autograd.gradcheck import check_vjp
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 2, 3, 3)), rng.standard_normal((2, 4, 3, 3))
    out, pullback = sg.vjp(_compiled_net, x, w)
    assert np.isclose(out, _compiled_net_np(x, w))
    assert check_vjp(_compiled_net_np, pullback, [x, w], [0, 1], rtol=1e-5, atol=1e-6)


def test_second_derivatives_through_new_rules():
    x = sg.tensor(np.linspace(-2.3, 2.1, 7), requires_grad=True)     # no kink at 0
    for fn in (F.mish, F.logsigmoid, F.selu, lambda t: F.celu(t, 0.7), F.hardswish):
        (g,) = sg.autograd.grad(fn(x).sum(), x, create_graph=True)
        (gg,) = sg.autograd.grad(g.sum(), x)
        eps = 1e-6
        (gp,) = sg.autograd.grad(fn(x + eps).sum(), x)
        (gm,) = sg.autograd.grad(fn(x - eps).sum(), x)
        np.testing.assert_allclose(gg.numpy(), (gp.numpy() - gm.numpy()) / (2 * eps),
                                   rtol=1e-4, atol=1e-6)
