"""The table of gradient specs: every differentiable NumPy primitive, as data.

Takes nothing; gives ``SPECS``, a list of ``Spec`` objects. A spec names one
primal call: the shapes of its float arguments (``()`` is a 0-d array,
``SCALAR`` a Python float), keyword arguments, the domain the float inputs are
drawn from, an optional ``build`` that places them among non-float arguments
(indices, masks, a list for ``concatenate``) or conditions them (SPD matrices),
and tolerances. ``make_args(rng)`` gives concrete float64 ``(args, kwargs)``.

Other suites reuse the table: ``flatten(args)`` lists the float inputs a
gradient is taken for (the elements of a sequence argument included, in
order), ``unflatten(args, values)`` puts replacements (e.g. Tensors) back, and
``call(values)`` runs the primal on them (a list of outputs comes back as a
tuple). Invariant: deterministic given the rng; ids are unique.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["SCALAR", "SPECS", "Spec", "primal_name"]

SCALAR = "scalar"          # shape marker: a Python float argument
UNIT = (-2.0, 2.0)
POS = (0.5, 2.0)


def primal_name(primal) -> str:
    """``np.linalg.norm``-style name of a NumPy callable; ``tl.erf`` for a PyTorch-style
    primitive of ``s2sgrad.rules.torchlike``, ``nn.gelu`` for one of ``s2sgrad.rules.nn``."""
    mod = getattr(primal, "__module__", None) or "numpy"
    name = getattr(primal, "__name__", repr(primal))
    if mod.startswith("s2sgrad.rules.nn"):
        return "nn." + name
    if mod.startswith("s2sgrad."):
        return "tl." + name
    return ("np.linalg." if "linalg" in mod else "np.random." if "random" in mod
            else "np.") + name


@dataclass
class Spec:
    primal: Callable
    shapes: tuple
    kwargs: dict = field(default_factory=dict)
    domain: Any = UNIT                       # (lo, hi), or one (lo, hi) per float argument
    build: Callable | None = None            # build(rng, floats) -> positional args
    rtol: float = 1e-5
    atol: float = 1e-6
    label: str = ""

    @property
    def name(self) -> str:
        return primal_name(self.primal)

    @property
    def id(self) -> str:
        shapes = ",".join("s" if s == SCALAR else "x".join(map(str, s)) or "0d"
                          for s in self.shapes)
        kw = ",".join(f"{k}={_short(v)}" for k, v in self.kwargs.items())
        name = self.name[3:] if self.name.startswith("np.") else self.name
        return "-".join(p for p in (name, shapes, kw, self.label) if p)

    def make_args(self, rng: np.random.Generator) -> tuple[list, dict]:
        doms = (self.domain if isinstance(self.domain[0], tuple)
                else [self.domain] * len(self.shapes))
        floats = []
        for shape, (lo, hi) in zip(self.shapes, doms):
            if shape == SCALAR:
                floats.append(float(rng.uniform(lo, hi)))
            else:
                floats.append(rng.uniform(lo, hi, shape))
        args = self.build(rng, floats) if self.build else floats
        return list(args), dict(self.kwargs)

    @staticmethod
    def flatten(args) -> list:
        """The float inputs of ``args``, sequence elements included, in order."""
        flat = []
        for a in args:
            if isinstance(a, (list, tuple)):
                flat.extend(x for x in a if _is_float(x))
            elif _is_float(a):
                flat.append(a)
        return flat

    @staticmethod
    def unflatten(args, values) -> list:
        """``args`` with its float inputs replaced, in ``flatten`` order, by ``values``."""
        it = iter(values)
        res = []
        for a in args:
            if isinstance(a, (list, tuple)):
                res.append(type(a)(next(it) if _is_float(x) else x for x in a))
            elif _is_float(a):
                res.append(next(it))
            else:
                res.append(a)
        return res

    def call(self, args, kwargs, values):
        out = self.primal(*self.unflatten(args, values), **kwargs)
        return tuple(out) if isinstance(out, list) else out


def _is_float(a) -> bool:
    return (isinstance(a, np.ndarray) and a.dtype.kind == "f") or type(a) is float


def _short(v) -> str:
    if isinstance(v, np.ndarray):
        return "mask" if v.dtype == bool else "arr"
    if callable(v):
        return getattr(v, "__name__", "fn")
    return repr(v).replace(" ", "")


def _axis_ok(kwargs: dict, shapes: tuple) -> bool:
    axis = kwargs.get("axis")
    if axis is None or not shapes or shapes[0] == SCALAR:
        return axis is None or (shapes and shapes[0] != SCALAR)
    nd = len(shapes[0])
    axes = axis if isinstance(axis, tuple) else (axis,)
    return all(-nd <= a < nd for a in axes) and len({a % nd for a in axes}) == len(axes)


def variants(primal, shapes: list, kwargs: list = ({},), **common) -> list[Spec]:
    """Every valid combination of argument shapes and keyword variants."""
    return [Spec(primal, tuple(s), dict(k), **common)
            for s, k in itertools.product(shapes, kwargs) if _axis_ok(k, tuple(s))]


def tail(*extra):
    """build: the float arguments, then ``extra`` positional arguments."""
    return lambda rng, fl: [*fl, *extra]


def head(*extra):
    """build: ``extra`` positional arguments, then the float arguments."""
    return lambda rng, fl: [*extra, *fl]


def packed(*extra):
    """build: the float arguments as ONE list (a sequence argument), then ``extra``."""
    return lambda rng, fl: [list(fl), *extra]


# ---------------------------------------------------------------- elementwise

UNARY_SHAPES = [(SCALAR,), ((),), ((3,),), ((2, 3),)]
BINARY_SHAPES = [((), ()), ((3,), (3,)), ((3, 1), (4,)), ((2, 3), ()), ((2, 1, 3), (4, 1)),
                 (SCALAR, (3,)), ((3,), SCALAR)]

_UNARY = [
    (np.exp, UNIT), (np.exp2, UNIT), (np.expm1, UNIT), (np.log, (0.5, 3.0)),
    (np.log2, (0.5, 3.0)), (np.log10, (0.5, 3.0)), (np.log1p, (-0.5, 2.0)),
    (np.sqrt, (0.5, 3.0)), (np.cbrt, (0.3, 3.0)), (np.square, UNIT), (np.abs, UNIT),
    (np.sign, UNIT), (np.sin, UNIT), (np.cos, UNIT), (np.tan, (-1.2, 1.2)),
    (np.arcsin, (-0.9, 0.9)), (np.arccos, (-0.9, 0.9)), (np.arctan, UNIT), (np.sinh, UNIT),
    (np.cosh, UNIT), (np.tanh, UNIT), (np.arcsinh, UNIT), (np.arccosh, (1.1, 4.0)),
    (np.arctanh, (-0.9, 0.9)), (np.sinc, UNIT), (np.deg2rad, UNIT), (np.rad2deg, UNIT),
    (np.radians, UNIT), (np.degrees, UNIT), (np.floor, UNIT), (np.ceil, UNIT),
    (np.trunc, UNIT), (np.fix, UNIT), (np.rint, UNIT), (np.round, UNIT), (np.around, UNIT),
    (np.negative, UNIT), (np.positive, UNIT), (np.reciprocal, POS),
]

_BINARY = [
    (np.add, UNIT), (np.subtract, UNIT), (np.multiply, UNIT), (np.divide, (UNIT, POS)),
    (np.power, (POS, UNIT)), (np.maximum, UNIT), (np.minimum, UNIT), (np.fmax, UNIT),
    (np.fmin, UNIT), (np.arctan2, (UNIT, POS)), (np.hypot, UNIT), (np.logaddexp, UNIT),
    (np.logaddexp2, UNIT), (np.float_power, (POS, UNIT)), (np.fmod, ((-3.0, 3.0), POS)),
    (np.remainder, ((-3.0, 3.0), POS)),
]


def _where(rng, fl):
    shape = np.broadcast_shapes(*(np.shape(x) for x in fl))
    return [rng.random(shape) > 0.5, *fl]


def _elementwise() -> list[Spec]:
    specs = []
    for f, dom in _UNARY:
        specs += variants(f, UNARY_SHAPES, domain=dom)
    specs += variants(np.cbrt, [((4,),)], domain=(-3.0, -0.3), label="negative")
    specs += variants(np.round, [((3,),)], [{"decimals": 1}])
    for f, dom in _BINARY:
        specs += variants(f, BINARY_SHAPES, domain=dom)
    specs += variants(np.where, [((3,), (3,)), ((3, 1), (4,)), (((2, 3)), SCALAR), ((), ())],
                      build=_where)
    lo, hi = (-1.0, -0.2), (0.2, 1.0)
    specs += [
        Spec(np.clip, ((3, 4), (3, 4), (3, 4)), domain=(UNIT, lo, hi)),
        Spec(np.clip, ((3, 4), (4,), (3, 1)), domain=(UNIT, lo, hi)),
        Spec(np.clip, ((5,), SCALAR, SCALAR), domain=(UNIT, lo, hi)),
        Spec(np.clip, ((5,), (5,)), domain=(UNIT, lo), build=lambda r, fl: [fl[0], fl[1], None],
             label="nomax"),
        Spec(np.clip, ((2, 3), SCALAR), domain=(UNIT, hi), build=lambda r, fl: [fl[0], None,
                                                                                 fl[1]],
             label="nomin"),
        Spec(np.clip, ((5,), (5,), (5,)), domain=(UNIT, hi, lo), label="crossed"),
        Spec(np.clip, ((4,),), {"min": -0.5, "max": 0.5}),
    ]
    matmul = [((3, 4), (4, 2)), ((4,), (4,)), ((2, 3, 4), (4,)), ((3,), (3, 2)),
              ((2, 3, 4), (4, 5)), ((2, 1, 3, 4), (5, 4, 2))]
    specs += variants(np.matmul, matmul)
    return specs


# ---------------------------------------------------------------- reductions

RED_SHAPES = [((),), ((4,),), ((3, 4),), ((2, 3, 4),)]
RED_KW = [{}, {"axis": 0}, {"axis": -1}, {"axis": (0, 1)}, {"axis": 1, "keepdims": True},
          {"keepdims": True}]
SCAN_KW = [{}, {"axis": 0}, {"axis": -1}]


def _with_zeros(count: int):
    def build(rng, fl):
        a = fl[0].copy()
        a.reshape(-1)[[1, 6][:count]] = 0.0
        return [a]
    return build


def _reductions() -> list[Spec]:
    specs = []
    for f in (np.sum, np.mean, np.max, np.amax, np.min, np.amin, np.ptp, np.nansum,
              np.nanmean):
        specs += variants(f, RED_SHAPES, RED_KW)
    specs += variants(np.prod, RED_SHAPES, RED_KW, domain=(0.5, 1.5))
    for n in (1, 2):
        specs += variants(np.prod, [((3, 4),)], [{}, {"axis": 1}, {"axis": 0}],
                          build=_with_zeros(n), label=f"zeros{n}")
    for f in (np.var, np.std):
        specs += variants(f, RED_SHAPES[1:], RED_KW + [{"ddof": 1}, {"axis": 1, "ddof": 1}])
    specs += variants(np.var, [((3, 4),)], [{"axis": 0, "correction": 1}])
    specs += variants(np.cumsum, RED_SHAPES, SCAN_KW)
    specs += variants(np.cumprod, RED_SHAPES, SCAN_KW, domain=(0.5, 1.5))
    specs += variants(np.cumprod, [((3, 4),)], SCAN_KW, build=_with_zeros(2), label="zeros")

    mask = np.array([True, False, True, True])
    specs += [
        Spec(np.sum, ((3, 4),), {"axis": 1, "where": mask}),
        Spec(np.mean, ((3, 4),), {"axis": 0, "where": np.array([[True], [False], [True]])}),
        Spec(np.max, ((3, 4),), {"axis": 1, "initial": -10.0, "where": mask}),
        Spec(np.max, ((3, 4),), {"axis": 0, "initial": 10.0}, label="initial-wins"),
        Spec(np.sum, ((2, 3),), {"initial": 1.5}),
        Spec(np.nansum, ((3, 4),), {"axis": 0}, build=_nan_at(5), label="nan"),
        Spec(np.nanmean, ((3, 4),), {"axis": 1}, build=_nan_at(5), label="nan"),
        Spec(np.average, ((3, 4),), {"axis": 1}),
        Spec(np.average, ((3, 4), (4,)), domain=(UNIT, POS),
             build=lambda r, fl: [fl[0], 1, fl[1]], label="w1d"),
        Spec(np.average, ((3, 4), (3, 4)), domain=(UNIT, POS),
             build=lambda r, fl: [fl[0], None, fl[1]], label="wfull"),
        Spec(np.average, ((2, 3, 4), (2, 3, 4)), {"keepdims": True}, domain=(UNIT, POS),
             build=lambda r, fl: [fl[0], (0, 2), fl[1]], label="wtuple"),
    ]
    norm_kw = [{}, {"ord": 1}, {"ord": np.inf}, {"ord": -np.inf}, {"ord": 3}, {"ord": 0.5},
               {"ord": 0}]
    specs += variants(np.linalg.norm, [((4,),)], norm_kw)
    mat_kw = [{}, {"ord": "fro"}, {"ord": "nuc"}, {"ord": 2}, {"ord": -2}, {"ord": 1},
              {"ord": -1}, {"ord": np.inf}, {"ord": -np.inf}, {"axis": 1}, {"axis": 0, "ord": 1},
              {"axis": -1, "ord": np.inf, "keepdims": True}, {"axis": (0, 1)},
              {"axis": (1, 0), "ord": "nuc", "keepdims": True}, {"keepdims": True}]
    specs += variants(np.linalg.norm, [((3, 4),)], mat_kw)
    specs += variants(np.linalg.norm, [((2, 3, 4),)],
                      [{}, {"axis": (1, 2), "ord": "nuc"}, {"axis": (2, 0), "ord": 2},
                       {"axis": -1, "ord": 4}])
    specs += variants(np.linalg.vector_norm, [((3, 4),)],
                      [{}, {"ord": np.inf, "axis": 1}, {"ord": 1, "axis": (0, 1)},
                       {"ord": 3, "keepdims": True}])
    specs += variants(np.linalg.matrix_norm, [((2, 3, 4),)],
                      [{}, {"ord": "nuc"}, {"ord": 1}, {"ord": np.inf, "keepdims": True}])
    return specs


def _nan_at(k: int):
    def build(rng, fl):
        a = fl[0].copy()
        a.reshape(-1)[k] = np.nan
        return [a]
    return build


# ---------------------------------------------------------------- shape ops

def _shape_ops() -> list[Spec]:
    s = []
    s += variants(np.reshape, [((3, 4),)], [{"shape": (4, 3)}, {"shape": (12,)},
                                           {"shape": (2, -1)}, {"shape": (2, 6), "order": "F"}])
    s += variants(np.reshape, [((),)], [{"shape": (1, 1)}])
    s += variants(np.ravel, [((2, 3, 4),), ((),)], [{}, {"order": "F"}])
    s += variants(np.transpose, [((2, 3, 4),)], [{}, {"axes": (1, 0, 2)}, {"axes": (-1, 0, 1)}])
    s += variants(np.transpose, [((3, 4),), ((),)])
    s += variants(np.swapaxes, [((2, 3, 4),)], [{"axis1": 0, "axis2": 2}, {"axis1": -1,
                                                                          "axis2": 1}])
    s += variants(np.moveaxis, [((2, 3, 4),)], [{"source": 0, "destination": -1},
                                                {"source": (0, 1), "destination": (2, 0)}])
    s += variants(np.expand_dims, [((3, 4),)], [{"axis": 0}, {"axis": (0, 3)}, {"axis": -1}])
    s += variants(np.expand_dims, [((),)], [{"axis": 0}])
    s += variants(np.squeeze, [((1, 3, 1),)], [{}, {"axis": 0}, {"axis": (0, 2)}])
    s += variants(np.atleast_1d, [((),), ((3,),)])
    s += variants(np.atleast_2d, [((),), ((3,),)])
    s += variants(np.atleast_3d, [((3,),), ((3, 4),)])
    s += variants(np.broadcast_to, [((3, 1),)], [{"shape": (2, 3, 4)}])
    s += variants(np.broadcast_to, [((),)], [{"shape": (2, 2)}])
    s += variants(np.broadcast_to, [((4,),)], [{"shape": (3, 4)}])
    for f in (np.copy, np.array, np.asarray, np.asanyarray, np.ascontiguousarray,
              np.asfortranarray):
        s += variants(f, [((),), ((3, 4),)])
    s += variants(np.array, [((3,),)], [{"ndmin": 3}])
    s += variants(np.flip, [((2, 3, 4),)], [{}, {"axis": 0}, {"axis": (0, 2)}])
    s += variants(np.fliplr, [((3, 4),)]) + variants(np.flipud, [((3, 4),), ((4,),)])
    s += variants(np.rot90, [((3, 4),)], [{}, {"k": 2}, {"k": -1}])
    s += variants(np.rot90, [((2, 3, 4),)], [{"axes": (1, 2)}])
    s += variants(np.roll, [((3, 4),)], [{"shift": 1}, {"shift": 2, "axis": 1},
                                         {"shift": (1, -1), "axis": (0, 1)}])
    s += variants(np.sort, [((5,),), ((3, 4),)], [{}, {"axis": 0}, {"axis": None}])
    s += variants(np.tile, [((3,),)], [{"reps": 2}, {"reps": (2, 2)}])
    s += variants(np.tile, [((2, 3),)], [{"reps": 2}, {"reps": (2, 1, 2)}])
    s += variants(np.repeat, [((3,),)], [{"repeats": 2}])
    s += variants(np.repeat, [((2, 3),)], [{"repeats": [1, 0, 2], "axis": 1},
                                           {"repeats": 2}, {"repeats": 3, "axis": 0}])
    s += variants(np.pad, [((3, 4),)], [{"pad_width": 1}, {"pad_width": ((1, 2), (0, 3))},
                                        {"pad_width": 1, "constant_values": 2.0},
                                        {"pad_width": (2, 1), "mode": "edge"},
                                        {"pad_width": 2, "mode": "reflect"},
                                        {"pad_width": ((1, 3), (2, 0)), "mode": "symmetric"},
                                        {"pad_width": 5, "mode": "wrap"}])
    s += variants(np.pad, [((4,),)], [{"pad_width": (3,), "mode": "reflect"}])
    s += variants(np.diff, [((5,),)], [{}, {"n": 3}])
    s += variants(np.diff, [((3, 4),)], [{"n": 2, "axis": 0}])
    s += [Spec(np.diff, ((3, 4), (3, 1), SCALAR), build=lambda r, fl: [fl[0], 1, -1, *fl[1:]],
               label="prepend-append")]
    s += variants(np.diag, [((4,),)], [{}, {"k": 1}, {"k": -2}])
    s += variants(np.diag, [((3, 4),)], [{}, {"k": 1}, {"k": -1}])
    s += variants(np.diagonal, [((3, 4),)], [{}, {"offset": 1}, {"offset": -1}])
    s += variants(np.diagonal, [((2, 3, 4),)], [{"axis1": 1, "axis2": 2, "offset": 1},
                                                {"axis1": -1, "axis2": 0}])
    for f in (np.triu, np.tril):
        s += variants(f, [((3, 4),), ((2, 3, 3),), ((4,),)], [{}, {"k": -1}, {"k": 1}])
    s += variants(np.take, [((3, 4),)], [{"indices": [0, 2, 2, 11]}, {"indices": [0, 3, 3],
                                                                        "axis": 1},
                                         {"indices": [[0, 1], [1, 1]], "axis": 0},
                                         {"indices": [5, -7], "axis": 1, "mode": "wrap"},
                                         {"indices": [5, -7, 2], "mode": "clip"}])
    take_idx = np.array([[0, 3], [1, 1], [2, 0]])
    rows_idx = np.array([[0, 2, 1, 1], [2, 2, 0, 1]])
    s += variants(np.take_along_axis, [((3, 4),)], [{"indices": take_idx, "axis": 1},
                                                    {"indices": rows_idx, "axis": 0}])
    s += variants(np.take_along_axis, [((1, 4),)], [{"indices": take_idx, "axis": 1}],
                  label="bcast")
    s += variants(np.take_along_axis, [((3, 4),)], [{"indices": np.array([0, 5, 5, 11]),
                                                     "axis": None}])
    return s


def _joins() -> list[Spec]:
    s = []
    for shapes, extra in [(((2, 3), (4, 3)), ()), (((2, 3), (2, 1)), (1,)),
                          (((2, 3), (5,)), (None,)), (((3,), (2,), (1,)), ())]:
        s.append(Spec(np.concatenate, shapes, build=packed(*extra), label=f"axis{extra}"))
    for shapes, kw in [(((3,), (3,)), {}), (((3,), (3,)), {"axis": -1}),
                       (((2, 3), (2, 3), (2, 3)), {"axis": 1})]:
        s.append(Spec(np.stack, shapes, kw, build=packed()))
    for f, cases in [(np.hstack, [((3,), (2,)), ((2, 3), (2, 1)), ((), ())]),
                     (np.vstack, [((3,), (3,)), ((2, 3), (1, 3))]),
                     (np.dstack, [((2, 3), (2, 3)), ((3,), (3,))]),
                     (np.column_stack, [((3,), (3, 2)), ((3,), (3,))])]:
        s += [Spec(f, shapes, build=packed()) for shapes in cases]
    s += variants(np.append, [((3, 4), (2, 4))], [{"axis": 0}])
    s += variants(np.append, [((3,), (2, 2))])
    for f, shape, arg, kw in [(np.split, (6,), 3, {}), (np.split, (4, 6), [1, 4], {"axis": 1}),
                              (np.array_split, (7,), 3, {}),
                              (np.array_split, (3, 5), 2, {"axis": 1}),
                              (np.hsplit, (4, 6), 2, {}), (np.hsplit, (6,), 3, {}),
                              (np.vsplit, (4, 6), [1], {}), (np.dsplit, (2, 3, 4), 2, {})]:
        s.append(Spec(f, (shape,), kw, build=tail(arg), label=f"{arg}".replace(" ", "")))
    s += variants(np.unstack, [((3, 4),)], [{}, {"axis": 1}])
    return s


# ---------------------------------------------------------------- linear algebra

def _well_conditioned(rng, fl):
    a = fl[0]
    return [a + 3.0 * np.eye(a.shape[-1]), *fl[1:]]


def _spd(rng, fl):
    a = fl[0]
    return [a @ np.swapaxes(a, -1, -2) + a.shape[-1] * np.eye(a.shape[-1])]


def _rank_deficient(rng, fl):
    u, v = fl
    return [u @ v.T]           # (3, 2) @ (2, 3): rank 2 of 3, det 0


def _linalg() -> list[Spec]:
    s = []
    s += variants(np.dot, [((3,), (3,)), ((2, 3), (3, 4)), ((2, 3), (3,)), ((3,), (3, 4)),
                           ((2, 3, 4), (4,)), ((2, 3, 4), (5, 4, 2)), ((), (3,)), ((2, 3), ()),
                           ((3,), (2, 3, 4))])
    s += variants(np.vdot, [((3,), (3,)), ((2, 3), (3, 2))])
    s += variants(np.inner, [((3,), (3,)), ((2, 3), (4, 3)), ((2, 3, 4), (4,)), ((), (3,))])
    s += variants(np.outer, [((3,), (4,)), ((2, 2), (3,))])
    s += variants(np.tensordot, [((2, 3, 4), (3, 4, 5))])
    s += variants(np.tensordot, [((3, 4), (4, 3))], [{"axes": ([0, 1], [1, 0])}])
    s += variants(np.tensordot, [((2, 3), (3, 2))], [{"axes": 1}])
    s += variants(np.tensordot, [((2,), (3,))], [{"axes": 0}])
    s += variants(np.tensordot, [((2, 3, 4), (4, 2, 3))], [{"axes": ([1, 2], [2, 0])}])
    s += variants(np.tensordot, [((2, 3), (3, 4))], [{"axes": (1, 0)}], label="intpair")
    for subs, shapes in [("ij,jk->ik", ((2, 3), (3, 4))), ("ij,jk", ((2, 3), (3, 4))),
                         ("ii->i", ((3, 3),)), ("ii", ((3, 3),)), ("i,i", ((3,), (3,))),
                         ("i,j->ij", ((2,), (3,))), ("bij,bjk->bik", ((2, 2, 3), (2, 3, 4))),
                         ("...ij,...jk->...ik", ((2, 3, 4), (4, 2))),
                         ("...ij,jk", ((2, 2, 3), (3, 2))), ("ij->", ((2, 3),)),
                         ("ij->ji", ((2, 3),)), ("iij->j", ((2, 2, 3),)), ("i->", ((4,),)),
                         ("ij,ij,ij->i", ((2, 3), (2, 3), (2, 3))),
                         ("...i,...i", ((3, 1, 4), (2, 4))), ("ba,ab->", ((2, 3), (3, 2))),
                         ("ij,j->ij", ((2, 3), (1,))), (",i->i", ((), (3,))),
                         ("ij,jk,kl->il", ((2, 3), (3, 2), (2, 2))), ("ii,i->i", ((3, 3), (3,))),
                         (" i j , j -> i ", ((2, 3), (3,))), ("Ab,bA->", ((2, 3), (3, 2)))]:
        s.append(Spec(np.einsum, shapes, build=head(subs),
                      label=subs.replace(" ", "_").replace("->", "to").replace(",", "_")
                      .replace("...", "E")))
    s.append(Spec(np.einsum, ((2, 3), (3,)), {"optimize": True}, build=head("ij,j->i")))
    s += variants(np.vecdot, [((3,), (3,)), ((2, 3), (3,)), ((2, 1, 3), (4, 3))])
    s += variants(np.vecdot, [((3, 2), (3, 2))], [{"axis": 0}])
    s += variants(np.linalg.vecdot, [((2, 3), (3,))])
    s += variants(np.kron, [((2,), (3,)), ((2, 3), (2, 2)), ((2,), (2, 3))])
    s += variants(np.trace, [((3, 3),), ((3, 4),)], [{}, {"offset": 1}, {"offset": -1}])
    s += variants(np.trace, [((2, 3, 3),)], [{"axis1": 1, "axis2": 2}, {"axis1": -1,
                                                                        "axis2": 0}])
    s += variants(np.matrix_transpose, [((3, 4),), ((2, 3, 4),)])
    s += variants(np.linalg.matrix_transpose, [((3, 4),)])
    s += variants(np.linalg.inv, [((3, 3),), ((2, 3, 3),)], build=_well_conditioned)
    s += variants(np.linalg.det, [((3, 3),), ((2, 2, 2),), ((1, 1),)], build=_well_conditioned)
    s.append(Spec(np.linalg.det, ((3, 2), (3, 2)), build=_rank_deficient, label="singular"))
    s += variants(np.linalg.slogdet, [((3, 3),), ((2, 3, 3),)], build=_well_conditioned)
    s += variants(np.linalg.slogdet, [((3, 3),)], build=lambda r, fl: [-(fl[0] + 3 * np.eye(3))],
                  label="negdet")
    s += variants(np.linalg.solve, [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (3,)),
                                    ((2, 3, 3), (2, 3, 1)), ((3, 3), (2, 3, 2))],
                  build=_well_conditioned)
    s += variants(np.linalg.cholesky, [((3, 3),), ((2, 3, 3),)], [{}, {"upper": True}],
                  build=_spd)
    return s


# ---------------------------------------------------------------- factories

def _factories() -> list[Spec]:
    s = [
        Spec(np.full, ((2, 3),), build=head((4, 2, 3)), label="array-fill"),
        Spec(np.full, (SCALAR,), build=head((2, 2))),
        Spec(np.full, ((3,),), build=head((2, 3))),
        Spec(np.full_like, ((2, 3), SCALAR)),
        Spec(np.full_like, ((2, 3), (3,)), label="array-fill"),
        Spec(np.linspace, (SCALAR, SCALAR), {"num": 5}),
        Spec(np.linspace, (SCALAR, SCALAR), {"num": 4, "endpoint": False}),
        Spec(np.linspace, (SCALAR, SCALAR), {"num": 1}),
        Spec(np.linspace, ((2,), (3, 1)), {"num": 4, "axis": -1}),
        Spec(np.linspace, ((2,), SCALAR), {"num": 3, "axis": 1}),
        Spec(np.logspace, (SCALAR, SCALAR), {"num": 4}, domain=(-1.0, 1.0)),
        Spec(np.logspace, ((2,), SCALAR, (2,)), domain=((-1.0, 1.0), (-1.0, 1.0), (1.5, 3.0)),
             build=lambda r, fl: [fl[0], fl[1], 4, True, fl[2]], label="base"),
        Spec(np.geomspace, (SCALAR, SCALAR), {"num": 5}, domain=POS),
        Spec(np.geomspace, ((2,), SCALAR), {"num": 3, "endpoint": False}, domain=POS),
        Spec(np.geomspace, (SCALAR, SCALAR), {"num": 4}, domain=(-3.0, -0.5), label="neg"),
        Spec(np.arange, (SCALAR, SCALAR, SCALAR), domain=((0.1, 0.4), (3.6, 3.9), (0.6, 0.7))),
        Spec(np.arange, (SCALAR, SCALAR), domain=((0.1, 0.4), (3.6, 3.9))),
        Spec(np.arange, (SCALAR,), domain=(3.6, 3.9)),
    ]
    s[7].label = "single"
    return s


# ---------------------------------------------------------------- PyTorch-style primitives

def _torchlike() -> list[Spec]:
    from s2sgrad.rules import torchlike as tl
    s = []
    s += variants(tl.erf, UNARY_SHAPES + [((4, 1, 2),)], domain=(-2.5, 2.5))
    s += variants(tl.frac, UNARY_SHAPES, domain=(-3.0, 3.0))
    s += variants(tl.lerp, [((3,), (3,), (3,)), ((3, 1), (4,), ()), ((2, 3), (3,), SCALAR),
                            ((), (), ()), (SCALAR, (3,), (2, 1)), ((2, 3), (2, 3), (1, 3))],
                  domain=(UNIT, UNIT, (-0.5, 1.5)))
    rows = np.array([[0, 1], [2, 2], [3, 0]])
    cols = np.array([[2, 1, 0, 0], [1, 1, 2, 0]])
    s += [
        Spec(tl.gather, ((3, 4),), build=tail(1, rows), label="dim1"),
        Spec(tl.gather, ((3, 4),), build=tail(0, cols), label="dim0"),
        Spec(tl.gather, ((3, 4),), build=tail(-1, rows[:2]), label="smaller"),
        Spec(tl.gather, ((2, 3, 4),), build=tail(2, np.array([[[3, 0]], [[1, 1]]])),
             label="3d"),
        Spec(tl.gather, ((4,),), build=tail(0, np.array(2)), label="0d-index"),
        Spec(tl.gather, ((),), build=tail(0, np.array([0, 0])), label="0d-x"),
    ]
    ones = np.array([[0, 2], [3, 1]])             # distinct positions in each row
    s += [
        Spec(tl.scatter, ((3, 4), (2, 3)), build=lambda r, fl: [fl[0], 1, ones, fl[1]],
             label="dim1"),
        Spec(tl.scatter, ((3, 4), (2, 2)), build=lambda r, fl: [fl[0], 0, np.array(
            [[2, 0], [1, 2]]), fl[1]], label="dim0"),
        Spec(tl.scatter, ((4,), (1,)), build=lambda r, fl: [fl[0], 0, np.array([3]), fl[1]],
             label="1d"),
        Spec(tl.scatter, ((), (1,)), build=lambda r, fl: [fl[0], 0, np.array([0]), fl[1]],
             label="0d-x"),
        Spec(tl.scatter, ((3, 4), SCALAR), build=lambda r, fl: [fl[0], 1, ones, fl[1]],
             label="number"),
        Spec(tl.scatter, ((3, 4), ()), build=lambda r, fl: [fl[0], 0, np.array([[1, 0]]),
                                                            fl[1]], label="0d-src"),
    ]
    mask34 = np.array([[True, False, True, False], [False, False, True, True],
                       [True, True, False, False]])
    s += [
        Spec(tl.masked_fill, ((3, 4), ()), build=lambda r, fl: [fl[0], mask34, fl[1]]),
        Spec(tl.masked_fill, ((4,), ()), build=lambda r, fl: [fl[0], mask34, fl[1]],
             label="bcast"),
        Spec(tl.masked_fill, ((3, 4), SCALAR), build=lambda r, fl: [fl[0], mask34, fl[1]]),
        Spec(tl.masked_fill, ((), ()), build=lambda r, fl: [fl[0], np.array(True), fl[1]]),
    ]
    return s + _torch_extra()


def _torch_extra() -> list[Spec]:
    from s2sgrad.rules import torch_extra as te
    s = []
    s += variants(te.erfc, UNARY_SHAPES[1:], domain=(-2.5, 2.5))
    s += variants(te.erfinv, UNARY_SHAPES[1:], domain=(-0.9, 0.9))
    s += variants(te.logit, UNARY_SHAPES[1:], [{}, {"eps": 0.2}], domain=(0.25, 0.75))
    s += variants(te.xlogy, [((3,), (3,)), ((3, 1), (4,)), ((2, 3), ())], domain=(POS, POS))
    s += variants(te.nan_to_num, UNARY_SHAPES[1:])
    s += variants(te.addmm, [((3,), (2, 4), (4, 3)), ((2,), (2, 3), (3,)),
                             ((2, 3, 2), (2, 3, 4), (2, 4, 2))], [{}, {"beta": 0.5,
                                                                      "alpha": 2.0}])
    s += variants(te.addbmm, [((3, 2), (2, 3, 4), (2, 4, 2))], [{}, {"alpha": 0.5}])
    s += variants(te.addcmul, [((2, 3), (3,), (2, 1)), ((), (), ())], [{}, {"value": 0.5}])
    s += variants(te.addcdiv, [((2, 3), (3,), (2, 1))], [{}, {"value": 2.0}],
                  domain=(UNIT, UNIT, POS))
    s += variants(te.clamp_min, [((3,), (3,)), ((3, 1), (4,))])
    s += variants(te.clamp_max, [((3,), (3,)), ((2, 3), ())])
    s += variants(te.cross, [((2, 3), (2, 3)), ((4, 3), (1, 3))])
    s += [Spec(te.cross, ((3, 2), (3, 2)), {"axis": 0})]
    spread = lambda r, fl: [fl[0] + np.arange(fl[0].size).reshape(fl[0].shape) * 0.1]  # noqa
    s += [Spec(te.logcumsumexp, ((4, 3),), build=tail(0)),
          Spec(te.logcumsumexp, ((5,),), build=tail(-1))]
    s += [Spec(te.kth_all, ((3, 4),), build=spread),
          Spec(te.kth_all, ((5,),), {"nan": "ignore"}, build=spread)]
    s += variants(te.diag_embed, [((3,),), ((2, 3),)], [{}, {"offset": 1}])
    s += [Spec(te.diag_embed, ((2, 3),), {"offset": -1, "dim1": 0, "dim2": 2})]
    s += [Spec(te.unfold, ((2, 5),), build=tail(1, 2, 1)),
          Spec(te.unfold, ((5, 2),), build=tail(0, 2, 2), label="step")]
    rows = np.array([0, 2, 0])
    s += [Spec(te.index_add, ((3, 2), (3, 2)), {"alpha": 2.0},
               build=lambda r, fl: [fl[0], 0, rows, fl[1]]),
          Spec(te.index_copy, ((2, 3), (2, 2)), build=lambda r, fl: [fl[0], 1, np.array([2, 0]),
                                                                     fl[1]]),
          Spec(te.index_fill, ((2, 3),), build=tail(1, np.array([2]), -1)),
          Spec(te.scatter_add_dim, ((2, 3), (1, 3)),
               build=lambda r, fl: [fl[0], 0, np.array([[0, 1, 0]]), fl[1]]),
          Spec(te.index_put_add, ((2, 3), (3,)),
               build=lambda r, fl: [fl[0], (np.array([0, 0, 1]),), fl[1]])]
    return s


def _nn_layers() -> list[Spec]:
    from s2sgrad.rules import nn as R
    s = []
    act = [((),), ((3,),), ((2, 3),), ((2, 3, 4),)]
    s += variants(R.leaky_relu, act, [{}, {"negative_slope": 0.2}])
    s += variants(R.gelu, act, [{}, {"approximate": "tanh"}], domain=(-3.0, 3.0))
    s += variants(R.silu, act, domain=(-4.0, 4.0))
    s += variants(R.elu, act, [{}, {"alpha": 0.5}])
    s += variants(R.softplus, act, [{}, {"beta": 2.0, "threshold": 1.0}])
    prob = ((0.05, 0.95), (0.0, 1.0))
    s += variants(R.binary_cross_entropy, [((3, 4), (3, 4)), ((), ()), ((5,), (5,))],
                  [{}, {"reduction": "sum"}, {"reduction": "none"}], domain=prob)
    s += variants(R.binary_cross_entropy, [((3, 4), (3, 4))],
                  [{"weight": np.array([0.5, 1.0, 2.0, 1.5])},
                   {"weight": np.array([0.5, 1.0, 2.0, 1.5]), "reduction": "none"}],
                  domain=prob)
    robust = [((3, 4), (3, 4)), ((3, 1), (4,)), ((), ()), ((5,), ())]
    red = [{}, {"reduction": "sum"}, {"reduction": "none"}]
    s += variants(R.smooth_l1_loss, robust, red + [{"beta": 0.5}, {"beta": 2.5}])
    s += variants(R.huber_loss, robust, red + [{"delta": 0.5}, {"delta": 2.5,
                                                                "reduction": "sum"}])
    s += [
        Spec(R.layer_norm, ((2, 3, 4), (4,), (4,)), build=lambda r, fl: [fl[0], (4,), *fl[1:]],
             label="affine"),
        Spec(R.layer_norm, ((2, 3, 4), (3, 4), (3, 4)),
             build=lambda r, fl: [fl[0], (3, 4), *fl[1:]], label="2d"),
        Spec(R.layer_norm, ((3, 5),), build=lambda r, fl: [fl[0], (5,)], label="plain"),
        Spec(R.layer_norm, ((3, 5), (5,)), {"eps": 0.1},
             build=lambda r, fl: [fl[0], (5,), fl[1]], label="weight-only"),
        Spec(R.layer_norm, ((4,), (4,), (4,)), build=lambda r, fl: [fl[0], [4], *fl[1:]],
             label="1d"),
    ]
    s += [
        Spec(R.embedding, ((5, 3),), build=head(np.array([[0, 2, 2], [4, 1, 0]])),
             label="repeat"),
        # PyTorch gives the padding row no gradient although it is read, which differences
        # cannot confirm: here it is a row nobody reads (tests/nn checks the convention).
        Spec(R.embedding, ((5, 3),), {"padding_idx": 3},
             build=head(np.array([1, 2, 1, 4])), label="padding"),
        Spec(R.embedding, ((5, 3),), {"padding_idx": -1}, build=head(np.array(2)),
             label="0d-padding-last"),
    ]
    return s


SPECS: list[Spec] = (_elementwise() + _reductions() + _shape_ops() + _joins() + _linalg()
                     + _factories() + _torchlike() + _nn_layers())


def _decompositions() -> list[Spec]:
    # torch.linalg's eigh, svd, qr and symmetric-gradient cholesky (rules/decompositions):
    # well-separated eigen/singular values, full-rank QR inputs.
    from s2sgrad.rules import decompositions as D
    s = variants(D.eigh_sym, [((3, 3),), ((2, 3, 3),)], [{}, {"upper": True}], build=_spd)
    s += variants(D.svd_reduced, [((3, 3),), ((4, 2),), ((2, 2, 4),)])
    s += variants(D.svdvals, [((3, 3),), ((2, 4),), ((2, 3, 2),)])
    s += variants(D.qr_reduced, [((3, 3),), ((4, 2),), ((2, 3, 3),)], build=_well_conditioned_qr)
    s += variants(D.cholesky_sym, [((3, 3),), ((2, 3, 3),)], [{}, {"upper": True}],
                  build=_spd)
    return s


def _well_conditioned_qr(rng, fl):
    a = fl[0]
    return [a + 3.0 * np.eye(*a.shape[-2:])]


SPECS += _decompositions()


def _special_functions() -> list[Spec]:
    # torch.special's functions NumPy lacks (rules/special_functions).
    from s2sgrad.rules import special_functions as F
    one = [((),), ((3,),), ((2, 3),)]
    s = variants(F.lgamma, one, domain=(0.2, 6.0)) + variants(F.lgamma, [((4,),)],
                                                                domain=(-2.9, -2.1))
    s += variants(F.digamma, one, domain=(0.2, 15.0)) + variants(F.digamma, [((4,),)],
                                                                  domain=(-0.9, -0.1))
    s += variants(F.entr, one, domain=(0.1, 3.0))
    s += variants(F.xlog1py, [((), ()), ((3, 1), (4,)), ((2, 3), ())], domain=((-2.0, 2.0),
                                                                                (-0.5, 2.0)))
    s += variants(F.i0, one, domain=(-4.0, 4.0)) + variants(F.i1, one, domain=(-4.0, 4.0))
    s += [Spec(F.polygamma, ((3,),), build=head(n), domain=(0.3, 12.0), label=f"n{n}")
          for n in (1, 2)]
    s.append(Spec(F.polygamma, ((3,),), build=head(1), domain=(-1.9, -1.1), label="negative"))
    s += variants(F.ndtri, one, domain=(0.05, 0.95))
    s += variants(F.log_ndtr, one, domain=(-4.0, 4.0))
    s += variants(F.log_ndtr, [((3,),)], domain=(-30.0, -21.0), label="tail")
    return s


SPECS += _special_functions()
