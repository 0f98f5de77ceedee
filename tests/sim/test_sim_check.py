"""sim.check on the real simulator: exhaustive and random search, the state key, replays."""

from __future__ import annotations

import re
from collections.abc import Hashable
from typing import Any

import anyio
import pytest

from spawned import Caller, GenServer, Reply, sim


class Counter(GenServer):
    """A value read and written by separate calls: two get-then-set bumps can lose an update."""

    def init(self) -> None:
        self.value = 0

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        match msg:
            case "get":
                return Reply(self.value)
            case ("set", value):
                self.value = value
                return Reply("ok")
            case _:
                return Reply(None)


def value(s: sim.Sim) -> int:
    return next((s.server_of(h).value for h in s.processes() if isinstance(s.server_of(h), Counter)), 0)  # type: ignore[attr-defined]


async def two_bumps(s: sim.Sim) -> None:
    counter = await s.node("db").start(Counter())

    async def bump() -> None:
        seen = await counter.call("get")
        await counter.call(("set", seen + 1))

    async with anyio.create_task_group() as tg:
        tg.start_soon(bump)
        tg.start_soon(bump)


NO_LOST_UPDATE = sim.eventually("both bumps counted", lambda s: value(s) == 2)
SETTINGS: dict[str, Any] = {"nodes": ("db",), "max_time": 1.0}  # the calls' 5 s timeouts never fire


def test_exhaustive_finds_the_lost_update_and_its_choices_replay_it() -> None:
    report = sim.check(two_bumps, properties=[NO_LOST_UPDATE], exhaustive=True, **SETTINGS)
    result = report["both bumps counted"]
    assert result.status == "violated"
    assert result.choices is not None
    assert [line.split(maxsplit=2)[2] for line in result.trace] == [
        "scenario -> db/Counter#2 call 'get'",
        "scenario -> db/Counter#2 call 'get'",
        "db/Counter#2 -> scenario reply 0",
        "db/Counter#2 -> scenario reply 0",
        "scenario -> db/Counter#2 call ('set', 1)",
        "scenario -> db/Counter#2 call ('set', 1)",
        "db/Counter#2 -> scenario reply 'ok'",
        "db/Counter#2 -> scenario reply 'ok'",
    ]
    finals: list[int] = []
    replayed = sim.run(
        two_bumps,
        chooser=sim.ReplayChooser(result.choices),
        exhaustive=True,
        on_state=lambda s: finals.append(value(s)),
        **SETTINGS,
    )
    assert replayed.complete
    assert finals[-1] == 1


def test_the_state_key_holds_the_messages_in_flight_besides_the_fingerprint() -> None:
    # a fingerprint blind to everything: states still differ by the messages in flight and the
    # clock, so the search still reaches the lost update
    def blind(s: sim.Sim) -> Hashable:
        del s
        return 0

    report = sim.check(two_bumps, properties=[NO_LOST_UPDATE], exhaustive=True, fingerprint=blind, **SETTINGS)
    assert report["both bumps counted"].status == "violated"
    assert report.unique_states is not None
    assert report.unique_states > 1


def test_a_fingerprint_merges_equal_states() -> None:
    def fingerprint(s: sim.Sim) -> Hashable:
        return value(s)

    plain = sim.check(
        two_bumps, properties=[sim.always("small", lambda s: value(s) <= 2)], exhaustive=True, **SETTINGS
    )
    merged = sim.check(
        two_bumps,
        properties=[sim.always("small", lambda s: value(s) <= 2)],
        exhaustive=True,
        fingerprint=fingerprint,
        **SETTINGS,
    )
    assert plain.ok
    assert merged.ok
    assert merged.stopped is None
    assert merged.runs < plain.runs


def test_an_unhashable_fingerprint_is_a_clear_type_error() -> None:
    with pytest.raises(
        TypeError, match=r"fingerprint returned an unhashable list: \[0\]; it must return a hashable"
    ):
        sim.check(two_bumps, exhaustive=True, fingerprint=lambda s: [value(s)], **SETTINGS)  # pyright: ignore[reportArgumentType] - the mistake under test


def test_random_mode_names_the_seed_and_the_same_seeds_give_the_same_report() -> None:
    def check() -> sim.Report:
        return sim.check(
            two_bumps,
            properties=[NO_LOST_UPDATE],
            seeds=range(3, 8),
            network=sim.Network(delay=(0.0, 0.1)),
            **SETTINGS,
        )

    first, second = check(), check()
    result = first["both bumps counted"]
    assert result.status == "violated"
    assert result.seed == 3
    assert re.sub(r"in [\d.]+ s", "", first.text()) == re.sub(r"in [\d.]+ s", "", second.text())


def test_the_scenario_raising_fails_the_check_with_its_exception() -> None:
    async def scenario(s: sim.Sim) -> None:
        await two_bumps(s)
        if value(s) != 2:
            raise RuntimeError(f"lost an update: {value(s)}")

    report = sim.check(scenario, seeds=1, **SETTINGS)
    result = report["scenario raises no exception"]
    assert result.status == "violated"
    assert isinstance(result.error, RuntimeError)
    with pytest.raises(sim.CheckFailed, match=r"raised: RuntimeError\('lost an update: 1'\)"):
        report.assert_ok()


def test_sometimes_is_discovered_with_the_shortest_trace() -> None:
    report = sim.check(
        two_bumps,
        properties=[sim.sometimes("one counted", lambda s: value(s) == 1)],
        exhaustive=True,
        **SETTINGS,
    )
    result = report["one counted"]
    assert result.status == "discovered"
    assert result.trace[-1].endswith("call ('set', 1)")
    assert report.stopped == "decided"


def test_an_exhaustive_scenario_test_has_no_seed_to_replay() -> None:
    with pytest.raises(
        ValueError, match=r"seed=3 replays one random run, but this scenario test is exhaustive"
    ):
        sim.scenario_test(exhaustive=True, seed=3)


def test_scenario_test_decorates_only_an_async_scenario() -> None:
    def not_async(s: sim.Sim) -> None:
        del s

    with pytest.raises(
        TypeError, match=r"decorates an async def scenario taking the sim\.Sim, got <function"
    ):
        sim.scenario_test(seeds=1)(not_async)  # type: ignore[arg-type]
