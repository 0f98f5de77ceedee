"""The local harness against nodes that misbehave, a lossy or partitioned network, bad options."""

from __future__ import annotations

import asyncio
import gc
import json
import math
import sys
from pathlib import Path
from typing import Any

import pytest

from spawned.maelstrom.harness import Check, Config, Harness, Result
from spawned.maelstrom.harness import _main as harness_main
from spawned.maelstrom.harness._checkers import CHECKERS
from spawned.maelstrom.harness._harness import MAX_DEFAULT_CONCURRENCY

ROOT = Path(__file__).parent.parent.parent
MISBEHAVING = Path(__file__).parent / "misbehaving_node.py"
BROADCAST = ROOT / "examples" / "maelstrom" / "broadcast.py"
QUICK: dict[str, Any] = {"time_limit": 0.3, "rate": 40, "op_timeout": 10.0, "recovery": 20.0, "seed": 3}


def run(workload: str, command: list[str], tmp_path: Path, **options: Any) -> tuple[Result, Harness]:
    config = Config(workload=workload, command=tuple(command), results=tmp_path, **{**QUICK, **options})
    harness = Harness(config)
    try:
        return asyncio.run(harness.run()), harness
    finally:
        harness.kill_all()


def node(mode: str) -> list[str]:
    return [sys.executable, str(MISBEHAVING), mode]


def history(tmp_path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (tmp_path / "history.jsonl").read_text().splitlines()]


def test_a_good_node_passes_and_the_results_folder_holds_everything(tmp_path: Path) -> None:
    result, _ = run("echo", node("good"), tmp_path, node_count=2)
    assert result.valid, (result.errors, result.check.problems)
    assert {p.name for p in tmp_path.iterdir()} == {"history.jsonl", "results.json", "n1.log", "n2.log"}
    ops = history(tmp_path)
    assert len(ops) == result.stats["ops"] > 0
    assert {op["node"] for op in ops} <= {"n1", "n2"}
    assert all(op["outcome"] == "ok" and op["result"] == op["value"] for op in ops)
    summary = json.loads((tmp_path / "results.json").read_text())
    assert summary["valid"] is True
    assert summary["workload"] == "echo"
    assert summary["config"]["command"] == node("good")


def test_garbage_on_a_node_stdout_fails_the_run(tmp_path: Path) -> None:
    result, _ = run("echo", node("garbage"), tmp_path)
    assert not result.valid
    assert any("not a Maelstrom message" in error and "DEBUG" in error for error in result.errors)


def test_a_node_crashing_mid_run_fails_the_run_and_is_reaped(tmp_path: Path) -> None:
    result, harness = run("echo", node("crash"), tmp_path, op_timeout=0.5)
    assert not result.valid
    assert any("exited during the test with status 3" in error for error in result.errors)
    assert harness.nodes["n1"].process.returncode == 3
    assert any(op["outcome"] == "info" for op in history(tmp_path))  # the request it died on
    assert json.loads((tmp_path / "results.json").read_text())["valid"] is False


def test_a_node_that_ignores_stdin_closing_is_killed(tmp_path: Path) -> None:
    result, harness = run("echo", node("deaf"), tmp_path, stop_grace=0.2)
    assert not result.valid
    assert any("did not exit" in error for error in result.errors)
    assert harness.nodes["n1"].process.returncode is not None


def test_a_node_that_exits_before_init_is_reported(tmp_path: Path) -> None:
    result, _ = run("echo", [sys.executable, "-c", "pass"], tmp_path)
    assert not result.valid
    assert any("n1" in error and "exited" in error for error in result.errors)


def test_total_message_loss_is_caught_by_the_broadcast_checker(tmp_path: Path) -> None:
    result, _ = run(
        "broadcast", [sys.executable, str(BROADCAST)], tmp_path, node_count=2, loss=1.0, recovery=0.3
    )
    assert not result.valid
    assert not result.errors  # the nodes behaved; the checker found the lost messages
    assert any("lacks" in problem for problem in result.check.problems)


def test_the_network_is_healed_once_the_workload_ends(tmp_path: Path) -> None:
    """Partitions every 0.2 s in a 0.3 s workload: whatever phase the nemesis is in when the
    workload ends, the final reads find a healed network and every node converges.
    """
    result, _ = run(
        "broadcast",
        [sys.executable, str(BROADCAST)],
        tmp_path,
        node_count=3,
        nemesis=("partition",),
        nemesis_interval=0.2,
        time_limit=0.3,
    )
    assert result.valid, (result.errors, result.check.problems)
    events = json.loads((tmp_path / "results.json").read_text())["nemesis"]
    assert not events or events[-1].get("heal") is True


@pytest.mark.parametrize(
    "options", [{"node_count": 0}, {"rate": 0}, {"time_limit": -1}, {"loss": 1.5}, {"loss": math.nan}]
)
def test_bad_options_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"must|probability"):
        Config(workload="echo", command=("node",), **options)


@pytest.mark.parametrize("options", [{"rate": math.nan}, {"rate": math.inf}, {"time_limit": math.inf}])
def test_non_finite_rates_and_time_limits_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Config(workload="echo", command=("node",), **options)


@pytest.mark.parametrize(
    "options", [{"latency": -0.1}, {"concurrency": -1}, {"op_timeout": -1.0}, {"recovery": -1.0}]
)
def test_negative_durations_and_counts_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Config(workload="echo", command=("node",), **options)


def test_a_custom_error_code_is_indefinite(tmp_path: Path) -> None:
    result, _ = run("lin-kv", node("custom-error"), tmp_path)
    custom = [op for op in history(tmp_path) if op["error"] == 1000]
    assert custom
    assert all(op["outcome"] == "info" for op in custom)
    assert result.valid, result.check.problems


def test_a_missing_node_command_gives_an_invalid_result(tmp_path: Path) -> None:
    try:
        result, _ = run("echo", [str(tmp_path / "no-such-node")], tmp_path)
    finally:
        gc.collect()  # a leaked log file warns here, inside this test, not at the end of the session
    assert not result.valid
    assert result.errors


def test_a_checker_that_fails_still_gives_a_written_invalid_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_history: object) -> object:
        raise TypeError("a checker bug")

    monkeypatch.setitem(CHECKERS, "echo", broken)
    result, _ = run("echo", node("good"), tmp_path)
    assert not result.valid
    assert result.verdict == "unknown"
    assert any("a checker bug" in problem for problem in result.check.problems)
    assert json.loads((tmp_path / "results.json").read_text())["valid"] == "unknown"


def test_the_default_concurrency_is_capped_for_huge_rates(tmp_path: Path) -> None:
    result, harness = run("echo", node("good"), tmp_path, rate=1e6, time_limit=1e-4)
    assert result.valid, (result.errors, result.check.problems)
    assert len(harness.clients - {"c0"}) == MAX_DEFAULT_CONCURRENCY


@pytest.mark.parametrize(("verdict", "status"), [("valid", 0), ("invalid", 1), ("unknown", 2)])
def test_the_command_line_exits_as_jepsen_does(
    verdict: str, status: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    check = Check(valid=verdict == "valid", unknown=verdict == "unknown")

    def run(_config: Config) -> Result:
        return Result(check.valid, check, (), {}, None)

    monkeypatch.setattr(harness_main, "run", run)
    with pytest.raises(SystemExit) as exited:
        harness_main.main(["-w", "echo", "--bin", "node"])
    assert exited.value.code == status
    out = capsys.readouterr().out
    assert json.loads(out.splitlines()[0])["valid"] == {"valid": True, "invalid": False}.get(verdict, verdict)
    assert out.splitlines()[-1] == harness_main.VERDICTS[verdict]


def test_partitions_cut_the_cluster_into_halves(tmp_path: Path) -> None:
    result, _ = run(
        "echo", node("good"), tmp_path, node_count=4, nemesis=("partition",), nemesis_interval=0.02
    )
    assert result.valid, (result.errors, result.check.problems)
    events = json.loads((tmp_path / "results.json").read_text())["nemesis"]
    cuts = [event["partition"] for event in events if "partition" in event]
    assert cuts
    assert all(sorted(map(len, cut)) == [2, 2] for cut in cuts), cuts
