"""A tiny transition system that obeys sim.run's interface, to test the explorer without the sim.

Processes are lists of steps over a shared dict; a step has one or more variants (say deliver or
drop). At each quiescent point ``on_state`` sees a ``FakeSim``; every enabled (process, variant)
is an option, chosen through the chooser when there are two or more, as the real simulator does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from attrs import define, field, frozen

Step = tuple[tuple[str, Callable[[dict[str, Any]], None]], ...]
"""The variants of one step: (label, effect)."""


@frozen
class FakeSim:
    vars: dict[str, Any]
    pcs: tuple[int, ...]
    trace: tuple[str, ...]


@frozen
class FakeResult:
    choices: tuple[int, ...]
    trace: tuple[str, ...]
    complete: bool
    error: BaseException | None


@define
class Model:
    procs: dict[str, Sequence[Step]]
    init: dict[str, Any] = field(factory=dict)
    runs: int = 0

    def run(self, chooser: Any, on_state: Callable[[Any], None], max_steps: int = 100) -> FakeResult:
        self.runs += 1
        shared = dict(self.init)
        names = list(self.procs)
        pcs = [0] * len(names)
        trace: list[str] = []
        choices: list[int] = []
        steps = 0
        while True:
            on_state(FakeSim(dict(shared), tuple(pcs), tuple(trace)))
            options = [
                (i, label, effect)
                for i, name in enumerate(names)
                if pcs[i] < len(self.procs[name])
                for label, effect in self.procs[name][pcs[i]]
            ]
            if not options:
                return FakeResult(tuple(choices), tuple(trace), complete=True, error=None)
            if steps >= max_steps:
                return FakeResult(tuple(choices), tuple(trace), complete=False, error=None)
            pick = 0
            if len(options) > 1:
                pick = chooser.choose(len(options), "next")
                choices.append(pick)
            i, label, effect = options[pick]
            pcs[i] += 1
            steps += 1
            trace.append(f"{names[i]}: {label}")
            try:
                effect(shared)
            except Exception as error:
                return FakeResult(tuple(choices), tuple(trace), complete=False, error=error)


def one(label: str, effect: Callable[[dict[str, Any]], None]) -> Step:
    return ((label, effect),)


def lost_update() -> Model:
    """Two processes each read x, then write x + 1: an interleaving loses an update."""

    def read(me: str) -> Callable[[dict[str, Any]], None]:
        def effect(v: dict[str, Any]) -> None:
            v[me] = v["x"]

        return effect

    def write(me: str) -> Callable[[dict[str, Any]], None]:
        def effect(v: dict[str, Any]) -> None:
            v["x"] = v[me] + 1
            v["done"] += 1

        return effect

    return Model(
        {p: [one("read x", read(p)), one("write x+1", write(p))] for p in ("a", "b")},
        {"x": 0, "done": 0, "a": None, "b": None},
    )


def fingerprint(sim: FakeSim) -> object:
    return (tuple(sorted(sim.vars.items())), sim.pcs)
