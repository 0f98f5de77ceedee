"""The explorer's engine (spawned.sim._explore.run_check) against a tiny fake simulator.

The fake (tests/core/fake_sim.py) obeys sim.run's interface: every decision through the chooser,
``on_state`` at each quiescent point, a chooser's exception ends the run and propagates.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fake_sim import FakeSim, Model, fingerprint, lost_update, one

from spawned import sim
from spawned.sim._explore import NO_EXCEPTION, Report, Target, run_check
from spawned.sim._properties import Property


def always(name: str, predicate: Callable[[FakeSim], object]) -> Property:
    return Property(name, "always", predicate)


def sometimes(name: str, predicate: Callable[[FakeSim], object]) -> Property:
    return Property(name, "sometimes", predicate)


def eventually(name: str, predicate: Callable[[FakeSim], object]) -> Property:
    return Property(name, "eventually", predicate)


def check(
    model: Model,
    *properties: Property,
    exhaustive: bool = True,
    seeds: range = range(0),
    max_steps: int = 100,
    **options: Any,
) -> Report:
    settings: dict[str, Any] = {
        "fingerprint": None,
        "max_runs": None,
        "max_seconds": None,
        "shrinking": True,
        "max_shrink_runs": 500,
        "replay_hint": None,
    } | options
    target = Target(
        run=lambda chooser, on_state: model.run(chooser, on_state, max_steps),
        state_trace=lambda s: s.trace,
        result_trace=lambda r: r.trace,  # type: ignore[attr-defined]
    )
    return run_check(target, properties=properties, exhaustive=exhaustive, seeds=seeds, **settings)


def no_lost_update(s: FakeSim) -> bool:
    return s.vars["x"] == s.vars["done"]


def test_exhaustive_finds_a_shortest_counterexample_with_its_trace() -> None:
    report = check(lost_update(), always("no lost update", no_lost_update))
    result = report["no lost update"]
    assert result.status == "violated"
    assert not report.ok
    # both read before either writes: four steps, of which the last is forced (one option left)
    assert len(result.trace) == 4
    assert result.trace[:2] in (("a: read x", "b: read x"), ("b: read x", "a: read x"))
    assert result.choices is not None
    assert len(result.choices) <= 3
    assert report.mode == "exhaustive"
    assert report.unique_states is None


def test_the_counterexample_is_shrunk_to_the_simplest_choices() -> None:
    result = check(lost_update(), always("no lost update", no_lost_update))["no lost update"]
    # options are ordered a before b and past the list every answer is 0: b reads (option 1),
    # then a reads, a writes, b writes
    assert result.choices == (1,)
    assert result.trace == ("b: read x", "a: read x", "a: write x+1", "b: write x+1")
    assert result.found_choices is not None
    assert len(result.found_choices) > 1


def test_without_the_bug_every_state_is_explored_and_the_property_holds() -> None:
    model = lost_update()
    model.procs = {"a": model.procs["a"], "b": []}
    report = check(model, always("no lost update", no_lost_update))
    assert report.ok
    assert report["no lost update"].status == "ok"
    assert report.stopped is None
    report.assert_ok()


def test_fingerprint_visits_equal_states_once() -> None:
    plain = check(lost_update(), always("x is small", lambda s: s.vars["x"] <= 2))
    deduped = check(lost_update(), always("x is small", lambda s: s.vars["x"] <= 2), fingerprint=fingerprint)
    assert plain.ok
    assert deduped.ok
    assert deduped.unique_states is not None
    assert deduped.runs < plain.runs
    assert deduped.unique_states < deduped.states


def test_an_unhashable_fingerprint_is_a_type_error_naming_it() -> None:
    def as_dict(s: FakeSim) -> dict[str, Any]:
        return dict(s.vars)

    with pytest.raises(TypeError, match=r"fingerprint returned an unhashable dict: \{'x': 0"):
        check(lost_update(), fingerprint=as_dict)


def test_sometimes_is_reported_discovered_with_its_trace() -> None:
    report = check(lost_update(), sometimes("x reaches 2", lambda s: s.vars["x"] == 2))
    result = report["x reaches 2"]
    assert result.status == "discovered"
    assert result.ok
    assert result.trace == ("a: read x", "a: write x+1", "b: read x", "b: write x+1")
    assert "x reaches 2: discovered" in report.text()


def test_a_sometimes_never_reached_fails() -> None:
    report = check(lost_update(), sometimes("x reaches 3", lambda s: s.vars["x"] == 3))
    assert report["x reaches 3"].status == "undiscovered"
    with pytest.raises(sim.CheckFailed, match="x reaches 3: undiscovered"):
        report.assert_ok()


def lossy() -> Model:
    """A sender whose one message the network may drop."""

    def deliver(v: dict[str, Any]) -> None:
        v["got"] = True

    def drop(v: dict[str, Any]) -> None:
        del v

    return Model(
        {
            "net": [(("deliver", deliver), ("drop", drop))],
            "other": [one("tick", drop)],
        },
        {"got": False},
    )


def test_eventually_is_violated_by_a_complete_run_where_it_never_held() -> None:
    report = check(lossy(), eventually("delivered", lambda s: s.vars["got"]))
    result = report["delivered"]
    assert result.status == "violated"
    assert "net: drop" in result.trace


def test_eventually_holds_when_every_complete_run_reaches_it() -> None:
    model = lossy()
    model.procs["net"] = [one("deliver", lambda v: v.update(got=True))]
    assert check(model, eventually("delivered", lambda s: s.vars["got"]), fingerprint=fingerprint).ok


def test_eventually_is_not_judged_on_runs_cut_short_by_max_steps() -> None:
    report = check(lossy(), eventually("delivered", lambda s: s.vars["got"]), max_steps=1)
    # with one step the run never completes, so the dropped message is never a counterexample
    assert report["delivered"].status == "ok"


def test_the_scenario_raising_is_a_failure_with_the_exception() -> None:
    def boom(v: dict[str, Any]) -> None:
        if v["x"] == 1:
            raise RuntimeError("x was 1")

    model = lost_update()
    model.procs["c"] = [one("boom", boom)]
    report = check(model)
    result = report[NO_EXCEPTION]
    assert result.status == "violated"
    assert isinstance(result.error, RuntimeError)
    assert result.trace[-1] == "c: boom"
    assert "raised: RuntimeError('x was 1')" in report.text()


def test_random_mode_reports_the_seed_and_a_shrunk_counterexample() -> None:
    report = check(
        lost_update(),
        always("no lost update", no_lost_update),
        exhaustive=False,
        seeds=range(50),
        replay_hint="pytest --sim-seed={seed}",
    )
    result = report["no lost update"]
    assert result.status == "violated"
    assert result.seed is not None
    assert result.choices == (1,)
    assert report.mode == "random"
    assert f"replay: pytest --sim-seed={result.seed}" in report.text()
    assert f"seed {result.seed}" in report.text()


def test_random_mode_stops_once_every_property_is_decided() -> None:
    report = check(
        lost_update(), always("no lost update", no_lost_update), exhaustive=False, seeds=range(1000)
    )
    assert report.stopped == "decided"
    assert report.runs < 1000


def test_max_runs_bounds_the_search() -> None:
    report = check(lost_update(), always("x is small", lambda s: s.vars["x"] <= 2), max_runs=3)
    assert report.runs == 3
    assert report.stopped == "max_runs"


def test_properties_with_the_same_name_are_refused() -> None:
    with pytest.raises(ValueError, match="'p' is used twice"):
        check(lost_update(), always("p", bool), sometimes("p", bool))


def test_a_property_must_be_made_by_the_constructors() -> None:
    with pytest.raises(TypeError, match=r"made by sim\.always, sim\.sometimes or sim\.eventually"):
        check(lost_update(), always("p", bool), no_lost_update)  # type: ignore[arg-type]


def test_property_constructors_check_their_arguments() -> None:
    with pytest.raises(TypeError, match="non-empty str"):
        sim.always("", bool)
    with pytest.raises(TypeError, match="must be callable"):
        sim.sometimes("p", predicate=True)  # type: ignore[arg-type]


def test_check_needs_exactly_one_of_exhaustive_and_seeds() -> None:
    async def scenario(s: object) -> None:
        del s

    with pytest.raises(ValueError, match="exactly one of exhaustive=True"):
        sim.check(scenario)
    with pytest.raises(ValueError, match="exactly one of exhaustive=True"):
        sim.check(scenario, exhaustive=True, seeds=3)
    with pytest.raises(ValueError, match="seeds must be a positive number"):
        sim.check(scenario, seeds=0)


def test_report_lookup_of_an_unknown_property_lists_the_known_ones() -> None:
    report = check(lost_update(), always("p", bool))
    with pytest.raises(KeyError, match=r"no property named 'q'; the properties are \['p', "):
        report["q"]
