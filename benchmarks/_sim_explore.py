"""Figures for ``spawned.sim.check``: states explored per second of wall time.

``sim_check_register`` (states/s; expanding a state is one run): the exhaustive check of
``examples/sim_register.py`` with the fixed (deduplicating) server, which explores its whole
state space. Stateless model checking re-runs
the scenario from the start for every state it expands, so its floor is the rate of plain
``sim.run`` runs of the same scenario (the simplest run, every choice 0) measured just before:
the ratio is what replaying prefixes, fingerprinting and checking properties add per run.
"""

from __future__ import annotations

import gc
import importlib.util
from pathlib import Path
from time import perf_counter
from types import ModuleType

from spawned import sim

from ._report import Sizes, emit, expect, progress

EXAMPLE = Path(__file__).parent.parent / "examples" / "sim_register.py"


def _register_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sim_register_example", EXAMPLE)
    assert spec is not None  # noqa: S101 - a file of this repository
    assert spec.loader is not None  # noqa: S101 - a file of this repository
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def plain_run_rate(example: ModuleType, runs: int) -> float:
    """Plain simulated runs of the register scenario per second."""
    scenario = example.scenario_for(example.DedupRegister)
    started = perf_counter()
    for _ in range(runs):
        sim.run(scenario, chooser=sim.ReplayChooser(()), exhaustive=True, **example.SETTINGS)
    return runs / (perf_counter() - started)


def check_rate(example: ModuleType) -> tuple[float, sim.Report]:
    """States explored per second by the exhaustive check of the fixed register, and its report."""
    started = perf_counter()
    report: sim.Report = example.check(example.DedupRegister)
    elapsed = perf_counter() - started
    expect(report.ok, True)  # noqa: FBT003 - the fixed register is linearizable
    return report.states / elapsed, report


def main(sizes: Sizes) -> None:
    example = _register_example()
    measured: list[tuple[float, float]] = []
    report: sim.Report | None = None
    for _ in range(sizes.rounds):
        progress("sim: exhaustive check of the register example, beside plain sim.run runs")
        gc.collect()
        floor = plain_run_rate(example, max(20, sizes.calls // 50))
        gc.collect()
        rate, report = check_rate(example)
        measured.append((rate, floor))
    assert report is not None  # noqa: S101 - at least one round
    rate, floor = sorted(measured)[len(measured) // 2]
    emit(
        "sim_check_register",
        "sim",
        rate,
        "states/s",
        floor=floor,
        floor_name="sim.run runs/s",
        higher_is_better=True,
        rounds=len(measured),
        states=report.states,
        unique_states=report.unique_states,
        runs=report.runs,
    )
