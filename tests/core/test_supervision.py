"""Supervisor decisions, with no runtime: tables, the intensity window, strategy invariants,
and every event `step` decides (exits, start outcomes, requests, shutdown)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from pathlib import Path

import pytest
from attrs import evolve, frozen
from hypothesis import given, settings
from hypothesis import strategies as st

import spawned._supervisor_logic as sv
from spawned import (
    BRUTAL_KILL,
    INFINITY,
    Child,
    ChildAlreadyPresent,
    ChildAlreadyStarted,
    ChildNotFound,
    ChildRestarting,
    ChildRunning,
    ChildSpec,
    DynamicSupervisor,
    InitFailed,
    MaxChildren,
    Restart,
    Strategy,
    Supervisor,
)
from spawned._supervisor_logic import (
    Action,
    AddChild,
    Answer,
    ChildExited,
    DeleteChild,
    Entry,
    Escalate,
    Event,
    InitChildren,
    Kind,
    LogRestart,
    Refuse,
    RestartChild,
    RuntimeClosing,
    SendRetry,
    StartChild,
    StartFailed,
    StartIgnored,
    StartSucceeded,
    State,
    StopAll,
    StopChild,
    Terminate,
    TerminateChild,
    TryAgain,
    is_restarted,
    on_child_exit,
    on_try_again,
    restart_failed,
    restart_table_markdown,
    stop_order,
    which_children,
    within_intensity,
)

ABNORMAL = [ValueError("boom"), "killed", "noproc", "custom"]
CLEAN = ["normal", "shutdown", ("shutdown", "detail")]


def _spec(child_id: object, restart: Restart | str = Restart.PERMANENT) -> ChildSpec:
    return ChildSpec(child_id, object, restart)  # type: ignore[arg-type]


def _state(
    restarts: list[Restart], strategy: Strategy = Strategy.ONE_FOR_ONE, max_restarts: int = 3
) -> State:
    children = tuple(Entry(i, _spec(i, r), process=f"p{i}") for i, r in enumerate(restarts))
    return State(strategy, max_restarts, 5.0, children)


@pytest.mark.parametrize("reason", ABNORMAL + CLEAN)
@pytest.mark.parametrize("restart", list(Restart))
def test_restart_table(restart: Restart, reason: object) -> None:
    expected = restart is Restart.PERMANENT or (restart is Restart.TRANSIENT and reason in ABNORMAL)
    assert is_restarted(restart, reason) is expected


def test_intensity_window_counts_only_recent_restarts() -> None:
    recent, ok = within_intensity((0.0, 1.0, 2.0), 6.5, 3, 5.0)
    assert recent == (2.0, 6.5)
    assert ok
    recent, ok = within_intensity((2.0, 3.0, 4.0), 6.5, 3, 5.0)
    assert recent == (2.0, 3.0, 4.0, 6.5)
    assert not ok


def test_max_restarts_zero_escalates_at_the_first_restart() -> None:
    _, actions = on_child_exit(_state([Restart.PERMANENT], max_restarts=0), 0, "boom", 0.0)
    assert actions == (Escalate("shutdown"),)


def test_one_for_one_restarts_only_the_child() -> None:
    state, actions = on_child_exit(_state([Restart.PERMANENT] * 3), 1, "boom", 0.0)
    assert actions == (StartChild(1),)
    assert [e.running for e in state.children] == [True, False, True]


def test_one_for_all_stops_the_rest_in_reverse_then_starts_all_in_order() -> None:
    _, actions = on_child_exit(_state([Restart.PERMANENT] * 3, Strategy.ONE_FOR_ALL), 1, "boom", 0.0)
    assert actions == (
        StopChild(2, "p2", 5.0),
        StopChild(0, "p0", 5.0),
        StartChild(0),
        StartChild(1),
        StartChild(2),
    )


def test_rest_for_one_covers_only_later_children() -> None:
    _, actions = on_child_exit(_state([Restart.PERMANENT] * 4, Strategy.REST_FOR_ONE), 1, "boom", 0.0)
    assert actions == (StopChild(3, "p3", 5.0), StopChild(2, "p2", 5.0), *map(StartChild, (1, 2, 3)))


def test_an_unknown_child_changes_nothing() -> None:
    state = _state([Restart.PERMANENT])
    assert on_child_exit(state, "ghost", "boom", 0.0) == (state, ())


def test_a_failed_restart_keeps_pending_siblings_due() -> None:
    state, _ = on_child_exit(_state([Restart.PERMANENT] * 3, Strategy.ONE_FOR_ALL), 0, "boom", 0.0)
    started = state.put(evolve(state.children[0], process="p0'", pending=False))
    _, actions = on_child_exit(started, 1, "init failed", 1.0)
    assert actions == (StopChild(0, "p0'", 5.0), StartChild(0), StartChild(1), StartChild(2))


def test_stop_order_is_reverse_start_order_of_running_children() -> None:
    state = _state([Restart.PERMANENT] * 3)
    state = state.put(evolve(state.children[1], process=None))
    assert [s.id for s in stop_order(state)] == [2, 0]


def test_shutdown_defaults_by_kind_and_validation() -> None:
    spec = _spec("a")
    assert spec.shutdown_for("worker") == 5.0
    assert spec.shutdown_for("supervisor") == INFINITY
    assert ChildSpec("a", object, shutdown=BRUTAL_KILL).shutdown_for("worker") is BRUTAL_KILL  # type: ignore[arg-type]
    for bad in (-1, -0.5, math.nan, "soon", True):
        with pytest.raises(ValueError, match="shutdown must be seconds >= 0, BRUTAL_KILL or INFINITY"):
            ChildSpec("a", object, shutdown=bad)  # type: ignore[arg-type]


def test_shutdown_zero_is_allowed_as_in_otp() -> None:
    assert ChildSpec("a", object, shutdown=0).shutdown_for("worker") == 0  # type: ignore[arg-type]


@pytest.mark.parametrize("strategy", list(Strategy))
def test_a_strategy_spelled_as_in_otp_is_that_strategy(strategy: Strategy) -> None:
    assert Supervisor(strategy=strategy.value).strategy is strategy
    assert Supervisor(strategy=strategy).strategy is strategy


@pytest.mark.parametrize("restart", list(Restart))
def test_a_restart_type_spelled_as_in_otp_is_that_restart_type(restart: Restart) -> None:
    assert _spec("a", restart.value).restart is restart


def test_a_transient_child_given_as_a_string_follows_the_transient_rules() -> None:
    state = State(children=(Entry("a", _spec("a", "transient"), process="pa"),))
    assert on_child_exit(state, "a", "normal", 0.0)[1] == ()
    assert on_child_exit(state, "a", "boom", 0.0)[1] == (StartChild("a"),)


def test_an_unknown_strategy_or_restart_is_refused_naming_the_allowed_values() -> None:
    with pytest.raises(
        ValueError, match=r"strategy must be a Strategy or its OTP spelling: .*'one_for_all'.*got 'all'"
    ):
        Supervisor(strategy="all")
    with pytest.raises(
        ValueError, match=r"restart must be a Restart or its OTP spelling: .*'transient'.*got 3"
    ):
        _spec("a", 3)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["other", None, object])
def test_supervisor_children_must_be_child_specs(bad: object) -> None:
    with pytest.raises(TypeError, match=f"Supervisor children must each be a ChildSpec, got {bad!r}"):
        Supervisor([_spec("a"), bad])  # type: ignore[list-item]


def test_a_child_spec_start_must_be_callable() -> None:
    with pytest.raises(TypeError, match="'start' must be callable"):
        ChildSpec("a", "not a factory")  # type: ignore[arg-type]


def test_supervisor_spec_validation_names_the_bad_value() -> None:
    with pytest.raises(ValueError, match="'a' appears twice"):
        Supervisor([_spec("a"), _spec("a")])
    with pytest.raises(ValueError, match="max_restarts must be an int >= 0, got -1"):
        Supervisor(max_restarts=-1)
    with pytest.raises(ValueError, match="max_seconds must be > 0, got 0"):
        DynamicSupervisor(max_seconds=0)
    with pytest.raises(ValueError, match="max_children must be None or an int >= 0, got -2"):
        DynamicSupervisor(max_children=-2)


def test_the_docs_show_the_restart_table_as_the_code_has_it() -> None:
    docs = Path(__file__).parents[2] / "docs" / "supervision.md"
    assert restart_table_markdown() in docs.read_text()


# -- properties ---------------------------------------------------------------------------------

restart_types = st.lists(st.sampled_from(list(Restart)), min_size=1, max_size=6)
reasons = st.sampled_from(ABNORMAL + CLEAN)


@settings(max_examples=50)
@given(restart_types, st.sampled_from(list(Strategy)), st.data())
def test_a_temporary_child_is_never_restarted(
    restarts: list[Restart], strategy: Strategy, data: st.DataObject
) -> None:
    state = _state(restarts, strategy, max_restarts=100)
    for step in range(10):
        running = [e.id for e in state.children if e.running]
        if not running:
            break
        child = data.draw(st.sampled_from(running))
        state, actions = on_child_exit(state, child, data.draw(reasons), float(step))
        started = {a.id for a in actions if isinstance(a, StartChild)}
        assert all(restarts[i] is not Restart.TEMPORARY for i in started)  # type: ignore[index]
        state = _run(state, actions)
    assert all(e.spec.restart is not Restart.TEMPORARY or e.running for e in state.children)


@given(st.integers(min_value=0, max_value=5), st.sampled_from(list(Strategy)), st.integers(1, 4))
def test_too_many_restarts_in_the_window_always_escalate(
    max_restarts: int, strategy: Strategy, n: int
) -> None:
    state = _state([Restart.PERMANENT] * n, strategy, max_restarts)
    for step in range(max_restarts):
        state, actions = on_child_exit(state, step % n, "boom", step * 0.01)
        assert Escalate("shutdown") not in actions
        state = _run(state, actions)
    _, actions = on_child_exit(state, 0, "boom", max_restarts * 0.01)
    assert actions == (Escalate("shutdown"),)


@given(st.integers(2, 6), st.data())
def test_one_for_all_starts_every_sibling_exactly_once(n: int, data: st.DataObject) -> None:
    child = data.draw(st.integers(0, n - 1))
    _, actions = on_child_exit(_state([Restart.PERMANENT] * n, Strategy.ONE_FOR_ALL), child, "boom", 0.0)
    starts = [a.id for a in actions if isinstance(a, StartChild)]
    stops = [a.id for a in actions if isinstance(a, StopChild)]
    assert starts == list(range(n))
    assert stops == [i for i in reversed(range(n)) if i != child]
    assert actions.index(StartChild(0)) > max(actions.index(s) for s in actions if isinstance(s, StopChild))


@given(st.integers(2, 6), st.data())
def test_rest_for_one_starts_only_the_child_and_later_ones(n: int, data: st.DataObject) -> None:
    child = data.draw(st.integers(0, n - 1))
    _, actions = on_child_exit(_state([Restart.PERMANENT] * n, Strategy.REST_FOR_ONE), child, "boom", 0.0)
    assert [a.id for a in actions if isinstance(a, StartChild)] == list(range(child, n))
    assert [a.id for a in actions if isinstance(a, StopChild)] == list(reversed(range(child + 1, n)))


def test_a_failed_restart_shows_as_restarting_until_its_try_again() -> None:
    state, actions = on_child_exit(_state([Restart.PERMANENT] * 2), 1, "boom", 0.0)
    assert actions == (StartChild(1),)
    state, retry = restart_failed(state, 1, ("failed_to_start", "nope"))
    assert retry == TryAgain(1, ("failed_to_start", "nope"), 1)
    entry = state.find(1)
    assert entry is not None
    assert entry.restarting
    assert not entry.running
    assert state.count().active == 1
    state, actions = on_try_again(state, retry, 1.0)
    assert actions == (StartChild(1),)
    assert state.restarts == (0.0, 1.0)  # the retry counts towards the intensity
    entry = state.find(1)
    assert entry is not None
    assert not entry.restarting


def test_a_try_again_does_nothing_once_the_child_was_handled_or_failed_again() -> None:
    state, _ = on_child_exit(_state([Restart.PERMANENT]), 0, "boom", 0.0)
    failed, retry = restart_failed(state, 0, "nope")
    entry = failed.find(0)
    assert entry is not None
    for handled in (failed.drop(0), failed.put(evolve(entry, retry=None))):
        assert on_try_again(handled, retry, 1.0) == (handled, ())
    again, newer = restart_failed(failed, 0, "nope")
    assert newer.attempt != retry.attempt
    assert on_try_again(again, retry, 1.0) == (again, ())
    assert on_try_again(again, newer, 1.0)[1] == (StartChild(0),)


@given(st.integers(min_value=0, max_value=6), st.sampled_from(list(Strategy)), st.integers(1, 4), st.data())
def test_a_restart_that_keeps_failing_escalates_exactly_at_the_intensity(
    max_restarts: int, strategy: Strategy, n: int, data: st.DataObject
) -> None:
    child = data.draw(st.integers(0, n - 1))
    state = _state([Restart.PERMANENT] * n, strategy, max_restarts)
    state, actions = on_child_exit(state, child, "boom", 0.0)
    for attempt in range(1, max_restarts + 1):
        assert Escalate("shutdown") not in actions
        failing = next(a.id for a in actions if isinstance(a, StartChild))
        state = _run(state, actions[: actions.index(StartChild(failing))])
        state, retry = restart_failed(state, failing, "nope")
        assert sum(e.restarting for e in state.children) == 1
        state, actions = on_try_again(state, retry, attempt * 0.01)
    assert actions == (Escalate("shutdown"),)


def _run(state: State, actions: tuple[object, ...]) -> State:
    """Carry actions out as a driver would: every start succeeds with a fresh process."""
    for action in actions:
        if isinstance(action, StartChild):
            entry = state.find(action.id)
            assert entry is not None
            state = state.put(evolve(entry, process=f"p{action.id}+", pending=False))
    return state


# -- every decision through `step`, with no runtime --------------------------------------------


@frozen
class Proc:
    """A child process as `step` sees it: opaque, with a handle and a label."""

    n: int

    @property
    def handle(self) -> str:
        return f"h{self.n}"

    @property
    def label(self) -> str:
        return f"<p{self.n}>"


_made: dict[int, Proc] = {}
_procs = itertools.count(1000)


def proc(n: int) -> Proc:
    """The process number ``n``: always the same object (a supervisor finds a child by identity)."""
    return _made.setdefault(n, Proc(n))


def _static(
    restarts: list[Restart], strategy: Strategy = Strategy.ONE_FOR_ONE, max_restarts: int = 3
) -> State:
    children = tuple(Entry(i, _spec(i, r), process=proc(i)) for i, r in enumerate(restarts))
    return State(strategy, max_restarts, 5.0, children)


def _succeed() -> StartSucceeded:
    return StartSucceeded(proc(next(_procs)), "worker")


FAIL = StartFailed(InitFailed("child", "boom"))
outcomes = st.sampled_from(["ok", "ok", "ignore", "fail"]).map(
    lambda o: _succeed() if o == "ok" else StartIgnored("worker") if o == "ignore" else FAIL
)


def _settle(
    state: State, event: Event, now: float, draw: Callable[[], StartSucceeded | StartIgnored | StartFailed]
) -> tuple[State, list[Action], list[Entry]]:
    """Feed ``event``, then an outcome for every start, as the driver does, until at rest.

    Returns the state, every action, and the entries whose start was under way. Checks on
    the way that a `StartChild` is always the last action and names the start under way.
    """
    state, actions = sv.step(state, event, now)
    every, started = list(actions), []
    while actions and isinstance(actions[-1], StartChild):
        assert sum(isinstance(a, StartChild) for a in actions) == 1
        assert state.busy is not None
        assert state.busy.current.id == actions[-1].id
        started.append(state.busy.current)
        state, actions = sv.step(state, draw(), now)
        every += actions
    assert not any(isinstance(a, StartChild) for a in actions)
    assert state.busy is None
    return state, every, started


def _events(state: State, retries: list[TryAgain], data: st.DataObject) -> Event:
    """A random thing that can happen to a supervisor in ``state``."""
    running = [e for e in state.children if e.running]
    choices: list[str] = ["add", "terminate", "restart", "delete"]
    if running:
        choices += ["exit"] * 4
    if retries:
        choices += ["retry"] * 2
    kind = data.draw(st.sampled_from(choices))
    ids = [e.id for e in state.children] or [0]
    if kind == "exit":
        return ChildExited(data.draw(st.sampled_from(running)).process, data.draw(reasons))
    if kind == "retry":
        return retries.pop(data.draw(st.integers(0, len(retries) - 1)))
    if kind == "add":
        child_id = data.draw(st.integers(0, 8))
        return AddChild(_spec(child_id, data.draw(st.sampled_from(list(Restart)))))
    if kind == "terminate":
        if state.dynamic:
            return TerminateChild(data.draw(st.sampled_from([*[e.process for e in running], None])))
        return TerminateChild(data.draw(st.sampled_from(ids)))
    child_id = data.draw(st.sampled_from(ids))
    return RestartChild(child_id) if kind == "restart" else DeleteChild(child_id)


def _dynamic_handle(process: object) -> object:
    """What a ``DynamicSupervisor`` handle's ``terminate_child`` sends: a child handle."""
    return type("H", (), {"_process": process})()


def _restart_times(state: State, event: Event) -> bool:
    """Whether ``event`` makes ``state`` restart a child (the model the properties check)."""
    if isinstance(event, ChildExited):
        entry = state.find_process(event.process)
        return entry is not None and is_restarted(entry.spec.restart, event.reason)
    if isinstance(event, TryAgain):
        entry = state.find(event.id)
        return entry is not None and entry.retry == event.attempt
    return False


@settings(max_examples=60)
@given(
    restart_types,
    st.sampled_from(list(Strategy)),
    st.integers(0, 4),
    st.one_of(st.none(), st.integers(0, 4)),
    st.data(),
)
def test_step_keeps_every_supervisor_rule_under_random_events(
    restarts: list[Restart],
    strategy: Strategy,
    max_restarts: int,
    max_children: int | None,
    data: st.DataObject,
) -> None:
    """A temporary child is never restarted; too many restarts in the window always
    escalate (and only then); a dynamic supervisor (``max_children`` given) keeps only children that are running or
    restarting, and never more than ``max_children``; no child starts once the runtime is
    closing.
    """
    dynamic = max_children is not None
    if dynamic:
        state = State(max_restarts=max_restarts, dynamic=True, max_children=max_children)
    else:
        state = _static(restarts, strategy, max_restarts)
    retries: list[TryAgain] = []
    times: list[float] = []
    now = 0.0
    for _ in range(20):
        now += data.draw(st.sampled_from([0.0, 0.5, 1.0, 4.0]))
        closing = state.closing
        if not dynamic and not closing and data.draw(st.integers(0, 20)) == 0:
            state, _ = sv.step(state, RuntimeClosing(), now)
            closing = True
        event = _events(state, retries, data)
        if dynamic and isinstance(event, TerminateChild):
            event = TerminateChild(_dynamic_handle(event.child))
        restarting = _restart_times(state, event)
        state, actions, started = _settle(state, event, now, lambda: data.draw(outcomes))
        escalated = Escalate("shutdown") in actions
        if restarting:
            times = [t for t in times if now - t < state.max_seconds] + [now]
        assert escalated == (restarting and len(times) > max_restarts)
        if isinstance(event, ChildExited | TryAgain):
            assert all(e.spec.restart is not Restart.TEMPORARY for e in started)
        if closing and isinstance(event, ChildExited | TryAgain):
            assert started == []
        if dynamic:
            assert all(e.running or e.restarting for e in state.children)
            assert len(state.children) <= max_children
        retries += [a.retry for a in actions if isinstance(a, SendRetry)]
        if escalated:
            break


@given(st.integers(0, 5), st.data())
def test_a_dynamic_supervisor_never_exceeds_max_children(limit: int, data: st.DataObject) -> None:
    state = State(dynamic=True, max_children=limit)
    for n in range(limit + 3):
        before = len(state.children)
        state, actions, _ = _settle(state, AddChild(_spec("w")), float(n), lambda: data.draw(outcomes))
        assert len(state.children) <= limit
        if before >= limit:
            assert len(actions) == 1
            assert isinstance(actions[0], Refuse)
            assert isinstance(actions[0].error, MaxChildren)
            assert str(actions[0].error) == f"the supervisor already has its max_children ({limit}) children"


def test_a_transient_child_that_exits_normally_is_not_restarted_and_stays() -> None:
    state = _static([Restart.TRANSIENT])
    state, actions = sv.step(state, ChildExited(proc(0), "normal"), 0.0)
    assert actions == ()
    assert state.children == (Entry(0, _spec(0, Restart.TRANSIENT)),)


@pytest.mark.parametrize("reason", ["normal", "boom"])
def test_a_dynamic_supervisor_forgets_a_child_that_is_not_restarted(reason: str) -> None:
    state = State(dynamic=True)
    state, _, _ = _settle(
        state, AddChild(_spec("w", Restart.TRANSIENT)), 0.0, lambda: StartSucceeded(proc(1), "worker")
    )
    state, actions, _ = _settle(state, ChildExited(proc(1), reason), 1.0, _succeed)
    if reason == "normal":
        assert actions == []
        assert state.children == ()
    else:
        assert [type(a) for a in actions] == [LogRestart, StartChild]
        assert [e.id for e in state.children] == [0]


def test_a_dynamic_supervisor_forgets_an_ignored_child_a_supervisor_keeps_it() -> None:
    ignored = lambda: StartIgnored("worker")  # noqa: E731 - a one-line outcome
    dynamic, actions, _ = _settle(State(dynamic=True), AddChild(_spec("w")), 0.0, ignored)
    assert dynamic.children == ()
    assert actions[-1] == Answer(None)
    static, _, _ = _settle(State(), AddChild(_spec("w")), 0.0, ignored)
    assert [(e.id, e.running) for e in static.children] == [("w", False)]
    temporary, _, _ = _settle(State(), AddChild(_spec("t", Restart.TEMPORARY)), 0.0, ignored)
    assert temporary.children == ()


def test_start_child_refuses_an_id_already_started_or_present() -> None:
    state = _static([Restart.PERMANENT, Restart.PERMANENT])
    state = state.put(evolve(state.children[1], process=None))
    _, started = sv.step(state, AddChild(_spec(0)), 0.0)
    assert len(started) == 1
    assert isinstance(started[0], Refuse)
    assert isinstance(started[0].error, ChildAlreadyStarted)
    assert started[0].error.handle == "h0"
    _, present = sv.step(state, AddChild(_spec(1)), 0.0)
    assert isinstance(present[0], Refuse)
    assert isinstance(present[0].error, ChildAlreadyPresent)


def test_start_child_answers_with_the_new_handle() -> None:
    state, actions, _ = _settle(State(), AddChild(_spec("w")), 0.0, lambda: StartSucceeded(proc(7), "worker"))
    assert actions == [StartChild("w"), Answer("h7")]
    assert state.find("w") == Entry("w", _spec("w"), "worker", proc(7))


def test_a_failed_start_child_is_refused_and_not_recorded() -> None:
    state, actions, _ = _settle(State(), AddChild(_spec("w")), 0.0, lambda: FAIL)
    assert actions == [StartChild("w"), Refuse(FAIL.error)]
    assert state.children == ()


@pytest.mark.parametrize("restart", list(Restart))
def test_terminate_child_keeps_the_spec_unless_temporary(restart: Restart) -> None:
    state, actions = sv.step(_static([restart]), TerminateChild(0), 0.0)
    assert actions == (StopChild(0, proc(0), 5.0), Answer(None))
    if restart is Restart.TEMPORARY:
        assert state.children == ()
    else:
        assert state.children == (Entry(0, _spec(0, restart)),)


def test_a_dynamic_supervisor_terminates_by_handle_and_drops_the_child() -> None:
    state, _, _ = _settle(
        State(dynamic=True), AddChild(_spec("w")), 0.0, lambda: StartSucceeded(proc(3), "worker")
    )
    _, missing = sv.step(state, TerminateChild(0), 0.0)
    assert missing == (Refuse(missing[0].error),)  # type: ignore[union-attr]
    assert isinstance(missing[0], Refuse)
    assert isinstance(missing[0].error, ChildNotFound)
    state, actions = sv.step(state, TerminateChild(_dynamic_handle(proc(3))), 0.0)
    assert actions == (StopChild(0, proc(3), 5.0), Answer(None))
    assert state.children == ()


@pytest.mark.parametrize("request_type", [RestartChild, DeleteChild])
def test_restart_and_delete_child_are_refused_for_a_running_or_unknown_child(
    request_type: type[RestartChild | DeleteChild],
) -> None:
    state = _static([Restart.PERMANENT])
    for child_id, error in ((0, ChildRunning), ("ghost", ChildNotFound)):
        after, actions = sv.step(state, request_type(child_id), 0.0)
        assert after == state
        assert len(actions) == 1
        assert isinstance(actions[0], Refuse)
        assert isinstance(actions[0].error, error)


def test_restart_child_starts_a_stopped_child_and_delete_child_drops_it() -> None:
    state, _ = sv.step(_static([Restart.PERMANENT]), TerminateChild(0), 0.0)
    restarted, actions, _ = _settle(state, RestartChild(0), 0.0, lambda: StartSucceeded(proc(5), "worker"))
    assert actions == [StartChild(0), Answer("h5")]
    assert restarted.children[0].process == proc(5)
    deleted, actions = sv.step(state, DeleteChild(0), 0.0)
    assert actions == (Answer(None),)
    assert deleted.children == ()


def _restarting(state: State, process: object) -> tuple[State, TryAgain]:
    """``state`` after the child running as ``process`` exited and its restart failed."""
    state, actions = sv.step(state, ChildExited(process, "boom"), 0.0)
    assert isinstance(actions[-1], StartChild)
    state, actions = sv.step(state, FAIL, 0.0)
    assert len(actions) == 1
    assert isinstance(actions[0], SendRetry)
    assert state.children[0].restarting
    return state, actions[0].retry


@pytest.mark.parametrize("request_", [RestartChild(0), DeleteChild(0), AddChild(_spec(0))], ids=repr)
def test_requests_on_a_restarting_child_are_refused_as_restarting(request_: Event) -> None:
    """OTP's ``{error, restarting}``: the child is left as it is, its retry still due."""
    state, retry = _restarting(_static([Restart.PERMANENT]), proc(0))
    after, actions = sv.step(state, request_, 0.0)
    assert after == state
    assert len(actions) == 1
    assert isinstance(actions[0], Refuse)
    assert isinstance(actions[0].error, ChildRestarting)
    _, actions = sv.step(after, retry, 1.0)
    assert actions[-1] == StartChild(0)


def test_a_dynamic_supervisor_terminates_a_restarting_child_by_the_handle_it_ran_under() -> None:
    """Elixir's "terminates restarting child": OTP keeps a restarting child under its old pid."""
    state, _, _ = _settle(
        State(dynamic=True), AddChild(_spec("w")), 0.0, lambda: StartSucceeded(proc(7), "worker")
    )
    state, retry = _restarting(state, proc(7))
    state, actions = sv.step(state, TerminateChild(_dynamic_handle(proc(7))), 0.0)
    assert actions == (Answer(None),)
    assert state.children == ()
    assert sv.step(state, retry, 1.0) == (state, ())
    _, actions = sv.step(state, TerminateChild(_dynamic_handle(proc(7))), 0.0)
    assert isinstance(actions[0], Refuse)
    assert isinstance(actions[0].error, ChildNotFound)


def test_a_child_that_started_again_forgets_its_former_process() -> None:
    state, _ = sv.step(_static([Restart.PERMANENT]), ChildExited(proc(0), "boom"), 0.0)
    assert state.children[0].former is proc(0)
    state, _ = sv.step(state, StartSucceeded(proc(8), "worker"), 0.0)
    assert state.children[0].former is None


def test_init_starts_children_in_order_and_a_failure_stops_those_started() -> None:
    specs = (_spec("a"), _spec("b"), _spec("c"))
    outcomes_in_order = iter([StartSucceeded(proc(1), "worker"), StartIgnored("worker"), FAIL])
    state, actions, started = _settle(State(), InitChildren(specs), 0.0, lambda: next(outcomes_in_order))
    assert [e.id for e in started] == ["a", "b", "c"]
    assert actions == [
        StartChild("a"),
        StartChild("b"),
        StartChild("c"),
        StopAll((StopChild("a", proc(1), 5.0),)),
        Escalate(("shutdown", ("failed_to_start_child", "c", "boom"))),
    ]
    assert not any(e.running for e in state.children)


def test_a_failed_restart_is_tried_again_through_the_mailbox() -> None:
    state, actions, _ = _settle(_static([Restart.PERMANENT]), ChildExited(proc(0), "boom"), 0.0, lambda: FAIL)
    assert actions == [
        LogRestart(0, proc(0), "boom", (0,)),
        StartChild(0),
        SendRetry(TryAgain(0, ("failed_to_start", "boom"), 1)),
    ]
    assert state.children[0].restarting


def test_no_child_restarts_once_the_runtime_is_closing() -> None:
    state, _ = sv.step(_static([Restart.PERMANENT] * 2, Strategy.ONE_FOR_ALL), RuntimeClosing(), 0.0)
    state, actions = sv.step(state, ChildExited(proc(0), "boom"), 0.0)
    assert actions == (StopChild(1, proc(1), 5.0),)
    assert state.busy is None


def test_a_supervisor_stops_its_children_last_started_first_a_dynamic_one_together() -> None:
    state, actions = sv.step(_static([Restart.PERMANENT] * 3), Terminate(), 0.0)
    assert actions == (StopAll(tuple(StopChild(i, proc(i), 5.0) for i in (2, 1, 0))),)
    assert not any(e.running for e in state.children)
    dynamic = evolve(_static([Restart.PERMANENT] * 2), dynamic=True)
    assert sv.step(dynamic, Terminate(), 0.0)[1] == (
        StopAll((StopChild(1, proc(1), 5.0), StopChild(0, proc(0), 5.0)), together=True),
    )


def test_the_runtime_stops_its_top_level_last_started_first_each_with_its_kinds_shutdown() -> None:
    def top(n: int, kind: Kind) -> Entry:
        return Entry(n, ChildSpec(n, object, Restart.TEMPORARY), kind, proc(n))  # type: ignore[arg-type]

    top_level = State(children=(top(1, "worker"), top(2, "supervisor"), top(3, "worker")))
    assert stop_order(top_level) == (
        StopChild(3, proc(3), 5.0),
        StopChild(2, proc(2), INFINITY),
        StopChild(1, proc(1), 5.0),
    )


def test_which_children_reports_ids_handles_and_restarting() -> None:
    state, _ = sv.step(_static([Restart.PERMANENT, Restart.TRANSIENT]), TerminateChild(1), 0.0)
    assert which_children(state) == [
        Child(0, "h0", "worker", Restart.PERMANENT),  # type: ignore[arg-type]
        Child(1, None, "worker", Restart.TRANSIENT),
    ]
    assert which_children(evolve(state, dynamic=True))[0].id is None


def test_a_dynamic_supervisor_finds_a_child_to_terminate_only_by_its_handle() -> None:
    state, _, _ = _settle(
        State(dynamic=True), AddChild(_spec("w")), 0.0, lambda: StartSucceeded(proc(4), "worker")
    )
    state, _, _ = _settle(state, ChildExited(proc(4), "boom"), 1.0, lambda: FAIL)
    assert state.children[0].restarting
    for not_a_child in ("w", 0, None, _dynamic_handle(None)):
        after, actions = sv.step(state, TerminateChild(not_a_child), 2.0)
        assert after == state
        assert len(actions) == 1
        assert isinstance(actions[0], Refuse)
        assert isinstance(actions[0].error, ChildNotFound)


def test_forget_stopped_keeps_only_children_running_due_or_restarting() -> None:
    running, stopped, due, restarting = (Entry(i, _spec(i)) for i in range(4))
    state = State(
        children=(
            evolve(running, process=proc(0)),
            stopped,
            evolve(due, pending=True),
            evolve(restarting, retry=1),
        )
    )
    assert [e.id for e in sv.forget_stopped(state).children] == [0, 2, 3]
