"""``s2sgrad.distributions`` against ``torch.distributions``.

One table of specs (a constructor over parameter arrays with their domains and batch
shapes, and a generator of values to score) drives: log_prob, entropy, mean, variance,
cdf and KL values against torch in float64; float64 ``gradcheck`` of log_prob + entropy
and of an rsample-based loss with respect to the parameters; sample shapes. Then samples
against torch after the same ``manual_seed`` (bit-identical except MultivariateNormal and
Laplace, which agree to rounding),
reprs and validation error texts.
"""
from __future__ import annotations

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.autograd import gradcheck

D = sg.distributions
RNG = np.random.default_rng(7)


def _real(shape):
    return RNG.standard_normal(shape)


def _pos(shape):
    return RNG.uniform(0.5, 2.0, shape)


def _prob(shape):
    return RNG.uniform(0.1, 0.9, shape)


def _simplex(shape):
    p = RNG.uniform(0.2, 1.0, shape)
    return p / p.sum(-1, keepdims=True)


def _tril(shape):
    a = np.tril(RNG.standard_normal(shape) * 0.3)
    idx = np.arange(shape[-1])
    a[..., idx, idx] = RNG.uniform(0.8, 1.5, shape[:-1])
    return a


def _spd(shape):
    a = RNG.standard_normal(shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


# name: (constructor(lib, *params), [(domain, shape)], value(batch+event shape), reparam)
SPECS = {
    "normal": (lambda d, a, b: d.Normal(a, b), [(_real, (3, 2)), (_pos, (2,))], _real, True),
    "normal_0d": (lambda d, a, b: d.Normal(a, b), [(_real, ()), (_pos, ())], _real, True),
    "uniform": (lambda d, a, b: d.Uniform(a, a + b), [(_real, (4,)), (_pos, (4,))],
                None, True),
    "exponential": (lambda d, r: d.Exponential(r), [(_pos, (2, 3))], _pos, True),
    "laplace": (lambda d, a, b: d.Laplace(a, b), [(_real, (2, 1)), (_pos, (3,))], _real, True),
    "bernoulli_probs": (lambda d, p: d.Bernoulli(probs=p), [(_prob, (2, 3))], "binary", False),
    "bernoulli_logits": (lambda d, lg: d.Bernoulli(logits=lg), [(_real, (4,))], "binary",
                         False),
    "categorical_probs": (lambda d, p: d.Categorical(probs=p), [(_simplex, (2, 4))], "index",
                          False),
    "categorical_logits": (lambda d, lg: d.Categorical(logits=lg), [(_real, (3, 5))],
                           "index", False),
    "onehot": (lambda d, lg: d.OneHotCategorical(logits=lg), [(_real, (2, 3))], "onehot",
               False),
    "mvn_cov": (lambda d, m, c: d.MultivariateNormal(m, covariance_matrix=c),
                [(_real, (2, 3)), (_spd, (3, 3))], _real, True),
    "mvn_tril": (lambda d, m, s: d.MultivariateNormal(m, scale_tril=s),
                 [(_real, (3,)), (_tril, (2, 3, 3))], _real, True),
    "mvn_precision": (lambda d, m, p: d.MultivariateNormal(m, precision_matrix=p),
                      [(_real, (2,)), (_spd, (2, 2))], _real, True),
    "independent": (lambda d, a, b: d.Independent(d.Normal(a, b), 1),
                    [(_real, (2, 3)), (_pos, (2, 3))], _real, True),
}
PARAMS = {name: [dom(shape) for dom, shape in spec[1]] for name, spec in SPECS.items()}


def _values(name, dist):
    shape = tuple(dist.batch_shape) + tuple(dist.event_shape)
    kind = SPECS[name][2]
    if kind is None:                                   # inside Uniform's support
        low, high = dist.low.numpy(), dist.high.numpy()
        return low + RNG.uniform(0.1, 0.9, shape) * (high - low)
    if kind == "binary":
        return RNG.integers(0, 2, shape).astype(np.float64)
    if kind == "index":
        return RNG.integers(0, dist._num_events, shape)
    if kind == "onehot":
        return np.eye(shape[-1])[RNG.integers(0, shape[-1], shape[:-1])]
    return kind(shape)


def _build(lib, name, arrays, grad=False):
    ts = [lib.tensor(a, dtype=lib.float64, requires_grad=grad) for a in arrays]
    return SPECS[name][0](lib.distributions, *ts), ts


@pytest.fixture
def no_validation():
    """gradcheck perturbs every entry (a scale_tril's upper part too): skip validation."""
    D.Distribution.set_default_validate_args(False)
    yield
    D.Distribution.set_default_validate_args(True)


def _close(a, b):
    np.testing.assert_allclose(np.asarray(a.detach().numpy()), b.detach().numpy(),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", SPECS)
def test_statistics_match_torch(name):
    torch = pytest.importorskip("torch")
    ours, _ = _build(sg, name, PARAMS[name])
    theirs, _ = _build(torch, name, PARAMS[name])
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    value = _values(name, ours)
    _close(ours.log_prob(sg.tensor(value)), theirs.log_prob(torch.tensor(value)))
    for stat in ("entropy", "mean", "variance", "stddev", "mode"):
        try:
            want = getattr(theirs, stat)
            want = want() if callable(want) else want
        except NotImplementedError:
            continue
        got = getattr(ours, stat)
        _close(got() if callable(got) else got, want)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("name", SPECS)
def test_log_prob_and_entropy_gradcheck(name, no_validation):
    dist, _ = _build(sg, name, PARAMS[name])
    value = sg.tensor(_values(name, dist))

    def f(*ts):
        d = SPECS[name][0](D, *ts)
        return d.log_prob(value).sum() + d.entropy().sum()
    assert gradcheck(f, _build(sg, name, PARAMS[name], grad=True)[1])


@pytest.mark.parametrize("name", [n for n, s in SPECS.items() if s[3]])
def test_rsample_loss_gradcheck(name, no_validation):
    def f(*ts):
        sg.manual_seed(3)           # the same noise on every evaluation
        return SPECS[name][0](D, *ts).rsample((2,)).pow(2).sum()
    assert gradcheck(f, _build(sg, name, PARAMS[name], grad=True)[1])


@pytest.mark.parametrize("name", SPECS)
@pytest.mark.parametrize("sample_shape", [(), (5,), (2, 3)])
def test_samples_equal_torch_after_manual_seed(name, sample_shape):
    torch = pytest.importorskip("torch")
    ours, _ = _build(sg, name, PARAMS[name])
    theirs, _ = _build(torch, name, PARAMS[name])
    sg.manual_seed(11)
    torch.manual_seed(11)
    got, want = ours.sample(sample_shape), theirs.sample(sample_shape)
    assert tuple(got.shape) == tuple(want.shape) == (
        sample_shape + tuple(ours.batch_shape) + tuple(ours.event_shape))
    if name.startswith("mvn") or name == "laplace":
        # MVN: loc + L @ eps with torch's eps; the matmul may round differently. Laplace:
        # the same uniforms, but torch's SLEEF log1p differs from NumPy's by an ulp at times.
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, atol=1e-12)
    else:
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert got.dtype == getattr(sg, str(want.dtype).split(".")[1])
    # The streams stay aligned afterwards.
    assert sg.rand(3).tolist() == torch.rand(3).tolist()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_normal_rsample_is_reparameterised(dtype):
    torch = pytest.importorskip("torch")
    loc, scale = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.5, 3.0])
    dt, tdt = getattr(sg, dtype), getattr(torch, dtype)
    sg.manual_seed(5)
    torch.manual_seed(5)
    got = D.Normal(sg.tensor(loc, dtype=dt), sg.tensor(scale, dtype=dt)).rsample((4,))
    want = torch.distributions.Normal(torch.tensor(loc, dtype=tdt),
                                      torch.tensor(scale, dtype=tdt)).rsample((4,))
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    sg.manual_seed(5)
    eps = sg.randn(4, 3, dtype=dt)
    np.testing.assert_array_equal(got.numpy(), (sg.tensor(loc, dtype=dt) + eps *
                                                sg.tensor(scale, dtype=dt)).numpy())


KL_PAIRS = {
    "normal": ("normal", "normal"), "bernoulli": ("bernoulli_probs", "bernoulli_logits"),
    "categorical": ("categorical_probs", "categorical_probs"),
    "exponential": ("exponential", "exponential"), "laplace": ("laplace", "laplace"),
    "onehot": ("onehot", "onehot"), "mvn": ("mvn_cov", "mvn_tril"),
    "independent": ("independent", "independent"),
}


def _kl_params(p, q):
    return PARAMS[p], [dom(shape) for dom, shape in SPECS[q][1]]


@pytest.mark.parametrize("pair", KL_PAIRS)
def test_kl_matches_torch_and_gradcheck(pair, no_validation):
    torch = pytest.importorskip("torch")
    p, q = KL_PAIRS[pair]
    pp, qp = _kl_params(p, q)
    if pair == "bernoulli":
        qp = [_real((2, 3))]    # torch's masked writes need p and q of one shape
    want = torch.distributions.kl_divergence(_build(torch, p, pp)[0], _build(torch, q, qp)[0])
    _close(D.kl_divergence(_build(sg, p, pp)[0], _build(sg, q, qp)[0]), want)

    def f(*ts):
        return D.kl_divergence(SPECS[p][0](D, *ts[:len(pp)]), SPECS[q][0](D, *ts[len(pp):]))
    assert gradcheck(f, _build(sg, p, pp, True)[1] + _build(sg, q, qp, True)[1])


def test_kl_uniform_and_edge_cases():
    torch = pytest.importorskip("torch")
    lo, hi = [0.0, -1.0, 0.5], [1.0, 2.0, 0.7]
    cases = [(lo, hi, [-0.5, -1.0, 0.0], [1.5, 3.0, 0.6])]
    for a, b, c, d in cases:
        got = D.kl_divergence(D.Uniform(sg.tensor(a), sg.tensor(b)),
                              D.Uniform(sg.tensor(c), sg.tensor(d)))
        td = torch.distributions
        want = td.kl_divergence(td.Uniform(torch.tensor(a), torch.tensor(b)),
                                td.Uniform(torch.tensor(c), torch.tensor(d)))
        assert got.tolist() == pytest.approx(want.tolist())
    got = D.kl_divergence(D.Bernoulli(sg.tensor([0.0, 1.0, 0.5])),
                          D.Bernoulli(sg.tensor([0.5, 0.0, 1.0])))
    assert got.tolist() == [np.log(2), np.inf, np.inf] or got.tolist()[1:] == [np.inf] * 2
    with pytest.raises(NotImplementedError, match="No KL"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Exponential(1.0))


def test_register_kl_dispatches_to_most_specific():
    class MyNormal(D.Normal):
        pass

    @D.register_kl(MyNormal, D.Normal)
    def _kl(p, q):
        return sg.tensor(42.0)
    assert D.kl_divergence(MyNormal(0.0, 1.0), D.Normal(0.0, 1.0)).item() == 42.0
    assert D.kl_divergence(D.Normal(0.0, 1.0), MyNormal(0.0, 1.0)).item() == 0.0
    with pytest.raises(TypeError):
        D.register_kl(int, D.Normal)


def test_cdf_icdf_match_torch():
    torch = pytest.importorskip("torch")
    for name in ("normal", "uniform", "exponential", "laplace"):
        ours, _ = _build(sg, name, PARAMS[name])
        theirs, _ = _build(torch, name, PARAMS[name])
        v = _values(name, ours)
        _close(ours.cdf(sg.tensor(v)), theirs.cdf(torch.tensor(v)))
        u = RNG.uniform(0.1, 0.9, v.shape)
        _close(ours.icdf(sg.tensor(u)), theirs.icdf(torch.tensor(u)))


def test_expand_matches_torch():
    torch = pytest.importorskip("torch")
    for name in ("normal_0d", "bernoulli_logits", "categorical_logits", "mvn_tril"):
        ours, _ = _build(sg, name, PARAMS[name])
        theirs, _ = _build(torch, name, PARAMS[name])
        shape = (2,) + tuple(theirs.batch_shape)
        o, t = ours.expand(shape), theirs.expand(shape)
        assert tuple(o.batch_shape) == tuple(t.batch_shape) and repr(o) == repr(t)
        v = _values(name, o)
        _close(o.log_prob(sg.tensor(v)), t.log_prob(torch.tensor(v)))


ERRORS = [
    ("Normal", lambda d, t: d.Normal(t([0.0, 1.0]), t([1.0, -1.0]))),
    ("Exponential", lambda d, t: d.Exponential(t([0.0]))),
    ("Bernoulli", lambda d, t: d.Bernoulli(t([0.5, 1.5]))),
    ("Bernoulli both", lambda d, t: d.Bernoulli(t([0.5]), t([0.0]))),
    ("Categorical", lambda d, t: d.Categorical(t([0.5, -0.5]))),
    ("Categorical 0-d", lambda d, t: d.Categorical(t(0.5))),
    ("Uniform", lambda d, t: d.Uniform(t([0.0, 2.0]), t([1.0, 1.0]))),
    ("MVN both", lambda d, t: d.MultivariateNormal(t([0.0]), t([[1.0]]), scale_tril=t([[1.0]]))),
    ("MVN not PD", lambda d, t: d.MultivariateNormal(t([0.0, 0.0]), t([[1.0, 2.0], [2.0, 1.0]]))),
    ("MVN tril", lambda d, t: d.MultivariateNormal(t([0.0]), scale_tril=t([[-1.0]]))),
    ("MVN 0-d loc", lambda d, t: d.MultivariateNormal(t(0.0), t([[1.0]]))),
    ("Independent", lambda d, t: d.Independent(d.Normal(t([0.0]), t([1.0])), 2)),
    ("support", lambda d, t: d.Bernoulli(t([0.5, 1.0])).log_prob(t([0.5, 1.0]))),
    ("not tensor", lambda d, t: d.Normal(0.0, 1.0).log_prob(1.0)),
    ("event shape", lambda d, t: d.MultivariateNormal(t([0.0, 0.0]), t([[1.0, 0], [0, 1.0]]))
     .log_prob(t([0.0, 0.0, 0.0]))),
    ("broadcast", lambda d, t: d.Normal(t([0.0, 0.0]), 1.0).log_prob(t([0.0, 0.0, 0.0]))),
]


@pytest.mark.parametrize("case", ERRORS, ids=[e[0] for e in ERRORS])
def test_error_texts_match_torch(case):
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception) as want:
        case[1](torch.distributions, torch.tensor)
    with pytest.raises(type(want.value)) as got:
        case[1](D, sg.tensor)
    assert str(got.value) == str(want.value)


def test_validate_args_false_skips_checks():
    d = D.Normal(sg.tensor([0.0]), sg.tensor([-1.0]), validate_args=False)
    assert d.log_prob(sg.tensor([0.0])).isnan().all()
