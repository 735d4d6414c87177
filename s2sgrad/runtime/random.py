"""PyTorch's CPU random number generator, reproduced with NumPy.

Takes: a seed (``manual_seed``), then requests for samples: ``rand``, ``randn``, ``randint``,
``randperm`` and the in-place fills ``uniform_``, ``normal_``, ``bernoulli_``, ``random_`` on
ndarrays. Gives: the numbers ``torch`` gives on a CPU after the same ``torch.manual_seed``.

PyTorch's CPU generator is an MT19937 seeded with the low 32 bits of the seed exactly as
``numpy.random.RandomState(seed)`` seeds it, so its raw 32-bit words are NumPy's. Each draw
turns words into samples the way ATen does (measured on torch 2.13):

* Uniforms: float32 ``(w & (2**24 - 1)) * 2**-24`` from one word, float64 53 bits from two
  words with the first word high; float16 samples are float32 samples rounded to half.
  ``uniform_(a, b)`` is ``u * (b - a) + a`` with ``b - a`` taken in float32 (float16 and
  float32 tensors) or double, and one rounding (the compiled kernel uses a fused
  multiply-add); a result that rounds up to ``b`` becomes ``a``.
* ``normal_`` of a contiguous float32/float64 array of 16 or more elements: fill with
  uniforms, then Box-Muller on each block of 16 (element j pairs with j + 8); when the size
  is not a multiple of 16, the last 16 elements are redone from 16 fresh uniforms. Anything
  smaller or non-contiguous: one double Box-Muller pair per two samples (two float64
  uniforms each), the second sample cached for the next call; ``manual_seed`` clears it.
  ``mean`` and ``std`` are applied with a fused multiply-add.
* ``randint``: ``w % range + low``, with 64-bit words once the range reaches ``2**28``.
* ``randperm``: Fisher-Yates, swapping ``i`` with ``i + w % (n - i)``.
* ``bernoulli_(p)``: ``u < p`` with a float64 uniform per element (a float32 ``p`` array
  uses float32 uniforms).
* In-place fills of a non-contiguous array write the samples in memory order.

Invariant: every call consumes exactly the words PyTorch's generator consumes and keeps the
same cached normal, so a stream stays aligned across calls of different kinds, and
``get_state`` gives the bytes of ``torch.get_rng_state()``. All values are bit-exact except
float32 ``normal_``/``randn`` with 16 or more elements: PyTorch evaluates log/sin/cos there
with vectorised float32 approximations, which this module does not copy, so those values
agree to one or two float32 ulp (most are identical).
"""
from __future__ import annotations

import math
import operator
import os
from collections.abc import Sequence

import numpy as np

from . import dtypes

__all__ = ["Generator", "default_generator", "get_rng_state", "initial_seed", "manual_seed",
           "seed", "set_rng_state"]

# The seed of a freshly constructed ``torch.Generator()``.
_FRESH_SEED = 67280421310721
# ``randint`` switches to two words per sample once the range reaches this.
_WIDE_RANGE = 1 << 28
# ``randperm`` uses 32-bit words below this size (``UINT32_MAX / 20`` in ATen).
_RANDPERM_LIMIT = (2**32 - 1) // 20
# ``normal_`` fills blocks of this many elements once the array has at least this many.
_BLOCK = 16
_TWO_PI = 2.0 * math.pi
# Box-Muller angles in the vectorised float32 path use float32 arithmetic.
_TWO_PI32 = np.float32(_TWO_PI)
_U64 = np.uint64

# The byte layout of ``torch.get_rng_state()`` (ATen's CPUGeneratorImplState): initial seed,
# words left in the MT block, a seeded flag, the next index, the 624 MT words widened to
# 64 bits, the legacy Box-Muller fields (the cached double normal is ``normal_y``), then
# the float normal cache, which no CPU kernel here uses.
_STATE = np.dtype({
    "names": ["seed", "left", "seeded", "next", "key", "normal_y", "normal_valid"],
    "formats": ["<u8", "<i4", "<i4", "<u8", ("<u8", 624), "<f8", "<i4"],
    "offsets": [0, 8, 12, 16, 24, 24 + 624 * 8 + 8, 24 + 624 * 8 + 24],
    "itemsize": 5056,
})

_DTYPE_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "int64": "Long",
                "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}

Shape = int | Sequence[int]


def _g(x: float) -> str:
    """A double as C++ streams print it in PyTorch's messages (``%g``)."""
    return f"{x:g}"


def _numel(shape: Shape) -> tuple[tuple[int, ...], int]:
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(map(int, shape))
    for s in shape:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{list(shape)}")
    return shape, math.prod(shape)


def _np_dtype(dtype, default=None) -> np.dtype:
    """A NumPy dtype from a NumPy dtype, an s2sgrad dtype or None (the default float)."""
    if dtype is None:
        return np.dtype(default) if default is not None else dtypes.get_default_dtype().np
    return np.dtype(dtypes.to_numpy(dtype))


def _check_float(dtype: np.dtype, kernel: str, half: bool = False) -> None:
    allowed = (np.float16, np.float32, np.float64) if half else (np.float32, np.float64)
    if dtype not in allowed:
        if dtype.kind == "f":
            raise NotImplementedError(f"random {kernel}: dtype {dtype.name} is not "
                                      "supported; use float32 or float64")
        name = _DTYPE_NAMES.get(dtype.name, dtype.name)
        raise NotImplementedError(f'"{kernel}" not implemented for \'{name}\'')


def _libm(fn, x: np.ndarray) -> np.ndarray:
    # ATen calls the C library here. NumPy's SIMD log and log1p differ from it in the last
    # bit for a fraction of inputs (measured: 0.3% and 7%), while Python's math module is
    # the C library. NumPy's float64 sin and cos agreed on every input measured, so they
    # stay vectorised.
    flat = np.asarray(x, np.float64).reshape(-1)
    return np.fromiter(map(fn, flat.tolist()), np.float64, flat.size).reshape(np.shape(x))


# ----- a correctly rounded fused multiply-add, as the compiled kernels compute x * y + z ---

def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _round_odd(s, err):
    """Round-to-odd of ``s + err`` (``s`` is the nearest double, ``err`` the exact rest)."""
    even = (np.asarray(s).view(np.int64) & 1) == 0
    step = np.nextafter(s, np.where(err > 0, np.inf, -np.inf))
    return np.where((err != 0) & even, step, s)


def _fma(x: np.ndarray, y: float, z: float) -> np.ndarray:
    """``x * y + z`` in double with a single rounding.

    Exact product by Veltkamp splitting, exact sum, then Boldo and Melquiond's
    round-to-odd step, which makes the final rounding the correct one.
    """
    x = np.asarray(x, dtype=np.float64)
    p = x * y
    split = 134217729.0  # 2**27 + 1
    t = split * x
    xh = t - (t - x)
    xl = x - xh
    t = split * y
    yh = t - (t - y)
    yl = y - yh
    p_err = ((xh * yh - p) + xh * yl + xl * yh) + xl * yl
    hi, lo = _two_sum(np.float64(z), p)
    rest, rest_err = _two_sum(lo, p_err)
    return hi + _round_odd(rest, rest_err)


def _fma32(x: np.ndarray, y: float, z: float) -> np.ndarray:
    """A float32 fused multiply-add (the product of two float32 is exact in double)."""
    s, err = _two_sum(x.astype(np.float64) * float(np.float32(y)), float(np.float32(z)))
    # Rounding to odd first keeps the double-then-float32 rounding correct.
    return _round_odd(s, err).astype(np.float32)


def _memory_order(arr: np.ndarray) -> np.ndarray:
    """``arr`` with its axes in the order ATen's serial kernels visit its memory.

    That is C order for a contiguous array, and largest stride outermost otherwise.
    """
    if arr.flags.c_contiguous:
        return arr
    return arr.transpose(np.argsort([-abs(s) for s in arr.strides], kind="stable"))


def _write_in_memory_order(arr: np.ndarray, values: np.ndarray) -> None:
    view = _memory_order(arr)
    view[...] = values.reshape(view.shape)


def _box_muller16_f32(u: np.ndarray, mean: float, std: float) -> np.ndarray:
    """The 16-wide float32 Box-Muller of ``normal_`` on whole blocks of uniforms."""
    b = u.reshape(-1, _BLOCK)
    u1 = np.float32(1.0) - b[:, :8]  # [0, 1) -> (0, 1] for the log
    # Measured against PyTorch's vectorised kernel, a once-rounded log with NumPy's float32
    # sin/cos and float32 arithmetic elsewhere disagrees least (about 7% of values by 1 ulp).
    log = np.log(u1.astype(np.float64)).astype(np.float32)
    radius = np.sqrt(np.float32(-2.0) * log)
    theta = _TWO_PI32 * b[:, 8:]
    out = np.concatenate([radius * np.cos(theta), radius * np.sin(theta)], axis=1).reshape(-1)
    return out if (mean, std) == (0.0, 1.0) else _fma32(out, std, mean)


def _box_muller16_f64(u: np.ndarray, mean: float, std: float) -> np.ndarray:
    """The same blocks in double, as ATen's scalar ``normal_fill`` computes them."""
    b = u.reshape(-1, _BLOCK)
    radius = np.sqrt(-2.0 * _libm(math.log, 1.0 - b[:, :8]))
    theta = _TWO_PI * b[:, 8:]
    out = np.concatenate([radius * np.cos(theta), radius * np.sin(theta)], axis=1).reshape(-1)
    return out if (mean, std) == (0.0, 1.0) else _fma(out, std, mean)


class Generator:
    """A CPU random number generator with ``torch.Generator``'s streams and methods."""

    device = "cpu"

    def __init__(self, device: str = "cpu"):
        if str(device) != "cpu":
            raise RuntimeError(f"s2sgrad has only a CPU generator, not {device!r}")
        self._mt = np.random.RandomState(0)
        self._seed = 0
        self._normal: float | None = None  # the cached second Box-Muller sample
        self.manual_seed(_FRESH_SEED)

    # ------------------------------------------------------------------ seeding and state
    def manual_seed(self, seed: int) -> Generator:
        """Seed the stream; ``initial_seed`` reports ``seed`` (negative ones as 2**64 + seed)."""
        if isinstance(seed, (float, np.floating)):
            # PyTorch's exception type, not the TypeError one would expect.
            raise RuntimeError("manual_seed expected a long, but got float")  # noqa: TRY004
        seed = operator.index(seed)
        if not -2**63 <= seed < 2**64:
            raise ValueError("Overflow when unpacking long long")
        self._seed = seed % 2**64
        self._mt.seed(self._seed & 0xFFFFFFFF)
        self._normal = None
        self._fresh = True  # no word drawn since seeding (ATen then stores next=0)
        return self

    def initial_seed(self) -> int:
        return self._seed

    def seed(self) -> int:
        """Seed from the operating system's entropy and return the seed used."""
        s = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(s)
        return s

    def get_state(self) -> np.ndarray:
        """The whole state as the 5056 uint8 bytes ``torch.get_rng_state()`` holds."""
        _, key, pos, _, _ = self._mt.get_state(legacy=True)
        st = np.zeros((), _STATE)
        st["seed"], st["key"], st["seeded"] = self._seed, key, 1
        # ATen counts the words left in the current block; NumPy counts the words used.
        st["left"], st["next"] = 625 - pos, 0 if self._fresh else pos
        if self._normal is not None:
            st["normal_y"], st["normal_valid"] = self._normal, 1
        return np.frombuffer(st.tobytes(), dtype=np.uint8).copy()

    def set_state(self, state) -> Generator:
        """Restore a state from ``get_state`` (or from ``torch.get_rng_state()``)."""
        raw = np.ascontiguousarray(state, dtype=np.uint8).reshape(-1)
        if raw.size != _STATE.itemsize:
            raise RuntimeError(f"Expected either a THGeneratorState of size 5048 or a "
                               f"CPUGeneratorImplState of size {_STATE.itemsize} but found "
                               f"the input RNG state size to be {raw.size}")
        st = np.frombuffer(raw.tobytes(), dtype=_STATE)[0]
        left = int(st["left"])
        if not 1 <= left <= 624:
            raise RuntimeError(f"generator state has {left} words left in its block; "
                               "expected 1 to 624")
        self._mt.set_state(("MT19937", st["key"].astype(np.uint32), 625 - left, 0, 0.0))
        self._seed = int(st["seed"])
        self._normal = float(st["normal_y"]) if st["normal_valid"] else None
        self._fresh = left == 1 and int(st["next"]) == 0
        return self

    # ------------------------------------------------------------------ raw words
    def _words(self, n: int) -> np.ndarray:
        """The next ``n`` raw 32-bit words."""
        if n:
            self._fresh = False
        return self._mt.randint(0, 1 << 32, size=n, dtype=np.uint32)

    def _words64(self, n: int) -> np.ndarray:
        """``n`` 64-bit values from word pairs, the first word high (ATen's ``random64``)."""
        w = self._words(2 * n).astype(_U64)
        return (w[0::2] << _U64(32)) | w[1::2]

    def _floats(self, n: int) -> np.ndarray:
        """float32 uniforms in [0, 1), one word each."""
        return (self._words(n) & 0xFFFFFF).astype(np.float32) * np.float32(2.0**-24)

    def _doubles(self, n: int) -> np.ndarray:
        """float64 uniforms in [0, 1), two words each."""
        return (self._words64(n) & _U64(2**53 - 1)).astype(np.float64) * 2.0**-53

    def _uniform(self, n: int, dtype: np.dtype, low: float, high: float) -> np.ndarray:
        if dtype == np.float64:
            u, span = self._doubles(n), float(high) - float(low)
            # With low = 0 the fused multiply-add is just the rounded product.
            return u * span if low == 0 else _fma(u, span, float(low))
        # float16 samples are float32 samples rounded to half (measured).
        lo, hi = np.float32(low), np.float32(high)
        with np.errstate(over="ignore"):
            span = hi - lo
        # u has 24 bits and span 24, so u * span is exact in double: one rounding, as in
        # ATen's double-precision fused multiply-add, then the cast to float32.
        values = (self._floats(n).astype(np.float64) * float(span) + float(lo)).astype(np.float32)
        return values.astype(dtype, copy=False)

    def _normal_serial(self, n: int, mean: float, std: float) -> np.ndarray:
        """``n`` samples of ATen's scalar ``normal_distribution<double>``, cache included."""
        out = np.empty(n)
        k = 0
        if n and self._normal is not None:
            out[0] = self._normal
            self._normal = None
            k = 1
        pairs = (n - k + 1) // 2
        d = self._doubles(2 * pairs)
        radius = np.sqrt(-2.0 * _libm(math.log1p, -d[1::2]))
        theta = _TWO_PI * d[0::2]
        z = np.empty(2 * pairs)
        z[0::2] = radius * np.cos(theta)
        z[1::2] = radius * np.sin(theta)
        if (n - k) % 2:
            self._normal = float(z[-1])
        out[k:] = z[:n - k]
        return out if (mean, std) == (0.0, 1.0) else _fma(out, std, mean)

    def _normal_fill(self, n: int, dtype: np.dtype, mean: float, std: float) -> np.ndarray:
        """ATen's ``normal_fill`` for a contiguous array of ``n >= 16`` elements."""
        f32 = dtype == np.float32
        draw, transform = ((self._floats, _box_muller16_f32) if f32
                           else (self._doubles, _box_muller16_f64))
        u = draw(n)
        whole = n - n % _BLOCK
        out = np.empty(n, dtype)
        out[:whole] = transform(u[:whole], mean, std)
        if n % _BLOCK:
            # The tail is redone from fresh uniforms over the last 16 slots.
            out[n - _BLOCK:] = transform(draw(_BLOCK), mean, std)
        return out

    # ------------------------------------------------------------------ in-place fills
    def uniform_(self, arr: np.ndarray, a: float = 0.0, b: float = 1.0) -> np.ndarray:
        """``Tensor.uniform_(a, b)``: fill ``arr`` in place and return it."""
        _check_float(arr.dtype, "check_uniform_bounds", half=True)
        a, b = float(a), float(b)
        limit = float(np.finfo(arr.dtype).max)
        name = _DTYPE_NAMES[arr.dtype.name]
        c_name = {"Half": "c10::Half", "Float": "float", "Double": "double"}[name]
        for which, v in (("from", a), ("to", b)):
            if not -limit <= v <= limit:
                raise RuntimeError(f"{which} is out of bounds for {c_name}")
        if a > b:
            raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                               f"from={_g(a)} > to={_g(b)}")
        if b - a > limit:
            raise RuntimeError(f"uniform_ expects to-from <= std::numeric_limits<{name}>::max(),"
                               f" but found to={_g(b)} and from={_g(a)} which result in to-from "
                               "to exceed the limit")
        values = self._uniform(arr.size, arr.dtype, a, b)
        # A value that rounds up to ``b`` becomes ``a``, keeping samples in [a, b) (measured).
        values[values == arr.dtype.type(b)] = arr.dtype.type(a)
        _write_in_memory_order(arr, values)
        return arr

    def normal_(self, arr: np.ndarray, mean: float = 0.0, std: float = 1.0) -> np.ndarray:
        """``Tensor.normal_(mean, std)``: fill ``arr`` in place and return it."""
        _check_float(arr.dtype, "normal_kernel_cpu")
        mean, std = float(mean), float(std)
        if not std >= 0.0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {_g(std)}")
        n = arr.size
        if n >= _BLOCK and arr.flags.c_contiguous:
            arr[...] = self._normal_fill(n, arr.dtype, mean, std).reshape(arr.shape)
        else:
            values = self._normal_serial(n, mean, std).astype(arr.dtype)
            _write_in_memory_order(arr, values)
        return arr

    def bernoulli_(self, arr: np.ndarray, p: float | np.ndarray = 0.5) -> np.ndarray:
        """``Tensor.bernoulli_(p)``: ones with probability ``p`` (a number or an array that
        broadcasts to ``arr``), zeros elsewhere, in ``arr``'s dtype."""
        if isinstance(p, np.ndarray):
            if p.dtype.kind != "f":
                name = _DTYPE_NAMES.get(p.dtype.name, p.dtype.name)
                raise NotImplementedError(
                    f'"bernoulli_tensor_cpu_p_" not implemented for \'{name}\'')
            probs = np.broadcast_to(p, arr.shape)
            if not np.all((probs >= 0) & (probs <= 1)):
                raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got "
                                   "false.  (Could this error message be improved?  If so, "
                                   "please report an enhancement request to PyTorch.)")
            # Visit the probabilities in the order the samples are written.
            if not arr.flags.c_contiguous:
                probs = probs.transpose(np.argsort([-abs(s) for s in arr.strides],
                                                   kind="stable"))
            probs = probs.reshape(-1)
            u = self._doubles(arr.size) if p.dtype == np.float64 else self._floats(arr.size)
            values = u.astype(np.float64) < probs.astype(np.float64)
        else:
            p = float(p)
            if not 0.0 <= p <= 1.0:
                raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_g(p)}")
            values = self._doubles(arr.size) < p
        _write_in_memory_order(arr, values.astype(arr.dtype))
        return arr

    def random_(self, arr: np.ndarray, low: int | None = None,
                high: int | None = None) -> np.ndarray:
        """``Tensor.random_()``: integers on [low, high), ``random_(high)`` meaning
        [0, high), or with no bounds the dtype's default range
        ([0, 2**mantissa] for floats, [0, max] for integers)."""
        if low is not None:
            if high is None:
                low, high = 0, low
            _write_in_memory_order(arr, self._from_to(arr.size, low, high).astype(arr.dtype))
            return arr
        dt = arr.dtype
        if dt == np.bool_:
            values = (self._words(arr.size) & 1).astype(bool)
        elif dt in (np.float16, np.float32, np.float64):
            raw = self._words64(arr.size) if dt == np.float64 else self._words(arr.size)
            top = (1 << (np.finfo(dt).nmant + 1)) + 1
            values = (raw.astype(_U64) % _U64(top)).astype(dt)
        elif dt.kind in "iu" and dt.itemsize <= 8:
            raw = self._words64(arr.size) if dt == np.int64 else self._words(arr.size)
            top = int(np.iinfo(dt).max) + 1
            values = (raw.astype(_U64) % _U64(top)).astype(dt)
        else:
            name = _DTYPE_NAMES.get(dt.name, dt.name)
            raise NotImplementedError(f'"random_kernel_cpu" not implemented for \'{name}\'')
        _write_in_memory_order(arr, values)
        return arr

    def _from_to(self, n: int, low: int, high: int) -> np.ndarray:
        """``n`` integers in ``[low, high)`` as int64, PyTorch's ``random_(from, to)``."""
        low, high = operator.index(low), operator.index(high)
        if low >= high:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                               f"from={low} >= to={high}")
        if not (low >= -2**63 and high <= 2**63):
            raise RuntimeError(f"randint bounds must fit in int64, got [{low}, {high})")
        span = high - low
        v = self._words64(n) if span >= _WIDE_RANGE else self._words(n).astype(_U64)
        # uint64 arithmetic wraps like ATen's before the cast back to int64.
        v = v % _U64(span) + _U64(low % 2**64)
        return v.view(np.int64)

    # ------------------------------------------------------------------ factories
    def rand(self, shape: Shape, dtype=None) -> np.ndarray:
        """``torch.rand(*shape, dtype=dtype)`` (dtype None: the default float dtype)."""
        return self.uniform_(np.empty(_numel(shape)[0], _np_dtype(dtype)))

    def randn(self, shape: Shape, dtype=None) -> np.ndarray:
        """``torch.randn(*shape, dtype=dtype)`` (dtype None: the default float dtype)."""
        return self.normal_(np.empty(_numel(shape)[0], _np_dtype(dtype)))

    def randint(self, low: int, high: int, shape: Shape, dtype=None) -> np.ndarray:
        """``torch.randint(low, high, shape)``: integers in ``[low, high)`` (int64)."""
        shape, n = _numel(shape)
        return self._from_to(n, low, high).astype(_np_dtype(dtype, np.int64)).reshape(shape)

    def randperm(self, n: int, dtype=None) -> np.ndarray:
        """``torch.randperm(n)``: a random permutation of ``0 .. n-1`` (int64)."""
        n = operator.index(n)
        _numel((n,))
        if n >= _RANDPERM_LIMIT:
            raise NotImplementedError(f"randperm({n}): sizes of {_RANDPERM_LIMIT} and more use "
                                      "PyTorch's 64-bit shuffle, which s2sgrad does not have")
        perm = list(range(n))
        if n > 1:
            w = self._words(n - 1)
            # Fisher-Yates: position i swaps with i + w_i % (n - i). Each swap depends on
            # the earlier ones, so only the picks are vectorised.
            js = (w % np.arange(n, 1, -1, dtype=np.uint32)).astype(np.int64) + np.arange(n - 1)
            for i, j in enumerate(js.tolist()):
                perm[i], perm[j] = perm[j], perm[i]
        return np.array(perm, dtype=_np_dtype(dtype, np.int64))


def _startup_seed() -> int:
    # PyTorch seeds its default generator non-deterministically when it starts.
    return int.from_bytes(os.urandom(8), "little")


default_generator = Generator().manual_seed(_startup_seed())


def manual_seed(seed) -> Generator:
    """``torch.manual_seed``: seed the default generator and return it."""
    return default_generator.manual_seed(int(seed))


def initial_seed() -> int:
    return default_generator.initial_seed()


def seed() -> int:
    return default_generator.seed()


def get_rng_state() -> np.ndarray:
    """The default generator's state: the 5056 bytes of ``torch.get_rng_state()``."""
    return default_generator.get_state()


def set_rng_state(state) -> None:
    default_generator.set_state(state)
