"""The PyTorch-compatible CPU generator.

Fixed values were measured on torch 2.13 CPU after the same ``manual_seed``; where torch is
importable, randomized sequences of mixed calls are also compared with it directly.
"""
import math
import time
from fractions import Fraction

import numpy as np
import pytest

from s2sgrad.runtime import random as rnd
from s2sgrad.runtime.printing import tensor_repr
from s2sgrad.runtime.random import Generator


def gen(seed=0):
    return Generator().manual_seed(seed)


def f32(*v):
    return np.array(v, np.float32)


# ----- measured values ----------------------------------------------------------------------

def test_seed0_streams():
    assert np.array_equal(gen().randn(3), f32(1.5409960746765137, -0.293428897857666,
                                              -2.1787893772125244))
    assert np.array_equal(gen().rand(3), f32(0.49625658988952637, 0.7682217955589294,
                                             0.08847743272781372))
    assert gen().randint(0, 10, (5,)).tolist() == [4, 9, 3, 0, 3]
    assert gen().randint(0, 10, (5,)).dtype == np.int64
    assert gen().randperm(10).tolist() == [4, 1, 7, 5, 3, 9, 0, 8, 6, 2]
    assert tensor_repr(gen().randn((2, 3))) == (
        "tensor([[ 1.5410, -0.2934, -2.1788],\n        [ 0.5684, -1.0845, -1.3986]])")
    assert tensor_repr(gen().rand((2, 3))) == (
        "tensor([[0.4963, 0.7682, 0.0885],\n        [0.1320, 0.3074, 0.6341]])")


def test_seed42_streams():
    assert tensor_repr(gen(42).randn(3)) == "tensor([0.3367, 0.1288, 0.2345])"
    assert tensor_repr(gen(42).rand(3)) == "tensor([0.8823, 0.9150, 0.3829])"


def test_float64_streams():
    assert gen().randn(3, np.float64).tolist() == [1.5409961082440433, -0.2934289057609464,
                                                   -2.1787893820745574]
    assert gen().rand(2, np.float64).tolist() == [0.9700530018065531, 0.707819864399788]
    assert gen().randn(16, np.float64)[:4].tolist() == [
        -2.310411800234176, -0.3732508612577643, -1.0608166785462863, 0.9995093547811761]


def test_fills_and_wide_integers():
    g = gen()
    assert np.array_equal(g.uniform_(np.empty((2, 3), np.float32), -0.5, 0.25), np.array(
        [[-0.12780755758285522, 0.07616634666919708, -0.4336419105529785],
         [-0.40097713470458984, -0.2694329023361206, -0.024440988898277283]], np.float32))
    assert gen().uniform_(np.empty((2, 3)), -0.5, 0.25).tolist() == [
        [0.2275397513549148, 0.03086489829984096, -0.15546279265441185],
        [0.19056076309147021, -0.016231909907926417, 0.09336091913522776]]
    assert np.array_equal(gen().normal_(np.empty(5, np.float32), 2.0, 3.0), f32(
        6.622988224029541, 1.119713306427002, -4.536368370056152, 3.705293893814087,
        -1.2535669803619385))
    g = gen()
    g.randperm(10)      # nine words
    assert g.randint(0, 2**40, (2,)).tolist() == [909012193557, 1041261508388]
    g = gen()
    assert g.random_(np.empty(4, np.int64)).tolist() == [
        900450186894289455, 3969543146641149120, 1895649597198586619, 827948490035658087]
    assert g.random_(np.empty(3, np.float32)).tolist() == [7644061.0, 10608180.0, 5853296.0]


def test_bernoulli_stream():
    drawn = gen().bernoulli_(np.empty(20, np.float32), 0.5)
    assert drawn.tolist() == [0, 0, 1, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 0]
    assert drawn.dtype == np.float32
    assert gen().bernoulli_(np.empty(50), 0.0).sum() == 0
    assert gen().bernoulli_(np.empty(50), 1.0).sum() == 50


def test_randn_switches_algorithm_at_16():
    small = f32(1.5410, -0.2934, -2.1788, 0.5684)
    for n in (4, 7, 15):
        assert np.allclose(gen().randn(n)[:4], small, atol=1e-4)
    assert np.allclose(gen().randn(16)[:4], f32(-1.1258, -1.1524, -0.2506, -0.4339), atol=1e-4)
    assert np.allclose(gen().randn((4, 4)).ravel()[:4], f32(-1.1258, -1.1524, -0.2506, -0.4339),
                       atol=1e-4)
    # The tail of a size that is not a multiple of 16 is redone from fresh uniforms.
    assert np.allclose(gen().randn(17)[:4], f32(-1.1258, -1.6959, 0.5667, 0.7935), atol=1e-4)
    assert tensor_repr(gen().randn(20)) == (
        "tensor([-1.1258, -1.1524, -0.2506, -0.4339,  0.5988, -1.5551, -0.3414,  1.8530,\n"
        "         0.4681, -0.1577,  1.4437,  0.2660,  1.3894,  1.5863,  0.9463, -0.8437,\n"
        "         0.9318,  1.2590,  2.0050,  0.0537])")


def test_seeded_tutorial_layouts_continue_the_stream():
    g = gen()
    assert tensor_repr(g.randn((2, 3))).startswith("tensor([[ 1.5410, -0.2934, -2.1788],")
    assert tensor_repr(g.randn(3)) == "tensor([ 0.4033,  0.8380, -0.7193])"
    assert tensor_repr(g.randn((2, 3, 4))).startswith("tensor([[[ 0.5988, -1.5551, -0.3414,")


# ----- stream bookkeeping ---------------------------------------------------------------------

@pytest.mark.parametrize("draw", [
    lambda g, n: g.rand(n),
    lambda g, n: g.rand(n, np.float64),
    lambda g, n: g.randn(n),
    lambda g, n: g.randn(n, np.float64),
    lambda g, n: g.randint(-3, 1000, (n,)),
    lambda g, n: g.randint(0, 2**35, (n,)),
    lambda g, n: g.bernoulli_(np.empty(n), 0.3),
    lambda g, n: g.uniform_(np.empty(n, np.float32), -2.0, 5.0),
], ids=["rand", "rand64", "randn", "randn64", "randint", "randint_wide", "bernoulli",
        "uniform"])
def test_consecutive_calls_equal_one_bigger_call(draw):
    g = gen(7)
    parts = np.concatenate([draw(g, 3), draw(g, 4), draw(g, 1), draw(g, 5)])
    assert np.array_equal(parts, draw(gen(7), 13))


def test_blockwise_normals_split_on_block_boundaries():
    g = gen(3)
    parts = np.concatenate([g.randn(16), g.randn(32)])
    assert np.array_equal(parts, gen(3).randn(48))
    assert not np.array_equal(gen(3).randn(20)[:16], gen(3).randn(16))


def test_cached_normal_survives_other_draws_and_is_cleared_by_seeding():
    g = gen()
    g.randn(3)          # leaves the second value of the second pair cached
    g.randn(16)         # the blockwise path neither uses nor clears the cache
    g.rand(5)
    assert g.randn(1)[0] == gen().randn(4)[3]
    g = gen()
    g.randn(3)
    g.manual_seed(0)
    assert g.randn(1)[0] == gen().randn(1)[0]


def test_manual_seed_semantics():
    g = Generator()
    assert g.initial_seed() == 67280421310721
    assert g.manual_seed(2**40) is g
    assert g.initial_seed() == 2**40
    assert np.array_equal(g.rand(4), gen(0).rand(4))
    assert gen(-1).initial_seed() == 2**64 - 1
    assert np.array_equal(gen(-1).rand(3), gen(2**32 - 1).rand(3))
    with pytest.raises(ValueError, match="Overflow when unpacking long long"):
        g.manual_seed(2**64)
    with pytest.raises(RuntimeError, match="manual_seed expected a long, but got float"):
        g.manual_seed(3.0)


def test_default_generator_functions():
    saved = rnd.get_rng_state()
    try:
        assert rnd.manual_seed(5) is rnd.default_generator
        assert rnd.initial_seed() == 5
        a = rnd.default_generator.randn(5)
        rnd.manual_seed(5)
        assert np.array_equal(rnd.default_generator.randn(5), a)
        s = rnd.seed()
        assert rnd.initial_seed() == s and 0 <= s < 2**64
    finally:
        rnd.set_rng_state(saved)


def test_state_round_trip_includes_position_and_cached_normal():
    g = gen(11)
    g.randn(5)          # odd count: a normal is cached
    g.rand(700)         # crosses an MT block boundary
    state = g.get_state()
    assert state.dtype == np.uint8 and state.shape == (5056,)
    first = (g.randn(3), g.rand(4), g.randint(0, 9, (6,)))
    h = Generator().set_state(state)
    assert h.initial_seed() == 11
    second = (h.randn(3), h.rand(4), h.randint(0, 9, (6,)))
    for a, b in zip(first, second):
        assert np.array_equal(a, b)
    with pytest.raises(RuntimeError, match="found the input RNG state size to be 12"):
        h.set_state(np.zeros(12, np.uint8))


def test_non_contiguous_fills_follow_memory_order():
    base = np.empty((5, 7), np.float32)
    gen(2).normal_(base.T, 1.0, 2.0)   # not contiguous: the one-at-a-time path, memory order
    g = gen(2)
    serial = np.concatenate([g.normal_(np.empty(5, np.float32), 1.0, 2.0) for _ in range(7)])
    assert np.array_equal(base.ravel(), serial)
    base = np.empty((4, 6))
    gen(4).uniform_(base.T, -1.0, 1.0)
    assert np.array_equal(base.ravel(), gen(4).uniform_(np.empty(24), -1.0, 1.0))


def test_randperm_is_a_permutation():
    for n in (0, 1, 2, 3, 50, 1000):
        p = gen(n).randperm(n)
        assert p.dtype == np.int64
        assert sorted(p.tolist()) == list(range(n))
    # n - 1 words are used: the stream continues right after them.
    g = gen(9)
    g.randperm(50)
    h = gen(9)
    h.randint(0, 10, (49,))
    assert np.array_equal(g.rand(3), h.rand(3))


def test_moments():
    g = gen(1)
    serial = np.concatenate([g.randn(15) for _ in range(5000)])
    for x in (g.randn(200_000), g.randn(200_000, np.float64), serial):
        assert abs(x.mean()) < 0.01 and abs(x.std() - 1) < 0.01
    u = g.rand(200_000)
    assert u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.005
    b = g.bernoulli_(np.empty(200_000), 0.2)
    assert abs(b.mean() - 0.2) < 0.005
    r = g.randint(-5, 5, (100_000,))
    assert r.min() == -5 and r.max() == 4


def test_uniform_stays_below_the_upper_bound():
    # In float32, 1e6 + u rounds up to 1e6 + 1 for u close to 1; PyTorch maps those to a.
    x = gen().uniform_(np.empty(20_000, np.float32), 1e6, 1e6 + 1)
    assert x.max() < np.float32(1e6 + 1) and (x == np.float32(1e6)).sum() > 500
    h = gen().uniform_(np.empty(20_000, np.float16), 0.0, 1.0)
    assert h.max() < 1


def test_errors():
    g = gen()
    with pytest.raises(RuntimeError, match=r"^uniform_ expects to return a \[from, to\) "
                                           r"range, but found from=2 > to=1$"):
        g.uniform_(np.empty(3, np.float32), 2, 1)
    with pytest.raises(RuntimeError, match="^to is out of bounds for float$"):
        g.uniform_(np.empty(3, np.float32), 0, math.inf)
    with pytest.raises(RuntimeError, match="^normal expects std >= 0.0, but found std -1$"):
        g.normal_(np.empty(3, np.float32), 0, -1)
    with pytest.raises(RuntimeError, match=r"^bernoulli_ expects p to be in \[0, 1\], but "
                                           r"got p=1.5$"):
        g.bernoulli_(np.empty(3), 1.5)
    with pytest.raises(RuntimeError, match="^random_ expects 'from' to be less than 'to', "
                                           "but got from=5 >= to=5$"):
        g.randint(5, 5, (3,))
    with pytest.raises(RuntimeError, match=r"negative dimension -1: \[-1\]"):
        g.randperm(-1)
    with pytest.raises(NotImplementedError, match="\"normal_kernel_cpu\" not implemented "
                                                  "for 'Long'"):
        g.normal_(np.empty(3, np.int64))
    with pytest.raises(NotImplementedError, match="check_uniform_bounds"):
        g.uniform_(np.empty(3, np.int64))


def test_fma_is_correctly_rounded():
    rng = np.random.default_rng(0)
    x = rng.random(3000)
    cases = [(x, 0.7, -0.35), (x * 1e-8, 3.3, 1.0), (rng.standard_normal(3000), -2.5, 1e-3),
             (rng.random(3000) * 2**-30, 1.0 + 2**-40, -(2**-31))]
    for xs, y, z in cases:
        got = rnd._fma(xs, y, z)
        want = [float(Fraction(a) * Fraction(y) + Fraction(z)) for a in xs.tolist()]
        assert got.tolist() == want
    # A case where the product and the sum round differently from one fused rounding.
    a, b, c = 1.0 + 2**-30, 1.0 + 2**-30, -(1.0 + 2**-29)
    assert rnd._fma(np.array([a]), b, c)[0] == 2.0**-60 != a * b + c


# ----- randomized comparison against PyTorch ----------------------------------------------------

def _mixed_sequence(torch, rng, g):
    """One random sequence of calls on ``g`` and on torch's default generator."""
    for _ in range(int(rng.integers(1, 10))):
        kind = str(rng.choice(["rand", "randn", "randint", "uniform", "normal", "perm",
                               "bernoulli", "random"]))
        nd = int(rng.integers(0, 4))
        shape = tuple(int(s) for s in rng.integers(1, 9, size=nd))
        if rng.random() < 0.25:
            shape = (int(rng.integers(0, 2500)),)
        n = math.prod(shape)
        f64 = rng.random() < 0.5
        nt, tt = (np.float64, torch.float64) if f64 else (np.float32, torch.float32)
        tol = 0.0
        if kind == "rand":
            mine, ref = g.rand(shape, nt), torch.rand(shape, dtype=tt)
        elif kind == "randn":
            mine, ref = g.randn(shape, nt), torch.randn(shape, dtype=tt)
            tol = 1e-6 if (not f64 and n >= 16) else 0.0
        elif kind == "randint":
            low = int(rng.integers(-10**6, 10**6))
            high = low + int(10 ** rng.uniform(0, 14)) + 1
            mine, ref = g.randint(low, high, shape), torch.randint(low, high, shape)
        elif kind == "uniform":
            a = float(rng.normal() * 10.0 ** rng.integers(-3, 3))
            b = a + float(rng.random() * 10.0 ** rng.integers(-3, 3))
            mine = g.uniform_(np.empty(shape, nt), a, b)
            ref = torch.empty(shape, dtype=tt).uniform_(a, b)
        elif kind == "normal":
            m, s = float(rng.normal()), float(rng.random() * 3)
            mine = g.normal_(np.empty(shape, nt), m, s)
            ref = torch.empty(shape, dtype=tt).normal_(m, s)
            tol = 1e-6 * max(1.0, s) if (not f64 and n >= 16) else 0.0
        elif kind == "perm":
            k = int(rng.integers(0, 200))
            mine, ref = g.randperm(k), torch.randperm(k)
        elif kind == "bernoulli":
            p = float(rng.random())
            mine = g.bernoulli_(np.empty(shape, nt), p)
            ref = torch.empty(shape, dtype=tt).bernoulli_(p)
        else:
            mine = g.random_(np.empty(shape, np.int64))
            ref = torch.empty(shape, dtype=torch.int64).random_()
        ref = ref.numpy()
        assert mine.dtype == ref.dtype and mine.shape == ref.shape, kind
        if tol:
            assert np.max(np.abs(mine - ref), initial=0.0) <= tol * max(
                1.0, float(np.max(np.abs(ref), initial=0.0))), kind
        else:
            assert np.array_equal(mine, ref), kind


def test_mixed_sequences_match_torch():
    torch = pytest.importorskip("torch")
    saved = torch.get_rng_state()
    rng = np.random.default_rng(2024)
    g = Generator()
    try:
        for _ in range(120):
            s = int(rng.integers(0, 2**40))
            g.manual_seed(s)
            torch.manual_seed(s)
            _mixed_sequence(torch, rng, g)
            # Same position, same cached normal: the state bytes are PyTorch's.
            assert np.array_equal(g.get_state(), torch.get_rng_state().numpy())
    finally:
        torch.set_rng_state(saved)


def test_state_is_interchangeable_with_torch():
    torch = pytest.importorskip("torch")
    saved = torch.get_rng_state()
    try:
        torch.manual_seed(123)
        torch.randn(5)
        torch.rand(1000)
        g = Generator().set_state(torch.get_rng_state().numpy())
        assert g.initial_seed() == 123
        assert np.array_equal(g.randn(7), torch.randn(7).numpy())
        torch.set_rng_state(torch.from_numpy(g.get_state()))
        assert np.array_equal(g.rand(9), torch.rand(9).numpy())
    finally:
        torch.set_rng_state(saved)


def test_0d_and_empty_shapes():
    g = gen()
    x = g.randn(())
    assert x.shape == () and tensor_repr(x) == "tensor(1.5410)"
    assert g.rand((0, 3)).shape == (0, 3) and g.randn(0).shape == (0,)
    assert g.randint(0, 5, (2, 0)).shape == (2, 0)
    # Empty draws consume nothing: the cached normal is still the next sample.
    assert g.randn(1)[0] == gen().randn(2)[1]


def test_a_million_samples_are_vectorised():
    g = gen()
    start = time.perf_counter()
    g.rand(10**6)
    g.randn(10**6)
    g.uniform_(np.empty(10**6, np.float32), -1, 1)
    g.randint(0, 10, (10**6,))
    g.bernoulli_(np.empty(10**6, np.float32), 0.5)
    assert time.perf_counter() - start < 2.0


def test_strided_fills_and_probability_arrays_match_torch():
    torch = pytest.importorskip("torch")
    saved = torch.get_rng_state()
    try:
        for dt, tdt in ((np.float32, torch.float32), (np.float64, torch.float64)):
            torch.manual_seed(17)
            g = gen(17)
            ours, theirs = np.zeros((6, 5), dt), torch.zeros(6, 5, dtype=tdt)
            # Non-contiguous targets take the one-at-a-time kernels, in memory order.
            g.normal_(ours.T, 0.5, 2.0)
            theirs.t().normal_(0.5, 2.0)
            g.uniform_(ours[:, ::2], -1.0, 2.0)
            theirs[:, ::2].uniform_(-1.0, 2.0)
            g.bernoulli_(ours[::2].T, 0.4)
            theirs[::2].t().bernoulli_(0.4)
            assert np.array_equal(ours, theirs.numpy())
            # Probability arrays, broadcast, draw float or double uniforms by their dtype.
            probs = gen(3).rand(5, dt)
            mine = g.bernoulli_(np.empty((4, 5), np.float32), probs)
            ref = torch.empty(4, 5).bernoulli_(torch.from_numpy(probs))
            assert np.array_equal(mine, ref.numpy())
            assert np.array_equal(g.rand(3, dt), torch.rand(3, dtype=tdt).numpy())
    finally:
        torch.set_rng_state(saved)


def test_explicit_generators_match_torch():
    torch = pytest.importorskip("torch")
    assert np.array_equal(Generator().rand(5), torch.rand(5, generator=torch.Generator()).numpy())
    tg, g = torch.Generator().manual_seed(9), gen(9)
    assert np.array_equal(g.randn(4), torch.randn(4, generator=tg).numpy())
    assert np.array_equal(g.randperm(10**4), torch.randperm(10**4, generator=tg).numpy())
    assert np.array_equal(g.randint(-9, 2**31, (999,), dtype=np.int32),
                          torch.randint(-9, 2**31, (999,), generator=tg,
                                        dtype=torch.int32).numpy())
    assert np.array_equal(g.randn((30, 31), np.float64),
                          torch.randn(30, 31, generator=tg, dtype=torch.float64).numpy())


@pytest.mark.parametrize("fan_in, fan_out", [(3, 2), (400, 300), (16 * 9, 32)])
def test_default_linear_init_is_bit_exact(fan_in, fan_out):
    torch = pytest.importorskip("torch")
    saved = torch.get_rng_state()
    try:
        torch.manual_seed(0)
        layer = torch.nn.Linear(fan_in, fan_out)
    finally:
        torch.set_rng_state(saved)
    g = gen(0)
    bound = math.sqrt(3) * math.sqrt(1 / 3) / math.sqrt(fan_in)
    weight = g.uniform_(np.empty((fan_out, fan_in), np.float32), -bound, bound)
    bias = g.uniform_(np.empty(fan_out, np.float32), -1 / math.sqrt(fan_in),
                      1 / math.sqrt(fan_in))
    assert np.array_equal(weight, layer.weight.detach().numpy())
    assert np.array_equal(bias, layer.bias.detach().numpy())


def test_dropout_mask_matches_torch():
    torch = pytest.importorskip("torch")
    saved = torch.get_rng_state()
    try:
        torch.manual_seed(5)
        out = torch.nn.functional.dropout(torch.ones(2000), 0.4).numpy()
    finally:
        torch.set_rng_state(saved)
    # Dropout draws its mask as bernoulli_(1 - p) on a tensor shaped like the input.
    mask = gen(5).bernoulli_(np.empty(2000, np.float32), 1 - 0.4)
    assert np.array_equal(out != 0, mask != 0)
