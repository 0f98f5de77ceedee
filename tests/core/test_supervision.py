"""Restart decisions, with no runtime: tables, the intensity window, and strategy invariants."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from attrs import evolve
from hypothesis import given, settings
from hypothesis import strategies as st

from spawned import BRUTAL_KILL, INFINITY, ChildSpec, DynamicSupervisor, Restart, Strategy, Supervisor
from spawned._supervisor_logic import (
    Entry,
    Escalate,
    StartChild,
    State,
    StopChild,
    TryAgain,
    is_restarted,
    on_child_exit,
    on_try_again,
    restart_failed,
    restart_table_markdown,
    stop_order,
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
