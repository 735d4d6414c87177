"""Property tests: random programs from a grammar of the supported constructs.

Each program is written to a module file (the compiler reads source), compiled,
and its gradient compared with central finite differences. The grammar covers
arithmetic, NumPy calls, methods, branches on data, for/while loops with break
and continue, subscripts, lists and calls to a helper function.
"""
import importlib.util
import itertools

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import check

_counter = itertools.count()

# Every form keeps values of order one, so finite differences stay accurate.
UNARY = ["np.tanh({})", "np.sin({})", "({}).tanh()", "np.exp(np.tanh({})) - 1", "({}) * 0.5",
         "helper({})", "np.mean({}) * np.ones(3)", "({})[::-1]", "np.cos({}).mean() * ({})"]
BINARY = ["({} + {}) * 0.5", "({} - {}) * 0.5", "np.tanh({} * {})", "{} * 0.3 + {} * 0.5",
          "np.maximum({}, {})"]


@st.composite
def programs(draw):
    names = ["x", "y"]
    lines = []

    def expr(depth=0):
        a = draw(st.sampled_from(names))
        if depth > 1 or draw(st.booleans()):
            form = draw(st.sampled_from(UNARY))
            return form.format(a, a) if form.count("{}") == 2 else form.format(a)
        form = draw(st.sampled_from(BINARY))
        return form.format(expr(depth + 1), draw(st.sampled_from(names)))

    def loop_else(indent, depth, in_loop):
        # Runs when the loop ends without break; a break in it leaves the enclosing loop.
        if draw(st.booleans()):
            lines.append("    " * indent + "else:")
            stmt(indent + 1, depth + 1, in_loop)

    def stmt(indent, depth, in_loop):
        pad = "    " * indent
        kind = draw(st.sampled_from(["assign", "assign", "if", "for", "while", "list"]
                                    + (["break", "continue"] if in_loop else [])))
        if depth > 1 and kind in ("if", "for", "while"):
            kind = "assign"
        # New names only at the top level, so every name is bound wherever it is read.
        target = draw(st.sampled_from(names + ([f"v{len(names)}"] if indent == 1 else [])))
        if kind == "assign":
            lines.append(f"{pad}{target} = {expr()}")
            if target not in names:
                names.append(target)
        elif kind == "if":
            # No threshold at 0: some forms give a sum that is exactly zero but for
            # rounding ((mean(x) * ones - x) * 0.5), and a branch there is a discontinuity.
            lines.append(f"{pad}if np.sum({draw(st.sampled_from(names))}) > "
                         f"{draw(st.sampled_from(['0.25', '-1', '1']))}:")
            stmt(indent + 1, depth + 1, in_loop)
            lines.append(f"{pad}else:")
            stmt(indent + 1, depth + 1, in_loop)
        elif kind == "for":
            lines.append(f"{pad}for i{depth} in range({draw(st.integers(0, 3))}):")
            stmt(indent + 1, depth + 1, True)
            stmt(indent + 1, depth + 1, True)
            loop_else(indent, depth, in_loop)
        elif kind == "while":
            c = f"k{depth}"
            lines.append(f"{pad}{c} = 0")
            lines.append(f"{pad}while {c} < 3 and np.sum({draw(st.sampled_from(names))} ** 2)"
                         f" < 20:")
            lines.append(f"{pad}    {c} = {c} + 1")
            stmt(indent + 1, depth + 1, True)
            loop_else(indent, depth, in_loop)
        elif kind == "list":
            a, b = draw(st.sampled_from(names)), draw(st.sampled_from(names))
            lines.append(f"{pad}lst = [{a}, {b}]")
            lines.append(f"{pad}lst.append({a} * {b})")
            lines.append(f"{pad}{target} = np.tanh(np.stack(lst).sum(axis=0)) + lst[1] * 0.5")
            if target not in names:
                names.append(target)
        elif kind in ("break", "continue"):
            lines.append(f"{pad}if np.sum({draw(st.sampled_from(names))}) > 0.5:")
            lines.append(f"{pad}    {kind}")

    n = draw(st.integers(1, 4))
    for _ in range(n):
        stmt(1, 0, False)
    result = draw(st.sampled_from(names))
    body = "\n".join(lines)
    return (f"def prog(x, y):\n{body}\n    return np.sum({result} * {result}) + "
            f"np.sum(x * y)\n")


HEADER = "import numpy as np\n\n\ndef helper(a):\n    return np.tanh(a) * 0.5 + a * 0.5\n\n\n"


def _load(tmp_path, text):
    path = tmp_path / f"prog_{next(_counter)}.py"
    path.write_text(HEADER + text)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.prog


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(programs(), st.integers(0, 2 ** 16))
def test_random_programs_match_finite_differences(tmp_path, text, seed):
    prog = _load(tmp_path, text)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, 3)
    y = rng.uniform(-1, 1, 3)
    # Branch tests and maximum ties are discontinuous; keep inputs off the edges.
    np.clip(x, -0.9, 0.9, out=x)
    try:
        check(prog, x, y, rtol=1e-4, atol=1e-6)
    except Exception as e:  # noqa: BLE001  (any failure is reported with its program)
        raise AssertionError(f"{type(e).__name__}: {e}\nprogram:\n{text}") from e
