"""Each example node under the local harness, on every backend; a broken node is caught."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from spawned.maelstrom.harness import Config, Harness, Result
from spawned.testing import BACKENDS

ROOT = Path(__file__).parent.parent.parent
EXAMPLES = ROOT / "examples" / "maelstrom"
NODES = Path(__file__).parent / "nodes.py"

# Short runs; generous per-request timeouts and recovery windows so a loaded machine only
# makes a run slower, never failed (a correct node converges long before the window ends).
SHORT: dict[str, Any] = {"time_limit": 1.0, "rate": 30, "op_timeout": 10.0, "recovery": 20.0, "seed": 7}
PARTITIONS: dict[str, Any] = {"nemesis": ("partition",), "nemesis_interval": 0.3}

RUNS: dict[str, tuple[str, dict[str, Any]]] = {
    "echo": ("echo.py", {"node_count": 1}),
    "unique-ids": ("unique_ids.py", {"node_count": 3, **PARTITIONS}),
    "broadcast": ("broadcast.py", {"node_count": 3, "latency": 0.005, **PARTITIONS}),
    "g-counter": ("g_counter.py", {"node_count": 3, **PARTITIONS}),
    "lin-kv": ("lin_kv.py", {"node_count": 2}),
}


def test_every_example_node_is_run() -> None:
    assert {script for script, _ in RUNS.values()} == {p.name for p in EXAMPLES.glob("*.py")}


def run(workload: str, command: list[str], tmp_path: Path, **options: Any) -> Result:
    config = Config(workload=workload, command=tuple(command), results=tmp_path, **{**SHORT, **options})
    harness = Harness(config)
    try:
        return asyncio.run(harness.run())
    finally:
        harness.kill_all()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("workload", RUNS)
def test_example_node_passes_its_workload(workload: str, backend: str, tmp_path: Path) -> None:
    script, options = RUNS[workload]
    result = run(
        workload, [sys.executable, str(EXAMPLES / script), "--backend", backend], tmp_path, **options
    )
    assert result.valid, (result.errors, result.check.problems)
    assert result.stats["ops"] > 0
    assert result.stats["ok"] > 0
    summary = json.loads((tmp_path / "results.json").read_text())
    assert summary["valid"]
    if "nemesis" in options:
        assert any("partition" in event for event in summary["nemesis"])
    assert (tmp_path / "history.jsonl").read_text().count("\n") >= result.stats["ops"]
    assert {p.name for p in tmp_path.glob("n*.log")} == {
        f"n{i}.log" for i in range(1, options["node_count"] + 1)
    }


@pytest.mark.parametrize("backend", BACKENDS)
def test_waiting_rpcs_pass_lin_kv(backend: str, tmp_path: Path) -> None:
    command = [sys.executable, str(NODES), "waiting_kv", "--backend", backend]
    result = run("lin-kv", command, tmp_path, node_count=2)
    assert result.valid, (result.errors, result.check.problems)
    assert result.stats["fail"] > 0  # reads of missing keys and failed cas came back as typed errors


def test_a_broadcast_that_never_retries_is_caught(tmp_path: Path) -> None:
    command = [sys.executable, str(NODES), "broken_broadcast"]
    result = run("broadcast", command, tmp_path, node_count=3, loss=0.5, topology="line", recovery=1.0)
    assert not result.valid
    assert any("lacks" in problem for problem in result.check.problems)


def test_a_key_value_node_that_does_not_coordinate_is_not_linearizable(tmp_path: Path) -> None:
    command = [sys.executable, str(NODES), "local_kv"]
    result = run("lin-kv", command, tmp_path, node_count=3, rate=60)
    assert not result.valid
    assert any("not linearizable" in problem for problem in result.check.problems)


def test_a_counter_reading_stale_seq_kv_values_is_caught(tmp_path: Path) -> None:
    """The harness's seq-kv is as stale as Maelstrom's may be: a node that never writes
    before it reads keeps its old view, and its final read misses the other nodes' adds.
    """
    command = [sys.executable, str(NODES), "stale_counter"]
    result = run("g-counter", command, tmp_path, node_count=2, recovery=0.5)
    assert not result.valid
    assert any("final read" in problem for problem in result.check.problems), result.check.problems


def test_a_node_that_cannot_start_fails_the_run(tmp_path: Path) -> None:
    result = run("echo", [sys.executable, "-c", "import sys; sys.exit(3)"], tmp_path, node_count=1)
    assert not result.valid
    assert any("exited with status 3" in error for error in result.errors)
    assert not result.check.valid  # and no operation succeeded


def test_a_node_that_ignores_stdin_closing_is_killed(tmp_path: Path) -> None:
    script = (
        "import json, sys, time\n"
        "m = json.loads(sys.stdin.readline())\n"
        "b = {'type': 'init_ok', 'in_reply_to': m['body']['msg_id']}\n"
        "print(json.dumps({'src': m['dest'], 'dest': m['src'], 'body': b}), flush=True)\n"
        "time.sleep(600)\n"
    )
    result = run(
        "echo",
        [sys.executable, "-c", script],
        tmp_path,
        node_count=1,
        time_limit=0.2,
        op_timeout=0.2,
        stop_grace=0.2,
    )
    assert not result.valid
    assert any("did not exit" in error for error in result.errors)


def test_the_command_line_exits_non_zero_on_a_failed_check(tmp_path: Path) -> None:
    import subprocess

    command = f"{sys.executable} {NODES} broken_broadcast"
    args = ["-w", "broadcast", "--bin", command, "--node-count", "3", "--loss", "0.5", "--topology", "line"]
    args += ["--time-limit", "1", "--rate", "30", "--recovery", "1", "--results", str(tmp_path)]
    done = subprocess.run(  # noqa: S603 - our own harness and node
        [sys.executable, "-m", "spawned.maelstrom.harness", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "Analysis invalid!" in done.stdout
    assert (tmp_path / "results.json").exists()


def test_ctrl_c_stops_the_nodes(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess

    command = f"{sys.executable} {EXAMPLES / 'echo.py'}"
    args = [
        "-w",
        "echo",
        "--bin",
        command,
        "--node-count",
        "2",
        "--time-limit",
        "600",
        "--results",
        str(tmp_path),
    ]
    harness = subprocess.Popen(  # noqa: S603 - our own harness and node
        [sys.executable, "-m", "spawned.maelstrom.harness", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert harness.stderr is not None
    pids: list[int] = []
    for text in harness.stderr:
        if "harness: started" in text:
            pids.append(int(text.rsplit("pid ", 1)[1].rstrip(")\n")))
        if "harness: running" in text:
            break
    harness.send_signal(signal.SIGINT)
    _, err = harness.communicate(timeout=60)
    assert harness.returncode == 1
    assert "interrupted" in err
    assert len(pids) == 2
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # reaped: gone
