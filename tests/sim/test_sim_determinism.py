"""One seed decides everything: the same seed gives the same trace, byte for byte."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from spawned import sim
from tests.sim.scenarios import FAULTS, NETWORK, chatter, run_chatter

SCRIPT = Path(__file__).with_name("scenarios.py")
ROOT = Path(__file__).resolve().parents[2]


def test_the_same_seed_gives_the_same_trace() -> None:
    first = run_chatter(11)
    second = run_chatter(11)
    assert first.error is None
    assert first.trace_text() == second.trace_text()
    assert first.choices == second.choices
    assert len(first.trace) > 50


def test_other_seeds_give_other_runs() -> None:
    traces = {run_chatter(seed).trace_text() for seed in range(5)}
    assert len(traces) == 5


def test_replaying_the_choices_reproduces_the_run() -> None:
    first = run_chatter(5)
    replayed = sim.run(
        chatter,
        nodes=("server", "c1", "c2"),
        chooser=sim.ReplayChooser(first.choices),
        network=NETWORK,
        faults=FAULTS,
    )
    assert replayed.trace_text() == first.trace_text()
    assert replayed.choices == first.choices


def test_two_interpreters_write_the_same_trace_file(tmp_path: Path) -> None:
    paths = [tmp_path / "one.txt", tmp_path / "two.txt"]
    for path in paths:
        subprocess.run(  # noqa: S603 - our own script, with this interpreter
            [sys.executable, str(SCRIPT), "23", str(path)],
            check=True,
            cwd=ROOT,
            env={"PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "random"},
            timeout=60,
        )
    one, two = (path.read_bytes() for path in paths)
    assert one == two
    assert len(one.splitlines()) > 50
    assert one == run_chatter(23).trace_text().encode()
