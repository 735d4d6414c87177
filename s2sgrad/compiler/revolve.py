"""Checkpointed loops at run time: which states to keep, and the reversal that recomputes.

Takes: a loop cut out of a function by ``checkpoint.extract`` (its body compiled as a
step function ``step(k, *seqs, *state, *invariants) -> state``, or for a ``while`` loop
``step(*state, *invariants)`` plus ``cond(*state, *invariants)``) and a snapshot budget.
Gives: a ``CheckpointedLoop`` that the compiler treats like a user function: ``compile``
returns a ``Compiled`` whose forward runs the loop without a tape, keeping at most
``snapshots`` loop states, and whose adjoint recomputes the steps it did not keep.

For a known trip count the schedule is the binomial one of Griewank's revolve: with
``nu`` states kept and ``t`` the least number with ``C(nu + t, nu) >= n``, reversing
``n`` steps costs ``t n - C(nu + t, t - 1)`` recomputed steps, the least any schedule with
that budget can do (tests check ``split`` against an exhaustive search). A ``while`` loop
learns its trip count only at the end, so it keeps states at multiples of a spacing that
doubles whenever the budget fills (an online schedule), then reverses each stretch
between kept states with the binomial schedule and the slots still free.

Invariant: at most ``snapshots`` loop states are held at any time (the loop's input
state counts as one); every step's adjoint is the step's compiled adjoint, run on the
same state the uncheckpointed loop would have seen, so gradients equal the plain ones.
"""
from __future__ import annotations

import inspect
import math
from collections.abc import Callable

import numpy as np

__all__ = ["CheckpointedLoop", "advance_cost", "last_stats", "split"]

DEFAULT_WHILE_SNAPSHOTS = 32


def _beta(nu: int, t: int) -> int:
    """Most steps reversible with ``nu`` kept states, each step run at most ``t + 1`` times."""
    return math.comb(nu + t, nu) if t >= 0 else 0


def _repetitions(n: int, nu: int) -> int:
    t = 0
    while _beta(nu, t) < n:
        t += 1
    return t


def split(n: int, free: int) -> int:
    """Offset of the state to keep when reversing ``n >= 2`` steps with ``free >= 1`` slots.

    Keeping the state at the offset leaves ``n - offset`` steps to reverse with one slot
    fewer, then ``offset`` steps with the slot back; this offset makes the total optimal.
    """
    nu = free + 1
    t = _repetitions(n, nu)
    return max(1, min(n - 1, _beta(nu, t - 1), n - _beta(nu - 1, t - 1)))


def advance_cost(n: int, free: int) -> int:
    """Steps recomputed to reverse ``n`` steps from a kept state with ``free`` more slots."""
    if n <= 1:
        return 0
    nu = free + 1
    t = _repetitions(n, nu)
    return t * n - _beta(nu + 1, t - 1)


_LAST: dict = {}


def last_stats() -> dict:
    """Counts of the most recent checkpointed reversal (steps, kept states, recomputation)."""
    return dict(_LAST)


class _Tape:
    __slots__ = ("seqs", "inv", "n", "start", "kept", "budget")


class _Run:
    """One reversal: recompute, tape and reverse steps, counting the states held."""

    def __init__(self, loop: CheckpointedLoop, fns, tape: _Tape, layout):
        self.loop = loop
        self.primal, self.fwd, self.adj = fns
        n_acc, self.acc_slots, self.acc_index, self.state_index = layout
        self.head = tape.seqs if loop.kind == "for" else ()
        self.inv = tape.inv
        self.live = len(tape.kept)
        self.peak = self.live
        self.advances = 0
        self.acc: list = [None] * n_acc
        self.owned = [False] * n_acc

    def advance(self, state: tuple, a: int, b: int) -> tuple:
        for k in range(a, b):
            state = self.loop.call_step(self.primal, k, self.head, state, self.inv)
        self.advances += b - a
        return state

    def hold(self, d: int) -> None:
        self.live += d
        self.peak = max(self.peak, self.live)

    def back(self, k: int, state: tuple, bs: tuple) -> tuple:
        """The cotangent of the state before step ``k``, given the one after it."""
        _, tape = self.loop.call_step(self.fwd, k, self.head, state, self.inv)
        grads = self.adj(tape, bs)
        for slot, i in zip(self.acc_slots, self.acc_index):
            self.add(slot, grads[i])
        return tuple(grads[i] for i in self.state_index)

    def add(self, slot: int, g) -> None:
        if g is None:
            return
        cur = self.acc[slot]
        if cur is None:
            self.acc[slot] = g       # not owned: it may be a buffer the step's adjoint keeps
        elif self.owned[slot] and type(cur) is np.ndarray and cur.shape == np.shape(g):
            cur += g
        else:
            self.acc[slot] = cur + g
            self.owned[slot] = type(self.acc[slot]) is np.ndarray

    def reverse(self, a: int, b: int, state: tuple, free: int, bs: tuple) -> tuple:
        """Reverse steps ``a..b-1`` from the kept state at ``a`` with ``free`` spare slots."""
        while b - a > 1:
            if free == 0:
                for k in range(b - 1, a, -1):
                    bs = self.back(k, self.advance(state, a, k), bs)
                b = a + 1
                break
            m = a + split(b - a, free)
            mid = self.advance(state, a, m)
            self.hold(1)
            bs = self.reverse(m, b, mid, free - 1, bs)
            del mid
            self.hold(-1)
            b = m
        return self.back(a, state, bs) if b > a else bs


class CheckpointedLoop:
    """A loop called like a function: ``loop(*seqs, *state, *invariants) -> state tuple``.

    ``kind`` is ``"for"`` (``step(k, *seqs, *state, *invariants)``, the trip count is
    the shortest sequence's length) or ``"while"`` (``step(*state, *invariants)`` runs
    while ``cond(*state, *invariants)``). ``snapshots`` bounds the states kept (None:
    about the square root of the trip count for ``for``, 32 for ``while``).
    """

    def __init__(self, name: str, kind: str, step: Callable, cond: Callable | None,
                 seqs: list[str], state: list[str], invariants: list[str],
                 snapshots: int | None):
        if snapshots is not None and (not isinstance(snapshots, int) or snapshots < 1):
            raise ValueError(f"checkpoint: snapshots must be a positive int, got {snapshots!r}")
        self.__name__ = self.__qualname__ = name
        self.kind, self.step, self.cond = kind, step, cond
        self.seqs, self.state, self.invariants = list(seqs), list(state), list(invariants)
        self.snapshots = snapshots
        self.params = self.seqs + self.state + self.invariants
        P = inspect.Parameter
        self.__signature__ = inspect.Signature(
            [P(p, P.POSITIONAL_OR_KEYWORD) for p in self.params])
        self.stats: dict = {}

    def __repr__(self) -> str:
        return f"<checkpointed loop {self.__name__}>"

    def __call__(self, *args):
        from .pipeline import compile_function
        return compile_function(self, (False,) * len(self.params)).primal(*args)

    # -- calling conventions -------------------------------------------------------------
    def call_step(self, fn, k, head, state, inv):
        if self.kind == "for":
            return fn(k, *head, *state, *inv)
        return fn(*state, *inv)

    def budget(self, n: int | None) -> int:
        if self.snapshots is not None:
            return self.snapshots
        if n is None:
            return DEFAULT_WHILE_SNAPSHOTS
        return max(1, math.isqrt(max(n, 1) - 1) + 1)

    def _split_args(self, args):
        ns, nq = len(self.state), len(self.seqs)
        return tuple(args[:nq]), tuple(args[nq:nq + ns]), tuple(args[nq + ns:])

    def _length(self, seqs) -> int:
        for s in seqs:
            if isinstance(s, (dict, set)) or not hasattr(s, "__getitem__"):
                raise TypeError(f"{self.__name__}: a checkpointed for loop iterates over a "
                                f"range, an array, a list or a tuple, not "
                                f"{type(s).__name__}")
        return min(len(s) for s in seqs)

    # -- the compiled form -----------------------------------------------------------------
    def compile(self, mask: tuple[bool, ...]):
        """A ``Compiled`` for the differentiated parameters in ``mask`` (see pipeline)."""
        from .pipeline import Compiled, compile_function
        from .resolve import Guards
        nq = len(self.seqs)
        guards = Guards()
        plain = compile_function(self.step, self._step_mask((False,) * len(self.params)))
        guards.extend(plain.guards)
        cond = None
        if self.cond is not None:
            cc = compile_function(self.cond, (False,) * len(self.params[nq:]))
            guards.extend(cc.guards)
            cond = cc.primal
        diff = [p for p, m in zip(self.params, mask) if m]
        primal = self._primal(plain.primal, cond)
        fwd = adj = None
        text = plain.source
        if any(mask):
            sm = self._step_mask(mask)
            dc = compile_function(self.step, sm)
            guards.extend(dc.guards)
            text = dc.source
            fns = (plain.primal, dc.fwd, dc.adj)
            fwd, adj = self._fwd(fns, cond, mask), self._adj(fns, cond, mask)
        head = (f"# {self.__name__}: checkpointed {self.kind} loop, "
                f"{self.snapshots or 'default'} snapshots\n")
        return Compiled(self, self.params, diff, primal, fwd, adj, head + text, guards)

    def _step_mask(self, mask) -> tuple[bool, ...]:
        nq, ns = len(self.seqs), len(self.state)
        states = (any(mask),) * ns   # a state may become active after a step: keep all
        lead = (False,) if self.kind == "for" else ()
        return lead + tuple(mask[:nq]) + states + tuple(mask[nq + ns:])

    def _layout(self, mask):
        """Where each differentiated step parameter's gradient goes."""
        nq, ns = len(self.seqs), len(self.state)
        sm = self._step_mask(mask)[1 if self.kind == "for" else 0:]
        order = [i for i, m in enumerate(sm) if m]     # loop param index of each step grad
        acc_params = [i for i, m in enumerate(mask) if m and not nq <= i < nq + ns]
        acc_slots, acc_index, state_index = [], [], []
        for j, i in enumerate(order):
            if nq <= i < nq + ns:
                state_index.append(j)
            elif i in acc_params:
                acc_slots.append(acc_params.index(i))
                acc_index.append(j)
        return acc_params, acc_slots, acc_index, state_index

    def _primal(self, step, cond):
        def run(*args):
            seqs, state, inv = self._split_args(args)
            if self.kind == "for":
                for k in range(self._length(seqs)):
                    state = step(k, *seqs, *state, *inv)
            else:
                while cond(*state, *inv):
                    state = step(*state, *inv)
            return tuple(state)
        return run

    def _fwd(self, fns, cond, mask):
        step = fns[0]

        def fwd(*args):
            seqs, state, inv = self._split_args(args)
            tape = _Tape()
            tape.seqs, tape.inv, tape.start = seqs, inv, state
            if self.kind == "for":
                tape.n = self._length(seqs)
                tape.budget = self.budget(tape.n)
                out = self._spine(step, tape)
            else:
                tape.budget = self.budget(None)
                out = self._online(step, cond, tape)
            return out, tape
        return fwd

    def _spine(self, step, tape: _Tape) -> tuple:
        """Run the loop; keep the states revolve keeps first. Gives the final state."""
        n, seqs, inv = tape.n, tape.seqs, tape.inv
        state, a, free = tape.start, 0, tape.budget - 1
        kept = [(0, state, free)]
        while free > 0 and n - a > 1:
            m = a + split(n - a, free)
            for k in range(a, m):
                state = self.call_step(step, k, seqs, state, inv)
            a, free = m, free - 1
            kept.append((a, state, free))
        for k in range(a, n):
            state = self.call_step(step, k, seqs, state, inv)
        tape.kept = kept
        return tuple(state)

    def _online(self, step, cond, tape: _Tape, n: int | None = None) -> tuple:
        """Run a loop of unknown length keeping states at multiples of a doubling spacing."""
        inv, budget = tape.inv, tape.budget
        state = tape.start
        kept = [(0, state)]
        k, spacing = 0, 1
        while (cond(*state, *inv) if n is None else k < n):
            if k and k % spacing == 0:
                while len(kept) >= budget and k % spacing == 0:
                    spacing *= 2
                    kept = [e for e in kept if e[0] % spacing == 0]
                if k % spacing == 0:
                    kept.append((k, state))
            state = step(*state, *inv)
            k += 1
        tape.n = k
        c = len(kept)
        tape.kept = [(i, s, budget - j - 1) for j, (i, s) in enumerate(kept)]
        assert c <= budget
        return tuple(state)

    def _adj(self, fns, cond, mask):
        acc_params, acc_slots, acc_index, state_index = self._layout(mask)
        nq, ns = len(self.seqs), len(self.state)

        def adj(tape: _Tape, bout):
            if tape.kept is None:
                # The states kept by the forward run were freed by an earlier reversal.
                if self.kind == "for":
                    self._spine(fns[0], tape)
                else:
                    self._online(fns[0], None, tape, tape.n)
            run = _Run(self, fns, tape, (len(acc_params), acc_slots, acc_index, state_index))
            bs = tuple(bout) if bout is not None else (None,) * ns
            kept, tape.kept = tape.kept, None
            end = tape.n
            while kept:
                a, state, free = kept.pop()
                bs = run.reverse(a, end, state, free, bs)
                del state
                run.hold(-1)
                end = a
            stats = {"steps": tape.n, "snapshots": tape.budget, "peak_snapshots": run.peak,
                     "recomputed_steps": run.advances}
            self.stats = stats
            _LAST.clear()
            _LAST.update(stats)
            out = []
            for i in range(len(self.params)):
                if not mask[i]:
                    continue
                if nq <= i < nq + ns:
                    out.append(bs[i - nq])
                else:
                    out.append(run.acc[acc_params.index(i)])
            return tuple(out)
        return adj
