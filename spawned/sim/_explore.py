"""Model checking and random testing of a scenario: [`check`][spawned.sim.check].

Stateless model checking by re-execution, as Concuerror and CHESS do: a run is a list of choices
(see ``_choices``), so a state of the search is the *prefix* of choices that leads to it, and
visiting it means running the scenario from the start with ``ReplayChooser(prefix,
then="frontier")``. The run replays the prefix and stops at the next decision with
``Frontier(n, what)``, which tells the explorer how many children the state has. No Python object
is ever copied or snapshotted, so any server that runs on the simulator can be checked.

- **Breadth-first**: prefixes are explored shortest first, so the first counterexample found is
  a shortest one.
- **Fingerprints**: with ``fingerprint=f``, a state is ``f(sim)`` at the last quiescent point
  plus the choices taken since, plus which ``eventually`` properties already held on the way
  there; a state met again is not expanded again.
- **Properties** are evaluated at each new quiescent point (states of the prefix were seen by
  the run that explored the shorter prefix); ``eventually`` at the end of each complete run.

Random mode runs the scenario once per seed with a ``RandomChooser`` and checks the same
properties at every state. Every violation is then shrunk (``_shrink``) to a simpler choice list
that still fails, and reported with its trace.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, Literal, Protocol, cast

from attrs import define, field, frozen

from ._choices import Chooser, Frontier, RandomChooser, ReplayChooser
from ._network import Faults, Network
from ._properties import Kind, Property
from ._result import SimResult, TraceEvent
from ._shrink import Choices, normal, shrink
from ._sim import Boot, Sim, run

Status = Literal["ok", "violated", "discovered", "undiscovered"]
"""A property's outcome: ``ok`` (held everywhere explored), ``violated`` (a counterexample),
``discovered`` (a ``sometimes`` state reached), ``undiscovered`` (never reached: a failure)."""

NO_EXCEPTION = "scenario raises no exception"
"""The built-in ``always`` property every check has: the scenario itself must not raise."""


class RunOutcome(Protocol):
    """What the explorer reads of a finished run (``sim.run``'s result)."""

    @property
    def choices(self) -> tuple[int, ...]:
        """Every decision taken, in order."""
        ...

    @property
    def complete(self) -> bool:
        """True when the run ended with nothing left to do (not by a bound)."""
        ...

    @property
    def error(self) -> BaseException | None:
        """The scenario's exception, if it raised."""
        ...


@frozen
class Target:
    """How the explorer runs a scenario and reads traces; ``check`` builds one over ``sim.run``.

    Attributes:
        run: Runs the scenario once with a chooser and an ``on_state`` callback.
        state_trace: The readable trace so far, from the system at a quiescent point.
        result_trace: The readable trace of a finished run.
        world: What a state is besides the user's fingerprint: the simulator's own part (the
            messages in flight, the armed timers, the nodes), part of every state's identity.
    """

    run: Callable[[Chooser, Callable[[Any], None]], RunOutcome]
    state_trace: Callable[[Any], tuple[str, ...]]
    result_trace: Callable[[RunOutcome], tuple[str, ...]]
    world: Callable[[Any], Hashable] = lambda _: None


@frozen
class PropertyResult:
    """One property's outcome in a [`Report`][spawned.sim.Report].

    Attributes:
        name: The property's name.
        kind: ``"always"``, ``"sometimes"`` or ``"eventually"``.
        status: ``"ok"``, ``"violated"``, ``"discovered"`` or ``"undiscovered"``.
        seed: In random mode, the seed of the run that violated or discovered it.
        choices: The choices leading to the counterexample or discovery (shrunk), or ``None``.
        trace: The readable trace of that run up to the violation or discovery (shrunk).
        found_choices: The choices as first found, before shrinking.
        shrink_runs: How many replays shrinking took.
        error: For the built-in property, the scenario's exception.
    """

    name: str
    kind: Kind
    status: Status
    seed: int | None = None
    choices: Choices | None = None
    trace: tuple[str, ...] = ()
    found_choices: Choices | None = None
    shrink_runs: int = 0
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        """True for ``ok`` and ``discovered``; False for ``violated`` and ``undiscovered``."""
        return self.status in ("ok", "discovered")


@frozen
class Report:
    """What [`check`][spawned.sim.check] found.

    Attributes:
        mode: ``"exhaustive"`` or ``"random"``.
        runs: How many times the scenario ran (each exhaustive run visits one state's children).
        states: How many states (quiescent points) were checked.
        unique_states: How many distinct fingerprints were seen (``None`` without a fingerprint).
        seconds: Wall time of the check, shrinking included.
        stopped: Why the search ended early (``"max_runs"``, ``"max_seconds"``, or ``"decided"``
            once every property had its answer), or ``None`` if it covered everything within
            ``max_steps``.
        results: One per property, in the order given, then the built-in
            ``"scenario raises no exception"``.
        replay_hint: How the text tells to replay a failing seed (``{seed}`` in it), if given.
    """

    mode: Literal["exhaustive", "random"]
    runs: int
    states: int
    unique_states: int | None
    seconds: float
    stopped: str | None
    results: tuple[PropertyResult, ...]
    replay_hint: str | None = None

    @property
    def ok(self) -> bool:
        """True when no property was violated and every ``sometimes`` was discovered."""
        return all(result.ok for result in self.results)

    def __getitem__(self, name: str) -> PropertyResult:
        """The result of the property called ``name``.

        Raises:
            KeyError: No property has that name (the message lists them).
        """
        for result in self.results:
            if result.name == name:
                return result
        raise KeyError(f"no property named {name!r}; the properties are {[r.name for r in self.results]}")

    def failures(self) -> tuple[PropertyResult, ...]:
        """The results that are not ok."""
        return tuple(result for result in self.results if not result.ok)

    def text(self) -> str:
        """The report as text: the counts, then each property, with traces of the findings."""
        verdict = "ok" if self.ok else "FAILED"
        unique = "" if self.unique_states is None else f" ({self.unique_states} unique)"
        stopped = "" if self.stopped is None else f", stopped early: {self.stopped}"
        counts = f"{self.runs} runs, {self.states} states{unique} in {self.seconds:.2f} s{stopped}"
        lines = [f"sim.check ({self.mode}): {verdict}. {counts}"]
        for result in self.results:
            lines.extend(_describe(result, self.replay_hint, exhaustive=self.mode == "exhaustive"))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def assert_ok(self) -> None:
        """Raise [`CheckFailed`][spawned.sim.CheckFailed] (an ``AssertionError``) unless ok.

        The message is [`text()`][spawned.sim.Report.text]: the counts, each failing property with
        its seed or choice list, a line to replay it, and its shrunk trace.
        """
        __tracebackhide__ = True
        if not self.ok:
            raise CheckFailed(self)


class CheckFailed(AssertionError):
    """Raised by [`Report.assert_ok`][spawned.sim.Report.assert_ok]: a property failed.

    Attributes:
        report: The whole report; ``str(error)`` is its text.
    """

    def __init__(self, report: Report) -> None:
        super().__init__(report.text())
        self.report = report


def _describe(result: PropertyResult, replay_hint: str | None, *, exhaustive: bool) -> list[str]:
    head = f"  {result.kind:<10} {result.name}: {result.status}"
    if result.choices is None:
        return [head]
    where = f"seed {result.seed}, " if result.seed is not None else ""
    choices = f"choices {list(result.choices)}" if result.choices else "the simplest run: every choice 0"
    lines = [f"{head} ({where}{choices})"]
    if result.found_choices is not None and result.found_choices != result.choices:
        lines.append(f"    shrunk from {len(result.found_choices)} choices in {result.shrink_runs} replays")
    if result.error is not None:
        lines.append(f"    raised: {result.error!r}")
    if not result.ok:
        if result.seed is not None and replay_hint is not None:
            lines.append(f"    replay: {replay_hint.format(seed=result.seed)}")
        mode = "exhaustive=True, " if exhaustive else ""
        lines.append(
            f"    replay this run: sim.run(scenario, ..., {mode}"
            f'chooser=sim.ReplayChooser({list(result.choices)}, then="zero"))'
        )
    lines.extend(f"    {n:>3}. {line}" for n, line in enumerate(result.trace, 1))
    return lines


class _Recorder:
    """Passes decisions to an inner chooser and keeps the answers."""

    def __init__(self, inner: Chooser) -> None:
        self.inner = inner
        self.taken: list[int] = []

    def choose(self, n: int, what: str) -> int:
        value = self.inner.choose(n, what)
        self.taken.append(value)
        return value


@frozen
class _Found:
    choices: Choices
    trace: tuple[str, ...]
    seed: int | None = None
    error: BaseException | None = None


@frozen
class _Node:
    prefix: Choices
    held: frozenset[str]


class _Stop(Exception):
    """Raised from on_state while replaying a candidate, once the failure shows again."""

    def __init__(self, found: _Found) -> None:
        super().__init__("explorer: failure reproduced")
        self.found = found


class _Key:
    """A state's identity, hashed once: a tuple's hash is not cached, and a key is hashed for
    the unique count and again for the seen set.
    """

    __slots__ = ("_hash", "value")

    def __init__(self, value: Hashable, hashed: int) -> None:
        self.value = value
        self._hash = hashed

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Key) and self._hash == other._hash and self.value == other.value


def _state_key(fingerprint: Callable[[Any], Hashable], world: Callable[[Any], Hashable], sim: Any) -> _Key:
    value = fingerprint(sim)
    try:
        hashed = hash(value)
    except TypeError:
        raise TypeError(
            f"fingerprint returned an unhashable {type(value).__name__}: {value!r}; it must return a "
            "hashable value (a tuple, frozenset, str, int, or a frozen attrs class) describing the state"
        ) from None
    rest = world(sim)
    return _Key((value, rest), hash((hashed, rest)))


@define
class _Search:
    target: Target
    properties: tuple[Property, ...]
    fingerprint: Callable[[Any], Hashable] | None
    runs: int = 0
    states: int = 0
    unique: set[Hashable] = field(factory=set[Hashable])
    found: dict[str, _Found] = field(factory=dict[str, _Found])

    def open(self, kind: Kind) -> list[Property]:
        return [p for p in self.properties if p.kind == kind and p.name not in self.found]

    def decided(self) -> bool:
        """Every property has its answer (with none, the scenario raised): searching on changes
        nothing the report says.
        """
        if not self.properties:
            return NO_EXCEPTION in self.found
        return all(p.name in self.found for p in self.properties)

    def observe(self, sim: Any, taken: Sequence[int], held: set[str], seed: int | None) -> Hashable:
        """Check a new state; returns its fingerprint (``None`` without one)."""
        self.states += 1
        key: Hashable = None
        if self.fingerprint is not None:
            key = _state_key(self.fingerprint, self.target.world, sim)
            self.unique.add(key)
        for prop in self.properties:
            if prop.name in self.found:
                continue
            holds = bool(prop.predicate(sim))
            if prop.kind == "eventually":
                if holds:
                    held.add(prop.name)
            elif holds == (prop.kind == "sometimes"):
                self.found[prop.name] = _Found(tuple(taken), self.target.state_trace(sim), seed)
        return key

    def finish(self, outcome: RunOutcome, held: set[str], seed: int | None) -> None:
        """Check a run that ended: the scenario's exception, and ``eventually`` if complete."""
        if outcome.error is not None:
            if NO_EXCEPTION not in self.found:
                self.found[NO_EXCEPTION] = _Found(
                    outcome.choices, self.target.result_trace(outcome), seed, outcome.error
                )
            return
        if not outcome.complete:
            return
        for prop in self.open("eventually"):
            if prop.name not in held:
                self.found[prop.name] = _Found(outcome.choices, self.target.result_trace(outcome), seed)


class _Observer:
    """``on_state`` of one exhaustive run: checks the states past the replayed prefix."""

    def __init__(self, search: _Search, chooser: _Recorder, node: _Node) -> None:
        self.search = search
        self.chooser = chooser
        self.base = len(node.prefix)
        self.held = set(node.held)
        self.key: Hashable = None
        self.key_at = 0

    def on_state(self, sim: Any) -> None:
        taken = self.chooser.taken
        if len(taken) < self.base:
            return
        self.key = self.search.observe(sim, taken, self.held, None)
        self.key_at = len(taken)


def explore_exhaustive(search: _Search, *, max_runs: int | None, deadline: float) -> str | None:
    """Breadth-first search over choice prefixes; returns why it stopped early, or None."""
    queue: deque[_Node] = deque([_Node((), frozenset())])
    seen: set[Hashable] = set()
    while queue:
        if search.decided():
            return "decided"
        if max_runs is not None and search.runs >= max_runs:
            return "max_runs"
        if time.monotonic() > deadline:
            return "max_seconds"
        node = queue.popleft()
        chooser = _Recorder(ReplayChooser(node.prefix, then="frontier"))
        observer = _Observer(search, chooser, node)
        search.runs += 1
        try:
            outcome = search.target.run(chooser, observer.on_state)
        except Frontier as frontier:
            if search.fingerprint is not None:
                state = (
                    observer.key,
                    tuple(chooser.taken[observer.key_at :]),
                    frozenset(observer.held),
                )
                if state in seen:
                    continue
                seen.add(state)
            held = frozenset(observer.held)
            queue.extend(_Node((*node.prefix, choice), held) for choice in range(frontier.n))
        else:
            search.finish(outcome, observer.held, None)
    return None


def explore_random(
    search: _Search,
    seeds: Iterable[int],
    *,
    max_runs: int | None,
    deadline: float,
) -> str | None:
    """One run per seed with a random chooser; returns why it stopped early, or None."""
    for seed in seeds:
        if search.decided():
            return "decided"
        if max_runs is not None and search.runs >= max_runs:
            return "max_runs"
        if time.monotonic() > deadline:
            return "max_seconds"
        chooser = _Recorder(RandomChooser(seed))
        held: set[str] = set()

        def on_state(sim: Any, chooser: _Recorder = chooser, held: set[str] = held, seed: int = seed) -> None:
            search.observe(sim, chooser.taken, held, seed)

        search.runs += 1
        outcome = search.target.run(chooser, on_state)
        search.finish(outcome, held, seed)
    return None


class _Reproducer:
    """``reproduces`` for ``shrink``: does replaying a candidate fail (or discover) the same way?"""

    def __init__(self, target: Target, prop: Property, original: _Found, *, longest: int | None) -> None:
        self.target = target
        self.prop = prop
        self.original = original
        self.longest = longest
        self.found: dict[Choices, _Found] = {normal(original.choices): original}

    def __call__(self, candidate: Choices) -> Choices | None:
        prop = self.prop
        chooser = _Recorder(ReplayChooser(candidate, then="zero"))
        held: list[bool] = []

        def on_state(sim: Any) -> None:
            if prop.kind == "eventually":
                if prop.predicate(sim):
                    held.append(True)
            elif prop.name != NO_EXCEPTION and bool(prop.predicate(sim)) == (prop.kind == "sometimes"):
                raise _Stop(_Found(tuple(chooser.taken), self.target.state_trace(sim)))

        try:
            outcome = self.target.run(chooser, on_state)
        except _Stop as stop:
            return self._keep(stop.found)
        if prop.name == NO_EXCEPTION:
            failed = outcome.error is not None and type(outcome.error) is type(self.original.error)
        else:
            failed = prop.kind == "eventually" and outcome.complete and outcome.error is None and not held
        if not failed:
            return None
        return self._keep(_Found(outcome.choices, self.target.result_trace(outcome), error=outcome.error))

    def _keep(self, found: _Found) -> Choices | None:
        if self.longest is not None and len(found.choices) > self.longest:
            return None  # fewer choices, but a longer run than breadth-first search found
        self.found.setdefault(normal(found.choices), found)
        return found.choices


def _result(
    search: _Search, prop: Property, *, shrinking: bool, max_shrink_runs: int, exhaustive: bool
) -> PropertyResult:
    found = search.found.get(prop.name)
    if found is None:
        status: Status = "undiscovered" if prop.kind == "sometimes" else "ok"
        return PropertyResult(prop.name, prop.kind, status)
    status = "discovered" if prop.kind == "sometimes" else "violated"
    choices, trace, runs = normal(found.choices), found.trace, 0
    if shrinking:
        longest = len(found.choices) if exhaustive else None
        reproducer = _Reproducer(search.target, prop, found, longest=longest)
        shrunk = shrink(found.choices, reproducer, max_runs=max_shrink_runs)
        choices, trace, runs = shrunk.choices, reproducer.found[shrunk.choices].trace, shrunk.runs
    return PropertyResult(
        prop.name,
        prop.kind,
        status,
        seed=found.seed,
        choices=choices,
        trace=trace,
        found_choices=normal(found.choices),
        shrink_runs=runs,
        error=found.error,
    )


def run_check(  # noqa: PLR0913 - check()'s options, passed on by keyword
    target: Target,
    *,
    properties: Sequence[Property],
    exhaustive: bool,
    seeds: Iterable[int],
    fingerprint: Callable[[Any], Hashable] | None,
    max_runs: int | None,
    max_seconds: float | None,
    shrinking: bool,
    max_shrink_runs: int,
    replay_hint: str | None,
) -> Report:
    """Search (exhaustively or by seed), then shrink each finding; the engine under ``check``."""
    for prop in properties:
        if not isinstance(prop, Property):  # pyright: ignore[reportUnnecessaryIsInstance] - untyped callers
            raise TypeError(
                f"properties must be made by sim.always, sim.sometimes or sim.eventually, got {prop!r}"
            )
    names = [prop.name for prop in properties]
    for prop in properties:
        if names.count(prop.name) > 1 or prop.name == NO_EXCEPTION:
            raise ValueError(f"property name {prop.name!r} is used twice; each property needs its own name")
    builtin = Property(NO_EXCEPTION, "always", lambda _: True)
    search = _Search(target, tuple(properties), fingerprint)
    started = time.monotonic()
    deadline = started + max_seconds if max_seconds is not None else float("inf")
    if exhaustive:
        stopped = explore_exhaustive(search, max_runs=max_runs, deadline=deadline)
    else:
        stopped = explore_random(search, seeds, max_runs=max_runs, deadline=deadline)
    results = tuple(
        _result(search, prop, shrinking=shrinking, max_shrink_runs=max_shrink_runs, exhaustive=exhaustive)
        for prop in (*properties, builtin)
    )
    return Report(
        mode="exhaustive" if exhaustive else "random",
        runs=search.runs,
        states=search.states,
        unique_states=len(search.unique) if fingerprint is not None else None,
        seconds=time.monotonic() - started,
        stopped=stopped,
        results=results,
        replay_hint=replay_hint,
    )


Scenario = Callable[[Sim], Awaitable[object]]
"""A scenario: ``async def scenario(s: sim.Sim) -> None``."""


CALLBACKS = frozenset(
    {"init", "handle_call", "handle_cast", "handle_info", "handle_continue", "terminate", "stop", "system"}
)
"""Trace kinds left out of a report's trace: the callbacks that follow each delivery."""


def readable(trace: Iterable[TraceEvent]) -> tuple[str, ...]:
    """A trace as a report shows it: deliveries, network faults, timers, faults and exits, up to
    the end of the run (the callbacks each delivery runs, and the shutdown after, left out).
    """
    lines: list[str] = []
    for event in trace:
        if event.kind == "end":
            break
        if event.kind not in CALLBACKS:
            lines.append(f"{event.time:.6f}  {event.kind:<8} {event.text}")
    return tuple(lines)


def world(sim: Sim) -> Hashable:
    """The simulator's part of a state (see ``Engine.state_key``)."""
    return sim._engine.state_key()


def _is_count(value: object, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def _check_budgets(max_runs: object, max_seconds: object, max_shrink_runs: object) -> None:
    """Refuse a bound that would explore nothing (and so report a vacuous "ok")."""
    if max_runs is not None and not _is_count(max_runs, 1):
        raise ValueError(f"max_runs must be None or an int >= 1, got {max_runs!r}")
    if max_seconds is not None and (
        isinstance(max_seconds, bool) or not isinstance(max_seconds, int | float) or not max_seconds > 0
    ):
        raise ValueError(f"max_seconds must be None or a number of seconds > 0, got {max_seconds!r}")
    if not _is_count(max_shrink_runs, 0):
        raise ValueError(f"max_shrink_runs must be an int >= 0, got {max_shrink_runs!r}")


def check(  # noqa: PLR0913 - the search's bounds and sim.run's options, all by keyword
    scenario: Scenario,
    *,
    properties: Sequence[Property] = (),
    exhaustive: bool = False,
    seeds: int | Iterable[int] | None = None,
    fingerprint: Callable[[Sim], Hashable] | None = None,
    max_steps: int = 10_000,
    max_runs: int | None = None,
    max_seconds: float | None = None,
    shrink: bool = True,
    max_shrink_runs: int = 500,
    replay_hint: str | None = None,
    nodes: tuple[str, ...] | list[str] = ("main",),
    network: Network | None = None,
    faults: Faults | None = None,
    boot: Mapping[str, Boot] | None = None,
    max_time: float = math.inf,
) -> Report:
    """Check properties of a scenario over every interleaving (exhaustive) or over many seeds.

    Exhaustive mode is stateless model checking: the scenario is re-run from the start for each
    prefix of choices, breadth first, so the first counterexample is a shortest one; with a
    ``fingerprint`` a state already explored is not explored again. Random mode runs the
    scenario once per seed. Either way every finding is then shrunk to a simpler choice list
    that still fails, and the report shows its trace.

    Example:
        ```python
        report = sim.check(
            scenario,
            properties=[sim.always("at most one leader", one_leader)],
            exhaustive=True,
            fingerprint=lambda s: (s.server_of(a).state, s.server_of(b).state),
            nodes=("a", "b"),
            network=sim.Network(duplicate=0.5),
        )
        report.assert_ok()
        ```

    Args:
        scenario: ``async def scenario(s: sim.Sim) -> None``, as for [`run`][spawned.sim.run].
        properties: Made by [`always`][spawned.sim.always], [`sometimes`][spawned.sim.sometimes]
            and [`eventually`][spawned.sim.eventually]. The scenario raising is always a failure.
        exhaustive: Explore every choice up to ``max_steps`` steps per run.
        seeds: Random mode: ``N`` runs seeds ``0 .. N-1``; an iterable runs those seeds.
        fingerprint: A function of the system (``sim -> hashable``) that is equal for states
            whose futures are the same; with it each state is expanded once. It must return a
            hashable value, else ``TypeError``.
        max_steps: The depth bound: steps (chosen events) per run.
        max_runs: Stop after this many runs (the report says ``stopped="max_runs"``).
        max_seconds: Stop after about this much wall time.
        shrink: Shrink each finding to a simpler choice list (default True).
        max_shrink_runs: At most this many replays to shrink one finding.
        replay_hint: How to replay a failing seed, with ``{seed}`` in it; shown in the report
            (the pytest integration sets it).
        nodes: As for [`run`][spawned.sim.run].
        network: As for [`run`][spawned.sim.run]; in exhaustive mode a loss or duplication
            probability above 0 makes dropping or duplicating each message an option.
        faults: As for [`run`][spawned.sim.run]; in exhaustive mode each kind above 0 is an
            option at each step.
        boot: As for [`run`][spawned.sim.run].
        max_time: As for [`run`][spawned.sim.run]; in exhaustive mode a timer due later is
            never an option (keeps call timeouts out of a search).

    Returns:
        The [`Report`][spawned.sim.Report]; call ``report.assert_ok()`` to fail a test with it.

    Raises:
        ValueError: Neither or both of ``exhaustive`` and ``seeds`` given, a bad count, or two
            properties share a name.
        TypeError: A property not made by ``always``/``sometimes``/``eventually``, or the
            fingerprint returned an unhashable value. Exceptions raised by a predicate or the
            fingerprint propagate.
    """
    if exhaustive == (seeds is not None):
        raise ValueError(
            "give exactly one of exhaustive=True (every interleaving) or seeds=N (N random runs), "
            f"got exhaustive={exhaustive!r}, seeds={seeds!r}"
        )
    if isinstance(seeds, int):
        if isinstance(seeds, bool) or seeds < 1:
            raise ValueError(
                f"seeds must be a positive number of runs or an iterable of seeds, got {seeds!r}"
            )
        seeds = range(seeds)
    elif seeds is not None:
        seeds = tuple(seeds)
        if not seeds:
            raise ValueError("seeds is empty: no seed to run (give seeds=N or a non-empty iterable of seeds)")
    if max_steps < 1:
        raise ValueError(f"max_steps must be a positive number of steps, got {max_steps!r}")
    _check_budgets(max_runs, max_seconds, max_shrink_runs)

    def run_once(chooser: Chooser, on_state: Callable[[Any], None]) -> RunOutcome:
        return run(
            scenario,
            chooser=chooser,
            on_state=on_state,
            exhaustive=exhaustive,
            max_steps=max_steps,
            nodes=nodes,
            network=network,
            faults=faults,
            boot=boot,
            max_time=max_time,
        )

    target = Target(
        run=run_once,
        state_trace=lambda sim: readable(sim.trace),
        result_trace=lambda outcome: readable(cast("SimResult", outcome).trace),
        world=world,
    )
    return run_check(
        target,
        properties=properties,
        exhaustive=exhaustive,
        seeds=seeds or (),
        fingerprint=fingerprint,
        max_runs=max_runs,
        max_seconds=max_seconds,
        shrinking=shrink,
        max_shrink_runs=max_shrink_runs,
        replay_hint=replay_hint,
    )
