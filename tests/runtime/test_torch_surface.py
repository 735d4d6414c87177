"""PyTorch's further top-level functions and Tensor methods (``torch.asin``,
``hstack``, ``cummax``, ``kthvalue``, ``addmm``, ``index_add_``, ``unfold``, ...).

One table of eager specs (an expression of Tensors, argument shapes including
broadcasting pairs and 0-d, an input domain) runs through
``s2sgrad.autograd.gradcheck`` in float64 and, where torch is importable, against
torch in float32: values, dtypes, ``grad_fn`` names and gradients. Then values and
dtypes of the non-differentiable functions, return types, in-place forms and error
texts, compared with torch's when it is there.
"""
from __future__ import annotations


import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.autograd import gradcheck
from tests.runtime.test_more_ops import Spec, _inputs
from tests.torch_oracle import cases, compare_with_torch, outputs

UNARY = [(2, 3), (4,), ()]
BINARY = [((2, 3), (2, 3)), ((3, 1), (4,)), ((), (2, 2)), ((2, 3), ())]
TERNARY = [((2, 3), (3,), (2, 1)), ((), (), ()), ((3, 1), (4,), ())]
MAT = [(3, 3), (2, 4)]


def _i(rows):
    return np.array(rows, dtype=np.int64)


def _u(name, fn, shapes=UNARY, lo=-2.0, hi=2.0, node=None):
    return Spec(name, fn, shapes, lo, hi, nodes=(node,))


SPECS = [
    # -- elementwise math
    _u("asin", lambda a: sg.asin(a), lo=-0.9, hi=0.9, node="AsinBackward0"),
    _u("arccos", lambda a: sg.arccos(a), lo=-0.9, hi=0.9, node="AcosBackward0"),
    _u("atan", lambda a: a.atan(), node="AtanBackward0"),
    _u("asinh", lambda a: sg.asinh(a), node="AsinhBackward0"),
    _u("acosh", lambda a: sg.acosh(a), lo=1.1, hi=3.0, node="AcoshBackward0"),
    _u("atanh", lambda a: a.arctanh(), lo=-0.9, hi=0.9, node="AtanhBackward0"),
    _u("sinh", lambda a: sg.sinh(a), node="SinhBackward0"),
    _u("cosh", lambda a: a.cosh(), node="CoshBackward0"),
    _u("expm1", lambda a: sg.expm1(a), node="Expm1Backward0"),
    _u("exp2", lambda a: a.exp2(), node="Exp2Backward0"),
    _u("erfc", lambda a: sg.erfc(a), node="ErfcBackward0"),
    _u("erfinv", lambda a: sg.erfinv(a), lo=-0.9, hi=0.9, node="ErfinvBackward0"),
    _u("sinc", lambda a: sg.sinc(a), node="SincBackward0"),
    _u("deg2rad", lambda a: sg.deg2rad(a), node="Deg2RadBackward0"),
    _u("rad2deg", lambda a: a.rad2deg(), node="Rad2DegBackward0"),
    _u("rsqrt", lambda a: sg.rsqrt(a), lo=0.5, hi=2.0, node="RsqrtBackward0"),
    _u("reciprocal", lambda a: sg.reciprocal(a), lo=0.5, hi=2.0, node="ReciprocalBackward0"),
    _u("negative", lambda a: sg.negative(a), node="NegBackward0"),
    _u("absolute", lambda a: sg.absolute(a), node="AbsBackward0"),
    _u("sgn", lambda a: sg.sgn(a) * a, node="MulBackward0"),
    _u("logit", lambda a: sg.logit(a), lo=0.1, hi=0.9, node="LogitBackward0"),
    _u("logit_eps", lambda a: a.logit(eps=0.2), lo=0.25, hi=0.75, node="LogitBackward0"),
    _u("nan_to_num", lambda a: sg.nan_to_num(a), node="NanToNumBackward0"),
    _u("clamp_min", lambda a: sg.clamp_min(a, 0.3), node="ClampMinBackward0"),
    _u("clamp_max", lambda a: a.clamp_max(0.3), node="ClampMaxBackward0"),
    Spec("atan2", lambda a, b: sg.atan2(a, b), BINARY, 0.5, 2.0, nodes=("Atan2Backward0",)),
    Spec("hypot", lambda a, b: sg.hypot(a, b), BINARY, 0.5, 2.0, nodes=("HypotBackward0",)),
    Spec("logaddexp", lambda a, b: sg.logaddexp(a, b), BINARY, nodes=("LogaddexpBackward0",)),
    Spec("logaddexp2", lambda a, b: a.logaddexp2(b), BINARY, nodes=("Logaddexp2Backward0",)),
    Spec("fmax", lambda a, b: sg.fmax(a, b), BINARY, nodes=("FmaxBackward0",)),
    Spec("fmin", lambda a, b: sg.fmin(a, b), BINARY, nodes=("FminBackward0",)),
    Spec("maximum_m", lambda a, b: a.maximum(b), BINARY, nodes=("MaximumBackward0",)),
    Spec("minimum_m", lambda a, b: a.minimum(b), BINARY, nodes=("MinimumBackward0",)),
    Spec("fmod", lambda a, b: sg.fmod(a * 3, b), BINARY, 0.5, 2.0, nodes=("FmodBackward1",)),
    _u("fmod_s", lambda a: a.fmod(0.7), node="FmodBackward0"),
    Spec("remainder", lambda a, b: sg.remainder(a * 3, b), BINARY, 0.5, 2.0,
         nodes=("RemainderBackward1",)),
    _u("remainder_s", lambda a: sg.remainder(a, 0.7), node="RemainderBackward0"),
    Spec("xlogy", lambda a, b: sg.xlogy(a, b), BINARY, 0.5, 2.0, nodes=("XlogyBackward0",)),
    _u("xlogy_s", lambda a: a.xlogy(2.0), node="XlogyBackward2"),
    Spec("float_power", lambda a, b: sg.float_power(a, b), BINARY, 0.5, 2.0,
         nodes=("PowBackward1",)),
    Spec("clamp_min_t", lambda a, b: sg.clamp_min(a, b), BINARY, nodes=("ClampMinBackward1",)),
    Spec("multiply", lambda a, b: sg.multiply(a, b), BINARY, nodes=("MulBackward0",)),
    Spec("subtract", lambda a, b: sg.subtract(a, b), BINARY, nodes=("SubBackward0",)),
    Spec("true_divide", lambda a, b: sg.true_divide(a, b), BINARY, 0.5, 2.0,
         nodes=("DivBackward0",)),
    Spec("where_m", lambda a, b: a.where(a > 0, b), BINARY, nodes=("WhereBackward0",)),
    Spec("addcmul", lambda a, b, c: sg.addcmul(a, b, c, value=0.5), TERNARY,
         nodes=("AddcmulBackward0",)),
    Spec("addcdiv", lambda a, b, c: a.addcdiv(b, c, value=2), TERNARY, 0.5, 2.0,
         nodes=("AddcdivBackward0",)),
    # -- matrices
    Spec("addmm", lambda a, b, c: sg.addmm(a, b, c, beta=0.5, alpha=2), [((3,), (2, 4), (4, 3)),
                                                                       ((2, 3), (2, 2), (2, 3))],
         nodes=("AddmmBackward0",)),
    Spec("addmv", lambda a, b, c: sg.addmv(a, b, c), [((3,), (3, 4), (4,)), ((), (2, 2), (2,))],
         nodes=("AddmvBackward0",)),
    Spec("baddbmm", lambda a, b, c: sg.baddbmm(a, b, c, alpha=0.5),
         [((2, 3, 2), (2, 3, 4), (2, 4, 2)), ((3, 2), (2, 3, 4), (2, 4, 2))],
         nodes=("BaddbmmBackward0",)),
    Spec("addbmm", lambda a, b, c: sg.addbmm(a, b, c), [((3, 2), (2, 3, 4), (2, 4, 2))],
         nodes=("AddbmmBackward0",)),
    Spec("mv", lambda a, b: sg.mv(a, b), [((3, 4), (4,))], nodes=("MvBackward0",)),
    Spec("outer_m", lambda a, b: a.outer(b), [((3,), (4,))], nodes=("MulBackward0",)),
    Spec("vdot", lambda a, b: sg.vdot(a, b), [((3,), (3,))], nodes=("VdotBackward0",)),
    Spec("inner", lambda a, b: sg.inner(a, b), [((2, 3), (4, 3))], nodes=("ViewBackward0",)),
    Spec("kron", lambda a, b: sg.kron(a, b), [((2, 3), (2, 2))],
         nodes=("UnsafeViewBackward0",)),
    Spec("tensordot", lambda a, b: sg.tensordot(a, b, 1), [((2, 3), (3, 4))],
         nodes=("ViewBackward0",)),
    Spec("cross", lambda a, b: sg.cross(a, b, dim=1), [((2, 3), (2, 3)), ((4, 3), (1, 3))],
         nodes=("LinalgCrossBackward0",)),
    Spec("det", lambda a: sg.det(a), [(3, 3), (2, 2, 2)], nodes=("LinalgDetBackward0",)),
    Spec("inverse", lambda a: sg.inverse(a + 3 * sg.eye(3, dtype=a.dtype)), [(3, 3)],
         nodes=("LinalgInvExBackward0",)),
    Spec("logdet", lambda a: sg.logdet(a + 3 * sg.eye(3, dtype=a.dtype)), [(3, 3)],
         nodes=("WhereBackward0",)),
    Spec("matrix_power", lambda a: sg.matrix_power(a, 3), [(3, 3)], nodes=("MmBackward0",)),
    Spec("dist", lambda a, b: sg.dist(a, b), BINARY[:2], nodes=("DistBackward0",)),
    Spec("cdist", lambda a, b: sg.cdist(a, b), [((3, 2), (4, 2))], nodes=("CdistBackward0",)),
    Spec("block_diag", lambda a, b: sg.block_diag(a, b), [((2, 3), (3,))],
         nodes=("BlockDiagBackward0",)),
    Spec("tril", lambda a: sg.tril(a), MAT, nodes=("TrilBackward0",)),
    Spec("triu_m", lambda a: a.triu(1), MAT + [(2, 3, 3)], nodes=("TriuBackward0",)),
    Spec("diag_1d", lambda a: sg.diag(a, 1), [(3,)], nodes=("DiagEmbedBackward0",)),
    Spec("diagonal", lambda a: sg.diagonal(a, 0, -2, -1), [(3, 3), (2, 3, 4)],
         nodes=("DiagonalBackward0",)),
    Spec("diag_embed", lambda a: sg.diag_embed(a), [(2, 3), (3,)],
         nodes=("DiagEmbedBackward0",)),
    Spec("diagflat", lambda a: sg.diagflat(a), [(2, 2)], nodes=("DiagEmbedBackward0",)),
    Spec("trace", lambda a: sg.trace(a), MAT, nodes=("TraceBackward0",)),
    # -- scans, order statistics, reductions
    Spec("cumprod", lambda a: sg.cumprod(a, 0), UNARY, nodes=("CumprodBackward0",)),
    Spec("cummax", lambda a: sg.cummax(a, 0).values, [(4, 3), (5,)],
         nodes=("CummaxBackward0",)),
    Spec("cummin", lambda a: a.cummin(-1)[0], [(4, 3), (5,)], nodes=("CumminBackward0",)),
    Spec("logcumsumexp", lambda a: sg.logcumsumexp(a, 0), [(4, 3), (5,)],
         nodes=("LogcumsumexpBackward0",)),
    Spec("kthvalue", lambda a: sg.kthvalue(a, 2).values, [(3, 4), (5,)],
         nodes=("KthvalueBackward0",)),
    Spec("kthvalue_dim0", lambda a: a.kthvalue(1, 0, True)[0], [(3, 4)],
         nodes=("KthvalueBackward0",)),
    Spec("median", lambda a: sg.median(a), [(3, 4), (5,)], nodes=("MedianBackward0",)),
    Spec("median_dim", lambda a: a.median(1).values, [(3, 4)], nodes=("MedianBackward1",)),
    Spec("nanmedian", lambda a: sg.nanmedian(a, 0)[0], [(3, 4)],
         nodes=("NanmedianBackward1",)),
    Spec("msort", lambda a: sg.msort(a), [(3, 4)], nodes=("SortBackward0",)),
    Spec("nansum", lambda a: sg.nansum(a, 0), [(3, 4)], nodes=("NansumBackward0",)),
    Spec("nanmean", lambda a: a.nanmean(), [(3, 4)], nodes=("DivBackward0",)),
    Spec("var_mean", lambda a: sg.var_mean(a, 0), [(3, 4)],
         nodes=("VarMeanBackward0",) * 2),
    Spec("std_mean", lambda a: sg.std_mean(a), [(3, 4)], nodes=("StdMeanBackward0",) * 2),
    Spec("quantile", lambda a: sg.quantile(a, 0.3, dim=1) * 1, [(3, 5)],
         nodes=("MulBackward0",)),
    Spec("trapezoid", lambda a: sg.trapezoid(a), [(3, 4), (5,)], nodes=("MulBackward1",)),
    Spec("diff", lambda a: sg.diff(a, dim=0), [(3, 4), (5,)], nodes=("SubBackward0",)),
    # -- shapes
    Spec("hstack", lambda a, b: sg.hstack([a, b]), [((2, 3), (2, 1)), ((3,), (2,))],
         nodes=("CatBackward0",)),
    Spec("vstack", lambda a, b: sg.vstack([a, b]), [((2, 3), (1, 3)), ((3,), (3,))],
         nodes=("CatBackward0",)),
    Spec("dstack", lambda a, b: sg.dstack([a, b]), [((2, 3), (2, 3))], nodes=("CatBackward0",)),
    Spec("column_stack", lambda a, b: sg.column_stack([a, b]), [((3,), (3, 2))],
         nodes=("CatBackward0",)),
    Spec("atleast_2d", lambda a: sg.atleast_2d(a), [(3,)], nodes=("UnsqueezeBackward0",)),
    Spec("broadcast_to", lambda a: sg.broadcast_to(a, (2, 3)), [(3,)],
         nodes=("ExpandBackward0",)),
    Spec("meshgrid", lambda a, b: sg.meshgrid(a, b, indexing="ij"), [((3,), (2,))],
         nodes=("ExpandBackward0",) * 2),
    Spec("cartesian_prod", lambda a, b: sg.cartesian_prod(a, b), [((3,), (2,))],
         nodes=("StackBackward0",)),
    Spec("narrow", lambda a: sg.narrow(a, 1, 1, 2), [(2, 4)], nodes=("SliceBackward0",)),
    Spec("tensor_split", lambda a: sg.tensor_split(a, 3, dim=1), [(2, 4)],
         nodes=("SliceBackward0",) * 3),
    Spec("hsplit", lambda a: sg.hsplit(a, 2), [(2, 4)], nodes=("SliceBackward0",) * 2),
    Spec("unbind", lambda a: sg.unbind(a, 1), [(2, 3)], nodes=("UnbindBackward0",) * 3),
    Spec("select", lambda a: sg.select(a, 1, -1), [(2, 3)], nodes=("SelectBackward0",)),
    Spec("movedim", lambda a: sg.movedim(a, 0, -1), [(2, 3, 4)], nodes=("PermuteBackward0",)),
    Spec("moveaxis", lambda a: a.moveaxis((0, 1), (2, 0)), [(2, 3, 4)],
         nodes=("PermuteBackward0",)),
    Spec("ravel", lambda a: sg.ravel(a), [(2, 3)], nodes=("ViewBackward0",)),
    Spec("repeat_interleave", lambda a: sg.repeat_interleave(a, 2, dim=0), [(2, 3)],
         nodes=("ViewBackward0",)),
    Spec("rot90", lambda a: sg.rot90(a, 1, (0, 1)), [(2, 3)], nodes=("Rot90Backward0",)),
    Spec("fliplr", lambda a: sg.fliplr(a), [(2, 3)], nodes=("FlipBackward0",)),
    Spec("tile", lambda a: sg.tile(a, (2, 1)), [(2, 3), (3,)], nodes=("RepeatBackward0",)),
    Spec("unfold", lambda a: a.unfold(1, 2, 1), [(2, 5)], nodes=("UnfoldBackward0",)),
    Spec("unfold_step", lambda a: a.unfold(0, 2, 2), [(5,), (5, 2)],
         nodes=("UnfoldBackward0",)),
    # -- indexed reads and writes
    Spec("take", lambda a: sg.take(a, sg.tensor(_i([0, 5, -1]))), [(2, 3)],
         nodes=("TakeBackward0",)),
    Spec("take_along_dim", lambda a: sg.take_along_dim(a, sg.tensor(_i([[0], [2]])), 1),
         [(2, 3)], nodes=("GatherBackward0",)),
    Spec("masked_select", lambda a: sg.masked_select(a, a > 0), [(2, 3)],
         nodes=("MaskedSelectBackward0",)),
    Spec("index_add", lambda a, b: a.index_add(0, sg.tensor(_i([0, 2, 0])), b, alpha=2),
         [((3, 2), (3, 2))], nodes=("IndexAddBackward0",)),
    Spec("index_copy", lambda a, b: a.index_copy(1, sg.tensor(_i([2, 0])), b),
         [((2, 3), (2, 2))], nodes=("IndexCopyBackward0",)),
    Spec("index_fill", lambda a: a.index_fill(1, sg.tensor(_i([2, 0])), -1.0), [(2, 3)],
         nodes=("IndexFillBackward0",)),
    Spec("scatter_add", lambda a, b: sg.scatter_add(a, 0, sg.tensor(_i([[0, 1, 0]])), b),
         [((2, 3), (1, 3))], nodes=("ScatterAddBackward0",)),
    Spec("index_put_acc", lambda a, b: a.index_put((sg.tensor(_i([0, 0, 1])),), b,
                                                   accumulate=True),
         [((2, 3), (3,))], nodes=("IndexPutBackward0",)),
    Spec("index_put", lambda a, b: a.index_put((sg.tensor(_i([1])),), b), [((2, 3), (3,))],
         nodes=("IndexPutBackward0",)),
    # -- in-place forms on a non-leaf
    _u("exp_", lambda a: (a * 1).exp_(), node="ExpBackward0"),
    _u("sigmoid_", lambda a: (a * 1).sigmoid_(), node="SigmoidBackward0"),
    _u("tanh_", lambda a: (a * 1).tanh_(), node="TanhBackward0"),
    _u("sqrt_", lambda a: (a * 1).sqrt_(), lo=0.5, hi=2.0, node="SqrtBackward0"),
    _u("log_", lambda a: (a * 1).log_(), lo=0.5, hi=2.0, node="LogBackward0"),
    _u("neg_", lambda a: (a * 1).neg_(), node="NegBackward0"),
    _u("abs_", lambda a: (a * 1).abs_(), node="AbsBackward0"),
    _u("pow_", lambda a: (a * 1).pow_(3), node="PowBackward0"),
    _u("square_", lambda a: (a * 1).square_(), node="PowBackward0"),
    _u("nan_to_num_", lambda a: (a * 1).nan_to_num_(), node="NanToNumBackward0"),
    _u("clamp_min_", lambda a: (a * 1).clamp_min_(0.2), node="ClampMinBackward0"),
    Spec("addcmul_", lambda a, b, c: (a * 1).addcmul_(b, c), [((2, 3), (3,), (2, 1))],
         nodes=("AddcmulBackward0",)),
    Spec("addcdiv_", lambda a, b, c: (a * 1).addcdiv_(b, c), [((2, 3), (3,), (2, 1))], 0.5,
         2.0, nodes=("AddcdivBackward0",)),
    Spec("tril_", lambda a: (a * 1).tril_(), MAT, nodes=("TrilBackward0",)),
    Spec("triu_", lambda a: (a * 1).triu_(-1), MAT, nodes=("TriuBackward0",)),
    Spec("t_", lambda a: (a * 1).t_(), [(2, 3)], nodes=("TBackward1",)),
    Spec("transpose_", lambda a: (a * 1).transpose_(0, 1), [(2, 3)],
         nodes=("TransposeBackward1",)),
    Spec("unsqueeze_", lambda a: (a * 1).unsqueeze_(0), [(2, 3)],
         nodes=("UnsqueezeBackward1",)),
    Spec("squeeze_", lambda a: (a * 1).squeeze_(), [(2, 1, 3)], nodes=("SqueezeBackward3",)),
    Spec("index_add_", lambda a, b: (a * 1).index_add_(0, sg.tensor(_i([1, 1])), b),
         [((2, 3), (2, 3))], nodes=("IndexAddBackward0",)),
    Spec("index_fill_", lambda a: (a * 1).index_fill_(0, sg.tensor(_i([1])), 2.0), [(2, 3)],
         nodes=("IndexFillBackward0",)),
    Spec("index_copy_", lambda a, b: (a * 1).index_copy_(0, sg.tensor(_i([1])), b),
         [((2, 3), (1, 3))], nodes=("IndexCopyBackward0",)),
    Spec("scatter_", lambda a, b: (a * 1).scatter_(1, sg.tensor(_i([[2, 0]])), b),
         [((2, 3), (1, 2))], nodes=("ScatterBackward0",)),
    Spec("scatter_add_", lambda a, b: (a * 1).scatter_add_(1, sg.tensor(_i([[2, 2]])), b),
         [((2, 3), (1, 2))], nodes=("ScatterAddBackward0",)),
    Spec("fill_diagonal_", lambda a: (a * 1).fill_diagonal_(0.5), [(3, 3), (4, 2)],
         nodes=("CopySlices",)),
]


def _distinct(spec, shapes, seed=0):
    # Distinct values: order statistics and scans have no ties.
    arrays = _inputs(spec, shapes, seed)
    return [a + np.arange(a.size).reshape(a.shape) * 1e-2 for a in arrays]


@pytest.mark.parametrize("spec, shapes", list(cases(SPECS)))
def test_gradcheck(spec, shapes):
    ts = [sg.tensor(a, requires_grad=True) for a in _distinct(spec, shapes)]
    assert gradcheck(spec.fn, ts, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("spec, shapes", list(cases(SPECS)))
def test_node_names(spec, shapes):
    ts = [sg.tensor(a, requires_grad=True) for a in _distinct(spec, shapes)]
    names = tuple(type(o.grad_fn).__name__ for o in outputs(spec.fn(*ts)))
    assert names == spec.nodes


@pytest.mark.parametrize("spec, shapes", list(cases(SPECS)))
def test_matches_torch(spec, shapes):
    torch = pytest.importorskip("torch")
    compare_with_torch(spec.fn, _distinct(spec, shapes, seed=1), torch, atol=1e-5,
                       grad_atol=1e-4,
                       node=None if spec.name in ("logdet", "diag_1d") else True)


def _torch_or_none():
    try:
        import torch
    except ImportError:
        return None
    return torch


NONDIFF = [
    lambda m, x, i: m.isnan(x), lambda m, x, i: m.isinf(x), lambda m, x, i: m.isfinite(x),
    lambda m, x, i: m.isposinf(x), lambda m, x, i: m.isneginf(x), lambda m, x, i: m.signbit(x),
    lambda m, x, i: m.eq(x, 1.0), lambda m, x, i: m.gt(x, x * 0), lambda m, x, i: m.le(x, 1),
    lambda m, x, i: m.logical_and(x, i), lambda m, x, i: m.logical_xor(x > 0, i > 1),
    lambda m, x, i: m.logical_not(i), lambda m, x, i: m.count_nonzero(x),
    lambda m, x, i: m.count_nonzero(i, dim=0), lambda m, x, i: m.nonzero(x > 0),
    lambda m, x, i: m.argwhere(i), lambda m, x, i: m.bincount(i.reshape(-1)),
    lambda m, x, i: m.bucketize(x, m.tensor([0.0, 1.0])),
    lambda m, x, i: m.searchsorted(m.tensor([0.0, 1.0]), x, right=True),
    lambda m, x, i: m.isin(i, m.tensor([1, 3])),
    lambda m, x, i: m.unique_consecutive(m.tensor([1, 1, 2, 2, 3, 1]), return_counts=True)[1],
    lambda m, x, i: m.tril_indices(3, 4, 1), lambda m, x, i: m.triu_indices(4, 3, -1),
    lambda m, x, i: m.heaviside(x, m.tensor(0.5)), lambda m, x, i: m.floor_divide(i, 2),
    lambda m, x, i: m.fmod(i, 3), lambda m, x, i: m.remainder(-i, 3),
    lambda m, x, i: m.asin(i * 0), lambda m, x, i: m.sinh(i), lambda m, x, i: m.expm1(i),
    lambda m, x, i: m.xlogy(i, 2), lambda m, x, i: m.logit(i * 0.1),
    lambda m, x, i: m.reciprocal(i), lambda m, x, i: m.rsqrt(i),
    lambda m, x, i: m.logspace(0, 2, 3), lambda m, x, i: m.cumprod(i, 0),
    lambda m, x, i: m.trace(i), lambda m, x, i: m.tril(i), lambda m, x, i: i.nansum(),
    lambda m, x, i: m.nan_to_num(m.tensor([float("nan"), float("inf"), -float("inf")])),
    lambda m, x, i: m.float_power(i, 2), lambda m, x, i: m.broadcast_shapes((2, 1), (3,)),
    lambda m, x, i: m.kron(i, i), lambda m, x, i: m.diag(i), lambda m, x, i: x.byte(),
    lambda m, x, i: i.type_as(x), lambda m, x, i: m.tensor([x.nbytes, i.itemsize]),
    lambda m, x, i: i.new_full((2,), 7), lambda m, x, i: m.is_floating_point(i),
    lambda m, x, i: m.median(m.tensor([1.0, float("nan"), 0.0])),
    lambda m, x, i: m.nanmedian(m.tensor([1.0, float("nan"), 0.0, 3.0])),
    lambda m, x, i: m.cummax(m.tensor([1.0, 3.0, 3.0, 2.0]), 0).indices,
    lambda m, x, i: m.kthvalue(m.tensor([[3.0, 1.0, 2.0]]), 2, 1, True).indices,
]


@pytest.mark.parametrize("k", range(len(NONDIFF)))
def test_nondifferentiable_values_and_dtypes(k):
    torch = pytest.importorskip("torch")
    x = np.array([[0.5, -1.0, 1.0], [2.0, 0.0, -0.25]], np.float32)
    i = np.array([[1, 0, 3], [2, 2, 0]], np.int64)
    ours = NONDIFF[k](sg, sg.tensor(x), sg.tensor(i))
    theirs = NONDIFF[k](torch, torch.tensor(x), torch.tensor(i))
    if isinstance(theirs, (bool, tuple)):
        assert ours == theirs
        return
    assert repr(ours.dtype) == repr(theirs.dtype)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, equal_nan=True)


def test_return_types_print_like_torch():
    x = sg.tensor([[3.0, 1.0, 2.0]])
    for r, kind in ((sg.kthvalue(x, 1), "kthvalue"), (x.median(1), "median"),
                    (sg.cummax(x, 1), "cummax"), (sg.cummin(x, 1), "cummin"),
                    (x.nanmedian(1), "nanmedian")):
        assert repr(r).startswith(f"torch.return_types.{kind}(\nvalues=tensor(")
        assert r.indices.dtype == sg.int64
    torch = _torch_or_none()
    if torch is not None:
        assert repr(sg.kthvalue(x, 2, 1)) == repr(torch.kthvalue(torch.tensor(x.numpy()), 2, 1))


def test_in_place_refuses_leaves_and_bumps_versions():
    leaf = sg.ones(2, 2, requires_grad=True)
    for f in (lambda t: t.exp_(), lambda t: t.tril_(), lambda t: t.t_(),
              lambda t: t.index_fill_(0, sg.tensor([0]), 1.0), lambda t: t.addcmul_(t, t),
              lambda t: t.clamp_min_(0.5), lambda t: t.unsqueeze_(0)):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            f(leaf)
    y = sg.ones(2, 3)
    v = y._version
    y.sqrt_().tril_().t_()
    assert y._version == v + 3 and y.shape == (3, 2)


ERRORS = [
    lambda m: m.kthvalue(m.ones(3), 4),
    lambda m: m.ones(3).tril(),
    lambda m: m.trace(m.ones(3)),
    lambda m: m.ones(2, 3).narrow(1, 2, 2),
    lambda m: m.cummax(m.ones(2, 2), 2),
    lambda m: m.ones(3).unfold(0, 4, 1),
    lambda m: m.ones(2, 2).diag_embed().diag(),
    lambda m: m.cross(m.ones(2, 3), m.ones(3), dim=1),
    lambda m: m.take(m.ones(2, 2), m.tensor([4])),
    lambda m: m.ones(3).rot90(1, (0, 1)),
    lambda m: m.hsplit(m.ones(2, 3), 2),
    lambda m: m.quantile(m.ones(3), 1.5),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_error_texts_match_torch(k):
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception) as theirs:
        ERRORS[k](torch)
    with pytest.raises(type(theirs.value)) as ours:
        ERRORS[k](sg)
    assert str(ours.value) == str(theirs.value)


def test_meshgrid_xy_and_broadcast_tensors():
    a, b = sg.arange(3), sg.arange(2)
    gx, gy = sg.meshgrid(a, b, indexing="xy")
    assert gx.shape == (2, 3) and gx.tolist() == [[0, 1, 2], [0, 1, 2]]
    assert gy.tolist() == [[0, 0, 0], [1, 1, 1]]
    p, q = sg.broadcast_tensors(sg.ones(3, 1), sg.zeros(4))
    assert p.shape == q.shape == (3, 4)


def test_a_new_primitive_compiles():
    # torch.xxx aliases of NumPy primitives work inside compiled code.
    def f(x):
        return np.sum(sg.sinh(x) * sg.arctan(x))
    x = np.array([0.3, -0.7, 1.1])
    g = sg.gradient(f)(x)
    np.testing.assert_allclose(g, np.cosh(x) * np.arctan(x) + np.sinh(x) / (1 + x * x))
